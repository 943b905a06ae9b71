import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
const DIST = join(ROOT, 'apps', 'web', 'dist');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Builds the web app for the browser tests. Other test runs in the same checkout may be serving
 * apps/web/dist at this very moment, so the build goes to a staging folder first; new (content-
 * hashed) assets are added beside the old ones and index.html is replaced last, in one rename.
 * A page loaded from the previous index.html keeps finding its assets.
 */
export async function buildWebApp(): Promise<void> {
  mkdirSync(DIST, { recursive: true });
  const staging = mkdtempSync(join(DIST, '.staging-'));
  try {
    // The test runner's NODE_ENV=test (and its VITE* variables) would give a development build of React.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITE')));
    await new Promise<void>((done, fail) => {
      const child = spawn(join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', 'apps/web/vite.config.mts', '--outDir', staging, '--emptyOutDir', '--logLevel', 'warn'], {
        cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...env, NODE_ENV: 'production' },
      });
      child.on('error', fail);
      child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`vite build of the web app exited with ${code}`))));
    });
    const built = new Set<string>();
    for (const file of filesUnder(staging)) {
      const name = relative(staging, file);
      if (name === 'index.html') continue;
      built.add(name);
      const target = join(DIST, name);
      if (existsSync(target) && name.startsWith('assets')) continue; // same name, same content
      mkdirSync(join(target, '..'), { recursive: true });
      copyFileSync(file, `${target}.tmp-${process.pid}`);
      renameSync(`${target}.tmp-${process.pid}`, target);
    }
    renameSync(join(staging, 'index.html'), join(DIST, 'index.html'));
    pruneOldAssets(built);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Assets of earlier builds are kept a day for pages still open, then removed. */
function pruneOldAssets(current: Set<string>): void {
  const assets = join(DIST, 'assets');
  if (!existsSync(assets)) return;
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const file of filesUnder(assets)) {
    const name = relative(DIST, file);
    if (!current.has(name) && statSync(file).mtimeMs < dayAgo) rmSync(file, { force: true });
  }
}
