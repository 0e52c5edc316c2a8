// The catalog's read service: a voice by its identity, pages of voices under
// a filter and sort, their total and the filter's facets, each read one
// named SQL statement (sql/) and an outage mapped to DATABASE_UNAVAILABLE.
// Every sort pages by keyset (the sort's columns, then the id), so pages stay
// stable and cheap however deep a client goes (no OFFSET scans, no gaps or
// repeats when voices are added meanwhile); cursors are catalog-cursor.ts's.
import { LRUCache } from "lru-cache";
import { z } from "zod";
import { STORED_UUID } from "../storable-values.js";
import { badUserInput } from "../../errors.js";
import { guardDatabase } from "../../db/database-errors.js";
import type { Database } from "../../db/database.js";
import type { Voice } from "../../generated/prisma/client.js";
import type { CatalogQuery, FacetField, VoiceSort } from "./catalog-query.js";
import { decodeCursor, encodeCursor, filterFingerprint } from "./catalog-cursor.js";
import { hasCombinationKeys, rollupAnswers } from "./sql/conditions.js";
import { cappedCountStatement, combinationShareStatement, estimateCountStatement, rollupCountStatement } from "./sql/counts.js";
import { FACET_FIELD_OF_PREFIX, type FacetRow, facetsStatement, SAMPLED } from "./sql/facets.js";
import { listVoicesStatement } from "./sql/list.js";
import { voiceByStatement, voicesByIdsOrVoiceIdsStatement, voicesByVoiceIdsStatement } from "./sql/lookups.js";
import type { Statement, VoiceColumns } from "./sql/statement.js";
import { parseFilter, type VoiceFilter } from "./voice-filter.js";
import type { VoiceReference } from "./voice-reference.js";

/** A stored voice, with the folded name NAME_* sorts resume from (and, for RELEVANCE, its score). */
export type VoiceRecord = Voice & { sortName?: string; relevance?: number };

export const MAX_PAGE_SIZE = 100;
export const MAX_FACET_LIMIT = 100;

/** `first` of any list: 1..MAX_PAGE_SIZE, default 20. */
export function parsePageSize(first: number | null | undefined): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badUserInput("first", `\`first\` must be between 1 and ${MAX_PAGE_SIZE} (got ${size}).`);
  }
  return size;
}

export interface ListVoicesArgs {
  filter?: VoiceFilter | null;
  sort?: VoiceSort | null;
  first?: number | null;
  after?: string | null;
}

/** How much of each voice a read returns: every column (the default), or the brief ones (sql/statement.ts). */
export interface VoiceReadOptions {
  columns?: VoiceColumns;
}

export interface VoiceTotal {
  count: number;
  isEstimate: boolean;
}

export interface VoicePage {
  voices: VoiceRecord[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  cursorOf(voice: VoiceRecord): string;
  /** Counts every voice matching the filter; run only when a client asks (and once per page). */
  total(): Promise<VoiceTotal>;
}

export interface FacetValue {
  value: string;
  count: number;
}

export type VoiceFacets = Record<FacetField, FacetValue[]> & {
  /** True when the counts are over a sample of the matching voices, not all of them (see voiceFacets). */
  isEstimate: boolean;
};

export interface CatalogOptions {
  /** totalCount past this many voices, when counted from the voices, is an estimate. */
  exactCountLimit: number;
  /** Facets under a search, name or dates are counted over at most this many matching voices. */
  facetSampleLimit: number;
}

/** How long a filter's rarity is trusted: it only picks a plan (both are exact), so a stale one costs time, never rows. */
const RARITY_TTL_MS = 30_000;

export class CatalogService {
  /** Whether a combination of exact-match values is rare, per values and archive scope (see isRare). */
  private readonly rarity = new LRUCache<string, Promise<boolean>>({ max: 10_000, ttl: RARITY_TTL_MS });

  /** Reads run as single named SQL statements (sql/); voices are written with voiceUpsert (voice-writes.ts, Prisma). */
  constructor(
    private readonly db: Pick<Database, "query">,
    private readonly options: CatalogOptions = { exactCountLimit: 10_000, facetSampleLimit: 500 },
  ) {}

