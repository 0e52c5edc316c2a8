/**
 * A fake Faseeh upstream for integration tests and benchmarks.
 *
 * It is a REAL HTTP server (node:http on 127.0.0.1, ephemeral port) rather than
 * an in-process interceptor, so the gateway under test exercises its actual
 * socket code: multipart streaming, keep-alive pooling, timeouts, aborts and
 * connection resets all behave as they would against the real API.
 *
 * Contract implemented (see /work/shared/reference/faseeh-voice-clone.txt):
 *   POST {baseUrl}/voices/clone   (baseUrl ends in /api/v1)
 *   header x-api-key, multipart/form-data with files voice_file and
 *   reference_audio_file plus text fields; 200 answers a voice JSON, errors
 *   answer {"errorCode": "...", "errorMessage": "..."}.
 *   GET {baseUrl}/voices          the voices created so far, as a JSON array
 *   (undocumented upstream; see faseeh-preview-and-models.md).
 *
 * And (see /work/shared/reference/faseeh-preview-and-models.md):
 *   GET {baseUrl}/models          header x-api-key; 200 answers a JSON array of
 *   models (DEFAULT_FAKE_MODELS unless setModels(...)), 401 on a bad key.
 *   POST {baseUrl}/voices/preview (the path is an option: previewPath) header
 *   x-api-key, multipart/form-data with the file `file` and the text fields
 *   text, similarity, model_id and optional speed; validated like the real
 *   API (401 40101, then 400 40001 with its documented messages). 200 streams
 *   raw PCM (s16le, 24 kHz, mono, chunked, no content-length): a 440 Hz tone
 *   lasting 0.08 s per character of text divided by speed.
 *
 * Tests script responses with `enqueue(...)`. Each clone request takes the next
 * queued behaviour at the moment its headers arrive (so the Nth request gets
 * the Nth behaviour, even when requests overlap); when the queue is empty the
 * default behaviour (normally "success") is used. Model-list and preview calls
 * have queues of their own (`enqueueModels`, `enqueuePreview`), taken the same
 * way, falling back to `success`. Clone requests are recorded in `requests`
 * only; previews in `previewRequests`, model-list calls in `modelRequests`.
 * Clones and previews share the `inFlight`/`peakInFlight` counters.
 */
