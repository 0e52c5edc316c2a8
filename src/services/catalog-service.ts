// The voice catalog: storing cloned voices and finding them again.
// Paging is keyset-based on (createdAt, id), newest first, so pages stay
// stable and cheap however deep a client goes (no OFFSET scans, no gaps or
// repeats when voices are added meanwhile).
import { z } from "zod";
import { badUserInput, guardDatabase } from "../errors.js";
import type { Database } from "../db/database.js";
import type { PrismaClient, Voice } from "../generated/prisma/client.js";
import {
  countVoicesStatement,
  listVoicesStatement,
  normalise,
  type Statement,
  voiceByStatement,
  voicesByVoiceIdsStatement,
} from "./catalog-sql.js";

export type VoiceRecord = Voice;

export const MAX_PAGE_SIZE = 100;

/**
 * Bounds on the text filters: a name search longer than any name, or a code
 * longer than any code, can only cost the database work (an ILIKE over every
 * row with a huge pattern) and is refused before any query runs.
 */
export const MAX_NAME_CONTAINS_LENGTH = 100;
export const MAX_FILTER_CODE_LENGTH = 64;
const CODE_FILTERS = ["language", "dialect", "gender", "age", "model"] as const;

/** Refuses a filter whose text fields exceed their bounds, naming the field. */
export function checkFilterBounds(filter: VoiceFilter | null | undefined): void {
  if (!filter) return;
  for (const field of CODE_FILTERS) {
    const value = filter[field];
    if (value != null && value.length > MAX_FILTER_CODE_LENGTH) {
      throw badUserInput(
        `filter.${field}`,
        `\`filter.${field}\` is at most ${MAX_FILTER_CODE_LENGTH} characters (got ${value.length}).`,
      );
    }
  }
  if (filter.nameContains != null && filter.nameContains.length > MAX_NAME_CONTAINS_LENGTH) {
    throw badUserInput(
      "filter.nameContains",
      `\`filter.nameContains\` is at most ${MAX_NAME_CONTAINS_LENGTH} characters (got ${filter.nameContains.length}).`,
    );
  }
}

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
  nameContains?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

export interface ListVoicesArgs {
  filter?: VoiceFilter | null;
  first?: number | null;
  after?: string | null;
}

export interface VoicePage {
  voices: VoiceRecord[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  cursorOf(voice: VoiceRecord): string;
  /** Counts every voice matching the filter; run only when a client asks. */
  countTotal(): Promise<number>;
}

/** What the catalog stores for a new voice (upstream's answer plus our request's model). */
export type NewVoice = Omit<VoiceRecord, "createdAt">;

type Cursor = { createdAt: Date; id: string };

const cursorSchema = z.object({ c: z.iso.datetime(), i: z.uuid() });

export function encodeCursor(voice: Pick<VoiceRecord, "createdAt" | "id">): string {
  return Buffer.from(JSON.stringify({ c: voice.createdAt.toISOString(), i: voice.id })).toString("base64url");
}

export function decodeCursor(cursor: string): Cursor {
  try {
    const parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return { createdAt: new Date(parsed.c), id: parsed.i };
  } catch {
    throw badUserInput("after", "`after` is not a cursor returned by this API. Use `pageInfo.endCursor` from a previous page.");
  }
}

export function normaliseCodes(values: readonly string[] | null | undefined): string[] {
  const seen = new Set<string>();
  for (const value of values ?? []) {
    const code = normalise(value);
    if (code) seen.add(code);
  }
  return [...seen];
}

export function normaliseVoice(voice: NewVoice): NewVoice {
  return {
    ...voice,
    gender: normalise(voice.gender) ?? null,
    age: normalise(voice.age) ?? null,
    languages: normaliseCodes(voice.languages),
    dialects: normaliseCodes(voice.dialects),
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

export class CatalogService {
  /** Reads run as single named SQL statements (catalog-sql.ts); voices are written with voiceUpsert (Prisma). */
  constructor(private readonly db: Pick<Database, "query">) {}

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
    const rows = await guardDatabase(() => this.db.query<VoiceRecord>(voicesByVoiceIdsStatement(voiceIds)));
    const byVoiceId = new Map(rows.map((row) => [row.voiceId, row]));
    return voiceIds.map((voiceId) => byVoiceId.get(voiceId) ?? null);
  }

  async listVoices(args: ListVoicesArgs): Promise<VoicePage> {
    const first = parsePageSize(args.first);
    checkFilterBounds(args.filter);
    const after = args.after ? decodeCursor(args.after) : undefined;
    // One extra row tells whether another page exists.
    const rows = await guardDatabase(() => this.db.query<VoiceRecord>(listVoicesStatement(args.filter, after, first + 1)));
    return {
      voices: rows.slice(0, first),
      hasNextPage: rows.length > first,
      hasPreviousPage: after !== undefined,
      cursorOf: encodeCursor,
      countTotal: () => this.countVoices(args.filter),
    };
  }

  /** Counts the voices a page's filter matches; that filter's bounds were checked when the page was listed. */
  async countVoices(filter?: VoiceFilter | null): Promise<number> {
    const [row] = await guardDatabase(() => this.db.query<{ count: number }>(countVoicesStatement(filter)));
    return row?.count ?? 0;
  }

  private async first(statement: Statement): Promise<VoiceRecord | null> {
    const [row] = await guardDatabase(() => this.db.query<VoiceRecord>(statement));
    return row ?? null;
  }
}
