// The HTTP status of every response Apollo writes, from its first error as
// normalizeError decides it: the code's own status when the operation never
// ran (no `data`), 200 for the field errors of an operation that ran, except
// codes about the request itself. Errors carry no status of their own.
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../../context.js";
import { normalizeError } from "../normalize-error.js";

export function ApolloPluginHttpStatus(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          const [first] = response.body.singleResult.errors ?? [];
          if (!first) return;
          const executed = "data" in response.body.singleResult;
          response.http.status = normalizeError(first, { formatted: first, executed }).status;
        },
      };
    },
  };
}
