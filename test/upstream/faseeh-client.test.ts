// FaseehClient on its own, over real HTTP against the fake Faseeh (a real
// server on 127.0.0.1 that parses the multipart body): the request it sends
// (fields, comma-separated lists, both files byte for byte, the x-api-key
// header), how it reads answers, how every status and transport failure maps
// to a GatewayError and its upstreamOutcome, when it retries (only when
// Faseeh certainly created nothing), and how a cancelled call behaves before
// and after the closing boundary. Constructed as src/container.ts does, from
// loadConfig. The gateway-level retry tests live in
// test/services/clone/clone-service.upstream.test.ts.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
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
  type PreviewVoiceRequest,
} from "../../src/upstream/faseeh-client.js";
import { MiB, noisyWav, sha256 } from "../../dev/audio-fixtures.js";
import {
  DEFAULT_FAKE_MODELS,
  type FakeBehaviour,
  type FakeFaseeh,
  fakePreviewSamples,
  filesOf,
  PREVIEW_CONTENT_TYPE,
  type ReceivedCloneRequest,
  startFakeFaseeh,
} from "../../dev/fake-faseeh.js";
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

/** How a BytesSource streams its content, told which open() this is (1 for the first). */
type Body = (content: Buffer, opens: number) => AsyncIterable<Uint8Array>;

/** An AudioSource over bytes in memory: every open() streams them again; fileDigest() is their true digest. */
class BytesSource implements AudioSource {
  opens = 0;

  constructor(
    readonly content: Buffer,
    readonly filename = "preview.wav",
    private readonly body: Body = (content) => chunksOf(content),
  ) {}

  open(): Promise<AudioPart> {
    this.opens++;
    return Promise.resolve({ filename: this.filename, contentType: "audio/wav", body: this.body(this.content, this.opens) });
  }

