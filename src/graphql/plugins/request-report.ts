// Fills the request's log line (operation, client, error codes), counts
// operations and errors, logs unexpected errors with the request id, and
// gives masked errors that id so support can find the log line.
import type { ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import type { GatewayContext } from "../../context.js";
import { GatewayError, isErrorCode, maskedMessage } from "../../errors.js";
import type { Metrics } from "../../metrics.js";

export interface RequestReportOptions {
  metrics: Pick<Metrics, "errors" | "operationDuration" | "operationLabel">;
}

export function ApolloPluginRequestReport({ metrics }: RequestReportOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async didResolveOperation({ operationName, operation }) {
          contextValue.report.operationName = operationName ?? "anonymous";
          contextValue.report.operationType = operation?.operation;
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            if (original instanceof GatewayError) {
              contextValue.logger.info({ code: original.code, path: error.path }, original.message);
              // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- an error from outside graphql-js may have none
            } else if (!isErrorCode(error.extensions?.code) || error.extensions?.code === "INTERNAL_SERVER_ERROR") {
              contextValue.logger.error({ err: original, path: error.path }, "unexpected error");
            }
          }
        },
        async willSendResponse({ response }) {
          const { report } = contextValue;
          if (response.body.kind === "single") {
            for (const error of response.body.singleResult.errors ?? []) {
              if (error.extensions?.code === "INTERNAL_SERVER_ERROR") {
                error.extensions.requestId = report.requestId;
                (error as { message: string }).message = maskedMessage(report.requestId);
              }
              const code = isErrorCode(error.extensions?.code) ? error.extensions.code : "INTERNAL_SERVER_ERROR";
              report.errorCodes.push(code);
              metrics.errors.inc({ code });
            }
          }
          metrics.operationDuration.observe(
            { operation: metrics.operationLabel(report.operationName ?? "unknown"), type: report.operationType ?? "unknown" },
            (performance.now() - started) / 1000,
          );
        },
      };
    },
  };
}
