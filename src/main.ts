// Process entry point: read config, build the container (database +
// migrations), start the background work, serve, and shut down gracefully on
// SIGTERM/SIGINT (the shutdown registry's steps, in their order).
import { createGateway } from "./app.js";
import { startBackgroundWork } from "./background-work.js";
import { type Config, loadConfig } from "./config.js";
import { createContainer } from "./container.js";
import { createLogger, type Logger } from "./logger.js";
import type { Tracing } from "./observability/tracing.js";
import { operatorSentence } from "./startup-failure.js";

/** What the operator can fix is one sentence on stderr and status 1; anything else is a bug and keeps its stack. */
function exitOn(error: unknown, config?: Config): never {
  const sentence = operatorSentence(error, config);
  if (sentence !== undefined) {
    process.stderr.write(`${sentence}\n`);
    process.exit(1);
  }
  createLogger({ logLevel: "info" }).fatal({ err: error }, "gateway failed to start");
  process.exit(1);
}

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    return exitOn(error);
  }
}

/** OpenTelemetry's SDK, imported only when traces are configured (nothing of it is loaded otherwise). */
async function startTracing(settings: Config["tracing"], logger: Logger): Promise<Tracing | undefined> {
  if (!settings) return undefined;
  const { startTracing: start } = await import("./observability/tracing.js");
  return start(settings, logger);
}

async function main(config: Config): Promise<void> {
  const logger = createLogger(config);
  const tracing = await startTracing(config.tracing, logger);
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled promise rejection"));

  const container = await createContainer(config, { logger });
  if (tracing) container.shutdown.register("traces", () => tracing.shutdown(), { warnOnFailure: "exporting traces failed" });
  await startBackgroundWork(container);
  const gateway = await createGateway(container);
  const address = await gateway.listen(config.port, config.host);
  container.db.announce({ port: address.port });
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  logger.info(
    {
      port: address.port,
      address: address.address,
      database: container.db.kind,
      url: `http://${host === "[::]" || host === "0.0.0.0" ? "localhost" : host}:${address.port}/graphql`,
    },
    "gateway listening",
  );
  if (!config.upstream.apiKey) {
    logger.warn("FASEEH_API_KEY is not set: queries work, cloneVoice answers UPSTREAM_NOT_CONFIGURED");
  }

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    // Ctrl-C under `npm start` delivers SIGINT twice (to the terminal's
    // process group, and again forwarded by npm): a repeat must not kill a
    // shutdown that is still storing voices. The hard-exit timer bounds it.
    if (stopping) {
      logger.info({ signal }, "already shutting down");
      return;
    }
    stopping = true;
    logger.info({ signal }, "shutting down: draining in-flight requests");
    // Last resort if draining itself hangs: clones get their budget, requests
    // their grace period (the drain plugin cuts connections at its end).
    setTimeout(
      () => {
        logger.error("shutdown took too long; exiting");
        process.exit(1);
      },
      config.shutdownCloneGraceMs + config.shutdownGraceMs + 5_000,
    ).unref();
    try {
      await gateway.stop();
      logger.info("shutdown complete");
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", (signal) => void shutdown(signal));
  process.on("SIGINT", (signal) => void shutdown(signal));
}

const config = loadConfigOrExit();
main(config).catch((error: unknown) => exitOn(error, config));
