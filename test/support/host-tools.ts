// Programs of the machine that some tests drive: a browser, docker-compose,
// PostgreSQL's command-line client, curl. `npm test` needs only Node and npm,
// so this is the one place that decides what happens without them:
// - installed: the tests run;
// - missing: the tests are skipped, and the run ends with one line per reason,
//   "skipped N tests: chromium is not installed (apt-get install chromium)"
//   (printed by skipped-tools-reporter.ts from the suite's meta);
// - missing under CI=true: the suite fails, naming what is missing. CI installs
//   all of them (.ci/run), so a skip there would only hide tests.
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

declare module "vitest" {
  interface TaskMeta {
    /** Why the suite's tests were skipped: what is missing and how to install it. */
    skippedBecause?: string;
  }
}

export interface HostTool {
  /** The commands the tests run, all of which must be on PATH. */
  readonly commands: readonly string[];
  /** The Debian package that installs them. */
  readonly debianPackage: string;
}

export const CHROMIUM: HostTool = { commands: ["chromium"], debianPackage: "chromium" };
export const DOCKER_COMPOSE: HostTool = { commands: ["docker-compose"], debianPackage: "docker-compose" };
export const POSTGRESQL_CLIENT: HostTool = { commands: ["createdb", "dropdb"], debianPackage: "postgresql-client" };
export const CURL: HostTool = { commands: ["curl"], debianPackage: "curl" };

/** Where `command` is, as `command -v` would say: the first executable file of that name on PATH. */
export function commandPath(command: string): string | undefined {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => dir !== "")
    .map((dir) => path.join(dir, command))
    .find((file) => {
      try {
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** "chromium is not installed (apt-get install chromium)", or undefined when every tool is there. */
export function missingTools(tools: readonly HostTool[]): string | undefined {
  const missing = tools.filter((tool) => tool.commands.some((command) => commandPath(command) === undefined));
  if (missing.length === 0) return undefined;
  const commands = missing.flatMap((tool) => tool.commands);
  const named = commands.length === 1 ? `${commands[0]} is` : `${commands.slice(0, -1).join(", ")} and ${commands.at(-1)} are`;
  return `${named} not installed (apt-get install ${missing.map((tool) => tool.debianPackage).join(" ")})`;
}

/** `describe` for tests that need programs of the machine: runs, skips or fails as the header says. */
export function describeWithTools(name: string, tools: readonly HostTool[], body: () => void): void {
  const missing = missingTools(tools);
  // The suites below take their caller's title, and the skipped one passes options (its meta) before
  // its body, as Vitest 4 documents: the plugin's valid-title and valid-describe-callback rules want
  // literal titles and a body second. Skipping is this function's purpose, reported at the end of the run.
  /* eslint-disable vitest/valid-title, vitest/valid-describe-callback, vitest/no-disabled-tests */
  if (missing === undefined) {
    describe(name, body);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it(`has ${tools.flatMap((tool) => tool.commands).join(", ")} to run its tests`, () => {
        expect.fail(`${missing}. CI=true: tests that need it fail rather than skip, so CI never hides them.`);
      });
    });
  } else {
    describe(name, { skip: true, meta: { skippedBecause: missing } }, body);
  }
  /* eslint-enable vitest/valid-title, vitest/valid-describe-callback, vitest/no-disabled-tests */
}
