import { IdentityAccessAudit1795624958968 } from '../../../migrations/1795624958968-identity-access-audit';

/** Every migration, in order. Migrations are the only way the schema changes. */
export const MIGRATIONS = [IdentityAccessAudit1795624958968];
