// What PostgreSQL can store, and a field can mean, decided once for every
// input whatever its way in (a GraphQL literal or variable, a cursor, a date):
// - text without NUL (PostgreSQL's text cannot hold U+0000) and without
//   unpaired UTF-16 surrogates (not characters at all: the driver would
//   silently store U+FFFD in their place);
// - text no field could mean: longer than the longest any field accepts
//   (a preview's or clone's text, 5,000 characters), with room to spare;
// - instants in years 0001-9999 (PostgreSQL has no year 0, and no client
//   means one beyond 9999).
// A value outside these is the client's mistake, refused as BAD_USER_INPUT
// before any service runs (src/graphql/plugins/storable-input.ts), never a
// storage error after Faseeh was paid.

import { z } from "zod";

/** Longer than any field of the API accepts (the longest, a clone's or preview's text, is 5,000). */
export const MAX_TEXT_LENGTH = 10_000;

/** Why `text` cannot be stored, or undefined when it can. */
export function textProblem(text: string): string | undefined {
  if (text.length > MAX_TEXT_LENGTH) return `is longer than any field accepts (at most ${MAX_TEXT_LENGTH} characters)`;
  if (text.includes("\u0000")) return "holds a NUL character (U+0000), which cannot be stored";
  if (!text.isWellFormed()) return "holds an unpaired UTF-16 surrogate, which is not a character";
  return undefined;
}

/**
 * A catalog id as PostgreSQL's uuid type holds it: any 128 bits written
 * 8-4-4-4-12 in hex. Not z.uuid(), which also wants RFC 9562's version and
 * variant bits: a voice stored with other bits (imported, or the scale
 * bench's md5-derived ids) would have its own id and cursors refused.
 */
export const STORED_UUID = z.guid();

export const EARLIEST_INSTANT = new Date("0001-01-01T00:00:00.000Z");
export const LATEST_INSTANT = new Date("9999-12-31T23:59:59.999Z");

/** Why `date` cannot be stored or compared with stored instants, or undefined when it can. */
export function instantProblem(date: Date): string | undefined {
  const time = date.getTime();
  if (Number.isNaN(time)) return "is not a valid instant";
  if (time < EARLIEST_INSTANT.getTime() || time > LATEST_INSTANT.getTime()) {
    return "must be between 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z";
  }
  return undefined;
}
