// The `voices` and `voice` queries over real HTTP against a real PostgreSQL
// database: filters, newest-first keyset paging, totalCount, and errors.
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type NewVoice, type VoiceRecord, voiceUpsert } from "../../src/services/catalog-service.js";
import { VOICE_FIELDS, type ClonedVoice } from "../support/clone.js";
import { startTestGateway, type GraphQLResponse, type TestGateway } from "../support/gateway.js";

type VoiceNode = ClonedVoice;

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

interface Connection {
  edges: Array<{ cursor: string; node: VoiceNode }>;
  nodes: VoiceNode[];
  pageInfo: PageInfo;
  totalCount?: number;
}

/** VoiceFilter as sent in variables (DateTime values as ISO strings). */
type Filter = Partial<Record<
  "language" | "dialect" | "gender" | "age" | "model" | "nameContains" | "createdAfter" | "createdBefore",
  string | null
>>;

interface VoicesVariables {
  filter?: Filter | null;
  first?: number | null;
  after?: string | null;
}

const connectionSelection = (withCount: boolean) => `
  edges { cursor node { ${VOICE_FIELDS} } }
  nodes { ${VOICE_FIELDS} }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  ${withCount ? "totalCount" : ""}
`;

const VOICES = /* GraphQL */ `
  query Voices($filter: VoiceFilter, $first: Int, $after: String) {
    voices(filter: $filter, first: $first, after: $after) { ${connectionSelection(false)} }
  }
`;

const VOICES_WITH_COUNT = /* GraphQL */ `
  query VoicesWithCount($filter: VoiceFilter, $first: Int, $after: String) {
    voices(filter: $filter, first: $first, after: $after) { ${connectionSelection(true)} }
  }
`;

const VOICE = /* GraphQL */ `
  query Voice($id: ID, $voiceId: String) {
    voice(id: $id, voiceId: $voiceId) { ${VOICE_FIELDS} }
  }
`;

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(async () => {
  await gateway?.stop();
});
beforeEach(async () => {
  await gateway.database!.query("TRUNCATE voices");
});
afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------
// Seeding and expectations

const BASE = Date.parse("2026-01-01T00:00:00.000Z");
const at = (minutes: number): Date => new Date(BASE + minutes * 60_000);

let sequence = 0;

/** A complete voice record (lower-cased codes, as the catalog stores them) with a fresh id. */
function voiceData(overrides: Partial<NewVoice> = {}): NewVoice {
  const id = overrides.id ?? randomUUID();
  sequence += 1;
  return {
    id,
    voiceId: `voice_${sequence}_${id.slice(0, 8)}`,
    name: `Voice ${sequence}`,
    description: null,
    gender: null,
    age: null,
    languages: [],
    dialects: [],
    type: "cloned",
    sampleUrl: `https://cdn.faseeh.test/samples/${id}.mp3`,
    avatarUrl: null,
    stability: 0.5,
    model: "faseeh-v1",
    ...overrides,
  };
}

/** Inserts a row exactly as given (no normalisation), with a chosen createdAt. */
function insertVoice(createdAt: Date, overrides: Partial<NewVoice> = {}): Promise<VoiceRecord> {
  return gateway.container.db.prisma.voice.create({ data: { ...voiceData(overrides), createdAt } });
}

