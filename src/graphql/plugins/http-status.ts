// The HTTP head of every response Apollo writes. Its status, from its first
// error as normalizeError decides it: the code's own status when the
// operation never ran (no `data`), 200 for the field errors of an operation
// that ran, except codes about the request itself. Errors carry no status of
// their own. And `Cache-Control: no-store`, which Apollo's cache-control
// plugin set on every answer before it was turned off for its cost
// (server.ts): a GET query's answer, a key's own clone attempts, must not be
// kept by a browser or a proxy.
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../../context.js";
import { normalizeError } from "../normalize-error.js";

export function ApolloPluginHttpStatus(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (!response.http.headers.has("cache-control")) response.http.headers.set("cache-control", "no-store");
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
