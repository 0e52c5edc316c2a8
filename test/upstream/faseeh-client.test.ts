// FaseehClient on its own, over real HTTP against the fake Faseeh (a real
// server on 127.0.0.1 that parses the multipart body): the request it sends
// (fields, comma-separated lists, both files byte for byte, the x-api-key
// header), how it reads answers, how every status and transport failure maps
// to a GatewayError and its upstreamOutcome, when it retries (only when
// Faseeh certainly created nothing), and how a cancelled call behaves before
// and after the closing boundary. Constructed as src/container.ts does, from
// loadConfig. The gateway-level retry tests live in
// test/services/clone-service.upstream.test.ts.
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { GatewayError } from "../../src/errors.js";
import { createLogger } from "../../src/logger.js";
import { createMetrics, type Metrics } from "../../src/metrics.js";
import {
  type AudioPart,
  type AudioSource,
  type CloneVoiceRequest,
  FaseehClient,
  type FileDigest,
  parseRetryAfter,
} from "../../src/upstream/faseeh-client.js";
import { MiB, noisyWav, sha256 } from "../support/audio-fixtures.js";
import { type FakeFaseeh, filesOf, startFakeFaseeh } from "../support/fake-faseeh.js";
import { recordOutput, recordSecret } from "../support/suite-record.js";
import { waitFor } from "../support/wait.js";
import { gatewayErrorOf } from "../support/gateway-error.js";

let upstream: FakeFaseeh;
const opened: FaseehClient[] = [];

beforeAll(async () => {
  upstream = await startFakeFaseeh();
  recordSecret(upstream.apiKey);
});
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
  upstream.reset();
});
afterAll(async () => {
  await upstream.close();
});

interface TestClient {
  client: FaseehClient;
  logs: Array<Record<string, unknown>>;
  metrics: Metrics;
}

