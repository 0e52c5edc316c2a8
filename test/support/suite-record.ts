// Collects, across every test file of a run, what the gateway said (log
// lines, responses, child process output) and the secrets it was given, so
// that global teardown can prove no secret ever leaked (test/support/global-setup.ts).
// Workers append to files in a directory that global setup creates.
import { appendFileSync } from "node:fs";
import path from "node:path";

const dir = () => process.env.GW_SUITE_RECORD_DIR;

export function recordOutput(source: string, text: string): void {
  const target = dir();
  if (!target || !text) return;
  appendFileSync(path.join(target, `output-${process.pid}.ndjson`), `${JSON.stringify({ source, text })}\n`);
}

export function recordSecret(secret: string): void {
  const target = dir();
  if (!target || !secret) return;
  appendFileSync(path.join(target, `secrets-${process.pid}.txt`), `${secret}\n`);
}
