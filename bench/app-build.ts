import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { transform } from '@swc/core';

const SOURCE_DIRS = ['apps/api/src', 'apps/worker/src', 'libs', 'migrations', 'scripts', 'bench'];

function typeScriptFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') files.push(...typeScriptFiles(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) {
      files.push(path);
    }
  }
  return files;
}

/**
 * Compiles the api, the worker, their libs and the bare worker to CommonJS in `outDir`, with the
 * transform @swc-node/register applies at run time (tsconfig's decorators, metadata, paths). The
 * processes under test then run plain JavaScript as in production (`node dist/…/main.js`) instead
 * of carrying the TypeScript compiler in memory, which makes every fork() of a step slower.
 * Run them with NODE_PATH pointing at the repository's node_modules.
 */
export async function buildApps(root: string, outDir: string): Promise<{ files: number; ms: number }> {
  const startedAt = performance.now();
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
  const paths = Object.fromEntries(Object.entries(tsconfig.compilerOptions.paths).map(([alias, targets]) => [alias, targets.map((t) => resolve(root, t))]));
  const files = SOURCE_DIRS.flatMap((dir) => typeScriptFiles(join(root, dir)));
  await Promise.all(files.map(async (file) => {
    const output = await transform(readFileSync(file, 'utf8'), {
      filename: file,
      swcrc: false,
      isModule: true,
      sourceMaps: false,
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', tsx: false, decorators: true, dynamicImport: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
        keepClassNames: true,
        baseUrl: root,
        paths,
      },
      module: { type: 'commonjs', noInterop: false },
    });
    const target = join(outDir, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output.code);
  }));
  return { files: files.length, ms: Math.round(performance.now() - startedAt) };
}