/** A client built as the container builds it, from loadConfig; `env` overrides the test defaults. */
function makeClient(env: Record<string, string | undefined> = {}): TestClient {
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "info",
    FASEEH_BASE_URL: upstream.baseUrl,
    FASEEH_API_KEY: upstream.apiKey,
    UPSTREAM_TIMEOUT_MS: "3000",
    UPSTREAM_RETRY_MAX_WAIT_MS: "1500",
    UPSTREAM_MAX_ATTEMPTS: "3",
    ...env,
  });
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger(config, {
    write(line: string) {
      // Into the suite's secret scan, like the gateway's own logs.
      recordOutput("gateway log", line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  const metrics = createMetrics();
  const client = new FaseehClient(config.upstream, logger, metrics);
  opened.push(client);
  return { client, logs, metrics };
}

const CHUNK = 64 * 1024;

async function* chunksOf(content: Buffer, before?: (offset: number) => Promise<void>): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < content.length; offset += CHUNK) {
    await before?.(offset);
    yield content.subarray(offset, offset + CHUNK);
  }
}

/** An AudioSource over bytes in memory: every open() streams them again; recorded() is their true digest. */
class BytesSource implements AudioSource {
  opens = 0;

  constructor(
    readonly content: Buffer,
    readonly filename = "preview.wav",
    private readonly body: (content: Buffer) => AsyncIterable<Uint8Array> = (content) => chunksOf(content),
  ) {}

  open(): Promise<AudioPart> {
    this.opens++;
    return Promise.resolve({ filename: this.filename, contentType: "audio/wav", body: this.body(this.content) });
  }

  recorded(): Promise<FileDigest> {
    return Promise.resolve(digest(this.content));
  }
}

const digest = (content: Buffer): FileDigest => ({ size: content.length, sha256: sha256(content) });

function cloneRequest(overrides: Partial<CloneVoiceRequest> = {}): CloneVoiceRequest {
  return {
    voiceFile: new BytesSource(noisyWav(64 * 1024, 1), "preview.wav"),
    referenceAudioFile: new BytesSource(noisyWav(96 * 1024, 2), "original.wav"),
    text: "مرحبا بكم في فصيح",
    stability: 0.5,
    name: "Layla",
    model: "faseeh-v1",
    ...overrides,
  };
}

const retriesLogged = (logs: Array<Record<string, unknown>>) =>
  logs.filter((line) => line.msg === "retrying upstream call that certainly created nothing").length;

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe("the request it sends", () => {
  it("POSTs every field, lists comma-separated, and both MiB files byte for byte, with the x-api-key header", async () => {
    const { client } = makeClient();
    const voiceFile = noisyWav(3 * MiB + 17, 101);
    const referenceAudioFile = noisyWav(2 * MiB + 12_345, 102);
    await client.cloneVoice(
      cloneRequest({
        voiceFile: new BytesSource(voiceFile, "preview.wav"),
        referenceAudioFile: new BytesSource(referenceAudioFile, "original.wav"),
        stability: 0.75,
        description: "Warm, clear; for audiobooks",
        gender: "female",
        age: "adult",
        languages: ["ar", "en"],
        dialects: ["najdi", "hijazi", "gulf"],
        avatarUrl: "https://cdn.example.test/layla.png",
      }),
    );
    expect(upstream.requests).toHaveLength(1);
    const received = upstream.requests[0]!;
    expect(received).toMatchObject({ method: "POST", path: "/api/v1/voices/clone", apiKey: upstream.apiKey, aborted: false });
    expect(received.headers.accept).toBe("application/json");
    expect(received.contentType).toMatch(/^multipart\/form-data; boundary=----faseeh-gateway-[0-9a-f]{24}$/);
    expect(received.fields).toEqual({
      text: "مرحبا بكم في فصيح",
      stability: "0.75",
      name: "Layla",
      model: "faseeh-v1",
      description: "Warm, clear; for audiobooks",
      gender: "female",
      age: "adult",
      languages: "ar,en",
      dialects: "najdi,hijazi,gulf",
      avatar_url: "https://cdn.example.test/layla.png",
    });
    // Text fields first, then the files.
    expect(received.fieldNames.slice(0, 10)).toEqual(Object.keys(received.fields));
    expect([...received.fieldNames.slice(10)].sort()).toEqual(["reference_audio_file", "voice_file"]);
    expect(filesOf(received)).toEqual({ voice_file: digest(voiceFile), reference_audio_file: digest(referenceAudioFile) });
    expect(
      received.files
        .map(({ field, filename, mimeType }) => ({ field, filename, mimeType }))
        .sort((a, b) => a.field.localeCompare(b.field)),
    ).toEqual([
      { field: "reference_audio_file", filename: "original.wav", mimeType: "audio/wav" },
      { field: "voice_file", filename: "preview.wav", mimeType: "audio/wav" },
    ]);
  });

  it("leaves out optional fields that were not given, and empty lists", async () => {
    const { client } = makeClient();
    await client.cloneVoice(cloneRequest({ stability: 0, languages: [], dialects: [] }));
    expect(upstream.requests[0]!.fields).toEqual({
      text: "مرحبا بكم في فصيح",
      stability: "0",
      name: "Layla",
      model: "faseeh-v1",
    });
  });

  it("sends the file that becomes available first first", async () => {
    const { client } = makeClient();
    const reference = new BytesSource(noisyWav(MiB, 103), "original.wav");
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const late = new BytesSource(noisyWav(MiB, 104), "preview.wav");
    const voiceFile: AudioSource = {
      open: async () => {
        await released;
        return late.open();
      },
      recorded: () => late.recorded(),
    };
    const call = client.cloneVoice(
      cloneRequest({
        voiceFile,
        referenceAudioFile: {
          open: async () => {
            const part = await reference.open();
            // The voice file starts only once the reference is on its way.
            setImmediate(release);
            return part;
          },
          recorded: () => reference.recorded(),
        },
      }),
    );
    await call;
    expect(upstream.requests[0]!.fieldNames.slice(-2)).toEqual(["reference_audio_file", "voice_file"]);
    expect(filesOf(upstream.requests[0]!)).toEqual({
      voice_file: digest(late.content),
      reference_audio_file: digest(reference.content),
    });
  });

  it("escapes quotes and line breaks in file names", async () => {
    const { client } = makeClient();
    await client.cloneVoice(cloneRequest({ voiceFile: new BytesSource(noisyWav(8 * 1024, 105), 'say "hi"\r\nnow.wav') }));
    expect(upstream.requests[0]!.files.find((file) => file.field === "voice_file")!.filename).toBe("say %22hi%22  now.wav");
  });

  it("holds the closing boundary until holdUntil settles, and tells onComplete once it is sent", async () => {
    const { client } = makeClient();
    let release!: () => void;
    const holdUntil = new Promise<void>((resolve) => (release = resolve));
    const completions: number[] = [];
    const call = client.cloneVoice(cloneRequest({ holdUntil, onComplete: () => completions.push(upstream.requests.length) }));
    await waitFor(() => upstream.inFlight === 1, 10_000, "the request to reach the fake");
    // Everything but the closing boundary may be on the wire: Faseeh has no complete request yet.
    expect(upstream.requests).toHaveLength(0);
    expect(completions).toEqual([]);
    release();
    const voice = await call;
    expect(completions).toEqual([0]); // told before Faseeh had the request
    expect(upstream.createdVoices.map((created) => created.voice_id)).toEqual([voice.voiceId]);
  });

  it("aborts the request, before Faseeh can act on it, when holdUntil rejects", async () => {
    const { client } = makeClient();
    const refused = new GatewayError("DATABASE_UNAVAILABLE", "could not record the attempt");
    const onComplete = () => {
      throw new Error("must not complete");
    };
    const holdUntil = Promise.reject(refused);
    holdUntil.catch(() => undefined); // observed through holdUntil, as the clone service does
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest({ holdUntil, onComplete })));
    expect(error).toBe(refused);
    expect(error.upstreamOutcome).toBe("rejected");
    await waitFor(() => upstream.requests.length === 1, 10_000, "the fake to record the aborted request");
    expect(upstream.requests[0]!.aborted).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
  });

  it("aborts, without retrying, when the bytes written differ from what the source recorded", async () => {
    const { client, logs } = makeClient();
    const content = noisyWav(2 * MiB, 106);
    const lying: AudioSource = {
      open: () => new BytesSource(content).open(),
      recorded: () => Promise.resolve({ size: content.length, sha256: sha256(Buffer.from("something else")) }),
    };
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest({ voiceFile: lying })));
    expect(error.code).toBe("INTERNAL_SERVER_ERROR");
    expect(error.message).toMatch(
      /^voice_file: wrote 2097152 bytes \(sha256 [0-9a-f]{12}…\) but the upload recorded 2097152 bytes/,
    );
    expect(error.upstreamOutcome).toBe("rejected");
    await waitFor(() => upstream.requests.length === 1, 10_000, "the fake to record the aborted request");
    expect(upstream.requests.map((received) => received.aborted)).toEqual([true]);
    expect(upstream.createdVoices).toHaveLength(0);
    expect(logs.some((line) => line.msg === "file integrity check failed; upstream request aborted")).toBe(true);
  });

  it("passes on, without retrying, a source that fails mid-file (an upload over its limit)", async () => {
    const { client } = makeClient();
    const tooLarge = new GatewayError("BAD_USER_INPUT", "`input.voiceFile` is larger than the 1 MiB limit per file.", {
      field: "input.voiceFile",
    });
    const source = new BytesSource(noisyWav(2 * MiB, 107), "preview.wav", (content) =>
      chunksOf(content, (offset) => (offset >= MiB ? Promise.reject(tooLarge) : Promise.resolve())),
    );
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest({ voiceFile: source })));
    expect(error).toBe(tooLarge);
    expect(error.upstreamOutcome).toBe("rejected");
    expect(source.opens).toBe(1);
    await waitFor(() => upstream.requests.length === 1, 10_000, "the fake to record the aborted request");
    expect(upstream.requests[0]!.aborted).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
  });

  it("passes on a source that cannot be opened", async () => {
    const { client } = makeClient();
    const missing = new GatewayError("BAD_USER_INPUT", "`input.referenceAudioFile` is empty.");
    const error = await gatewayErrorOf(
      client.cloneVoice(
        cloneRequest({ referenceAudioFile: { open: () => Promise.reject(missing), recorded: () => Promise.reject(missing) } }),
      ),
    );
    expect(error).toBe(missing);
    expect(upstream.createdVoices).toHaveLength(0);
  });
});

