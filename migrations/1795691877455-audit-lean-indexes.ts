import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every audit event was written into eleven B-trees. Three of those entries bought nothing:
 * - audit_events_action_idx (action, seq) duplicates audit_events_action_prefix_idx (action
 *   text_pattern_ops, seq), which serves `action = $1` too: `=` belongs to that operator class.
 * - audit_events_actor_idx held every event without an actor id (workers, the system), which a
 *   filter `actor_id = $1` never matches.
 * - audit_events_outcome_idx held every succeeded event, most of the log; a page of them is dense
 *   in seq order and is read from the primary key.
 * A trivial execution writes three events, so this is 7–9 fewer index entries (and WAL records)
 * per run, and about 0.9 GB less index per 10 M events (bench/AUDIT.md, 1 M events). The indexes
 * are built in this migration's transaction: on a large log, plan for the time of two index
 * builds (about 10 s each per 10 M events in bench/AUDIT.md).
 */
export class AuditLeanIndexes1795691877455 implements MigrationInterface {
  name = 'AuditLeanIndexes1795691877455';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."audit_events_action_idx"`);
    await q.query(`DROP INDEX "public"."audit_events_actor_idx"`);
    await q.query(`CREATE INDEX "audit_events_actor_idx" ON "audit_events" ("actor_id", "seq") WHERE actor_id IS NOT NULL`);
    await q.query(`DROP INDEX "public"."audit_events_outcome_idx"`);
    await q.query(`CREATE INDEX "audit_events_outcome_idx" ON "audit_events" ("outcome", "seq") WHERE outcome <> 'succeeded'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."audit_events_outcome_idx"`);
    await q.query(`CREATE INDEX "audit_events_outcome_idx" ON "audit_events" ("outcome", "seq")`);
    await q.query(`DROP INDEX "public"."audit_events_actor_idx"`);
    await q.query(`CREATE INDEX "audit_events_actor_idx" ON "audit_events" ("actor_id", "seq")`);
    await q.query(`CREATE INDEX "audit_events_action_idx" ON "audit_events" ("action", "seq")`);
  }
}
