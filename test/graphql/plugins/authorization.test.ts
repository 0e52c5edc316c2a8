// Scopes, checked before anything runs, without HTTP: the plugin's hook on a
// resolved operation and a principal.
import type { GraphQLRequestContextDidResolveOperation } from "@apollo/server";
import { type OperationDefinitionNode, parse } from "graphql";
import { describe, expect, it } from "vitest";
import type { GatewayContext } from "../../../src/context.js";
import { GatewayError } from "../../../src/errors.js";
import { ApolloPluginAuthorization } from "../../../src/graphql/plugins/authorization.js";
import { ApiKeyService, type Principal } from "../../../src/services/api-key-service.js";

// Authorization reads no keys: the service's policy needs no database here.
const apiKeys = new ApiKeyService(null as never, { production: false, allowAnonymous: false });

async function check(document: string, principal: Principal): Promise<unknown> {
  const operation = parse(document).definitions[0] as OperationDefinitionNode;
  const contextValue = { principal, services: { apiKeys } } as unknown as GatewayContext;
  const listener = await ApolloPluginAuthorization().requestDidStart?.({} as never);
  try {
    await listener?.didResolveOperation?.({
      operation,
      contextValue,
    } as unknown as GraphQLRequestContextDidResolveOperation<GatewayContext>);
    return "allowed";
  } catch (error) {
    return error instanceof GatewayError ? error.code : error;
  }
}

const key = (scope: Principal["scope"]): Principal => ({ kind: "key", id: "k", name: "tool", scope });

describe("ApolloPluginAuthorization", () => {
  it.each([
    ["a query", "{ voices { totalCount } }", key("read"), "allowed"],
    ["a clone", "mutation { cloneVoice(input: $i) { replayed } }", key("read"), "FORBIDDEN"],
    ["a clone", "mutation { cloneVoice(input: $i) { replayed } }", key("write"), "allowed"],
    ["a clone", "mutation { cloneVoice(input: $i) { replayed } }", key("admin"), "allowed"],
    ["the key list", "{ apiKeys { id } }", key("write"), "FORBIDDEN"],
    ["the key list", "{ apiKeys { id } }", key("admin"), "allowed"],
    ["a new key", 'mutation { createApiKey(name: "x") { key } }', key("write"), "FORBIDDEN"],
    ["a new key", 'mutation { createApiKey(name: "x") { key } }', { kind: "anonymous", scope: "write" }, "allowed"],
    ["a revocation", 'mutation { revokeApiKey(key: "x") { id } }', key("admin"), "allowed"],
  ] as const)("%s with %j is %s", async (_what, document, principal, outcome) => {
    expect(await check(document, principal)).toBe(outcome);
  });
});
