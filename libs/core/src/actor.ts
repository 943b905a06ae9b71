/** The caller of a domain operation. Domain services take it explicitly, never from globals. */
export type ActorType = 'user' | 'token' | 'schedule' | 'webhook' | 'system' | 'anonymous';

export interface Actor {
  type: ActorType;
  /** user id for users and tokens; null for system and anonymous callers */
  id: string | null;
  name: string;
  tokenId?: string | null;
  /** Token scope narrowing, if the caller authenticated with a narrowed token. */
  tokenScopes?: ReadonlyArray<{ action: string; subject: string; id?: string }> | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, name: 'system' };
