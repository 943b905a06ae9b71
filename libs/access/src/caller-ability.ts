import { AbilityBuilder, createMongoAbility, subject as asSubject, type MongoAbility } from '@casl/ability';
import type { Action, Permission, SubjectType } from './permission';
import type { BindingScopeType } from './role-binding.entity';

type AbilitySubject = SubjectType | ({ __caslSubjectType__?: string } & Record<string, unknown>);
export type AppAbility = MongoAbility<[Action, AbilitySubject]>;

/** One binding of the caller (direct or through a team), with its role's permissions resolved. */
export interface Grant {
  bindingId: string;
  roleName: string;
  scopeType: BindingScopeType;
  scopeId: string | null;
  via: { type: 'user' | 'team'; id: string; name?: string };
  permissions: Permission[];
  /** The scope's project limits runners to their own executions. */
  projectRestrictsRunners?: boolean;
}

/** Whether a permission, as granted by this binding, covers only the caller's own objects. */
export function isOwnOnly(grant: Grant, permission: Permission): boolean {
  return permission.own === true || (permission.ownWhenProjectRestricts === true && grant.projectRestrictsRunners === true);
}

/** Where an action on a subject type is allowed, in a form a SQL query can filter by. */
export interface AccessScope {
  everywhere: boolean;
  projectIds: string[];
  procedureIds: string[];
  /** Scopes where only the caller's own objects are allowed (e.g. a runner's own executions). */
  own: { everywhere: boolean; projectIds: string[]; procedureIds: string[] };
  /** Set by a narrowed token: only these objects, on top of the owner's scope. */
  restrict?: { projectIds: string[]; procedureIds: string[] };
}

/** Attributes of an object that rules match on. Projects carry projectId = id, procedures procedureId = id. */
export interface ObjectAttributes {
  projectId?: string | null;
  procedureId?: string | null;
  ownerId?: string | null;
  [key: string]: unknown;
}

/** The scopes a narrowed token carries. */
export type TokenScopes = ReadonlyArray<{ action: string; subject: string; id?: string }>;

/**
 * What one caller may do, built from their bindings with CASL. A narrowed token intersects the
 * owner's abilities with its scopes, so a token never exceeds its owner's current rights.
 * Immutable once built, so one instance may serve many requests (GrantCache.abilityFor).
 */
export class CallerAbility {
  private readonly ability: AppAbility;
  private readonly tokenAbility: AppAbility | null;
  /**
   * Some rule names one object: a procedure-scoped binding, or a token scope with an id. Without
   * one, two procedures of the same project always get the same answers, so a check on one
   * answers for all of them.
   */
  readonly hasObjectRules: boolean;

  constructor(
    readonly userId: string,
    readonly grants: Grant[],
    readonly tokenScopes: TokenScopes | null = null,
  ) {
    this.ability = buildAbility(userId, grants);
    this.tokenAbility = tokenScopes ? buildTokenAbility(tokenScopes) : null;
    this.hasObjectRules = grants.some((g) => g.scopeType === 'procedure') || (tokenScopes ?? []).some((s) => s.id !== undefined);
  }

  /** May the caller do `action` on some object of this type (type-level check for route guards)? */
  canSomewhere(action: Action, subjectType: SubjectType): boolean {
    return this.ability.can(action, subjectType) && (this.tokenAbility?.can(action, subjectType) ?? true);
  }

  /** May the caller do `action` on this particular object? */
  can(action: Action, subjectType: SubjectType, attributes: ObjectAttributes): boolean {
    const object = asSubject(subjectType, { ...attributes });
    return this.ability.can(action, object) && (this.tokenAbility?.can(action, asSubject(subjectType, { ...attributes })) ?? true);
  }

  get isAdmin(): boolean {
    return this.tokenScopes === null && this.grants.some((g) => g.scopeType === 'global' && g.permissions.some((p) => p.action === 'manage' && p.subject === 'all'));
  }

  /** The SQL-filterable scope of an action on a subject type, intersected with token scopes. */
  scopeFor(action: Action, subjectType: SubjectType): AccessScope {
    const scope: AccessScope = { everywhere: false, projectIds: [], procedureIds: [], own: { everywhere: false, projectIds: [], procedureIds: [] } };
    for (const grant of this.grants) {
      for (const permission of grant.permissions) {
        if (!covers(permission, action, subjectType)) continue;
        const target = isOwnOnly(grant, permission) ? scope.own : scope;
        if (grant.scopeType === 'global') target.everywhere = true;
        else if (grant.scopeType === 'project' && grant.scopeId) target.projectIds.push(grant.scopeId);
        else if (grant.scopeType === 'procedure' && grant.scopeId) target.procedureIds.push(grant.scopeId);
      }
    }
    if (this.tokenScopes) intersectWithToken(scope, this.tokenScopes, action, subjectType);
    return scope;
  }
}

function covers(permission: Permission, action: Action, subjectType: SubjectType): boolean {
  const actionOk = permission.action === action || permission.action === 'manage';
  const subjectOk = permission.subject === subjectType || permission.subject === 'all';
  return actionOk && subjectOk;
}

function scopeConditions(grant: Grant): Record<string, unknown> | null {
  if (grant.scopeType === 'global') return {};
  if (grant.scopeType === 'project') return { projectId: grant.scopeId };
  return { procedureId: grant.scopeId };
}

function buildAbility(userId: string, grants: Grant[]): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  for (const grant of grants) {
    const conditions = scopeConditions(grant);
    if (!conditions) continue;
    for (const permission of grant.permissions) {
      const withOwn = isOwnOnly(grant, permission) ? { ...conditions, ownerId: userId } : conditions;
      if (Object.keys(withOwn).length === 0) can(permission.action, permission.subject);
      else can(permission.action, permission.subject, withOwn);
    }
  }
  return build();
}

function buildTokenAbility(scopes: TokenScopes): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  for (const scope of scopes) {
    const action = scope.action as Action;
    const subjectType = scope.subject as SubjectType;
    if (!scope.id) {
      can(action, subjectType);
      continue;
    }
    // A token narrowed to one object: procedures by procedureId, projects by projectId, others by id.
    const key = subjectType === 'Procedure' ? 'procedureId' : subjectType === 'Project' ? 'projectId' : 'id';
    can(action, subjectType, { [key]: scope.id });
    // Running a procedure implies following the executions of it.
    if (subjectType === 'Procedure' && action === 'run') {
      can('read', 'Execution', { procedureId: scope.id });
      can('cancel', 'Execution', { procedureId: scope.id });
    }
  }
  return build();
}

function intersectWithToken(
  scope: AccessScope,
  tokenScopes: TokenScopes,
  action: Action,
  subjectType: SubjectType,
): void {
  const relevant = tokenScopes.filter((s) => {
    const direct = (s.action === action || s.action === 'manage') && (s.subject === subjectType || s.subject === 'all');
    const implied = s.subject === 'Procedure' && s.action === 'run' && subjectType === 'Execution' && (action === 'read' || action === 'cancel');
    return direct || implied;
  });
  if (relevant.some((s) => !s.id)) return; // the token allows this action wherever its owner may
  // Otherwise the owner's scope still applies, further restricted (AND) to the token's objects.
  scope.restrict = {
    projectIds: relevant.filter((s) => s.subject === 'Project').map((s) => s.id as string),
    procedureIds: relevant.filter((s) => s.subject === 'Procedure').map((s) => s.id as string),
  };
}