describe("answers", () => {
  it("reads a 200 into the voice, `dialect` becoming dialects", async () => {
    const { client } = makeClient();
    const voice = await client.cloneVoice(cloneRequest({ languages: ["ar"], dialects: ["najdi", "hijazi"], gender: "female" }));
    const created = upstream.createdVoices[0]!;
    expect(created.dialect).toEqual(["najdi", "hijazi"]);
    expect(voice).toEqual({
      id: created.id,
      voiceId: created.voice_id,
      name: "Layla",
      description: null,
      gender: "female",
      age: null,
      languages: ["ar"],
      dialects: ["najdi", "hijazi"],
      type: "cloned",
      sampleUrl: created.sample_url,
      avatarUrl: null,
      stability: 0.5,
    });
  });

  it("reads absent lists as empty and absent optional fields as null, and ignores unknown keys", async () => {
    const { client } = makeClient();
    upstream.enqueue({
      kind: "success",
      omit: ["languages", "dialect", "description", "gender", "age", "type", "sample_url", "avatar_url"],
      overrides: { unexpected: { nested: true } },
    });
    const voice = await client.cloneVoice(cloneRequest());
    expect(voice).toMatchObject({
      languages: [],
      dialects: [],
      description: null,
      gender: null,
      age: null,
      type: null,
      sampleUrl: null,
      avatarUrl: null,
    });
    expect(voice).not.toHaveProperty("unexpected");
  });

  it.each([
    ["a 200 without id", { kind: "success", omit: ["id"] }],
    ["a 200 whose id is not a UUID", { kind: "success", overrides: { id: "12" } }],
    ["a 200 with an HTML body", { kind: "garbage" }],
    ["a 200 with an empty body", { kind: "raw", status: 200, body: "" }],
  ] as const)("reports %s as UPSTREAM_OUTCOME_UNKNOWN, never retried", async (_name, behaviour) => {
    const { client, logs } = makeClient();
    upstream.enqueue(behaviour);
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error).toMatchObject({
      code: "UPSTREAM_OUTCOME_UNKNOWN",
      upstreamOutcome: "unknown",
      extensions: { upstreamStatus: 200 },
    });
    expect(error.message).toContain("(HTTP 200 whose body does not match the voice-clone contract)");
    expect(upstream.requests).toHaveLength(1);
    expect(logs.some((line) => line.msg === "upstream answer does not match the contract")).toBe(true);
  });

  it("reports an answer over 1 MiB as UPSTREAM_OUTCOME_UNKNOWN", async () => {
    const { client } = makeClient();
    upstream.enqueue({ kind: "raw", status: 200, body: JSON.stringify({ padding: "x".repeat(MiB + 1) }) });
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", upstreamOutcome: "unknown" });
    expect(error.message).toContain("(its answer was unexpectedly large)");
    expect(upstream.requests).toHaveLength(1);
  });
});

