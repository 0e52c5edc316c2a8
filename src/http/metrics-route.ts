// Prometheus metrics. They describe traffic and errors, so with METRICS_TOKEN
// set only a scraper holding it may read them; without a token they are open
// outside production and not served in it.
import { timingSafeEqual } from "node:crypto";
import type { Express } from "express";
import type { Container } from "../container.js";

export function installMetricsRoute(
  app: Express,
  { config, metrics, logger }: Pick<Container, "config" | "metrics" | "logger">,
): void {
  const production = config.env === "production";
  const expected = config.metricsToken ? Buffer.from(`Bearer ${config.metricsToken}`) : undefined;
  if (production && !expected) logger.info("/metrics is not served: set METRICS_TOKEN to let Prometheus scrape it");
  app.get("/metrics", async (req, res) => {
    if (expected) {
      const given = Buffer.from(req.header("authorization") ?? "");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res
          .status(401)
          .set("www-authenticate", "Bearer")
          .json({ error: "/metrics needs `Authorization: Bearer <METRICS_TOKEN>`." });
        return;
      }
    } else if (production) {
      res.status(404).json({ error: "/metrics is not served: set METRICS_TOKEN on the gateway." });
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
