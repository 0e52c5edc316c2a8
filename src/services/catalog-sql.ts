// The catalog's reads as single SQL statements. Prisma stays the home of the
// schema and of writes; reads are what internal tools do all day, and through
// Prisma each one paid for its query compiler and result mapping (a fifth of
// the gateway's CPU per read in the profile, BENCHMARKS.md). Each statement
// here is named, so PostgreSQL plans it once per connection, and selects the
// columns under the names VoiceRecord uses, so rows need no mapping.
import type { VoiceFilter } from "./catalog-service.js";

export interface Statement {
  /** Prepared-statement name: one per distinct text (the filter's shape), planned once per connection. */
  name: string;
  text: string;
  values: unknown[];
}

const COLUMNS = `id, voice_id AS "voiceId", name, description, gender, age, languages, dialects, type,
  sample_url AS "sampleUrl", avatar_url AS "avatarUrl", stability, model, created_at AS "createdAt"`;

/** Makes a value literal inside an ILIKE pattern (backslash is PostgreSQL's default escape). */
export const escapeLike = (value: string): string => value.replace(/[\\%_]/g, "\\$&");

/** Codes are stored lower-cased (normaliseVoice), so filters lower-case too. */
export const normalise = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim().toLowerCase();
  return trimmed ? trimmed : undefined;
};

/** The WHERE conditions of a filter; their values are appended to `values` and numbered after those already there. */
function conditionsFor(filter: VoiceFilter | null | undefined, values: unknown[]): { sql: string[]; shape: string } {
  const sql: string[] = [];
  const shape: string[] = [];
  const add = (key: string, condition: (parameter: string) => string, value: unknown) => {
    values.push(value);
    sql.push(condition(`$${values.length}`));
    shape.push(key);
  };
  if (!filter) return { sql, shape: "" };
  const language = normalise(filter.language);
  const dialect = normalise(filter.dialect);
  const gender = normalise(filter.gender);
  const age = normalise(filter.age);
  const model = filter.model?.trim();
  const nameContains = filter.nameContains?.trim();
  // `@>` on a one-element array is what the GIN indexes on languages and dialects serve.
  if (language) add("l", (p) => `languages @> ARRAY[${p}::text]`, language);
  if (dialect) add("d", (p) => `dialects @> ARRAY[${p}::text]`, dialect);
  if (gender) add("g", (p) => `gender = ${p}`, gender);
  if (age) add("a", (p) => `age = ${p}`, age);
  if (model) add("m", (p) => `model ILIKE ${p}`, escapeLike(model));
  if (nameContains) add("n", (p) => `name ILIKE '%' || ${p} || '%'`, escapeLike(nameContains));
  if (filter.createdAfter) add("ca", (p) => `created_at >= ${p}`, filter.createdAfter);
  if (filter.createdBefore) add("cb", (p) => `created_at < ${p}`, filter.createdBefore);
  return { sql, shape: shape.join("") };
}

const whereClause = (conditions: string[]) => (conditions.length ? `WHERE ${conditions.join(" AND ")}` : "");

/** A page, newest first, after the cursor if any; `limit` is the page size plus one (to tell whether more exist). */
export function listVoicesStatement(
  filter: VoiceFilter | null | undefined,
  after: { createdAt: Date; id: string } | undefined,
  limit: number,
): Statement {
  const values: unknown[] = [];
  const { sql, shape } = conditionsFor(filter, values);
  if (after) {
    values.push(after.createdAt, after.id);
    // A row comparison: the keyset condition the (created_at DESC, id DESC) index walks from.
    sql.push(`(created_at, id) < ($${values.length - 1}, $${values.length}::uuid)`);
  }
  values.push(limit);
  return {
    name: `catalog-list-${shape}${after ? "-after" : ""}`,
    text: `SELECT ${COLUMNS} FROM voices ${whereClause(sql)} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
    values,
  };
}

export function countVoicesStatement(filter: VoiceFilter | null | undefined): Statement {
  const values: unknown[] = [];
  const { sql, shape } = conditionsFor(filter, values);
  return { name: `catalog-count-${shape}`, text: `SELECT count(*)::int AS count FROM voices ${whereClause(sql)}`, values };
}

/** The voices of a list of `voiceId`s, in any order (one statement whatever the count). */
export function voicesByVoiceIdsStatement(voiceIds: readonly string[]): Statement {
  return {
    name: "catalog-voices-by-voice-ids",
    text: `SELECT ${COLUMNS} FROM voices WHERE voice_id = ANY($1::text[])`,
    values: [voiceIds],
  };
}

export function voiceByStatement(column: "id" | "voice_id", value: string): Statement {
  return {
    name: `catalog-voice-by-${column}`,
    text: `SELECT ${COLUMNS} FROM voices WHERE ${column} = $1${column === "id" ? "::uuid" : ""}`,
    values: [value],
  };
}
