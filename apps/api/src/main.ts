import 'reflect-metadata';
import { loadConfigOrExit } from '@switchboard/core';
import { createApiApp } from './create-api-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createApiApp(config);
  await app.listen({ port: config.PORT, host: config.HOST });
  app.getHttpAdapter().getInstance().log.info({ url: await app.getUrl() }, 'switchboard api listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`switchboard api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
