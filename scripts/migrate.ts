/** `npm run migrate`: applies pending migrations and seeds built-in roles and the first admin. */
import 'reflect-metadata';
import { loadConfigOrExit } from '@switchboard/core';
import { createDataSource, initializeWithRetry, runMigrations, seedEssentials } from '@switchboard/platform';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const dataSource = await initializeWithRetry(createDataSource({ url: config.DATABASE_URL, poolSize: 2, applicationName: 'switchboard-migrate' }));
  const applied = await runMigrations(dataSource);
  process.stdout.write(applied.length > 0 ? `applied migrations: ${applied.join(', ')}\n` : 'schema is up to date\n');
  const seeded = await seedEssentials(dataSource, config);
  if (seeded.adminCreated) {
    process.stdout.write(`created admin user "${config.SWITCHBOARD_ADMIN_USERNAME}"`);
    process.stdout.write(seeded.generatedPassword ? ` with generated password: ${seeded.generatedPassword} (shown once)\n` : ' with the password from SWITCHBOARD_ADMIN_PASSWORD\n');
  }
  await dataSource.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