describe("Faseeh's error statuses", () => {
  it.each([
    [400, "UPSTREAM_BAD_REQUEST", "Faseeh rejected the clone request (HTTP 400): Bad request."],
    [401, "UPSTREAM_UNAUTHORIZED", "Faseeh refused the gateway's API key (HTTP 401): Invalid API key. Check FASEEH_API_KEY."],
    [402, "INSUFFICIENT_BALANCE", "Faseeh wallet balance is insufficient: Insufficient wallet balance."],
    [404, "UPSTREAM_BAD_REQUEST", "Faseeh rejected the clone request (HTTP 404): Not found."],
    [429, "RATE_LIMITED", "Faseeh is rate limiting requests: Too many requests."],
  ] as const)("maps a documented %i to %s: a refusal, never retried", async (status, code, message) => {
    const { client, logs } = makeClient();
    upstream.enqueue({ kind: "error", status });
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error).toMatchObject({
      code,
      message,
      upstreamOutcome: "rejected",
      extensions: { code, upstreamStatus: status, upstreamErrorCode: `${status}01` },
    });
    expect(error.extensions).not.toHaveProperty("retryAfterSeconds");
    expect(upstream.requests).toHaveLength(1);
    expect(retriesLogged(logs)).toBe(0);
  });

  it("gets a real 401 for a wrong key, sent in x-api-key", async () => {
    const { client } = makeClient({ FASEEH_API_KEY: "not-the-key-faseeh-knows" });
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error).toMatchObject({
      code: "UPSTREAM_UNAUTHORIZED",
      extensions: { upstreamStatus: 401, upstreamErrorCode: "40101" },
    });
    expect(upstream.requests[0]!.apiKey).toBe("not-the-key-faseeh-knows");
    expect(upstream.createdVoices).toHaveLength(0);
  });

  it("hands a 429's Retry-After beyond UPSTREAM_RETRY_MAX_WAIT_MS to the caller instead of waiting", async () => {
    const { client } = makeClient();
    upstream.enqueue({ kind: "error", status: 429, headers: { "retry-after": "30" } });
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error).toMatchObject({
      code: "RATE_LIMITED",
      message: "Faseeh is rate limiting requests: Too many requests. Retry after 30 s.",
      upstreamOutcome: "rejected",
      extensions: { retryAfterSeconds: 30, upstreamStatus: 429 },
    });
    expect(upstream.requests).toHaveLength(1);
  });

  it("waits out a 429's short Retry-After and sends every byte again", async () => {
    const { client, logs } = makeClient();
    const voiceFile = new BytesSource(noisyWav(2 * MiB, 108), "preview.wav");
    const referenceAudioFile = new BytesSource(noisyWav(MiB + 3, 109), "original.wav");
    upstream.enqueue({ kind: "error", status: 429, headers: { "retry-after": "0" } });
    const voice = await client.cloneVoice(cloneRequest({ voiceFile, referenceAudioFile }));
    expect(upstream.requests).toHaveLength(2);
    const expected = { voice_file: digest(voiceFile.content), reference_audio_file: digest(referenceAudioFile.content) };
    expect(upstream.requests.map(filesOf)).toEqual([expected, expected]);
    expect([voiceFile.opens, referenceAudioFile.opens]).toEqual([2, 2]);
    expect(upstream.createdVoices.map((created) => created.voice_id)).toEqual([voice.voiceId]);
    expect(retriesLogged(logs)).toBe(1);
  });

  it("stops after UPSTREAM_MAX_ATTEMPTS with the last answer", async () => {
    const { client } = makeClient({ UPSTREAM_MAX_ATTEMPTS: "2" });
    const busy = { kind: "error", status: 429, headers: { "retry-after": "0" } } as const;
    upstream.enqueue(busy, busy, busy);
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error).toMatchObject({ code: "RATE_LIMITED", extensions: { retryAfterSeconds: 0 } });
    expect(upstream.requests).toHaveLength(2);
  });

  it.each([
    [
      "a 500",
      { kind: "error", status: 500 },
      "HTTP 500: Internal server error",
      { upstreamStatus: 500, upstreamErrorCode: "50001" },
    ],
    [
      "a 503 even with Retry-After: 0",
      { kind: "error", status: 503, headers: { "retry-after": "0" } },
      "HTTP 503: Service unavailable",
      { upstreamStatus: 503 },
    ],
    ["an undocumented 409", { kind: "error", status: 409 }, "HTTP 409: Upstream error", { upstreamStatus: 409 }],
    [
      "a 400 without Faseeh's JSON body",
      { kind: "garbage", status: 400 },
      "HTTP 400 without Faseeh's JSON error body",
      { upstreamStatus: 400 },
    ],
    [
      "a 502 HTML page from a proxy",
      { kind: "raw", status: 502, body: "<h1>Bad Gateway</h1>", contentType: "text/html" },
      "HTTP 502",
      { upstreamStatus: 502 },
    ],
  ] as const)(
    "reports %s after the whole request as UPSTREAM_OUTCOME_UNKNOWN, never retried",
    async (_name, behaviour, said, extensions) => {
      const { client } = makeClient();
      upstream.enqueue(behaviour);
      const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
      expect(error).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", upstreamOutcome: "unknown", extensions });
      expect(error.message).toContain(`(${said})`);
      expect(upstream.requests).toHaveLength(1);
    },
  );

  it("never passes on Faseeh's message with the gateway's API key in it", async () => {
    const { client } = makeClient();
    upstream.enqueue({ kind: "error", status: 400, errorMessage: `key ${upstream.apiKey} is not allowed to clone` });
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error.extensions.upstreamErrorMessage).toBe("key [redacted] is not allowed to clone");
    expect(error.message).not.toContain(upstream.apiKey);
  });
});

