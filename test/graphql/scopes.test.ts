// Scopes where fields resolve: every root field declares the scope it needs
// in the SDL, and no shape of document (fragments, inline fragments, aliases,
// several root fields) reaches a field the caller's key may not use. A
// refused field has no side effect: no key is revoked or made, Faseeh is not
// called, nothing is written.
import { makeExecutableSchema } from "@graphql-tools/schema";
import { CATALOG_ROOT_FIELDS } from "../../src/graphql/plugins/response-cache-policy.js";
import { declaredScope, enforceScopes, rootTypes } from "../../src/graphql/scopes.js";
import { resolvers } from "../../src/resolvers/index.js";
import { typeDefs } from "../../src/schema/index.js";
import { bearer, issueKey } from "../support/api-keys.js";
import { cloneVoice } from "../support/clone.js";
import { describe, expect, test } from "../support/fixtures.js";

describe("every root field declares its scope", () => {
  test("in the SDL, each Query and Mutation field", () => {
    const schema = makeExecutableSchema({ typeDefs, resolvers });
    const undeclared = rootTypes(schema).flatMap((type) =>
      Object.keys(type.getFields())
        .filter((name) => declaredScope(type, name) === undefined)
        .map((name) => `${type.name}.${name}`),
    );
    expect(undeclared).toEqual([]);
    // What the gateway would refuse to start with.
    expect(() => enforceScopes(schema)).not.toThrow();
  });

  test("the response cache keeps only fields every key may read", () => {
    // It serves a kept answer to any authenticated caller (src/graphql/plugins/response-cache-policy.ts).
    const schema = makeExecutableSchema({ typeDefs, resolvers });
    const query = schema.getQueryType()!;
    const cached = [...CATALOG_ROOT_FIELDS].filter((name) => name !== "__typename");
    expect(cached.map((name) => [name, declaredScope(query, name)])).toEqual(cached.map((name) => [name, "read"]));
  });

  test("a root field without one stops the gateway from starting", () => {
    const schema = makeExecutableSchema({
      typeDefs: `${typeDefs}\nextend type Query { leak: String }`,
      resolvers: { ...resolvers, Query: { ...resolvers.Query, leak: () => "secret" } },
    });
    expect(() => enforceScopes(schema)).toThrow("Query.leak declares no @scope");
  });
});

describe("no document shape crosses a scope", () => {
  const listKeys = [
    ["a fragment on Query", "{ ...q } fragment q on Query { apiKeys { id name scope prefix } }"],
    ["an inline fragment", "{ ... on Query { apiKeys { id name } } }"],
    ["an alias", "{ catalog: voices { totalCount } k: apiKeys { id } }"],
    ["nested fragments", "{ ...a } fragment a on Query { ...b } fragment b on Query { ... on Query { apiKeys { prefix } } }"],
    ["a skipped-looking directive", "{ apiKeys @include(if: true) { id } }"],
  ] as const;

  test.for(listKeys)("a read key listing keys through %s gets FORBIDDEN and no key", async ([, query], { gateway }) => {
    const reader = await issueKey(gateway, "catalog-browser", "read");
    await issueKey(gateway, "ops", "admin");
    const response = await gateway.graphql(query, undefined, bearer(reader.key));
    expect(response.status).toBe(403);
    const forbidden = response.body.errors?.find((error) => error.extensions?.code === "FORBIDDEN");
    expect(forbidden?.message).toContain("`Query.apiKeys` needs a client key with the `admin` scope; this key has `read`");
    expect(forbidden?.extensions?.requiredScope).toBe("admin");
    expect(JSON.stringify(response.body.data ?? null)).not.toMatch(/fvg_|ops/);
  });

  test.for([
    ["an inline fragment", (id: string) => `mutation { ... on Mutation { revokeApiKey(key: "${id}") { id } } }`],
    ["a named fragment", (id: string) => `mutation { ...m } fragment m on Mutation { revokeApiKey(key: "${id}") { id } }`],
    ["an alias", (id: string) => `mutation { gone: revokeApiKey(key: "${id}") { id } }`],
  ] as const)(
    "a write key revoking the admin key through %s gets FORBIDDEN, and the key still works",
    async ([, document], { gateway }) => {
      const writer = await issueKey(gateway, "voice-studio", "write");
      const admin = await issueKey(gateway, "ops", "admin");
      const response = await gateway.graphql(document(admin.id), undefined, bearer(writer.key));
      expect(response.status).toBe(403);
      expect(response.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      const revoked = await gateway.database!.query<{ revoked_at: Date | null }>(
        "SELECT revoked_at FROM api_keys WHERE id = $1",
        [admin.id],
      );
      expect(revoked).toEqual([{ revoked_at: null }]);
      expect((await gateway.graphql("{ apiKeys { id } }", undefined, bearer(admin.key))).body.errors).toBeUndefined();
    },
  );

  test("a write key cannot make keys through a fragment", async ({ gateway }) => {
    const writer = await issueKey(gateway, "voice-studio", "write");
    const response = await gateway.graphql(
      'mutation { ...m } fragment m on Mutation { createApiKey(name: "mine", scope: ADMIN) { key } }',
      undefined,
      bearer(writer.key),
    );
    expect(response.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await gateway.database!.query("SELECT name FROM api_keys WHERE name = 'mine'")).toEqual([]);
  });

  test("a read key's clone calls nobody and records nothing", async ({ gateway, upstream }) => {
    const reader = await issueKey(gateway, "catalog-browser", "read");
    const response = await cloneVoice(gateway, { headers: bearer(reader.key) });
    expect(response.status).toBe(403);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(upstream.requests).toEqual([]);
    expect(await gateway.database!.query("SELECT id FROM clone_attempts")).toEqual([]);
  });

  test("fields the key may use still answer beside one it may not", async ({ gateway }) => {
    const reader = await issueKey(gateway, "catalog-browser", "read");
    const response = await gateway.graphql("{ voices { totalCount } apiKeys { id } }", undefined, bearer(reader.key));
    expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(response.body.data).toBeNull();
  });
});
