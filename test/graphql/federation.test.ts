// FEDERATION=true: the gateway as an Apollo Federation 2 subgraph, composed
// (@apollo/composition) with a second subgraph from both SDLs and queried
// through @apollo/gateway, everything on 127.0.0.1 and offline. Voice is an
// entity keyed by `id` and by `voiceId`; however many references a request
// carries, they are read in one SQL statement (counted at the database
// object every catalog read goes through); `_entities` keeps the scopes and
// the response cache's rules; FEDERATION unset serves no federation field.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { GraphQLError, type GraphQLFieldResolver } from "graphql";
import type { MockInstance } from "vitest";
import { PROJECT_ROOT } from "../../dev/spawn-ts.js";
import type { GatewayContext } from "../../src/context.js";
import { subgraphSchema } from "../../src/graphql/subgraph.js";
import type { VoiceRecord } from "../../src/services/catalog/catalog-service.js";
import { bearer, issueKey } from "../support/api-keys.js";
import { describe, expect, test as base, vi } from "../support/base-fixtures.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { voiceData } from "../support/voice-data.js";
import { waitFor } from "../support/wait.js";
import {
  PLAYLISTS_SDL,
  type Playlist,
  type Router,
  type Served,
  servedSdl,
  servePlaylists,
  startRouter,
} from "./federation.scenarios.js";

const test = base
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("subgraph", { scope: "file" }, async ({}, { onCleanup }): Promise<TestGateway> => {
    const gateway = await startTestGateway({ env: { FEDERATION: "true" } });
    onCleanup(() => gateway.stop());
    return gateway;
  })
  .extend("voices", { scope: "file" }, async ({ subgraph }): Promise<VoiceRecord[]> => {
    const { voice } = subgraph.container.db.prisma;
    return Promise.all(
      ["Layla", "Omar", "Nour", "Khalid"].map((name) => voice.create({ data: voiceData({ name, languages: ["ar"] }) })),
    );
  })
  .extend("readKey", { scope: "file" }, async ({ subgraph }) => `Bearer ${(await issueKey(subgraph, "router", "read")).key}`)
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("playlists", { scope: "file" }, ({}): Playlist[] => [])
  .extend("playlistsSubgraph", { scope: "file" }, async ({ playlists }, { onCleanup }): Promise<Served> => {
    const served = await servePlaylists(() => playlists);
    onCleanup(() => served.stop());
    return served;
  })
  .extend(
    "router",
    { scope: "file" },
    async ({ subgraph, readKey, playlistsSubgraph: served }, { onCleanup }): Promise<Router> => {
      const router = await startRouter([
        { name: "voices", url: `${subgraph.url}/graphql`, sdl: await servedSdl(subgraph, readKey) },
        { name: "playlists", url: served.url, sdl: PLAYLISTS_SDL },
      ]);
      onCleanup(() => router.stop());
      return router;
    },
  )
  // The catalog's reads, as sent to PostgreSQL, counted from here to the test's end.
  .extend("voiceStatements", ({ subgraph }, { onCleanup }) => {
    const spy: MockInstance = vi.spyOn(subgraph.container.db, "query");
    onCleanup(() => spy.mockRestore());
    return () => spy.mock.calls.filter(([statement]) => /\bFROM voices\b/.test((statement as { text: string }).text)).length;
  });

