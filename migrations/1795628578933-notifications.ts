import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Notification channels per project and one delivery row per event and target. */
export class Notifications1795628578933 implements MigrationInterface {
  name = 'Notifications1795628578933';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "notification_channels" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "name" text NOT NULL, "type" text NOT NULL, "config" jsonb NOT NULL, "sealed_secrets" text, "events" text array NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3bc0cb5b60e8659f5fc859b2af0" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "notification_channels_name_key" ON "notification_channels"  ("project_id", "name") `);
    await q.query(`CREATE TABLE "notification_deliveries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "event_key" text NOT NULL, "event_type" text NOT NULL, "target_key" text NOT NULL, "channel_id" uuid, "channel_type" text NOT NULL, "target" text NOT NULL, "project_id" uuid NOT NULL, "procedure_id" uuid, "execution_id" uuid, "status" text NOT NULL, "attempts" jsonb NOT NULL DEFAULT '[]', "message" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_81daeff81f237bd384f7cfc4a4c" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "notification_deliveries_project_idx" ON "notification_deliveries"  ("project_id", "created_at") `);
    await q.query(`CREATE INDEX "notification_deliveries_execution_idx" ON "notification_deliveries"  ("execution_id", "created_at") `);
    await q.query(`CREATE UNIQUE INDEX "notification_deliveries_once_key" ON "notification_deliveries"  ("event_key", "target_key") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."notification_deliveries_once_key"`);
    await q.query(`DROP INDEX "public"."notification_deliveries_execution_idx"`);
    await q.query(`DROP INDEX "public"."notification_deliveries_project_idx"`);
    await q.query(`DROP TABLE "notification_deliveries"`);
    await q.query(`DROP INDEX "public"."notification_channels_name_key"`);
    await q.query(`DROP TABLE "notification_channels"`);
  }
}