import { createHash, randomBytes, randomUUID, type Hash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import busboy from "busboy";

/** Path prefix of the real API; `baseUrl` ends with it. */
const BASE_PATH = "/api/v1";
const CLONE_PATH = `${BASE_PATH}/voices/clone`;
const VOICES_PATH = `${BASE_PATH}/voices`;
const MODELS_PATH = `${BASE_PATH}/models`;
/** Appended to BASE_PATH; Faseeh's reference does not name the path, so it is an option. */
const DEFAULT_PREVIEW_PATH = "/voices/preview";
const DEFAULT_API_KEY = "test-upstream-key";
/** How many leading bytes of each file are kept for magic-number assertions. */
const FIRST_BYTES = 16;

const REQUIRED_FIELDS = ["text", "stability", "name", "model"] as const;
const REQUIRED_FILES = ["voice_file", "reference_audio_file"] as const;

/** What a preview 200 carries: raw PCM, signed 16-bit little-endian, 24 kHz, mono, no header. */
export const PREVIEW_CONTENT_TYPE = "audio/raw;codec=pcm16;rate=24000;channels=1";
const PREVIEW_SAMPLE_RATE = 24_000;
/** 0.08 s of audio per character of text, at speed 1. */
const PREVIEW_SAMPLES_PER_CHAR = 0.08 * PREVIEW_SAMPLE_RATE;
const PREVIEW_TONE_HZ = 440;
const PREVIEW_TONE_AMPLITUDE = 8000;
/** Preview bodies are written in chunks of this many bytes. */
const PREVIEW_CHUNK_BYTES = 16 * 1024;

/** One element of the GET /models answer, field for field. */
export interface FakeModel {
  /** Record id (uuid). */
  id: string;
  /** What API calls name: the clone's `model`, the preview's `model_id`. */
  model_id: string;
  model_name: string;
  /** Cost per character of text-to-speech. */
  cost: number;
  description: string | null;
}

/** What GET /models lists until setModels(...) (and again after reset()). */
export const DEFAULT_FAKE_MODELS: readonly FakeModel[] = Object.freeze(
  [
    {
      id: "3f1c2a9e-5b7d-4e21-9a0c-6d8e1f2b3c41",
      model_id: "faseeh-v1",
      model_name: "Faseeh v1",
      cost: 0.00003,
      description: "General-purpose Arabic voice model",
    },
    {
      id: "8a4d6e2b-1c3f-4b5a-8e7d-2f9c0b1a6d52",
      model_id: "faseeh-v1-pro",
      model_name: "Faseeh v1 Pro",
      cost: 0.00006,
      description: "Higher-fidelity v1 for long-form narration",
    },
    {
      id: "c7e9b1d3-4f6a-4c8e-b2d0-9e1f3a5c7b63",
      model_id: "faseeh-v2",
      model_name: "Faseeh v2",
      cost: 0.00005,
      description: "Second generation, closer voice similarity",
    },
    {
      id: "e2b4d6f8-0a1c-4e3b-9d5f-7a9c1e3b5d74",
      model_id: "faseeh-mini",
      model_name: "Faseeh Mini",
      cost: 0.00001,
      description: null,
    },
  ].map((model): FakeModel => Object.freeze(model)),
);

/** The 200 response body of the real API, field for field. */
export interface FakeVoice {
  id: string;
  voice_id: string;
  name: string;
  description: string | null;
  gender: string | null;
  age: string | null;
  languages: string[];
  /** Singular in the response, although the request field is `dialects`. */
  dialect: string[];
  type: string | null;
  sample_url: string;
  avatar_url: string | null;
  stability: number;
}

/**
 * What a 200 actually carried. Usually a full `FakeVoice`, but `success`
 * behaviours may omit fields or add unknown ones, so everything is optional
 * and extra keys are allowed (known keys still keep their contract types).
 */
export type FakeVoiceBody = Partial<FakeVoice> & Record<string, unknown>;

/** Scripted response for one clone request. */
export type FakeBehaviour =
  /**
   * Behave like the real API: validate the key and the form (401/400 on
   * failure), otherwise answer 200 with a voice built from the received
   * fields. `overrides` replaces/adds response keys; `omit` drops keys (use
   * it to produce contract-violating 200s, e.g. without `id`).
   */
  | { kind: "success"; overrides?: FakeVoiceBody; omit?: ReadonlyArray<keyof FakeVoice> }
  /**
   * Answer an error JSON regardless of the request's validity (the upstream is
   * the one failing). `errorCode` defaults to `${status}01`, `errorMessage` to
   * a generic text for the status. `headers` e.g. `{ "Retry-After": "3" }`.
   */
  | {
      kind: "error";
      status: number;
      errorCode?: string;
      errorMessage?: string;
      headers?: Record<string, string>;
    }
  /** Non-JSON body `<html>not json` as text/html; status defaults to 200. */
  | { kind: "garbage"; status?: number }
  /** Arbitrary body; contentType defaults to application/json. */
  | { kind: "raw"; status: number; body: string; contentType?: string }
  /**
   * Wait `ms` after the body has arrived, then apply `then`. If the client
   * disconnects (or the fake is closed) meanwhile, nothing is sent.
   */
  | { kind: "delay"; ms: number; then: FakeBehaviour }
  /**
   * Create the voice as `success` would (it appears in createdVoices and the
   * voice list), then answer with `then` instead: Faseeh acted, but its
   * answer was lost (a 502 from a proxy, a reset, a hang).
   */
  | { kind: "createThen"; then: FakeBehaviour }
  /** Read the whole body, then reset the connection without answering. */
  | { kind: "reset" }
  /** Read the whole body and never answer; close() destroys the socket. */
  | { kind: "hang" }
  /**
   * Reset the connection as soon as the request headers arrive, before
   * reading the body. Only meaningful as a top-level behaviour: nested inside
   * `delay` the body has already been read, so it acts like `reset`.
   */
  | { kind: "resetBeforeBody" };

/**
 * Scripted response for one preview request. `success` validates like the
 * real API, then streams the tone. `error`, `garbage`, `raw`, `delay`,
 * `reset`, `hang` and `resetBeforeBody` behave as for clones (`success`
 * ignores `overrides`/`omit`). `createThen` validates (401/400 as `success`
 * would), then answers with `then`: Faseeh generated (and billed) the preview
 * but the answer was lost. `pcm` and `pcmThenReset` answer whatever the
 * request was, without validating it (like `error`), and cannot be nested
 * inside `delay`.
 */
export type FakePreviewBehaviour =
  | FakeBehaviour
  /** 200 with exactly these bytes as the PCM body, streamed in chunks like a real preview. */
  | { kind: "pcm"; bytes: Buffer }
  /** 200 headers and the first `bytesBeforeReset` bytes of the tone, then a connection reset. */
  | { kind: "pcmThenReset"; bytesBeforeReset: number };

/** A preview body the fake sent completely. */
export interface SentPreview {
  size: number;
  /** Hex SHA-256 of the PCM bytes. */
  sha256: string;
}

export interface ReceivedFile {
  /** Multipart part name, e.g. "voice_file". */
  field: string;
  /** Undefined when the part had no filename (busboy still treats application/octet-stream parts as files). */
  filename: string | undefined;
  mimeType: string;
  /** Bytes received (for aborted requests: bytes received before the client went away). */
  size: number;
  /** Hex SHA-256 of the bytes received, computed while streaming. */
  sha256: string;
  /** Up to the first 16 bytes, for magic-number checks (RIFF, ID3, ...). */
  firstBytes: Buffer;
}

export interface ReceivedCloneRequest {
  method: string;
  /** Request target as sent, including any query string. */
  path: string;
  /** Lower-cased header names; repeated headers are joined with ", ". */
  headers: Record<string, string>;
  apiKey: string | undefined;
  contentType: string | undefined;
  /** Text fields; if a name repeats, the last value wins (see fieldNames). */
  fields: Record<string, string>;
  /** Names of every part, text fields AND files, in the order they arrived. */
  fieldNames: string[];
  files: ReceivedFile[];
  /** True when the body was not fully received (client went away, or resetBeforeBody). */
  aborted: boolean;
}

export interface FakeFaseeh {
  /** e.g. http://127.0.0.1:43121/api/v1 — what the gateway should use as its upstream base URL. */
  readonly baseUrl: string;
  /** Convenience: `${baseUrl}/voices/clone`. */
  readonly cloneUrl: string;
  /** Convenience: `${baseUrl}${previewPath}` (default `${baseUrl}/voices/preview`). */
  readonly previewUrl: string;
  /** Convenience: `${baseUrl}/models`. */
  readonly modelsUrl: string;
  /** The key the fake accepts. */
  readonly apiKey: string;
  /** Every clone request that reached the handler, in the order their bodies finished. */
  readonly requests: ReceivedCloneRequest[];
  /** Every voice body answered with 200 by a `success` behaviour. */
  readonly createdVoices: FakeVoiceBody[];
  /** Every preview request that reached the handler, in the order their bodies finished (never in `requests`). */
  readonly previewRequests: ReceivedCloneRequest[];
  /** Size and SHA-256 of every preview PCM body sent completely (`success` or `pcm`), in the order they ended. */
  readonly previews: SentPreview[];
  /** How many GET /models calls reached the fake since the last reset() (401s and scripted answers included). */
  readonly modelRequests: number;
  /** Sockets currently open to the fake (for connection-leak assertions). */
  readonly connections: number;
  /** Clone and preview requests being handled right now, and the most seen at once since the last reset(). */
  readonly inFlight: number;
  readonly peakInFlight: number;
  /** How GET /voices answers: undefined (default) lists createdVoices; or a scripted error/raw behaviour. */
  setVoiceList(behaviour: FakeBehaviour | undefined): void;
  /** Script the next responses, in order. */
  enqueue(...behaviours: FakeBehaviour[]): void;
  /** Behaviour used once the queue is empty (initially `{ kind: "success" }`). */
  setDefault(behaviour: FakeBehaviour): void;
  /** What a `success` GET /models lists (initially DEFAULT_FAKE_MODELS). The array is copied. */
  setModels(models: FakeModel[]): void;
  /** Script the next GET /models answers, in order; then `success` (the list) again. */
  enqueueModels(...behaviours: FakeBehaviour[]): void;
  /** Script the next preview answers, in order; then `success` again. */
  enqueuePreview(...behaviours: FakePreviewBehaviour[]): void;
  /**
   * Back to a fresh state: clears requests, createdVoices and the queue, and
   * restores the default behaviour to success; clears previewRequests,
   * previews and the preview queue; restores the default model list, clears
   * the models queue and zeroes modelRequests. Arrays are cleared in place.
   */
  reset(): void;
  /** Stops listening and destroys every open socket (hanging ones included). Idempotent. */
  close(): Promise<void>;
}

const SUCCESS: FakeBehaviour = { kind: "success" };

const DEFAULT_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  400: "Bad request",
  401: "Invalid API key",
  402: "Insufficient wallet balance",
  403: "Forbidden",
  404: "Not found",
  429: "Too many requests",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};

