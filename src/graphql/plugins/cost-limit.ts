// Refuses, before anything runs, an operation whose cost (operation-cost.ts:
// list sizes multiplied through, COUNTs and lookups weighted) exceeds the
// configured maximum, with COST_LIMIT_EXCEEDED and the figures, so a client
// knows what to trim.
import type { ApolloServerPlugin } from "@apollo/server";
import { type DocumentNode, Kind, type OperationDefinitionNode, visit } from "graphql";
import type { GatewayContext } from "../../context.js";
import { GatewayError } from "../../errors.js";
import { operationCost, SIZE_ARGUMENTS } from "../operation-cost.js";

export interface CostLimitOptions {
  maxCost: number;
}

export function ApolloPluginCostLimit({ maxCost }: CostLimitOptions): ApolloServerPlugin<GatewayContext> {
  // Apollo reuses the parsed document of a query it has seen, so the cost of an operation whose
  // list sizes (`first`, `_entities`' representations) do not come from variables is computed once
  // (profiling showed the walk at 9% of a read).
  const fixedCosts = new WeakMap<OperationDefinitionNode, number | "per-request">();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          let known = fixedCosts.get(operation);
          if (known === undefined) {
            known = sizeComesFromVariables(document) ? "per-request" : operationCost(schema, document, operation, undefined);
            fixedCosts.set(operation, known ?? "per-request");
          }
          const cost = typeof known === "number" ? known : operationCost(schema, document, operation, request.variables);
          if (cost !== undefined && cost > maxCost) {
            throw new GatewayError(
              "COST_LIMIT_EXCEEDED",
              `This operation would cost ${cost}, over the limit of ${maxCost}: ask for smaller pages (\`first\`), fewer aliases, or \`totalCount\` once.`,
              { cost, maxCost },
            );
          }
        },
      };
    },
  };
}

/** Whether any size argument in the document is a variable (then the cost depends on the request). */
function sizeComesFromVariables(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Argument(node) {
      if (SIZE_ARGUMENTS.has(node.name.value) && node.value.kind === Kind.VARIABLE) found = true;
    },
  });
  return found;
}
