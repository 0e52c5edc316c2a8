import type { ApiKeyScope, Resolvers } from "../generated/graphql.js";
import { GatewayError } from "../errors.js";
import type { ApiKeyView, RevokeResult, Scope } from "../services/access/api-key-service.js";

const toScope = (scope: ApiKeyScope): Scope => scope.toLowerCase() as Scope;
const fromScope = (scope: Scope): ApiKeyScope => scope.toUpperCase() as ApiKeyScope;
const toGraphQL = (key: ApiKeyView) => ({ ...key, scope: fromScope(key.scope) });

export const keysResolvers: Pick<Resolvers, "Query" | "Mutation"> = {
  // Each field's `admin` scope is checked as it resolves (graphql/scopes.ts).
  Query: {
    apiKeys: async (_parent, _args, { services }) => (await services.apiKeys.list()).map(toGraphQL),
  },
  Mutation: {
    createApiKey: async (_parent, { name, scope }, { services, principal }) => {
      const created = await services.apiKeys.createFor(principal, { name, scope: toScope(scope) });
      return { apiKey: toGraphQL(created.apiKey), key: created.key };
    },
    revokeApiKey: async (_parent, { key }, { services }) => toGraphQL(revoked(await services.apiKeys.revoke(key))),
  },
};

/** The revoked key, or why there is none, as the errors a client can act on. */
function revoked(result: RevokeResult): ApiKeyView {
  switch (result.kind) {
    case "revoked":
    case "already-revoked":
      return result.key;
    case "last-admin":
      throw new GatewayError(
        "LAST_ADMIN_KEY",
        `${result.key.prefix}… (${result.key.name}) is the last active admin key: without it nobody could manage keys here. ` +
          "Create another admin key first, then revoke this one.",
        { field: "key" },
      );
    case "ambiguous":
      throw new GatewayError(
        "BAD_USER_INPUT",
        `Several keys start with this prefix (${result.keys.map((key) => key.id).join(", ")}); give the id.`,
        {
          field: "key",
        },
      );
    case "none":
      throw new GatewayError("BAD_USER_INPUT", "No client key matches; `apiKeys` lists every key's id and prefix.", {
        field: "key",
      });
    case "not-a-reference":
      throw new GatewayError(
        "BAD_USER_INPUT",
        "`key` must be a key's id (a UUID) or its prefix (fvg_…, as `apiKeys` shows it).",
        {
          field: "key",
        },
      );
  }
}
