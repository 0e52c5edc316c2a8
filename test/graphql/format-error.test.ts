// How errors look to clients, without HTTP: what formatError keeps, improves and masks.
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors.js";
import { formatErrorFor } from "../../src/graphql/format-error.js";

const format = formatErrorFor({ introspection: false });

describe("formatErrorFor", () => {
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
});
