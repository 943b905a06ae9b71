import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, teams, sessions, tokens, roles, bindings and the hash-chained audit log. */
export class IdentityAccessAudit1795624958968 implements MigrationInterface {
  name = 'IdentityAccessAudit1795624958968';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "audit_events" ("seq" bigint NOT NULL, "id" uuid NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor_type" text NOT NULL, "actor_id" uuid, "actor_name" text NOT NULL, "ip" text, "user_agent" text, "token_id" uuid, "request_id" text, "action" text NOT NULL, "resource_type" text, "resource_id" text, "project_id" uuid, "outcome" text NOT NULL, "reason" text, "details" jsonb NOT NULL, "prev_hash" text NOT NULL, "hash" text NOT NULL, CONSTRAINT "audit_events_id_key" UNIQUE ("id"), CONSTRAINT "PK_6e299f5706e715265416fefe53e" PRIMARY KEY ("seq"))`);
    await q.query(`CREATE INDEX "audit_events_outcome_idx" ON "audit_events"  ("outcome", "seq") `);
    await q.query(`CREATE INDEX "audit_events_project_idx" ON "audit_events"  ("project_id", "seq") `);
    await q.query(`CREATE INDEX "audit_events_resource_idx" ON "audit_events"  ("resource_type", "resource_id", "seq") `);
    await q.query(`CREATE INDEX "audit_events_action_idx" ON "audit_events"  ("action", "seq") `);
    await q.query(`CREATE INDEX "audit_events_actor_idx" ON "audit_events"  ("actor_id", "seq") `);
    await q.query(`CREATE INDEX "audit_events_occurred_at_idx" ON "audit_events"  ("occurred_at") `);
    await q.query(`CREATE TABLE "audit_chain_head" ("id" integer NOT NULL, "last_seq" bigint NOT NULL, "last_hash" text NOT NULL, CONSTRAINT "audit_chain_head_single_row" CHECK (id = 1), CONSTRAINT "PK_9211408bf584034de409b1bbec5" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "roles" ("name" text NOT NULL, "description" text NOT NULL DEFAULT '', "permissions" jsonb NOT NULL, "is_built_in" boolean NOT NULL DEFAULT false, CONSTRAINT "PK_648e3f5447f725579d7d4ffdfb7" PRIMARY KEY ("name"))`);
    await q.query(`CREATE TABLE "role_bindings" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subject_type" text NOT NULL, "subject_id" uuid NOT NULL, "role_name" text NOT NULL, "scope_type" text NOT NULL, "scope_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "created_by" uuid, CONSTRAINT "role_bindings_scope_type_check" CHECK (scope_type IN ('global', 'project', 'procedure')), CONSTRAINT "role_bindings_subject_type_check" CHECK (subject_type IN ('user', 'team')), CONSTRAINT "role_bindings_scope_check" CHECK ((scope_type = 'global') = (scope_id IS NULL)), CONSTRAINT "PK_75acd622be13220fadd56bfdfbe" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "role_bindings_subject_idx" ON "role_bindings"  ("subject_type", "subject_id") `);
    await q.query(`CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "username" text NOT NULL, "display_name" text NOT NULL, "email" text, "password_hash" text, "is_service_account" boolean NOT NULL DEFAULT false, "disabled" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "teams" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "description" text NOT NULL DEFAULT '', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "teams_name_key" UNIQUE ("name"), CONSTRAINT "PK_7e5523774a38b08a6236d322403" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "team_members" ("team_id" uuid NOT NULL, "user_id" uuid NOT NULL, "added_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1d3c06a8217a8785e2af0ec4ab8" PRIMARY KEY ("team_id", "user_id"))`);
    await q.query(`CREATE INDEX "team_members_user_idx" ON "team_members"  ("user_id") `);
    await q.query(`CREATE TABLE "sessions" ("id_hash" text NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ip" text, "user_agent" text, CONSTRAINT "PK_5dda86a77da1e1e37e690a45996" PRIMARY KEY ("id_hash"))`);
    await q.query(`CREATE INDEX "sessions_user_idx" ON "sessions"  ("user_id") `);
    await q.query(`CREATE TABLE "api_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "name" text NOT NULL, "token_hash" text NOT NULL, "prefix" text NOT NULL, "scopes" jsonb, "expires_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "api_tokens_token_hash_key" UNIQUE ("token_hash"), CONSTRAINT "PK_c587455266b5fa8dace7194caac" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "api_tokens_user_idx" ON "api_tokens"  ("user_id") `);
    await q.query(`ALTER TABLE "role_bindings" ADD CONSTRAINT "role_bindings_role_fk" FOREIGN KEY ("role_name") REFERENCES "roles"("name") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "team_members" ADD CONSTRAINT "team_members_team_fk" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "team_members" ADD CONSTRAINT "team_members_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // Written by hand: what entities cannot express.
    await q.query(`CREATE UNIQUE INDEX "users_username_key" ON "users" (lower("username"))`);
    await q.query(`INSERT INTO "audit_chain_head" ("id", "last_seq", "last_hash") VALUES (1, 0, repeat('0', 64))`);
    // Append-only audit log: refuse edits and deletions whatever role asks. A superuser who
    // disables the trigger is still caught by the hash chain.
    await q.query(`CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only';
      END $$`);
    await q.query(`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON "audit_events" FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER audit_events_no_truncate ON "audit_events"`);
    await q.query(`DROP TRIGGER audit_events_append_only ON "audit_events"`);
    await q.query(`DROP FUNCTION audit_events_refuse_change()`);
    await q.query(`DROP INDEX "users_username_key"`);
    await q.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "api_tokens_user_fk"`);
    await q.query(`ALTER TABLE "sessions" DROP CONSTRAINT "sessions_user_fk"`);
    await q.query(`ALTER TABLE "team_members" DROP CONSTRAINT "team_members_user_fk"`);
    await q.query(`ALTER TABLE "team_members" DROP CONSTRAINT "team_members_team_fk"`);
    await q.query(`ALTER TABLE "role_bindings" DROP CONSTRAINT "role_bindings_role_fk"`);
    await q.query(`DROP INDEX "public"."api_tokens_user_idx"`);
    await q.query(`DROP TABLE "api_tokens"`);
    await q.query(`DROP INDEX "public"."sessions_user_idx"`);
    await q.query(`DROP TABLE "sessions"`);
    await q.query(`DROP INDEX "public"."team_members_user_idx"`);
    await q.query(`DROP TABLE "team_members"`);
    await q.query(`DROP TABLE "teams"`);
    await q.query(`DROP TABLE "users"`);
    await q.query(`DROP INDEX "public"."role_bindings_subject_idx"`);
    await q.query(`DROP TABLE "role_bindings"`);
    await q.query(`DROP TABLE "roles"`);
    await q.query(`DROP TABLE "audit_chain_head"`);
    await q.query(`DROP INDEX "public"."audit_events_occurred_at_idx"`);
    await q.query(`DROP INDEX "public"."audit_events_actor_idx"`);
    await q.query(`DROP INDEX "public"."audit_events_action_idx"`);
    await q.query(`DROP INDEX "public"."audit_events_resource_idx"`);
    await q.query(`DROP INDEX "public"."audit_events_project_idx"`);
    await q.query(`DROP INDEX "public"."audit_events_outcome_idx"`);
    await q.query(`DROP TABLE "audit_events"`);
  }
}
