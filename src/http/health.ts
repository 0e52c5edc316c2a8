// Liveness and readiness probes. /healthz answers while the process serves
// HTTP; /readyz also asks the database, and says 503 while shutting down so
// a load balancer stops sending new work.
import type { Express } from "express";
import type { Container } from "../container.js";
import { errorMessage } from "../errors.js";
import type { ServingState } from "./serving-state.js";

export function installHealthRoutes(app: Express, { db, logger }: Pick<Container, "db" | "logger">, state: ServingState): void {
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    if (state.stopping) {
      res.status(503).json({ status: "stopping" });
      return;
    }
    try {
      await db.ping(2_000);
      res.json({ status: "ready", database: db.kind });
    } catch (error) {
      logger.warn({ err: errorMessage(error) }, "readiness check failed");
      res.status(503).json({ status: "unavailable", reason: "database unreachable" });
    }
  });
}
