// The gateway's background work, started by main.ts once the container is
// built (and by the test harness as main does), never by the container: the
// recovery pass at boot and then periodically, and the preview and speech
// sweeps. Their timers stop at the container's "preview timers" and "recovery
// passes" steps.
import type { Container } from "./container.js";
import { errorMessage } from "./errors.js";

export async function startBackgroundWork({ recovery, previews, speech, logger }: Container): Promise<void> {
  // Voices a previous run could not store are imported before serving.
  await recovery.reconcile().catch((error: unknown) => logger.error({ err: errorMessage(error) }, "recovery at boot failed"));
  recovery.start();
  previews.start();
  speech.start();
}
