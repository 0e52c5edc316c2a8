// Prometheus metrics. They describe traffic and errors, so with METRICS_TOKEN
// set only a scraper holding it may read them; without a token they are open
// outside production and not served in it.
import { timingSafeEqual } from "node:crypto";
import type { Container } from "../container.js";
import { headerOf, type HttpApp, sendJson } from "./http-app.js";

export function installMetricsRoute(
  app: HttpApp,
  { config, metrics, logger }: Pick<Container, "config" | "metrics" | "logger">,
): void {
  const production = config.env === "production";
  const expected = config.metricsToken ? Buffer.from(`Bearer ${config.metricsToken}`) : undefined;
  if (production && !expected) logger.info("/metrics is not served: set METRICS_TOKEN to let Prometheus scrape it");
  app.get("/metrics", async (req, res) => {
    if (expected) {
      const given = Buffer.from(headerOf(req, "authorization") ?? "");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        sendJson(
          res,
          401,
          { error: "/metrics needs `Authorization: Bearer <METRICS_TOKEN>`." },
          { "www-authenticate": "Bearer" },
        );
        return;
      }
    } else if (production) {
      sendJson(res, 404, { error: "/metrics is not served: set METRICS_TOKEN on the gateway." });
      return;
    }
    const text = await metrics.registry.metrics();
    res.setHeader("content-type", metrics.registry.contentType);
    res.setHeader("content-length", Buffer.byteLength(text));
    res.end(text);
  });
}
