// The voice catalog: storing cloned voices and finding them again.
// Paging is keyset-based on (createdAt, id), newest first, so pages stay
// stable and cheap however deep a client goes (no OFFSET scans, no gaps or
// repeats when voices are added meanwhile).
import { z } from "zod";
import { badUserInput, guardDatabase } from "../errors.js";
import type { Prisma, PrismaClient, Voice } from "../generated/prisma/client.js";

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

/** Codes are stored lower-cased (see normaliseVoice), so filters lower-case too. */
const normalise = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim().toLowerCase();
  return trimmed ? trimmed : undefined;
};

/** Makes a value literal inside a LIKE/ILIKE pattern (backslash is PostgreSQL's default escape). */
const escapeLike = (value: string): string => value.replace(/[\\%_]/g, "\\$&");

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
  constructor(private readonly prisma: PrismaClient) {}

  async getVoice(by: { id?: string | null; voiceId?: string | null }): Promise<VoiceRecord | null> {
    const id = by.id ?? undefined;
    const voiceId = by.voiceId ?? undefined;
    if (id !== undefined && voiceId === undefined) {
      if (!z.uuid().safeParse(id).success) return null; // no such record can exist
      return guardDatabase(() => this.prisma.voice.findUnique({ where: { id } }));
    }
    if (voiceId !== undefined && id === undefined) {
      return guardDatabase(() => this.prisma.voice.findUnique({ where: { voiceId } }));
    }
    throw badUserInput(id !== undefined ? "id" : "voiceId", "Pass exactly one of `id` or `voiceId`.");
  }

  /** Voices by Faseeh's `voiceId`, in the order asked, null where none is stored: one query for the lot. */
  async getVoicesByVoiceIds(voiceIds: readonly string[]): Promise<Array<VoiceRecord | null>> {
    const rows = await guardDatabase(() => this.prisma.voice.findMany({ where: { voiceId: { in: [...voiceIds] } } }));
    const byVoiceId = new Map(rows.map((row) => [row.voiceId, row]));
    return voiceIds.map((voiceId) => byVoiceId.get(voiceId) ?? null);
  }

  async listVoices(args: ListVoicesArgs): Promise<VoicePage> {
    const first = parsePageSize(args.first);
    checkFilterBounds(args.filter);
    const after = args.after ? decodeCursor(args.after) : undefined;
    const where = this.whereFor(args.filter);
    const pageWhere: Prisma.VoiceWhereInput = after
      ? {
          AND: [
            where,
            {
              OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
            },
          ],
        }
      : where;
    const rows = await guardDatabase(() =>
      this.prisma.voice.findMany({
        where: pageWhere,
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: first + 1, // one extra row tells whether another page exists
      }),
    );
    return {
      voices: rows.slice(0, first),
      hasNextPage: rows.length > first,
      hasPreviousPage: after !== undefined,
      cursorOf: encodeCursor,
      countTotal: () => this.countVoices(args.filter),
    };
  }

  async countVoices(filter?: VoiceFilter | null): Promise<number> {
    checkFilterBounds(filter);
    return guardDatabase(() => this.prisma.voice.count({ where: this.whereFor(filter) }));
  }

  private whereFor(filter: VoiceFilter | null | undefined): Prisma.VoiceWhereInput {
    if (!filter) return {};
    const language = normalise(filter.language);
    const dialect = normalise(filter.dialect);
    const nameContains = filter.nameContains?.trim();
    const model = filter.model?.trim();
    const where: Prisma.VoiceWhereInput = {
      ...(language && { languages: { has: language } }),
      ...(dialect && { dialects: { has: dialect } }),
      ...(normalise(filter.gender) && { gender: normalise(filter.gender) }),
      ...(normalise(filter.age) && { age: normalise(filter.age) }),
      // Prisma compiles case-insensitive `equals` and `contains` to ILIKE with the
      // value unescaped: make % _ and \ literal, so `model` matches exactly.
      ...(model && { model: { equals: escapeLike(model), mode: "insensitive" as const } }),
      ...(nameContains && { name: { contains: escapeLike(nameContains), mode: "insensitive" as const } }),
    };
    if (filter.createdAfter || filter.createdBefore) {
      where.createdAt = {
        ...(filter.createdAfter && { gte: filter.createdAfter }),
        ...(filter.createdBefore && { lt: filter.createdBefore }),
      };
    }
    return where;
  }
}
