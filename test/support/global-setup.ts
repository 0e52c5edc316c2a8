// Runs once around the whole suite.
// Setup: checks that the test PostgreSQL server answers (with a message that
// says how to start it), and prepares the directory where every test file
// records the gateway's output and the secrets it was given.
// Teardown: scans all of that output for every secret: the upstream key and
// client keys must never appear in a log line, a response or process output.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { adminUrl } from "../../dev/test-database.js";

export default async function setup(): Promise<() => void> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    throw new Error(
      `The tests need PostgreSQL at ${adminUrl()} (set TEST_DATABASE_URL to use another server). ` +
        `Start it, e.g. 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'. Cause: ${String(error)}`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  const recordDir = mkdtempSync(path.join(os.tmpdir(), "gw-suite-"));
  process.env.GW_SUITE_RECORD_DIR = recordDir; // inherited by the test workers
  return () => {
    try {
      scanForSecrets(recordDir);
    } finally {
      rmSync(recordDir, { recursive: true, force: true });
    }
  };
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
