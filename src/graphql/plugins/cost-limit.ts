// Refuses, before anything runs, an operation whose cost (operation-cost.ts:
// list sizes multiplied through, COUNTs and lookups weighted) exceeds the
// configured maximum, with COST_LIMIT_EXCEEDED and the figures, so a client
// knows what to trim.
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../../context.js";
import { GatewayError } from "../../errors.js";
import { operationCost } from "../operation-cost.js";

export interface CostLimitOptions {
  maxCost: number;
}

export function ApolloPluginCostLimit({ maxCost }: CostLimitOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = operationCost(schema, document, operation, request.variables);
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
