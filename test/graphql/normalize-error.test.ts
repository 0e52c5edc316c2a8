// The one error path, without HTTP: what a client sees of an error (what is
// kept, improved and masked), the HTTP status it asks for, and its log line.
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors.js";
import { normalizeError } from "../../src/graphql/normalize-error.js";

const format = (formatted: GraphQLFormattedError, error: unknown) =>
  normalizeError(error, { formatted, introspection: false }).formatted;

describe("normalizeError: what the client sees", () => {
  it("passes the gateway's own errors unchanged", () => {
    const error = new GatewayError("RATE_LIMITED", "slow down", { retryAfterSeconds: 3 });
    const formatted = { message: error.message, extensions: { ...error.extensions } };
    expect(format(formatted, error)).toBe(formatted);
  });

  it("names the variable path of a coercion error", () => {
    const message =
      'Variable "$input" got invalid value null at "input.voiceFile"; Expected non-nullable type "Upload!" not to be null.';
    expect(format({ message, extensions: { code: "BAD_USER_INPUT" } }, new GraphQLError(message))).toMatchObject({
      extensions: { code: "BAD_USER_INPUT", field: "input.voiceFile" },
    });
  });

  it("names the variable to set when introspection is refused", () => {
    const message = "GraphQL introspection is not allowed by Apollo Server, but the query contained __schema or __type.";
    expect(format({ message, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }, new GraphQLError(message)).message).toContain(
      "GRAPHQL_INTROSPECTION=true",
    );
  });

  it("masks anything unexpected", () => {
    expect(format({ message: "connection string postgres://u:p@h/db is wrong" }, new Error("boom"))).toEqual({
      message: "Internal server error.",
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
  });

  it("gives a masked error the request id once it is known, and leaves other errors alone", () => {
    expect(normalizeError(new Error("boom"), { requestId: "req-7" }).formatted).toEqual({
      message: "Internal server error (request id req-7).",
      extensions: { code: "INTERNAL_SERVER_ERROR", requestId: "req-7" },
    });
    const refusal = { message: "bad", extensions: { code: "BAD_USER_INPUT" } };
    expect(normalizeError(refusal, { formatted: refusal, requestId: "req-7" }).formatted).toBe(refusal);
  });
});

describe("normalizeError: the HTTP status", () => {
  it("is the code's own before the operation ran, 200 for a field error after, except codes about the request", () => {
    expect(normalizeError(new GatewayError("DATABASE_UNAVAILABLE", "down")).status).toBe(503);
    expect(normalizeError(new GatewayError("DATABASE_UNAVAILABLE", "down"), { executed: true }).status).toBe(200);
    expect(normalizeError(new GatewayError("FORBIDDEN", "no"), { executed: true }).status).toBe(403);
    expect(normalizeError(new Error("boom")).status).toBe(500);
  });
});

describe("normalizeError: the log line", () => {
  it("logs the gateway's own errors at info with their path, unexpected ones at error, Apollo's refusals not at all", () => {
    const field = new GraphQLError("slow down", {
      path: ["cloneVoice"],
      originalError: new GatewayError("RATE_LIMITED", "slow down"),
    });
    expect(normalizeError(field).log).toEqual({
      level: "info",
      fields: { code: "RATE_LIMITED", path: ["cloneVoice"] },
      message: "slow down",
    });
    const boom = new Error("boom");
    expect(normalizeError(boom).log).toEqual({ level: "error", fields: { err: boom }, message: "unexpected error" });
    expect(
      normalizeError(new GraphQLError("Syntax Error", { extensions: { code: "GRAPHQL_PARSE_FAILED" } })).log,
    ).toBeUndefined();
  });

  it("leaves a refusal while building the context to the access log, and logs nothing for an error normalized again", () => {
    expect(normalizeError(new GatewayError("UNAUTHENTICATED", "no key"), { stage: "context" }).log).toBeUndefined();
    const formatted = { message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } };
    expect(normalizeError(formatted, { formatted }).log).toBeUndefined();
  });
});
