// The HTTP status of every response Apollo writes, from the code of its first
// error (errors.ts `httpStatusOf`): the code's own status when the operation
// never ran (no `data`), 200 for the field errors of an operation that ran,
// except codes about the request itself. Errors carry no status of their own.
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../../context.js";
import { httpStatusOf } from "../../errors.js";

export function ApolloPluginHttpStatus(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          const [first] = response.body.singleResult.errors ?? [];
          if (!first) return;
          const executed = "data" in response.body.singleResult;
          response.http.status = httpStatusOf(first.extensions?.code, { executed });
        },
      };
    },
  };
}
