// Every upstream outcome, driven over real HTTP through the gateway: the
// client gets a typed error that says whether a voice may exist, nothing is
// stored, the attempt records the outcome, and the gateway keeps serving.
import { readdir } from "node:fs/promises";
import { cloneVoice } from "../support/clone.js";
import { type FakeBehaviour, startFakeFaseeh } from "../../dev/fake-faseeh.js";
import { describe, expect, test } from "../support/fixtures.js";
import { waitFor } from "../support/wait.js";

// Retry-After values above 1 s are handed to the client rather than waited out.
test.override("gatewayOptions", { env: { UPSTREAM_TIMEOUT_MS: "800", UPSTREAM_RETRY_MAX_WAIT_MS: "1000" } });

type Case = {
  name: string;
  behaviour: FakeBehaviour;
  code: string;
  /** FAILED: Faseeh certainly created nothing. UNKNOWN: it had the whole request and may have. */
  status: "FAILED" | "UNKNOWN";
  extensions?: Record<string, unknown>;
  message?: RegExp;
};

const refused = (status: number, extra: Partial<Extract<FakeBehaviour, { kind: "error" }>> = {}): FakeBehaviour => ({
  kind: "error",
  status,
  ...extra,
});

const cases: Case[] = [
  // Faseeh's documented refusals, with its JSON error body: proof that nothing was created.
  {
    name: "400 bad request",
    behaviour: refused(400, { errorCode: "40002", errorMessage: "Reference audio too short" }),
    code: "UPSTREAM_BAD_REQUEST",
    status: "FAILED",
    extensions: { upstreamStatus: 400, upstreamErrorCode: "40002", upstreamErrorMessage: "Reference audio too short" },
    message: /Reference audio too short/,
  },
  {
    name: "404 unknown model",
    behaviour: refused(404, { errorCode: "40401", errorMessage: "Model not found" }),
    code: "UPSTREAM_BAD_REQUEST",
    status: "FAILED",
    extensions: { upstreamStatus: 404, upstreamErrorCode: "40401" },
  },
  {
    name: "401 key refused",
    behaviour: refused(401, { errorCode: "40101", errorMessage: "Invalid API key" }),
    code: "UPSTREAM_UNAUTHORIZED",
    status: "FAILED",
    extensions: { upstreamErrorCode: "40101" },
    message: /FASEEH_API_KEY/,
  },
  {
    name: "402 wallet balance",
    behaviour: refused(402, { errorCode: "40201", errorMessage: "Insufficient wallet balance" }),
    code: "INSUFFICIENT_BALANCE",
    status: "FAILED",
    extensions: { upstreamErrorCode: "40201", upstreamErrorMessage: "Insufficient wallet balance" },
  },
  {
    name: "429 with Retry-After",
    behaviour: refused(429, { errorCode: "42901", headers: { "retry-after": "7" } }),
    code: "RATE_LIMITED",
    status: "FAILED",
    extensions: { retryAfterSeconds: 7 },
  },
  { name: "429 without Retry-After", behaviour: refused(429), code: "RATE_LIMITED", status: "FAILED" },
  // Anything else after the whole request: the voice may exist.
  {
    name: "403 (not a documented refusal)",
    behaviour: refused(403),
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
    extensions: { upstreamStatus: 403 },
  },
  {
    name: "422 (not a documented refusal)",
    behaviour: refused(422, { errorCode: "42201", errorMessage: "Unprocessable audio" }),
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
    extensions: { upstreamStatus: 422, upstreamErrorCode: "42201" },
  },
  {
    name: "500",
    behaviour: refused(500, { errorCode: "50001", errorMessage: "Internal error" }),
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
    extensions: { upstreamStatus: 500 },
    message: /Internal error/,
  },
  {
    name: "503",
    behaviour: refused(503),
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
    extensions: { upstreamStatus: 503 },
  },
  {
    name: "503 with Retry-After: 0 (never retried after the whole request)",
    behaviour: refused(503, { headers: { "retry-after": "0" } }),
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
  },
  {
    name: "an HTML 502 from a proxy",
    behaviour: { kind: "raw", status: 502, body: "<h1>Bad gateway</h1>", contentType: "text/html" },
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
    extensions: { upstreamStatus: 502 },
  },
  {
    name: "an HTML 504 from a proxy",
    behaviour: { kind: "raw", status: 504, body: "<h1>Gateway timeout</h1>", contentType: "text/html" },
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
  },
  {
    name: "a 402 without Faseeh's JSON body",
    behaviour: { kind: "raw", status: 402, body: "<p>payment required</p>", contentType: "text/html" },
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
    message: /without Faseeh's JSON error body/,
  },
  {
    name: "a 400 whose JSON lacks errorMessage",
    behaviour: { kind: "raw", status: 400, body: JSON.stringify({ errorCode: "40001" }) },
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
  },
  {
    name: "garbage 200 body",
    behaviour: { kind: "garbage" },
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
    message: /contract/,
  },
  {
    name: "200 missing voice_id",
    behaviour: { kind: "success", omit: ["voice_id"] },
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
    message: /contract/,
  },
  {
    name: "200 with a non-uuid id",
    behaviour: { kind: "success", overrides: { id: "42" } },
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
  },
  {
    name: "a reset connection",
    behaviour: { kind: "reset" },
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
    message: /connection/,
  },
  {
    name: "an answer slower than the timeout",
    behaviour: { kind: "delay", ms: 2_000, then: { kind: "success" } },
    code: "UPSTREAM_OUTCOME_UNKNOWN",
    status: "UNKNOWN",
    message: /800 ms/,
  },
  { name: "a hang", behaviour: { kind: "hang" }, code: "UPSTREAM_OUTCOME_UNKNOWN", status: "UNKNOWN", message: /800 ms/ },
];

