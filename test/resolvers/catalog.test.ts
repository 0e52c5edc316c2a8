// The `voices` and `voice` queries over real HTTP against a real PostgreSQL
// database: filters, newest-first keyset paging, totalCount, and errors.
import { randomUUID } from "node:crypto";
import type { VoiceRecord } from "../../src/services/catalog/catalog-service.js";
import { voiceUpsert } from "../../src/services/catalog/voice-writes.js";
import { print } from "graphql";
import {
  type VoiceFieldsFragment,
  type VoiceFilter,
  VoiceCountDocument,
  VoiceDocument,
  type VoiceQueryVariables,
  VoiceIdsDocument,
  VoicesDocument,
  type VoicesQuery,
  type VoicesQueryVariables,
  VoicesWithCountDocument,
  type VoicesWithCountQuery,
} from "../generated/operations.js";
import { describe, expect, test, vi } from "../support/fixtures.js";
import type { GraphQLResponse, TestGateway } from "../support/gateway.js";
import {
  at,
  hour,
  insertVoice,
  matching,
  seedFilterCatalog,
  seedMixed,
  voiceData,
  type FilterCatalogKey,
} from "./catalog.scenarios.js";

type VoiceNode = VoiceFieldsFragment;

/** A page of either operation: VoicesWithCount also has totalCount. */
type Connection = VoicesQuery["voices"] & Partial<Pick<VoicesWithCountQuery["voices"], "totalCount">>;

/** VoiceFilter as sent in variables (DateTime values as ISO strings). */
type Filter = VoiceFilter;

/** The Voices operation as text, for variables that deliberately do not match its types. */
const VOICES = print(VoicesDocument);

// The catalog needs no upstream.
test.override("gatewayOptions", { withUpstream: false });
test.afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------
// Expectations (the seeded data is in catalog.scenarios.ts)

/** Newest first; equal createdAt broken by id, descending (PostgreSQL's uuid order is the lower-case hex order). */
function newestFirst(a: VoiceRecord, b: VoiceRecord): number {
  const byTime = b.createdAt.getTime() - a.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

const idsNewestFirst = (records: VoiceRecord[]): string[] => [...records].sort(newestFirst).map((record) => record.id);

/** What the API should answer for a stored record. */
const asNode = ({ sortName: _sortName, ...record }: VoiceRecord): VoiceNode => ({
  ...record,
  createdAt: record.createdAt.toISOString(),
  updatedAt: record.updatedAt.toISOString(),
  archivedAt: record.archivedAt?.toISOString() ?? null,
});

async function voices(
  gateway: TestGateway,
  variables: VoicesQueryVariables = {},
  withCount = false,
): Promise<GraphQLResponse<{ voices: Connection }>> {
  return withCount
    ? gateway.graphql(VoicesWithCountDocument, { ...variables })
    : gateway.graphql(VoicesDocument, { ...variables });
}

/** A page that must succeed; checks the invariants every page has. */
async function page(gateway: TestGateway, variables: VoicesQueryVariables = {}, withCount = false): Promise<Connection> {
  const response = await voices(gateway, variables, withCount);
  expect(response.body.errors).toBeUndefined();
  expect(response.status).toBe(200);
  const connection = response.body.data!.voices;
  expect(connection.nodes).toEqual(connection.edges.map((edge) => edge.node));
  expect(connection.pageInfo.startCursor).toBe(connection.edges[0]?.cursor ?? null);
  expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1)?.cursor ?? null);
  return connection;
}

const ids = (connection: Connection): string[] => connection.nodes.map((node) => node.id);

async function firstError(response: Promise<GraphQLResponse>) {
  const { body } = await response;
  expect(body.errors).toHaveLength(1);
  return body.errors![0]!;
}

// ---------------------------------------------------------------------------
// Filters

