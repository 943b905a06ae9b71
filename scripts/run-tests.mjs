#!/usr/bin/env node
// `npm test`: static checks (typecheck, lint, dependency rules), then every unit and end-to-end test
// in one vitest run. Always ends with the single line CI reads: `N passed, N failed[, N skipped]`,
// where each static check counts as one test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = (name) => join(process.cwd(), 'node_modules', '.bin', name);
const checks = [
  ['typecheck', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']],
  ['web typecheck', bin('tsc'), ['--noEmit', '-p', 'apps/web/tsconfig.json']],
  ['lint', bin('eslint'), ['--max-warnings', '0', '.']],
  ['dependency rules', bin('depcruise'), ['--config', '.dependency-cruiser.cjs', 'apps', 'libs', 'scripts']],
];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const [name, command, args] of checks) {
  process.stdout.write(`\n▶ ${name}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status === 0) passed += 1;
  else {
    failed += 1;
    process.stdout.write(`✗ ${name} failed\n`);
  }
}
const dir = mkdtempSync(join(tmpdir(), 'switchboard-summary-'));
const summaryFile = join(dir, 'summary.json');
process.stdout.write('\n▶ tests\n');
const tests = spawnSync(bin('vitest'), ['run', ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, SWITCHBOARD_TEST_SUMMARY: summaryFile } });
try {
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  passed += summary.passed;
  failed += summary.failed;
  skipped += summary.skipped;
} catch {
  failed += 1; // vitest did not get as far as reporting
}
if (tests.status !== 0 && failed === 0) failed += 1;
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 ? 1 : 0);
