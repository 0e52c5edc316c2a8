// updateVoice, archiveVoice and restoreVoice over real HTTP, on PostgreSQL and
// on the embedded PGlite alike: edits validated as cloneVoice validates,
// optimistic concurrency with `expectedUpdatedAt` (also two edits racing),
// archiving out of `voices` and back, the catalog's filters, search and facet
// rollups following every change, and never a request to Faseeh.
import { randomUUID } from "node:crypto";
import type { VoiceRecord } from "../../src/services/catalog/catalog-service.js";
import { type NewVoice, voiceUpsert } from "../../src/services/catalog/voice-writes.js";
import { parseCloneFields } from "../../src/services/clone/clone-input.js";
import type { UpdateVoiceInput } from "../../src/services/catalog/voice-curation-service.js";
import {
  ArchiveVoiceDocument,
  CatalogFacetsDocument,
  RestoreVoiceDocument,
  UpdateVoiceDocument,
  type VoiceFieldsFragment,
  type VoiceFilter,
  VoiceDocument,
  VoiceIdsDocument,
  VoicesDocument,
} from "../generated/operations.js";
import { bearer } from "../support/api-keys.js";
import { describe, emptyAllTables, expect, test } from "../support/fixtures.js";
import type { GraphQLResponse, TestGateway } from "../support/gateway.js";
import { recordSecret } from "../support/suite-record.js";
import { voiceData } from "../support/voice-data.js";

type DatabaseKind = "postgres" | "embedded";
type VoiceNode = VoiceFieldsFragment;

/**
 * `catalog` is the gateway of the suite's database: the file's PostgreSQL
 * gateway, or the file's gateway on PGlite (`embeddedGateway`, started the
 * first time a suite asks for it), emptied before each of its tests as the
 * fixtures empty the other. Both share the one fake Faseeh.
 */
const it = test.extend("catalog", ({ gateway }): TestGateway => gateway);
const onEmbedded = async ({ embeddedGateway }: { embeddedGateway: TestGateway }): Promise<TestGateway> => {
  await emptyAllTables(embeddedGateway);
  return embeddedGateway;
};

// Curation is the catalog's own business: whatever a test does, Faseeh hears nothing of it.
it.afterEach(({ upstream }) => {
  expect(upstream.requests).toEqual([]);
  expect(upstream.previewRequests).toEqual([]);
  expect(upstream.modelRequests).toBe(0);
});

// ---------------------------------------------------------------------------
// Helpers

/** What the API answers for a stored row. */
const asNode = ({ sortName: _sortName, relevance: _relevance, ...record }: VoiceRecord): VoiceNode => ({
  ...record,
  createdAt: record.createdAt.toISOString(),
  updatedAt: record.updatedAt.toISOString(),
  archivedAt: record.archivedAt?.toISOString() ?? null,
});

/** A voice stored the way cloneVoice stores one (normalised, through the catalog's own upsert). */
async function seed(gateway: TestGateway, overrides: Partial<NewVoice> = {}): Promise<VoiceNode> {
  return asNode(await voiceUpsert(gateway.container.db.prisma, voiceData(overrides)));
}

/** The row as the database holds it, read past the API. */
async function stored(gateway: TestGateway, id: string): Promise<VoiceNode | null> {
  const row = await gateway.container.db.prisma.voice.findUnique({ where: { id } });
  return row && asNode(row);
}

const FULL: Partial<NewVoice> = {
  name: "Layla",
  description: "Warm storyteller",
  gender: "female",
  age: "middle",
  languages: ["ar", "en"],
  dialects: ["najdi"],
  avatarUrl: "https://cdn.example.test/layla.png",
  tags: ["stories"],
};

function data<Data>(response: GraphQLResponse<Data>): Data {
  expect(response.body.errors).toBeUndefined();
  expect(response.status).toBe(200);
  return response.body.data!;
}

function onlyError(response: GraphQLResponse) {
  expect(response.body.errors).toHaveLength(1);
  return response.body.errors![0]!;
}

const update = (
  gateway: TestGateway,
  id: string,
  input: UpdateVoiceInput,
  expectedUpdatedAt?: string,
  headers?: Record<string, string>,
) => gateway.graphql(UpdateVoiceDocument, { id, input, expectedUpdatedAt }, headers);

const archive = (gateway: TestGateway, id: string, expectedUpdatedAt?: string) =>
  gateway.graphql(ArchiveVoiceDocument, { id, expectedUpdatedAt });

const restore = (gateway: TestGateway, id: string, expectedUpdatedAt?: string) =>
  gateway.graphql(RestoreVoiceDocument, { id, expectedUpdatedAt });

