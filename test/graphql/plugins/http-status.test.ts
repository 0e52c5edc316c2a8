// The HTTP status of Apollo's responses, decided from the first error's code
// (normalizeError), without HTTP: the plugin's hook on a response.
import type { GraphQLRequestContextWillSendResponse } from "@apollo/server";
import { describe, expect, it } from "vitest";
import type { GatewayContext } from "../../../src/context.js";
import { ApolloPluginHttpStatus } from "../../../src/graphql/plugins/http-status.js";

type Result = { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: unknown } }> };

async function statusFor(singleResult: Result): Promise<number | undefined> {
  const response = {
    body: { kind: "single" as const, singleResult },
    http: { status: undefined as number | undefined, headers: new Map() },
  };
  const listener = await ApolloPluginHttpStatus().requestDidStart?.({} as never);
  await listener?.willSendResponse?.({ response } as unknown as GraphQLRequestContextWillSendResponse<GatewayContext>);
  return response.http.status;
}

const failing = (code: string) => [{ message: "m", extensions: { code } }];

describe("ApolloPluginHttpStatus", () => {
  it("leaves a response without errors alone", async () => {
    expect(await statusFor({ data: { voices: null } })).toBeUndefined();
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
    expect(await statusFor({ errors: failing(code) })).toBe(status);
  });

  it.each([
    ["BAD_USER_INPUT", 200],
    ["UPSTREAM_OUTCOME_UNKNOWN", 200],
    ["RATE_LIMITED", 200],
    ["DATABASE_UNAVAILABLE", 200],
    ["FORBIDDEN", 403],
    ["PAYLOAD_TOO_LARGE", 413],
  ])("answers %s from an operation that ran with %i", async (code, status) => {
    expect(await statusFor({ data: null, errors: failing(code) })).toBe(status);
  });

  it("goes by the first error", async () => {
    expect(await statusFor({ errors: [...failing("UNAUTHENTICATED"), ...failing("BAD_USER_INPUT")] })).toBe(401);
  });
});
