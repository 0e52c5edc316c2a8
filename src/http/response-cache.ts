// The response cache for catalog reads (on unless RESPONSE_CACHE=false).
//
// A POSTed JSON query whose answer the policy plugin marked cacheable
// (graphql/plugins/response-cache-policy.ts: catalog fields only, no errors)
// is kept, bytes as sent, under its request (query, variables, operation
// name, extensions and the Accept header that chose the content type). It
// is served again only while the catalog's version in PostgreSQL is the one
// it was produced under. That version is read for every request
// (services/catalog/catalog-version.ts, one coalesced query for a burst), so a voice
// stored, edited or removed on any replica makes every cached page stale on
// every replica at once, and the next list shows it.
//
// A hit still authenticates the caller (client keys come from memory), still
// gets its request id, log line and metrics; it skips Apollo, graphql-js and
// the catalog query. Anything unusual (no version, a refused key) falls
// through to the normal path, which answers it exactly as without a cache.
import { LRUCache } from "lru-cache";
import typeis from "type-is";
import type { Metrics } from "../metrics.js";
import type { ApiKeyService } from "../services/access/api-key-service.js";
import type { CatalogVersion } from "../services/catalog/catalog-version.js";
import type { WrittenResponse } from "./apollo-handler.js";
import { headerOf, type HttpRequest, type HttpResponse, type Middleware, type NextFunction } from "./http-app.js";

interface CachedResponse {
  readonly version: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly operationName: string | undefined;
}

/** Remembered so a request that can never be cached (a mutation, key management) does not wait for the version. */
const UNCACHEABLE = { uncacheable: true } as const;
type Entry = CachedResponse | typeof UNCACHEABLE;

export interface ResponseCacheDeps {
  catalogVersion: Pick<CatalogVersion, "read">;
  apiKeys: Pick<ApiKeyService, "authenticate">;
  metrics: Pick<Metrics, "responseCache" | "operationDuration" | "operationLabel">;
  maxBytes: number;
}

export class ResponseCache {
  private readonly entries: LRUCache<string, Entry>;

  constructor(private readonly deps: ResponseCacheDeps) {
    this.entries = new LRUCache<string, Entry>({
      maxSize: deps.maxBytes,
      // Keys are JS strings (UTF-16); bodies are bytes. A bound, not an exact count.
      sizeCalculation: (entry, key) => key.length * 2 + ("body" in entry ? entry.body.length + 256 : 16),
    });
  }

  /** Middleware of the HTTP app, before Apollo: serves a fresh entry, or tickets the request so its answer can be stored. */
  serve(): Middleware {
    return async (req: HttpRequest, res: HttpResponse, next: NextFunction) => {
      const key = cacheKeyOf(req);
      if (key === undefined) {
        next();
        return;
      }
      const entry = this.entries.get(key);
      if (entry && "uncacheable" in entry) {
        this.deps.metrics.responseCache.inc({ result: "uncacheable" });
        next();
        return;
      }
      let version: string | null;
      try {
        version = await this.deps.catalogVersion.read();
      } catch {
        version = null; // the normal path reports the database's state
      }
      if (version === null) {
        this.deps.metrics.responseCache.inc({ result: "bypass" });
        next();
        return;
      }
      if (entry?.version === version && (await this.sendHit(req, res, entry))) return;
      this.deps.metrics.responseCache.inc({ result: "miss" });
      res.locals.responseCacheTicket = { key, version };
      next();
    };
  }

  /** For apolloHandler's `onResponse`: keeps a ticketed answer the policy marked cacheable. */
  readonly store = (_req: HttpRequest, res: HttpResponse, response: WrittenResponse): void => {
    const { responseCacheTicket: ticket, report } = res.locals;
    if (!ticket) return;
    if (report.cachePolicy === "never") this.entries.set(ticket.key, UNCACHEABLE);
    if (report.cachePolicy !== "store" || response.status !== 200) return;
    this.entries.set(ticket.key, {
      version: ticket.version,
      headers: [...response.headers],
      body: Buffer.from(response.body),
      operationName: report.operationName,
    });
    report.cache = "stored";
  };

  private async sendHit(req: HttpRequest, res: HttpResponse, entry: CachedResponse): Promise<boolean> {
    const started = performance.now();
    // Every client key may read the catalog; a caller the key service refuses takes the normal path for its precise error.
    const principal = await this.deps.apiKeys.authenticate(headerOf(req, "authorization")).catch(() => undefined);
    if (!principal) return false;
    const { report } = res.locals;
    report.clientName = principal.kind === "key" ? principal.name : "anonymous";
    report.operationName = entry.operationName;
    report.operationType = "query";
    report.cache = "hit";
    for (const [name, value] of entry.headers) res.setHeader(name, value);
    res.setHeader("content-length", entry.body.length);
    res.statusCode = 200;
    res.end(entry.body);
    const { metrics } = this.deps;
    metrics.responseCache.inc({ result: "hit" });
    metrics.operationDuration.observe(
      { operation: metrics.operationLabel(entry.operationName ?? "anonymous"), type: "query" },
      (performance.now() - started) / 1000,
    );
    return true;
  }
}

/** The request's identity for the cache: a POSTed JSON GraphQL request, or undefined (never cached). */
function cacheKeyOf(req: HttpRequest): string | undefined {
  if (req.method !== "POST" || !typeis(req, ["application/json"])) return undefined;
  const body = req.body as { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown } | undefined;
  if (
    !body ||
    typeof body !== "object" ||
    Array.isArray(body) ||
    (typeof body.query !== "string" && body.extensions === undefined)
  ) {
    return undefined;
  }
  try {
    return JSON.stringify([
      req.headers.accept ?? "",
      body.operationName ?? null,
      body.query ?? null,
      body.variables ?? null,
      body.extensions ?? null,
    ]);
  } catch {
    // Nested too deeply to write out (a hostile body): not cached; Apollo and the plugins refuse it as usual.
    return undefined;
  }
}
