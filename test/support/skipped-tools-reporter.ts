// Ends the run with one line per reason tests were skipped for a missing
// program of the machine (host-tools.ts sets the reason as the suite's meta):
// "skipped 2 tests: docker-compose is not installed (apt-get install docker-compose)".
import type { Reporter, TestModule } from "vitest/node";

export default class SkippedToolsReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const skipped = new Map<string, number>();
    for (const testModule of testModules) {
      for (const suite of testModule.children.allSuites()) {
        const reason = suite.meta().skippedBecause;
        if (reason === undefined) continue;
        skipped.set(reason, (skipped.get(reason) ?? 0) + [...suite.children.allTests("skipped")].length);
      }
    }
    for (const [reason, count] of skipped) console.log(`skipped ${count} ${count === 1 ? "test" : "tests"}: ${reason}`);
  }
}
