// The request's report, metrics and masked errors, without HTTP: the plugin
// in a real ApolloServer (test/support/apollo-harness.ts) with the gateway's
// formatError, real prom-client metrics and pino, on one operation with an
// unexpected failure and one of the gateway's own errors.
import { describe, expect, it } from "vitest";
import type { RequestReport } from "../../../src/context.js";
import { normalizeError } from "../../../src/graphql/normalize-error.js";
import { ApolloPluginRequestReport } from "../../../src/graphql/plugins/request-report.js";
import { createLogger } from "../../../src/logger.js";
import { createMetrics } from "../../../src/metrics.js";
import { executeWithPlugins } from "../../support/apollo-harness.js";

describe("ApolloPluginRequestReport", () => {
  it("names the operation, lists the error codes, counts them, and gives masked errors the request id", async () => {
    const metrics = createMetrics();
    const lines: string[] = [];
    const logger = createLogger({ logLevel: "info" }, { write: (line: string) => lines.push(line) });
    const report: RequestReport = { requestId: "req-42", errorCodes: [] };

    const response = await executeWithPlugins(
      {
        plugins: [ApolloPluginRequestReport({ metrics })],
        formatError: (formatted, error) => normalizeError(error, { formatted, introspection: false }).formatted,
        contextValue: { report, logger },
      },
      { query: 'query ListVoices { unexpected: broken bad: failing(code: "BAD_USER_INPUT") }' },
    );

    expect(report).toMatchObject({
      operationName: "ListVoices",
      operationType: "query",
      errorCodes: ["INTERNAL_SERVER_ERROR", "BAD_USER_INPUT"],
    });
    expect(response.body.kind === "single" && response.body.singleResult.errors?.[0]).toEqual({
      message: "Internal server error (request id req-42).",
      extensions: { code: "INTERNAL_SERVER_ERROR", requestId: "req-42" },
    });
    const exposed = await metrics.registry.metrics();
    expect(exposed).toContain('gateway_graphql_errors_total{code="INTERNAL_SERVER_ERROR"} 1');
    expect(exposed).toContain('gateway_graphql_errors_total{code="BAD_USER_INPUT"} 1');
    expect(exposed).toContain('gateway_graphql_operation_duration_seconds_count{operation="ListVoices",type="query"} 1');
  });
});
