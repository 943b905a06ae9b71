/** Access: roles, role bindings, CASL abilities of a caller, route policies, SQL-filterable scopes, and the per-process caches of access that every process drops on a change. */
export * from './permission';
export * from './built-in-roles';
export * from './role.entity';
export * from './role-binding.entity';
export * from './caller-ability';
export * from './policy.decorator';
export * from './access.repository';
export * from './access-filter';
export * from './access-invalidation';
export * from './grant-cache';
export * from './access.schema';
export * from './access-admin.service';
export * from './access-explainer';
