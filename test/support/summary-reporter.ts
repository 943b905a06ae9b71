import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/** Prints the one closing line CI reads: `N passed, N failed[, N skipped]`. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of testModules) {
      let failedInModule = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failedInModule += 1;
        else skipped += 1;
      }
      // A file whose hooks or import failed counts as a failure even when its tests passed.
      if (mod.state() === 'failed' && failedInModule === 0) failedInModule = 1;
      failed += failedInModule;
    }
    // Under scripts/run-tests.mjs the counts go to a file and that script prints the one final line.
    const summaryFile = process.env.SWITCHBOARD_TEST_SUMMARY;
    if (summaryFile) {
      writeFileSync(summaryFile, JSON.stringify({ passed, failed, skipped }));
      return;
    }
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
