// The voice catalog: storing cloned voices and finding them again.
// Every sort pages by keyset (the sort's columns, then the id), so pages stay
// stable and cheap however deep a client goes (no OFFSET scans, no gaps or
// repeats when voices are added meanwhile). A cursor names its sort and a
// fingerprint of its filter, so it can only resume the listing it came from.
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import { badUserInput, guardDatabase } from "../../errors.js";
import type { Database } from "../../db/database.js";
import type { PrismaClient, Voice } from "../../generated/prisma/client.js";
import {
  type CatalogQuery,
  cappedCountStatement,
  combinationShareStatement,
  estimateCountStatement,
  FACET_DIMENSIONS,
  type FacetDimension,
  facetsStatement,
  hasCombinationKeys,
  listVoicesStatement,
  rollupAnswers,
  rollupCountStatement,
  type Statement,
  voiceByStatement,
  type VoiceSort,
  searchWords,
  voicesByVoiceIdsStatement,
} from "./catalog-sql.js";
import { normalise, normaliseCodes, parseFilterTags } from "./voice-metadata.js";
import { instantProblem, textProblem } from "../storable-values.js";

/** A stored voice, with the folded name NAME_* sorts resume from (and, for RELEVANCE, its score). */
export type VoiceRecord = Voice & { sortName?: string; relevance?: number };

export type { VoiceSort };

export const MAX_PAGE_SIZE = 100;
export const MAX_FACET_LIMIT = 100;

/**
 * Bounds on the text filters: a search longer than any name, or a code
 * longer than any code, can only cost the database work and is refused
 * before any query runs.
 */
export const MAX_SEARCH_LENGTH = 100;
/** The most words a search has: each is a condition. */
export const MAX_SEARCH_WORDS = 8;
export const MAX_FILTER_CODE_LENGTH = 64;
const CODE_FILTERS = ["language", "dialect", "gender", "age", "model"] as const;

/** `first` of any list: 1..MAX_PAGE_SIZE, default 20. */
export function parsePageSize(first: number | null | undefined): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badUserInput("first", `\`first\` must be between 1 and ${MAX_PAGE_SIZE} (got ${size}).`);
  }
  return size;
}

export interface VoiceFilter {
  language?: string | null;
  dialect?: string | null;
  gender?: string | null;
  age?: string | null;
  model?: string | null;
  tags?: readonly string[] | null;
  search?: string | null;
  nameContains?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  includeArchived?: boolean | null;
}

const KEY_OF: Record<(typeof CODE_FILTERS)[number], Exclude<FacetDimension, "t">> = {
  language: "l",
  dialect: "d",
  gender: "g",
  age: "a",
  model: "m",
};

/** Validates a filter (naming the offending field) and normalises it as the catalog stores values. */
export function parseFilter(filter: VoiceFilter | null | undefined): CatalogQuery {
  const query: CatalogQuery = { keys: {}, tags: [], includeArchived: filter?.includeArchived === true };
  if (!filter) return query;
  for (const field of CODE_FILTERS) {
    const value = filter[field];
    if (value != null && value.length > MAX_FILTER_CODE_LENGTH) {
      throw badUserInput(
        `filter.${field}`,
        `\`filter.${field}\` is at most ${MAX_FILTER_CODE_LENGTH} characters (got ${value.length}).`,
      );
    }
    const code = normalise(value);
    if (code) query.keys[KEY_OF[field]] = code;
  }
  for (const field of ["search", "nameContains"] as const) {
    const value = filter[field];
    if (value != null && value.length > MAX_SEARCH_LENGTH) {
      throw badUserInput(
        `filter.${field}`,
        `\`filter.${field}\` is at most ${MAX_SEARCH_LENGTH} characters (got ${value.length}).`,
      );
    }
    const trimmed = value?.trim();
    if (trimmed) query[field] = trimmed;
  }
  if (query.search && searchWords(query.search).length > MAX_SEARCH_WORDS) {
    throw badUserInput("filter.search", `\`filter.search\` has at most ${MAX_SEARCH_WORDS} words.`);
  }
  query.tags = parseFilterTags(filter.tags).sort();
  if (filter.createdAfter) query.createdAfter = filter.createdAfter;
  if (filter.createdBefore) query.createdBefore = filter.createdBefore;
  return query;
}

