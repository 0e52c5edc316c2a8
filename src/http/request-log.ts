// The request id and the one log line per request, plus the request duration
// metric. The line says who called, which operation, and how it ended; the
// request's report (context.ts) is filled by the GraphQL layer while it runs.
// Only these named fields are logged, never the request or response objects,
// so no header (and no client key) can reach a log line.
//
// Written by hand rather than with pino-http: pino-http makes a child logger
// for every request, and measured with bench/profile-catalog.sh it cost about
// 5% more server CPU per catalog read than these lines with a child logger
// made only when something logs (BENCHMARKS.md, "Request log").
import { randomUUID } from "node:crypto";
import type { RequestReport } from "../context.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { HttpApp, HttpRequest, HttpResponse } from "./http-app.js";

const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** Paths served under a prefix rather than by one route: each is its own label. */
const MOUNTS = ["/graphql", "/explorer"];

export function installRequestLog(app: HttpApp, { logger, metrics }: { logger: Logger; metrics: Metrics }): void {
  app.use((req, res, next) => {
    // A caller's own request id is kept when it is a sane token, so one id follows a call across services.
    const incoming = req.headers["x-request-id"];
    const requestId = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", requestId);
    res.locals.report = { requestId, errorCodes: [] } satisfies RequestReport;
    const started = performance.now();
    res.once("close", () => {
      const durationMs = performance.now() - started;
      // The route's own path when one matched (bounded label values), else the mount or "other".
      const routePath = req.route?.path;
      const route =
        typeof routePath === "string" ? routePath : (MOUNTS.find((mount) => req.originalUrl.startsWith(mount)) ?? "other");
      metrics.httpRequestDuration.observe({ method: req.method, route, status: String(res.statusCode) }, durationMs / 1000);
      logger.info(requestLine(req, res, requestId, Math.round(durationMs)), "request");
    });
    next();
  });
}

function requestLine(req: HttpRequest, res: HttpResponse, requestId: string, durationMs: number) {
  const { report } = res.locals;
  const codes = report.errorCodes;
  return {
    requestId,
    method: req.method,
    path: req.originalUrl.split("?")[0],
    status: res.statusCode,
    operation: report.operationName,
    client: report.clientName,
    outcome: codes.length ? codes.join(",") : res.statusCode < 400 ? "ok" : "error",
    durationMs,
    ...(report.cache && { cache: report.cache }),
    ...(!res.writableFinished && { aborted: true }),
  };
}
