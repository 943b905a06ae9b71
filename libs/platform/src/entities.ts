import { AuditChainHeadEntity, AuditEventEntity } from '@switchboard/audit';
import { RoleBindingEntity, RoleEntity } from '@switchboard/access';
import { ApiTokenEntity, SessionEntity, TeamEntity, TeamMemberEntity, UserEntity } from '@switchboard/identity';

/** Every entity, listed explicitly: globs break bundles and hide what the schema is. */
export const ENTITIES = [
  UserEntity, TeamEntity, TeamMemberEntity, SessionEntity, ApiTokenEntity,
  RoleEntity, RoleBindingEntity,
  AuditEventEntity, AuditChainHeadEntity,
];
