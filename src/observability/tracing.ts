// OpenTelemetry's SDK: loaded by main.ts with import() only when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, so a gateway without it never loads a
// module of it (only @opentelemetry/api, whose calls are then no-ops).
//
// Spans are exported over OTLP/HTTP (JSON) in batches. Three sources:
// - the incoming HTTP request: @opentelemetry/instrumentation-http, which also
//   continues a caller's `traceparent`;
// - PostgreSQL statements: @opentelemetry/instrumentation-pg;
// - the gateway's own spans (the GraphQL operation, each Faseeh attempt), made
//   through the API in src/observability/spans.ts.
// Only traces: metrics stay with prom-client (/metrics) and logs with pino.
import { createRequire } from "node:module";
import type { IncomingMessage } from "node:http";
import { type Attributes, type DiagLogger, diag, DiagLogLevel } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";

export type TracingSettings = NonNullable<Config["tracing"]>;

export interface Tracing {
  /** Exports the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/** Probes and scrapes would be most of the spans and say nothing about a request. */
const UNTRACED_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
const untraced = (request: IncomingMessage): boolean => UNTRACED_PATHS.has((request.url ?? "").split("?")[0] ?? "");

/**
 * The request's query string as its parameters' names only
 * (`expires=REDACTED&token=REDACTED`): a preview audio URL's `token` is its
 * permission, a GET operation's `variables` are the caller's data. The
 * instrumentation redacts only a few cloud providers' signature parameters.
 */
function redactedQuery(request: IncomingMessage): Attributes {
  const url = request.url ?? "";
  const start = url.indexOf("?");
  if (start === -1 || start === url.length - 1) return {};
  const names = [...new URLSearchParams(url.slice(start + 1)).keys()];
  return { "url.query": names.map((name) => `${encodeURIComponent(name)}=REDACTED`).join("&") };
}

/**
 * What the SDK reports (an export the collector refused or never got, a
 * span dropped from a full queue), as the gateway's warnings: without it a
 * wrong endpoint would lose every trace in silence. Cut short: the SDK
 * flattens whole errors.
 */
function warningsTo(logger: Logger): DiagLogger {
  const warn = (message: string) =>
    logger.warn({ otel: message.slice(0, 500) }, "OpenTelemetry reported a problem: traces may be lost");
  const ignore = () => undefined;
  return { error: warn, warn, info: ignore, debug: ignore, verbose: ignore };
}

export function startTracing(settings: TracingSettings, logger: Logger): Tracing {
  diag.setLogger(warningsTo(logger), DiagLogLevel.WARN);
  const exporter = new OTLPTraceExporter({ url: `${settings.endpoint}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: settings.exportDelayMs })],
  });
  // The global provider, AsyncLocalStorage as the context (so a span is the parent of what its
  // work awaits) and W3C trace context as the propagator (`traceparent` in and out). Trace context
  // only: the SDK's default adds W3C baggage, which would pass a caller's `baggage` header (its own
  // key-value pairs) on to Faseeh with every call.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: untraced,
        // Its attributes replace the instrumentation's own: `url.query` without its values.
        startIncomingSpanHook: redactedQuery,
        // The gateway calls Faseeh with undici, not node:http; its own spans carry those calls.
        disableOutgoingRequestInstrumentation: true,
      }),
      // Statements only inside a traced request or operation (not the pool's idle chatter, not
      // the boot's migrations); never their parameter values.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  patchLoadedModules();
  return { shutdown: () => provider.shutdown() };
}

/**
 * The instrumentations patch a module when it is require()d; the gateway is
 * ESM and imports node:http and pg with `import`, which those hooks never see
 * (OpenTelemetry's ESM loader hook would, at the cost of wrapping every
 * module the process imports). Both patch prototypes (http.Server's `emit`,
 * pg's Client and pg-pool's Pool) of the one copy of each module, which
 * `import` shares with require(): requiring them here patches the objects the
 * gateway uses, whether it imported them before or after. tracing.test.ts
 * proves it under tsx and in the compiled build.
 */
function patchLoadedModules(): void {
  const require = createRequire(import.meta.url);
  require("http");
  require("pg");
  // pg's own dependency, resolved from where pg is.
  createRequire(require.resolve("pg"))("pg-pool");
}