  fileDigest(): Promise<FileDigest> {
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

/** The upstream duration histogram's counts: how many calls, by operation and status. */
async function durationCounts(metrics: Metrics) {
  const samples = (await metrics.upstreamDuration.get()).values.filter((sample) => sample.metricName?.endsWith("_count"));
  return samples.map((sample) => ({ labels: sample.labels, value: sample.value }));
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

let previewDir: string;
let previewFiles = 0;

beforeAll(async () => {
  previewDir = await mkdtemp(path.join(os.tmpdir(), "gw-faseeh-preview-test-"));
});
afterAll(async () => {
  await rm(previewDir, { recursive: true, force: true });
});

/** A fresh path in the test's directory, which the client must create. */
const audioPath = () => path.join(previewDir, `preview-${++previewFiles}.pcm`);

const PREVIEW_TEXT = "مرحبا بكم في فصيح، هذه معاينة قصيرة للصوت المستنسخ";

function previewRequest(overrides: Partial<PreviewVoiceRequest> = {}): PreviewVoiceRequest {
  return {
    file: new BytesSource(noisyWav(64 * 1024, 201), "recording.wav"),
    text: PREVIEW_TEXT,
    similarity: 0.8,
    modelId: "faseeh-v1",
    speed: 1,
    audioPath: audioPath(),
    maxAudioBytes: 8 * MiB,
    ...overrides,
  };
}

/** What a `success` preview of `text` at `speed` streams: its byte count. */
const toneBytes = (text = PREVIEW_TEXT, speed = 1) => 2 * fakePreviewSamples(text, speed);

/**
 * A live upload's pace: the first send of the file stops after its first MiB
 * until Faseeh has reset the connection (the reset shows in `requests`), so the
 * request cannot be complete when the reset comes (an in-memory body would
 * otherwise be handed to the socket whole, and the client must then treat the
 * outcome as unknown).
 */
const untilReset =
  (requests: () => ReceivedCloneRequest[]): Body =>
  (content, opens) =>
    chunksOf(content, (offset) =>
      opens === 1 && offset >= MiB ? waitFor(() => requests().length > 0, 10_000, "the reset") : Promise.resolve(),
    );

/**
 * Settles `call`, failing the test if meanwhile an error went unhandled: in
 * the gateway (no uncaughtException handler) each would crash the process.
 * An undici body destroyed before it was read emits its 'error' one
 * setImmediate later, so the check comes a few turns of the event loop
 * after the call settles: by then any such error has been emitted.
 */
async function withoutUncaught<T>(call: () => Promise<T>): Promise<T> {
  const uncaught: unknown[] = [];
  const collect = (error: unknown) => void uncaught.push(error);
  process.on("uncaughtException", collect);
  try {
    const result = await call();
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(uncaught.map(String), "errors nobody handled (each would crash the gateway)").toEqual([]);
    return result;
  } finally {
    process.off("uncaughtException", collect);
  }
}

/** A request's file parts, by multipart field name. */
type Parts = Record<string, BytesSource>;

/** `of` of every file part, by field name. */
const eachPart = <T>(parts: Parts, of: (part: BytesSource) => T): Record<string, T> =>
  Object.fromEntries(Object.entries(parts).map(([field, part]) => [field, of(part)]));

interface SendOptions {
  /** Seed and size of the first file part's content; the other parts' follow from them. */
  seed?: number;
  size?: number;
  /** How the first file part streams its content on each open. */
  body?: Body;
  signal?: AbortSignal;
}

/** A call on its way. */
interface Sent {
  /** The file parts it sends. */
  parts: Parts;
  /** Settles as the call does. */
  done: Promise<unknown>;
  /** Asserts that Faseeh made, once, what the call answered, and that the client kept what it should of it. */
  expectMade: () => Promise<void>;
  /** Asserts that Faseeh made nothing, and that the client kept nothing. */
  expectNothingMade: () => void;
}

/** One of the client's multipart calls, as the cases they share see it. */
interface MultipartCall {
  /** The client's method (and the operation its messages and metrics name). */
  method: "cloneVoice" | "previewVoice";
  /** How the client's messages name the request. */
  request: string;
  /** What an UPSTREAM_OUTCOME_UNKNOWN message says Faseeh may have done. */
  consequence: string;
  /** Scripts Faseeh's answers to this call. */
  enqueue: (...behaviours: FakeBehaviour[]) => void;
  /** This call's requests as Faseeh received them, in order. */
  requests: () => ReceivedCloneRequest[];
  send(client: FaseehClient, options?: SendOptions): Sent;
}

const multipartCalls: MultipartCall[] = [
  {
    method: "cloneVoice",
    request: "clone request",
    consequence: "The voice may or may not exist, so the gateway will not send this request again.",
    enqueue: (...behaviours) => upstream.enqueue(...behaviours),
    requests: () => upstream.requests,
    send(client, { seed = 1, size = 64 * 1024, body, signal } = {}) {
      const parts = {
        voice_file: new BytesSource(noisyWav(size, seed), "preview.wav", body),
        reference_audio_file: new BytesSource(noisyWav(size + 12_345, seed + 1), "original.wav"),
      };
      const voice = client.cloneVoice(
        cloneRequest({ voiceFile: parts.voice_file, referenceAudioFile: parts.reference_audio_file }),
        signal,
      );
      const expectMade = async () => {
        expect(upstream.createdVoices.map((created) => created.voice_id)).toEqual([(await voice).voiceId]);
      };
      const expectNothingMade = () => {
        expect(upstream.createdVoices).toHaveLength(0);
      };
      return { parts, done: voice, expectMade, expectNothingMade };
    },
  },
  {
    method: "previewVoice",
    request: "preview request",
    consequence:
      "Faseeh may have produced (and billed) the preview, so the gateway will not send this request again; nothing was kept.",
    enqueue: (...behaviours) => upstream.enqueuePreview(...behaviours),
    requests: () => upstream.previewRequests,
    send(client, { seed = 201, size = 64 * 1024, body, signal } = {}) {
      const parts = { file: new BytesSource(noisyWav(size, seed), "recording.wav", body) };
      const request = previewRequest({ file: parts.file });
      const audio = client.previewVoice(request, signal);
      const expectMade = async () => {
        const kept = await audio;
        expect(upstream.previews).toEqual([{ size: kept.size, sha256: kept.sha256 }]);
        expect(digest(await readFile(request.audioPath))).toEqual(upstream.previews[0]);
      };
      const expectNothingMade = () => {
        expect(upstream.previews).toHaveLength(0);
        expect(existsSync(request.audioPath)).toBe(false);
      };
      return { parts, done: audio, expectMade, expectNothingMade };
    },
  },
];

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
      fileDigest: () => late.fileDigest(),
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
          fileDigest: () => reference.fileDigest(),
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
      fileDigest: () => Promise.resolve({ size: content.length, sha256: sha256(Buffer.from("something else")) }),
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
        cloneRequest({ referenceAudioFile: { open: () => Promise.reject(missing), fileDigest: () => Promise.reject(missing) } }),
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
  it("stops after UPSTREAM_MAX_ATTEMPTS with the last answer", async () => {
    const { client } = makeClient({ UPSTREAM_MAX_ATTEMPTS: "2" });
    const busy = { kind: "error", status: 429, headers: { "retry-after": "0" } } as const;
    upstream.enqueue(busy, busy, busy);
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest()));
    expect(error).toMatchObject({ code: "RATE_LIMITED", extensions: { retryAfterSeconds: 0 } });
    expect(upstream.requests).toHaveLength(2);
  });

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

