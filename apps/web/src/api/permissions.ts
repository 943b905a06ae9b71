import type { PermissionsView } from './types';

/** Where an ability is asked about: a project, a procedure, or nowhere in particular ("somewhere"). */
export interface AccessTarget {
  projectId?: string;
  procedureId?: string;
  /** For own-only grants (a runner cancelling a run): whether the object is the caller's. Unknown counts as yes. */
  ownedByCaller?: boolean;
}

function covers(scope: { everywhere: boolean; projectIds: string[]; procedureIds: string[] }, target: AccessTarget): boolean {
  return scope.everywhere
    || (target.projectId !== undefined && scope.projectIds.includes(target.projectId))
    || (target.procedureId !== undefined && scope.procedureIds.includes(target.procedureId));
}

/**
 * Whether the UI should offer an action. This only hides what would be refused: the server
 * still decides every request. Own-only grants (a runner's own runs) count only for the
 * caller's own objects, when the target says whose it is.
 */
export function can(view: PermissionsView | undefined, action: string, subject: string, target?: AccessTarget): boolean {
  if (!view) return false;
  if (view.isAdmin) return true;
  return view.permissions.some((permission) => {
    if (permission.action !== action || permission.subject !== subject) return false;
    if (!target) return true;
    if (covers(permission.scope, target)) return true;
    return permission.scope.own !== undefined && covers(permission.scope.own, target) && target.ownedByCaller !== false;
  });
}