export interface FakeFaseehOptions {
  apiKey?: string;
  port?: number;
  /** Preview path, appended to /api/v1 (default "/voices/preview"). Only this path answers previews. */
  previewPath?: string;
}

export async function startFakeFaseeh(options: FakeFaseehOptions = {}): Promise<FakeFaseeh> {
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const previewPath = resolvePreviewPath(options.previewPath ?? DEFAULT_PREVIEW_PATH);
  const requests: ReceivedCloneRequest[] = [];
  const createdVoices: FakeVoiceBody[] = [];
  const queue: FakeBehaviour[] = [];
  let defaultBehaviour: FakeBehaviour = SUCCESS;
  let voiceListBehaviour: FakeBehaviour | undefined;
  let inFlight = 0;
  let peakInFlight = 0;
  const previewRequests: ReceivedCloneRequest[] = [];
  const previews: SentPreview[] = [];
  const previewQueue: FakePreviewBehaviour[] = [];
  let models: FakeModel[] = [...DEFAULT_FAKE_MODELS];
  const modelsQueue: FakeBehaviour[] = [];
  let modelRequests = 0;

  // Track sockets ourselves: server.close() alone waits for keep-alive and
  // hanging connections, which would make test teardown hang.
  const sockets = new Set<Socket>();

  const server = createServer(
    // The fake must only misbehave when scripted to; Node's default 5-minute
    // requestTimeout could otherwise cut off a slow 100 MiB benchmark upload.
    { requestTimeout: 0 },
    (req, res) => {
      handleRequest(req, res).catch((error: unknown) => {
        // A bug in the fake should surface as a 500, not an unhandled rejection.
        if (!res.headersSent && !isGone(res)) {
          sendJson(res, 500, { errorCode: "50001", errorMessage: `Fake upstream failure: ${messageOf(error)}` });
        } else {
          req.socket.destroy();
        }
      });
    },
  );

  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? "/";
    const pathname = new URL(path, "http://fake.invalid").pathname;

    if (pathname === VOICES_PATH && req.method === "GET") {
      await drain(req);
      if (req.headers["x-api-key"] !== apiKey) {
        sendJson(res, 401, { errorCode: "40101", errorMessage: "Invalid API key" });
      } else if (voiceListBehaviour) {
        await respond(
          voiceListBehaviour,
          { request: { ...describeHeaders(req), fields: {}, fieldNames: [], files: [], aborted: false }, parseError: undefined },
          res,
        );
      } else {
        sendJson(res, 200, createdVoices);
      }
      return;
    }

    if (pathname === MODELS_PATH && req.method === "GET") {
      await handleModels(req, res);
      return;
    }

    if (pathname === previewPath) {
      await handlePreview(req, res);
      return;
    }

    if (pathname !== CLONE_PATH) {
      // Drain before answering so the client is not cut off mid-upload.
      await drain(req);
      sendJson(res, 404, { errorCode: "40401", errorMessage: `Not found: ${req.method ?? "?"} ${pathname}` });
      return;
    }

    if (req.method !== "POST") {
      const drained = await drain(req);
      requests.push({ ...describeHeaders(req), fields: {}, fieldNames: [], files: [], aborted: !drained });
      sendJson(res, 405, { errorCode: "40501", errorMessage: `Method not allowed: ${req.method ?? "?"}` });
      return;
    }

    // Taken at arrival (not after the body) so overlapping requests get
    // behaviours in the order they were sent.
    const behaviour = queue.shift() ?? defaultBehaviour;
    countInFlight(res);

    if (behaviour.kind === "resetBeforeBody") {
      requests.push({ ...describeHeaders(req), fields: {}, fieldNames: [], files: [], aborted: true });
      resetSocket(req.socket);
      return;
    }

    const received = await receiveMultipart(req);
    requests.push(received.request);
    // The client went away mid-body: there is nobody left to answer.
    if (received.request.aborted) return;

    await respond(behaviour, received, res);
  }

  /** Counts a clone or preview request in inFlight until its response closes. */
  function countInFlight(res: ServerResponse): void {
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    res.once("close", () => inFlight--);
  }

  /** Clone answers (also used by a scripted voice list). */
  function respond(behaviour: FakeBehaviour, received: ParsedBody, res: ServerResponse): Promise<void> {
    return play(behaviour, res, {
      success(success) {
        const problem = validate(received, apiKey);
        if (problem) {
          sendJson(res, problem.status, problem.body);
          return;
        }
        const omitted = new Set<string>(success.omit ?? []);
        const body: FakeVoiceBody = Object.fromEntries(
          Object.entries({ ...buildVoice(received.request.fields), ...success.overrides }).filter(([key]) => !omitted.has(key)),
        );
        createdVoices.push(body);
        sendJson(res, 200, body);
      },
      async createThen(createThen) {
        const problem = validate(received, apiKey);
        if (problem) {
          sendJson(res, problem.status, problem.body);
          return;
        }
        createdVoices.push({ ...buildVoice(received.request.fields) });
        await respond(createThen.then, received, res);
      },
    });
  }

  async function handleModels(req: IncomingMessage, res: ServerResponse): Promise<void> {
    modelRequests++;
    const behaviour = modelsQueue.shift() ?? SUCCESS;
    if (behaviour.kind === "resetBeforeBody") {
      resetSocket(req.socket);
      return;
    }
    if (!(await drain(req))) return;
    const answerModels = async (next: FakeBehaviour): Promise<void> =>
      play(next, res, {
        success() {
          if (req.headers["x-api-key"] !== apiKey) {
            sendJson(res, 401, { errorCode: "40101", errorMessage: "Invalid API key" });
          } else {
            sendJson(res, 200, models);
          }
        },
        // Nothing to create: the answer is simply `then`.
        createThen: (createThen) => answerModels(createThen.then),
      });
    await answerModels(behaviour);
  }

  async function handlePreview(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") {
      const drained = await drain(req);
      previewRequests.push({ ...describeHeaders(req), fields: {}, fieldNames: [], files: [], aborted: !drained });
      sendJson(res, 405, { errorCode: "40501", errorMessage: `Method not allowed: ${req.method ?? "?"}` });
      return;
    }

    // Taken at arrival, like clones.
    const behaviour = previewQueue.shift() ?? SUCCESS;
    countInFlight(res);

    if (behaviour.kind === "resetBeforeBody") {
      previewRequests.push({ ...describeHeaders(req), fields: {}, fieldNames: [], files: [], aborted: true });
      resetSocket(req.socket);
      return;
    }

    const received = await receiveMultipart(req);
    previewRequests.push(received.request);
    if (received.request.aborted) return;

    switch (behaviour.kind) {
      case "pcm":
        await sendPreview(res, chunksOf(behaviour.bytes));
        return;
      case "pcmThenReset": {
        const bytes = toneBytes(behaviour.bytesBeforeReset);
        if (await writePcm(res, chunksOf(bytes))) resetSocket(res.socket);
        return;
      }
      default:
        await respondPreview(behaviour, received, res);
    }
  }

  function respondPreview(behaviour: FakeBehaviour, received: ParsedBody, res: ServerResponse): Promise<void> {
    return play(behaviour, res, {
      async success() {
        const problem = validatePreview(received, apiKey);
        if (problem) {
          sendJson(res, problem.status, problem.body);
          return;
        }
        const { text = "", speed } = received.request.fields;
        await sendPreview(res, toneChunks(fakePreviewSamples(text, speed === undefined ? 1 : Number(speed))));
      },
      async createThen(createThen) {
        const problem = validatePreview(received, apiKey);
        if (problem) {
          sendJson(res, problem.status, problem.body);
          return;
        }
        await respondPreview(createThen.then, received, res);
      },
    });
  }

  /** Streams a whole 200 PCM answer; records it in `previews` once it has ended. */
  async function sendPreview(res: ServerResponse, chunks: Iterable<Buffer>): Promise<void> {
    const sent = await writePcm(res, chunks);
    if (!sent || isGone(res)) return;
    res.end();
    // Recorded in the same tick as end(): the client cannot have seen the
    // body's end before it is in `previews`.
    previews.push({ size: sent.size, sha256: sent.hash.digest("hex") });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}${BASE_PATH}`;

  let closing: Promise<void> | undefined;

  return {
    baseUrl,
    cloneUrl: `${baseUrl}/voices/clone`,
    previewUrl: `http://127.0.0.1:${port}${previewPath}`,
    modelsUrl: `${baseUrl}/models`,
    apiKey,
    requests,
    createdVoices,
    previewRequests,
    previews,
    get modelRequests() {
      return modelRequests;
    },
    get connections() {
      return sockets.size;
    },
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    enqueue(...behaviours) {
      queue.push(...behaviours);
    },
    setDefault(behaviour) {
      defaultBehaviour = behaviour;
    },
    setVoiceList(behaviour) {
      voiceListBehaviour = behaviour;
    },
    setModels(list) {
      models = [...list];
    },
    enqueueModels(...behaviours) {
      modelsQueue.push(...behaviours);
    },
    enqueuePreview(...behaviours) {
      previewQueue.push(...behaviours);
    },
    reset() {
      requests.length = 0;
      createdVoices.length = 0;
      queue.length = 0;
      defaultBehaviour = SUCCESS;
      voiceListBehaviour = undefined;
      peakInFlight = inFlight;
      previewRequests.length = 0;
      previews.length = 0;
      previewQueue.length = 0;
      models = [...DEFAULT_FAKE_MODELS];
      modelsQueue.length = 0;
      modelRequests = 0;
    },
    close() {
      closing ??= (async () => {
        // Subscribe before anything is destroyed: every socket still in the Set
        // has not emitted 'close' yet (the Set listener removes it on 'close').
        // Note socket.closed is no shortcut: it flips before the net 'close'
        // event fires. Waiting for the events makes `connections` exactly 0
        // once close() resolves, since our Set listener was registered first.
        const socketsClosed = [...sockets].map((socket) => new Promise<void>((resolve) => socket.once("close", () => resolve())));
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await Promise.all([serverClosed, ...socketsClosed]);
      })();
      return closing;
    },
  };
}

