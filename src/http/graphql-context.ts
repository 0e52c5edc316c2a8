// The per-request GraphQL context: who calls (the client key), the request's
// logger and report, the abort signal of a client that goes away, and the
// services resolvers may use.
import type { Container } from "../container.js";
import type { GatewayContext, RequestReport } from "../context.js";
import { GatewayError } from "../errors.js";
import { normalizeError } from "../graphql/normalize-error.js";
import type { Logger } from "../logger.js";
import { createCatalogLoaders } from "../services/catalog/catalog-loaders.js";
import { headerOf, type HttpRequest, type HttpResponse } from "./http-app.js";

export async function contextFor(container: Container, req: HttpRequest, res: HttpResponse): Promise<GatewayContext> {
  const { report } = res.locals;
  // Throws UNAUTHENTICATED for a missing or bad key when one is needed.
  const principal = await container.apiKeys.authenticate(headerOf(req, "authorization")).catch((error: unknown) => {
    throw contextFailure(container, report, error);
  });
  report.clientName = principal.kind === "key" ? principal.name : "anonymous";
  let logger: Logger | undefined;
  let origin: string | undefined;
  let signal: AbortSignal | undefined;
  return {
    requestId: report.requestId,
    // Made on first use: most reads never log, and a pino child per request costs measurable CPU.
    get logger() {
      return (logger ??= container.logger.child({ requestId: report.requestId }));
    },
    // Made on first use too: only clones and previews watch for a client that leaves, and an
    // AbortController with its 'close' listener per catalog read showed in the profile (BENCHMARKS.md).
    get signal() {
      return (signal ??= disconnectSignal(res));
    },
    // Made on first use too: only preview fields hand out URLs.
    get origin() {
      return (origin ??= container.config.publicUrl ?? requestOrigin(req));
    },
    idempotencyKey: headerOf(req, "idempotency-key"),
    principal,
    report,
    loaders: createCatalogLoaders(container.catalog),
    services: {
      catalog: container.catalog,
      curation: container.curation,
      cloning: container.cloning,
      previews: container.previews,
      models: container.models,
      attempts: container.attempts,
      apiKeys: container.apiKeys,
    },
  };
}

/** Aborted when the client goes away: 'close' before the response finished (or already, if it has). */
function disconnectSignal(res: HttpResponse): AbortSignal {
  const controller = new AbortController();
  const abort = () => {
    if (!res.writableFinished) controller.abort(new Error("client disconnected"));
  };
  if (res.closed) abort();
  else res.once("close", abort);
  return controller.signal;
}

/** The origin the client reached this gateway at: its Host header when that is a plain host[:port], else the socket's address. */
function requestOrigin(req: HttpRequest): string {
  const protocol = (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
  const host = headerOf(req, "host");
  if (host && /^(?:[\w.-]+|\[[\da-f:.]+\])(?::\d{1,5})?$/i.test(host)) return `${protocol}://${host}`;
  const { localAddress, localPort } = req.socket;
  const address = localAddress?.includes(":") ? `[${localAddress}]` : (localAddress ?? "localhost");
  return `${protocol}://${address}:${localPort ?? 80}`;
}

/**
 * An error while building the context never reaches Apollo's plugins, so it
 * is counted, logged and given its HTTP status here, as normalizeError
 * decides (the code's own status, since no operation ran): 401 for a bad key,
 * 503 while the database is out of reach, and a masked 500 (with the request
 * id, and the real error in the log) for anything else.
 */
function contextFailure(container: Container, report: RequestReport, error: unknown): GatewayError {
  const { requestId } = report;
  const { formatted, code, status, log } = normalizeError(error, { requestId, stage: "context" });
  if (log) container.logger[log.level]({ ...log.fields, requestId }, log.message);
  const { code: _code, ...extensions } = formatted.extensions ?? {};
  const failure = error instanceof GatewayError ? error : new GatewayError(code, formatted.message, extensions);
  const http = (failure.extensions.http ?? {}) as { status?: number; headers?: Map<string, string> };
  failure.extensions.http = { ...http, status };
  report.errorCodes.push(failure.code);
  container.metrics.errors.inc({ code: failure.code });
  return failure;
}
