// The gateway's own spans and trace context, through @opentelemetry/api only:
// with no SDK registered (OTEL_EXPORTER_OTLP_ENDPOINT unset) every call here
// is the API's no-op, so the code that makes spans needs no flag of its own.
// The SDK that records and exports them is src/observability/tracing.ts.
import { type Attributes, context, propagation, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

const tracer = trace.getTracer("faseeh-voice-gateway");

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
}

/**
 * Runs `work` inside a new span (the active one for everything it awaits);
 * a throw ends the span with an error status named by `errorName` (never the
 * message: an upstream's words stay out of the trace).
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
  errorName: (error: unknown) => string = (error) => (error instanceof Error ? error.name : "error"),
): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorName(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks `span` failed with `reason`, for outcomes that are not a throw (a GraphQL answer with errors). */
export function markFailed(span: Span, reason: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
}

/** Outgoing headers with the active trace's `traceparent` (and `tracestate`) added; as given when none is recorded. */
export function withTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

/** Sets an attribute on the active span, if one records (e.g. the answer's status, known deep in a call). */
export function setActiveSpanAttribute(name: string, value: string | number | boolean): void {
  trace.getActiveSpan()?.setAttribute(name, value);
}

/** pino's mixin: the active span's ids on every log line written inside it. */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

export { SpanKind };
