// `npm run reconcile`: imports voices Faseeh created that the catalog did not
// store yet (left in the recovery journal), marks attempts abandoned by a dead
// process as UNKNOWN, frees expired idempotency keys, and prints a JSON report.
// The gateway does the same at boot and every RECOVERY_INTERVAL_MS. With the
// embedded database, run it while the gateway is stopped (PGlite allows one
// process at a time).
import { loadConfig } from "../config.js";
import { createContainer } from "../container.js";

const container = await createContainer(loadConfig(), { recovery: false });
try {
  const report = await container.recovery.reconcile();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = report.remaining > 0 ? 1 : 0;
} finally {
  await container.close();
}