/**
 * Samples in the tone a `success` preview streams: 0.08 s per character (UTF-16
 * code unit, i.e. `text.length`) of `text` as sent, divided by `speed`, rounded down (bytes = 2 x this).
 */
export function fakePreviewSamples(text: string, speed = 1): number {
  // The epsilon absorbs float noise such as 1920 * 17 / 1.2 = 27199.999...
  return Math.floor((PREVIEW_SAMPLES_PER_CHAR * text.length) / speed + 1e-6);
}

/** Size and SHA-256 of each file a request carried, by field: what tests compare with what the client sent. */
export function filesOf(request: ReceivedCloneRequest): Record<string, { size: number; sha256: string }> {
  return Object.fromEntries(request.files.map((file) => [file.field, { size: file.size, sha256: file.sha256 }]));
}

// ---------------------------------------------------------------------------
// Body parsing

interface ParsedBody {
  request: ReceivedCloneRequest;
  /** Set when the body was complete but not a valid multipart form. */
  parseError: string | undefined;
}

/** Streams a file part through SHA-256, keeping only its size and first bytes. */
class FileAccumulator {
  private readonly hash: Hash = createHash("sha256");
  private size = 0;
  private head = Buffer.alloc(0);
  private digest: string | undefined;

  constructor(
    private readonly field: string,
    private readonly filename: string | undefined,
    private readonly mimeType: string,
  ) {}

