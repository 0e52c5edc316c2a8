// What a filter requires of a voice, as SQL: the WHERE conditions over
// `voices` (one containment test on facet_keys for the exact-match values,
// then archive scope, name, dates and the search's words), the keys a voice
// must carry, and when the facet rollups can answer instead of the voices.
import { type CatalogQuery, type FacetDimension, keyOf, searchWords } from "../catalog-query.js";
import type { Parameters } from "./statement.js";

/**
 * The keys a voice must have: one per exact-match dimension except `omit`,
 * then (unless `withTags` is false) a tag key per tag.
 */
export function requiredKeys(query: CatalogQuery, omit?: FacetDimension, { withTags = true } = {}): string[] {
  const keys = Object.entries(query.keys)
    .filter(([dimension]) => dimension !== omit)
    .map(([dimension, value]) => keyOf(dimension as FacetDimension, value));
  if (withTags && omit !== "tag") keys.push(...query.tags.map((tag) => keyOf("tag", tag)));
  return keys;
}

/** Whether a filter has a search, a name or dates: conditions no rollup holds, read from the voices themselves. */
export const hasTextOrDateConditions = (query: CatalogQuery): boolean =>
  Boolean(query.search || query.nameContains || query.createdAfter || query.createdBefore);

/** Whether a filter has exact-match values other than tags: the ones the facet rollup's combinations hold. */
export const hasCombinationKeys = (query: CatalogQuery): boolean => Object.keys(query.keys).length > 0;

/**
 * Whether the facet rollups can answer for `dimension` (or the total, when
 * undefined): only the exact-match dimensions are in them, and the tag
 * rollup holds one tag per row, so a filter on two tags needs the voices.
 */
export function rollupAnswers(query: CatalogQuery, dimension?: FacetDimension): boolean {
  if (hasTextOrDateConditions(query)) return false;
  return dimension === "tag" || query.tags.length <= 1;
}

/** The rollups' archive scope, appended to their other conditions. */
export const rollupArchiveCondition = (query: CatalogQuery) => (query.includeArchived ? "" : " AND NOT archived");

/** Makes a value literal inside an ILIKE pattern (backslash is PostgreSQL's default escape). */
const escapeLike = (value: string): string => value.replace(/[\\%_]/g, "\\$&");

/** The search's text as both sides store it: folded by the same SQL function. */
export const folded = (parameter: string) => `catalog_fold(${parameter})`;

/** A search word's parameter, and whether it may also match by spelling. */
export interface SearchWord {
  parameter: string;
  fuzzy: boolean;
}

/** WHERE conditions, and what RELEVANCE needs of the search's. */
export type Conditions = string[] & {
  /** The search's words, as parameters. */
  words?: SearchWord[];
  /** Every condition but the search's words: what RELEVANCE's exact tiers keep. */
  withoutSearch?: string[];
};

/** Whether a word is long enough (letters, not marks or tatweel, counted) to be matched by spelling too. */
const isFuzzyWord = (word: string): boolean => Array.from(word.replace(/[\u064B-\u065F\u0670\u0640]/gu, "")).length >= 4;

/**
 * The WHERE conditions of a filter over `voices`, or, by combination (the
 * rare path of listVoicesStatement), those of the voices of the
 * combinations the rollup named.
 */
export function conditionsFor(
  query: CatalogQuery,
  parameters: Parameters,
  { byCombination = false }: { byCombination?: boolean } = {},
): Conditions {
  const sql: Conditions = [];
  if (byCombination) {
    // The voices of the combinations the rollup named.
    sql.push(`facet_combo IN (SELECT combo FROM combos)`);
    // The tags on `tags`, which has no index: through facet_keys' GIN the planner would fetch every
    // voice with the tag (100,000 of a million for a common one) to intersect them with a cursor's range.
    if (query.tags.length) sql.push(`tags @> ${parameters.add(query.tags, "::text[]")}`);
  }
  const keys = byCombination ? [] : requiredKeys(query);
  // One containment test on the GIN index over facet_keys, however many dimensions are given.
  if (keys.length) {
    sql.push(`facet_keys @> ${parameters.add(keys, "::text[]")}`);
  }
  if (!query.includeArchived) {
    sql.push("archived_at IS NULL");
  }
  if (query.nameContains) {
    sql.push(`name ILIKE '%' || ${parameters.add(escapeLike(query.nameContains))} || '%'`);
  }
  if (query.createdAfter) {
    sql.push(`created_at >= ${parameters.add(query.createdAfter)}`);
  }
  if (query.createdBefore) {
    sql.push(`created_at < ${parameters.add(query.createdBefore)}`);
  }
  // Last, so that everything before it is what RELEVANCE's exact tiers keep (`withoutSearch`).
  if (query.search) addSearch(sql, query.search, parameters);
  return sql;
}

/**
 * Every word must be found: as a substring of the folded text, or (words of
 * four letters or more) as a word close enough in spelling: pg_trgm's word
 * similarity against pg_trgm.word_similarity_threshold, set per read
 * connection. Shorter words match exactly only, since a trigram or two in
 * common says little about them.
 */
function addSearch(sql: Conditions, search: string, parameters: Parameters): void {
  sql.withoutSearch = [...sql];
  sql.words = searchWords(search).map((word) => ({ parameter: parameters.add(word, "::text"), fuzzy: isFuzzyWord(word) }));
  for (const { parameter, fuzzy } of sql.words) {
    const exact = `search_text LIKE catalog_contains_pattern(${folded(parameter)})`;
    sql.push(fuzzy ? `(${exact} OR ${folded(parameter)} <% search_text)` : exact);
  }
}
