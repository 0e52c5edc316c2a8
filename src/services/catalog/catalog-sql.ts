// The catalog's reads as single SQL statements. Prisma stays the home of the
// schema and of writes; reads are what internal tools do all day, and through
// Prisma each one paid for its query compiler and result mapping (a fifth of
// the gateway's CPU per read in the profile, BENCHMARKS.md). Each statement
// is named after its text, so PostgreSQL parses it once per connection, and
// selects the columns under the names VoiceRecord uses, so rows need no
// mapping. What the columns, tables and functions used here are: migration
// 20261129000000_catalog_curation_search_facets.
import { createHash } from "node:crypto";

export interface Statement {
  /** Prepared-statement name: one per distinct text. */
  name: string;
  text: string;
  values: unknown[];
}

/**
 * A statement named by a hash of its text: the text varies with which
 * filters, sorts and tiers a request uses, and two texts must never share a
 * name on one connection. Hashing is the one rule that cannot drift from
 * the text (about 2 us for a list statement).
 */
function statement(text: string, parameters: Parameters): Statement {
  return {
    name: `catalog-${createHash("sha256").update(text).digest("base64url").slice(0, 22)}`,
    text,
    values: parameters.values,
  };
}

/** The exact-match dimensions, by the prefix of their keys in `facet_keys`. */
export const FACET_DIMENSIONS = {
  l: "languages",
  d: "dialects",
  g: "genders",
  a: "ages",
  m: "models",
  t: "tags",
} as const;
export type FacetDimension = keyof typeof FACET_DIMENSIONS;
const DIMENSIONS = Object.keys(FACET_DIMENSIONS) as FacetDimension[];

/** A filter once validated and normalised (CatalogService.parseFilter): what the SQL and a cursor's fingerprint are made of. */
export interface CatalogQuery {
  /** Exact-match keys, e.g. { l: "ar", g: "female" }: one value per dimension but tags. */
  keys: Partial<Record<Exclude<FacetDimension, "t">, string>>;
  /** Normalised tags, all required. */
  tags: string[];
  search?: string | undefined;
  nameContains?: string | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  includeArchived: boolean;
}

export type VoiceSort = "NEWEST" | "OLDEST" | "NAME_ASC" | "NAME_DESC" | "RELEVANCE";

/**
 * How each column sort orders and resumes: its columns (the keyset, ending in
 * the unique id) and its direction. RELEVANCE resumes by tier
 * (relevanceStatement).
 */
const ORDERS: Record<Exclude<VoiceSort, "RELEVANCE">, { keyset: string[]; types: string[]; descending: boolean }> = {
  NEWEST: { keyset: ["created_at", "id"], types: ["timestamptz", "uuid"], descending: true },
  OLDEST: { keyset: ["created_at", "id"], types: ["timestamptz", "uuid"], descending: false },
  NAME_ASC: { keyset: ["sort_name", "id"], types: ["text", "uuid"], descending: false },
  NAME_DESC: { keyset: ["sort_name", "id"], types: ["text", "uuid"], descending: true },
};

/** A voice's columns under VoiceRecord's names (also what voice-curation-service.ts returns from its UPDATE). */
export const VOICE_COLUMNS = `id, voice_id AS "voiceId", name, description, gender, age, languages, dialects, type,
  sample_url AS "sampleUrl", avatar_url AS "avatarUrl", stability, model, tags, created_at AS "createdAt",
  updated_at AS "updatedAt", archived_at AS "archivedAt", sort_name AS "sortName"`;

/** Makes a value literal inside an ILIKE pattern (backslash is PostgreSQL's default escape). */
export const escapeLike = (value: string): string => value.replace(/[\\%_]/g, "\\$&");

/** The keys a voice must have: `t:` keys for tags, and one per other dimension except `omit`. */
function requiredKeys(query: CatalogQuery, omit?: FacetDimension, withTags = true): string[] {
  const keys = Object.entries(query.keys)
    .filter(([dimension]) => dimension !== omit)
    .map(([dimension, value]) => `${dimension}:${value}`);
  if (withTags && omit !== "t") keys.push(...query.tags.map((tag) => `t:${tag}`));
  return keys;
}

