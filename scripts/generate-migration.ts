/**
 * `npm run migration:generate -- Name`: starts a throw-away PostgreSQL, applies the existing
 * migrations, and writes the SQL that brings the schema to the entities into migrations/.
 * Review the file: functional indexes, triggers and grants are written by hand.
 */
import 'reflect-metadata';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDataSource, runMigrations } from '@switchboard/platform';
import { startPostgres } from './local-stack';

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error('usage: npm run migration:generate -- PascalCaseName');
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-migrate-'));
  chmodSync(dir, 0o711);
  const postgres = await startPostgres({ dir: join(dir, 'pg'), fast: true });
  try {
    const dataSource = await createDataSource({ url: postgres.url, poolSize: 1 }).initialize();
    await runMigrations(dataSource);
    const { upQueries, downQueries } = await dataSource.driver.createSchemaBuilder().log();
    await dataSource.destroy();
    if (upQueries.length === 0) {
      process.stdout.write('no changes: the migrations already match the entities\n');
      return;
    }
    const timestamp = Date.now();
    const quote = (sql: string): string => `    await q.query(\`${sql.replace(/`/g, '\\`').replace(/\$\{/g, '\\${')}\`);`;
    const file = resolve(__dirname, '..', 'migrations', `${timestamp}-${name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.ts`);
    writeFileSync(file, `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name}${timestamp} implements MigrationInterface {
  name = '${name}${timestamp}';

  async up(q: QueryRunner): Promise<void> {
${upQueries.map((query) => quote(query.query)).join('\n')}
  }

  async down(q: QueryRunner): Promise<void> {
${downQueries.reverse().map((query) => quote(query.query)).join('\n')}
  }
}
`);
    process.stdout.write(`wrote ${file}; add it to libs/platform/src/migrations.ts\n`);
  } finally {
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