/** Newest first; equal createdAt broken by id, descending (PostgreSQL's uuid order is the lower-case hex order). */
function newestFirst(a: VoiceRecord, b: VoiceRecord): number {
  const byTime = b.createdAt.getTime() - a.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

const idsNewestFirst = (records: VoiceRecord[]): string[] => [...records].sort(newestFirst).map((record) => record.id);

/** What the API should answer for a stored record. */
const asNode = (record: VoiceRecord): VoiceNode => ({ ...record, createdAt: record.createdAt.toISOString() });

async function voices(variables: VoicesVariables = {}, withCount = false): Promise<GraphQLResponse<{ voices: Connection }>> {
  return gateway.graphql<{ voices: Connection }>(withCount ? VOICES_WITH_COUNT : VOICES, { ...variables });
}

/** A page that must succeed; checks the invariants every page has. */
async function page(variables: VoicesVariables = {}, withCount = false): Promise<Connection> {
  const response = await voices(variables, withCount);
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
  // Stored lower-cased, one hour apart, oldest first.
  const catalog = {
    layla: { name: "Layla", languages: ["ar", "en"], dialects: ["najdi", "hijazi"], gender: "female", age: "middle", model: "faseeh-v1" },
    omar: { name: "Omar", languages: ["ar"], dialects: ["hijazi"], gender: "male", age: "elderly", model: "faseeh-v1" },
    nour: { name: "Nour Al-Huda", languages: ["en"], dialects: [], gender: "female", age: "young", model: "faseeh-v2" },
    khalid: { name: "Khalid", languages: ["ar", "fr"], dialects: ["gulf_saudi"], gender: "male", age: "middle", model: "faseeh-v2" },
    mona: { name: "Mona", languages: [], dialects: [], gender: null, age: null, model: "faseeh-v1" },
    laylani: { name: "LAYLANI", languages: ["fr"], dialects: ["najdi"], gender: "female", age: "elderly", model: "faseeh-v1" },
  } satisfies Record<string, Partial<NewVoice>>;
  type Key = keyof typeof catalog;
  const hour = (index: number) => at(index * 60);

  let stored: Record<Key, VoiceRecord>;

  beforeEach(async () => {
    const entries = Object.entries(catalog) as Array<[Key, Partial<NewVoice>]>;
    const records = await Promise.all(entries.map(([, fields], index) => insertVoice(hour(index + 1), fields)));
    stored = Object.fromEntries(entries.map(([key], index) => [key, records[index]!])) as Record<Key, VoiceRecord>;
  });

  const cases: Array<[string, Filter, Key[]]> = [
    ["no filter", {}, ["laylani", "mona", "khalid", "nour", "omar", "layla"]],
    ["a filter whose fields are all null", { language: null, gender: null, createdAfter: null }, ["laylani", "mona", "khalid", "nour", "omar", "layla"]],
    ["language", { language: "ar" }, ["khalid", "omar", "layla"]],
    ["language, upper case", { language: "AR" }, ["khalid", "omar", "layla"]],
    ["language, padded", { language: " Fr " }, ["laylani", "khalid"]],
    ["language is a whole code, not a prefix", { language: "e" }, []],
    ["dialect", { dialect: "hijazi" }, ["omar", "layla"]],
    ["dialect, upper case", { dialect: "NAJDI" }, ["laylani", "layla"]],
    ["dialect with an underscore", { dialect: "Gulf_Saudi" }, ["khalid"]],
    ["gender", { gender: "female" }, ["laylani", "nour", "layla"]],
    ["gender, mixed case", { gender: "FeMaLe" }, ["laylani", "nour", "layla"]],
    ["gender is exact (\"male\" is not \"female\")", { gender: "male" }, ["khalid", "omar"]],
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
    ["createdAfter and createdBefore", { createdAfter: hour(2).toISOString(), createdBefore: hour(5).toISOString() }, ["khalid", "nour", "omar"]],
    ["createdAfter one millisecond later excludes the boundary", { createdAfter: new Date(hour(6).getTime() + 1).toISOString() }, []],
    ["createdAfter later than createdBefore", { createdAfter: hour(5).toISOString(), createdBefore: hour(2).toISOString() }, []],
    ["language AND gender", { language: "AR", gender: "Male" }, ["khalid", "omar"]],
    ["language AND dialect", { language: "ar", dialect: "najdi" }, ["layla"]],
    ["gender AND age AND model", { gender: "female", age: "elderly", model: "faseeh-v1" }, ["laylani"]],
    ["dialect AND nameContains AND createdBefore", { dialect: "najdi", nameContains: "lay", createdBefore: hour(6).toISOString() }, ["layla"]],
    ["a combination that matches nothing", { language: "ar", gender: "female", model: "faseeh-v2" }, []],
  ];

  it.each(cases)("%s", async (_name, filter, expected) => {
    const connection = await page({ filter }, true);
    expect(connection.nodes).toEqual(expected.map((key) => asNode(stored[key])));
    expect(connection.totalCount).toBe(expected.length);
    expect(connection.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  // The VoiceFilter doc says "Matching ignores case" for every field; model is
  // stored as given, so this needs a case-insensitive comparison in the filter.
  it("model matches regardless of case", async () => {
    const mixed = await insertVoice(hour(7), { name: "Mixed", model: "Faseeh-V1-Pro" });
    expect(ids(await page({ filter: { model: "faseeh-v1-pro" } }))).toEqual([mixed.id]);
    expect(ids(await page({ filter: { model: "FASEEH-V2" } }))).toEqual([stored.khalid.id, stored.nour.id]);
  });

  // An exact match: % and _ in a model id are text, never LIKE wildcards.
  it("model matches exactly, with no wildcard meaning", async () => {
    const underscore = await insertVoice(hour(7), { name: "Underscore", model: "faseeh_v1" });
    const lookalike = await insertVoice(hour(8), { name: "Lookalike", model: "faseehxv1" });
    expect(ids(await page({ filter: { model: "%" } }))).toEqual([]);
    expect(ids(await page({ filter: { model: "faseeh%" } }))).toEqual([]);
    expect(ids(await page({ filter: { model: "faseeh_v1" } }))).toEqual([underscore.id]);
    expect(ids(await page({ filter: { model: "FASEEHXV1" } }))).toEqual([lookalike.id]);
    expect(ids(await page({ filter: { model: "faseeh-v" } }))).toEqual([]);
  });

  // "Voices whose name contains this text": % and _ are text here, not LIKE wildcards.
  it.each([
    ["%", "100% Arabic"],
    ["_", "voice_one"],
    ["a_b", "a_b"],
    ["\\", "back\\slash"],
  ])("nameContains %j matches the literal text only", async (text, name) => {
    const literal = await insertVoice(hour(8), { name });
    await insertVoice(hour(9), { name: "axb plain" });
    expect(ids(await page({ filter: { nameContains: text } }))).toEqual([literal.id]);
  });
});

describe("voiceUpsert normalisation meets case-insensitive filters", () => {
  it("stores codes lower-cased and de-duplicated, and finds them whatever the filter's case", async () => {
    const saved = await voiceUpsert(gateway.container.db.prisma, 
      voiceData({ name: "Layla", gender: "Female", age: " Middle ", languages: ["AR", "En", "ar "], dialects: ["Najdi", "NAJDI"] }),
    );
    expect(saved).toMatchObject({ gender: "female", age: "middle", languages: ["ar", "en"], dialects: ["najdi"] });
    await insertVoice(at(0), { gender: "male", languages: ["ar"], dialects: ["najdi"], age: "middle" });

    const byEveryField = await page({ filter: { gender: "FEMALE", age: "middle", language: "En", dialect: "najdi", nameContains: "LAY" } });
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
  it("lists newest first whatever the insertion order", async () => {
    const middle = await insertVoice(at(10));
    const oldest = await insertVoice(at(1));
    const newest = await insertVoice(at(20));
    expect(ids(await page())).toEqual([newest.id, middle.id, oldest.id]);
  });

  it("breaks ties on createdAt by id, descending, on one page and across pages", async () => {
    const tied = [
      "00000000-0000-4000-8000-000000000009",
      "00000000-0000-4000-8000-00000000000a",
      "0000000f-0000-4000-8000-000000000000",
      "a0000000-0000-4000-8000-000000000000",
      "10000000-0000-4000-8000-000000000000",
    ];
    const older = await insertVoice(at(0), { id: "ffffffff-0000-4000-8000-000000000000" });
    for (const id of tied) await insertVoice(at(5), { id });
    const newer = await insertVoice(at(9), { id: "00000000-0000-4000-8000-000000000001" });

    const expected = [
      newer.id,
      "a0000000-0000-4000-8000-000000000000",
      "10000000-0000-4000-8000-000000000000",
      "0000000f-0000-4000-8000-000000000000",
      "00000000-0000-4000-8000-00000000000a",
      "00000000-0000-4000-8000-000000000009",
      older.id,
    ];
    expect(ids(await page())).toEqual(expected);

    // Pages of two cut through the tied group twice.
    const collected: string[] = [];
    let after: string | null = null;
    do {
      const connection: Connection = await page({ first: 2, after });
      collected.push(...ids(connection));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after);
    expect(collected).toEqual(expected);
  });
});

describe("voices paging", () => {
  const matching: Partial<NewVoice> = { languages: ["ar", "en"], gender: "female" };
  const filter: Filter = { language: "AR", gender: "Female" };

  /**
   * 23 matching voices and 12 that miss the filter by one field, in groups of
   * four to five sharing one createdAt, so pages cut through ties.
   */
  async function seedMixed(): Promise<{ expected: string[]; all: VoiceRecord[] }> {
    const misses: Array<Partial<NewVoice>> = [
      { languages: ["en"], gender: "female" },
      { languages: ["ar"], gender: "male" },
      { languages: [], gender: null },
    ];
    const data: Array<{ createdAt: Date } & NewVoice> = [];
    for (let index = 0; index < 23; index++) data.push({ ...voiceData(matching), createdAt: at(Math.floor(index / 4)) });
    for (let index = 0; index < 12; index++) {
      data.push({ ...voiceData(misses[index % misses.length]), createdAt: at(Math.floor(index / 2)) });
    }
    await gateway.container.db.prisma.voice.createMany({ data });
    const all = await gateway.container.db.prisma.voice.findMany();
    const matchingIds = new Set(data.slice(0, 23).map((voice) => voice.id));
    return { expected: idsNewestFirst(all.filter((voice) => matchingIds.has(voice.id))), all };
  }

  it("pages through a filtered set with no gaps or repeats", async () => {
    const { expected } = await seedMixed();
    expect(expected).toHaveLength(23);

    const collected: string[] = [];
    const pages: Connection[] = [];
    let after: string | null = null;
    for (;;) {
      const connection: Connection = await page({ filter, first: 5, after }, true);
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

  it("ends without an empty page when the set divides evenly", async () => {
    const records = await Promise.all(Array.from({ length: 10 }, (_, index) => insertVoice(at(index % 3), matching)));
    const first = await page({ first: 5 });
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await page({ first: 5, after: first.pageInfo.endCursor });
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect([...ids(first), ...ids(second)]).toEqual(idsNewestFirst(records));

    // The cursor of the very last voice gives an empty, terminal page.
    const beyond = await page({ first: 5, after: second.pageInfo.endCursor });
    expect(beyond.edges).toEqual([]);
    expect(beyond.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
  });

  it("an empty catalog answers one empty page", async () => {
    const connection = await page({ filter }, true);
    expect(connection).toEqual({
      edges: [],
      nodes: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      totalCount: 0,
    });
  });

  it("is not disturbed by voices added while a client pages", async () => {
    const { expected } = await seedMixed();
    const first = await page({ filter, first: 5 }, true);
    expect(ids(first)).toEqual(expected.slice(0, 5));
    expect(first.totalCount).toBe(23);

    // Newer than anything on the first page, and one tied with the first page's newest voice but with a larger id.
    const newest = await insertVoice(at(60), matching);
    const firstNode = first.nodes[0]!;
    const tiedAhead = await insertVoice(new Date(firstNode.createdAt), { ...matching, id: "ffffffff-ffff-4fff-bfff-ffffffffffff" });

    const collected = ids(first);
    let after = first.pageInfo.endCursor;
    let last: Connection = first;
    while (after) {
      last = await page({ filter, first: 5, after }, true);
      collected.push(...ids(last));
      after = last.pageInfo.hasNextPage ? last.pageInfo.endCursor : null;
    }
    expect(collected).toEqual(expected);
    expect(collected).not.toContain(newest.id);
    expect(collected).not.toContain(tiedAhead.id);
    // The count is live: it includes the newcomers, and a fresh first page shows them first.
    expect(last.totalCount).toBe(25);
    expect(ids(await page({ filter, first: 2 }))).toEqual([newest.id, tiedAhead.id]);
  });

  it("accepts first: 100 (the cap) and defaults first to 20", async () => {
    const data = Array.from({ length: 105 }, (_, index) => ({ ...voiceData(), createdAt: at(index % 7) }));
    await gateway.container.db.prisma.voice.createMany({ data });
    const expected = idsNewestFirst(await gateway.container.db.prisma.voice.findMany());

    const capped = await page({ first: 100 }, true);
    expect(ids(capped)).toEqual(expected.slice(0, 100));
    expect(capped.pageInfo.hasNextPage).toBe(true);
    expect(capped.totalCount).toBe(105);
    const rest = await page({ first: 100, after: capped.pageInfo.endCursor });
    expect(ids(rest)).toEqual(expected.slice(100));
    expect(rest.pageInfo.hasNextPage).toBe(false);

    const byDefault = await page();
    expect(ids(byDefault)).toEqual(expected.slice(0, 20));
    expect(byDefault.pageInfo.hasNextPage).toBe(true);
    // Same default with no variables at all, and with an explicit null.
    const literal = await gateway.graphql<{ voices: { nodes: Array<{ id: string }> } }>(`{ voices { nodes { id } } }`);
    expect(literal.body.data!.voices.nodes.map((node) => node.id)).toEqual(expected.slice(0, 20));
    expect(ids(await page({ first: null }))).toEqual(expected.slice(0, 20));
  });
});

// ---------------------------------------------------------------------------
// totalCount

describe("voices totalCount", () => {
  it("counts the filtered set on every page", async () => {
    for (let index = 0; index < 7; index++) await insertVoice(at(index), { languages: index % 2 === 0 ? ["ar"] : ["en"] });
    const first = await page({ filter: { language: "ar" }, first: 2 }, true);
    const second = await page({ filter: { language: "ar" }, first: 2, after: first.pageInfo.endCursor }, true);
    const last = await page({ filter: { language: "ar" }, first: 2, after: second.pageInfo.endCursor }, true);
    expect([first.totalCount, second.totalCount, last.totalCount]).toEqual([4, 4, 4]);
    expect((await page({ filter: { language: "en" }, first: 1 }, true)).totalCount).toBe(3);
    expect((await page({ first: 1 }, true)).totalCount).toBe(7);
  });

  it("is computed only when selected", async () => {
    await insertVoice(at(1), { gender: "male" });
    await insertVoice(at(2), { gender: "female" });
    const countVoices = vi.spyOn(gateway.container.catalog, "countVoices");

    const withoutCount = await page({ filter: { gender: "male" } });
    expect(withoutCount.nodes).toHaveLength(1);
    expect(countVoices).not.toHaveBeenCalled();

    const withCount = await page({ filter: { gender: "male" } }, true);
    expect(withCount.totalCount).toBe(1);
    expect(countVoices).toHaveBeenCalledTimes(1);
    expect(countVoices.mock.calls[0]![0]).toMatchObject({ gender: "male" });

    const onlyCount = await gateway.graphql<{ voices: { totalCount: number } }>(`{ voices { totalCount } }`);
    expect(onlyCount.body).toEqual({ data: { voices: { totalCount: 2 } } });
    expect(countVoices).toHaveBeenCalledTimes(2);
  });
});

// ---------------------------------------------------------------------------
// voice(id | voiceId)

describe("voice", () => {
  it("finds a voice by id and by voiceId, with every field", async () => {
    const record = await voiceUpsert(gateway.container.db.prisma, 
      voiceData({ description: "Warm", gender: "female", age: "middle", languages: ["ar"], dialects: ["najdi"], avatarUrl: "https://example.com/a.png", stability: 0.75 }),
    );
    await insertVoice(at(0));
    const byId = await gateway.graphql<{ voice: VoiceNode | null }>(VOICE, { id: record.id });
    expect(byId.body).toEqual({ data: { voice: asNode(record) } });
    const byVoiceId = await gateway.graphql<{ voice: VoiceNode | null }>(VOICE, { voiceId: record.voiceId, id: null });
    expect(byVoiceId.body).toEqual({ data: { voice: asNode(record) } });
  });

  it.each([
    ["an id that is not a UUID", { id: "not-a-uuid" }],
    ["an unknown id", { id: randomUUID() }],
    ["an unknown voiceId", { voiceId: "voice_does_not_exist" }],
  ])("answers null for %s", async (_name, variables) => {
    await insertVoice(at(0));
    const response = await gateway.graphql<{ voice: VoiceNode | null }>(VOICE, variables);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { voice: null } });
  });

  it.each([
    ["both id and voiceId", { id: randomUUID(), voiceId: "voice_x" }],
    ["neither id nor voiceId", {}],
    ["both given as null", { id: null, voiceId: null }],
  ])("rejects %s with BAD_USER_INPUT", async (_name, variables) => {
    const response = gateway.graphql<{ voice: VoiceNode | null }>(VOICE, variables);
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
  it.each([0, 101, -1, 1000])("rejects first: %d with BAD_USER_INPUT on `first`", async (first) => {
    const response = voices({ first });
    const error = await firstError(response);
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
    expect(error.message).toContain("between 1 and 100");
    expect(error.path).toEqual(["voices"]);
    expect((await response).body.data).toBeNull();
  });

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  it.each([
    ["garbage", "not a cursor!"],
    ["base64 of non-JSON", Buffer.from("hello").toString("base64url")],
    ["JSON of the wrong shape", encode({ createdAt: "2026-01-01T00:00:00.000Z", id: randomUUID() })],
    ["a cursor with a bad date", encode({ c: "yesterday", i: randomUUID() })],
    ["a cursor with a bad id", encode({ c: "2026-01-01T00:00:00.000Z", i: "42" })],
  ])("rejects an `after` that is %s with BAD_USER_INPUT on `after`", async (_name, after) => {
    await insertVoice(at(0));
    const response = voices({ after });
    const error = await firstError(response);
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    expect((await response).body.data).toBeNull();
  });

  it.each([
    ["createdAfter: \"yesterday\"", { filter: { createdAfter: "yesterday" } }],
    ["createdBefore: \"2026-13-45\"", { filter: { createdBefore: "2026-13-45T00:00:00Z" } }],
    ["an unknown filter field", { filter: { colour: "blue" } }],
    ["first: \"ten\"", { first: "ten" }],
    ["first: 2.5", { first: 2.5 }],
  ])("rejects variables that do not coerce (%s) with BAD_USER_INPUT", async (_name, variables) => {
    const response = await gateway.graphql(VOICES, variables);
    expect(response.status).toBe(400);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("keeps serving after errors", async () => {
    const voice = await insertVoice(at(0));
    await voices({ first: 0 });
    await voices({ after: "garbage" });
    expect(ids(await page())).toEqual([voice.id]);
  });
});
