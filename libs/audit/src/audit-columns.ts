/**
 * The columns of an event as they are hashed, exported and shown, from `audit_events e` and
 * `audit_seals s` (LEFT JOINed: an event is unsealed for a moment after it commits). occurred_at
 * is formatted in SQL, in milliseconds, so hashing and every reader see the same text.
 */
export const EVENT_COLUMNS = `e.seq::text AS "seq", e.id, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt",
  e.actor_type AS "actorType", e.actor_id AS "actorId", e.actor_name AS "actorName", e.ip, e.user_agent AS "userAgent", e.token_id AS "tokenId",
  e.request_id AS "requestId", e.action, e.resource_type AS "resourceType", e.resource_id AS "resourceId", e.project_id AS "projectId",
  e.outcome, e.reason, e.details`;

export const SEAL_COLUMNS = `s.chain_seq::text AS "chainSeq", s.prev_hash AS "prevHash", s.hash`;
