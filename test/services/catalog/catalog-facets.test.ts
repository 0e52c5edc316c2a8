// CatalogService.voiceFacets on a real PostgreSQL database, against a
// straightforward COUNT over the voices written here in SQL (not through the
// gateway's builders): exact under exact-match filters whatever they match
// (the rollups; several tags, the voices), and under a search counted over
// at most the configured bound (5 here) of the matches, with `isEstimate`.
import { CatalogService, type VoiceFacets } from "../../../src/services/catalog/catalog-service.js";
import type { VoiceFilter } from "../../../src/services/catalog/voice-filter.js";
import { describe, expect, testWithoutGateway } from "../../support/fixtures.js";
import type { MigratedDatabase } from "../../support/migrated-database.js";

const BOUND = 5;

const it = testWithoutGateway.extend("catalog", async ({ migratedDatabase }) => {
  await seed(migratedDatabase);
  return new CatalogService(migratedDatabase.db, { exactCountLimit: 10_000, facetSampleLimit: BOUND });
});

/**
 * 40 voices, a deterministic function of i: two languages (some both),
 * dialects only with Arabic, two genders, three ages, three models, one to
 * three tags; "studio" in 5 descriptions, "narrator" in 20; every 10th
 * archived.
 */
async function seed({ test }: MigratedDatabase): Promise<void> {
  await test.query(
    `INSERT INTO voices (id, voice_id, name, description, gender, age, languages, dialects, stability, model, tags, created_at, archived_at)
     SELECT md5('facets-' || i)::uuid, 'v' || i, 'Voice ' || i,
            CASE WHEN i % 8 = 0 THEN 'studio ' ELSE '' END || CASE WHEN i % 2 = 0 THEN 'narrator' ELSE 'presenter' END,
            CASE WHEN i % 3 = 0 THEN 'male' ELSE 'female' END,
            (ARRAY['young', 'middle', 'elderly'])[1 + i % 3],
            CASE WHEN i % 4 = 0 THEN ARRAY['en'] WHEN i % 5 = 0 THEN ARRAY['ar', 'en'] ELSE ARRAY['ar'] END,
            CASE WHEN i % 4 = 0 THEN ARRAY[]::text[] ELSE ARRAY[(ARRAY['najdi', 'hijazi', 'gulf'])[1 + i % 3]] END,
            0.5, (ARRAY['faseeh-v1', 'Faseeh-V2', 'xtts_v2'])[1 + i % 3],
            ARRAY[(ARRAY['warm', 'calm'])[1 + i % 2]]
              || CASE WHEN i % 3 <> 1 THEN ARRAY['news'] ELSE ARRAY[]::text[] END
              || CASE WHEN i % 7 = 0 THEN ARRAY['deep'] ELSE ARRAY[]::text[] END,
            timestamptz '2026-01-01' + i * interval '1 minute',
            CASE WHEN i % 10 = 0 THEN timestamptz '2026-02-01' END
     FROM generate_series(1, 40) AS i`,
  );
}

/** Each dimension's values of a voice, as SQL over `voices` (models as the catalog stores them: lower case). */
const VALUES = {
  languages: "unnest(languages)",
  dialects: "unnest(dialects)",
  genders: "gender",
  ages: "age",
  models: "lower(model)",
  tags: "unnest(tags)",
} as const;
type Field = keyof typeof VALUES;
const FIELDS = Object.keys(VALUES) as Field[];

/** The filter's conditions on every dimension but `omit`, as SQL over `voices` with its parameters. */
function conditions(filter: VoiceFilter, omit: Field, values: unknown[]): string[] {
  const sql = filter.includeArchived ? [] : ["archived_at IS NULL"];
  const add = (field: Field, test: (parameter: string) => string, value: unknown) => {
    if (field === omit || value == null) return;
    values.push(value);
    sql.push(test(`$${values.length}`));
  };
  add("languages", (p) => `${p} = ANY(languages)`, filter.language);
  add("dialects", (p) => `${p} = ANY(dialects)`, filter.dialect);
  add("genders", (p) => `gender = ${p}`, filter.gender);
  add("ages", (p) => `age = ${p}`, filter.age);
  add("models", (p) => `lower(model) = ${p}`, filter.model);
  add("tags", (p) => `tags @> ${p}::text[]`, filter.tags?.length ? filter.tags : undefined);
  return sql;
}

