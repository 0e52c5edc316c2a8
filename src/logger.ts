// Structured JSON logs (pino). Redaction is belt and braces: secrets are never
// passed to the logger on purpose, but headers that carry them are censored
// should a request object ever be logged.
import { pino } from "pino";
import type { Config } from "./config.js";
import { traceLogFields } from "./observability/spans.js";

export type Logger = pino.Logger;

export function createLogger(
  config: Pick<Config, "logLevel"> & Partial<Pick<Config, "tracing">>,
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level: config.logLevel,
      // With traces on, each line written inside a span names it (trace_id, span_id).
      ...(config.tracing && { mixin: traceLogFields }),
      base: { service: "voice-gateway" },
      redact: {
        paths: [
          "req.headers.authorization",
          'req.headers["x-api-key"]',
          "headers.authorization",
          'headers["x-api-key"]',
          "apiKey",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
