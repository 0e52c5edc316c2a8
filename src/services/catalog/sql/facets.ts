// Every facet of a filter as one statement: each dimension's values with
// their counts under the filter's other dimensions, from the rollups where
// they can answer, else from the voices (under a search, name or dates, at
// most a bounded number of them). Rows name their dimension by its keys'
// prefix, as stored ("l" for languages).
import {
  type CatalogQuery,
  DIMENSIONS,
  FACET_DIMENSIONS,
  type FacetDimension,
  type FacetField,
  type KeyPrefix,
  keyOf,
} from "../catalog-query.js";
import { conditionsFor, hasTextOrDateConditions, requiredKeys, rollupAnswers, rollupArchiveCondition } from "./conditions.js";
import { Parameters, type Statement, statement, whereClause } from "./statement.js";

/** A row of facetsStatement. */
export interface FacetRow extends Record<string, unknown> {
  /** The prefix of the dimension's keys; SAMPLED for the row that says how many voices were sampled. */
  dimension: KeyPrefix | typeof SAMPLED;
  value: string;
  count: number;
}

/** The dimension of the row counting the voices sampled (at most the bound + 1): only when the statement samples. */
export const SAMPLED = "*";

/** The VoiceFacets field of a row's dimension. */
export const FACET_FIELD_OF_PREFIX = Object.fromEntries(
  Object.values(FACET_DIMENSIONS).map(({ prefix, facet }) => [prefix, facet]),
) as Record<KeyPrefix, FacetField>;

/** The keys a row must have for `dimension`'s filter: its code, or every tag given. */
function keysOf(query: CatalogQuery, dimension: FacetDimension): string[] {
  if (dimension === "tag") return query.tags.map((tag) => keyOf("tag", tag));
  const value = query.keys[dimension];
  return value === undefined ? [] : [keyOf(dimension, value)];
}

/**
 * Which of `dimensions` with a filter a row (its keys in `column`) misses,
 * as their prefixes in one text. A row counts for dimension d exactly when it
 * misses none of the others: nothing missed, every key counts; d's filter
 * alone missed, only d's keys; more, nothing (leaving it out is the
 * prefilter). Tested once per row, not once per key: the keys are then
 * unnested by a plain projection.
 */
function missed(query: CatalogQuery, dimensions: FacetDimension[], column: string, parameters: Parameters): string | undefined {
  const tests = dimensions.flatMap((dimension) => {
    const keys = keysOf(query, dimension);
    if (!keys.length) return [];
    return [
      `CASE WHEN ${column} @> ${parameters.add(keys, "::text[]")} THEN '' ELSE '${FACET_DIMENSIONS[dimension].prefix}' END`,
    ];
  });
  return tests.length ? tests.join(" || ") : undefined;
}

/**
 * Counts per key over `source` (rows of `keys`, `weight` and, when the
 * filter constrains any of `dimensions`, `miss`): each key of `dimensions`
 * counted when its row misses no other dimension's filter. The test is the
 * aggregate's FILTER, not a WHERE, so that the planner expects every key
 * (keys counted 0 are dropped later) and hashes them: under a WHERE it
 * expected a handful and sorted 66,000 keys instead (ar + warm).
 */
function countKeys(source: string, aggregate: "sum" | "count", dimensions: FacetDimension[], withMiss: boolean): string {
  const conditions: string[] = [];
  if (dimensions.length < DIMENSIONS.length) {
    conditions.push(`left(key, 1) IN (${dimensions.map((dimension) => `'${FACET_DIMENSIONS[dimension].prefix}'`).join(", ")})`);
  }
  if (withMiss) conditions.push(`(miss = '' OR left(key, 1) = miss)`);
  const counted = `${aggregate === "sum" ? "sum(weight)" : "count(*)"}${conditions.length ? ` FILTER (WHERE ${conditions.join(" AND ")})` : ""}`;
  return `SELECT key, coalesce(${counted}, 0)::int AS count
    FROM (SELECT unnest(keys) AS key${withMiss ? ", miss" : ""}, weight FROM ${source}) AS unnested GROUP BY key`;
}

/** The rows of `from` (keys in `column`) that count for some of `dimensions`, as `keys`, `weight` and what they miss. */
function rowsThatCount(
  query: CatalogQuery,
  dimensions: FacetDimension[],
  { columns, from, column }: { columns: string; from: string; column: string },
  parameters: Parameters,
): { rows: string; withMiss: boolean } {
  const miss = missed(query, dimensions, column, parameters);
  if (!miss) return { rows: `(SELECT ${columns} FROM ${from})`, withMiss: false };
  // OFFSET 0: the misses are computed once per row, and then both filter and travel with the row.
  return {
    rows: `(SELECT * FROM (SELECT ${columns}, ${miss} AS miss FROM ${from} OFFSET 0) AS tested WHERE length(miss) <= 1)`,
    withMiss: true,
  };
}

/**
 * Counts from the rollups: the untagged dimensions over the combinations (of
 * the voices with the filter's tag, when it has one), the tags over the
 * per-key tag counts or the tag rollup.
 */