  update(chunk: Buffer): void {
    // Late chunks after an abort was recorded are ignored (digest is final).
    if (this.digest !== undefined) return;
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.head.length < FIRST_BYTES) {
      // Copy, so we do not pin a whole 64 KiB chunk in memory for 16 bytes.
      this.head = Buffer.concat([this.head, chunk.subarray(0, FIRST_BYTES - this.head.length)]);
    }
  }

  finish(): ReceivedFile {
    this.digest ??= this.hash.digest("hex");
    return {
      field: this.field,
      filename: this.filename,
      mimeType: this.mimeType,
      size: this.size,
      sha256: this.digest,
      firstBytes: this.head,
    };
  }
}

/**
 * Parses the multipart body with busboy, hashing files as they stream (never
 * buffering them). Always resolves: with `aborted: true` and whatever arrived
 * if the client disconnects, or with `parseError` if the body is not a valid
 * form (the body is still drained so a 400 can be sent).
 */
function receiveMultipart(req: IncomingMessage): Promise<ParsedBody> {
  return new Promise<ParsedBody>((resolve) => {
    const fields: Record<string, string> = {};
    const fieldNames: string[] = [];
    const files: FileAccumulator[] = [];
    let settled = false;

    const finish = (aborted: boolean, parseError?: string): void => {
      if (settled) return;
      settled = true;
      resolve({
        request: { ...describeHeaders(req), fields, fieldNames, files: files.map((f) => f.finish()), aborted },
        parseError,
      });
    };

    // A client that disconnects mid-body shows up as a request closed before
    // it was complete. req.pipe() does not forward that to busboy, so this is
    // the signal we rely on.
    req.on("close", () => {
      if (!req.complete) finish(true);
    });
    // Without a listener the 'aborted' ECONNRESET error would be thrown.
    req.on("error", () => {});

    // Malformed form: stop parsing, but keep reading so we can answer 400.
    const rejectBody = (message: string): void => {
      req.resume();
      if (req.complete) finish(false, message);
      else req.once("end", () => finish(false, message));
    };

    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers });
    } catch (error) {
      // busboy throws synchronously for a missing/unsupported content-type.
      rejectBody(`Expected multipart/form-data body (${messageOf(error)})`);
      return;
    }

    parser.on("field", (name, value) => {
      fieldNames.push(name);
      fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      fieldNames.push(name);
      const file = new FileAccumulator(name, info.filename, info.mimeType);
      files.push(file);
      stream.on("data", (chunk: Buffer) => file.update(chunk));
      // Errors here (truncated file) are also reported on the parser itself.
      stream.on("error", () => {});
    });
    // busboy only finishes after every file stream has ended, so all hashes
    // are complete here.
    parser.on("finish", () => finish(false));
    parser.on("error", (error: unknown) => {
      req.unpipe(parser);
      rejectBody(`Malformed multipart body: ${messageOf(error)}`);
    });
    req.on("close", () => {
      // Release busboy's state for aborted uploads (it never sees an end).
      if (!req.complete) parser.destroy();
    });

    req.pipe(parser);
  });
}