export interface ListVoicesArgs {
  filter?: VoiceFilter | null;
  sort?: VoiceSort | null;
  first?: number | null;
  after?: string | null;
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

export type VoiceFacets = Record<(typeof FACET_DIMENSIONS)[FacetDimension], FacetValue[]>;

/** What the catalog stores for a new voice (upstream's answer plus our request's model and tags). */
export type NewVoice = Omit<VoiceRecord, "createdAt" | "updatedAt" | "archivedAt" | "tags" | "sortName" | "relevance"> & {
  tags?: string[];
};

// ---------------------------------------------------------------------------
// Cursors: { s: sort, f: fingerprint of the filter, k: the keyset values }.

/** A cursor's instant: ISO, and one PostgreSQL can compare (a forged year 0 would fail in SQL). */
const cursorInstant = z.iso.datetime().refine((value) => !instantProblem(new Date(value)));
/** A cursor's name: text PostgreSQL can hold (a forged NUL would fail in SQL). */
const cursorText = z.string().refine((value) => !textProblem(value));

const cursorSchema = z.union([
  z.object({ s: z.enum(["NEWEST", "OLDEST", "NAME_ASC", "NAME_DESC", "RELEVANCE"]), f: z.string(), k: z.array(z.unknown()) }),
  // Cursors handed out before sorts existed: NEWEST, any filter.
  z.object({ c: cursorInstant, i: z.uuid() }),
]);

/** The keyset values' shapes per sort, checked before they reach SQL. */
const keysetSchemas: Record<VoiceSort, z.ZodType<unknown[]>> = {
  NEWEST: z.tuple([cursorInstant, z.uuid()]),
  OLDEST: z.tuple([cursorInstant, z.uuid()]),
  NAME_ASC: z.tuple([cursorText, z.uuid()]),
  NAME_DESC: z.tuple([cursorText, z.uuid()]),
  RELEVANCE: z.tuple([z.union([z.literal(0), z.literal(1), z.literal(2)]), cursorInstant, z.uuid()]),
};

/** A short hash of the normalised filter: equal for filters that select the same voices the same way. */
export function filterFingerprint(query: CatalogQuery): string {
  const canonical = JSON.stringify([
    Object.entries(query.keys).sort(([a], [b]) => a.localeCompare(b)),
    query.tags,
    query.search ?? null,
    query.nameContains ?? null,
    query.createdAfter?.toISOString() ?? null,
    query.createdBefore?.toISOString() ?? null,
    query.includeArchived,
  ]);
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 16);
}

function keysetOf(voice: VoiceRecord, sort: VoiceSort): unknown[] {
  const createdAt = voice.createdAt.toISOString();
  switch (sort) {
    case "NEWEST":
    case "OLDEST":
      return [createdAt, voice.id];
    case "NAME_ASC":
    case "NAME_DESC":
      return [voice.sortName ?? "", voice.id];
    case "RELEVANCE":
      return [voice.relevance ?? 0, createdAt, voice.id];
  }
}

export function encodeCursor(voice: VoiceRecord, sort: VoiceSort, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ s: sort, f: fingerprint, k: keysetOf(voice, sort) })).toString("base64url");
}

const NOT_A_CURSOR = "`after` is not a cursor returned by this API. Use `pageInfo.endCursor` from a previous page.";

/** The keyset values to resume after; refuses a cursor from another sort or filter. */
export function decodeCursor(cursor: string, sort: VoiceSort, fingerprint: string): unknown[] {
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw badUserInput("after", NOT_A_CURSOR);
  }
  if ("c" in parsed) {
    if (sort !== "NEWEST") throw crossSort("NEWEST", sort);
    return [parsed.c, parsed.i];
  }
  if (parsed.s !== sort) throw crossSort(parsed.s, sort);
  if (parsed.f !== fingerprint) {
    throw badUserInput(
      "after",
      "`after` is a cursor of a different filter: pass the same `filter` as the page it came from, or leave `after` out to start again.",
    );
  }
  const keyset = keysetSchemas[sort].safeParse(parsed.k);
  if (!keyset.success) throw badUserInput("after", NOT_A_CURSOR);
  return keyset.data;
}

