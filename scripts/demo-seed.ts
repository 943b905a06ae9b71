import type { DataSource } from 'typeorm';
import { type Actor, type AppConfig, TransactionRunner } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { AccessRepository, CallerAbility } from '@switchboard/access';
import { ProcedureRepository, ProcedureService, ProjectService } from '@switchboard/procedures';

const DEMO_PROJECT = 'demo';

/** The demo project's procedures: one per thing worth trying in the first five minutes. */
export const DEMO_PROCEDURES: string[] = [
  `name: hello-world
description: Says hello in bash. The simplest procedure there is.
parameters:
  name: { type: string, default: world, description: Who to greet }
steps:
  - name: greet
    shell: bash
    run: |
      echo "Hello, $PARAM_NAME!"
      echo "greeted=$PARAM_NAME" >> "$SWITCHBOARD_OUTPUT"
toil_minutes: 1
`,
  `name: python-report
description: Builds a small report in Python from typed parameters and passes a figure to the next step.
parameters:
  environment: { type: string, enum: [staging, production], default: staging, description: Where to report on }
  days: { type: integer, min: 1, max: 90, default: 7, description: How many days back }
  include_errors: { type: boolean, default: true, description: Include the error section }
  ticket: { type: string, pattern: "^[A-Z]+-[0-9]+$", description: "Ticket id, e.g. OPS-123" }
steps:
  - name: report
    shell: python3
    run: |
      import json, os, random
      params = json.load(open(os.environ["SWITCHBOARD_PARAMS"]))
      print(f"Report for {params['environment']} over {params['days']} days")
      total = sum(random.randint(50, 150) for _ in range(params["days"]))
      print(f"requests: {total}")
      if params["include_errors"]:
          print(f"errors: {total // 97}")
      with open(os.environ["SWITCHBOARD_OUTPUT"], "a") as out:
          out.write(f"total={total}\\n")
  - name: summary
    shell: bash
    run: |
      echo "summary: $STEP_REPORT_TOTAL requests (ticket \${PARAM_TICKET:-none})"
toil_minutes: 20
`,
  `name: countdown
description: Counts down one line per second, to watch output live and to try cancel.
parameters:
  seconds: { type: integer, min: 1, max: 3600, default: 30 }
steps:
  - name: count
    shell: bash
    run: |
      for i in $(seq "$PARAM_SECONDS" -1 1); do
        echo "$i…"
        sleep 1
      done
      echo "liftoff"
timeout: 2h
`,
  `name: always-fails
description: Fails on purpose, to see what a failure looks like (and who gets told).
steps:
  - name: try
    shell: bash
    run: |
      echo "checking the thing"
      echo "the thing is broken" >&2
      exit 2
  - name: never-runs
    run: echo "you will not see this"
`,
];

/** Seeds the demo project once; later starts leave it (and any edits) alone. */
export async function seedDemo(dataSource: DataSource, config: AppConfig, say: (line: string) => void): Promise<void> {
  const seeded = (await dataSource.query(`SELECT 1 FROM system_settings WHERE name = 'demo_seeded'`)) as unknown[];
  if (seeded.length > 0) return;
  const [admin] = (await dataSource.query('SELECT id, username FROM users WHERE lower(username) = lower($1)', [config.SWITCHBOARD_ADMIN_USERNAME])) as Array<{ id: string; username: string }>;
  if (!admin) return;
  const tx = new TransactionRunner(dataSource);
  const audit = new AuditWriter();
  const projects = new ProjectService(dataSource, tx, audit);
  const procedures = new ProcedureService(dataSource, tx, audit, projects, new ProcedureRepository(dataSource));
  const actor: Actor = { type: 'system', id: admin.id, name: 'demo-seed' };
  const ability = new CallerAbility(admin.id, await new AccessRepository(dataSource).grantsForUser(admin.id));
  const [found] = (await dataSource.query('SELECT id FROM projects WHERE name = $1', [DEMO_PROJECT])) as Array<{ id: string }>;
  const projectId = found?.id
    ?? (await projects.create(actor, { name: DEMO_PROJECT, description: 'Procedures to try Switchboard with.', requireReview: false, runnersSeeOwnRunsOnly: false })).id;
  for (const source of DEMO_PROCEDURES) {
    const name = /^name: (\S+)/.exec(source)?.[1];
    const exists = (await dataSource.query('SELECT 1 FROM procedures WHERE project_id = $1 AND name = $2', [projectId, name])) as unknown[];
    if (exists.length === 0) await procedures.create(actor, ability, projectId, { body: source, contentType: 'yaml' });
  }
  await dataSource.query(`INSERT INTO system_settings (name, value) VALUES ('demo_seeded', now()::text) ON CONFLICT DO NOTHING`);
  say(`seeded the demo project with ${DEMO_PROCEDURES.length} procedures`);
}
