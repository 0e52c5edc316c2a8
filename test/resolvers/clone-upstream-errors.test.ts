// Every upstream outcome, driven over real HTTP through the gateway: the
// client gets a typed error, nothing is stored, and the gateway keeps serving.
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cloneVoice } from "../support/clone.js";
import { type FakeBehaviour, type FakeFaseeh, startFakeFaseeh } from "../support/fake-faseeh.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { waitFor } from "../support/wait.js";

let upstream: FakeFaseeh;
let gateway: TestGateway;
let uploadDir: string;

beforeAll(async () => {
  upstream = await startFakeFaseeh();
  uploadDir = await mkdtemp(path.join(os.tmpdir(), "gw-uploads-"));
    // Retry-After values above 1 s are handed to the client rather than waited out.
  gateway = await startTestGateway({
    upstream,
    env: { UPSTREAM_TIMEOUT_MS: "800", UPLOAD_DIR: uploadDir, UPSTREAM_RETRY_MAX_WAIT_MS: "1000" },
  });
});
afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});
beforeEach(async () => {
  upstream.reset();
  await gateway.database!.query("TRUNCATE voices, clone_attempts");
});

type Case = {
  name: string;
  behaviour: FakeBehaviour;
  code: string;
  extensions?: Record<string, unknown>;
  message?: RegExp;
};

const cases: Case[] = [
  {
    name: "400 bad request",
    behaviour: { kind: "error", status: 400, errorCode: "40002", errorMessage: "Reference audio too short" },
    code: "UPSTREAM_BAD_REQUEST",
    extensions: { upstreamStatus: 400, upstreamErrorCode: "40002", upstreamErrorMessage: "Reference audio too short" },
    message: /Reference audio too short/,
  },
  {
    name: "404 unknown model",
    behaviour: { kind: "error", status: 404, errorCode: "40401", errorMessage: "Model not found" },
    code: "UPSTREAM_BAD_REQUEST",
    extensions: { upstreamStatus: 404, upstreamErrorCode: "40401" },
  },
  {
    name: "422 unprocessable",
    behaviour: { kind: "error", status: 422, errorCode: "42201", errorMessage: "Unprocessable audio" },
    code: "UPSTREAM_BAD_REQUEST",
    extensions: { upstreamStatus: 422 },
  },
  {
    name: "401 key refused",
    behaviour: { kind: "error", status: 401, errorCode: "40101", errorMessage: "Invalid API key" },
    code: "UPSTREAM_UNAUTHORIZED",
    extensions: { upstreamErrorCode: "40101" },
    message: /FASEEH_API_KEY/,
  },
  { name: "403 forbidden", behaviour: { kind: "error", status: 403 }, code: "UPSTREAM_UNAUTHORIZED" },
  {
    name: "402 wallet balance",
    behaviour: { kind: "error", status: 402, errorCode: "40201", errorMessage: "Insufficient wallet balance" },
    code: "INSUFFICIENT_BALANCE",
    extensions: { upstreamErrorCode: "40201", upstreamErrorMessage: "Insufficient wallet balance" },
  },
  {
    name: "429 with Retry-After",
    behaviour: { kind: "error", status: 429, errorCode: "42901", headers: { "retry-after": "7" } },
    code: "RATE_LIMITED",
    extensions: { retryAfterSeconds: 7 },
  },
  { name: "429 without Retry-After", behaviour: { kind: "error", status: 429 }, code: "RATE_LIMITED" },
  {
    name: "500",
    behaviour: { kind: "error", status: 500, errorCode: "50001", errorMessage: "Internal error" },
    code: "UPSTREAM_UNAVAILABLE",
    extensions: { upstreamStatus: 500 },
  },
  { name: "503", behaviour: { kind: "error", status: 503 }, code: "UPSTREAM_UNAVAILABLE" },
  { name: "garbage 200 body", behaviour: { kind: "garbage" }, code: "UPSTREAM_UNAVAILABLE", message: /contract/ },
  {
    name: "200 missing voice_id",
    behaviour: { kind: "success", omit: ["voice_id"] },
    code: "UPSTREAM_UNAVAILABLE",
    message: /contract/,
  },
  {
    name: "200 with a non-uuid id",
    behaviour: { kind: "success", overrides: { id: "42" } },
    code: "UPSTREAM_UNAVAILABLE",
  },
  { name: "a 500 with an HTML body", behaviour: { kind: "raw", status: 502, body: "<h1>Bad gateway</h1>", contentType: "text/html" }, code: "UPSTREAM_UNAVAILABLE" },
  { name: "a reset connection", behaviour: { kind: "reset" }, code: "UPSTREAM_UNAVAILABLE", message: /connection/ },
  { name: "a reset before the body", behaviour: { kind: "resetBeforeBody" }, code: "UPSTREAM_UNAVAILABLE" },
  { name: "an answer slower than the timeout", behaviour: { kind: "delay", ms: 2_000, then: { kind: "success" } }, code: "UPSTREAM_UNAVAILABLE", message: /800 ms/ },
  { name: "a hang", behaviour: { kind: "hang" }, code: "UPSTREAM_UNAVAILABLE", message: /800 ms/ },
];

describe("upstream failures map to typed errors and store nothing", () => {
  it.each(cases)("$name -> $code", async ({ behaviour, code, extensions, message }) => {
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

    expect(upstream.requests.length + (behaviour.kind === "resetBeforeBody" ? 1 : 0)).toBeGreaterThanOrEqual(1);
    expect(await gateway.database!.query("SELECT id FROM voices")).toHaveLength(0);
    expect(await readdir(uploadDir)).toEqual([]);
    // No upstream request is left open behind the answer (a hang is cut at the timeout).
    await waitFor(() => upstream.inFlight === 0);

    // The gateway keeps serving, and the next clone works.
    upstream.reset();
    const next = await cloneVoice(gateway);
    expect(next.body.errors).toBeUndefined();
  });

  it("redacts the API key if upstream echoes it in an error message", async () => {
    upstream.enqueue({ kind: "error", status: 400, errorMessage: `key ${upstream.apiKey} is not allowed to use this model` });
    const response = await cloneVoice(gateway);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_BAD_REQUEST");
    expect(response.body.errors?.[0]?.message).toContain("[redacted]");
    expect(JSON.stringify(response.body)).not.toContain(upstream.apiKey);
  });

  it("answers UPSTREAM_UNAVAILABLE when upstream is not listening", async () => {
    const gone = await startFakeFaseeh();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const isolated = await startTestGateway({ env: { FASEEH_BASE_URL: baseUrl, FASEEH_API_KEY: "k" } });
    try {
      const response = await cloneVoice(isolated);
      expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(response.body.errors?.[0]?.message).toMatch(/connection refused/);
      expect(await isolated.database!.query("SELECT id FROM voices")).toHaveLength(0);
    } finally {
      await isolated.stop();
    }
  });

  it("answers UPSTREAM_NOT_CONFIGURED without an API key, and calls nobody", async () => {
    const unconfigured = await startTestGateway({ env: { FASEEH_BASE_URL: upstream.baseUrl } });
    try {
      const response = await cloneVoice(unconfigured);
      expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_NOT_CONFIGURED");
      expect(response.body.errors?.[0]?.message).toContain("FASEEH_API_KEY");
      expect(upstream.requests).toHaveLength(0);
      // The unread upload streams were drained: the connection is usable.
      expect((await unconfigured.graphql(`{ voices { totalCount } }`)).body.data).toEqual({ voices: { totalCount: 0 } });
    } finally {
      await unconfigured.stop();
    }
  });
});
