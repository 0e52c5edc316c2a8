// Counting a filter's voices as one statement each: exactly from the facet
// rollups, exactly up to a cap from the voices, or the planner's estimate
// past it; and the rollup's share of the filter's combinations, which
// decides whether a page takes the rare path.
import type { CatalogQuery } from "../catalog-query.js";
import { conditionsFor, requiredKeys, rollupArchiveCondition } from "./conditions.js";
import { Parameters, type Statement, statement, whereClause } from "./statement.js";

/**
 * How many voices the filter's exact-match values (tags aside) select, and
 * how many voices there are, from the rollup: what decides whether a page
 * takes the rare path (CatalogService.isRare).
 */
export function combinationShareStatement(query: CatalogQuery): Statement {
  const parameters = new Parameters();
  const keys = parameters.add(requiredKeys(query, undefined, { withTags: false }), "::text[]");
  return statement(
    `SELECT coalesce(sum(voices) FILTER (WHERE keys @> ${keys}), 0)::int AS matching, coalesce(sum(voices), 0)::int AS total
      FROM voice_facet_combos WHERE voices > 0${rollupArchiveCondition(query)}`,
    parameters,
  );
}

/** The exact count from the rollups (only when rollupAnswers(query)). */
export function rollupCountStatement(query: CatalogQuery): Statement {
  const parameters = new Parameters();
  const keys = parameters.add(requiredKeys(query, undefined, { withTags: false }), "::text[]");
  const [tag] = query.tags;
  const source =
    tag === undefined
      ? `voice_facet_combos WHERE keys @> ${keys}`
      : `voice_tag_combos WHERE tag = ${parameters.add(tag)} AND keys @> ${keys}`;
  return statement(
    `SELECT coalesce(sum(voices), 0)::int AS count FROM ${source} AND voices > 0${rollupArchiveCondition(query)}`,
    parameters,
  );
}

/** Counts matching voices up to `cap + 1`: enough to tell an exact count from "more than the cap". */
export function cappedCountStatement(query: CatalogQuery, cap: number): Statement {
  const parameters = new Parameters();
  const conditions = conditionsFor(query, parameters);
  const limit = parameters.add(cap + 1);
  return statement(
    `SELECT count(*)::int AS count FROM (SELECT 1 FROM voices ${whereClause(conditions)} LIMIT ${limit}) AS capped`,
    parameters,
  );
}

/** The planner's estimate of the matching rows (EXPLAIN, nothing runs): the total past the cap. */
export function estimateCountStatement(query: CatalogQuery): Statement {
  const parameters = new Parameters();
  const conditions = conditionsFor(query, parameters);
  return statement(`EXPLAIN (FORMAT JSON) SELECT 1 FROM voices ${whereClause(conditions)}`, parameters);
}
