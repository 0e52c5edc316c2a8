// The HTTP status of Apollo's responses, decided from the first error's code
// (normalizeError), without HTTP: the plugin in a real ApolloServer
// (test/support/apollo-harness.ts), on errors raised where the gateway raises
// them: before the operation runs (a plugin refusing it, as the cost limit
// and the rule for text do) and while it runs (a resolver).
import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import type { GatewayContext } from "../../../src/context.js";
import { ApolloPluginHttpStatus } from "../../../src/graphql/plugins/http-status.js";
import { executeWithPlugins } from "../../support/apollo-harness.js";

/** Refuses the operation named `Refused` once resolved, before it runs, with the code in `$code`. */
const refusing: ApolloServerPlugin<GatewayContext> = {
  requestDidStart: () =>
    Promise.resolve({
      didResolveOperation: ({ operationName, request }) => {
        const code: unknown = request.variables?.code;
        if (operationName === "Refused" && typeof code === "string")
          return Promise.reject(new GraphQLError("refused", { extensions: { code } }));
        return Promise.resolve();
      },
    }),
};

async function statusFor(query: string, variables?: Record<string, unknown>): Promise<number | undefined> {
  const response = await executeWithPlugins({ plugins: [refusing, ApolloPluginHttpStatus()] }, { query, variables });
  return response.http.status;
}

const refusedWith = (code: string) => statusFor("query Refused($code: String!) { failing(code: $code) }", { code });
const failingWith = (code: string) => statusFor("query Failing($code: String!) { failing(code: $code) }", { code });

describe("ApolloPluginHttpStatus", () => {
  it("leaves a response without errors alone", async () => {
    expect(await statusFor("{ voices }")).toBeUndefined();
  });

  it.each([
    ["BAD_USER_INPUT", 400],
    ["GRAPHQL_VALIDATION_FAILED", 400],
    ["UNAUTHENTICATED", 401],
    ["FORBIDDEN", 403],
    ["PAYLOAD_TOO_LARGE", 413],
    ["DATABASE_UNAVAILABLE", 503],
    ["SOMETHING_ELSE", 500],
  ])("answers %s before the operation ran with %i", async (code, status) => {
    expect(await refusedWith(code)).toBe(status);
  });

  it.each([
    ["BAD_USER_INPUT", 200],
    ["UPSTREAM_OUTCOME_UNKNOWN", 200],
    ["RATE_LIMITED", 200],
    ["DATABASE_UNAVAILABLE", 200],
    ["FORBIDDEN", 403],
    ["PAYLOAD_TOO_LARGE", 413],
  ])("answers %s from an operation that ran with %i", async (code, status) => {
    expect(await failingWith(code)).toBe(status);
  });

  it("goes by the first error", async () => {
    // Fields resolve in document order, and so their errors are listed.
    expect(await statusFor('{ a: failing(code: "FORBIDDEN") b: failing(code: "BAD_USER_INPUT") }')).toBe(403);
    expect(await statusFor('{ a: failing(code: "BAD_USER_INPUT") b: failing(code: "FORBIDDEN") }')).toBe(200);
  });
});