/** Collects a statement's parameters, numbered in the order they are added. */
class Parameters {
  readonly values: unknown[] = [];
  add(value: unknown, cast = ""): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

/** The search's text as both sides store it: folded by the same SQL function. */
const folded = (parameter: string) => `catalog_fold(${parameter})`;

/** WHERE conditions, and the parameters of the search's words (for RELEVANCE). */
type Conditions = string[] & {
  words?: Array<{ parameter: string; fuzzy: boolean }>;
  /** The conditions other than the search's, for RELEVANCE's exact tiers. */
  beside?: string[];
};

/** A search's words, split at whitespace (which folding never changes); CatalogService bounds how many. */
export const searchWords = (search: string): string[] => search.split(/\s+/).filter(Boolean);

/** Whether a word is long enough (letters, not marks or tatweel, counted) to be matched by spelling too. */
const isFuzzyWord = (word: string): boolean => Array.from(word.replace(/[\u064B-\u065F\u0670\u0640]/gu, "")).length >= 4;

/**
 * The WHERE conditions of a filter over `voices`, leaving out the filter on
 * `omit` (for its facet), or on the combinations' values (`byCombination`,
 * the rare path of listVoicesStatement).
 */
function conditionsFor(
  query: CatalogQuery,
  parameters: Parameters,
  omit?: FacetDimension,
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
  const keys = byCombination ? [] : requiredKeys(query, omit);
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
  if (query.search) {
    // Last, so that everything before it is what RELEVANCE's exact tiers keep (`beside`).
    sql.beside = [...sql];
    // Every word must be found: as a substring of the folded text, or (words of four letters or
    // more) as a word close enough in spelling: pg_trgm's word similarity against
    // pg_trgm.word_similarity_threshold, set per read connection. Shorter words match exactly
    // only, since a trigram or two in common says little about them.
    sql.words = searchWords(query.search).map((word) => ({
      parameter: parameters.add(word, "::text"),
      fuzzy: isFuzzyWord(word),
    }));
    for (const { parameter, fuzzy } of sql.words) {
      const exact = `search_text LIKE catalog_contains_pattern(${folded(parameter)})`;
      sql.push(fuzzy ? `(${exact} OR ${folded(parameter)} <% search_text)` : exact);
    }
  }
  return sql;
}

const whereClause = (conditions: string[]) => (conditions.length ? `WHERE ${conditions.join(" AND ")}` : "");

/**
 * RELEVANCE in three tiers, each a branch of one UNION ALL: voices whose name
 * contains every word (relevance 2), then those whose text contains every
 * word (1), then those found only by close spellings (0); newest first within
 * each. Each branch is ordered and limited on its own, so PostgreSQL's Append
 * runs them in turn and stops as soon as the page is full, and each branch is
 * planned like any NEWEST page: a common name walks the date index, a rare
 * one reads the trigram index. (catalog-plans.test.ts checks that the plan is
 * such an Append.) The tier is the cursor's relevance.
 */
function relevanceStatement(conditions: Conditions, parameters: Parameters, after: unknown[] | undefined, limit: number): string {
  const words = conditions.words;
  if (!words?.length) throw new Error("RELEVANCE needs a search (checked by CatalogService)");
  const every = (column: string) =>
    words.map(({ parameter }) => `${column} LIKE catalog_contains_pattern(${folded(parameter)})`).join(" AND ");
  const [relevance, createdAt, id] = (after ?? []) as [number | undefined, string | undefined, string | undefined];
  const resume = after
    ? `(created_at, id) < (${parameters.add(createdAt, "::timestamptz")}, ${parameters.add(id, "::uuid")})`
    : "";
  const limitParameter = parameters.add(limit);
  // The exact tiers need every word as a substring, so they leave out the close-spelling
  // alternative: a misspelled search then finds them empty through the trigram index at once,
  // instead of fetching every close spelling only to find that none contains the words.
  const beside = conditions.beside ?? [];
  const tiers = [
    { tier: 2, where: [...beside, every("search_text"), every("sort_name")] },
    { tier: 1, where: [...beside, every("search_text"), `NOT (${every("sort_name")})`] },
    { tier: 0, where: [...conditions, `NOT (${every("search_text")})`] },
  ];
  const branches = tiers
    // Past a tier: nothing of it. In it: after the cursor. Before it (or no cursor): all of it.
    .filter(({ tier }) => relevance === undefined || tier <= relevance)
    .map(({ tier, where }) => {
      const keyset = relevance === tier ? [resume] : [];
      return `(SELECT ${VOICE_COLUMNS}, ${tier}::float8 AS relevance FROM voices ${whereClause([...where, ...keyset])}
        ORDER BY created_at DESC, id DESC LIMIT ${limitParameter})`;
    });
  return `SELECT * FROM (${branches.join("\nUNION ALL\n")}) AS ranked LIMIT ${limitParameter}`;
}

/** Whether a filter has exact-match values other than tags: the ones the facet rollup's combinations hold. */
export const hasCombinationKeys = (query: CatalogQuery): boolean => Object.keys(query.keys).length > 0;

/**
 * How many voices the filter's exact-match values (tags aside) select, and
 * how many voices there are, from the rollup: what decides whether a page
 * takes the rare path (CatalogService.isRare).
 */
export function combinationShareStatement(query: CatalogQuery): Statement {
  const parameters = new Parameters();
  const keys = parameters.add(requiredKeys(query, undefined, false), "::text[]");
  return statement(
    `SELECT coalesce(sum(voices) FILTER (WHERE keys @> ${keys}), 0)::int AS matching, coalesce(sum(voices), 0)::int AS total
      FROM voice_facet_combos WHERE voices > 0${archivedCondition(query)}`,
    parameters,
  );
}

/**
 * A page in `sort` order, after the keyset values of the last row seen if
 * any; `limit` is the page size plus one (to tell whether more exist).
 *
 * `rare` (decided by CatalogService.isRare, only for a filter with
 * combination values and no search) takes the rare path: the rollup names
 * the combinations that match, their voices are fetched through the index on
 * facet_combo, then ordered. Otherwise the planner chooses, which for a broad
 * filter means walking the sort's index.
 */
export function listVoicesStatement(
  query: CatalogQuery,
  sort: VoiceSort,
  after: unknown[] | undefined,
  limit: number,
  { rare = false }: { rare?: boolean } = {},
): Statement {
  const parameters = new Parameters();
  if (sort === "RELEVANCE")
    return statement(relevanceStatement(conditionsFor(query, parameters), parameters, after, limit), parameters);
  let combos = "";
  if (rare) {
    const keys = parameters.add(requiredKeys(query, undefined, false), "::text[]");
    combos = `WITH combos AS MATERIALIZED (
      SELECT DISTINCT catalog_combo_text(keys) AS combo FROM voice_facet_combos
      WHERE keys @> ${keys} AND voices > 0${archivedCondition(query)}
    ) `;
  }
  const conditions = conditionsFor(query, parameters, undefined, { byCombination: rare });
  const order = ORDERS[sort];
  const direction = order.descending ? "DESC" : "ASC";
  const orderBy = order.keyset.map((column) => `${column} ${direction}`).join(", ");
  // A row comparison: the keyset condition an index on the same columns walks from.
  const keyset = after
    ? [
        `(${order.keyset.join(", ")}) ${order.descending ? "<" : ">"} (${after
          .map((value, index) => parameters.add(value, `::${order.types[index] ?? "text"}`))
          .join(", ")})`,
      ]
    : [];
  if (!rare) {
    const text = `SELECT ${VOICE_COLUMNS} FROM voices ${whereClause([...conditions, ...keyset])} ORDER BY ${orderBy} LIMIT ${parameters.add(limit)}`;
    return statement(text, parameters);
  }
  // The matches' sort keys come from the index on facet_combo alone (it includes them, an
  // index-only scan), materialized so that the planner cannot walk the sort's index instead;
  // they are resumed and ordered there, and only the page's rows are read from the table.
  const matches = `SELECT id, created_at, sort_name FROM voices ${whereClause(conditions)}`;
  const pageIds = `SELECT id FROM matches ${whereClause(keyset)} ORDER BY ${orderBy} LIMIT ${parameters.add(limit)}`;
  const text = `${combos}, matches AS MATERIALIZED (${matches})
    SELECT ${VOICE_COLUMNS} FROM voices WHERE id IN (${pageIds}) ORDER BY ${orderBy}`;
  return statement(text, parameters);
}

/**
 * Whether the facet rollups can answer for `dimension` (or the total, when
 * undefined): only the exact-match dimensions are in them, and the tag
 * rollup holds one tag per row, so a filter on two tags needs the voices.
 */
export function rollupAnswers(query: CatalogQuery, dimension?: FacetDimension): boolean {
  if (query.search || query.nameContains || query.createdAfter || query.createdBefore) return false;
  return dimension === "t" || query.tags.length <= 1;
}

const archivedCondition = (query: CatalogQuery) => (query.includeArchived ? "" : " AND NOT archived");

/** The exact count from the rollups (only when rollupAnswers(query)). */
export function rollupCountStatement(query: CatalogQuery): Statement {
  const parameters = new Parameters();
  const keys = parameters.add(requiredKeys(query, undefined, false), "::text[]");
  const [tag] = query.tags;
  const source =
    tag === undefined
      ? `voice_facet_combos WHERE keys @> ${keys}`
      : `voice_tag_combos WHERE tag = ${parameters.add(tag)} AND keys @> ${keys}`;
  return statement(
    `SELECT coalesce(sum(voices), 0)::int AS count FROM ${source} AND voices > 0${archivedCondition(query)}`,
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
    return `WHEN '${dimension}' THEN ${keys.length ? `${column} @> ${parameters.add(keys, "::text[]")}` : "true"}`;
  });
  return `CASE left(key, 1) ${branches.join(" ")} ELSE false END`;
}

