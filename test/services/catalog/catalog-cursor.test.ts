// The catalog's paging cursors: what encodeCursor hands out and what
// decodeCursor accepts (only its own cursors; anything else is a
// BAD_USER_INPUT on `after`).
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors.js";
import { decodeCursor, encodeCursor, filterFingerprint } from "../../../src/services/catalog/catalog-cursor.js";
import type { VoiceRecord } from "../../../src/services/catalog/catalog-service.js";
import { parseFilter } from "../../../src/services/catalog/voice-filter.js";

const base64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");

const FINGERPRINT = filterFingerprint(parseFilter(undefined));
const voiceAt = (createdAt: Date, id: string) => ({ createdAt, id }) as VoiceRecord;
const newest = (voice: VoiceRecord) => encodeCursor(voice, "NEWEST", FINGERPRINT);

describe("encodeCursor / decodeCursor", () => {
  it("round-trips createdAt (to the millisecond) and id", () => {
    const id = randomUUID();
    const voice = voiceAt(new Date("2026-11-26T10:11:12.345Z"), id);
    expect(decodeCursor(newest(voice), "NEWEST", FINGERPRINT)).toEqual(["2026-11-26T10:11:12.345Z", id]);
  });

  it("hands out URL-safe base64 of a small JSON document naming its sort and filter", () => {
    const id = "3f1c2b7e-4d5a-4c3b-9a8f-0e1d2c3b4a59";
    const cursor = newest(voiceAt(new Date("2026-01-02T03:04:05.006Z"), id));
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))).toEqual({
      s: "NEWEST",
      f: FINGERPRINT,
      k: ["2026-01-02T03:04:05.006Z", id],
    });
  });

  it("gives distinct cursors to voices that share a createdAt", () => {
    const createdAt = new Date("2026-11-26T10:00:00.000Z");
    expect(newest(voiceAt(createdAt, randomUUID()))).not.toBe(newest(voiceAt(createdAt, randomUUID())));
  });

  it("still accepts a cursor handed out before sorts existed, for NEWEST only", () => {
    const id = randomUUID();
    const legacy = base64url(JSON.stringify({ c: "2026-11-26T10:00:00.000Z", i: id }));
    expect(decodeCursor(legacy, "NEWEST", FINGERPRINT)).toEqual(["2026-11-26T10:00:00.000Z", id]);
    expect(() => decodeCursor(legacy, "OLDEST", FINGERPRINT)).toThrow(/cursor of `sort: NEWEST`, not of `sort: OLDEST`/);
  });

  const id = randomUUID();
  it.each([
    ["an empty string", ""],
    ["random text", "not a cursor!"],
    ["base64 of text that is not JSON", base64url("hello")],
    ["JSON null", base64url("null")],
    ["a JSON array", base64url(JSON.stringify(["2026-11-26T10:00:00.000Z", id]))],
    ["JSON without the id", base64url(JSON.stringify({ c: "2026-11-26T10:00:00.000Z" }))],
    ["JSON without the date", base64url(JSON.stringify({ i: id }))],
    ["an id that is not a UUID", base64url(JSON.stringify({ c: "2026-11-26T10:00:00.000Z", i: "42" }))],
    ["a date that is not ISO 8601", base64url(JSON.stringify({ c: "26/11/2026", i: id }))],
    ["a date as a number", base64url(JSON.stringify({ c: 1_764_151_200_000, i: id }))],
    ["an impossible date", base64url(JSON.stringify({ c: "2026-13-45T10:00:00.000Z", i: id }))],
    ["a date with a UTC offset (never handed out)", base64url(JSON.stringify({ c: "2026-11-26T12:00:00.000+02:00", i: id }))],
    ["a keyset of the wrong shape", base64url(JSON.stringify({ s: "NEWEST", f: FINGERPRINT, k: [1, 2] }))],
    ["an unknown sort", base64url(JSON.stringify({ s: "RANDOM", f: FINGERPRINT, k: ["2026-11-26T10:00:00.000Z", id] }))],
    ["a truncated cursor", newest(voiceAt(new Date(), id)).slice(0, 20)],
  ])("refuses %s as BAD_USER_INPUT on `after`", (_name, cursor) => {
    let thrown: unknown;
    try {
      decodeCursor(cursor, "NEWEST", FINGERPRINT);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect(thrown).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "`after` is not a cursor returned by this API. Use `pageInfo.endCursor` from a previous page.",
      extensions: { code: "BAD_USER_INPUT", field: "after" },
    });
  });

  it("refuses a cursor of another sort or another filter, saying which", () => {
    const cursor = newest(voiceAt(new Date(), randomUUID()));
    expect(() => decodeCursor(cursor, "NAME_ASC", FINGERPRINT)).toThrow(
      "`after` is a cursor of `sort: NEWEST`, not of `sort: NAME_ASC`: page with the sort it came from, or leave `after` out to start again.",
    );
    const other = filterFingerprint(parseFilter({ language: "ar" }));
    expect(() => decodeCursor(cursor, "NEWEST", other)).toThrow(/cursor of a different filter/);
  });

  it("fingerprints filters by what they select, not how they were spelled", () => {
    expect(filterFingerprint(parseFilter({ language: " AR ", tags: ["Warm", "news"] }))).toBe(
      filterFingerprint(parseFilter({ language: "ar", tags: ["news", "warm"] })),
    );
    expect(filterFingerprint(parseFilter({ language: "ar" }))).not.toBe(filterFingerprint(parseFilter({ language: "en" })));
  });
});