describe("transport failures", () => {
  it("reports no answer within UPSTREAM_TIMEOUT_MS after the whole request as UPSTREAM_OUTCOME_UNKNOWN", async () => {
    const { client } = makeClient({ UPSTREAM_TIMEOUT_MS: "500" });
    upstream.enqueue({ kind: "hang" });
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", upstreamOutcome: "unknown" });
    expect(error.message).toContain("(no answer within 500 ms)");
    expect(upstream.requests).toHaveLength(1);
  });

  it("reports a connection reset after the whole request as UPSTREAM_OUTCOME_UNKNOWN", async () => {
    const { client } = makeClient();
    upstream.enqueue({ kind: "reset" });
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", upstreamOutcome: "unknown" });
    expect(error.message).toContain("(the connection was closed before an answer arrived)");
    expect(upstream.requests).toHaveLength(1);
  });

  /**
   * A live upload's pace: the first send of the file stops after its first MiB
   * until Faseeh has reset the connection, so the request cannot be complete
   * when the reset comes (an in-memory body would otherwise be handed to the
   * socket whole, and the client must then treat the outcome as unknown).
   */
  const untilReset = (seed: number, size: number) => {
    const source: BytesSource = new BytesSource(noisyWav(size, seed), "preview.wav", (content) =>
      chunksOf(content, (offset) =>
        source.opens === 1 && offset >= MiB
          ? waitFor(() => upstream.requests.length > 0, 10_000, "the reset")
          : Promise.resolve(),
      ),
    );
    return source;
  };

  it("retries a connection reset before the request was complete, resending both MiB files byte for byte", async () => {
    const { client, logs } = makeClient();
    const voiceFile = untilReset(110, 2 * MiB);
    const referenceAudioFile = new BytesSource(noisyWav(MiB + 12_345, 111), "original.wav");
    upstream.enqueue({ kind: "resetBeforeBody" });
    const voice = await client.cloneVoice(cloneRequest({ voiceFile, referenceAudioFile }));
    expect(upstream.requests.map((received) => received.aborted)).toEqual([true, false]);
    expect(filesOf(upstream.requests[1]!)).toEqual({
      voice_file: digest(voiceFile.content),
      reference_audio_file: digest(referenceAudioFile.content),
    });
    expect(upstream.createdVoices.map((created) => created.voice_id)).toEqual([voice.voiceId]);
    expect(retriesLogged(logs)).toBe(1);
  });

  it("reports a reset before the request was complete, once out of attempts, as UPSTREAM_UNAVAILABLE: nothing was created", async () => {
    const { client } = makeClient({ UPSTREAM_MAX_ATTEMPTS: "1" });
    upstream.enqueue({ kind: "resetBeforeBody" });
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest({ voiceFile: untilReset(118, 2 * MiB) })));
    expect(error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", upstreamOutcome: "rejected" });
    expect(upstream.createdVoices).toHaveLength(0);
  });

  it("treats a reset as UPSTREAM_OUTCOME_UNKNOWN once the whole request was handed to the socket, even if Faseeh never read it", async () => {
    // Conservative by design: the client cannot tell what Faseeh read, only what it sent.
    const { client } = makeClient();
    upstream.enqueue({ kind: "resetBeforeBody" });
    const completed: boolean[] = [];
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest({ onComplete: () => completed.push(true) })));
    expect(completed).toEqual([true]);
    expect(error).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", upstreamOutcome: "unknown" });
    expect(upstream.requests.map((received) => received.aborted)).toEqual([true]);
  });

  it("retries a refused connection and then reports it as UPSTREAM_UNAVAILABLE", async () => {
    const port = await closedPort();
    const { client, logs, metrics } = makeClient({
      FASEEH_BASE_URL: `http://127.0.0.1:${port}/api/v1`,
      UPSTREAM_MAX_ATTEMPTS: "3",
    });
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: "Faseeh is unavailable: connection refused. Try again later.",
      upstreamOutcome: "rejected",
    });
    expect(retriesLogged(logs)).toBe(2);
    const samples = (await metrics.upstreamDuration.get()).values.filter((sample) => sample.metricName?.endsWith("_count"));
    expect(samples.map((sample) => ({ labels: sample.labels, value: sample.value }))).toEqual([
      { labels: { operation: "cloneVoice", status: "error" }, value: 3 },
    ]);
  });

  it("retries a refused connection until Faseeh listens, sending every byte of both files", async () => {
    const port = await closedPort();
    const { client, logs } = makeClient({ FASEEH_BASE_URL: `http://127.0.0.1:${port}/api/v1`, UPSTREAM_MAX_ATTEMPTS: "8" });
    const voiceFile = new BytesSource(noisyWav(2 * MiB, 112), "preview.wav");
    const referenceAudioFile = new BytesSource(noisyWav(2 * MiB + 1, 113), "original.wav");
    const call = client.cloneVoice(cloneRequest({ voiceFile, referenceAudioFile }));
    // A refused connection never pulls the body: the retry shows in the log.
    await waitFor(() => retriesLogged(logs) >= 1, 10_000, "a retry after the refused connection");
    const late = await startFakeFaseeh({ port });
    try {
      const voice = await call;
      expect(late.requests).toHaveLength(1);
      expect(filesOf(late.requests[0]!)).toEqual({
        voice_file: digest(voiceFile.content),
        reference_audio_file: digest(referenceAudioFile.content),
      });
      expect(late.createdVoices.map((created) => created.voice_id)).toEqual([voice.voiceId]);
    } finally {
      await late.close();
    }
  });

  it("refuses to call at all without FASEEH_API_KEY (UPSTREAM_NOT_CONFIGURED)", async () => {
    const { client } = makeClient({ FASEEH_API_KEY: undefined });
    expect(client.isConfigured).toBe(false);
    const source = new BytesSource(noisyWav(8 * 1024, 114));
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest({ voiceFile: source })));
    expect(error.code).toBe("UPSTREAM_NOT_CONFIGURED");
    expect((await gatewayErrorOf(client.findVoice("voice_x"))).code).toBe("UPSTREAM_NOT_CONFIGURED");
    expect(source.opens).toBe(0);
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("cancellation", () => {
  it("sends nothing when the signal is already aborted", async () => {
    const { client } = makeClient();
    const source = new BytesSource(noisyWav(8 * 1024, 115));
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest({ voiceFile: source }), AbortSignal.abort()));
    expect(error).toMatchObject({
      code: "BAD_REQUEST",
      message: "The client went away before Faseeh had the whole request; nothing was sent to completion.",
      upstreamOutcome: "rejected",
    });
    expect(source.opens).toBe(0);
    expect(upstream.requests).toHaveLength(0);
  });

  it("aborts mid-upload: Faseeh gets an incomplete request and creates nothing; no retry", async () => {
    const { client } = makeClient();
    const controller = new AbortController();
    const stalled = new BytesSource(noisyWav(3 * MiB, 116), "preview.wav", (content) =>
      chunksOf(content, (offset) => (offset >= MiB ? new Promise<void>(() => undefined) : Promise.resolve())),
    );
    const call = client.cloneVoice(cloneRequest({ voiceFile: stalled }), controller.signal);
    await waitFor(() => upstream.inFlight === 1, 10_000, "the upload to reach the fake");
    controller.abort();
    const error = await gatewayErrorOf(call);
    expect(error).toMatchObject({ code: "BAD_REQUEST", upstreamOutcome: "rejected" });
    await waitFor(() => upstream.requests.length === 1, 10_000, "the fake to record the aborted request");
    expect(upstream.requests[0]!.aborted).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
    expect(stalled.opens).toBe(1);
  });

  it("answers with the abort's reason when it is a GatewayError (shutdown)", async () => {
    const { client } = makeClient();
    const controller = new AbortController();
    const shutdown = new GatewayError("SERVICE_UNAVAILABLE", "The gateway is shutting down.");
    const stalled = new BytesSource(noisyWav(2 * MiB, 117), "preview.wav", (content) =>
      chunksOf(content, (offset) => (offset >= MiB ? new Promise<void>(() => undefined) : Promise.resolve())),
    );
    const call = client.cloneVoice(cloneRequest({ voiceFile: stalled }), controller.signal);
    await waitFor(() => upstream.inFlight === 1, 10_000, "the upload to reach the fake");
    controller.abort(shutdown);
    const error = await gatewayErrorOf(call);
    expect(error).toBe(shutdown);
    expect(error.upstreamOutcome).toBe("rejected");
  });

  it("runs to Faseeh's answer when the abort comes after the closing boundary", async () => {
    const { client } = makeClient();
    const controller = new AbortController();
    upstream.enqueue({ kind: "delay", ms: 300, then: { kind: "success" } });
    const voice = await client.cloneVoice(cloneRequest({ onComplete: () => controller.abort() }), controller.signal);
    expect(controller.signal.aborted).toBe(true);
    expect(upstream.createdVoices.map((created) => created.voice_id)).toEqual([voice.voiceId]);
  });

  it("stops waiting to retry when aborted during a Retry-After wait", async () => {
    const { client, logs } = makeClient();
    const controller = new AbortController();
    upstream.enqueue({ kind: "error", status: 429, headers: { "retry-after": "1" } });
    const call = client.cloneVoice(cloneRequest(), controller.signal);
    await waitFor(() => retriesLogged(logs) === 1, 10_000, "the retry wait to begin");
    controller.abort();
    const error = await gatewayErrorOf(call);
    expect(error).toMatchObject({ code: "BAD_REQUEST", upstreamOutcome: "rejected" });
    expect(upstream.requests).toHaveLength(1);
  });
});

