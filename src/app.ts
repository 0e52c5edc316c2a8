// Builds the HTTP application from a container, graphile/starter style: a
// short list of install steps, each concern in its own file under src/http/
// (and the Apollo server with its plugins under src/graphql/), and the
// gateway's stop steps in the container's shutdown registry. It never
// listens by itself; main.ts (or a test) decides where.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Container } from "./container.js";
import { startApolloServer } from "./graphql/server.js";
import { installBodyErrors } from "./http/body-errors.js";
import { installExplorerRoute } from "./http/explorer-route.js";
import { installGraphQLRoute } from "./http/graphql-route.js";
import { installHealthRoutes } from "./http/health.js";
import { createHttpApp, type HttpApp } from "./http/http-app.js";
import { installMetricsRoute } from "./http/metrics-route.js";
import { installAudioRoute } from "./http/audio-route.js";
import { installRequestLog } from "./http/request-log.js";
import type { ServingState } from "./http/serving-state.js";
import { UnsafeStartError } from "./startup-failure.js";

export interface Gateway {
  readonly httpServer: http.Server;
  readonly app: HttpApp;
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Runs the container's shutdown registry: refuses new work, settles clones, drains in-flight requests (up to the grace periods), closes everything. */
  stop(): Promise<void>;
}

export { UnsafeStartError } from "./startup-failure.js";

export async function createGateway(container: Container): Promise<Gateway> {
  const { config, logger } = container;
  // Who may call, decided before serving anything (the key service owns the policy).
  const policy = await container.apiKeys.bootPolicy();
  if (policy.refusal) throw new UnsafeStartError(policy.refusal);

  const app = createHttpApp({
    production: config.env === "production",
    onError: (error) => logger.error({ err: error }, "unexpected error"),
  });
  const httpServer = http.createServer(app.listener);
  const state: ServingState = { stopping: false };

  installRequestLog(app, container);
  installHealthRoutes(app, container, state);
  installMetricsRoute(app, container);
  installAudioRoute(app, container);
  const apollo = await startApolloServer(container, httpServer);
  installGraphQLRoute(app, container, apollo, state);
  // After /graphql, so GraphQL requests never pass its prefix check.
  installExplorerRoute(app, container);
  installBodyErrors(app, container);

  const { shutdown, cloning, speech } = container;
  shutdown.register("refuse new work", () => {
    state.stopping = true;
  });
  // Clones and speech calls share the clone budget, side by side: both are billed once Faseeh has them.
  shutdown.register("settle upstream calls", async () => {
    const [clones, speeches] = await Promise.all([
      cloning.shutdown(config.shutdownCloneGraceMs),
      speech.settle(config.shutdownCloneGraceMs),
    ]);
    if (clones.aborted || clones.finished || clones.abandoned) logger.info(clones, "shutdown: clones settled");
    if (speeches.running)
      logger.warn(
        speeches,
        "shutdown: speech calls still running are cut; nothing is kept, the next identical speak calls again",
      );
  });
  shutdown.register("drain requests", () => apollo.stop()); // closes the listener and drains in-flight requests

  return {
    httpServer,
    app,
    async listen(port, host) {
      const bind = host ?? policy.host(config.host);
      const address = await new Promise<AddressInfo>((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, bind, () => {
          httpServer.off("error", reject);
          resolve(httpServer.address() as AddressInfo);
        });
      });
      if (policy.open) {
        const chosenBy =
          host !== undefined || config.host !== undefined ? "HOST" : bind === undefined ? "ALLOW_ANONYMOUS" : "policy";
        logger.warn({ host: bind ?? "all interfaces" }, policy.openWarning(bind, chosenBy));
      }
      return address;
    },
    stop: () => container.close(),
  };
}