/**
 * Counts from the rollups, in one pass over each: the untagged dimensions
 * over the combinations (of the voices with the filter's tag, when it has
 * one), the tags over the tag rollup.
 */
function facetsFromRollups(query: CatalogQuery, dimensions: FacetDimension[], parameters: Parameters): string[] {
  const live = `voices > 0${archivedCondition(query)}`;
  const parts: string[] = [];
  const untagged = dimensions.filter((dimension) => dimension !== "t");
  if (untagged.length) {
    const [tag] = query.tags;
    const source = tag === undefined ? "voice_facet_combos WHERE" : `voice_tag_combos WHERE tag = ${parameters.add(tag)} AND`;
    const wanted = perDimension(untagged, "keys", (dimension) => requiredKeys(query, dimension, false), parameters);
    parts.push(`SELECT key, sum(voices)::int AS count FROM (SELECT keys, voices FROM ${source} ${live}) AS combos
      CROSS JOIN LATERAL unnest(keys) AS key WHERE ${wanted} GROUP BY key`);
  }
  if (dimensions.includes("t")) {
    const keys = requiredKeys(query, "t", false);
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
    tags: dimensions.includes("t") ? [] : query.tags,
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

/** The voices of a list of `voiceId`s, in any order (one statement whatever the count). */
export function voicesByVoiceIdsStatement(voiceIds: readonly string[]): Statement {
  const parameters = new Parameters();
  return statement(
    `SELECT ${VOICE_COLUMNS} FROM voices WHERE voice_id = ANY(${parameters.add(voiceIds, "::text[]")})`,
    parameters,
  );
}

export function voiceByStatement(column: "id" | "voice_id", value: string): Statement {
  const parameters = new Parameters();
  return statement(
    `SELECT ${VOICE_COLUMNS} FROM voices WHERE ${column} = ${parameters.add(value, column === "id" ? "::uuid" : "")}`,
    parameters,
  );
}
