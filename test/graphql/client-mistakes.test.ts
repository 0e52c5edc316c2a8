// A client's mistakes answer 4xx with a stable code, never 5xx (which would
// page whoever watches the gateway's errors): a document that does not parse,
// one over the token limit, an automatic persisted query the gateway has not
// seen yet. And in production no error suggests a name of the schema,
// whichever kind of name was mistyped and wherever (document or variables).
import { createHash } from "node:crypto";
import { describe, expect, test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";

describe("documents that do not parse", () => {
  test.for([
    ["an unclosed selection", "{ voices { totalCount "],
    ["a stray character", "{ voices { totalCount } } }"],
    ["an empty document", " "],
    ["an unterminated string", '{ voices(filter: { search: "abc }) { totalCount } }'],
    ["more tokens than GRAPHQL_MAX_TOKENS", `{ ${Array.from({ length: 2100 }, () => "__typename").join(" ")} }`],
  ] as const)("%s answers 400 GRAPHQL_PARSE_FAILED", async ([, query], { gateway, productionGateway: production }) => {
    for (const server of [gateway, production]) {
      const response = await server.graphql(query);
      expect(response.status).toBe(400);
      expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(["GRAPHQL_PARSE_FAILED"]);
      expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
    }
  });

  test("over the token limit, the message names the setting", async ({ gateway }) => {
    const response = await gateway.graphql(`{ ${Array.from({ length: 2100 }, () => "__typename").join(" ")} }`);
    expect(response.body.errors?.[0]?.message).toBe("The document has more than 2000 tokens (GRAPHQL_MAX_TOKENS); nothing ran.");
  });
});

describe("operations Apollo does not resolve, and operation types the gateway does not serve", () => {
  const VOICE = "6f0f4f8e-3a5c-4d0e-9b7e-2f1c1a9d4e10";
  const archive = `mutation Archive { archiveVoice(id: "${VOICE}") { voice { archivedAt } } }`;
  const archived = async (gateway: TestGateway) =>
    (await gateway.database!.query<{ archived_at: Date | null }>("SELECT archived_at FROM voices WHERE id = $1", [VOICE]))[0]
      ?.archived_at ?? null;

  test("an operationName the document does not have runs nothing: 400 OPERATION_RESOLUTION_FAILURE, over POST and GET", async ({
    gateway,
  }) => {
    await gateway.database!.query(
      `INSERT INTO voices (id, voice_id, name, stability, model) VALUES ('${VOICE}', 'v-1', 'Layla', 0.5, 'faseeh-v1')`,
    );
    const posted = await fetch(`${gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: archive, operationName: "Other" }),
    });
    expect(posted.status).toBe(400);
    expect(((await posted.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe(
      "OPERATION_RESOLUTION_FAILURE",
    );
    const search = new URLSearchParams({ query: archive, operationName: "Other" });
    const got = await fetch(`${gateway.url}/graphql?${search.toString()}`, { headers: { "apollo-require-preflight": "true" } });
    expect(got.status).toBe(400);
    expect(await archived(gateway)).toBeNull();
    expect(gateway.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });

  test("a subscription answers 400 GRAPHQL_VALIDATION_FAILED", async ({ gateway, productionGateway: production }) => {
    for (const server of [gateway, production]) {
      const response = await server.graphql("subscription { __typename }");
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(response.body.errors?.[0]?.message).toContain("serves no subscription operations");
    }
  });

  test("variables nested ten thousand deep answer without a 5xx, with the response cache on or off", async ({
    gateway,
    upstream,
    startGateway,
  }) => {
    // Written by hand: JSON.stringify itself recurses, and would overflow here first.
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const post = async (server: TestGateway, query: string, variable: string) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"query":${JSON.stringify(query)},"variables":{"${variable}":${deep}}}`,
      });
      return { status: response.status, body: (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> } };
    };
    const cached = await startGateway({ upstream, env: { RESPONSE_CACHE: "true" } });
    for (const server of [gateway, cached]) {
      // A variable the operation does not declare is ignored, however deep.
      expect((await post(server, "{ __typename }", "x")).status).toBe(200);
      const declared = await post(server, "query($t: [String!]) { voices(filter: { tags: $t }) { totalCount } }", "t");
      expect(declared.status).toBe(400);
      expect(declared.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
    }
  });
});

describe("automatic persisted queries", () => {
  const query = "{ voices { totalCount } }";
  const sha256Hash = createHash("sha256").update(query).digest("hex");
  const persisted = { persistedQuery: { version: 1, sha256Hash } };

  test("an unknown hash answers PERSISTED_QUERY_NOT_FOUND (200, as Apollo Client's link expects), then the query registers it", async ({
    gateway,
  }) => {
    const unknown = await gateway.graphql("", undefined, {}, {});
    expect(unknown.status).toBe(400); // no query and no hash: a malformed request
    const first = await send(gateway, { extensions: persisted });
    expect(first.status).toBe(200);
    expect(first.body.errors?.map((error) => error.extensions?.code)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
    const registered = await send(gateway, { query, extensions: persisted });
    expect(registered.body).toEqual({ data: { voices: { totalCount: 0 } } });
    const byHash = await send(gateway, { extensions: persisted });
    expect(byHash.body).toEqual({ data: { voices: { totalCount: 0 } } });
  });

  test("a hash that does not match its query answers 400 BAD_REQUEST", async ({ gateway }) => {
    const response = await send(gateway, { query: "{ __typename }", extensions: persisted });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
  });

  async function send(gateway: TestGateway, body: Record<string, unknown>) {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> },
    };
  }
});

describe("no suggestions in production", () => {
  test.for([
    ["a field", "{ voicez { totalCount } }", undefined],
    ["an argument", "{ voices(firts: 2) { totalCount } }", undefined],
    ["an input field", '{ voices(filter: { langauge: "ar" }) { totalCount } }', undefined],
    ["an enum value in the document", "{ voices(sort: NEWES) { totalCount } }", undefined],
    ["an enum value in variables", "query($sort: VoiceSort) { voices(sort: $sort) { totalCount } }", { sort: "NEWES" }],
    [
      "an input field in variables",
      "query($filter: VoiceFilter) { voices(filter: $filter) { totalCount } }",
      { filter: { langauge: "ar" } },
    ],
    ["a type", "query($filter: VoiceFiltre) { voices(filter: $filter) { totalCount } }", undefined],
    ["a fragment's type", "{ voices { nodes { ...f } } } fragment f on Voic { id }", undefined],
  ] as const)(
    "a mistyped %s: 4xx, and the message suggests nothing",
    async ([, query, variables], { gateway, productionGateway: production }) => {
      const answer = await production.graphql(query, variables);
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.length).toBeGreaterThan(0);
      for (const error of answer.body.errors ?? []) expect(error.message).not.toMatch(/did you mean/i);
      // The same mistake outside production does get the hint (that is what was removed).
      const development = await gateway.graphql(query, variables);
      expect(development.body.errors?.some((error) => /Did you mean/.test(error.message))).toBe(true);
    },
  );
});
