// The request id and the one log line per request (pino-http), plus the
// request duration metric. The line says who called, which operation, and
// how it ended; the request's report (context.ts) is filled by the GraphQL
// layer while it runs. pino-http is kept "quiet": it adds only the request id
// to the request's logger, never the request or response objects, so no
// header (and no client key) can reach a log line.
import { randomUUID } from "node:crypto";
import type { Express, Request, Response } from "express";
import { pinoHttp } from "pino-http";
import type { RequestReport } from "../context.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function installRequestLog(app: Express, { logger, metrics }: { logger: Logger; metrics: Metrics }): void {
  app.use(
    pinoHttp({
      logger,
      quietReqLogger: true,
      quietResLogger: true,
      customAttributeKeys: { reqId: "requestId", responseTime: "durationMs" },
      // A caller's own request id is kept when it is a sane token, so one id follows a call across services.
      genReqId(req, res) {
        const incoming = req.headers["x-request-id"];
        const requestId = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader("x-request-id", requestId);
        (res as Response).locals.report = { requestId, errorCodes: [] } satisfies RequestReport;
        return requestId;
      },
      customLogLevel: () => "info",
      customSuccessMessage: () => "request",
      customErrorMessage: () => "request",
      customSuccessObject: (req, res, base: { durationMs: number }) => requestLine(req as Request, res as Response, base.durationMs),
      customErrorObject: (req, res, _error, base: { durationMs: number }) => requestLine(req as Request, res as Response, base.durationMs),
    }),
  );
  // The request duration metric (pino-http writes the log line).
  app.use((req, res, next) => {
    const started = performance.now();
    res.once("close", () => {
      // Express types `req.route` as any: read its path defensively.
      const routePath = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePath === "string" ? routePath : req.originalUrl.startsWith("/graphql") ? "/graphql" : "other";
      metrics.httpRequestDuration.observe(
        { method: req.method, route, status: String(res.statusCode) },
        (performance.now() - started) / 1000,
      );
    });
    next();
  });
}

function requestLine(req: Request, res: Response, durationMs: number) {
  const report = res.locals.report as RequestReport | undefined;
  const codes = report?.errorCodes ?? [];
  return {
    method: req.method,
    path: req.originalUrl.split("?")[0],
    status: res.statusCode,
    operation: report?.operationName,
    client: report?.clientName,
    outcome: codes.length ? codes.join(",") : res.statusCode < 400 ? "ok" : "error",
    durationMs,
    ...(!res.writableFinished && { aborted: true }),
  };
}
