// Traces, as deployed: the gateway's own process (`src/main.ts` under tsx, as
// `npm start` runs it) exporting to an OTLP/HTTP collector stand-in, on a real
// PostgreSQL database and the fake Faseeh. A caller's `traceparent` is
// continued; one trace then holds the HTTP request, the GraphQL operation, its
// SQL and its Faseeh call, whose `traceparent` Faseeh receives; the log lines
// name the trace. What the caller sends stays with the gateway: its `baggage`
// is not passed on to Faseeh, its query strings' values (a preview URL's
// token, a GET operation's variables) are in no span. A collector that cannot
// be reached is a warning in the log.
// Without OTEL_EXPORTER_OTLP_ENDPOINT no module of the SDK is loaded. (The compiled build exports traces too: test/deploy/production-build.test.ts.)
import { randomBytes, randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { afterEach } from "vitest";
import { request } from "undici";
import { MiB, noisyWav } from "../../dev/audio-fixtures.js";
import { type FakeFaseeh, filesOf } from "../../dev/fake-faseeh.js";
import { CLONE_VOICE, defaultCloneInput } from "../support/clone.js";
import { describe, expect, testWithoutGateway as test } from "../support/fixtures.js";
import { buildMultipart } from "../support/gateway.js";
import { BOOT_TIMEOUT_MS, type GatewayProcess, listening, requestLine } from "../support/gateway-process.js";
import { digestOf } from "../support/preview.js";
import { type OtlpCollector, type ReceivedSpan, startOtlpCollector } from "../support/otlp-collector.js";
import { killAllSpawned, spawnTs } from "../support/process.js";
import { waitFor } from "../support/wait.js";

const TEST_TIMEOUT_MS = 150_000;

afterEach(async () => {
  await killAllSpawned();
});

const SERVER = 2;
const CLIENT = 3;

/** A `traceparent` of a caller's own trace: what the gateway must continue. */
function callerTraceparent() {
  const traceId = randomBytes(16).toString("hex");
  const parentSpanId = randomBytes(8).toString("hex");
  return { traceId, parentSpanId, header: `00-${traceId}-${parentSpanId}-01` };
}

/** src/main.ts as `npm start` runs it, with `env` (and node's `nodeArgs`), once it listens. */
function startGateway(env: Record<string, string>, nodeArgs: string[] = []): Promise<GatewayProcess> {
  return listening(spawnTs("src/main.ts", { NODE_ENV: "test", PORT: "0", HOST: "127.0.0.1", ...env }, [], { nodeArgs }));
}

/** Recordings of several MiB (many stream chunks), as billed: what Faseeh receives of them is compared with these. */
const VOICE_FILE = noisyWav(3 * MiB);
const REFERENCE_FILE = noisyWav(2 * MiB, 2);
const SENT = { voice_file: digestOf(VOICE_FILE), reference_audio_file: digestOf(REFERENCE_FILE) };

function cloneRequest(url: string, headers: Record<string, string>) {
  const form = buildMultipart(
    CLONE_VOICE,
    { input: { ...defaultCloneInput(), name: "Nour" } },
    {
      "input.voiceFile": { content: VOICE_FILE, filename: "preview.wav" },
      "input.referenceAudioFile": { content: REFERENCE_FILE, filename: "original.wav" },
    },
  );
  return request(`${url}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true", ...headers }, body: form });
}

/** Whether `span` descends from the span `ancestorId` within `trace`. */
function descendsFrom(span: ReceivedSpan, ancestorId: string, trace: ReceivedSpan[]): boolean {
  const byId = new Map(trace.map((each) => [each.spanId, each]));
  for (let parent = span.parentSpanId; parent !== undefined; parent = byId.get(parent)?.parentSpanId) {
    if (parent === ancestorId) return true;
  }
  return false;
}

const isPostgres = (span: ReceivedSpan) => span.attributes["db.system.name"] === "postgresql";

describe("traces over OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT set)", () => {
  let collector: OtlpCollector;
  afterEach(async () => {
    await collector.close();
  });

  async function tracedGateway(upstream: FakeFaseeh, databaseUrl: string, dataDir: string): Promise<GatewayProcess> {
    collector = await startOtlpCollector();
    return startGateway({
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      FASEEH_BASE_URL: upstream.baseUrl,
      FASEEH_API_KEY: upstream.apiKey,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_SERVICE_NAME: "gateway-under-test",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
  }

  test(
    "one trace, the caller's, holds the request, the operation, its SQL and its Faseeh call; Faseeh and the logs get its id",
    async ({ upstream, testDatabase, makeTempDir }) => {
      const { proc, url } = await tracedGateway(upstream, testDatabase.url, await makeTempDir("gw-traces-"));
      const caller = callerTraceparent();
      const requestId = randomUUID();
      // Faseeh refuses the first attempt with a short Retry-After: the second one clones.
      upstream.enqueue({ kind: "error", status: 429, headers: { "Retry-After": "0" } });
      upstream.enqueue({ kind: "success", overrides: { voice_id: "v_nour" } });

      const answer = await cloneRequest(url, { traceparent: caller.header, "x-request-id": requestId });
      const body = (await answer.body.json()) as { data?: unknown; errors?: unknown };
      expect(body.errors).toBeUndefined();
      expect(answer.statusCode).toBe(200);

      const named = (name: string) => collector.spansOf(caller.traceId).find((span) => span.name === name);
      const attempts = () => collector.spansOf(caller.traceId).filter((span) => span.name === "faseeh cloneVoice");
      await waitFor(
        () =>
          attempts().length === 2 &&
          named("mutation CloneVoice") !== undefined &&
          collector.spansOf(caller.traceId).some((span) => span.kind === SERVER),
        20_000,
        "the trace's spans at the collector",
      );
      const trace = collector.spansOf(caller.traceId);
      const server = trace.find((span) => span.kind === SERVER)!;
      const operation = named("mutation CloneVoice")!;
      const [refused, faseeh] = attempts().sort(
        (a, b) => Number(a.attributes["faseeh.attempt"]) - Number(b.attributes["faseeh.attempt"]),
      );

      // The caller's span is the request's parent: the trace continues across services.
      expect(server.parentSpanId).toBe(caller.parentSpanId);
      expect(server.service).toBe("gateway-under-test");
      expect(server.attributes).toMatchObject({
        "http.request.method": "POST",
        "url.path": "/graphql",
        "http.response.status_code": 200,
      });
      expect(operation.parentSpanId).toBe(server.spanId);
      expect(operation.attributes).toEqual({ "graphql.operation.type": "mutation", "graphql.operation.name": "CloneVoice" });
      const sql = trace.filter((span) => isPostgres(span) && descendsFrom(span, operation.spanId, trace));
      expect(sql.length).toBeGreaterThan(0);
      for (const attempt of [refused!, faseeh!]) {
        expect(descendsFrom(attempt, operation.spanId, trace)).toBe(true);
        expect(attempt.kind).toBe(CLIENT);
      }
      expect(refused!.attributes).toMatchObject({
        "faseeh.operation": "cloneVoice",
        "faseeh.attempt": 1,
        "faseeh.outcome": "rejected",
        "faseeh.error_code": "RATE_LIMITED",
        "http.response.status_code": 429,
      });
      expect(refused!.status).toMatchObject({ code: 2, message: "RATE_LIMITED" });
      expect(faseeh!.attributes).toMatchObject({
        "faseeh.operation": "cloneVoice",
        "faseeh.attempt": 2,
        "faseeh.outcome": "success",
        "http.response.status_code": 200,
      });

      // Both attempts sent the recordings whole, byte for byte: the span around each changes nothing of its body.
      expect(upstream.requests.map(filesOf)).toEqual([SENT, SENT]);
      // Faseeh got the trace context of each attempt's span.
      expect(upstream.requests.map((received) => received.headers.traceparent)).toEqual([
        `00-${caller.traceId}-${refused!.spanId}-01`,
        `00-${caller.traceId}-${faseeh!.spanId}-01`,
      ]);

      // The request's log line and the Faseeh call's carry the trace.
      const line = await requestLine(proc, requestId);
      expect(line.trace_id).toBe(caller.traceId);
      // Each attempt's log line names its span.
      const calls = proc.logs.filter((entry) => entry.msg === "upstream call" && entry.op === "cloneVoice");
      expect(calls.map((entry) => [entry.trace_id, entry.span_id])).toEqual([
        [caller.traceId, refused!.spanId],
        [caller.traceId, faseeh!.spanId],
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "what a caller sends stays with the gateway: no baggage to Faseeh, no query string value in a span",
    async ({ upstream, testDatabase, makeTempDir }) => {
      const { url } = await tracedGateway(upstream, testDatabase.url, await makeTempDir("gw-traces-"));
      const [clone, audio, query] = [callerTraceparent(), callerTraceparent(), callerTraceparent()];
      upstream.enqueue({ kind: "success" });
      const answer = await cloneRequest(url, { traceparent: clone.header, baggage: "tenant=acme,user.id=42" });
      expect(((await answer.body.json()) as { errors?: unknown }).errors).toBeUndefined();
      // The trace context goes on to Faseeh; the caller's baggage (its own key-value pairs) does not.
      expect(upstream.requests[0]!.headers.traceparent).toMatch(new RegExp(`^00-${clone.traceId}-`));
      expect(upstream.requests[0]!.headers).not.toHaveProperty("baggage");

      // A preview audio URL's token is its permission; a GET operation's variables are the caller's data.
      const token = "a-preview-url-token-that-is-its-permission";
      const played = await request(`${url}/previews/${randomUUID()}.wav?expires=4102444800&token=${token}`, {
        headers: { traceparent: audio.header },
      });
      await played.body.dump();
      const secret = "a-value-of-the-callers-own";
      const operation = new URLSearchParams({
        query: "query ($voiceId: String) { voice(voiceId: $voiceId) { name } }",
        variables: JSON.stringify({ voiceId: secret }),
      });
      const read = await request(`${url}/graphql?${operation.toString()}`, {
        headers: { traceparent: query.header, "apollo-require-preflight": "true" },
      });
      expect(await read.body.json()).toEqual({ data: { voice: null } });

      const serverSpan = (traceId: string) => collector.spansOf(traceId).find((span) => span.kind === SERVER);
      await waitFor(() => serverSpan(audio.traceId) !== undefined && serverSpan(query.traceId) !== undefined, 20_000);
      expect(serverSpan(audio.traceId)!.attributes["url.query"]).toBe("expires=REDACTED&token=REDACTED");
      expect(serverSpan(query.traceId)!.attributes["url.query"]).toBe("query=REDACTED&variables=REDACTED");
      const exported = JSON.stringify(collector.spans);
      expect(exported).not.toContain(token);
      expect(exported).not.toContain(secret);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("a collector that cannot be reached", () => {
  test(
    "is a warning in the gateway's log, and the request is served all the same",
    async ({ testDatabase, makeTempDir }) => {
      const closed = await startOtlpCollector();
      await closed.close();
      const { proc, url } = await startGateway({
        DATABASE_URL: testDatabase.url,
        DATA_DIR: await makeTempDir("gw-lost-traces-"),
        OTEL_EXPORTER_OTLP_ENDPOINT: closed.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: "100",
      });
      const answer = await request(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ voices { totalCount } }" }),
      });
      expect(await answer.body.json()).toEqual({ data: { voices: { totalCount: 0 } } });
      const warning = await proc.waitForLog(
        (entry) => entry.msg === "OpenTelemetry reported a problem: traces may be lost",
        20_000,
      );
      expect(warning.level).toBe(40);
      expect(String(warning.otel)).toMatch(/ECONNREFUSED/);
    },
    TEST_TIMEOUT_MS,
  );
});

/** `node --import` of a hook that fails any import of an OpenTelemetry package other than the API. */
const refuseOpenTelemetrySdk = (): string[] => {
  const hook = pathToFileURL(new URL("../support/refuse-otel-sdk.mjs", import.meta.url).pathname).href;
  return ["--import", `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hook)})`];
};

describe("without OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  test(
    "no module of the SDK is loaded, the request is served, and its log line names no trace",
    async ({ upstream, testDatabase, makeTempDir }) => {
      const env = {
        DATABASE_URL: testDatabase.url,
        DATA_DIR: await makeTempDir("gw-untraced-"),
        FASEEH_BASE_URL: upstream.baseUrl,
        FASEEH_API_KEY: upstream.apiKey,
      };
      const { proc, url } = await startGateway(env, refuseOpenTelemetrySdk());
      const caller = callerTraceparent();
      const requestId = randomUUID();
      upstream.enqueue({ kind: "success" });
      const answer = await cloneRequest(url, { traceparent: caller.header, "x-request-id": requestId });
      expect(((await answer.body.json()) as { errors?: unknown }).errors).toBeUndefined();
      const line = await requestLine(proc, requestId);
      expect(line).not.toHaveProperty("trace_id");
      // Nothing is passed on: the caller's trace context is not the gateway's to forward untraced.
      expect(upstream.requests[0]!.headers).not.toHaveProperty("traceparent");

      // The hook does refuse the SDK: with the variable set, the same process cannot start.
      const refused = spawnTs("src/main.ts", { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" }, [], {
        nodeArgs: refuseOpenTelemetrySdk(),
      });
      await refused.waitForExit(BOOT_TIMEOUT_MS);
      expect(refused.stdout() + refused.stderr()).toContain("refuse-otel-sdk: @opentelemetry/");
    },
    TEST_TIMEOUT_MS,
  );
});