function facetsFromRollups(query: CatalogQuery, dimensions: FacetDimension[], parameters: Parameters): string[] {
  const live = `voices > 0${rollupArchiveCondition(query)}`;
  const parts: string[] = [];
  const untagged = dimensions.filter((dimension) => dimension !== "tag");
  if (untagged.length) {
    const [tag] = query.tags;
    const source = tag === undefined ? "voice_facet_combos WHERE" : `voice_tag_combos WHERE tag = ${parameters.add(tag)} AND`;
    const from = `${source} ${live}`;
    const { rows, withMiss } = rowsThatCount(
      query,
      untagged,
      { columns: "keys, voices AS weight", from, column: "keys" },
      parameters,
    );
    parts.push(countKeys(`${rows} AS combos`, "sum", untagged, withMiss));
  }
  if (dimensions.includes("tag")) {
    const keys = requiredKeys(query, "tag", { withTags: false });
    // Under one other value at most, the per-key counts answer; under more, the combinations do.
    parts.push(
      keys.length <= 1
        ? `SELECT 't:' || tag AS key, sum(voices)::int AS count FROM voice_tag_key_counts
            WHERE key = ${parameters.add(keys[0] ?? "*")} AND ${live} GROUP BY tag`
        : `SELECT 't:' || tag AS key, sum(voices)::int AS count FROM voice_tag_combos
            WHERE keys @> ${parameters.add(keys, "::text[]")} AND ${live} GROUP BY tag`,
    );
  }
  return parts;
}

/**
 * Counts from the voices themselves: the rows that count for any of
 * `dimensions` (those matching the search, names, dates and the values of
 * the other dimensions, found through their indexes, and missing at most one
 * of `dimensions`' filters), as the CTE `matches`. When sampled, the counts
 * are over the first `bound` of them, and a SAMPLED row says how many there
 * were (up to bound + 1): the CTE is planned to fetch every match, so the
 * search's index finds them, and runs only as far as the LIMIT reads.
 */
function facetsFromVoices(query: CatalogQuery, dimensions: FacetDimension[], bound: number | undefined, parameters: Parameters) {
  const common: CatalogQuery = {
    ...query,
    keys: Object.fromEntries(
      Object.entries(query.keys).filter(([dimension]) => !dimensions.includes(dimension as FacetDimension)),
    ),
    tags: dimensions.includes("tag") ? [] : query.tags,
  };
  const conditions = conditionsFor(common, parameters);
  const from = `voices ${whereClause(conditions)}`;
  // Counting every match without tags (several tags, no search), a voice's untagged keys are its
  // facet_combo: the matches are added up per combination first (11,000 voices, 4,000 combinations).
  const byCombination = !dimensions.includes("tag") && bound === undefined;
  const columns = `${byCombination ? "facet_combo AS combo" : "facet_keys AS keys"}, 1 AS weight`;
  const { rows, withMiss } = rowsThatCount(query, dimensions, { columns, from, column: "facet_keys" }, parameters);
  const ctes = [`matches AS MATERIALIZED (SELECT * FROM ${rows} AS rows)`];
  if (byCombination) {
    const grouping = withMiss ? "combo, miss" : "combo";
    const combinations = `(SELECT string_to_array(combo, E'\\x1f') AS keys${withMiss ? ", miss" : ""}, count(*) AS weight
      FROM matches GROUP BY ${grouping}) AS combinations`;
    return { ctes, parts: [countKeys(combinations, "sum", dimensions, withMiss)] };
  }
  if (bound === undefined) return { ctes, parts: [countKeys("matches", "count", dimensions, withMiss)] };
  ctes.push(`sample AS MATERIALIZED (SELECT * FROM matches LIMIT ${parameters.add(bound + 1)})`);
  const counted = `(SELECT * FROM sample LIMIT ${parameters.add(bound)}) AS counted`;
  return {
    ctes,
    parts: [countKeys(counted, "count", dimensions, withMiss), `SELECT '${SAMPLED}' AS key, count(*)::int AS count FROM sample`],
  };
}

/**
 * Every dimension's values with their counts, each under the filter's other
 * dimensions, most first (ties by value), at most `limit` per dimension: one
 * statement. From the rollups where they can answer, else from the voices:
 * under a search, name or dates (hasTextOrDateConditions), over at most `sampleLimit`
 * of them, with a SAMPLED row.
 */
export function facetsStatement(query: CatalogQuery, limit: number, sampleLimit: number): Statement {
  const parameters = new Parameters();
  const fromRollups = DIMENSIONS.filter((dimension) => rollupAnswers(query, dimension));
  const fromVoices = DIMENSIONS.filter((dimension) => !fromRollups.includes(dimension));
  const parts = facetsFromRollups(query, fromRollups, parameters);
  let ctes: string[] = [];
  if (fromVoices.length) {
    const voices = facetsFromVoices(query, fromVoices, hasTextOrDateConditions(query) ? sampleLimit : undefined, parameters);
    ctes = voices.ctes;
    parts.push(...voices.parts);
  }
  const text = `${ctes.length ? `WITH ${ctes.join(",\n")}\n` : ""}SELECT left(key, 1) AS dimension, substr(key, 3) AS value, count FROM (
      SELECT *, row_number() OVER (PARTITION BY left(key, 1) ORDER BY count DESC, key COLLATE "C") AS rank
      FROM (${parts.join("\nUNION ALL\n")}) AS counts WHERE count > 0
    ) AS ranked WHERE rank <= ${parameters.add(limit)} ORDER BY dimension, rank`;
  return statement(text, parameters);
}
