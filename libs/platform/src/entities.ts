import { AuditChainHeadEntity, AuditEventEntity, AuditSealEntity } from '@switchboard/audit';
import { RoleBindingEntity, RoleEntity } from '@switchboard/access';
import { ApiTokenEntity, SessionEntity, TeamEntity, TeamMemberEntity, UserEntity } from '@switchboard/identity';
import { ProcedureEntity, ProcedureVersionEntity, ProjectEntity } from '@switchboard/procedures';
import { ExecutionApprovalEntity, ExecutionEntity, ExecutionLogEntity, WorkerEntity } from '@switchboard/executions';
import { NotificationChannelEntity, NotificationDeliveryEntity } from '@switchboard/notifications';
import { SystemSettingEntity } from './system-setting.entity';

/** Every entity, listed explicitly: globs break bundles and hide what the schema is. */
export const ENTITIES = [
  UserEntity, TeamEntity, TeamMemberEntity, SessionEntity, ApiTokenEntity,
  RoleEntity, RoleBindingEntity,
  AuditEventEntity, AuditChainHeadEntity, AuditSealEntity,
  ProjectEntity, ProcedureEntity, ProcedureVersionEntity,
  ExecutionEntity, ExecutionLogEntity, WorkerEntity, ExecutionApprovalEntity,
  NotificationChannelEntity, NotificationDeliveryEntity,
  SystemSettingEntity,
];
