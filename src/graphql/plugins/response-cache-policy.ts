// Decides which answers the response cache (src/http/response-cache.ts) may
// keep: a query that only reads the catalog and succeeded. Such an answer
// depends on the request and the catalog's rows alone, never on who asks
// (every client key may read the catalog), so it can be served again to any
// authenticated caller until the catalog's version changes. Anything else
// (mutations, the caller's own clone attempts, key management, an answer
// with errors, a root fragment this check does not follow) is never cached.
import type { ApolloServerPlugin } from "@apollo/server";
import { Kind, type OperationDefinitionNode, OperationTypeNode } from "graphql";
import type { GatewayContext } from "../../context.js";

/** Root query fields whose answers are the catalog's rows and nothing else. */
export const CATALOG_ROOT_FIELDS: ReadonlySet<string> = new Set(["voices", "voice", "__typename"]);

export function ApolloPluginResponseCachePolicy(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, operation, contextValue }) {
          const clean = response.body.kind === "single" && !response.body.singleResult.errors?.length;
          contextValue.report.cachePolicy =
            operation === undefined ? "skip" : !readsOnlyCatalog(operation) ? "never" : clean ? "store" : "skip";
        },
      };
    },
  };
}

export function readsOnlyCatalog(operation: OperationDefinitionNode): boolean {
  return (
    operation.operation === OperationTypeNode.QUERY &&
    operation.selectionSet.selections.every(
      (selection) => selection.kind === Kind.FIELD && CATALOG_ROOT_FIELDS.has(selection.name.value),
    )
  );
}