describe("upstream failures map to typed errors and store nothing", () => {
  test.for(cases)(
    "$name -> $code ($status)",
    async ({ behaviour, code, status, extensions, message }, { gateway, upstream, uploadDir }) => {
      upstream.enqueue(behaviour);
      const response = await cloneVoice(gateway);
      expect(response.status).toBe(200);
      expect(response.body.data).toBeNull();
      const error = response.body.errors?.[0];
      expect(error?.extensions?.code).toBe(code);
      if (extensions) expect(error?.extensions).toMatchObject(extensions);
      if (message) expect(error?.message).toMatch(message);
      // The API key never reaches a client.
      expect(JSON.stringify(response.body)).not.toContain(upstream.apiKey);

      // Faseeh got the whole request exactly once: nothing was retried.
      expect(upstream.requests.map((received) => received.aborted)).toEqual([false]);
      expect(await gateway.database!.query("SELECT id FROM voices")).toHaveLength(0);
      const attempts = await gateway.database!.query<{ id: string; status: string; error_code: string }>(
        "SELECT id, status, error_code FROM clone_attempts",
      );
      expect(attempts).toEqual([expect.objectContaining({ status, error_code: code })]);
      if (status === "UNKNOWN") {
        // The client is told which attempt to ask about, and not to clone again.
        expect(error?.extensions?.attemptId).toBe(attempts[0]!.id);
        expect(error?.message).toMatch(/may or may not exist/);
        expect(error?.message).toContain(attempts[0]!.id);
      } else {
        expect(error?.extensions?.attemptId).toBeUndefined();
      }
      expect(await readdir(uploadDir)).toEqual([]);
      // No upstream request is left open behind the answer (a hang is cut at the timeout).
      await waitFor(() => upstream.inFlight === 0);

      // The gateway keeps serving, and the next clone works.
      upstream.reset();
      const next = await cloneVoice(gateway);
      expect(next.body.errors).toBeUndefined();
    },
  );

  test("redacts the API key if upstream echoes it in an error message", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "error", status: 400, errorMessage: `key ${upstream.apiKey} is not allowed to use this model` });
    const response = await cloneVoice(gateway);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_BAD_REQUEST");
    expect(response.body.errors?.[0]?.message).toContain("[redacted]");
    expect(JSON.stringify(response.body)).not.toContain(upstream.apiKey);
  });

  test("answers UPSTREAM_UNAVAILABLE when upstream is not listening", async ({ startGateway }) => {
    const gone = await startFakeFaseeh();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const isolated = await startGateway({ env: { FASEEH_BASE_URL: baseUrl, FASEEH_API_KEY: "k" } });
    const response = await cloneVoice(isolated);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(response.body.errors?.[0]?.message).toMatch(/connection refused/);
    expect(await isolated.database!.query("SELECT id FROM voices")).toHaveLength(0);
  });

  test("answers UPSTREAM_NOT_CONFIGURED without an API key, and calls nobody", async ({ upstream, startGateway }) => {
    const unconfigured = await startGateway({ env: { FASEEH_BASE_URL: upstream.baseUrl } });
    const response = await cloneVoice(unconfigured);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_NOT_CONFIGURED");
    expect(response.body.errors?.[0]?.message).toContain("FASEEH_API_KEY");
    expect(upstream.requests).toHaveLength(0);
    // The unread upload streams were drained: the connection is usable.
    expect((await unconfigured.graphql(`{ voices { totalCount } }`)).body.data).toEqual({ voices: { totalCount: 0 } });
  });
});