const crossSort = (from: VoiceSort, to: VoiceSort) =>
  badUserInput(
    "after",
    `\`after\` is a cursor of \`sort: ${from}\`, not of \`sort: ${to}\`: page with the sort it came from, or leave \`after\` out to start again.`,
  );

// ---------------------------------------------------------------------------
// Writing

export function normaliseVoice(voice: NewVoice): NewVoice {
  return {
    ...voice,
    gender: normalise(voice.gender) ?? null,
    age: normalise(voice.age) ?? null,
    languages: normaliseCodes(voice.languages),
    dialects: normaliseCodes(voice.dialects),
    tags: voice.tags ?? [],
  };
}

/**
 * The one way a voice enters the catalog: normalised, and idempotent (storing
 * the same upstream record twice, as a retried insert or a re-imported
 * journal entry does, returns the stored row). A Prisma operation, so callers
 * can run it inside their own transaction.
 */
export function voiceUpsert(prisma: PrismaClient, voice: NewVoice) {
  const data = normaliseVoice(voice);
  return prisma.voice.upsert({ where: { id: data.id }, create: data, update: {} });
}

// ---------------------------------------------------------------------------
// Reading

/** How long a filter's rarity is trusted: it only picks a plan (both are exact), so a stale one costs time, never rows. */
const RARITY_TTL_MS = 30_000;

export class CatalogService {
  /** Whether a combination of exact-match values is rare, per values and archive scope (see isRare). */
  private readonly rarity = new LRUCache<string, Promise<boolean>>({ max: 10_000, ttl: RARITY_TTL_MS });

  /** Reads run as single named SQL statements (catalog-sql.ts); voices are written with voiceUpsert (Prisma). */
  constructor(
    private readonly db: Pick<Database, "query">,
    private readonly options: { exactCountLimit: number } = { exactCountLimit: 10_000 },
  ) {}

  async getVoice(by: { id?: string | null; voiceId?: string | null }): Promise<VoiceRecord | null> {
    const id = by.id ?? undefined;
    const voiceId = by.voiceId ?? undefined;
    if (id !== undefined && voiceId === undefined) {
      if (!z.uuid().safeParse(id).success) return null; // no such record can exist
      return this.first(voiceByStatement("id", id));
    }
    if (voiceId !== undefined && id === undefined) return this.first(voiceByStatement("voice_id", voiceId));
    throw badUserInput(id !== undefined ? "id" : "voiceId", "Pass exactly one of `id` or `voiceId`.");
  }

  /** Voices by Faseeh's `voiceId`, in the order asked, null where none is stored: one query for the lot. */
  async getVoicesByVoiceIds(voiceIds: readonly string[]): Promise<Array<VoiceRecord | null>> {
    const rows = await this.rows<VoiceRecord>(voicesByVoiceIdsStatement(voiceIds));
    const byVoiceId = new Map(rows.map((row) => [row.voiceId, row]));
    return voiceIds.map((voiceId) => byVoiceId.get(voiceId) ?? null);
  }

  async listVoices(args: ListVoicesArgs): Promise<VoicePage> {
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
    const rows = await this.rows<VoiceRecord>(listVoicesStatement(query, sort, after, first + 1, { rare }));
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

  /** Each dimension's values and counts under the filter's other dimensions, at most `limit` each. */
  async voiceFacets(filter: VoiceFilter | null | undefined, limit: number | null | undefined): Promise<VoiceFacets> {
    const perDimension = limit ?? 10;
    if (!Number.isInteger(perDimension) || perDimension < 1 || perDimension > MAX_FACET_LIMIT) {
      throw badUserInput("limit", `\`limit\` must be between 1 and ${MAX_FACET_LIMIT} (got ${perDimension}).`);
    }
    const rows = await this.rows<{ dimension: FacetDimension; value: string; count: number }>(
      facetsStatement(parseFilter(filter), perDimension),
    );
    const facets: VoiceFacets = { languages: [], dialects: [], genders: [], ages: [], models: [], tags: [] };
    for (const row of rows) facets[FACET_DIMENSIONS[row.dimension]].push({ value: row.value, count: row.count });
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
