import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit chain is sealed after commit instead of inside every writer's transaction: writers
 * no longer queue on one locked head row. Events take their seq from a sequence and record their
 * transaction id; the chain links (prev_hash, hash) move to the insert-only audit_seals table,
 * keyed by a gap-free chain position. Existing links move over unchanged: their hashes covered
 * the same fields, and their chain position is their old gap-free seq.
 */
export class AuditSealer1795636291346 implements MigrationInterface {
  name = 'AuditSealer1795636291346';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "audit_seals" ("chain_seq" bigint NOT NULL, "event_seq" bigint NOT NULL, "prev_hash" text NOT NULL, "hash" text NOT NULL, "sealed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "audit_seals_event_seq_key" UNIQUE ("event_seq"), CONSTRAINT "PK_1d81cafbf8a251af8033a3d3cfa" PRIMARY KEY ("chain_seq"))`);
    await q.query(`INSERT INTO "audit_seals" ("chain_seq", "event_seq", "prev_hash", "hash", "sealed_at") SELECT "seq", "seq", "prev_hash", "hash", "occurred_at" FROM "audit_events" ORDER BY "seq"`);
    await q.query(`ALTER TABLE "audit_events" DROP COLUMN "prev_hash"`);
    await q.query(`ALTER TABLE "audit_events" DROP COLUMN "hash"`);
    await q.query(`ALTER TABLE "audit_chain_head" ADD "last_chain_seq" bigint NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "audit_chain_head" ADD "last_xid" bigint NOT NULL DEFAULT '0'`);
    await q.query(`UPDATE "audit_chain_head" SET "last_chain_seq" = "last_seq"`);
    await q.query(`ALTER TABLE "audit_chain_head" DROP COLUMN "last_occurred_at"`);
    // Existing events all belong to the sealed chain: xid 0 puts them before every new one.
    await q.query(`ALTER TABLE "audit_events" ADD "xid" bigint NOT NULL DEFAULT '0'`);
    // A function, so the default reads back as written (TypeORM compares it with the entity).
    await q.query(`CREATE FUNCTION audit_current_xid() RETURNS bigint LANGUAGE sql VOLATILE AS 'SELECT pg_current_xact_id()::text::bigint'`);
    await q.query(`ALTER TABLE "audit_events" ALTER COLUMN "xid" SET DEFAULT audit_current_xid()`);
    await q.query(`CREATE SEQUENCE IF NOT EXISTS "audit_events_seq_seq" OWNED BY "audit_events"."seq"`);
    await q.query(`SELECT setval('"audit_events_seq_seq"', COALESCE((SELECT max("seq") FROM "audit_events"), 0) + 1, false)`);
    await q.query(`ALTER TABLE "audit_events" ALTER COLUMN "seq" SET DEFAULT nextval('"audit_events_seq_seq"')`);
    await q.query(`CREATE INDEX "audit_events_chain_order_idx" ON "audit_events"  ("xid", "seq") `);
    // Written by hand: seals are append-only too, with the same trigger function.
    await q.query(`CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
      END $$`);
    await q.query(`CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON "audit_seals" FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON "audit_seals" FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER audit_seals_no_truncate ON "audit_seals"`);
    await q.query(`DROP TRIGGER audit_seals_append_only ON "audit_seals"`);
    await q.query(`DROP INDEX "public"."audit_events_chain_order_idx"`);
    await q.query(`ALTER TABLE "audit_events" ALTER COLUMN "seq" DROP DEFAULT`);
    await q.query(`DROP SEQUENCE "audit_events_seq_seq"`);
    await q.query(`ALTER TABLE "audit_events" DROP COLUMN "xid"`);
    await q.query(`DROP FUNCTION audit_current_xid()`);
    await q.query(`ALTER TABLE "audit_chain_head" ADD "last_occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT '-infinity'`);
    await q.query(`ALTER TABLE "audit_chain_head" DROP COLUMN "last_xid"`);
    await q.query(`ALTER TABLE "audit_chain_head" DROP COLUMN "last_chain_seq"`);
    // Events written after the upgrade have gappy seqs and may be unsealed: a downgrade cannot
    // rebuild the old gap-free chain, so it keeps the links it has and leaves the rest empty.
    await q.query(`ALTER TABLE "audit_events" ADD "hash" text`);
    await q.query(`ALTER TABLE "audit_events" ADD "prev_hash" text`);
    await q.query(`ALTER TABLE "audit_events" DISABLE TRIGGER audit_events_append_only`);
    await q.query(`UPDATE "audit_events" e SET "prev_hash" = s."prev_hash", "hash" = s."hash" FROM "audit_seals" s WHERE s."event_seq" = e."seq"`);
    await q.query(`ALTER TABLE "audit_events" ENABLE TRIGGER audit_events_append_only`);
    await q.query(`DROP TABLE "audit_seals"`);
  }
}