describe("voices filters", () => {
  type Key = FilterCatalogKey;
  let stored: Record<Key, VoiceRecord>;

  test.beforeEach(async ({ gateway }) => {
    stored = await seedFilterCatalog(gateway);
  });

  const cases: Array<[string, Filter, Key[]]> = [
    ["no filter", {}, ["laylani", "mona", "khalid", "nour", "omar", "layla"]],
    [
      "a filter whose fields are all null",
      { language: null, gender: null, createdAfter: null },
      ["laylani", "mona", "khalid", "nour", "omar", "layla"],
    ],
    ["language", { language: "ar" }, ["khalid", "omar", "layla"]],
    ["language, upper case", { language: "AR" }, ["khalid", "omar", "layla"]],
    ["language, padded", { language: " Fr " }, ["laylani", "khalid"]],
    ["language is a whole code, not a prefix", { language: "e" }, []],
    ["dialect", { dialect: "hijazi" }, ["omar", "layla"]],
    ["dialect, upper case", { dialect: "NAJDI" }, ["laylani", "layla"]],
    ["dialect with an underscore", { dialect: "Gulf_Saudi" }, ["khalid"]],
    ["gender", { gender: "female" }, ["laylani", "nour", "layla"]],
    ["gender, mixed case", { gender: "FeMaLe" }, ["laylani", "nour", "layla"]],
    ['gender is exact ("male" is not "female")', { gender: "male" }, ["khalid", "omar"]],
    ["age", { age: "middle" }, ["khalid", "layla"]],
    ["age, upper case", { age: "ELDERLY" }, ["laylani", "omar"]],
    ["model", { model: "faseeh-v2" }, ["khalid", "nour"]],
    ["model, unknown", { model: "faseeh-v9" }, []],
    ["nameContains", { nameContains: "layla" }, ["laylani", "layla"]],
    ["nameContains, upper case", { nameContains: "LAYLA" }, ["laylani", "layla"]],
    ["nameContains, inner text", { nameContains: "al-h" }, ["nour"]],
    ["nameContains, no match", { nameContains: "zz" }, []],
    ["createdAfter is inclusive", { createdAfter: hour(4).toISOString() }, ["laylani", "mona", "khalid"]],
    ["createdBefore is exclusive", { createdBefore: hour(3).toISOString() }, ["omar", "layla"]],
    [
      "createdAfter and createdBefore",
      { createdAfter: hour(2).toISOString(), createdBefore: hour(5).toISOString() },
      ["khalid", "nour", "omar"],
    ],
    [
      "createdAfter one millisecond later excludes the boundary",
      { createdAfter: new Date(hour(6).getTime() + 1).toISOString() },
      [],
    ],
    ["createdAfter later than createdBefore", { createdAfter: hour(5).toISOString(), createdBefore: hour(2).toISOString() }, []],
    ["language AND gender", { language: "AR", gender: "Male" }, ["khalid", "omar"]],
    ["language AND dialect", { language: "ar", dialect: "najdi" }, ["layla"]],
    ["gender AND age AND model", { gender: "female", age: "elderly", model: "faseeh-v1" }, ["laylani"]],
    [
      "dialect AND nameContains AND createdBefore",
      { dialect: "najdi", nameContains: "lay", createdBefore: hour(6).toISOString() },
      ["layla"],
    ],
    ["a combination that matches nothing", { language: "ar", gender: "female", model: "faseeh-v2" }, []],
  ];

  test.for(cases)("%s", async ([, filter, expected], { gateway }) => {
    const connection = await page(gateway, { filter }, true);
    expect(connection.nodes).toEqual(expected.map((key) => asNode(stored[key])));
    expect(connection.totalCount).toBe(expected.length);
    expect(connection.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  // The VoiceFilter doc says "Matching ignores case" for every field; model is
  // stored as given, so this needs a case-insensitive comparison in the filter.
  test("model matches regardless of case", async ({ gateway }) => {
    const mixed = await insertVoice(gateway, hour(7), { name: "Mixed", model: "Faseeh-V1-Pro" });
    expect(ids(await page(gateway, { filter: { model: "faseeh-v1-pro" } }))).toEqual([mixed.id]);
    expect(ids(await page(gateway, { filter: { model: "FASEEH-V2" } }))).toEqual([stored.khalid.id, stored.nour.id]);
  });

  // An exact match: % and _ in a model id are text, never LIKE wildcards.
  test("model matches exactly, with no wildcard meaning", async ({ gateway }) => {
    const underscore = await insertVoice(gateway, hour(7), { name: "Underscore", model: "faseeh_v1" });
    const lookalike = await insertVoice(gateway, hour(8), { name: "Lookalike", model: "faseehxv1" });
    expect(ids(await page(gateway, { filter: { model: "%" } }))).toEqual([]);
    expect(ids(await page(gateway, { filter: { model: "faseeh%" } }))).toEqual([]);
    expect(ids(await page(gateway, { filter: { model: "faseeh_v1" } }))).toEqual([underscore.id]);
    expect(ids(await page(gateway, { filter: { model: "FASEEHXV1" } }))).toEqual([lookalike.id]);
    expect(ids(await page(gateway, { filter: { model: "faseeh-v" } }))).toEqual([]);
  });

  // "Voices whose name contains this text": % and _ are text here, not LIKE wildcards.
  test.for([
    ["%", "100% Arabic"],
    ["_", "voice_one"],
    ["a_b", "a_b"],
    ["\\", "back\\slash"],
  ])("nameContains %j matches the literal text only", async ([text, name], { gateway }) => {
    const literal = await insertVoice(gateway, hour(8), { name });
    await insertVoice(gateway, hour(9), { name: "axb plain" });
    expect(ids(await page(gateway, { filter: { nameContains: text } }))).toEqual([literal.id]);
  });
});

describe("voiceUpsert normalisation meets case-insensitive filters", () => {
  test("stores codes lower-cased and de-duplicated, and finds them whatever the filter's case", async ({ gateway }) => {
    const saved = await voiceUpsert(
      gateway.container.db.prisma,
      voiceData({
        name: "Layla",
        gender: "Female",
        age: " Middle ",
        languages: ["AR", "En", "ar "],
        dialects: ["Najdi", "NAJDI"],
      }),
    );
    expect(saved).toMatchObject({ gender: "female", age: "middle", languages: ["ar", "en"], dialects: ["najdi"] });
    await insertVoice(gateway, at(0), { gender: "male", languages: ["ar"], dialects: ["najdi"], age: "middle" });

    const byEveryField = await page(gateway, {
      filter: { gender: "FEMALE", age: "middle", language: "En", dialect: "najdi", nameContains: "LAY" },
    });
    expect(byEveryField.nodes).toEqual([asNode(saved)]);

    const stored = await gateway.database!.query<{ gender: string; languages: string[] }>(
      "SELECT gender, languages FROM voices WHERE id = $1",
      [saved.id],
    );
    expect(stored).toEqual([{ gender: "female", languages: ["ar", "en"] }]);
  });
});

// ---------------------------------------------------------------------------
// Order and paging

describe("voices order", () => {
  test("lists newest first whatever the insertion order", async ({ gateway }) => {
    const middle = await insertVoice(gateway, at(10));
    const oldest = await insertVoice(gateway, at(1));
    const newest = await insertVoice(gateway, at(20));
    expect(ids(await page(gateway))).toEqual([newest.id, middle.id, oldest.id]);
  });

  test("breaks ties on createdAt by id, descending, on one page and across pages", async ({ gateway }) => {
    const tied = [
      "00000000-0000-4000-8000-000000000009",
      "00000000-0000-4000-8000-00000000000a",
      "0000000f-0000-4000-8000-000000000000",
      "a0000000-0000-4000-8000-000000000000",
      "10000000-0000-4000-8000-000000000000",
    ];
    const older = await insertVoice(gateway, at(0), { id: "ffffffff-0000-4000-8000-000000000000" });
    for (const id of tied) await insertVoice(gateway, at(5), { id });
    const newer = await insertVoice(gateway, at(9), { id: "00000000-0000-4000-8000-000000000001" });

    const expected = [
      newer.id,
      "a0000000-0000-4000-8000-000000000000",
      "10000000-0000-4000-8000-000000000000",
      "0000000f-0000-4000-8000-000000000000",
      "00000000-0000-4000-8000-00000000000a",
      "00000000-0000-4000-8000-000000000009",
      older.id,
    ];
    expect(ids(await page(gateway))).toEqual(expected);

    // Pages of two cut through the tied group twice.
    const collected: string[] = [];
    let after: string | null = null;
    do {
      const connection: Connection = await page(gateway, { first: 2, after });
      collected.push(...ids(connection));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after);
    expect(collected).toEqual(expected);
  });
});

describe("voices paging", () => {
  const filter: Filter = { language: "AR", gender: "Female" };

  /** The mixed scenario, and the matching voices' ids newest first. */
  async function seedMixedExpecting(gateway: TestGateway): Promise<{ expected: string[]; all: VoiceRecord[] }> {
    const { matchingIds, all } = await seedMixed(gateway);
    return { expected: idsNewestFirst(all.filter((voice) => matchingIds.has(voice.id))), all };
  }

  test("pages through a filtered set with no gaps or repeats", async ({ gateway }) => {
    const { expected } = await seedMixedExpecting(gateway);
    expect(expected).toHaveLength(23);

    const collected: string[] = [];
    const pages: Connection[] = [];
    let after: string | null = null;
    for (;;) {
      const connection: Connection = await page(gateway, { filter, first: 5, after }, true);
      pages.push(connection);
      collected.push(...ids(connection));
      expect(connection.totalCount).toBe(23);
      expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
      expect(after).not.toBeNull();
      expect(pages.length).toBeLessThan(10); // a runaway loop is a failure, not a hang
    }

    expect(pages.map((p) => p.nodes.length)).toEqual([5, 5, 5, 5, 3]);
    expect(new Set(collected).size).toBe(collected.length);
    expect(collected).toEqual(expected);
    for (const p of pages) {
      expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)!.cursor);
      for (const node of p.nodes) expect(node).toMatchObject({ gender: "female", languages: ["ar", "en"] });
    }
  });

  test("ends without an empty page when the set divides evenly", async ({ gateway }) => {
    const records = await Promise.all(Array.from({ length: 10 }, (_, index) => insertVoice(gateway, at(index % 3), matching)));
    const first = await page(gateway, { first: 5 });
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await page(gateway, { first: 5, after: first.pageInfo.endCursor });
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect([...ids(first), ...ids(second)]).toEqual(idsNewestFirst(records));

    // The cursor of the very last voice gives an empty, terminal page.
    const beyond = await page(gateway, { first: 5, after: second.pageInfo.endCursor });
    expect(beyond.edges).toEqual([]);
    expect(beyond.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
  });

  test("an empty catalog answers one empty page", async ({ gateway }) => {
    const connection = await page(gateway, { filter }, true);
    expect(connection).toEqual({
      edges: [],
      nodes: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      totalCount: 0,
    });
  });

  test("is not disturbed by voices added while a client pages", async ({ gateway }) => {
    const { expected } = await seedMixedExpecting(gateway);
    const first = await page(gateway, { filter, first: 5 }, true);
    expect(ids(first)).toEqual(expected.slice(0, 5));
    expect(first.totalCount).toBe(23);

    // Newer than anything on the first page, and one tied with the first page's newest voice but with a larger id.
    const newest = await insertVoice(gateway, at(60), matching);
    const firstNode = first.nodes[0]!;
    const tiedAhead = await insertVoice(gateway, new Date(firstNode.createdAt), {
      ...matching,
      id: "ffffffff-ffff-4fff-bfff-ffffffffffff",
    });

    const collected = ids(first);
    let after = first.pageInfo.endCursor;
    let last: Connection = first;
    while (after) {
      last = await page(gateway, { filter, first: 5, after }, true);
      collected.push(...ids(last));
      after = last.pageInfo.hasNextPage ? last.pageInfo.endCursor : null;
    }
    expect(collected).toEqual(expected);
    expect(collected).not.toContain(newest.id);
    expect(collected).not.toContain(tiedAhead.id);
    // The count is live: it includes the newcomers, and a fresh first page shows them first.
    expect(last.totalCount).toBe(25);
    expect(ids(await page(gateway, { filter, first: 2 }))).toEqual([newest.id, tiedAhead.id]);
  });

  test("accepts first: 100 (the cap) and defaults first to 20", async ({ gateway }) => {
    const data = Array.from({ length: 105 }, (_, index) => ({ ...voiceData(), createdAt: at(index % 7) }));
    await gateway.container.db.prisma.voice.createMany({ data });
    const expected = idsNewestFirst(await gateway.container.db.prisma.voice.findMany());

    const capped = await page(gateway, { first: 100 }, true);
    expect(ids(capped)).toEqual(expected.slice(0, 100));
    expect(capped.pageInfo.hasNextPage).toBe(true);
    expect(capped.totalCount).toBe(105);
    const rest = await page(gateway, { first: 100, after: capped.pageInfo.endCursor });
    expect(ids(rest)).toEqual(expected.slice(100));
    expect(rest.pageInfo.hasNextPage).toBe(false);

    const byDefault = await page(gateway);
    expect(ids(byDefault)).toEqual(expected.slice(0, 20));
    expect(byDefault.pageInfo.hasNextPage).toBe(true);
    // Same default with no variables at all, and with an explicit null.
    const literal = await gateway.graphql(VoiceIdsDocument);
    expect(literal.body.data!.voices.nodes.map((node) => node.id)).toEqual(expected.slice(0, 20));
    expect(ids(await page(gateway, { first: null }))).toEqual(expected.slice(0, 20));
  });
});

// ---------------------------------------------------------------------------
// totalCount

describe("voices totalCount", () => {
  test("counts the filtered set on every page", async ({ gateway }) => {
    for (let index = 0; index < 7; index++)
      await insertVoice(gateway, at(index), { languages: index % 2 === 0 ? ["ar"] : ["en"] });
    const first = await page(gateway, { filter: { language: "ar" }, first: 2 }, true);
    const second = await page(gateway, { filter: { language: "ar" }, first: 2, after: first.pageInfo.endCursor }, true);
    const last = await page(gateway, { filter: { language: "ar" }, first: 2, after: second.pageInfo.endCursor }, true);
    expect([first.totalCount, second.totalCount, last.totalCount]).toEqual([4, 4, 4]);
    expect((await page(gateway, { filter: { language: "en" }, first: 1 }, true)).totalCount).toBe(3);
    expect((await page(gateway, { first: 1 }, true)).totalCount).toBe(7);
  });

  test("is computed only when selected", async ({ gateway }) => {
    await insertVoice(gateway, at(1), { gender: "male" });
    await insertVoice(gateway, at(2), { gender: "female" });
    const countVoices = vi.spyOn(gateway.container.catalog, "countVoices");

    const withoutCount = await page(gateway, { filter: { gender: "male" } });
    expect(withoutCount.nodes).toHaveLength(1);
    expect(countVoices).not.toHaveBeenCalled();

    const withCount = await page(gateway, { filter: { gender: "male" } }, true);
    expect(withCount.totalCount).toBe(1);
    expect(countVoices).toHaveBeenCalledTimes(1);
    expect(countVoices.mock.calls[0]![0]).toMatchObject({ keys: { gender: "male" } });

    const onlyCount = await gateway.graphql(VoiceCountDocument);
    expect(onlyCount.body).toEqual({ data: { voices: { totalCount: 2 } } });
    expect(countVoices).toHaveBeenCalledTimes(2);
  });
});

// ---------------------------------------------------------------------------
// voice(id | voiceId)

describe("voice", () => {
  test("finds a voice by id and by voiceId, with every field", async ({ gateway }) => {
    const record = await voiceUpsert(
      gateway.container.db.prisma,
      voiceData({
        description: "Warm",
        gender: "female",
        age: "middle",
        languages: ["ar"],
        dialects: ["najdi"],
        avatarUrl: "https://example.com/a.png",
        stability: 0.75,
      }),
    );
    await insertVoice(gateway, at(0));
    const byId = await gateway.graphql(VoiceDocument, { id: record.id });
    expect(byId.body).toEqual({ data: { voice: asNode(record) } });
    const byVoiceId = await gateway.graphql(VoiceDocument, { voiceId: record.voiceId, id: null });
    expect(byVoiceId.body).toEqual({ data: { voice: asNode(record) } });
  });

  test.for<[string, VoiceQueryVariables]>([
    ["an id that is not a UUID", { id: "not-a-uuid" }],
    ["an unknown id", { id: randomUUID() }],
    ["an unknown voiceId", { voiceId: "voice_does_not_exist" }],
  ])("answers null for %s", async ([, variables], { gateway }) => {
    await insertVoice(gateway, at(0));
    const response = await gateway.graphql(VoiceDocument, variables);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { voice: null } });
  });

  test.for<[string, VoiceQueryVariables]>([
    ["both id and voiceId", { id: randomUUID(), voiceId: "voice_x" }],
    ["neither id nor voiceId", {}],
    ["both given as null", { id: null, voiceId: null }],
  ])("rejects %s with BAD_USER_INPUT", async ([, variables], { gateway }) => {
    const response = gateway.graphql(VoiceDocument, variables);
    const error = await firstError(response);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(["id", "voiceId"]).toContain(error.extensions?.field);
    expect(error.message).toContain("exactly one");
    expect((await response).body.data).toEqual({ voice: null });
  });
});

