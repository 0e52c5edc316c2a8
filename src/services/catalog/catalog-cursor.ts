// The catalog's paging cursors: { s: sort, f: fingerprint of the filter, k:
// the keyset values }. A cursor names its sort and a fingerprint of its
// filter, so it can only resume the listing it came from; its values are
// checked against the sort's shapes before they reach SQL.
import { createHash } from "node:crypto";
import { z } from "zod";
import { badUserInput } from "../../errors.js";
import { instantProblem, STORED_UUID, textProblem } from "../storable-values.js";
import { type CatalogQuery, type CodeDimension, FACET_DIMENSIONS, type VoiceSort } from "./catalog-query.js";
import type { VoiceRecord } from "./catalog-service.js";

/** A cursor's instant: ISO, and one PostgreSQL can compare (a forged year 0 would fail in SQL). */
const cursorInstant = z.iso.datetime().refine((value) => !instantProblem(new Date(value)));
/** A cursor's name: text PostgreSQL can hold (a forged NUL would fail in SQL). */
const cursorText = z.string().refine((value) => !textProblem(value));

const cursorSchema = z.union([
  z.object({ s: z.enum(["NEWEST", "OLDEST", "NAME_ASC", "NAME_DESC", "RELEVANCE"]), f: z.string(), k: z.array(z.unknown()) }),
  // Cursors handed out before sorts existed: NEWEST, any filter.
  z.object({ c: cursorInstant, i: STORED_UUID }),
]);

/** The keyset values' shapes per sort, checked before they reach SQL. */
const keysetSchemas: Record<VoiceSort, z.ZodType<unknown[]>> = {
  NEWEST: z.tuple([cursorInstant, STORED_UUID]),
  OLDEST: z.tuple([cursorInstant, STORED_UUID]),
  NAME_ASC: z.tuple([cursorText, STORED_UUID]),
  NAME_DESC: z.tuple([cursorText, STORED_UUID]),
  RELEVANCE: z.tuple([z.union([z.literal(0), z.literal(1), z.literal(2)]), cursorInstant, STORED_UUID]),
};

/**
 * A short hash of the normalised filter: equal for filters that select the
 * same voices the same way. Dimensions are hashed by their keys' prefix, as
 * they were when the fingerprint was defined, so cursors already handed out
 * keep resuming.
 */
export function filterFingerprint(query: CatalogQuery): string {
  const canonical = JSON.stringify([
    Object.entries(query.keys)
      .map(([dimension, value]) => [FACET_DIMENSIONS[dimension as CodeDimension].prefix, value])
      .sort(([a = ""], [b = ""]) => a.localeCompare(b)),
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
