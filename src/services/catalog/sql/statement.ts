// What every catalog read is made of: a named statement, its numbered
// parameters, and the voice columns under the names VoiceRecord uses.
// Prisma stays the home of the schema and of writes; reads are what internal
// tools do all day, and through Prisma each one paid for its query compiler
// and result mapping (a fifth of the gateway's CPU per read in the profile,
// BENCHMARKS.md). Each statement is named after its text, so PostgreSQL
// parses it once per connection, and selects the columns under the names
// VoiceRecord uses, so rows need no mapping. What the columns, tables and
// functions used here are: migration 20261129000000_catalog_curation_search_facets.
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
export function statement(text: string, parameters: Parameters): Statement {
  return {
    name: `catalog-${createHash("sha256").update(text).digest("base64url").slice(0, 22)}`,
    text,
    values: parameters.values,
  };
}

/** Collects a statement's parameters, numbered in the order they are added. */
export class Parameters {
  readonly values: unknown[] = [];
  add(value: unknown, cast = ""): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

/** A voice's columns under VoiceRecord's names (also what voice-curation-service.ts returns from its UPDATE). */
export const VOICE_COLUMNS = `id, voice_id AS "voiceId", name, description, gender, age, languages, dialects, type,
  sample_url AS "sampleUrl", avatar_url AS "avatarUrl", stability, model, tags, created_at AS "createdAt",
  updated_at AS "updatedAt", archived_at AS "archivedAt", sort_name AS "sortName"`;

/**
 * Which of a voice's columns a read selects. A brief read (what list views show) leaves out the
 * long texts, the tags and the record's timestamps, which are most of what node-postgres parses
 * per row (two dates, a text array); they come back NULL. The GraphQL layer asks for it only when
 * the operation reads none of them (src/resolvers/voice-selection.ts). Two shapes, not one per
 * selection, so a client cannot make each connection prepare a statement per field combination.
 */
export type VoiceColumns = "all" | "brief";

/** The VoiceRecord fields a brief read fills; the rest are NULL. */
export const BRIEF_VOICE_FIELDS: ReadonlySet<string> = new Set([
  "id",
  "voiceId",
  "name",
  "gender",
  "age",
  "languages",
  "dialects",
  "type",
  "stability",
  "model",
  "createdAt",
  "sortName",
]);

const BRIEF_VOICE_COLUMNS = `id, voice_id AS "voiceId", name, NULL::text AS description, gender, age, languages, dialects, type,
  NULL::text AS "sampleUrl", NULL::text AS "avatarUrl", stability, model, NULL::text[] AS tags, created_at AS "createdAt",
  NULL::timestamptz AS "updatedAt", NULL::timestamptz AS "archivedAt", sort_name AS "sortName"`;

export const voiceColumns = (columns: VoiceColumns): string => (columns === "brief" ? BRIEF_VOICE_COLUMNS : VOICE_COLUMNS);

export const whereClause = (conditions: string[]) => (conditions.length ? `WHERE ${conditions.join(" AND ")}` : "");
