import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Run approvals: decisions per execution, how many are required, and when the request expires. */
export class SeparationOfDuties1795628028499 implements MigrationInterface {
  name = 'SeparationOfDuties1795628028499';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "execution_approvals" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "execution_id" uuid NOT NULL, "decided_by" uuid NOT NULL, "decided_by_name" text NOT NULL, "decision" text NOT NULL, "comment" text, "decided_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b96428a2a765142fcfcc7f91c92" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "execution_approvals_once_key" ON "execution_approvals"  ("execution_id", "decided_by") `);
    await q.query(`ALTER TABLE "executions" ADD "approvals_required" integer NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "executions" ADD "approval_expires_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "execution_approvals" ADD CONSTRAINT "execution_approvals_execution_fk" FOREIGN KEY ("execution_id") REFERENCES "executions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "execution_approvals" DROP CONSTRAINT "execution_approvals_execution_fk"`);
    await q.query(`ALTER TABLE "executions" DROP COLUMN "approval_expires_at"`);
    await q.query(`ALTER TABLE "executions" DROP COLUMN "approvals_required"`);
    await q.query(`DROP INDEX "public"."execution_approvals_once_key"`);
    await q.query(`DROP TABLE "execution_approvals"`);
  }
}