const ENTITIES = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Voice { id voiceId name } } }`;
const brief = (voice: VoiceRecord) => ({ id: voice.id, voiceId: voice.voiceId, name: voice.name });

/** The gateway's request lines for /graphql whose operation the router named after the client's and this subgraph. */
const subgraphLines = (subgraph: TestGateway, operation: string) =>
  subgraph.logs.filter((line) => line.msg === "request" && String(line.operation).startsWith(`${operation}__voices__`));

describe("the gateway as a Federation 2 subgraph", () => {
  test("a query across both subgraphs gets each voice's catalog fields in one _entities request and one SQL statement", async ({
    subgraph,
    voices,
    readKey,
    playlists,
    router,
    voiceStatements,
  }) => {
    const [layla, omar, nour, khalid] = voices as [VoiceRecord, VoiceRecord, VoiceRecord, VoiceRecord];
    playlists.splice(
      0,
      playlists.length,
      ...[
        { name: "Morning", voiceIds: [layla.voiceId, omar.voiceId, nour.voiceId] },
        { name: "Evening", voiceIds: [khalid.voiceId, "voice_never_stored", layla.voiceId] },
      ],
    );
    const answer = await router.query<{ playlists: unknown }>(
      "query PlaylistVoices { playlists { name voices { voiceId name languages } } }",
      readKey,
    );
    const shown = (voice: VoiceRecord) => ({ voiceId: voice.voiceId, name: voice.name, languages: ["ar"] });
    expect(answer.body.data).toEqual({
      playlists: [
        { name: "Morning", voices: [shown(layla), shown(omar), shown(nour)] },
        { name: "Evening", voices: [shown(khalid), null, shown(layla)] },
      ],
    });
    // The catalog answered null for the voice it does not hold; the router nulls the voice and says why.
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.extensions?.valueCompletion).toMatchObject([{ path: ["playlists", 1, "voices", 1, "name"] }]);
    const toVoices = router.sent.filter((sent) => sent.subgraph === "voices");
    expect(toVoices).toHaveLength(1);
    expect(toVoices[0]!.query).toContain("_entities");
    const references = toVoices[0]!.variables.representations as Array<Record<string, unknown>>;
    // Six references (the router does not deduplicate Layla's two), each by voiceId: one statement reads them all.
    expect(references).toEqual(
      [layla, omar, nour, khalid, { voiceId: "voice_never_stored" }, layla].map(({ voiceId }) => ({
        __typename: "Voice",
        voiceId,
      })),
    );
    // What the gateway received: one request, logged when its answer was written.
    await waitFor(() => subgraphLines(subgraph, "PlaylistVoices").length > 0, 5_000, "the gateway's request line");
    expect(subgraphLines(subgraph, "PlaylistVoices")).toHaveLength(1);
    expect(voiceStatements()).toBe(1);
  });

  test("references by id and by voiceId resolve together in one statement; unknown ones resolve null", async ({
    subgraph,
    voices,
    readKey,
    voiceStatements,
  }) => {
    const [layla, omar, nour] = voices as [VoiceRecord, VoiceRecord, VoiceRecord];
    const representations = [
      { __typename: "Voice", id: layla.id },
      { __typename: "Voice", voiceId: omar.voiceId },
      { __typename: "Voice", id: randomUUID() },
      { __typename: "Voice", voiceId: "voice_never_stored" },
      { __typename: "Voice", id: "not-a-uuid" },
      { __typename: "Voice", id: nour.id.toUpperCase() },
      { __typename: "Voice", voiceId: layla.voiceId },
    ];
    const response = await subgraph.graphql(ENTITIES, { representations }, { authorization: readKey });
    expect(response.body).toEqual({
      data: { _entities: [brief(layla), brief(omar), null, null, null, brief(nour), brief(layla)] },
    });
    expect(voiceStatements()).toBe(1);
  });

  test("a reference with neither key fails alone, with BAD_USER_INPUT", async ({ subgraph, voices, readKey }) => {
    const representations = [
      { __typename: "Voice", name: "Layla" },
      { __typename: "Voice", id: voices[0]!.id },
    ];
    const response = await subgraph.graphql(ENTITIES, { representations }, { authorization: readKey });
    expect(response.body.data).toEqual({ _entities: [null, brief(voices[0]!)] });
    expect(response.body.errors).toMatchObject([{ path: ["_entities", 0], extensions: { code: "BAD_USER_INPUT" } }]);
  });

  test("the router passes each client's key on: without one, or with a revoked one, the subgraph refuses and reads nothing", async ({
    subgraph,
    voices,
    playlists,
    router,
    voiceStatements,
  }) => {
    playlists.splice(0, playlists.length, { name: "Morning", voiceIds: [voices[0]!.voiceId] });
    const revoked = await issueKey(subgraph, "revoked", "read");
    await subgraph.container.apiKeys.revoke(revoked.id);
    for (const authorization of [undefined, bearer(revoked.key).authorization]) {
      const answer = await router.query<{ playlists: Array<{ voices: unknown[] }> }>(
        "{ playlists { name voices { name } } }",
        authorization,
      );
      // The router reports the subgraph's 401 with its code; the playlist still answers, its voice null.
      expect(answer.body.data).toEqual({ playlists: [{ name: "Morning", voices: [null] }] });
      expect(answer.body.errors?.map((error) => error.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
    }
    expect(voiceStatements()).toBe(0);
  });

  test("_entities and _service are scope-checked as every root field is", async ({ readKey, subgraph }) => {
    // Every client key holds `read`, the lowest scope, which is what `voice(id:)` and so `_entities`
    // need: no real key can be refused here, so the check is shown with a principal holding none.
    const query = subgraphSchema().getQueryType()!.getFields();
    const noScope = { principal: { kind: "key", id: "k", name: "none", scope: "none" } } as unknown as GatewayContext;
    for (const name of ["_entities", "_service"]) {
      const resolve = query[name]!.resolve as GraphQLFieldResolver<unknown, GatewayContext>;
      let refusal: unknown;
      try {
        await resolve(undefined, { representations: [] }, noScope, undefined as never);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(GraphQLError);
      expect(refusal).toMatchObject({ extensions: { code: "FORBIDDEN", requiredScope: "read" } });
    }
    // A read key is enough, as for `voice(id:)`.
    const response = await subgraph.graphql(ENTITIES, { representations: [] }, { authorization: readKey });
    expect(response.body).toEqual({ data: { _entities: [] } });
  });

  test("the response cache never keeps an _entities or _service answer", async ({
    subgraph,
    voices,
    readKey,
    voiceStatements,
  }) => {
    const before = subgraph.logs.length;
    const representations = [{ __typename: "Voice", id: voices[1]!.id }];
    for (let round = 0; round < 2; round++) {
      expect((await subgraph.graphql(ENTITIES, { representations }, { authorization: readKey })).body.data).toEqual({
        _entities: [brief(voices[1]!)],
      });
      expect((await subgraph.graphql("{ _service { sdl } }", undefined, { authorization: readKey })).status).toBe(200);
    }
    expect(voiceStatements()).toBe(2); // both reads ran
    await waitFor(() => subgraph.logs.slice(before).filter((line) => line.msg === "request").length >= 4);
    const lines = subgraph.logs.slice(before).filter((line) => line.msg === "request");
    expect(lines.map((line) => line.cache)).toEqual([undefined, undefined, undefined, undefined]);
  });

  test("the cost limit counts every reference, per request of one document", async ({ subgraph, readKey, voiceStatements }) => {
    const references = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ __typename: "Voice", voiceId: `v${index}` }));
    // 11 + 2,000 x 3 fields: over the default limit of 5,000, refused before any read.
    const refused = await subgraph.graphql(ENTITIES, { representations: references(2_000) }, { authorization: readKey });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "COST_LIMIT_EXCEEDED", cost: 6_011 });
    expect(voiceStatements()).toBe(0);
    const passed = await subgraph.graphql(ENTITIES, { representations: references(2) }, { authorization: readKey });
    expect(passed.body).toEqual({ data: { _entities: [null, null] } });
  });

  test("a reference costs at least one, whatever is selected of it, fragments on _Entity included", async ({
    subgraph,
    readKey,
    voiceStatements,
  }) => {
    const references = Array.from({ length: 6_000 }, (_, index) => ({ __typename: "Voice", voiceId: `v${index}` }));
    const selections = [
      "{ __typename }",
      "{ ... on _Entity { ... on Voice { id voiceId name } } }",
      "{ ...Entity } } fragment Entity on _Entity { ... on Voice { id }",
    ];
    for (const selection of selections) {
      const query = `query ($r: [_Any!]!) { _entities(representations: $r) ${selection} }`;
      const refused = await subgraph.graphql(query, { r: references }, { authorization: readKey });
      expect(refused.body.errors?.[0]?.extensions?.code, selection).toBe("COST_LIMIT_EXCEEDED");
    }
    expect(voiceStatements()).toBe(0);
  });

  test("a representation that names no entity, or is no object, is BAD_USER_INPUT, never an internal error", async ({
    subgraph,
    readKey,
    voiceStatements,
  }) => {
    const before = subgraph.logs.length;
    const foreign = [
      1,
      "Voice",
      { id: "x" },
      { __typename: 7 },
      { __typename: "CloneAttempt", id: "x" },
      { __typename: "Query" },
    ];
    for (const representation of foreign) {
      const representations = [{ __typename: "Voice", voiceId: "v1" }, representation];
      const response = await subgraph.graphql(ENTITIES, { representations }, { authorization: readKey });
      expect(response.body.errors, JSON.stringify(representation)).toMatchObject([
        { extensions: { code: "BAD_USER_INPUT", field: "representations.1" } },
      ]);
    }
    expect(subgraph.logs.slice(before).filter((line) => line.msg === "unexpected error")).toEqual([]);
    expect(voiceStatements()).toBe(0);
  });

  test("_service serves the SDL npm run generate writes to subgraph.graphql", async ({ subgraph, readKey }) => {
    const file = readFileSync(path.join(PROJECT_ROOT, "subgraph.graphql"), "utf8");
    const generated = file.replace(/^(#.*\n)+\n/, "");
    expect(`${await servedSdl(subgraph, readKey)}\n`).toBe(generated);
  });
});

describe("outside a supergraph", () => {
  test("FEDERATION unset serves no federation field", async ({ startGateway }) => {
    const plain = await startGateway();
    for (const query of ["{ _service { sdl } }", `{ _entities(representations: []) { __typename } }`]) {
      const response = await plain.graphql(query);
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    }
  });

  test("where introspection is off, _service is refused and _entities still answers", async ({ startGateway }) => {
    const production = await startGateway({ env: { FEDERATION: "true", NODE_ENV: "production", ALLOW_ANONYMOUS: "true" } });
    const refused = await production.graphql("{ _service { sdl } }");
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const entities = await production.graphql(ENTITIES, { representations: [{ __typename: "Voice", voiceId: "voice_x" }] });
    expect(entities.body).toEqual({ data: { _entities: [null] } });
  });
});