const edited = async (response: Promise<GraphQLResponse<{ updateVoice: { voice: VoiceNode } }>>) =>
  data(await response).updateVoice.voice;

async function listedIds(gateway: TestGateway, filter?: VoiceFilter): Promise<string[]> {
  if (!filter) return data(await gateway.graphql(VoiceIdsDocument)).voices.nodes.map((node) => node.id);
  return data(await gateway.graphql(VoicesDocument, { filter })).voices.nodes.map((node) => node.id);
}

async function genderCounts(gateway: TestGateway, filter?: VoiceFilter): Promise<Record<string, number>> {
  const { voiceFacets } = data(await gateway.graphql(CatalogFacetsDocument, { filter }));
  return Object.fromEntries(voiceFacets.genders.map(({ value, count }) => [value, count]));
}

const later = (a: string, b: string) => Date.parse(a) > Date.parse(b);

/** Each field given a new value, and how it is stored. */
const EDITS: Array<[keyof UpdateVoiceInput, unknown, unknown]> = [
  ["name", "  Layla Al-Harbi ", "Layla Al-Harbi"],
  ["description", " Calm news reader ", "Calm news reader"],
  ["gender", " Male ", "male"],
  ["age", "ELDERLY", "elderly"],
  ["languages", ["AR", " fr ", "ar"], ["ar", "fr"]],
  ["dialects", ["Hijazi", "GULF_SAUDI"], ["hijazi", "gulf_saudi"]],
  ["avatarUrl", "https://cdn.example.test/new.png", "https://cdn.example.test/new.png"],
  ["tags", ["Customer  Support", "News", "customer-support", " news "], ["customer-support", "news"]],
];

/** Each optional field cleared with null, and what is stored then. */
const CLEARS: Array<[keyof UpdateVoiceInput, unknown]> = [
  ["description", null],
  ["gender", null],
  ["age", null],
  ["avatarUrl", null],
  ["languages", []],
  ["dialects", []],
  ["tags", []],
];

// ---------------------------------------------------------------------------
// On both databases

