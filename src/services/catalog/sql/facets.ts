// Every facet of a filter as one statement: each dimension's values with
// their counts under the filter's other dimensions, from the rollups where
// they can answer, else from the voices. Rows name their dimension by its
// keys' prefix, as stored ("l" for languages).
import {
  type CatalogQuery,
  DIMENSIONS,
  FACET_DIMENSIONS,
  type FacetDimension,
  type FacetField,
  type KeyPrefix,
} from "../catalog-query.js";
import { conditionsFor, requiredKeys, rollupAnswers, rollupArchiveCondition } from "./conditions.js";
import { Parameters, type Statement, statement, whereClause } from "./statement.js";

/** A row of facetsStatement. */
export interface FacetRow extends Record<string, unknown> {
  /** The prefix of the dimension's keys. */
  dimension: KeyPrefix;
  value: string;
  count: number;
}

/** The VoiceFacets field of a row's dimension. */
export const FACET_FIELD_OF_PREFIX = Object.fromEntries(
  Object.values(FACET_DIMENSIONS).map(({ prefix, facet }) => [prefix, facet]),
) as Record<KeyPrefix, FacetField>;

/**
 * `CASE` over a key's dimension (its prefix): true when the row it came from
 * has `keysOf(dimension)`, false for dimensions not in `dimensions`. This is
 * what lets one pass over rows count every dimension, each under its own
 * filter (the filter's other dimensions).
 */
function perDimension(
  dimensions: FacetDimension[],
  column: string,
  keysOf: (dimension: FacetDimension) => string[],
  parameters: Parameters,
): string {
  const branches = dimensions.map((dimension) => {
    const keys = keysOf(dimension);
    const prefix = FACET_DIMENSIONS[dimension].prefix;
    return `WHEN '${prefix}' THEN ${keys.length ? `${column} @> ${parameters.add(keys, "::text[]")}` : "true"}`;
  });
  return `CASE left(key, 1) ${branches.join(" ")} ELSE false END`;
}

/**
 * Counts from the rollups, in one pass over each: the untagged dimensions
 * over the combinations (of the voices with the filter's tag, when it has
 * one), the tags over the tag rollup.
 */
function facetsFromRollups(query: CatalogQuery, dimensions: FacetDimension[], parameters: Parameters): string[] {
  const live = `voices > 0${rollupArchiveCondition(query)}`;
  const parts: string[] = [];
  const untagged = dimensions.filter((dimension) => dimension !== "tag");
  if (untagged.length) {
    const [tag] = query.tags;
    const source = tag === undefined ? "voice_facet_combos WHERE" : `voice_tag_combos WHERE tag = ${parameters.add(tag)} AND`;
    const wanted = perDimension(untagged, "keys", (dimension) => requiredKeys(query, dimension, { withTags: false }), parameters);
    parts.push(`SELECT key, sum(voices)::int AS count FROM (SELECT keys, voices FROM ${source} ${live}) AS combos
      CROSS JOIN LATERAL unnest(keys) AS key WHERE ${wanted} GROUP BY key`);
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
 * Counts from the voices themselves, one pass over the rows that can count
 * for any of `dimensions`: those matching the search, names, dates and the
 * values of the other dimensions (found through their indexes), each key
 * then counted if its row matches the filter without its own dimension.
 */
function facetsFromVoices(query: CatalogQuery, dimensions: FacetDimension[], parameters: Parameters): string {
  const common: CatalogQuery = {
    ...query,
    keys: Object.fromEntries(
      Object.entries(query.keys).filter(([dimension]) => !dimensions.includes(dimension as FacetDimension)),
    ),
    tags: dimensions.includes("tag") ? [] : query.tags,
  };
  const conditions = conditionsFor(common, parameters);
  const wanted = perDimension(dimensions, "facet_keys", (dimension) => requiredKeys(query, dimension), parameters);
  return `SELECT key, count(*)::int AS count FROM voices CROSS JOIN LATERAL unnest(facet_keys) AS key
    ${whereClause([...conditions, wanted])} GROUP BY key`;
}

/**
 * Every dimension's values with their counts, each under the filter's other
 * dimensions, most first (ties by value), at most `limit` per dimension: one
 * statement. From the rollups where they can answer, else from the voices.
 */
export function facetsStatement(query: CatalogQuery, limit: number): Statement {
  const parameters = new Parameters();
  const fromRollups = DIMENSIONS.filter((dimension) => rollupAnswers(query, dimension));
  const fromVoices = DIMENSIONS.filter((dimension) => !fromRollups.includes(dimension));
  const parts = facetsFromRollups(query, fromRollups, parameters);
  if (fromVoices.length) parts.push(facetsFromVoices(query, fromVoices, parameters));
  const text = `SELECT left(key, 1) AS dimension, substr(key, 3) AS value, count FROM (
      SELECT *, row_number() OVER (PARTITION BY left(key, 1) ORDER BY count DESC, key COLLATE "C") AS rank
      FROM (${parts.join("\nUNION ALL\n")}) AS counts WHERE count > 0
    ) AS ranked WHERE rank <= ${parameters.add(limit)} ORDER BY dimension, rank`;
  return statement(text, parameters);
}
