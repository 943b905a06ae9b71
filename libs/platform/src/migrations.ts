import { IdentityAccessAudit1795624958968 } from '../../../migrations/1795624958968-identity-access-audit';
import { ProceduresExecutions1795625440733 } from '../../../migrations/1795625440733-procedures-executions';
import { SeparationOfDuties1795628028499 } from '../../../migrations/1795628028499-separation-of-duties';
import { Notifications1795628578933 } from '../../../migrations/1795628578933-notifications';
import { AuditScale1795631846008 } from '../../../migrations/1795631846008-audit-scale';
import { AuditSealer1795636291346 } from '../../../migrations/1795636291346-audit-sealer';
import { AuditLeanIndexes1795691877455 } from '../../../migrations/1795691877455-audit-lean-indexes';
import { PayloadStatistics1795780000000 } from '../../../migrations/1795780000000-payload-statistics';

/** Every migration, in order. Migrations are the only way the schema changes. */
export const MIGRATIONS = [IdentityAccessAudit1795624958968, ProceduresExecutions1795625440733, SeparationOfDuties1795628028499, Notifications1795628578933, AuditScale1795631846008, AuditSealer1795636291346, AuditLeanIndexes1795691877455, PayloadStatistics1795780000000];