  async getVoice(
    by: { id?: string | null; voiceId?: string | null },
    { columns }: VoiceReadOptions = {},
  ): Promise<VoiceRecord | null> {
    const id = by.id ?? undefined;
    const voiceId = by.voiceId ?? undefined;
    if (id !== undefined && voiceId === undefined) {
      if (!STORED_UUID.safeParse(id).success) return null; // no such record can exist
      return this.first(voiceByStatement("id", id, columns));
    }
    if (voiceId !== undefined && id === undefined) return this.first(voiceByStatement("voice_id", voiceId, columns));
    throw badUserInput(id !== undefined ? "id" : "voiceId", "Pass exactly one of `id` or `voiceId`.");
  }

  /** Voices by Faseeh's `voiceId`, in the order asked, null where none is stored: one query for the lot. */
  async getVoicesByVoiceIds(voiceIds: readonly string[]): Promise<Array<VoiceRecord | null>> {
    const rows = await this.rows<VoiceRecord>(voicesByVoiceIdsStatement(voiceIds));
    const byVoiceId = new Map(rows.map((row) => [row.voiceId, row]));
    return voiceIds.map((voiceId) => byVoiceId.get(voiceId) ?? null);
  }

  /** Voices by reference (`id` or `voiceId`), in the order asked, null where none is stored: one query for the lot. */
  async getVoicesByReferences(references: readonly VoiceReference[]): Promise<Array<VoiceRecord | null>> {
    // An id that is no UUID names no stored voice, and would fail the whole statement's cast.
    const ids = references.flatMap((reference) =>
      "id" in reference && STORED_UUID.safeParse(reference.id).success ? [reference.id] : [],
    );
    const voiceIds = references.flatMap((reference) => ("voiceId" in reference ? [reference.voiceId] : []));
    const rows = await this.rows<VoiceRecord>(voicesByIdsOrVoiceIdsStatement(ids, voiceIds));
    const byId = new Map(rows.map((row) => [row.id, row]));
    const byVoiceId = new Map(rows.map((row) => [row.voiceId, row]));
    // PostgreSQL answers ids in lower case, whatever case they were asked in.
    return references.map(
      (reference) => ("id" in reference ? byId.get(reference.id.toLowerCase()) : byVoiceId.get(reference.voiceId)) ?? null,
    );
  }

  async listVoices(args: ListVoicesArgs, { columns }: VoiceReadOptions = {}): Promise<VoicePage> {
    const first = parsePageSize(args.first);
    const query = parseFilter(args.filter);
    const sort = args.sort ?? "NEWEST";
    if (sort === "RELEVANCE" && !query.search) {
      throw badUserInput("sort", "`sort: RELEVANCE` ranks by `filter.search`: give a search, or another sort.");
    }
    // Hashed only when a cursor is read or handed out: a plain first page needs none.
    let fingerprint: string | undefined;
    const fingerprintOf = () => (fingerprint ??= filterFingerprint(query));
    const after = args.after ? decodeCursor(args.after, sort, fingerprintOf()) : undefined;
    const rare = await this.isRare(query, first + 1);
    // One extra row tells whether another page exists.
    const rows = await this.rows<VoiceRecord>(listVoicesStatement(query, sort, after, first + 1, { rare, columns }));
    let total: Promise<VoiceTotal> | undefined;
    return {
      voices: rows.slice(0, first),
      hasNextPage: rows.length > first,
      hasPreviousPage: after !== undefined,
      cursorOf: (voice) => encodeCursor(voice, sort, fingerprintOf()),
      // totalCount and totalCountIsEstimate share one count.
      total: () => (total ??= this.countVoices(query)),
    };
  }