/** The facets by COUNT over the voices: each dimension under the filter's other dimensions, most first then by value. */
async function counted({ test }: MigratedDatabase, filter: VoiceFilter): Promise<VoiceFacets> {
  const facets = { isEstimate: false } as VoiceFacets;
  for (const field of FIELDS) {
    const values: unknown[] = [];
    const where = conditions({ ...filter, search: undefined }, field, values);
    if (filter.search) {
      values.push(filter.search);
      where.push(`search_text LIKE '%' || $${values.length} || '%'`);
    }
    facets[field] = await test.query<{ value: string; count: number }>(
      `SELECT value, count(*)::int AS count FROM (SELECT ${VALUES[field]} AS value FROM voices WHERE ${where.join(" AND ") || "true"}) AS v
        WHERE value IS NOT NULL GROUP BY value ORDER BY count DESC, value COLLATE "C" LIMIT 100`,
      values,
    );
  }
  return facets;
}

describe("CatalogService.voiceFacets against COUNT over the voices (PostgreSQL)", () => {
  const EXACT: VoiceFilter[] = [
    {},
    { includeArchived: true },
    { language: "ar" },
    { language: "ar", tags: ["warm"] },
    { language: "ar", dialect: "hijazi", gender: "female", age: "young", tags: ["news"] },
    // Several tags read the voices, and are still exact past the bound (see below).
    { tags: ["warm", "news"] },
    { tags: ["news", "calm"], gender: "female", model: "FASEEH-V2" },
    { tags: ["warm", "news", "deep"], includeArchived: true },
  ];
  it.for(EXACT)("is exact under exact-match filters, whatever they match: %o", async (filter, { catalog, migratedDatabase }) => {
    const normalised = { ...filter, ...(filter.model && { model: filter.model.toLowerCase() }) };
    expect(await catalog.voiceFacets(filter, 100)).toEqual(await counted(migratedDatabase, normalised));
  });

  it("is exact under several tags matching more voices than the bound", async ({ catalog, migratedDatabase }) => {
    const [matches] = await migratedDatabase.test.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM voices WHERE archived_at IS NULL AND tags @> '{warm,news}'",
    );
    expect(matches?.n).toBeGreaterThan(BOUND);
    const facets = await catalog.voiceFacets({ tags: ["warm", "news"] }, 100);
    expect(facets.isEstimate).toBe(false);
    expect(facets.genders.reduce((sum, { count }) => sum + count, 0)).toBe(matches?.n);
  });

  it("is exact, not an estimate, under a search matching at most the bound", async ({ catalog, migratedDatabase }) => {
    const { test } = migratedDatabase;
    const [matches] = await test.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM voices WHERE archived_at IS NULL AND search_text LIKE '%studio%'",
    );
    expect(matches?.n).toBe(BOUND - 1); // i = 8, 16, 24, 32 (40 is archived)
    expect(await catalog.voiceFacets({ search: "studio" }, 100)).toEqual(await counted(migratedDatabase, { search: "studio" }));
    // Exactly the bound is still exact: archived ones included, 40 is the fifth.
    const archivedToo = { search: "studio", includeArchived: true };
    expect(await catalog.voiceFacets(archivedToo, 100)).toEqual(await counted(migratedDatabase, archivedToo));
  });

  it("past the bound, counts that many of the matches and says it is an estimate", async ({ catalog, migratedDatabase }) => {
    const exact = await counted(migratedDatabase, { search: "narrator" }); // 16 live voices
    const sampled = await catalog.voiceFacets({ search: "narrator" }, 100);
    expect(sampled.isEstimate).toBe(true);
    // Every voice has one gender, age and model: each of those facets adds up to the sample.
    for (const field of ["genders", "ages", "models"] as const) {
      expect(sampled[field].reduce((sum, { count }) => sum + count, 0)).toBe(BOUND);
    }
    expectAtMost(sampled, exact);
  });

  it("past the bound, still counts each dimension under the filter's other dimensions", async ({ catalog, migratedDatabase }) => {
    const filter = { search: "narrator", gender: "male", language: "ar" };
    const sampled = await catalog.voiceFacets(filter, 100);
    expect(sampled.isEstimate).toBe(true);
    expectAtMost(sampled, await counted(migratedDatabase, filter));
    // Genders are counted under ar alone, so the sample has both (the search's first voices are female, i = 2, 4).
    expect(sampled.genders.map(({ value }) => value).sort()).toEqual(["female", "male"]);
  });
});

/** Each sampled count is at most the exact one, and only values the matches have appear. */
function expectAtMost(sampled: VoiceFacets, exact: VoiceFacets): void {
  for (const field of FIELDS) {
    for (const { value, count } of sampled[field]) {
      expect(count).toBeLessThanOrEqual(exact[field].find((each) => each.value === value)?.count ?? 0);
    }
  }
}
