// Search, sorts, keyset cursors per sort, tag filters, totals and facets,
// over real HTTP. Registered by catalog-search.test.ts (PostgreSQL) and
// catalog-search.embedded.test.ts (PGlite): the embedded default claims the
// same behaviour, so it runs the same cases.
//
// The catalog below is small and written out by hand, so that every expected
// answer can be read off it; facet counts are also checked against a brute
// force over the same data (the rollup tables and the per-voice path must
// both agree with it).
import {
  type CatalogFacetsQuery,
  CatalogFacetsDocument,
  type CatalogSearchQuery,
  CatalogSearchDocument,
  CatalogTotalDocument,
  type VoiceFilter,
  type VoiceSort,
} from "../generated/operations.js";
import type { VoiceRecord } from "../../src/services/catalog/catalog-service.js";
import type { NewVoice } from "../../src/services/catalog/voice-writes.js";
import { describe, expect, test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";
import { at, insertVoice } from "./catalog.scenarios.js";

/** The catalog, oldest first; `archived` ones carry archivedAt. Values are stored as the clone path stores them. */
const CATALOG = {
  laylaAr: {
    name: "لَيْلَى",
    description: "صوت دافئ للأخبار",
    tags: ["news", "warm"],
    languages: ["ar"],
    dialects: ["najdi"],
    gender: "female",
    age: "middle",
    model: "faseeh-v1",
  },
  laylaEn: {
    name: "Layla Hassan",
    description: "A calm narrator",
    tags: ["audiobooks"],
    languages: ["en", "ar"],
    dialects: [],
    gender: "female",
    age: "young",
    model: "faseeh-v1",
  },
  mohammed: {
    name: "مـــحمد",
    description: "صوت رسمي",
    tags: ["news"],
    languages: ["ar"],
    dialects: ["hijazi"],
    gender: "male",
    age: "elderly",
    model: "faseeh-v2",
  },
  ahmad: {
    name: "أحمد",
    description: null,
    tags: [],
    languages: ["ar"],
    dialects: ["gulf"],
    gender: "male",
    age: "middle",
    model: "faseeh-v2",
  },
  school: {
    name: "مدرسة الصوت",
    description: null,
    tags: ["e-learning"],
    languages: ["ar"],
    dialects: [],
    gender: "female",
    age: "young",
    model: "faseeh-v1",
  },
  omarUpper: {
    name: "OMAR",
    description: "Deep voice for documentaries",
    tags: ["documentaries", "deep"],
    languages: ["en"],
    dialects: [],
    gender: "male",
    age: "elderly",
    model: "faseeh-v1",
  },
  newsDesk: {
    name: "News Desk",
    description: "Bulletins",
    tags: [],
    languages: ["en"],
    dialects: [],
    gender: "male",
    age: "middle",
    model: "faseeh-v2",
  },
  omarLower: {
    name: "omar",
    description: null,
    tags: ["warm"],
    languages: ["ar", "en"],
    dialects: ["najdi"],
    gender: "male",
    age: "young",
    model: "faseeh-v1",
  },
  nourArchived: {
    name: "Nour",
    description: "An archived news voice",
    tags: ["news"],
    languages: ["ar"],
    dialects: ["najdi"],
    gender: "female",
    age: "middle",
    model: "faseeh-v1",
    archivedAt: at(1_000),
  },
} satisfies Record<string, Partial<NewVoice> & { archivedAt?: Date }>;
type Key = keyof typeof CATALOG;
const KEYS = Object.keys(CATALOG) as Key[];
const LIVE = KEYS.filter((key) => !("archivedAt" in CATALOG[key]));

type Stored = Record<Key, VoiceRecord>;

/** Seeds the catalog one minute apart, in order (laylaAr oldest). */
export async function seed(gateway: TestGateway): Promise<Stored> {
  const stored: Partial<Stored> = {};
  for (const [index, key] of KEYS.entries()) {
    const { archivedAt, ...fields } = { archivedAt: undefined, ...CATALOG[key] };
    const record = await insertVoice(gateway, at(index), fields);
    stored[key] = archivedAt
      ? await gateway.container.db.prisma.voice.update({ where: { id: record.id }, data: { archivedAt } })
      : record;
  }
  return stored as Stored;
}

type Edge = CatalogSearchQuery["voices"]["edges"][number];

async function search(
  gateway: TestGateway,
  variables: { filter?: VoiceFilter; sort?: VoiceSort; first?: number; after?: string },
) {
  const response = await gateway.graphql(CatalogSearchDocument, variables);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.voices;
}

/** Every page of a listing, following endCursor; checks pageInfo on the way. */
async function allPages(gateway: TestGateway, filter: VoiceFilter, sort: VoiceSort, first: number): Promise<Edge[]> {
  const edges: Edge[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const page = await search(gateway, { filter, sort, first, ...(after && { after }) });
    expect(page.pageInfo.hasPreviousPage).toBe(after !== undefined);
    expect(page.edges.length).toBeLessThanOrEqual(first);
    edges.push(...page.edges);
    if (!page.pageInfo.hasNextPage) return edges;
    expect(page.edges).toHaveLength(first);
    after = page.pageInfo.endCursor!;
  }
  throw new Error("paging did not end");
}

const keysOf = (stored: Stored, edges: Edge[]): Key[] =>
  edges.map((edge) => KEYS.find((key) => stored[key].id === edge.node.id) ?? (edge.node.id as Key));

export function catalogSearchCases(): void {
  // -------------------------------------------------------------------------
  describe("search", () => {
    /** The keys a search finds (live voices, newest first). */
    async function found(gateway: TestGateway, stored: Stored, text: string, filter: VoiceFilter = {}): Promise<Key[]> {
      return keysOf(stored, (await search(gateway, { filter: { ...filter, search: text }, first: 50 })).edges);
    }

    test("ignores tashkeel, tatweel, the alef forms, ة/ه and ى/ي, and Latin case", async ({ gateway }) => {
      const stored = await seed(gateway);
      // Stored "لَيْلَى" (with tashkeel and ى) is found without them, with ي, and as typed.
      expect(await found(gateway, stored, "ليلى")).toEqual(["laylaAr"]);
      expect(await found(gateway, stored, "ليلي")).toEqual(["laylaAr"]);
      expect(await found(gateway, stored, "لَيْلَى")).toEqual(["laylaAr"]);
      // Stored with tatweel ("مـــحمد"); found without it, and with tatweel where it was not. "أحمد"
      // shares two of the word's five trigrams, so the fuzzy match finds it too, ranked after.
      for (const typed of ["محمد", "مـحـمـد"]) {
        const ranked = await search(gateway, { filter: { search: typed }, sort: "RELEVANCE", first: 10 });
        expect(keysOf(stored, ranked.edges)).toEqual(["mohammed", "ahmad"]);
      }
      // Stored "أحمد": every alef form finds it first (and "محمد" after it, as above).
      for (const alef of ["احمد", "أحمد", "إحمد", "آحمد"]) {
        const ranked = await search(gateway, { filter: { search: alef }, sort: "RELEVANCE", first: 10 });
        expect(keysOf(stored, ranked.edges)).toEqual(["ahmad", "mohammed"]);
      }
      // Stored "مدرسة" (ة) is found as typed with ه.
      expect(await found(gateway, stored, "مدرسه")).toEqual(["school"]);
      // Latin, any case: both OMARs (newest first).
      expect(await found(gateway, stored, "oMaR")).toEqual(["omarLower", "omarUpper"]);
    });

    test("matches descriptions and tags, and parts of words", async ({ gateway }) => {
      const stored = await seed(gateway);
      expect(await found(gateway, stored, "narrator")).toEqual(["laylaEn"]);
      expect(await found(gateway, stored, "documentaries")).toEqual(["omarUpper"]);
      expect(await found(gateway, stored, "e-learning")).toEqual(["school"]);
      expect(await found(gateway, stored, "دافئ")).toEqual(["laylaAr"]);
      expect(await found(gateway, stored, "Hass")).toEqual(["laylaEn"]);
      // "news" is a tag of two live voices and the name of a third; the archived one is left out.
      expect(await found(gateway, stored, "news")).toEqual(["newsDesk", "mohammed", "laylaAr"]);
    });

    test("needs every word, from any of name, description and tags; short words match exactly only", async ({ gateway }) => {
      const stored = await seed(gateway);
      expect(await found(gateway, stored, "layla hassan")).toEqual(["laylaEn"]);
      expect(await found(gateway, stored, "Calm  LAYLA audiobooks")).toEqual(["laylaEn"]);
      expect(await found(gateway, stored, "layla zzzz")).toEqual([]);
      expect(await found(gateway, stored, "oma")).toEqual(["omarLower", "omarUpper"]);
      expect(await found(gateway, stored, "omr")).toEqual([]); // three letters: no spelling match
      const tooMany = await gateway.graphql(CatalogSearchDocument, { filter: { search: "a b c d e f g h i" } });
      expect(tooMany.body.errors?.[0]).toMatchObject({
        message: "`filter.search` has at most 8 words.",
        extensions: { code: "BAD_USER_INPUT", field: "filter.search" },
      });
    });

    test("forgives a misspelling by trigram word similarity, and does not match unrelated names", async ({ gateway }) => {
      const stored = await seed(gateway);
      expect(await found(gateway, stored, "Laila")).toEqual(["laylaEn"]);
      expect(await found(gateway, stored, "Hasan")).toEqual(["laylaEn"]);
      expect(await found(gateway, stored, "zzzz")).toEqual([]);
    });

    test("combines with every other filter, and leaves archived voices out unless asked", async ({ gateway }) => {
      const stored = await seed(gateway);
      expect(await found(gateway, stored, "news", { gender: "male" })).toEqual(["newsDesk", "mohammed"]);
      expect(await found(gateway, stored, "news", { tags: ["warm"] })).toEqual(["laylaAr"]);
      expect(await found(gateway, stored, "news", { includeArchived: true })).toEqual([
        "nourArchived",
        "newsDesk",
        "mohammed",
        "laylaAr",
      ]);
      expect(await found(gateway, stored, "   ")).toEqual([...LIVE].reverse()); // a blank search is no search
    });

    test("ranks by RELEVANCE: name matches, then text matches, then close spellings; newest first among equals", async ({
      gateway,
    }) => {
      const stored = await seed(gateway);
      const ranked = await search(gateway, { filter: { search: "news" }, sort: "RELEVANCE", first: 10 });
      expect(keysOf(stored, ranked.edges)).toEqual(["newsDesk", "mohammed", "laylaAr"]);
      const fuzzy = await search(gateway, { filter: { search: "layla" }, sort: "RELEVANCE", first: 10 });
      expect(keysOf(stored, fuzzy.edges)[0]).toBe("laylaEn");
      // Pages of one through the ranking give the same order, with no gap and no repeat.
      expect(keysOf(stored, await allPages(gateway, { search: "news" }, "RELEVANCE", 1))).toEqual([
        "newsDesk",
        "mohammed",
        "laylaAr",
      ]);
    });

    test("pages RELEVANCE across its tiers (name, text, closest spellings) with no gap and no repeat", async ({ gateway }) => {
      const names = ["Sami", "Old Samira", "Fan Voice", "Samy", "Sammi", "Zed"];
      const ids = new Map<string, string>();
      for (const [index, name] of names.entries()) {
        const voice = await insertVoice(gateway, at(index), { name, description: name === "Fan Voice" ? "For Sami fans" : null });
        ids.set(voice.id, name);
      }
      // Names containing it, newest first; then other text; then close spellings ("sammi" shares
      // 4 of the 5 trigrams of "sami", "samy" 3), newest first.
      const expected = ["Old Samira", "Sami", "Fan Voice", "Sammi", "Samy"];
      for (const size of [1, 2, 10]) {
        const edges = await allPages(gateway, { search: "sami" }, "RELEVANCE", size);
        expect(edges.map((edge) => ids.get(edge.node.id))).toEqual(expected);
      }
    });

    test("refuses RELEVANCE without a search, and a search over 100 characters", async ({ gateway }) => {
      const noSearch = await gateway.graphql(CatalogSearchDocument, { sort: "RELEVANCE" });
      expect(noSearch.body.errors?.[0]).toMatchObject({
        message: "`sort: RELEVANCE` ranks by `filter.search`: give a search, or another sort.",
        extensions: { code: "BAD_USER_INPUT", field: "sort" },
      });
      const long = await gateway.graphql(CatalogSearchDocument, { filter: { search: "x".repeat(101) } });
      expect(long.body.errors?.[0]).toMatchObject({
        message: "`filter.search` is at most 100 characters (got 101).",
        extensions: { code: "BAD_USER_INPUT", field: "filter.search" },
      });
    });
  });

  // -------------------------------------------------------------------------
  describe("sort and cursors", () => {
    // Folded names in byte order: Latin (lower-cased) before Arabic; "OMAR" and "omar" tie and are ordered by id.
    const byName = (stored: Stored): Key[] => {
      const omars = (["omarUpper", "omarLower"] as const).slice().sort((a, b) => (stored[a].id < stored[b].id ? -1 : 1));
      return ["laylaEn", "newsDesk", ...omars, "ahmad", "laylaAr", "mohammed", "school"];
    };

    test.for([1, 2, 3, 100])(
      "pages every sort with keyset cursors, %i per page, with no gap and no repeat",
      async (size, { gateway }) => {
        const stored = await seed(gateway);
        const newest = [...LIVE].reverse();
        expect(keysOf(stored, await allPages(gateway, {}, "NEWEST", size))).toEqual(newest);
        expect(keysOf(stored, await allPages(gateway, {}, "OLDEST", size))).toEqual(LIVE);
        expect(keysOf(stored, await allPages(gateway, {}, "NAME_ASC", size))).toEqual(byName(stored));
        expect(keysOf(stored, await allPages(gateway, {}, "NAME_DESC", size))).toEqual(byName(stored).reverse());
      },
    );

    // A filter on language ar (6 of 8 voices): pages of 1 walk the sort's index, pages of 100 fetch
    // the matching combinations' voices first (CatalogService.isRare); both must page alike.
    test.for([1, 2, 100])(
      "pages a filtered listing in every sort, %i per page, whichever path it takes",
      async (size, { gateway }) => {
        const stored = await seed(gateway);
        const arabic = LIVE.filter((key) => CATALOG[key].languages.includes("ar"));
        const filter = { language: "ar", tags: [] };
        expect(keysOf(stored, await allPages(gateway, filter, "NEWEST", size))).toEqual([...arabic].reverse());
        expect(keysOf(stored, await allPages(gateway, filter, "OLDEST", size))).toEqual(arabic);
        const named = byName(stored).filter((key) => arabic.includes(key));
        expect(keysOf(stored, await allPages(gateway, filter, "NAME_ASC", size))).toEqual(named);
        expect(keysOf(stored, await allPages(gateway, filter, "NAME_DESC", size))).toEqual([...named].reverse());
        const warm = { language: "ar", tags: ["warm"] };
        expect(keysOf(stored, await allPages(gateway, warm, "NEWEST", size))).toEqual(["omarLower", "laylaAr"]);
      },
    );

    test("sorts a filtered listing, and NEWEST is the default", async ({ gateway }) => {
      const stored = await seed(gateway);
      const male = await search(gateway, { filter: { gender: "male" }, first: 10 });
      expect(keysOf(stored, male.edges)).toEqual(["omarLower", "newsDesk", "omarUpper", "ahmad", "mohammed"]);
      const named = await search(gateway, { filter: { gender: "male", search: "omar" }, sort: "NAME_DESC", first: 10 });
      expect(keysOf(stored, named.edges)).toEqual(
        byName(stored)
          .filter((key) => key.startsWith("omar"))
          .reverse(),
      );
    });

    test("refuses a cursor from another sort or another filter with BAD_USER_INPUT on `after`", async ({ gateway }) => {
      await seed(gateway);
      const first = await search(gateway, { sort: "NAME_ASC", first: 2 });
      const cursor = first.pageInfo.endCursor!;
      const otherSort = await gateway.graphql(CatalogSearchDocument, { sort: "NEWEST", first: 2, after: cursor });
      expect(otherSort.body.errors?.[0]).toMatchObject({
        message:
          "`after` is a cursor of `sort: NAME_ASC`, not of `sort: NEWEST`: page with the sort it came from, or leave `after` out to start again.",
        extensions: { code: "BAD_USER_INPUT", field: "after" },
      });
      const otherFilter = await gateway.graphql(CatalogSearchDocument, {
        sort: "NAME_ASC",
        filter: { gender: "male" },
        first: 2,
        after: cursor,
      });
      expect(otherFilter.body.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "after" } });
      expect(otherFilter.body.errors?.[0]?.message).toMatch(/cursor of a different filter/);
      // The same filter spelled differently (case, padding, tag order) is the same filter.
      const spelled = await search(gateway, { sort: "NAME_ASC", first: 2, filter: { gender: " MALE " } });
      const respelled = await gateway.graphql(CatalogSearchDocument, {
        sort: "NAME_ASC",
        filter: { gender: "male" },
        first: 2,
        after: spelled.pageInfo.endCursor!,
      });
      expect(respelled.body.errors).toBeUndefined();
    });
  });

  // -------------------------------------------------------------------------
  describe("tags filter and totals", () => {
    test("requires every tag given, normalised as stored", async ({ gateway }) => {
      const stored = await seed(gateway);
      const tagged = async (tags: string[], includeArchived = false) =>
        keysOf(stored, (await search(gateway, { filter: { tags, includeArchived }, first: 50 })).edges);
      expect(await tagged(["news"])).toEqual(["mohammed", "laylaAr"]);
      expect(await tagged(["NEWS", " Warm "])).toEqual(["laylaAr"]);
      expect(await tagged(["news"], true)).toEqual(["nourArchived", "mohammed", "laylaAr"]);
      expect(await tagged(["warm", "deep"])).toEqual([]);
      const bad = await gateway.graphql(CatalogSearchDocument, { filter: { tags: ["ok", "no,commas"] } });
      expect(bad.body.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "filter.tags" } });
    });

    test("counts exactly from the rollups, and past CATALOG_EXACT_COUNT_LIMIT (3 here) estimates", async ({ gateway }) => {
      await seed(gateway);
      const total = async (filter: VoiceFilter) => {
        const response = await gateway.graphql(CatalogTotalDocument, { filter });
        expect(response.body.errors).toBeUndefined();
        return response.body.data!.voices;
      };
      // Rollup filters are exact whatever the count.
      expect(await total({})).toEqual({ totalCount: 8, totalCountIsEstimate: false });
      expect(await total({ includeArchived: true })).toEqual({ totalCount: 9, totalCountIsEstimate: false });
      expect(await total({ language: "AR" })).toEqual({ totalCount: 6, totalCountIsEstimate: false });
      expect(await total({ language: "ar", tags: ["news"] })).toEqual({ totalCount: 2, totalCountIsEstimate: false });
      expect(await total({ language: "ar", tags: ["news"], includeArchived: true })).toEqual({
        totalCount: 3,
        totalCountIsEstimate: false,
      });
      // Search, names, dates and several tags count rows: exact up to the cap...
      expect(await total({ search: "news" })).toEqual({ totalCount: 3, totalCountIsEstimate: false });
      expect(await total({ tags: ["news", "warm"] })).toEqual({ totalCount: 1, totalCountIsEstimate: false });
      // ...and past it, an estimate that is never below the cap.
      const estimated = await total({ createdAfter: at(0).toISOString() });
      expect(estimated.totalCountIsEstimate).toBe(true);
      expect(estimated.totalCount).toBeGreaterThanOrEqual(4);
    });
  });

  // -------------------------------------------------------------------------
  describe("voiceFacets", () => {
    type Facets = CatalogFacetsQuery["voiceFacets"];
    const DIMENSIONS = {
      languages: (voice: Partial<NewVoice>) => voice.languages ?? [],
      dialects: (voice: Partial<NewVoice>) => voice.dialects ?? [],
      genders: (voice: Partial<NewVoice>) => (voice.gender ? [voice.gender] : []),
      ages: (voice: Partial<NewVoice>) => (voice.age ? [voice.age] : []),
      models: (voice: Partial<NewVoice>) => (voice.model ? [voice.model] : []),
      tags: (voice: Partial<NewVoice>) => voice.tags ?? [],
    } as const;
    type Dimension = keyof typeof DIMENSIONS;
    const FILTER_OF: Record<Dimension, (filter: VoiceFilter) => string[]> = {
      languages: (filter) => (filter.language ? [filter.language] : []),
      dialects: (filter) => (filter.dialect ? [filter.dialect] : []),
      genders: (filter) => (filter.gender ? [filter.gender] : []),
      ages: (filter) => (filter.age ? [filter.age] : []),
      models: (filter) => (filter.model ? [filter.model] : []),
      tags: (filter) => filter.tags ?? [],
    };

    /** The facets by brute force over CATALOG: each dimension under the filter's other dimensions (and the given ids). */
    function bruteForce(filter: VoiceFilter, limit: number, only?: Set<Key>): Facets {
      const facets = {} as Record<Dimension, Array<{ value: string; count: number }>>;
      for (const dimension of Object.keys(DIMENSIONS) as Dimension[]) {
        const counts = new Map<string, number>();
        for (const key of KEYS) {
          const voice: Partial<NewVoice> & { archivedAt?: Date } = CATALOG[key];
          if (only && !only.has(key)) continue;
          if (voice.archivedAt && !filter.includeArchived) continue;
          const others = (Object.keys(DIMENSIONS) as Dimension[]).filter((other) => other !== dimension);
          if (!others.every((other) => FILTER_OF[other](filter).every((wanted) => DIMENSIONS[other](voice).includes(wanted))))
            continue;
          for (const value of DIMENSIONS[dimension](voice)) counts.set(value, (counts.get(value) ?? 0) + 1);
        }
        facets[dimension] = [...counts]
          .map(([value, count]) => ({ value, count }))
          .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
          .slice(0, limit);
      }
      return { ...facets, isEstimate: false };
    }

    async function facets(gateway: TestGateway, filter: VoiceFilter, limit?: number): Promise<Facets> {
      const response = await gateway.graphql(CatalogFacetsDocument, { filter, ...(limit !== undefined && { limit }) });
      expect(response.body.errors).toBeUndefined();
      return response.body.data!.voiceFacets;
    }

    test("counts each dimension under the filter's other dimensions", async ({ gateway }) => {
      await seed(gateway);
      const answer = await facets(gateway, { language: "ar", gender: "female" });
      // Written out once, to be read: genders are counted under language ar alone...
      expect(answer.genders).toEqual([
        { value: "female", count: 3 },
        { value: "male", count: 3 },
      ]);
      // ...languages under gender female alone (laylaAr, laylaEn, school)...
      expect(answer.languages).toEqual([
        { value: "ar", count: 3 },
        { value: "en", count: 1 },
      ]);
      // ...and tags under both.
      expect(answer.tags).toEqual([
        { value: "audiobooks", count: 1 },
        { value: "e-learning", count: 1 },
        { value: "news", count: 1 },
        { value: "warm", count: 1 },
      ]);
      expect(answer).toEqual(bruteForce({ language: "ar", gender: "female" }, 10));
    });

    const FILTERS: VoiceFilter[] = [
      {},
      { includeArchived: true },
      { language: "ar" },
      { language: "ar", dialect: "najdi", gender: "male" },
      { model: "FASEEH-V1", age: "young" },
      { tags: ["news"] },
      { tags: ["news"], includeArchived: true, gender: "female" },
      { tags: ["news", "warm"] },
      { language: "en", tags: ["warm", "deep"] },
    ];
    test.for(FILTERS)("agree with a brute force under %o", async (filter, { gateway }) => {
      await seed(gateway);
      const normalised = { ...filter, ...(filter.model && { model: filter.model.toLowerCase() }) };
      expect(await facets(gateway, filter, 100)).toEqual(bruteForce(normalised, 100));
    });

    test("with a search or dates, count the voices that match them", async ({ gateway }) => {
      await seed(gateway);
      const newsVoices = new Set<Key>(["newsDesk", "mohammed", "laylaAr"]);
      expect(await facets(gateway, { search: "news" })).toEqual(bruteForce({}, 10, newsVoices));
      const recent = new Set<Key>(KEYS.slice(5));
      expect(await facets(gateway, { createdAfter: at(5).toISOString(), gender: "male" })).toEqual(
        bruteForce({ gender: "male" }, 10, recent),
      );
    });

    test("past CATALOG_FACET_SAMPLE_LIMIT (3 here) matches of a search or dates, count 3 of them and say so", async ({
      gateway,
    }) => {
      await seed(gateway);
      // Eight live voices match; the counts are those of three of them (every voice has one gender).
      const sampled = await facets(gateway, { createdAfter: at(0).toISOString() }, 100);
      expect(sampled.isEstimate).toBe(true);
      expect(sampled.genders.reduce((sum, { count }) => sum + count, 0)).toBe(3);
      const exact = bruteForce({}, 100);
      for (const dimension of Object.keys(DIMENSIONS) as Dimension[]) {
        for (const { value, count } of sampled[dimension]) {
          expect(count).toBeLessThanOrEqual(exact[dimension].find((each) => each.value === value)?.count ?? 0);
        }
      }
      // Exact-match filters are exact whatever they match (6 voices speak Arabic).
      expect(await facets(gateway, { language: "ar" }, 100)).toEqual(bruteForce({ language: "ar" }, 100));
    });

    test("orders by count then value, at most `limit` per dimension, and refuses a limit out of 1..100", async ({ gateway }) => {
      await seed(gateway);
      const top = await facets(gateway, {}, 1);
      expect(top.languages).toEqual([{ value: "ar", count: 6 }]);
      expect(top.genders).toEqual([{ value: "male", count: 5 }]);
      expect(top.tags).toEqual([{ value: "news", count: 2 }]);
      for (const limit of [0, 101]) {
        const response = await gateway.graphql(CatalogFacetsDocument, { limit });
        expect(response.body.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "limit" } });
      }
    });

    test("follow writes: the rollups change with inserts, edits, archives and deletes", async ({ gateway }) => {
      const stored = await seed(gateway);
      const prisma = gateway.container.db.prisma;
      await prisma.voice.update({ where: { id: stored.ahmad.id }, data: { gender: "female", tags: ["news"] } });
      await prisma.voice.update({ where: { id: stored.nourArchived.id }, data: { archivedAt: null } });
      await prisma.voice.delete({ where: { id: stored.omarUpper.id } });
      const answer = await facets(gateway, { language: "ar" }, 100);
      expect(answer.genders).toEqual([
        { value: "female", count: 5 },
        { value: "male", count: 2 },
      ]);
      expect(answer.tags).toEqual([
        { value: "news", count: 4 },
        { value: "warm", count: 2 },
        { value: "audiobooks", count: 1 },
        { value: "e-learning", count: 1 },
      ]);
      expect((await gateway.graphql(CatalogTotalDocument, { filter: { language: "ar" } })).body.data!.voices.totalCount).toBe(7);
    });
  });
}
