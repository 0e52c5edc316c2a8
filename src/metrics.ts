// Prometheus metrics (prom-client), one registry per container so that tests
// building several gateways in one process never share counters.
import client from "prom-client";

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Operation names are chosen by clients, and each distinct label value is a
 * new time series kept for the life of the process. The first
 * MAX_OPERATION_LABELS names seen keep their own series; every later one is
 * counted as "other", so no client can grow the metrics without bound.
 */
export const MAX_OPERATION_LABELS = 100;
export const OTHER_OPERATIONS = "other";

/** The label value for an operation name: its own while the bound allows, else "other". */
export function boundedLabels(max: number): (name: string) => string {
  const seen = new Set<string>();
  return (name) => {
    if (seen.has(name)) return name;
    if (seen.size >= max) return OTHER_OPERATIONS;
    seen.add(name);
    return name;
  };
}

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
  return {
    registry,
    operationLabel: boundedLabels(MAX_OPERATION_LABELS),
    httpRequestDuration: new client.Histogram({
      name: "gateway_http_request_duration_seconds",
      help: "HTTP requests by method, route and status.",
      labelNames: ["method", "route", "status"] as const,
      buckets: seconds,
      registers: [registry],
    }),
    operationDuration: new client.Histogram({
      name: "gateway_graphql_operation_duration_seconds",
      help: "GraphQL operations by operation name and type.",
      labelNames: ["operation", "type"] as const,
      buckets: seconds,
      registers: [registry],
    }),
    errors: new client.Counter({
      name: "gateway_graphql_errors_total",
      help: "GraphQL errors returned to clients, by extensions.code.",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    upstreamDuration: new client.Histogram({
      name: "gateway_upstream_request_duration_seconds",
      help: 'Calls to Faseeh by operation and status ("error" when no HTTP answer came).',
      labelNames: ["operation", "status"] as const,
      buckets: seconds,
      registers: [registry],
    }),
    responseCache: new client.Counter({
      name: "gateway_response_cache_requests_total",
      help: "GraphQL POSTs seen by the response cache: hit, miss (executed; stored when cacheable), uncacheable, bypass (the catalog version could not be read).",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    cloneAttempts: new client.Counter({
      name: "gateway_clone_attempts_total",
      help: "Finished clone attempts by outcome (succeeded, failed, unknown, not_yet_stored, replayed).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    ...speechMetrics(registry),
  };
}

/** What `speak` spends and saves. */
function speechMetrics(registry: client.Registry) {
  return {
    speechCalls: new client.Counter({
      name: "gateway_speech_calls_total",
      help: "Text-to-speech calls to Faseeh by outcome (succeeded, failed: certainly not billed, unknown: may be billed).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    speechCacheHits: new client.Counter({
      name: "gateway_speech_cache_hits_total",
      help: "`speak` answers that made no call to Faseeh: audio kept for the same request, or made by an identical one in flight.",
      registers: [registry],
    }),
    speechCharacters: new client.Counter({
      name: "gateway_speech_characters_total",
      help: "Characters of text-to-speech calls Faseeh billed (succeeded) or may have billed (unknown outcome).",
      registers: [registry],
    }),
  };
}

/** Gauges read at scrape time from live objects (pool, queue). */
export function registerGauge(metrics: Metrics, name: string, help: string, read: () => Record<string, number>): void {
  new client.Gauge({
    name,
    help,
    labelNames: ["state"] as const,
    registers: [metrics.registry],
    collect() {
      for (const [state, value] of Object.entries(read())) this.set({ state }, value);
    },
  });
}
