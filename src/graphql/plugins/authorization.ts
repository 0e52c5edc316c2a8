// Scopes, checked once the operation is known and before anything runs:
// `read` keys may query; mutations (cloning spends the wallet, edits change
// the catalog) need `write` or `admin`; the key-management fields need `admin` (or an open gateway).
import type { ApolloServerPlugin } from "@apollo/server";
import { Kind, type OperationDefinitionNode, OperationTypeNode } from "graphql";
import type { GatewayContext } from "../../context.js";
import { GatewayError } from "../../errors.js";
import { canWrite } from "../../services/api-key-service.js";

/** Root fields that manage client keys. */
const KEY_MANAGEMENT_FIELDS = new Set(["apiKeys", "createApiKey", "revokeApiKey"]);

export function ApolloPluginAuthorization(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          const { principal } = contextValue;
          if (operation?.operation === OperationTypeNode.MUTATION && !canWrite(principal.scope)) {
            throw new GatewayError(
              "FORBIDDEN",
              "This client API key has the `read` scope; mutations (cloning, previews, catalog edits) need a `write` key.",
            );
          }
          if (operation && selectsKeyManagement(operation)) contextValue.services.apiKeys.authorizeManagement(principal);
        },
      };
    },
  };
}

function selectsKeyManagement(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.some(
    (selection) => selection.kind === Kind.FIELD && KEY_MANAGEMENT_FIELDS.has(selection.name.value),
  );
}
