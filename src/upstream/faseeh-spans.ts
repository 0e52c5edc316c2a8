// Each attempt of a Faseeh call as a client span, and the trace context it
// sends: `traceparent` goes to Faseeh with every request, so its own traces
// (if it keeps any) join the gateway's. No-ops while traces are off.
import { GatewayError } from "../errors.js";
import { inSpan, SpanKind } from "../observability/spans.js";
import type { UpstreamOperation } from "./faseeh-calls.js";

export interface AttemptDescription {
  operation: UpstreamOperation;
  /** 1 for the first try; a retry's span has the next number. */
  attempt: number;
  /** Faseeh's host name. */
  host: string;
}

/**
 * Runs one attempt inside its span: which call, which attempt, and
 * `faseeh.outcome`, what the attempt proves: "success", or for a failure
 * "rejected" (Faseeh created nothing) or "unknown" (it may have). The answer's
 * status is set by the client where it reads it. `failureOf` finds the
 * GatewayError in what the attempt threw.
 */
export function inAttemptSpan<T>(
  { operation, attempt, host }: AttemptDescription,
  work: () => Promise<T>,
  failureOf: (thrown: unknown) => unknown,
): Promise<T> {
  const attributes = { "faseeh.operation": operation, "faseeh.attempt": attempt, "server.address": host };
  return inSpan(
    `faseeh ${operation}`,
    { kind: SpanKind.CLIENT, attributes },
    async (span) => {
      try {
        const value = await work();
        span.setAttribute("faseeh.outcome", "success");
        return value;
      } catch (error) {
        const failure = failureOf(error);
        span.setAttribute(
          "faseeh.outcome",
          failure instanceof GatewayError ? (failure.upstreamOutcome ?? "rejected") : "unknown",
        );
        if (failure instanceof GatewayError) span.setAttribute("faseeh.error_code", failure.code);
        throw error;
      }
    },
    // The span's status names the gateway's error code, never Faseeh's words.
    (error) => {
      const failure = failureOf(error);
      return failure instanceof GatewayError ? failure.code : "INTERNAL_SERVER_ERROR";
    },
  );
}
