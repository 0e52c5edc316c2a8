// The planner's choices for the catalog's reads, on the real schema (every
// migration applied) with enough rows for its statistics to matter: the
// indexes the issue-12 migration made must be the ones used, so a later
// migration that drops or shadows one fails here instead of turning a 5 ms
// page into a walk of a million rows in production. The statements are the
// gateway's own (services/catalog/sql/ builders), run on its read pool with
// its read-session settings. Timings live in BENCHMARKS.md, not here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VoiceSort } from "../../src/services/catalog/catalog-query.js";
import { combinationShareStatement, rollupCountStatement } from "../../src/services/catalog/sql/counts.js";
import { facetsStatement } from "../../src/services/catalog/sql/facets.js";
import { listVoicesStatement } from "../../src/services/catalog/sql/list.js";
import type { Statement } from "../../src/services/catalog/sql/statement.js";
import { parseFilter, type VoiceFilter } from "../../src/services/catalog/voice-filter.js";
import { type MigratedDatabase, openMigratedDatabase } from "../support/migrated-database.js";

const VOICES = 40_000;

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan, depth first. */
function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

describe("catalog query plans (PostgreSQL, 40,000 voices)", () => {
  let database: MigratedDatabase;

  beforeAll(async () => {
    database = await openMigratedDatabase();
    // Spread like the catalog bench's seeder: 80% Arabic, dialects only with Arabic, two genders,
    // three ages, four models, a style and a use as tags; a deterministic function of i.
    await database.test.query(
      `INSERT INTO voices (id, voice_id, name, description, gender, age, languages, dialects, stability, model, tags, created_at)
       SELECT md5(i::text)::uuid, 'v' || i,
              (ARRAY['Layla','Omar','Huda','Khalid','Noura','Saad','Amal','Badr'])[1 + i % 8] || ' ' || i,
              'A ' || (ARRAY['warm','calm','deep','bright'])[1 + (i / 8) % 4] || ' voice'
                || CASE WHEN i % 10000 = 0 THEN ' for the Zephyr studio' ELSE '' END,
              CASE WHEN i % 2 = 0 THEN 'male' ELSE 'female' END,
              (ARRAY['young','middle','elderly'])[1 + (i / 3) % 3],
              CASE WHEN i % 5 = 0 THEN ARRAY['en', (ARRAY['fr','tr','ur'])[1 + (i / 5) % 3]]
                   WHEN i % 7 = 0 THEN ARRAY['ar', 'tr'] ELSE ARRAY['ar'] END,
              CASE WHEN i % 5 = 0 THEN ARRAY[]::text[]
                   ELSE ARRAY[(ARRAY['najdi','hijazi','gulf','levantine','egyptian','maghrebi','emirati','fusha'])[1 + (i / 11) % 8]] END,
              0.5,
              (ARRAY['faseeh-v1','faseeh-v2','faseeh-v3','faseeh-v4'])[1 + (i / 13) % 4],
              ARRAY[(ARRAY['warm','calm','deep','bright'])[1 + (i / 8) % 4], (ARRAY['news','audiobooks','ivr'])[1 + (i / 17) % 3]]
                || CASE WHEN i % 1000 = 0 THEN ARRAY['studio'] ELSE ARRAY[]::text[] END,
              timestamptz '2026-01-01' + i * interval '1 minute'
       FROM generate_series(1, ${VOICES}) AS i`,
    );
    // Every row sampled (the target's 300 x 1,000 rows exceed them), so the statistics, and the
    // plans, are the same on every run.
    await database.test.query("SET default_statistics_target = 1000; ANALYZE voices");
    await database.test.query("ANALYZE voice_facet_combos");
    await database.test.query("ANALYZE voice_tag_combos");
  }, 120_000);
  afterAll(async () => {
    await database.close();
  });

  /** The plan of a statement as the gateway's read pool would run it (its settings included). */
  async function planOf(statement: Statement): Promise<PlanNode[]> {
    const [row] = await database.db.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>({
      text: `EXPLAIN (FORMAT JSON) ${statement.text}`,
      values: statement.values,
    });
    return nodesOf(row!["QUERY PLAN"][0]!.Plan);
  }
  const list = (filter: VoiceFilter, sort: VoiceSort = "NEWEST") =>
    planOf(listVoicesStatement(parseFilter(filter), sort, undefined, 21));
  const indexes = (nodes: PlanNode[]) => nodes.flatMap((node) => (node["Index Name"] ? [node["Index Name"]] : []));
  const relations = (nodes: PlanNode[]) => nodes.flatMap((node) => (node["Relation Name"] ? [node["Relation Name"]] : []));

  it("serves a filter with a rare value from the GIN index over facet_keys, not by walking the date index", async () => {
    // The tag "studio" is on 0.1% of the voices; with two common values beside it.
    const nodes = await list({ tags: ["studio"], language: "ar", gender: "female" });
    expect(indexes(nodes)).toEqual(["voices_facet_keys_idx"]);
    expect(indexes(await list({ model: "faseeh-v2", tags: ["studio"] }, "NAME_ASC"))).toContain("voices_facet_keys_idx");
  });

  it("fetches a rare combination of common values by combination, through the index on facet_combo", async () => {
    // tr + maghrebi + male + elderly: each value common, together about 0.2% of these voices.
    const [share] = await database.db.query<{ matching: number; total: number }>(
      combinationShareStatement(parseFilter({ language: "tr", dialect: "maghrebi", gender: "male", age: "elderly" })),
    );
    expect(share!.matching).toBeGreaterThan(0);
    expect(share!.matching ** 2).toBeLessThanOrEqual(21 * share!.total); // what CatalogService.isRare decides
    for (const sort of ["NEWEST", "NAME_ASC"] as const) {
      const nodes = await planOf(
        listVoicesStatement(
          parseFilter({ language: "tr", dialect: "maghrebi", gender: "male", age: "elderly" }),
          sort,
          undefined,
          21,
          { rare: true },
        ),
      );
      expect(indexes(nodes)).toContain("voices_facet_combo_idx");
      expect(indexes(nodes)).not.toContain("voices_created_at_id_idx");
    }
  });

  it("walks the date index for a broad filter's newest page (no sort of the matches)", async () => {
    const nodes = await list({ language: "ar" });
    expect(indexes(nodes)).toEqual(["voices_created_at_id_idx"]);
    expect(nodes.map((node) => node["Node Type"])).not.toContain("Sort");
  });

  it("walks the same index backwards for OLDEST, and the name index for NAME_ASC and NAME_DESC", async () => {
    expect(indexes(await list({}, "OLDEST"))).toEqual(["voices_created_at_id_idx"]);
    expect(indexes(await list({}, "NAME_ASC"))).toEqual(["voices_sort_name_id_idx"]);
    expect(indexes(await list({ gender: "female" }, "NAME_DESC"))).toEqual(["voices_sort_name_id_idx"]);
  });

  it("finds a search's candidates through the trigram index", async () => {
    // A word 4 voices have (0.01%), as typed and misspelled, ranked or newest first.
    expect(indexes(await list({ search: "zephyr" }, "RELEVANCE"))).toContain("voices_search_text_trgm_idx");
    expect(indexes(await list({ search: "Zefyr", gender: "female" }, "RELEVANCE"))).toContain("voices_search_text_trgm_idx");
    expect(indexes(await list({ search: "zephyr" }))).toContain("voices_search_text_trgm_idx");
  });

  it("ranks RELEVANCE as an Append of ordered branches under one Limit, so it stops once the page is full", async () => {
    for (const search of ["layla", "zephyr"]) {
      const nodes = await list({ search }, "RELEVANCE");
      const types = nodes.map((node) => node["Node Type"]);
      expect(types[0]).toBe("Limit");
      // In order, and nothing above the Append that would need every branch's rows first.
      const append = types.indexOf("Append");
      expect(append).toBeGreaterThan(0);
      expect(types.slice(0, append).filter((type) => type !== "Limit" && type !== "Subquery Scan")).toEqual([]);
      expect(types).not.toContain("Gather");
    }
  });

  it("plans a search's facet sample as for every match, whatever the bound, and reads as far as the bound", async () => {
    // Under a plain LIMIT the planner chose by the bound: at a million voices, a scan of the table
    // for a bound of 2,000 ("layla": it expected to find them soon, and each row's fuzzy test made
    // it 0.7 s), the trigram index for 5,000. The sample is a CTE planned for every match.
    const scans = (nodes: PlanNode[]) =>
      nodes
        .filter((node) => node["Relation Name"] ?? node["Index Name"])
        .map((node) => `${node["Node Type"]} ${node["Index Name"] ?? ""}`);
    for (const search of ["layla", "zephyr"]) {
      const small = await planOf(facetsStatement(parseFilter({ search }), 10, 100));
      expect(scans(small)).toEqual(scans(await planOf(facetsStatement(parseFilter({ search }), 10, 1_000_000))));
      expect(small.filter((node) => node["Node Type"] === "Limit")).toHaveLength(2); // the sample and the counted
    }
    // A word 4 voices have: the trigram index.
    expect(indexes(await planOf(facetsStatement(parseFilter({ search: "zephyr" }), 10, 100)))).toContain(
      "voices_search_text_trgm_idx",
    );
  });

  it("answers facets and totals under exact-match filters from the rollups, never reading voices", async () => {
    for (const filter of [{}, { language: "ar" }, { language: "ar", gender: "female", tags: ["news"] }] satisfies VoiceFilter[]) {
      const facets = relations(await planOf(facetsStatement(parseFilter(filter), 10, 1000)));
      expect(facets).not.toContain("voices");
      // Tags under one value at most come from the per-key counts, under more from the combinations.
      expect(facets).toContain(Object.keys(filter).length <= 1 ? "voice_tag_key_counts" : "voice_tag_combos");
      expect(relations(await planOf(rollupCountStatement(parseFilter(filter))))).not.toContain("voices");
    }
  });
});