  it("reports a reset before the request was complete, once out of attempts, as UPSTREAM_UNAVAILABLE: nothing was created", async () => {
    const { client } = makeClient({ UPSTREAM_MAX_ATTEMPTS: "1" });
    upstream.enqueue({ kind: "resetBeforeBody" });
    const voiceFile = new BytesSource(
      noisyWav(2 * MiB, 118),
      "preview.wav",
      untilReset(() => upstream.requests),
    );
    const error = await gatewayErrorOf(client.cloneVoice(cloneRequest({ voiceFile })));
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
    expect(await durationCounts(metrics)).toEqual([{ labels: { operation: "cloneVoice", status: "error" }, value: 3 }]);
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
});

describe("cancellation", () => {
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

  it("refuses to call at all without FASEEH_API_KEY (UPSTREAM_NOT_CONFIGURED)", async () => {
    const { client } = makeClient({ FASEEH_API_KEY: undefined });
    expect((await gatewayErrorOf(client.findVoice("voice_x"))).code).toBe("UPSTREAM_NOT_CONFIGURED");
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

for (const call of multipartCalls) {
  describe(`${call.method}, as every multipart call`, () => {
    it.each([
      [400, "UPSTREAM_BAD_REQUEST", `Faseeh rejected the ${call.request} (HTTP 400): Bad request.`],
      [401, "UPSTREAM_UNAUTHORIZED", "Faseeh refused the gateway's API key (HTTP 401): Invalid API key. Check FASEEH_API_KEY."],
      [402, "INSUFFICIENT_BALANCE", "Faseeh wallet balance is insufficient: Insufficient wallet balance."],
      [404, "UPSTREAM_BAD_REQUEST", `Faseeh rejected the ${call.request} (HTTP 404): Not found.`],
      [429, "RATE_LIMITED", "Faseeh is rate limiting requests: Too many requests."],
    ] as const)(
      "maps a documented %i to %s: a refusal, never retried, nothing made or written",
      async (status, code, message) => {
        const { client, logs } = makeClient();
        call.enqueue({ kind: "error", status });
        const sent = call.send(client);
        const error = await gatewayErrorOf(sent.done);
        expect(error).toMatchObject({
          code,
          message,
          upstreamOutcome: "rejected",
          extensions: { code, upstreamStatus: status, upstreamErrorCode: `${status}01` },
        });
        expect(error.extensions).not.toHaveProperty("retryAfterSeconds");
        expect(call.requests()).toHaveLength(1);
        expect(retriesLogged(logs)).toBe(0);
        sent.expectNothingMade();
      },
    );

    it("gets a real 401 for a wrong key, sent in x-api-key", async () => {
      const { client } = makeClient({ FASEEH_API_KEY: "not-the-key-faseeh-knows" });
      const sent = call.send(client);
      const error = await gatewayErrorOf(sent.done);
      expect(error).toMatchObject({
        code: "UPSTREAM_UNAUTHORIZED",
        extensions: { upstreamStatus: 401, upstreamErrorCode: "40101" },
      });
      expect(call.requests()[0]!.apiKey).toBe("not-the-key-faseeh-knows");
      sent.expectNothingMade();
    });

    it("hands a 429's Retry-After beyond UPSTREAM_RETRY_MAX_WAIT_MS to the caller instead of waiting", async () => {
      const { client } = makeClient();
      call.enqueue({ kind: "error", status: 429, headers: { "retry-after": "30" } });
      const error = await gatewayErrorOf(call.send(client).done);
      expect(error).toMatchObject({
        code: "RATE_LIMITED",
        message: "Faseeh is rate limiting requests: Too many requests. Retry after 30 s.",
        upstreamOutcome: "rejected",
        extensions: { retryAfterSeconds: 30, upstreamStatus: 429 },
      });
      expect(call.requests()).toHaveLength(1);
    });

    it("waits out a 429's short Retry-After and sends every byte of every file again", async () => {
      const { client, logs } = makeClient();
      call.enqueue({ kind: "error", status: 429, headers: { "retry-after": "0" } });
      const sent = call.send(client, { seed: 108, size: 2 * MiB });
      await sent.done;
      expect(call.requests()).toHaveLength(2);
      const expected = eachPart(sent.parts, (part) => digest(part.content));
      expect(call.requests().map(filesOf)).toEqual([expected, expected]);
      expect(eachPart(sent.parts, (part) => part.opens)).toEqual(eachPart(sent.parts, () => 2));
      await sent.expectMade();
      expect(retriesLogged(logs)).toBe(1);
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
        call.enqueue(behaviour);
        const sent = call.send(client);
        const error = await gatewayErrorOf(sent.done);
        expect(error).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", upstreamOutcome: "unknown", extensions });
        expect(error.message).toBe(
          `Faseeh received the whole ${call.request}, but no definitive answer came back (${said}). ${call.consequence}`,
        );
        expect(call.requests()).toHaveLength(1);
        sent.expectNothingMade();
      },
    );

    it("reports a connection reset after the whole request as UPSTREAM_OUTCOME_UNKNOWN, never retried", async () => {
      const { client } = makeClient();
      call.enqueue({ kind: "reset" });
      const error = await gatewayErrorOf(call.send(client).done);
      expect(error).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", upstreamOutcome: "unknown" });
      expect(error.message).toContain("(the connection was closed before an answer arrived)");
      expect(call.requests()).toHaveLength(1);
    });

    it("retries a connection reset before the request was complete, resending every MiB file byte for byte", async () => {
      const { client, logs } = makeClient();
      call.enqueue({ kind: "resetBeforeBody" });
      const sent = call.send(client, { seed: 110, size: 2 * MiB, body: untilReset(call.requests) });
      await sent.done;
      expect(call.requests().map((received) => received.aborted)).toEqual([true, false]);
      expect(filesOf(call.requests()[1]!)).toEqual(eachPart(sent.parts, (part) => digest(part.content)));
      expect(eachPart(sent.parts, (part) => part.opens)).toEqual(eachPart(sent.parts, () => 2));
      await sent.expectMade();
      expect(retriesLogged(logs)).toBe(1);
    });

    it("sends nothing when the signal is already aborted", async () => {
      const { client } = makeClient();
      const sent = call.send(client, { seed: 115, size: 8 * 1024, signal: AbortSignal.abort() });
      const error = await gatewayErrorOf(sent.done);
      expect(error).toMatchObject({
        code: "BAD_REQUEST",
        message: "The client went away before Faseeh had the whole request; nothing was sent to completion.",
        upstreamOutcome: "rejected",
      });
      expect(eachPart(sent.parts, (part) => part.opens)).toEqual(eachPart(sent.parts, () => 0));
      expect(call.requests()).toHaveLength(0);
    });

    it("refuses to call at all without FASEEH_API_KEY (UPSTREAM_NOT_CONFIGURED)", async () => {
      const { client } = makeClient({ FASEEH_API_KEY: undefined });
      expect(client.isConfigured).toBe(false);
      const sent = call.send(client, { seed: 114, size: 8 * 1024 });
      const error = await gatewayErrorOf(sent.done);
      expect(error.code).toBe("UPSTREAM_NOT_CONFIGURED");
      expect(eachPart(sent.parts, (part) => part.opens)).toEqual(eachPart(sent.parts, () => 0));
      expect(call.requests()).toHaveLength(0);
      sent.expectNothingMade();
    });
  });
}

describe("previewVoice", () => {
  it("POSTs text, similarity, model_id, speed and a multi-MiB file byte for byte, and writes exactly the PCM Faseeh sent", async () => {
    const { client, metrics } = makeClient();
    const recording = noisyWav(3 * MiB + 17, 202);
    const request = previewRequest({
      file: new BytesSource(recording, "recording.wav"),
      similarity: 0.65,
      modelId: "faseeh-v2",
      speed: 1.2,
    });
    const audio = await client.previewVoice(request);

    expect(upstream.previewRequests).toHaveLength(1);
    expect(upstream.requests).toHaveLength(0);
    const received = upstream.previewRequests[0]!;
    expect(received).toMatchObject({ method: "POST", path: "/api/v1/voices/preview", apiKey: upstream.apiKey, aborted: false });
    expect(received.headers.accept).toBe("audio/raw, application/json");
    expect(received.contentType).toMatch(/^multipart\/form-data; boundary=----faseeh-gateway-[0-9a-f]{24}$/);
    expect(received.fields).toEqual({ text: PREVIEW_TEXT, similarity: "0.65", model_id: "faseeh-v2", speed: "1.2" });
    expect(received.fieldNames).toEqual(["text", "similarity", "model_id", "speed", "file"]);
    expect(filesOf(received)).toEqual({ file: digest(recording) });
    expect(received.files.map(({ filename, mimeType }) => ({ filename, mimeType }))).toEqual([
      { filename: "recording.wav", mimeType: "audio/wav" },
    ]);

    // What the fake streamed (several 16 KiB chunks), and what the client kept, byte for byte.
    expect(upstream.previews).toHaveLength(1);
    const sent = upstream.previews[0]!;
    expect(sent.size).toBe(toneBytes(PREVIEW_TEXT, 1.2));
    expect(sent.size).toBeGreaterThan(4 * 16 * 1024);
    const written = await readFile(request.audioPath);
    expect(digest(written)).toEqual(sent);
    expect(audio).toEqual({
      contentType: PREVIEW_CONTENT_TYPE,
      sampleRate: 24_000,
      channels: 1,
      size: sent.size,
      sha256: sent.sha256,
    });
    expect((await stat(request.audioPath)).mode & 0o777).toBe(0o600);

    expect(await durationCounts(metrics)).toEqual([{ labels: { operation: "previewVoice", status: "200" }, value: 1 }]);
  });

  it.each(["/v2/tts/preview", "/v2/tts/preview/"])("sends the preview to FASEEH_PREVIEW_PATH %s", async (configured) => {
    const other = await startFakeFaseeh({ previewPath: "/v2/tts/preview" });
    try {
      const { client } = makeClient({
        FASEEH_BASE_URL: other.baseUrl,
        FASEEH_API_KEY: other.apiKey,
        FASEEH_PREVIEW_PATH: configured,
      });
      const request = previewRequest();
      const audio = await client.previewVoice(request);
      expect(other.previewRequests.map((received) => received.path)).toEqual(["/api/v1/v2/tts/preview"]);
      expect(other.previews).toEqual([{ size: audio.size, sha256: audio.sha256 }]);
      expect(digest(await readFile(request.audioPath))).toEqual(other.previews[0]);
      expect(upstream.previewRequests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it("does not find the preview at the default path on a Faseeh that serves another (an UPSTREAM_BAD_REQUEST 404)", async () => {
    const other = await startFakeFaseeh({ previewPath: "/v2/tts/preview" });
    try {
      const { client } = makeClient({ FASEEH_BASE_URL: other.baseUrl, FASEEH_API_KEY: other.apiKey });
      const request = previewRequest();
      const error = await gatewayErrorOf(client.previewVoice(request));
      expect(error).toMatchObject({ code: "UPSTREAM_BAD_REQUEST", extensions: { upstreamStatus: 404 } });
      expect(other.previewRequests).toHaveLength(0);
      expect(existsSync(request.audioPath)).toBe(false);
    } finally {
      await other.close();
    }
  });

  it("passes on Faseeh's own 400 for a request it finds invalid (text too short)", async () => {
    const { client } = makeClient();
    const error = await gatewayErrorOf(client.previewVoice(previewRequest({ text: "قصير" })));
    expect(error).toMatchObject({
      code: "UPSTREAM_BAD_REQUEST",
      message: "Faseeh rejected the preview request (HTTP 400): text must be at least 3 words and 10 characters.",
      upstreamOutcome: "rejected",
      extensions: { upstreamStatus: 400, upstreamErrorCode: "40001" },
    });
    expect(upstream.previewRequests).toHaveLength(1);
    expect(upstream.previews).toHaveLength(0);
  });

  it.each([
    [
      "a 200 with a JSON body",
      { kind: "raw", status: 200, body: "{}", contentType: "application/json" },
      'HTTP 200 whose Content-Type is "application/json", not the preview\'s raw PCM audio',
    ],
    [
      "a 200 with compressed audio",
      { kind: "raw", status: 200, body: "ID3", contentType: "audio/mpeg" },
      'HTTP 200 whose Content-Type is "audio/mpeg", not the preview\'s raw PCM audio',
    ],
    [
      "a 200 with an odd-sized PCM body",
      { kind: "pcm", bytes: Buffer.alloc(3) },
      "HTTP 200 whose PCM body has 3 bytes, not a whole number of 16-bit samples",
    ],
    [
      "a 200 with an empty PCM body",
      { kind: "pcm", bytes: Buffer.alloc(0) },
      "HTTP 200 whose PCM body has 0 bytes, not a whole number of 16-bit samples",
    ],
  ] as const)("reports %s as UPSTREAM_OUTCOME_UNKNOWN, never retried", async (_name, behaviour, said) => {
    const { client, logs } = makeClient();
    upstream.enqueuePreview(behaviour);
    const error = await withoutUncaught(() => gatewayErrorOf(client.previewVoice(previewRequest())));
    expect(error).toMatchObject({
      code: "UPSTREAM_OUTCOME_UNKNOWN",
      upstreamOutcome: "unknown",
      extensions: { upstreamStatus: 200 },
    });
    expect(error.message).toContain(`Faseeh received the whole preview request, but no definitive answer came back (${said}).`);
    expect(upstream.previewRequests).toHaveLength(1);
    expect(retriesLogged(logs)).toBe(0);
    expect(logs.some((line) => line.msg === "upstream answer does not match the contract")).toBe(true);
  });

  it("accepts an answer of exactly maxAudioBytes", async () => {
    const { client } = makeClient();
    const request = previewRequest({ maxAudioBytes: toneBytes() });
    const audio = await client.previewVoice(request);
    expect(audio.size).toBe(toneBytes());
    expect(digest(await readFile(request.audioPath))).toEqual(upstream.previews[0]);
  });

  it("reports an answer over maxAudioBytes as UPSTREAM_OUTCOME_UNKNOWN, never retried", async () => {
    const { client, logs } = makeClient();
    const error = await withoutUncaught(() =>
      gatewayErrorOf(client.previewVoice(previewRequest({ maxAudioBytes: toneBytes() - 2 }))),
    );
    expect(error).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", upstreamOutcome: "unknown" });
    expect(error.message).toContain("Faseeh received the whole preview request");
    expect(error.message).toContain("(its answer was unexpectedly large)");
    expect(upstream.previewRequests).toHaveLength(1);
    expect(retriesLogged(logs)).toBe(0);
  });

  it("reports a PCM body broken off by a connection reset as UPSTREAM_OUTCOME_UNKNOWN, never retried", async () => {
    const { client, logs } = makeClient();
    upstream.enqueuePreview({ kind: "pcmThenReset", bytesBeforeReset: 40_000 });
    const error = await withoutUncaught(() => gatewayErrorOf(client.previewVoice(previewRequest())));
    expect(error).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", upstreamOutcome: "unknown" });
    expect(error.message).toContain("Faseeh received the whole preview request");
    expect(upstream.previewRequests).toHaveLength(1);
    expect(upstream.previews).toHaveLength(0);
    expect(retriesLogged(logs)).toBe(0);
  });

  it("never overwrites an existing file at audioPath", async () => {
    const { client } = makeClient();
    const request = previewRequest();
    await writeFile(request.audioPath, "kept");
    const error = await withoutUncaught(() => gatewayErrorOf(client.previewVoice(request)));
    expect(error).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", upstreamOutcome: "unknown" });
    expect(await readFile(request.audioPath, "utf8")).toBe("kept");
    expect(upstream.previewRequests).toHaveLength(1);
  });
});

describe("listModels", () => {
  it("lists Faseeh's models in our naming, sending x-api-key", async () => {
    const { client, metrics } = makeClient();
    const models = await client.listModels();
    expect(models.map((model) => model.id)).toEqual(DEFAULT_FAKE_MODELS.map((model) => model.id));
    expect(models).toEqual([
      {
        id: "3f1c2a9e-5b7d-4e21-9a0c-6d8e1f2b3c41",
        modelId: "faseeh-v1",
        name: "Faseeh v1",
        costPerCharacter: 0.00003,
        description: "General-purpose Arabic voice model",
      },
      {
        id: "8a4d6e2b-1c3f-4b5a-8e7d-2f9c0b1a6d52",
        modelId: "faseeh-v1-pro",
        name: "Faseeh v1 Pro",
        costPerCharacter: 0.00006,
        description: "Higher-fidelity v1 for long-form narration",
      },
      {
        id: "c7e9b1d3-4f6a-4c8e-b2d0-9e1f3a5c7b63",
        modelId: "faseeh-v2",
        name: "Faseeh v2",
        costPerCharacter: 0.00005,
        description: "Second generation, closer voice similarity",
      },
      {
        id: "e2b4d6f8-0a1c-4e3b-9d5f-7a9c1e3b5d74",
        modelId: "faseeh-mini",
        name: "Faseeh Mini",
        costPerCharacter: 0.00001,
        description: null,
      },
    ]);
    // The fake answers 401 to a missing or wrong key: the list proves the key was sent.
    expect(upstream.modelRequests).toBe(1);
    expect(await durationCounts(metrics)).toEqual([{ labels: { operation: "listModels", status: "200" }, value: 1 }]);
  });

  it("lists what setModels(...) set", async () => {
    const { client } = makeClient();
    upstream.setModels([{ id: "m-1", model_id: "faseeh-v3", model_name: "Faseeh v3", cost: 0.0001, description: "Third" }]);
    expect(await client.listModels()).toEqual([
      { id: "m-1", modelId: "faseeh-v3", name: "Faseeh v3", costPerCharacter: 0.0001, description: "Third" },
    ]);
  });

  it("skips elements that do not match the contract, and defaults the optional fields", async () => {
    const { client, logs } = makeClient();
    upstream.enqueueModels({
      kind: "raw",
      status: 200,
      body: JSON.stringify([
        { id: "m-1", model_id: " faseeh-v1 " },
        { id: "m-2", model_name: "No model_id" },
        { id: "m-3", model_id: "   " },
        { id: "m-4", model_id: "faseeh-v2", cost: "cheap" },
        null,
        "faseeh-v9",
        { model_id: "faseeh-no-id" },
        { id: "m-5", model_id: "faseeh-mini", model_name: null, cost: null, description: null, extra: true },
      ]),
    });
    expect(await client.listModels()).toEqual([
      { id: "m-1", modelId: "faseeh-v1", name: "faseeh-v1", costPerCharacter: null, description: null },
      { id: "m-5", modelId: "faseeh-mini", name: "faseeh-mini", costPerCharacter: null, description: null },
    ]);
    expect(logs.filter((line) => line.msg === "skipped a model that does not match the contract")).toHaveLength(6);
  });

  it("answers an empty list as empty", async () => {
    const { client } = makeClient();
    upstream.enqueueModels({ kind: "raw", status: 200, body: "[]" });
    expect(await client.listModels()).toEqual([]);
  });

  it.each([
    ["JSON that is no list", { kind: "raw", status: 200, body: '{"models": []}' }],
    ["a body that is not JSON", { kind: "garbage" }],
  ] as const)("reports %s as UPSTREAM_UNAVAILABLE", async (_name, behaviour) => {
    const { client } = makeClient();
    upstream.enqueueModels(behaviour);
    expect(await gatewayErrorOf(client.listModels())).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: "Faseeh is unavailable: its model list is not a JSON array. Try again later.",
    });
  });

  it.each([
    [401, "UPSTREAM_UNAUTHORIZED"],
    [402, "INSUFFICIENT_BALANCE"],
    [429, "RATE_LIMITED"],
    [500, "UPSTREAM_UNAVAILABLE"],
  ] as const)("maps a %i to %s", async (status, code) => {
    const { client } = makeClient();
    upstream.enqueueModels({ kind: "error", status });
    expect(await gatewayErrorOf(client.listModels())).toMatchObject({
      code,
      extensions: { upstreamStatus: status, upstreamErrorCode: `${status}01` },
    });
    expect(upstream.modelRequests).toBe(1);
  });

  it("gets a real 401 for a wrong key (UPSTREAM_UNAUTHORIZED)", async () => {
    const { client } = makeClient({ FASEEH_API_KEY: "not-the-key-faseeh-knows" });
    expect(await gatewayErrorOf(client.listModels())).toMatchObject({
      code: "UPSTREAM_UNAUTHORIZED",
      message: "Faseeh refused the gateway's API key (HTTP 401): Invalid API key. Check FASEEH_API_KEY.",
      extensions: { upstreamStatus: 401, upstreamErrorCode: "40101" },
    });
  });

  it("gives up on a Faseeh that never answers after MODELS_TIMEOUT_MS (UPSTREAM_UNAVAILABLE)", { timeout: 10_000 }, async () => {
    // UPSTREAM_TIMEOUT_MS is far beyond the test's timeout: only MODELS_TIMEOUT_MS can end the call.
    const { client } = makeClient({ MODELS_TIMEOUT_MS: "200", UPSTREAM_TIMEOUT_MS: "60000" });
    upstream.enqueueModels({ kind: "hang" });
    expect(await gatewayErrorOf(client.listModels())).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: "Faseeh is unavailable: no answer within 200 ms. Try again later.",
    });
    expect(upstream.modelRequests).toBe(1);
  });

  it("reports a refused connection as UPSTREAM_UNAVAILABLE", async () => {
    const port = await closedPort();
    const { client } = makeClient({ FASEEH_BASE_URL: `http://127.0.0.1:${port}/api/v1` });
    expect(await gatewayErrorOf(client.listModels())).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: "Faseeh is unavailable: connection refused. Try again later.",
    });
  });

  it("refuses to call at all without FASEEH_API_KEY (UPSTREAM_NOT_CONFIGURED)", async () => {
    const { client } = makeClient({ FASEEH_API_KEY: undefined });
    expect((await gatewayErrorOf(client.listModels())).code).toBe("UPSTREAM_NOT_CONFIGURED");
    expect(upstream.modelRequests).toBe(0);
  });
});
