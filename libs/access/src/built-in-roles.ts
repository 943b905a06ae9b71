import type { Permission } from './permission';

/** Built-in roles (ARCHITECTURE.md §4). Custom roles are rows in `roles` with their own permission sets. */
export const BUILT_IN_ROLES: Record<string, { description: string; permissions: Permission[] }> = {
  admin: { description: 'Everything, everywhere.', permissions: [{ action: 'manage', subject: 'all' }] },
  owner: {
    description: 'Define, review, grant, run and approve within a project.',
    permissions: [
      { action: 'read', subject: 'Project' },
      { action: 'manage', subject: 'Procedure' },
      { action: 'manage', subject: 'Execution' },
      { action: 'manage', subject: 'Secret' },
      { action: 'manage', subject: 'Channel' },
      { action: 'grant', subject: 'RoleBinding' },
      { action: 'read', subject: 'RoleBinding' },
    ],
  },
  author: {
    description: 'Propose procedures and changes.',
    permissions: [
      { action: 'read', subject: 'Project' },
      { action: 'read', subject: 'Procedure' },
      { action: 'create', subject: 'Procedure' },
      { action: 'update', subject: 'Procedure' },
      { action: 'read', subject: 'Execution' },
    ],
  },
  runner: {
    description: 'Run procedures and cancel own runs.',
    permissions: [
      { action: 'run', subject: 'Procedure' },
      { action: 'read', subject: 'Execution', ownWhenProjectRestricts: true },
      { action: 'cancel', subject: 'Execution', own: true },
    ],
  },
  approver: {
    description: 'Approve or reject runs and versions.',
    permissions: [
      { action: 'read', subject: 'Procedure' },
      { action: 'read', subject: 'Execution' },
      { action: 'approve', subject: 'Execution' },
      { action: 'approve', subject: 'Procedure' },
    ],
  },
  viewer: {
    description: 'Read procedures and executions.',
    permissions: [
      { action: 'read', subject: 'Project' },
      { action: 'read', subject: 'Procedure' },
      { action: 'read', subject: 'Execution' },
    ],
  },
  auditor: {
    description: 'Read the audit log and history everywhere; change nothing, run nothing.',
    permissions: [
      { action: 'read', subject: 'Project' },
      { action: 'read', subject: 'Procedure' },
      { action: 'read', subject: 'Execution' },
      { action: 'read', subject: 'AuditEvent' },
      { action: 'export', subject: 'AuditEvent' },
      { action: 'read', subject: 'User' },
      { action: 'read', subject: 'Team' },
      { action: 'read', subject: 'Role' },
      { action: 'read', subject: 'RoleBinding' },
    ],
  },
};
