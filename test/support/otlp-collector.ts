// A stand-in for an OpenTelemetry collector: OTLP/HTTP with JSON bodies
// (what @opentelemetry/exporter-trace-otlp-http sends) on 127.0.0.1, keeping
// every span it receives, flattened: ids in hex, attributes as plain values.
import { gunzipSync } from "node:zlib";
import type http from "node:http";
import { serveLocally } from "./local-server.js";

export type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  status: { code?: number; message?: string };
  /** The resource's `service.name`. */
  service: AttributeValue | undefined;
}

export interface OtlpCollector {
  /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to (the exporter appends /v1/traces). */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Every request received, whatever its path. */
  readonly requests: number;
  spansOf(traceId: string): ReceivedSpan[];
  close(): Promise<void>;
}

interface OtlpKeyValue {
  key: string;
  value: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpKeyValue[];
  status?: { code?: number; message?: string };
}

interface OtlpTraces {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

function plain(attributes: OtlpKeyValue[] = []): Record<string, AttributeValue> {
  const values: Record<string, AttributeValue> = {};
  for (const { key, value } of attributes) {
    const found = value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue;
    if (found !== undefined) values[key] = value.intValue !== undefined ? Number(value.intValue) : found;
  }
  return values;
}

function flatten(body: OtlpTraces): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap(({ resource, scopeSpans }) => {
    const service = plain(resource?.attributes)["service.name"];
    return (scopeSpans ?? []).flatMap(({ spans }) =>
      (spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        kind: span.kind,
        attributes: plain(span.attributes),
        status: span.status ?? {},
        service,
      })),
    );
  });
}

async function bodyOf(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: ReceivedSpan[] = [];
  let requests = 0;
  const server = await serveLocally((req, res) => {
    requests += 1;
    void bodyOf(req).then((text) => {
      if (req.method !== "POST" || req.url !== "/v1/traces" || !req.headers["content-type"]?.startsWith("application/json")) {
        res.writeHead(404).end();
        return;
      }
      spans.push(...flatten(JSON.parse(text) as OtlpTraces));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    spans,
    get requests() {
      return requests;
    },
    spansOf: (traceId) => spans.filter((span) => span.traceId === traceId),
    close: () => server.close(),
  };
}
