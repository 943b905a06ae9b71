import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Projects, procedures with immutable versions, executions with their logs, worker heartbeats. */
export class ProceduresExecutions1795625440733 implements MigrationInterface {
  name = 'ProceduresExecutions1795625440733';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "projects" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "description" text NOT NULL DEFAULT '', "require_review" boolean NOT NULL DEFAULT false, "runners_see_own_runs_only" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6271df0a7aed1d6c0691ce6ac50" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "projects_name_key" ON "projects"  ("name") `);
    await q.query(`CREATE TABLE "procedures" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "name" text NOT NULL, "description" text NOT NULL DEFAULT '', "active_version_id" uuid, "active_version" integer, "latest_version" integer NOT NULL DEFAULT '0', "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_e7775bab78f27b4c47580b6cb4b" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "procedures_name_idx" ON "procedures"  ("name") `);
    await q.query(`CREATE UNIQUE INDEX "procedures_project_name_key" ON "procedures"  ("project_id", "name") WHERE archived_at IS NULL`);
    await q.query(`CREATE TABLE "procedure_versions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "procedure_id" uuid NOT NULL, "version" integer NOT NULL, "status" text NOT NULL, "definition" jsonb NOT NULL, "source" text NOT NULL, "parameter_schema" jsonb NOT NULL, "created_by" uuid, "created_by_name" text NOT NULL DEFAULT '', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "decided_by" uuid, "decided_at" TIMESTAMP WITH TIME ZONE, "decision_comment" text, CONSTRAINT "PK_669076d9137ea3e868b952b9afd" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "procedure_versions_number_key" ON "procedure_versions"  ("procedure_id", "version") `);
    await q.query(`CREATE TABLE "executions" ("id" uuid NOT NULL, "procedure_id" uuid NOT NULL, "project_id" uuid NOT NULL, "version_id" uuid NOT NULL, "version" integer NOT NULL, "status" text NOT NULL, "status_reason" text, "params" jsonb NOT NULL, "secret_params" text, "trigger" text NOT NULL, "triggered_by" uuid, "triggered_by_name" text NOT NULL, "rerun_of" uuid, "worker_group" text NOT NULL, "worker_id" text, "attempt" integer NOT NULL DEFAULT '0', "queued_at" TIMESTAMP WITH TIME ZONE NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "cancel_requested_at" TIMESTAMP WITH TIME ZONE, "cancel_requested_by" text, "steps" jsonb NOT NULL DEFAULT '[]', "outputs" jsonb NOT NULL DEFAULT '{}', "log_seq" integer NOT NULL DEFAULT '0', "log_bytes" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_703e64e0ef651986191844b7b8b" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "executions_active_idx" ON "executions"  ("status", "procedure_id") WHERE status IN ('pending_approval', 'queued', 'running')`);
    await q.query(`CREATE INDEX "executions_queued_at_idx" ON "executions"  ("queued_at") `);
    await q.query(`CREATE INDEX "executions_triggered_by_idx" ON "executions"  ("triggered_by", "queued_at") `);
    await q.query(`CREATE INDEX "executions_project_idx" ON "executions"  ("project_id", "queued_at") `);
    await q.query(`CREATE INDEX "executions_procedure_idx" ON "executions"  ("procedure_id", "queued_at") `);
    await q.query(`CREATE TABLE "execution_logs" ("execution_id" uuid NOT NULL, "seq" integer NOT NULL, "ts" TIMESTAMP WITH TIME ZONE NOT NULL, "stream" text NOT NULL, "step" text, "text" text NOT NULL, CONSTRAINT "PK_c3de91a7f97db502ac8d191c54d" PRIMARY KEY ("execution_id", "seq"))`);
    await q.query(`CREATE TABLE "workers" ("id" text NOT NULL, "hostname" text NOT NULL, "pid" integer NOT NULL, "groups" text array NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "stopped_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_e950c9aba3bd84a4f193058d838" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "system_settings" ("name" text NOT NULL, "value" text NOT NULL, CONSTRAINT "PK_d84ee5f84de5ee796955c83618f" PRIMARY KEY ("name"))`);
    await q.query(`ALTER TABLE "procedures" ADD CONSTRAINT "procedures_project_fk" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "procedure_versions" ADD CONSTRAINT "procedure_versions_procedure_fk" FOREIGN KEY ("procedure_id") REFERENCES "procedures"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "executions" ADD CONSTRAINT "executions_procedure_fk" FOREIGN KEY ("procedure_id") REFERENCES "procedures"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "executions" ADD CONSTRAINT "executions_version_fk" FOREIGN KEY ("version_id") REFERENCES "procedure_versions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "executions" DROP CONSTRAINT "executions_version_fk"`);
    await q.query(`ALTER TABLE "executions" DROP CONSTRAINT "executions_procedure_fk"`);
    await q.query(`ALTER TABLE "procedure_versions" DROP CONSTRAINT "procedure_versions_procedure_fk"`);
    await q.query(`ALTER TABLE "procedures" DROP CONSTRAINT "procedures_project_fk"`);
    await q.query(`DROP TABLE "system_settings"`);
    await q.query(`DROP TABLE "workers"`);
    await q.query(`DROP TABLE "execution_logs"`);
    await q.query(`DROP INDEX "public"."executions_procedure_idx"`);
    await q.query(`DROP INDEX "public"."executions_project_idx"`);
    await q.query(`DROP INDEX "public"."executions_triggered_by_idx"`);
    await q.query(`DROP INDEX "public"."executions_queued_at_idx"`);
    await q.query(`DROP INDEX "public"."executions_active_idx"`);
    await q.query(`DROP TABLE "executions"`);
    await q.query(`DROP INDEX "public"."procedure_versions_number_key"`);
    await q.query(`DROP TABLE "procedure_versions"`);
    await q.query(`DROP INDEX "public"."procedures_project_name_key"`);
    await q.query(`DROP INDEX "public"."procedures_name_idx"`);
    await q.query(`DROP TABLE "procedures"`);
    await q.query(`DROP INDEX "public"."projects_name_key"`);
    await q.query(`DROP TABLE "projects"`);
  }
}
