// The request's report, metrics and masked errors, without HTTP: the
// plugin's hooks on one request, with real prom-client metrics and pino.
import type { GraphQLRequestContextWillSendResponse } from "@apollo/server";
import { describe, expect, it } from "vitest";
import type { GatewayContext, RequestReport } from "../../../src/context.js";
import { ApolloPluginRequestReport } from "../../../src/graphql/plugins/request-report.js";
import { createLogger } from "../../../src/logger.js";
import { createMetrics } from "../../../src/metrics.js";

describe("ApolloPluginRequestReport", () => {
  it("names the operation, lists the error codes, counts them, and gives masked errors the request id", async () => {
    const metrics = createMetrics();
    const lines: string[] = [];
    const logger = createLogger({ logLevel: "info" }, { write: (line: string) => lines.push(line) });
    const report: RequestReport = { requestId: "req-42", errorCodes: [] };
    const contextValue = { report, logger } as unknown as GatewayContext;
    const listener = await ApolloPluginRequestReport({ metrics }).requestDidStart?.({ contextValue } as never);

    await listener?.didResolveOperation?.({ operationName: "ListVoices", operation: { operation: "query" } } as never);
    const response = {
      body: {
        kind: "single" as const,
        singleResult: {
          data: null,
          errors: [
            { message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } as Record<string, unknown> },
            { message: "bad", extensions: { code: "BAD_USER_INPUT" } as Record<string, unknown> },
          ],
        },
      },
      http: { headers: new Map() },
    };
    await listener?.willSendResponse?.({ response } as unknown as GraphQLRequestContextWillSendResponse<GatewayContext>);

    expect(report).toMatchObject({
      operationName: "ListVoices",
      operationType: "query",
      errorCodes: ["INTERNAL_SERVER_ERROR", "BAD_USER_INPUT"],
    });
    expect(response.body.singleResult.errors[0]).toEqual({
      message: "Internal server error (request id req-42).",
      extensions: { code: "INTERNAL_SERVER_ERROR", requestId: "req-42" },
    });
    const exposed = await metrics.registry.metrics();
    expect(exposed).toContain('gateway_graphql_errors_total{code="INTERNAL_SERVER_ERROR"} 1');
    expect(exposed).toContain('gateway_graphql_errors_total{code="BAD_USER_INPUT"} 1');
    expect(exposed).toContain('gateway_graphql_operation_duration_seconds_count{operation="ListVoices",type="query"} 1');
  });
});
