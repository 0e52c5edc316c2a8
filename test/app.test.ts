// The HTTP application's cheap refusals and operator surfaces: CSRF, CORS,
// body and operation limits, production hardening, masked errors that carry a
// request id, request ids, the landing page, and /metrics.
import { request } from "undici";
import { wav } from "../dev/audio-fixtures.js";
import { CLONE_VOICE, cloneVoice, defaultCloneInput } from "./support/clone.js";
import { describe, expect, test } from "./support/fixtures.js";
import { buildMultipart, client, type GraphQLResponse, type TestGateway, type TestGatewayOptions } from "./support/gateway.js";
import { recordOutput, recordSecret } from "./support/suite-record.js";

test.override("gatewayOptions", { env: { CORS_ORIGINS: "https://studio.example.com, https://tools.example.com/" } });

/** The first GraphQL error of a raw response's text. */
const firstErrorOf = (text: string) => (JSON.parse(text) as GraphQLResponse["body"]).errors![0]!;

async function raw(url: string, init: Parameters<typeof request>[1] = {}) {
  const response = await request(url, { dispatcher: client, ...init });
  const text = await response.body.text();
  recordOutput("gateway response", text);
  return { status: response.statusCode, headers: response.headers, text };
}

describe("CSRF prevention", () => {
  test("refuses a multipart request without the preflight header, before reading its files", async ({ gateway, upstream }) => {
    const body = buildMultipart(
      CLONE_VOICE,
      { input: defaultCloneInput() },
      {
        "input.voiceFile": { content: wav(), filename: "a.wav" },
        "input.referenceAudioFile": { content: wav(), filename: "b.wav" },
      },
    );
    const response = await raw(`${gateway.url}/graphql`, { method: "POST", body });
    expect(response.status).toBe(400);
    expect(firstErrorOf(response.text)).toMatchObject({ extensions: { code: "BAD_REQUEST" } });
    expect(response.text).toContain("Apollo-Require-Preflight");
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("CORS", () => {
  test("allows the configured origins only", async ({ gateway }) => {
    const preflight = (origin: string) =>
      raw(`${gateway.url}/graphql`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,authorization",
        },
      });
    const allowed = await preflight("https://studio.example.com");
    expect(allowed.headers["access-control-allow-origin"]).toBe("https://studio.example.com");
    expect(String(allowed.headers["access-control-allow-headers"])).toContain("authorization");
    expect((await preflight("https://tools.example.com")).headers["access-control-allow-origin"]).toBe(
      "https://tools.example.com",
    );
    expect((await preflight("https://evil.example.net")).headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("limits before execution", () => {
  test("lets the real client queries through", async ({ gateway }) => {
    const response = await gateway.graphql(`query Catalog($after: String) {
      voices(first: 100, after: $after, filter: { language: "ar" }) {
        totalCount edges { cursor node { id voiceId name languages dialects gender age createdAt } }
        nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
      cloneAttempts(first: 100) { id status voice { id voiceId } }
    }`);
    expect(response.body.errors).toBeUndefined();
  });

  test.for([
    ["too many aliases", `{ ${Array.from({ length: 20 }, (_, index) => `a${index}: voices { totalCount }`).join(" ")} }`],
    ["too deep", ""],
    [
      "too many directives",
      `{ voices @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) { totalCount } }`,
    ],
    ["too many tokens", `{ ${Array.from({ length: 2100 }, () => "__typename").join(" ")} }`],
  ] as const)("refuses an operation with %s", async ([name, query], { gateway, startGateway }) => {
    if (name === "too deep") {
      expect((await deep(startGateway)).body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      return;
    }
    const response = await gateway.graphql(query);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe(
      name === "too many tokens" ? "GRAPHQL_PARSE_FAILED" : "GRAPHQL_VALIDATION_FAILED",
    );
    expect(response.body.data).toBeUndefined();
  });

  async function deep(startGateway: (options: TestGatewayOptions) => Promise<TestGateway>) {
    // The schema has no recursive path deep enough for the default of 8, so tighten it.
    const tight = await startGateway({ env: { GRAPHQL_MAX_DEPTH: "3" } });
    return tight.graphql(`{ cloneAttempts { voice { languages } } voices { edges { node { id } } } }`);
  }

  test("refuses a JSON body over the limit with PAYLOAD_TOO_LARGE", async ({ gateway }) => {
    const response = await raw(`${gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }", variables: { padding: "x".repeat(1_100_000) } }),
    });
    expect(response.status).toBe(413);
    expect(firstErrorOf(response.text).extensions?.code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("refuses more than two files in one request", async ({ gateway, upstream }) => {
    const body = buildMultipart(
      CLONE_VOICE,
      { input: defaultCloneInput(), extra: null },
      {
        "input.voiceFile": { content: wav(), filename: "a.wav" },
        "input.referenceAudioFile": { content: wav(), filename: "b.wav" },
        extra: { content: wav(), filename: "c.wav" },
      },
    );
    const response = await raw(`${gateway.url}/graphql`, {
      method: "POST",
      body,
      headers: { "apollo-require-preflight": "true" },
    });
    expect(response.status).toBe(413);
    expect(firstErrorOf(response.text).extensions?.code).toBe("PAYLOAD_TOO_LARGE");
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("caching by others", () => {
  test("every GraphQL answer says Cache-Control: no-store, POST or GET, error or not, served from the response cache or not", async ({
    gateway,
  }) => {
    const query = "{ voices(first: 1) { nodes { id } } }";
    const post = await gateway.graphql(query);
    const again = await gateway.graphql(query, undefined, { "x-request-id": "no-store-again" });
    const againLine = gateway.logs.find((line) => line.msg === "request" && line.requestId === "no-store-again");
    expect(againLine?.cache).toBe("hit"); // the response cache is on by default
    const refused = await gateway.graphql("{ voices(first: 1000) { nodes { id } } }");
    const get = await raw(`${gateway.url}/graphql?query=${encodeURIComponent(query)}`, {
      headers: { "apollo-require-preflight": "true" },
    });
    expect(post.status).toBe(200);
    expect(again.status).toBe(200);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(get.status).toBe(200);
    for (const headers of [post.headers, again.headers, refused.headers, get.headers]) {
      expect(headers["cache-control"]).toBe("no-store");
    }
  });
});

describe("production hardening", () => {
  test("has no introspection and no field suggestions", async ({ gateway, productionGateway: production }) => {
    const introspection = await production.graphql(`{ __schema { types { name } } }`);
    expect(introspection.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    // Named in the operator's terms: the variable to set, not a constructor option.
    expect(introspection.body.errors?.[0]?.message).toBe(
      "Introspection is disabled in production. Set GRAPHQL_INTROSPECTION=true on the gateway to allow it.",
    );
    const typo = await production.graphql(`{ voicez { totalCount } }`);
    expect(typo.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const typoDev = await gateway.graphql(`{ voicez { totalCount } }`);
    expect(typoDev.body.errors?.[0]?.message).toMatch(/Did you mean "voice/);
  });

  test("masks unexpected errors, with a request id that is also in the log line holding the real error", async ({
    productionGateway: production,
  }) => {
    await production.database!.query("ALTER TABLE voices RENAME TO voices_moved");
    try {
      const response = await production.graphql(`{ voices { totalCount } }`, {}, { "x-request-id": "support-ticket-42" });
      const error = response.body.errors?.[0];
      expect(error?.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR", requestId: "support-ticket-42" });
      expect(error?.message).toBe("Internal server error (request id support-ticket-42).");
      expect(JSON.stringify(response.body)).not.toMatch(/voices_moved|relation|prisma|does not exist/i);
      const logged = production.logs.find((line) => line.msg === "unexpected error" && line.requestId === "support-ticket-42");
      expect(JSON.stringify(logged)).toMatch(/does not exist|P2021/);
    } finally {
      await production.database!.query("ALTER TABLE voices_moved RENAME TO voices");
    }
  });

  test("shows Sandbox outside production only", async ({ gateway, productionGateway: production }) => {
    const html = { accept: "text/html" };
    expect((await raw(`${gateway.url}/graphql`, { headers: html })).text).toContain("embeddable-sandbox");
    const prod = await raw(`${production.url}/graphql`, { headers: html });
    expect(prod.status).toBe(400);
    expect(prod.text).not.toContain("embeddable-sandbox");
  });
});

describe("operators", () => {
  test("keeps an incoming x-request-id and logs one line per request with operation, client and outcome", async ({ gateway }) => {
    const response = await gateway.graphql(`query CountVoices { voices { totalCount } }`, {}, { "x-request-id": "trace-abc.1" });
    expect(response.headers["x-request-id"]).toBe("trace-abc.1");
    const lines = gateway.logs.filter((line) => line.requestId === "trace-abc.1" && line.msg === "request");
    expect(lines).toEqual([
      expect.objectContaining({ operation: "CountVoices", client: "anonymous", outcome: "ok", status: 200, path: "/graphql" }),
    ]);
    const generated = await gateway.graphql(`{ __typename }`, {}, { "x-request-id": "bad id with spaces" });
    expect(generated.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("serves Prometheus metrics", async ({ gateway, upstream }) => {
    await cloneVoice(gateway);
    upstream.enqueue({ kind: "error", status: 402 });
    await cloneVoice(gateway);
    const metrics = await raw(`${gateway.url}/metrics`);
    expect(metrics.status).toBe(200);
    for (const name of [
      "gateway_http_request_duration_seconds_bucket",
      'gateway_graphql_operation_duration_seconds_count{operation="CloneVoice",type="mutation"}',
      'gateway_graphql_errors_total{code="INSUFFICIENT_BALANCE"}',
      'gateway_upstream_request_duration_seconds_count{operation="cloneVoice",status="200"}',
      'gateway_upstream_request_duration_seconds_count{operation="cloneVoice",status="402"}',
      'gateway_clone_attempts_total{outcome="succeeded"}',
      'gateway_clone_attempts_total{outcome="failed"}',
      'gateway_database_pool_connections{state="idle"}',
      'gateway_clone_queue{state="running"}',
      "process_resident_memory_bytes",
    ]) {
      expect(metrics.text).toContain(name);
    }
  });

  test("serves /metrics to the holder of METRICS_TOKEN only, and not at all in production without one", async ({
    productionGateway: production,
    startGateway,
  }) => {
    const token = "metrics-token-0123456789abcdef";
    recordSecret(token);
    const guarded = await startGateway({ env: { METRICS_TOKEN: token } });
    expect((await raw(`${guarded.url}/metrics`)).status).toBe(401);
    expect(
      (await raw(`${guarded.url}/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789abcdef" } })).status,
    ).toBe(401);
    const scraped = await raw(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain("process_resident_memory_bytes");
    const hidden = await raw(`${production.url}/metrics`);
    expect(hidden.status).toBe(404);
    expect(hidden.text).toContain("METRICS_TOKEN");
  });
});