// ---------------------------------------------------------------------------
// Errors

describe("voices argument errors", () => {
  test.for([0, 101, -1, 1000])("rejects first: %d with BAD_USER_INPUT on `first`", async (first, { gateway }) => {
    const response = voices(gateway, { first });
    const error = await firstError(response);
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
    expect(error.message).toContain("between 1 and 100");
    expect(error.path).toEqual(["voices"]);
    expect((await response).body.data).toBeNull();
  });

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  test.for([
    ["garbage", "not a cursor!"],
    ["base64 of non-JSON", Buffer.from("hello").toString("base64url")],
    ["JSON of the wrong shape", encode({ createdAt: "2026-01-01T00:00:00.000Z", id: randomUUID() })],
    ["a cursor with a bad date", encode({ c: "yesterday", i: randomUUID() })],
    ["a cursor with a bad id", encode({ c: "2026-01-01T00:00:00.000Z", i: "42" })],
  ])("rejects an `after` that is %s with BAD_USER_INPUT on `after`", async ([, after], { gateway }) => {
    await insertVoice(gateway, at(0));
    const response = voices(gateway, { after });
    const error = await firstError(response);
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    expect((await response).body.data).toBeNull();
  });

  test.for<[string, Record<string, string>]>([
    ["nameContains of 101 characters", { nameContains: "a".repeat(101) }],
    ["nameContains of 100,000 characters", { nameContains: "ل".repeat(100_000) }],
    ["language of 65 characters", { language: "a".repeat(65) }],
    ["dialect of 10,000 characters", { dialect: "n".repeat(10_000) }],
    ["gender of 65 characters", { gender: "f".repeat(65) }],
    ["age of 65 characters", { age: "m".repeat(65) }],
    ["model of 65 characters", { model: "x".repeat(65) }],
  ])("refuses a filter with %s, on that field, for the page and its totalCount", async ([, filter], { gateway }) => {
    await insertVoice(gateway, at(0));
    const [field] = Object.keys(filter);
    for (const document of [VoicesDocument, VoicesWithCountDocument]) {
      const response = gateway.graphql(document, { filter });
      const error = await firstError(response);
      expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: `filter.${field}` });
      expect(error.message).toContain("at most");
      // No data: refused while resolving (null), or, past any field's length, before the operation ran (absent).
      expect((await response).body.data ?? null).toBeNull();
    }
  });

  test("accepts text filters at their bounds", async ({ gateway }) => {
    await insertVoice(gateway, at(0));
    const filter = { nameContains: "a".repeat(100), language: "l".repeat(64), dialect: "d".repeat(64) };
    const response = await gateway.graphql(VoicesDocument, { filter });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.voices.nodes).toEqual([]);
  });

  test.for<[string, Record<string, unknown>]>([
    ['createdAfter: "yesterday"', { filter: { createdAfter: "yesterday" } }],
    ['createdBefore: "2026-13-45"', { filter: { createdBefore: "2026-13-45T00:00:00Z" } }],
    ["an unknown filter field", { filter: { colour: "blue" } }],
    ['first: "ten"', { first: "ten" }],
    ["first: 2.5", { first: 2.5 }],
  ])("rejects variables that do not coerce (%s) with BAD_USER_INPUT", async ([, variables], { gateway }) => {
    const response = await gateway.graphql(VOICES, variables);
    expect(response.status).toBe(400);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  test("keeps serving after errors", async ({ gateway }) => {
    const voice = await insertVoice(gateway, at(0));
    await voices(gateway, { first: 0 });
    await voices(gateway, { after: "garbage" });
    expect(ids(await page(gateway))).toEqual([voice.id]);
  });
});