/** Reads and discards the body. Resolves false if the client went away first. */
function drain(req: IncomingMessage): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    req.on("error", () => {});
    req.once("end", () => resolve(true));
    req.once("close", () => resolve(req.complete));
    req.resume();
  });
}

function describeHeaders(
  req: IncomingMessage,
): Pick<ReceivedCloneRequest, "method" | "path" | "headers" | "apiKey" | "contentType"> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return {
    method: req.method ?? "",
    path: req.url ?? "",
    headers,
    apiKey: headers["x-api-key"],
    contentType: headers["content-type"],
  };
}

// ---------------------------------------------------------------------------
// Validation and the success body

interface ErrorBody {
  errorCode: string;
  errorMessage: string;
}

/** Mirrors the real API's checks: key first (401), then the form (400). */
function validate(received: ParsedBody, apiKey: string): { status: number; body: ErrorBody } | undefined {
  const { request, parseError } = received;
  if (request.apiKey !== apiKey) {
    return { status: 401, body: { errorCode: "40101", errorMessage: "Invalid API key" } };
  }
  const badRequest = (errorMessage: string) => ({ status: 400, body: { errorCode: "40001", errorMessage } });

  if (parseError !== undefined) return badRequest(parseError);
  for (const field of REQUIRED_FIELDS) {
    const value = request.fields[field];
    if (value === undefined || value.trim() === "") return badRequest(`Missing required field: ${field}`);
  }
  for (const field of REQUIRED_FILES) {
    if (!request.files.some((file) => file.field === field)) return badRequest(`Missing required file: ${field}`);
  }
  if (parseStability(request.fields.stability) === undefined) {
    return badRequest("Invalid field: stability must be a number between 0 and 1");
  }
  return undefined;
}

