import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Audit log at scale: actor-name and action-prefix indexes; events stamped in sequence order. */
export class AuditScale1795631846008 implements MigrationInterface {
  name = 'AuditScale1795631846008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_chain_head" ADD "last_occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT '-infinity'`);
    await q.query(`CREATE INDEX "audit_events_actor_name_idx" ON "audit_events"  ("actor_name", "seq") `);
    // Written by hand: an operator class entities cannot express. Serves action-prefix filters (procedure.*).
    await q.query(`CREATE INDEX "audit_events_action_prefix_idx" ON "audit_events" ("action" text_pattern_ops, "seq")`);
    await q.query(`UPDATE "audit_chain_head" SET "last_occurred_at" = COALESCE((SELECT max("occurred_at") FROM "audit_events"), '-infinity')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."audit_events_action_prefix_idx"`);
    await q.query(`DROP INDEX "public"."audit_events_actor_name_idx"`);
    await q.query(`ALTER TABLE "audit_chain_head" DROP COLUMN "last_occurred_at"`);
  }
}