  /**
   * Counts the voices a filter matches: exactly from the facet rollups when
   * they can answer, else exactly up to the configured limit and past it the
   * planner's estimate (never below the limit).
   */
  async countVoices(query: CatalogQuery): Promise<VoiceTotal> {
    if (rollupAnswers(query)) return { count: await this.count(rollupCountStatement(query)), isEstimate: false };
    const cap = this.options.exactCountLimit;
    const count = await this.count(cappedCountStatement(query, cap));
    if (count <= cap) return { count, isEstimate: false };
    const [plan] = await this.rows<{ "QUERY PLAN": unknown }>(estimateCountStatement(query));
    return { count: Math.max(cap + 1, planRows(plan?.["QUERY PLAN"])), isEstimate: true };
  }

  /**
   * Each dimension's values and counts under the filter's other dimensions,
   * at most `limit` each: exact under exact-match filters; under a search,
   * name or dates, counted over at most `facetSampleLimit` of the matching
   * voices (the first the database finds, no chosen order), and then
   * `isEstimate` when there were more.
   */
  async voiceFacets(filter: VoiceFilter | null | undefined, limit: number | null | undefined): Promise<VoiceFacets> {
    const perDimension = limit ?? 10;
    if (!Number.isInteger(perDimension) || perDimension < 1 || perDimension > MAX_FACET_LIMIT) {
      throw badUserInput("limit", `\`limit\` must be between 1 and ${MAX_FACET_LIMIT} (got ${perDimension}).`);
    }
    const bound = this.options.facetSampleLimit;
    const rows = await this.rows<FacetRow>(facetsStatement(parseFilter(filter), perDimension, bound));
    const facets: VoiceFacets = { languages: [], dialects: [], genders: [], ages: [], models: [], tags: [], isEstimate: false };
    for (const row of rows) {
      if (row.dimension === SAMPLED) facets.isEstimate = row.count > bound;
      else facets[FACET_FIELD_OF_PREFIX[row.dimension]].push({ value: row.value, count: row.count });
    }
    return facets;
  }

  /**
   * Whether a page under this filter should fetch its voices by combination
   * (the rare path of listVoicesStatement) rather than walk the sort's index.
   * Walking finds `limit` matches after about total x limit / matching rows;
   * the rare path reads each of the `matching` voices once. So a filter is
   * rare when matching <= sqrt(limit x total): at a million voices and a
   * page of 20, up to about 4,600 matches. Both counts come from the rollup,
   * asked once per filter every 30 s (the answer only picks a plan).
   */
  private async isRare(query: CatalogQuery, limit: number): Promise<boolean> {
    if (!hasCombinationKeys(query) || query.search) return false;
    const key = JSON.stringify([query.keys, query.includeArchived, limit]);
    let rare = this.rarity.get(key);
    if (!rare) {
      rare = this.rows<{ matching: number; total: number }>(combinationShareStatement(query)).then(([share]) =>
        share ? share.matching * share.matching <= limit * share.total : false,
      );
      // A failure is not remembered: the next page asks again.
      rare.catch(() => this.rarity.delete(key));
      this.rarity.set(key, rare);
    }
    return rare;
  }

  /** Every read goes through here: one statement, an outage mapped to DATABASE_UNAVAILABLE. */
  private rows<Row extends Record<string, unknown>>(statement: Statement): Promise<Row[]> {
    return guardDatabase(() => this.db.query<Row>(statement));
  }

  private async count(statement: Statement): Promise<number> {
    const [row] = await this.rows<{ count: number }>(statement);
    return row?.count ?? 0;
  }

  private async first(statement: Statement): Promise<VoiceRecord | null> {
    const [row] = await this.rows<VoiceRecord>(statement);
    return row ?? null;
  }
}

/** "Plan Rows" of an EXPLAIN (FORMAT JSON) result (pg parses the json column; PGlite too). */
function planRows(plan: unknown): number {
  const parsed: unknown = typeof plan === "string" ? JSON.parse(plan) : plan;
  const rows = z.array(z.object({ Plan: z.object({ "Plan Rows": z.number() }) })).safeParse(parsed);
  return rows.success ? Math.round(rows.data[0]?.Plan["Plan Rows"] ?? 0) : 0;
}
