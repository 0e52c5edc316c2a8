// The fixtures a test may use with or without the file's gateway (fixtures.ts
// builds that gateway on these): a fresh database for the test or for the
// file, temporary directories, and gateways the test starts with a
// configuration of its own. Whatever a fixture made is stopped, removed or
// dropped after the test (or the file) that made it, in the reverse order of
// setup: a test's gateways stop before its directories go and its database
// is dropped. A file that needs no file-wide gateway imports `test` from here.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test as base } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../dev/test-database.js";
import { startTestGateway, type TestGateway, type TestGatewayOptions } from "./gateway.js";

export { describe, expect, vi } from "vitest";

/** A fresh, empty PostgreSQL database (no migrations), dropped by `onCleanup`. */
async function freshDatabase(onCleanup: (cleanup: () => Promise<void>) => void): Promise<TestDatabase> {
  const database = await createTestDatabase();
  onCleanup(() => database.drop());
  return database;
}

export const test = base
  // Vitest reads a fixture's dependencies from its first parameter, which must be a destructuring pattern.
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("testDatabase", async ({}, { onCleanup }) => freshDatabase(onCleanup))
  // One database for every test of the file that names it, dropped after the file's last test.
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("fileDatabase", { scope: "file" }, async ({}, { onCleanup }) => freshDatabase(onCleanup))
  // `await makeTempDir("gw-uploads-")`: a new directory under the system's temporary directory.
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("makeTempDir", ({}, { onCleanup }) => {
    const made: string[] = [];
    onCleanup(async () => {
      for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
    });
    return async (prefix: string): Promise<string> => {
      const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
      made.push(dir);
      return dir;
    };
  })
  // `await startGateway({ env: { GRAPHQL_MAX_DEPTH: "3" } })`: a gateway built for this test alone
  // (startTestGateway's options), or a replica on another gateway's database (`testDatabase`).
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("startGateway", ({}, { onCleanup }) => {
    const started: TestGateway[] = [];
    onCleanup(async () => {
      // Every one stops, even when another's stop fails.
      const stopped = await Promise.allSettled(started.splice(0).map((gateway) => gateway.stop()));
      const failed = stopped.find((outcome) => outcome.status === "rejected");
      if (failed) throw failed.reason;
    });
    return async (options: TestGatewayOptions = {}): Promise<TestGateway> => {
      const gateway = await startTestGateway(options);
      started.push(gateway);
      return gateway;
    };
  });
