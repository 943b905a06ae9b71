import { CallerAbility, type Grant, isOwnOnly, type ObjectAttributes } from './caller-ability';
import type { Action, SubjectType } from './permission';

export interface Explanation {
  allowed: boolean;
  action: Action;
  subject: SubjectType;
  attributes: ObjectAttributes | null;
  /** The bindings and rules that allow it (empty when denied). */
  decidedBy: Array<{ bindingId: string; role: string; scope: { type: string; id: string | null }; via: Grant['via']; rule: string }>;
  reason: string;
}

/**
 * Answers "may this user do this, and why?" with the same abilities the guards use, naming the
 * bindings whose rules allow it: access rules a person can read.
 */
export function explainAccess(userId: string, grants: Grant[], action: Action, subject: SubjectType, attributes: ObjectAttributes | null): Explanation {
  const overall = new CallerAbility(userId, grants);
  const allowed = attributes ? overall.can(action, subject, attributes) : overall.canSomewhere(action, subject);
  const decidedBy: Explanation['decidedBy'] = [];
  for (const grant of grants) {
    const single = new CallerAbility(userId, [grant]);
    const grantAllows = attributes ? single.can(action, subject, attributes) : single.canSomewhere(action, subject);
    if (!grantAllows) continue;
    const permission = grant.permissions.find((p) => (p.action === action || p.action === 'manage') && (p.subject === subject || p.subject === 'all'));
    decidedBy.push({
      bindingId: grant.bindingId, role: grant.roleName, scope: { type: grant.scopeType, id: grant.scopeId }, via: grant.via,
      rule: permission ? `${permission.action} ${permission.subject}${isOwnOnly(grant, permission) ? ' (own only)' : ''} at ${grant.scopeType} scope` : 'rule',
    });
  }
  const reason = allowed
    ? `allowed by ${decidedBy.map((d) => `role ${d.role} (${d.via.type} binding at ${d.scope.type} scope)`).join(', ')}`
    : grants.length === 0
      ? 'denied: the user has no role bindings'
      : `denied: none of the user's ${grants.length} binding(s) grants ${action} on ${subject}${attributes ? ' for this object' : ''}`;
  return { allowed, action, subject, attributes, decidedBy, reason };
}
