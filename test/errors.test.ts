// The mapping of database failures: what counts as "unreachable" (and so
// DATABASE_UNAVAILABLE, retried later) versus a real query error.
import { describe, expect, it } from "vitest";
import { databaseUnavailable, GatewayError, isDatabaseUnavailable, mapDatabaseError } from "../src/errors.js";

describe("isDatabaseUnavailable", () => {
  it.each([
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
    ["an admin shutdown (57P01)", Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" })],
    ["a server still starting (57P03)", Object.assign(new Error("the database system is starting up"), { code: "57P03" })],
    ["a server in recovery", new Error("the database system is in recovery mode")],
    ["a Prisma P1001", Object.assign(new Error("Can't reach database server"), { code: "P1001" })],
    ["a driver-adapter ConnectionClosed, wrapped", Object.assign(new Error("Server has closed the connection."), { meta: { driverAdapterError: { cause: { kind: "ConnectionClosed" } } } })],
    ["a driver-adapter error with a SQLSTATE", new Error("wrapped", { cause: { kind: "postgres", originalCode: "08006", originalMessage: "x" } })],
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
