// Fills the request's log line (operation, client, error codes), counts
// operations and errors, writes each error's log line and gives masked errors
// the request id, both as normalizeError decides.
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../../context.js";
import type { Metrics } from "../../metrics.js";
import { normalizeError } from "../normalize-error.js";

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
            const { log } = normalizeError(error);
            if (log) contextValue.logger[log.level](log.fields, log.message);
          }
        },
        async willSendResponse({ response }) {
          const { report } = contextValue;
          if (response.body.kind === "single") {
            for (const error of response.body.singleResult.errors ?? []) {
              const { formatted, code } = normalizeError(error, { formatted: error, requestId: report.requestId });
              // In place: the response's errors are Apollo's read-only array.
              if (formatted !== error) Object.assign(error, formatted);
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