function parseStability(raw: string | undefined): number | undefined {
  return parseNumberIn(raw, 0, 1);
}

function parseNumberIn(raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined; // Number("") would be 0
  const value = Number(raw);
  return Number.isFinite(value) && value >= min && value <= max ? value : undefined;
}

/** The preview's checks, in the real API's order: key (401), then the form (400 40001). */
function validatePreview(received: ParsedBody, apiKey: string): { status: number; body: ErrorBody } | undefined {
  const { request, parseError } = received;
  if (request.apiKey !== apiKey) {
    return { status: 401, body: { errorCode: "40101", errorMessage: "Invalid API key" } };
  }
  const badRequest = (errorMessage: string) => ({ status: 400, body: { errorCode: "40001", errorMessage } });

  if (parseError !== undefined) return badRequest(parseError);
  const { text, similarity, model_id: modelId, speed } = request.fields;
  if (text === undefined || text.trim() === "") return badRequest("text is required");
  const words = text.split(/\s+/).filter((word) => word !== "");
  if (words.length < 3 || text.trim().length < 10) {
    return badRequest("text must be at least 3 words and 10 characters");
  }
  if (parseNumberIn(similarity, 0, 1) === undefined) return badRequest("similarity must be a number between 0 and 1");
  if (modelId === undefined || modelId.trim() === "") return badRequest("model_id is required");
  if (speed !== undefined && parseNumberIn(speed, 0.7, 1.2) === undefined) {
    return badRequest("speed must be a number between 0.7 and 1.2");
  }
  const file = request.files.find((candidate) => candidate.field === "file");
  if (!file || !isAudio(file.firstBytes)) return badRequest("file is required and must be of audio type");
  return undefined;
}

/** Recognises audio containers by their magic numbers (12 bytes suffice). */
function isAudio(head: Buffer): boolean {
  const ascii = (start: number, text: string): boolean => head.toString("latin1", start, start + text.length) === text;
  return (
    (ascii(0, "RIFF") && ascii(8, "WAVE")) ||
    ascii(0, "ID3") ||
    (head.length >= 2 && head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0) || // MPEG audio frame sync
    ascii(0, "OggS") ||
    ascii(0, "fLaC") ||
    ascii(4, "ftyp") || // MP4/M4A
    (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) // EBML: WebM/Matroska
  );
}

function splitList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Builds the contract-shaped voice from already-validated fields. */
function buildVoice(fields: Record<string, string>): FakeVoice {
  const voiceId = `voice_${randomBytes(8).toString("hex")}`;
  return {
    id: randomUUID(),
    voice_id: voiceId,
    name: fields.name ?? "",
    description: fields.description ?? null,
    gender: fields.gender ?? null,
    age: fields.age ?? null,
    languages: splitList(fields.languages),
    dialect: splitList(fields.dialects),
    type: "cloned",
    sample_url: `https://cdn.faseeh.test/samples/${voiceId}.mp3`,
    avatar_url: fields.avatar_url ?? null,
    stability: parseStability(fields.stability) ?? 0,
  };
}

// ---------------------------------------------------------------------------
// Preview audio

/** The tone a preview plays, in chunks of PREVIEW_CHUNK_BYTES, generated as it is sent. */
function* toneChunks(samples: number): Generator<Buffer> {
  const perChunk = PREVIEW_CHUNK_BYTES / 2;
  for (let start = 0; start < samples; start += perChunk) {
    const count = Math.min(perChunk, samples - start);
    const chunk = Buffer.allocUnsafe(count * 2);
    for (let i = 0; i < count; i++) {
      const t = (start + i) / PREVIEW_SAMPLE_RATE;
      chunk.writeInt16LE(Math.round(PREVIEW_TONE_AMPLITUDE * Math.sin(2 * Math.PI * PREVIEW_TONE_HZ * t)), i * 2);
    }
    yield chunk;
  }
}

/** The first `length` bytes of the tone (an odd length ends mid-sample). */
function toneBytes(length: number): Buffer {
  const bytes = Math.max(0, Math.floor(length));
  return Buffer.concat([...toneChunks(Math.ceil(bytes / 2))]).subarray(0, bytes);
}