describe("findVoice", () => {
  it("finds a voice in Faseeh's list by voice_id, and answers null for one it does not list", async () => {
    const { client } = makeClient();
    const cloned = await client.cloneVoice(cloneRequest({ dialects: ["najdi"] }));
    await client.cloneVoice(cloneRequest({ name: "Omar" }));
    const found = await client.findVoice(cloned.voiceId);
    expect(found).toMatchObject({ id: cloned.id, voice_id: cloned.voiceId, name: "Layla", dialect: ["najdi"] });
    expect(await client.findVoice("voice_unknown")).toBeNull();
  });

  it.each([
    ["{ voices: [...] }", (item: unknown) => ({ voices: [item] })],
    ["{ data: [...] }", (item: unknown) => ({ data: [item] })],
  ])("reads a list wrapped as %s, skipping malformed items", async (_shape, wrap) => {
    const { client } = makeClient();
    const body = wrap({ voice_id: "voice_a", name: "A", stability: "not a number", id: "not-a-uuid" }) as Record<
      string,
      unknown[]
    >;
    const list = Object.values(body)[0]!;
    list.unshift({ name: "no voice_id" }, "not an object", null);
    upstream.setVoiceList({ kind: "raw", status: 200, body: JSON.stringify(body) });
    // Wrongly typed optional fields are dropped, not fatal.
    expect(await client.findVoice("voice_a")).toEqual({ voice_id: "voice_a", name: "A" });
  });

  it.each([
    ["a 401", { kind: "error", status: 401 }, "UPSTREAM_UNAUTHORIZED"],
    ["a 500", { kind: "error", status: 500 }, "UPSTREAM_UNAVAILABLE"],
    ["a body that is not JSON", { kind: "garbage" }, "UPSTREAM_UNAVAILABLE"],
    ["JSON that is no list", { kind: "raw", status: 200, body: '{"total": 3}' }, "UPSTREAM_UNAVAILABLE"],
  ] as const)("fails on %s with %s", async (_name, behaviour, code) => {
    const { client } = makeClient();
    upstream.setVoiceList(behaviour);
    expect((await gatewayErrorOf(client.findVoice("voice_a"))).code).toBe(code);
  });

  it("reports a refused connection as UPSTREAM_UNAVAILABLE", async () => {
    const port = await closedPort();
    const { client } = makeClient({ FASEEH_BASE_URL: `http://127.0.0.1:${port}/api/v1` });
    expect(await gatewayErrorOf(client.findVoice("voice_a"))).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: "Faseeh is unavailable: connection refused. Try again later.",
    });
  });
});

describe("close", () => {
  it("closes its keep-alive connections to Faseeh", async () => {
    const { client } = makeClient();
    await client.cloneVoice(cloneRequest());
    expect(upstream.connections).toBeGreaterThan(0);
    await client.close();
    await waitFor(() => upstream.connections === 0, 10_000, "the pool's sockets to close");
    expect(upstream.connections).toBe(0);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates", () => {
    const now = Date.parse("2026-11-26T10:00:00Z");
    expect(parseRetryAfter("12", now)).toBe(12);
    expect(parseRetryAfter("Thu, 26 Nov 2026 10:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Thu, 26 Nov 2026 09:59:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("takes the first of repeated headers, and ignores blank ones", () => {
    const now = Date.parse("2026-11-26T10:00:00Z");
    expect(parseRetryAfter(["5", "60"], now)).toBe(5);
    expect(parseRetryAfter(" 7 ", now)).toBe(7);
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter([], now)).toBeUndefined();
  });
});