describe.each<DatabaseKind>(["postgres", "embedded"])("on %s", (database) => {
  if (database === "embedded") it.override("catalog", onEmbedded);

  it("runs on the database it names", ({ catalog }) => {
    expect(catalog.container.db.kind).toBe(database);
  });

  describe("updateVoice", () => {
    it.for(EDITS)("changes %s, and only it", async ([field, given, expected], { catalog }) => {
      const before = await seed(catalog, FULL);
      const voice = await edited(update(catalog, before.id, { [field]: given }));
      expect(voice).toEqual({ ...before, [field]: expected, updatedAt: voice.updatedAt });
      expect(later(voice.updatedAt, before.updatedAt)).toBe(true);
      expect(await stored(catalog, before.id)).toEqual(voice);
    });

    it.for(CLEARS)("clears %s with null", async ([field, expected], { catalog }) => {
      const before = await seed(catalog, FULL);
      const voice = await edited(update(catalog, before.id, { [field]: null }));
      expect(voice).toEqual({ ...before, [field]: expected, updatedAt: voice.updatedAt });
      expect(await stored(catalog, before.id)).toEqual(voice);
    });

    it("changes several fields at once, each edit moving updatedAt forward", async ({ catalog }) => {
      const before = await seed(catalog, FULL);
      let last = before;
      for (const [index, name] of ["Nour", "Nour II", "Nour III"].entries()) {
        const voice = await edited(update(catalog, before.id, { name, tags: [`take-${index}`], gender: null }));
        expect(voice).toMatchObject({ name, tags: [`take-${index}`], gender: null, description: before.description });
        expect(later(voice.updatedAt, last.updatedAt)).toBe(true);
        last = voice;
      }
      expect(await stored(catalog, before.id)).toEqual(last);
      expect(last.createdAt).toBe(before.createdAt);
    });

    it("refuses unknown ids and ids that are not UUIDs with NOT_FOUND, for each mutation", async ({ catalog }) => {
      await seed(catalog);
      for (const id of [randomUUID(), "not-a-uuid", ""]) {
        for (const response of [
          await update(catalog, id, { name: "X" }),
          await archive(catalog, id),
          await restore(catalog, id),
        ]) {
          const error = onlyError(response);
          expect(error.extensions?.code).toBe("NOT_FOUND");
          expect(error.message).toBe(`No voice with id ${JSON.stringify(id)} in the catalog.`);
          expect(response.body.data).toBeNull();
        }
      }
    });

    it("refuses a stale expectedUpdatedAt with CONFLICT and the current updatedAt, and takes the current one", async ({
      catalog,
    }) => {
      const before = await seed(catalog, FULL);
      const first = await edited(update(catalog, before.id, { name: "First" }, before.updatedAt));

      const stale = await update(catalog, before.id, { name: "Second" }, before.updatedAt);
      const error = onlyError(stale);
      expect(error.extensions).toMatchObject({ code: "CONFLICT", currentUpdatedAt: first.updatedAt });
      expect(error.message).toContain(`changed since ${before.updatedAt}`);
      expect(error.message).toContain("refetch it and retry");
      expect(await stored(catalog, before.id)).toEqual(first);

      // The client refetches and retries with what it got.
      const retried = await edited(update(catalog, before.id, { name: "Second" }, String(error.extensions?.currentUpdatedAt)));
      expect(retried.name).toBe("Second");
      expect(later(retried.updatedAt, first.updatedAt)).toBe(true);
    });

    it("lets exactly one of two edits from the same updatedAt win; the other gets CONFLICT", async ({ catalog }) => {
      let current = await seed(catalog, FULL);
      for (let round = 0; round < 5; round++) {
        const responses = await Promise.all(
          ["left", "right"].map((side) => update(catalog, current.id, { name: `${side} ${round}` }, current.updatedAt)),
        );
        const winners = responses.filter((response) => !response.body.errors);
        const losers = responses.filter((response) => response.body.errors);
        expect(winners).toHaveLength(1);
        expect(losers).toHaveLength(1);
        const won = winners[0]!.body.data!.updateVoice.voice;
        expect(onlyError(losers[0]!).extensions).toMatchObject({ code: "CONFLICT", currentUpdatedAt: won.updatedAt });
        expect(await stored(catalog, current.id)).toEqual(won);
        current = won;
      }
    });

    it("gives edits made at the same moment distinct, increasing updatedAt values", async ({ catalog }) => {
      const before = await seed(catalog);
      const voices = await Promise.all(
        Array.from({ length: 8 }, (_, index) => edited(update(catalog, before.id, { description: `take ${index}` }))),
      );
      const times = voices.map((voice) => Date.parse(voice.updatedAt));
      expect(new Set(times).size).toBe(voices.length);
      expect(Math.min(...times)).toBeGreaterThan(Date.parse(before.updatedAt));
      // The row holds the last edit to commit: the one with the latest updatedAt.
      const last = voices.find((voice) => Date.parse(voice.updatedAt) === Math.max(...times));
      expect(await stored(catalog, before.id)).toEqual(last);
    });

    it("makes edited values findable by the catalog's filters, search and facets", async ({ catalog }) => {
      const voice = await seed(catalog, FULL);
      const other = await seed(catalog, { ...FULL, name: "Other" });
      await seed(catalog, { ...FULL, name: "Third", gender: "male" });
      expect(await genderCounts(catalog)).toEqual({ female: 2, male: 1 });

      await edited(
        update(catalog, voice.id, {
          gender: "MALE",
          tags: ["News", "Warm"],
          description: "Evening bulletin",
          dialects: ["Hijazi"],
        }),
      );
      expect(await listedIds(catalog, { tags: ["news"] })).toEqual([voice.id]);
      expect(await listedIds(catalog, { tags: ["stories"] })).not.toContain(voice.id);
      expect(await listedIds(catalog, { gender: "male" })).toContain(voice.id);
      expect(await listedIds(catalog, { gender: "female" })).toEqual([other.id]);
      expect(await listedIds(catalog, { dialect: "hijazi" })).toEqual([voice.id]);
      expect(await listedIds(catalog, { search: "bulletin" })).toEqual([voice.id]);
      expect(await genderCounts(catalog)).toEqual({ female: 1, male: 2 });
      const { voiceFacets } = data(await catalog.graphql(CatalogFacetsDocument, {}));
      expect(voiceFacets.tags).toEqual(
        expect.arrayContaining([
          { value: "news", count: 1 },
          { value: "warm", count: 1 },
          { value: "stories", count: 2 },
        ]),
      );

      // Archived voices leave the live counts, and stay in those with includeArchived.
      data(await archive(catalog, voice.id));
      expect(await genderCounts(catalog)).toEqual({ female: 1, male: 1 });
      expect(await genderCounts(catalog, { includeArchived: true })).toEqual({ female: 1, male: 2 });
      expect(await listedIds(catalog, { tags: ["news"] })).toEqual([]);
      data(await restore(catalog, voice.id));
      expect(await genderCounts(catalog)).toEqual({ female: 1, male: 2 });
    });
  });

  describe("archiveVoice and restoreVoice", () => {
    it("archive hides a voice from voices; includeArchived and voice(id) still show it; restore brings it back", async ({
      catalog,
    }) => {
      const voice = await seed(catalog, FULL);
      const kept = await seed(catalog);
      expect((await listedIds(catalog)).sort()).toEqual([voice.id, kept.id].sort());

      const archived = data(await archive(catalog, voice.id, voice.updatedAt)).archiveVoice.voice;
      expect(archived).toEqual({ ...voice, archivedAt: archived.archivedAt, updatedAt: archived.updatedAt });
      expect(archived.archivedAt).not.toBeNull();
      expect(later(archived.updatedAt, voice.updatedAt)).toBe(true);
      expect(await listedIds(catalog)).toEqual([kept.id]);
      expect((await listedIds(catalog, { includeArchived: true })).sort()).toEqual([voice.id, kept.id].sort());
      expect(data(await catalog.graphql(VoiceDocument, { id: voice.id })).voice).toEqual(archived);
      expect(await stored(catalog, voice.id)).toEqual(archived);

      const restored = data(await restore(catalog, voice.id, archived.updatedAt)).restoreVoice.voice;
      expect(restored).toEqual({ ...voice, updatedAt: restored.updatedAt });
      expect(later(restored.updatedAt, archived.updatedAt)).toBe(true);
      expect((await listedIds(catalog)).sort()).toEqual([voice.id, kept.id].sort());
    });

    it("archiving an archived voice and restoring a live one change nothing", async ({ catalog }) => {
      const voice = await seed(catalog);
      const live = data(await restore(catalog, voice.id)).restoreVoice.voice;
      expect(live).toEqual(voice);

      const archived = data(await archive(catalog, voice.id)).archiveVoice.voice;
      const again = data(await archive(catalog, voice.id, archived.updatedAt)).archiveVoice.voice;
      expect(again).toEqual(archived);
      expect(await stored(catalog, voice.id)).toEqual(archived);
    });

    it("honour expectedUpdatedAt: a stale one is a CONFLICT and changes nothing", async ({ catalog }) => {
      const voice = await seed(catalog);
      const renamed = await edited(update(catalog, voice.id, { name: "Renamed" }));

      const refused = onlyError(await archive(catalog, voice.id, voice.updatedAt));
      expect(refused.extensions).toMatchObject({ code: "CONFLICT", currentUpdatedAt: renamed.updatedAt });
      expect(await stored(catalog, voice.id)).toEqual(renamed);

      const archived = data(await archive(catalog, voice.id, renamed.updatedAt)).archiveVoice.voice;
      // Even restoring an archived voice from a stale view is refused: the client has not seen the archive.
      expect(onlyError(await restore(catalog, voice.id, renamed.updatedAt)).extensions).toMatchObject({
        code: "CONFLICT",
        currentUpdatedAt: archived.updatedAt,
      });
      // ... and so is archiving it again from that view.
      expect(onlyError(await archive(catalog, voice.id, renamed.updatedAt)).extensions?.code).toBe("CONFLICT");
      expect(await stored(catalog, voice.id)).toEqual(archived);
    });

    it("lets an edit change an archived voice, which stays archived", async ({ catalog }) => {
      const voice = await seed(catalog);
      const archived = data(await archive(catalog, voice.id)).archiveVoice.voice;
      const renamed = await edited(update(catalog, voice.id, { name: "Still archived" }, archived.updatedAt));
      expect(renamed).toMatchObject({ name: "Still archived", archivedAt: archived.archivedAt });
      expect(await listedIds(catalog)).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------
// Validation and access (no database difference to them)

describe("updateVoice validation", () => {
  const CLONE_INPUT = { name: "Layla", text: "مرحبا بكم", stability: 0.5, model: "faseeh-v1" };

  /** The error cloneVoice gives for the same value: the message an edit must give too. */
  function cloneRefusal(input: UpdateVoiceInput): string {
    try {
      parseCloneFields({ ...CLONE_INPUT, ...input } as Parameters<typeof parseCloneFields>[0]);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`cloneVoice accepts ${JSON.stringify(input)}`);
  }

  const INVALID: Array<[string, UpdateVoiceInput, string]> = [
    ["a blank name", { name: "   " }, "input.name"],
    ["a name over 100 characters", { name: "x".repeat(101) }, "input.name"],
    ["a description over 1000 characters", { description: "x".repeat(1001) }, "input.description"],
    ["a gender that is not a plain word", { gender: "f3male" }, "input.gender"],
    ["an age that is not a plain word", { age: "40" }, "input.age"],
    ["a language that is not a code", { languages: ["ar", "arabic!"] }, "input.languages"],
    [
      "more than 20 languages",
      { languages: Array.from({ length: 21 }, (_, i) => `l${String.fromCharCode(97 + i)}`) },
      "input.languages",
    ],
    ["a dialect that is not a name", { dialects: ["9najdi"] }, "input.dialects"],
    ["an avatarUrl that is not http(s)", { avatarUrl: "ftp://cdn.example.test/a.png" }, "input.avatarUrl"],
    ["more than 20 tags", { tags: Array.from({ length: 21 }, (_, i) => `tag-${i}`) }, "input.tags"],
    ["a tag of 41 characters", { tags: ["ok", "t".repeat(41)] }, "input.tags"],
    ["a tag of punctuation only", { tags: ["!!"] }, "input.tags"],
    ["a valid field beside an invalid one", { description: "fine", gender: "f3male" }, "input.gender"],
  ];

  it.for(INVALID)("refuses %s as cloneVoice does, changing nothing", async ([, input, field], { gateway }) => {
    const before = await seed(gateway, FULL);
    const error = onlyError(await update(gateway, before.id, input));
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(error.message).toBe(cloneRefusal(input));
    expect(await stored(gateway, before.id)).toEqual(before);
  });

  it("says what is wrong in the clone path's words", async ({ gateway }) => {
    const { id } = await seed(gateway);
    expect(onlyError(await update(gateway, id, { name: " " })).message).toBe("`input.name` must not be blank.");
    expect(onlyError(await update(gateway, id, { tags: ["t".repeat(41)] })).message).toBe(
      "`input.tags` each tag must be 1-40 characters (got 41).",
    );
    expect(onlyError(await update(gateway, id, { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) })).message).toBe(
      "`input.tags` must have at most 20 tags.",
    );
  });

  it("counts tags after normalising: 21 spellings of 20 tags are accepted", async ({ gateway }) => {
    const { id } = await seed(gateway);
    const tags = [...Array.from({ length: 20 }, (_, i) => `tag-${i}`), "TAG-0"];
    expect((await edited(update(gateway, id, { tags }))).tags).toEqual(tags.slice(0, 20));
  });

  it("refuses name: null and an input with no fields, naming the field", async ({ gateway }) => {
    const before = await seed(gateway, FULL);
    const nameless = onlyError(await update(gateway, before.id, { name: null }));
    expect(nameless.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.name" });
    expect(nameless.message).toContain("must not be null");

    const empty = onlyError(await update(gateway, before.id, {}));
    expect(empty.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input" });
    for (const field of ["name", "description", "gender", "age", "languages", "dialects", "avatarUrl", "tags"]) {
      expect(empty.message).toContain(`\`${field}\``);
    }
    expect(await stored(gateway, before.id)).toEqual(before);
  });
});

describe("who may curate", () => {
  it("a read key gets FORBIDDEN and changes nothing; a write key may; no key is UNAUTHENTICATED", async ({ gateway }) => {
    const before = await seed(gateway, FULL);
    const reader = await gateway.container.apiKeys.create({ name: "reader", scope: "read" });
    const writer = await gateway.container.apiKeys.create({ name: "writer", scope: "write" });
    recordSecret(reader.key);
    recordSecret(writer.key);
    const as = (key: string) => bearer(key);

    for (const operation of [
      () => gateway.graphql(UpdateVoiceDocument, { id: before.id, input: { name: "Nope" } }, as(reader.key)),
      () => gateway.graphql(ArchiveVoiceDocument, { id: before.id }, as(reader.key)),
      () => gateway.graphql(RestoreVoiceDocument, { id: before.id }, as(reader.key)),
    ]) {
      const response = await operation();
      expect(response.status).toBe(403);
      expect(onlyError(response).extensions?.code).toBe("FORBIDDEN");
    }
    const anonymous = await update(gateway, before.id, { name: "Nope" });
    expect(anonymous.status).toBe(401);
    expect(onlyError(anonymous).extensions?.code).toBe("UNAUTHENTICATED");
    expect(await stored(gateway, before.id)).toEqual(before);

    const voice = await edited(update(gateway, before.id, { name: "Yes" }, before.updatedAt, as(writer.key)));
    expect(voice.name).toBe("Yes");
    expect(
      data(await gateway.graphql(ArchiveVoiceDocument, { id: before.id }, as(writer.key))).archiveVoice.voice.archivedAt,
    ).not.toBeNull();
  });
});