function* chunksOf(bytes: Buffer): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += PREVIEW_CHUNK_BYTES) {
    yield bytes.subarray(start, start + PREVIEW_CHUNK_BYTES);
  }
}

/**
 * Sends 200 PCM headers (chunked: no content-length) and the chunks, one per
 * event-loop turn, honouring backpressure. Does not end the response. Resolves
 * with the size and running hash once every chunk has been handed to the
 * socket, or undefined as soon as the client is gone.
 */
async function writePcm(res: ServerResponse, chunks: Iterable<Buffer>): Promise<{ size: number; hash: Hash } | undefined> {
  if (isGone(res)) return undefined;
  res.writeHead(200, { "content-type": PREVIEW_CONTENT_TYPE });
  res.flushHeaders();
  const hash = createHash("sha256");
  let size = 0;
  let flushed: Promise<void> = Promise.resolve();
  for (const chunk of chunks) {
    if (isGone(res)) return undefined;
    hash.update(chunk);
    size += chunk.length;
    flushed = new Promise<void>((resolve) => res.write(chunk, () => resolve()));
    if (res.writableNeedDrain && !(await drainedOrGone(res))) return undefined;
    await yieldToEventLoop();
  }
  // The last write's callback: the bytes are in the socket (matters before a reset).
  await Promise.race([flushed, new Promise<void>((resolve) => res.once("close", () => resolve()))]);
  return isGone(res) ? undefined : { size, hash };
}

/** Resolves true on 'drain', false if the response closes first. */
function drainedOrGone(res: ServerResponse): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const onDrain = (): void => {
      res.off("close", onClose);
      resolve(true);
    };
    const onClose = (): void => {
      res.off("drain", onDrain);
      resolve(false);
    };
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}

// ---------------------------------------------------------------------------
// Response helpers

type Scripted<K extends FakeBehaviour["kind"]> = Extract<FakeBehaviour, { kind: K }>;

/** How an endpoint answers the behaviours that depend on it; everything else is common. */
interface Playbook {
  success(behaviour: Scripted<"success">): Promise<void> | void;
  createThen(behaviour: Scripted<"createThen">): Promise<void>;
}

/** Plays a scripted behaviour: error/garbage/raw/delay/reset/hang the same everywhere. */
async function play(behaviour: FakeBehaviour, res: ServerResponse, playbook: Playbook): Promise<void> {
  if (isGone(res)) return;
  switch (behaviour.kind) {
    case "success":
      await playbook.success(behaviour);
      return;
    case "error":
      sendJson(
        res,
        behaviour.status,
        {
          errorCode: behaviour.errorCode ?? `${behaviour.status}01`,
          errorMessage: behaviour.errorMessage ?? DEFAULT_ERROR_MESSAGES[behaviour.status] ?? "Upstream error",
        },
        behaviour.headers,
      );
      return;
    case "garbage":
      send(res, behaviour.status ?? 200, "text/html", "<html>not json");
      return;
    case "raw":
      send(res, behaviour.status, behaviour.contentType ?? "application/json", behaviour.body);
      return;
    case "delay":
      if (await sleepUnlessGone(behaviour.ms, res)) await play(behaviour.then, res, playbook);
      return;
    case "createThen":
      await playbook.createThen(behaviour);
      return;
    case "reset":
    case "resetBeforeBody":
      resetSocket(res.socket);
      return;
    case "hang":
      // Deliberately nothing: the socket stays open until the client gives
      // up or close() destroys it.
      return;
  }
}

/** True when there is no longer anyone to answer (client disconnected or fake closed). */
function isGone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || res.socket === null || res.socket.destroyed;
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (isGone(res)) return;
  const payload = Buffer.from(body, "utf8");
  // Scripted headers go last so a test can even override content-type.
  res.writeHead(status, { "content-type": contentType, "content-length": String(payload.length), ...headers });
  res.end(payload);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  send(res, status, "application/json", JSON.stringify(body), headers);
}

/** Resolves true after `ms`, or false as soon as the client/socket goes away. */
function sleepUnlessGone(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(!isGone(res));
    }, ms);
    res.once("close", onClose);
  });
}

/** Sends a TCP RST (ECONNRESET on the client), the closest thing to a crashed upstream. */
function resetSocket(socket: Socket | null): void {
  if (!socket || socket.destroyed) return;
  socket.resetAndDestroy();
}

/** BASE_PATH + the option, normalised like incoming paths; refuses the paths other calls use. */
function resolvePreviewPath(option: string): string {
  if (!option.startsWith("/")) throw new Error(`previewPath must start with "/": ${option}`);
  const path = new URL(`${BASE_PATH}${option}`, "http://fake.invalid").pathname;
  if ([CLONE_PATH, VOICES_PATH, MODELS_PATH].includes(path)) throw new Error(`previewPath collides with ${path}`);
  return path;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
