// The mapping of database failures: what counts as "unreachable" (and so
// DATABASE_UNAVAILABLE, retried later) versus a real query error; and the
// README documenting exactly the codes errors.ts defines.
import { describe, expect, it } from "vitest";
import { ERROR_CODES, GatewayError } from "../src/errors.js";
import { databaseUnavailable, isDatabaseUnavailable, mapDatabaseError } from "../src/db/database-errors.js";

describe("isDatabaseUnavailable", () => {
  it.each([
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
    [
      "an admin shutdown (57P01)",
      Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
    ],
    ["a server still starting (57P03)", Object.assign(new Error("the database system is starting up"), { code: "57P03" })],
    ["a server in recovery", new Error("the database system is in recovery mode")],
    ["a Prisma P1001", Object.assign(new Error("Can't reach database server"), { code: "P1001" })],
    [
      "a driver-adapter ConnectionClosed, wrapped",
      Object.assign(new Error("Server has closed the connection."), {
        meta: { driverAdapterError: { cause: { kind: "ConnectionClosed" } } },
      }),
    ],
    [
      "a driver-adapter error with a SQLSTATE",
      new Error("wrapped", { cause: { kind: "postgres", originalCode: "08006", originalMessage: "x" } }),
    ],
    ["our own DATABASE_UNAVAILABLE", databaseUnavailable()],
  ])("recognises %s", (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ["a missing table", Object.assign(new Error('relation "voices" does not exist'), { code: "42P01" })],
    ["a unique violation", Object.assign(new Error("duplicate key"), { code: "P2002" })],
    ["a bad input", new GatewayError("BAD_USER_INPUT", "nope", { field: "first" })],
  ])("does not take %s for an outage", (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it("maps outages to DATABASE_UNAVAILABLE and lets other errors through unchanged", () => {
    const outage = Object.assign(new Error("Connection terminated unexpectedly"), {});
    expect(() => mapDatabaseError(outage)).toThrow(expect.objectContaining({ code: "DATABASE_UNAVAILABLE" }));
    const bug = new Error('relation "voices" does not exist');
    expect(() => mapDatabaseError(bug)).toThrow(bug);
  });
});

describe("the README's error table", () => {
  it("lists exactly the codes of ERROR_CODES", async () => {
    const { readFile } = await import("node:fs/promises");
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## Errors"), readme.indexOf("\n## ", readme.indexOf("## Errors") + 1));
    const listed = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(listed.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});
