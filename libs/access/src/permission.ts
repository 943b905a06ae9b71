/** The vocabulary of access control: what can be done (action) to what (subject). */
export const ACTIONS = ['manage', 'read', 'create', 'update', 'delete', 'run', 'cancel', 'approve', 'review', 'grant', 'export'] as const;
export type Action = (typeof ACTIONS)[number];

export const SUBJECTS = [
  'all', 'Project', 'Procedure', 'Execution', 'User', 'Team', 'Role', 'RoleBinding', 'AuditEvent', 'Secret', 'Channel', 'Token',
] as const;
export type SubjectType = (typeof SUBJECTS)[number];

export interface Permission {
  action: Action;
  subject: SubjectType;
  /** Limits the permission to the caller's own objects (e.g. a runner's own executions). */
  own?: boolean;
  /** Own objects only where the project says so (`runnersSeeOwnRunsOnly`). */
  ownWhenProjectRestricts?: boolean;
}
