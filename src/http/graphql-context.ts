// The per-request GraphQL context: who calls (the client key), the request's
// logger and report, the abort signal of a client that goes away, and the
// services resolvers may use.
import type { Container } from "../container.js";
import type { GatewayContext, RequestReport } from "../context.js";
import { GatewayError } from "../errors.js";
import { normalizeError } from "../graphql/normalize-error.js";
import type { Logger } from "../logger.js";
import type { Principal } from "../services/access/api-key-service.js";
import { createCatalogLoaders } from "../services/catalog/catalog-loaders.js";
import { headerOf, type HttpRequest, type HttpResponse } from "./http-app.js";

/** The context function of a container's GraphQL route; what is the same for every request is made here, once. */
export function contextMaker(container: Container): (req: HttpRequest, res: HttpResponse) => Promise<GatewayContext> {
  const { catalog, curation, cloning, previews, speech, models, attempts, apiKeys } = container;
  const services = Object.freeze({ catalog, curation, cloning, previews, speech, models, attempts, apiKeys });
  return async (req, res) => {
    const { report } = res.locals;
    // Throws UNAUTHENTICATED for a missing or bad key when one is needed.
    const principal = await apiKeys.authenticate(headerOf(req, "authorization")).catch((error: unknown) => {
      throw contextFailure(container, report, error);
    });
    report.clientName = principal.kind === "key" ? principal.name : "anonymous";
    return new RequestContext(container, services, req, res, principal);
  };
}

/**
 * The logger, the disconnect signal and the origin are made on first use:
 * most reads never log, watch for a client that leaves or hand out a URL, and
 * a pino child, an AbortController with its 'close' listener and the origin
 * per catalog read showed in the profile. They are getters on the class, not
 * on the object, because Apollo copies the context for each operation with
 * `Object.assign`, which would call getters of the object's own (BENCHMARKS.md,
 * issue 22: it made every request pay for all three).
 */
class RequestContext implements GatewayContext {
  readonly requestId: string;
  readonly idempotencyKey: string | undefined;
  readonly report: RequestReport;
  readonly loaders: GatewayContext["loaders"];
  // Plain fields, so Apollo's copy carries them (a #private field would not be on the copy).
  private made: { logger?: Logger; signal?: AbortSignal; origin?: string } = {};

  constructor(
    private readonly container: Container,
    readonly services: GatewayContext["services"],
    private readonly req: HttpRequest,
    private readonly res: HttpResponse,
    readonly principal: Principal,
  ) {
    this.report = res.locals.report;
    this.requestId = this.report.requestId;
    this.idempotencyKey = headerOf(req, "idempotency-key");
    this.loaders = createCatalogLoaders(container.catalog);
  }

  get logger(): Logger {
    return (this.made.logger ??= this.container.logger.child({ requestId: this.requestId }));
  }

  get signal(): AbortSignal {
    return (this.made.signal ??= disconnectSignal(this.res));
  }

  get origin(): string {
    return (this.made.origin ??= this.container.config.publicUrl ?? requestOrigin(this.req));
  }
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
