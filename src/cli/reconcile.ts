// `npm run reconcile`: imports voices Faseeh created that the catalog did not
// store yet (left in the recovery journal), marks attempts abandoned by a dead
// process as UNKNOWN, stores voices resolved by hand once their record is
// known, frees expired idempotency keys, and prints a JSON report. The gateway
// does the same at boot and every RECOVERY_INTERVAL_MS.
//
// `npm run reconcile -- resolve <attemptId> --not-created | --voice-id <id>`
// records an operator's verdict on an UNKNOWN attempt, after checking
// Faseeh's own voice list.
//
// With the embedded database, run it while the gateway is stopped (PGlite
// allows one process at a time).
import { parseArgs } from "node:util";
import { createContainer } from "../container.js";
import type { Resolution } from "../services/clone/clone-recovery-service.js";
import { runCli } from "./run-cli.js";

const USAGE = `usage:
  npm run reconcile
  npm run reconcile -- resolve <attemptId> --not-created
  npm run reconcile -- resolve <attemptId> --voice-id <voiceId>`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { "not-created": { type: "boolean", default: false }, "voice-id": { type: "string" } },
  });
} catch (error) {
  fail((error as Error).message);
}
const { positionals, values } = parsed;
const [command, attemptId, ...extra] = positionals;

let resolution: { attemptId: string; verdict: Resolution } | undefined;
if (command === "resolve") {
  if (!attemptId || extra.length > 0) fail("resolve needs exactly one attempt id");
  if (!UUID.test(attemptId)) fail(`not an attempt id: ${attemptId} (attempt ids are UUIDs; see the cloneAttempts query)`);
  const voiceId = values["voice-id"]?.trim();
  if (values["not-created"] === Boolean(voiceId)) fail("resolve needs either --not-created or --voice-id <voiceId>");
  resolution = { attemptId, verdict: voiceId ? { voiceId } : { notCreated: true } };
} else if (command !== undefined || values["not-created"] || values["voice-id"] !== undefined) {
  fail(`unknown command: ${command ?? "(options without resolve)"}`);
}

await runCli(async (config) => {
  const container = await createContainer(config, { role: "npm run reconcile" });
  try {
    if (resolution) {
      const report = await container.recovery.resolve(resolution.attemptId, resolution.verdict);
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    const report = await container.recovery.reconcile();
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report.remaining > 0 ? 1 : 0;
  } finally {
    await container.close();
  }
});
