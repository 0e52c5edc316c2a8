// A page of the catalog as one statement: the column sorts by keyset (the
// sort's columns, then the id), on the sort's index or, for a rare filter,
// through the rollup's combinations; RELEVANCE as three tiers of one
// UNION ALL.
import type { CatalogQuery, VoiceSort } from "../catalog-query.js";
import { type Conditions, conditionsFor, folded, requiredKeys, rollupArchiveCondition } from "./conditions.js";
import { Parameters, type Statement, statement, type VoiceColumns, voiceColumns, whereClause } from "./statement.js";

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
function relevanceStatement(
  conditions: Conditions,
  parameters: Parameters,
  after: unknown[] | undefined,
  limit: number,
  selected: string,
): string {
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
  const withoutSearch = conditions.withoutSearch ?? [];
  const tiers = [
    { tier: 2, where: [...withoutSearch, every("search_text"), every("sort_name")] },
    { tier: 1, where: [...withoutSearch, every("search_text"), `NOT (${every("sort_name")})`] },
    { tier: 0, where: [...conditions, `NOT (${every("search_text")})`] },
  ];
  const branches = tiers
    // Past a tier: nothing of it. In it: after the cursor. Before it (or no cursor): all of it.
    .filter(({ tier }) => relevance === undefined || tier <= relevance)
    .map(({ tier, where }) => {
      const keyset = relevance === tier ? [resume] : [];
      return `(SELECT ${selected}, ${tier}::float8 AS relevance FROM voices ${whereClause([...where, ...keyset])}
        ORDER BY created_at DESC, id DESC LIMIT ${limitParameter})`;
    });
  return `SELECT * FROM (${branches.join("\nUNION ALL\n")}) AS ranked LIMIT ${limitParameter}`;
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
  { rare = false, columns = "all" }: { rare?: boolean; columns?: VoiceColumns } = {},
): Statement {
  const parameters = new Parameters();
  const selected = voiceColumns(columns);
  if (sort === "RELEVANCE")
    return statement(relevanceStatement(conditionsFor(query, parameters), parameters, after, limit, selected), parameters);
  const combos = rare ? combinationsOf(query, parameters) : "";
  const conditions = conditionsFor(query, parameters, { byCombination: rare });
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
    const text = `SELECT ${selected} FROM voices ${whereClause([...conditions, ...keyset])} ORDER BY ${orderBy} LIMIT ${parameters.add(limit)}`;
    return statement(text, parameters);
  }
  // The matches' sort keys come from the index on facet_combo alone (it includes them, an
  // index-only scan), materialized so that the planner cannot walk the sort's index instead;
  // they are resumed and ordered there, and only the page's rows are read from the table.
  const matches = `SELECT id, created_at, sort_name FROM voices ${whereClause(conditions)}`;
  const pageIds = `SELECT id FROM matches ${whereClause(keyset)} ORDER BY ${orderBy} LIMIT ${parameters.add(limit)}`;
  const text = `${combos}, matches AS MATERIALIZED (${matches})
    SELECT ${selected} FROM voices WHERE id IN (${pageIds}) ORDER BY ${orderBy}`;
  return statement(text, parameters);
}

/** The rare path's first CTE: the live combinations the rollup says match the filter's exact-match values. */
function combinationsOf(query: CatalogQuery, parameters: Parameters): string {
  const keys = parameters.add(requiredKeys(query, undefined, { withTags: false }), "::text[]");
  return `WITH combos AS MATERIALIZED (
      SELECT DISTINCT catalog_combo_text(keys) AS combo FROM voice_facet_combos
      WHERE keys @> ${keys} AND voices > 0${rollupArchiveCondition(query)}
    ) `;
}
