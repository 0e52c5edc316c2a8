// Liveness and readiness probes. /healthz answers while the process serves
// HTTP; /readyz also asks the database, and says 503 while shutting down so
// a load balancer stops sending new work.
import type { Container } from "../container.js";
import { errorMessage } from "../errors.js";
import { type HttpApp, sendJson } from "./http-app.js";
import type { ServingState } from "./serving-state.js";

export function installHealthRoutes(app: HttpApp, { db, logger }: Pick<Container, "db" | "logger">, state: ServingState): void {
  app.get("/healthz", (_req, res) => {
    sendJson(res, 200, { status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    if (state.stopping) {
      sendJson(res, 503, { status: "stopping" });
      return;
    }
    try {
      await db.ping(2_000);
      sendJson(res, 200, { status: "ready", database: db.kind });
    } catch (error) {
      logger.warn({ err: errorMessage(error) }, "readiness check failed");
      sendJson(res, 503, { status: "unavailable", reason: "database unreachable" });
    }
  });
}
