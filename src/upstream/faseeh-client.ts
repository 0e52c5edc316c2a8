// HTTP client for Faseeh (contracts: shared/reference/faseeh-voice-clone.txt
// and faseeh-preview-and-models.md): the clone and preview calls, the model
// and voice lists. It owns one keep-alive undici pool, streams multipart
// bodies from their file sources (never held in memory), checks answers
// against the contract with zod, and turns every failure into a GatewayError.
// The API key never leaves this module except in the x-api-key header.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { errors as undiciErrors, Pool } from "undici";
import { z } from "zod";
import type { Config } from "../config.js";
import {
  errorMessage,
  GatewayError,
  upstreamOutcomeUnknown,
  upstreamStatusError,
  upstreamUnavailable,
  type UpstreamErrorBody,
  withUpstreamOutcome,
} from "../errors.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { parsePcmContentType } from "./pcm-format.js";

/** One file part of the multipart body, for one attempt. */
export interface AudioPart {
  filename: string;
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

/** Size and SHA-256 of a whole file. */
export interface FileDigest {
  size: number;
  sha256: string;
}

/**
 * Where a file part comes from. `open()` is called once per attempt; a
 * source that fails while being read aborts the request before it is
 * complete, so Faseeh cannot act on it. `recorded()` is what the source
 * itself counted and hashed as it received the file: the request's closing
 * boundary is sent only when what was written matches it.
 */
export interface AudioSource {
  open(): Promise<AudioPart>;
  recorded(): Promise<FileDigest>;
}

/**
 * What Faseeh's clone call receives, and only that: the gateway's own fields
 * (the catalog's `tags`) are never part of it.
 */
export interface CloneVoiceRequest {
  voiceFile: AudioSource;
  referenceAudioFile: AudioSource;
  text: string;
  stability: number;
  name: string;
  model: string;
  description?: string | undefined;
  gender?: string | undefined;
  age?: string | undefined;
  languages?: readonly string[] | undefined;
  dialects?: readonly string[] | undefined;
  avatarUrl?: string | undefined;
  /**
   * The closing boundary is held back until this settles; if it rejects, the
   * request is aborted. Lets the caller do work Faseeh must not act before
   * (recording the attempt) while the files already stream.
   */
  holdUntil?: Promise<unknown> | undefined;
  /** Told the moment the closing boundary is handed to the socket: from then on Faseeh may act. */
  onComplete?: (() => void) | undefined;
}

/** The calls this client makes, as named in logs and the upstream metric. */
export type UpstreamOperation = "cloneVoice" | "previewVoice" | "listModels" | "listVoices";

export interface PreviewVoiceRequest {
  /** The recording to preview (sent as `file`). */
  file: AudioSource;
  text: string;
  similarity: number;
  modelId: string;
  speed: number;
  /** Where the answer's PCM is written as it arrives (created; must not exist). */
  audioPath: string;
  /** An answer longer than this is refused (and the call's outcome is unknown: Faseeh produced it). */
  maxAudioBytes: number;
}

/** What Faseeh's preview answered, as written to `audioPath`. */
export interface PreviewAudio {
  /** As Faseeh sent it, e.g. `audio/raw;codec=pcm16;rate=24000;channels=1`. */
  contentType: string;
  sampleRate: number;
  channels: number;
  size: number;
  sha256: string;
}

/** One multipart POST to Faseeh: what it sends, and how its 2xx answer is read. */
interface MultipartCall<T> {
  operation: UpstreamOperation;
  /** Under the base URL, e.g. "/voices/clone". */
  path: string;
  accept: string;
  /** Text fields in order; undefined ones are left out. */
  fields: ReadonlyArray<readonly [string, string | undefined]>;
  files: ReadonlyArray<readonly [string, AudioSource]>;
  /** See CloneVoiceRequest.holdUntil. */
  holdUntil?: Promise<unknown> | undefined;
  onComplete?: (() => void) | undefined;
  /** Reads a 2xx answer; throws ContractViolation when it is not what the contract says. */
  readAnswer(body: Readable, headers: Record<string, string | string[] | undefined>): Promise<T>;
}

/** A model in Faseeh's list, in our naming. */
export interface UpstreamModel {
  id: string;
  modelId: string;
  name: string;
  costPerCharacter: number | null;
  description: string | null;
}

const modelSchema = z
  .object({
    id: z.string().min(1),
    model_id: z.string().trim().min(1),
    model_name: z.string().nullish(),
    cost: z.number().nullish(),
    description: z.string().nullish(),
  })
  .transform((model): UpstreamModel => ({
    id: model.id,
    modelId: model.model_id,
    name: model.model_name ?? model.model_id,
    costPerCharacter: model.cost ?? null,
    description: model.description ?? null,
  }));

/** A voice as upstream returned it, in our naming (also the recovery journal's format). */
export const upstreamVoiceSchema = z.object({
  id: z.uuid(),
  voiceId: z.string().min(1),
  name: z.string(),
  description: z.string().nullable(),
  gender: z.string().nullable(),
  age: z.string().nullable(),
  languages: z.array(z.string()),
  dialects: z.array(z.string()),
  type: z.string().nullable(),
  sampleUrl: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  stability: z.number(),
});

export type UpstreamVoice = z.infer<typeof upstreamVoiceSchema>;

const nullableString = z
  .string()
  .nullish()
  .transform((value) => value ?? null);
const stringList = z
  .array(z.string())
  .nullish()
  .transform((value) => value ?? []);

/** The 200 response. Absent `languages`/`dialect` become empty lists; identity fields are required. */
export const cloneResponseSchema = z
  .object({
    id: z.uuid(),
    voice_id: z.string().min(1),
    name: z.string(),
    description: nullableString,
    gender: nullableString,
    age: nullableString,
    languages: stringList,
    dialect: stringList,
    type: nullableString,
    sample_url: nullableString,
    avatar_url: nullableString,
    stability: z.number(),
  })
  .transform((body): UpstreamVoice => ({
    id: body.id,
    voiceId: body.voice_id,
    name: body.name,
    description: body.description,
    gender: body.gender,
    age: body.age,
    languages: body.languages,
    dialects: body.dialect,
    type: body.type,
    sampleUrl: body.sample_url,
    avatarUrl: body.avatar_url,
    stability: body.stability,
  }));

/** Faseeh's documented error body. Only this shape, with a documented status, proves a refusal. */
const errorBodySchema = z.object({
  errorCode: z.union([z.string(), z.number()]).transform(String),
  errorMessage: z.string(),
});

/**
 * The statuses Faseeh documents as refusals (with its JSON error body). Only
 * these prove that a complete request created nothing; anything else after
 * the closing boundary (5xx, a proxy's HTML page, an undocumented status) may
 * come from a Faseeh that created the voice and failed afterwards.
 */
const DOCUMENTED_REFUSALS = new Set([400, 401, 402, 404, 429]);

/** A voice in Faseeh's voice list (`GET /voices`): undocumented, so read defensively. */
const listedVoiceSchema = z.looseObject({
  id: z.uuid().optional().catch(undefined),
  voice_id: z.string().min(1),
  name: z.string().optional().catch(undefined),
  description: z.string().nullish().catch(undefined),
  gender: z.string().nullish().catch(undefined),
  age: z.string().nullish().catch(undefined),
  languages: z.array(z.string()).optional().catch(undefined),
  dialect: z.array(z.string()).optional().catch(undefined),
  type: z.string().nullish().catch(undefined),
  sample_url: z.string().nullish().catch(undefined),
  avatar_url: z.string().nullish().catch(undefined),
  stability: z.number().optional().catch(undefined),
});

export type ListedVoice = z.infer<typeof listedVoiceSchema>;

/** Upstream answers are small JSON; anything bigger is not the contract. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** The voice list may be long; still bounded. */
const MAX_LIST_BYTES = 16 * 1024 * 1024;

/** Whether, and when, a failed call may be sent again. */
type RetryAdvice = { kind: "never" } | { kind: "backoff" } | { kind: "after"; seconds: number };

/** One failed call and whether to try again; caught by the retry loop, which rethrows `error`. */
class CallFailure extends Error {
  constructor(
    readonly error: GatewayError,
    readonly retry: RetryAdvice,
  ) {
    super(error.message);
  }
}

const NEVER: RetryAdvice = { kind: "never" };

/** Codes of failures the caller caused (input, upload, disconnect) or shutdown did: not Faseeh's fault. */
const CALLER_CAUSED = new Set<string>(["BAD_USER_INPUT", "BAD_REQUEST", "SERVICE_UNAVAILABLE"]);

export class FaseehClient {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    private readonly config: Config["upstream"],
    private readonly logger: Logger,
    private readonly metrics?: Pick<Metrics, "upstreamDuration">,
  ) {
    const base = new URL(config.baseUrl);
    this.basePath = base.pathname.replace(/\/+$/, "");
    this.pool = new Pool(base.origin, {
      connections: 16,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: config.connectTimeoutMs },
      // Cloning takes a while upstream: the answer's headers may come late.
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
    });
  }

  get isConfigured(): boolean {
    return this.config.apiKey !== undefined;
  }

  /**
   * POST /voices/clone. Throws GatewayError for every failure, with
   * `upstreamOutcome` telling whether a voice may nevertheless exist.
   *
   * `signal` cancels the call only until the closing boundary is sent: once
   * Faseeh holds the whole request it may create (and charge for) the voice,
   * so the call runs to its answer whatever the caller does.
   *
   * Retries only where Faseeh cannot have created the voice: nothing
   * complete was sent (the connection was refused, or failed mid-body), or
   * Faseeh refused with a documented 429 whose Retry-After is short enough to
   * wait out. Never after a complete request whose answer is not a
   * documented refusal: that could clone (and charge) twice.
   */
  cloneVoice(input: CloneVoiceRequest, signal?: AbortSignal): Promise<UpstreamVoice> {
    return this.send(
      {
        operation: "cloneVoice",
        path: "/voices/clone",
        accept: "application/json",
        fields: [
          ["text", input.text],
          ["stability", String(input.stability)],
          ["name", input.name],
          ["model", input.model],
          ["description", input.description],
          ["gender", input.gender],
          ["age", input.age],
          ["languages", input.languages?.length ? input.languages.join(",") : undefined],
          ["dialects", input.dialects?.length ? input.dialects.join(",") : undefined],
          ["avatar_url", input.avatarUrl],
        ],
        files: [
          ["voice_file", input.voiceFile],
          ["reference_audio_file", input.referenceAudioFile],
        ],
        holdUntil: input.holdUntil,
        onComplete: input.onComplete,
        readAnswer: async (body) => {
          const parsed = cloneResponseSchema.safeParse(parseJson(await readLimited(body, MAX_RESPONSE_BYTES)));
          if (!parsed.success) {
            throw new ContractViolation(
              "whose body does not match the voice-clone contract",
              parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".")}: ${issue.message}`),
            );
          }
          return parsed.data;
        },
      },
      signal,
    );
  }

  /**
   * Faseeh's preview call (`FASEEH_PREVIEW_PATH`): the recording and text in,
   * raw PCM out, written as it streams to `input.audioPath` exactly as Faseeh
   * sent it. Billed like a clone, so sent, retried and mapped by the very
   * same rules (see cloneVoice): a complete request whose answer breaks off
   * is UPSTREAM_OUTCOME_UNKNOWN and never sent again.
   */
  previewVoice(input: PreviewVoiceRequest, signal?: AbortSignal): Promise<PreviewAudio> {
    return this.send(
      {
        operation: "previewVoice",
        path: this.config.previewPath,
        accept: "audio/raw, application/json",
        fields: [
          ["text", input.text],
          ["similarity", String(input.similarity)],
          ["model_id", input.modelId],
          ["speed", String(input.speed)],
        ],
        files: [["file", input.file]],
        readAnswer: (body, headers) => writePreviewAudio(body, headers, input.audioPath, input.maxAudioBytes),
      },
      signal,
    );
  }

  /** `GET /models`: the models Faseeh offers, read defensively (an element without `model_id` is skipped). */
  async listModels(): Promise<UpstreamModel[]> {
    const json = await this.getJson("/models", "listModels", MAX_LIST_BYTES, this.config.modelsTimeoutMs);
    if (!Array.isArray(json)) throw upstreamUnavailable("its model list is not a JSON array");
    const models: UpstreamModel[] = [];
    for (const item of json) {
      const parsed = modelSchema.safeParse(item);
      if (parsed.success) models.push(parsed.data);
      else this.logger.warn({ upstream: "faseeh", op: "listModels" }, "skipped a model that does not match the contract");
    }
    return models;
  }

  /** One multipart POST with its retries: see cloneVoice for when a call is sent again. */
  private async send<T>(call: MultipartCall<T>, signal?: AbortSignal): Promise<T> {
    const apiKey = this.config.apiKey;
    if (apiKey === undefined) throw notConfigured();
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortedBeforeSending(signal);
      try {
        return await this.sendOnce(call, apiKey, signal);
      } catch (caught) {
        if (!(caught instanceof CallFailure)) throw caught;
        const delayMs = attempt < this.config.maxAttempts ? this.retryDelayMs(caught.retry, attempt) : undefined;
        if (delayMs === undefined || signal?.aborted) throw caught.error;
        this.logger.warn(
          { upstream: "faseeh", op: call.operation, attempt, retryInMs: delayMs, code: caught.error.code },
          "retrying upstream call that certainly created nothing",
        );
        await sleep(delayMs, undefined, { signal }).catch((error: unknown) => {
          throw signal ? abortedBeforeSending(signal) : error;
        });
      }
    }
  }

  private async sendOnce<T>(call: MultipartCall<T>, apiKey: string, signal?: AbortSignal): Promise<T> {
    const started = performance.now();
    const { operation } = call;
    const boundary = `----faseeh-gateway-${randomBytes(12).toString("hex")}`;
    const sent = { complete: false };
    // The caller's signal may stop the request only while it is incomplete.
    const upload = new AbortController();
    const cancel = () => {
      if (!sent.complete) upload.abort(signal?.reason);
    };
    signal?.addEventListener("abort", cancel, { once: true });
    const body = multipartBody(call, boundary, () => {
      sent.complete = true;
      signal?.removeEventListener("abort", cancel);
      call.onComplete?.();
    });
    let status = 0;
    let headers: Record<string, string | string[] | undefined>;
    let text = "";
    let answer: { value: T } | undefined;
    let completeAtAnswer: boolean;
    try {
      const response = await this.pool.request({
        method: "POST",
        path: `${this.basePath}${call.path}`,
        headers: {
          "x-api-key": apiKey,
          accept: call.accept,
          "content-type": `multipart/form-data; boundary=${boundary}`,
        },
        body: Readable.from(body, { objectMode: false }),
        // Waiting for Faseeh is bounded by headersTimeout/bodyTimeout, which
        // count from the end of the upload, so a slow client is not cut off.
        signal: upload.signal,
      });
      completeAtAnswer = sent.complete;
      status = response.statusCode;
      headers = response.headers;
      if (status >= 200 && status < 300) answer = { value: await call.readAnswer(response.body, headers) };
      else text = await readLimited(response.body, MAX_RESPONSE_BYTES);
    } catch (error) {
      if (error instanceof ContractViolation) {
        this.record(started, status, error.message, "warn", operation);
        this.logger.error(
          { upstream: "faseeh", op: operation, status, issues: error.issues },
          "upstream answer does not match the contract",
        );
        // Faseeh said 2xx: it acted (and charged) even though we cannot read its answer.
        throw new CallFailure(
          upstreamOutcomeUnknown(`HTTP ${status} ${error.message}`, { upstreamStatus: status }, undefined, operation),
          NEVER,
        );
      }
      const failure = this.transportFailure(error, upload.signal, sent.complete, operation);
      // Faseeh's failures are worth a warning; the client's own (a bad or stalled upload, a
      // disconnect) and shutdown's are not.
      this.record(started, "error", failure.error.message, CALLER_CAUSED.has(failure.error.code) ? "info" : "warn", operation);
      throw failure;
    } finally {
      signal?.removeEventListener("abort", cancel);
    }
    this.record(started, status, undefined, "info", operation);
    if (answer) return answer.value;

    const documented = errorBodySchema.safeParse(parseJson(text));
    const errorBody: UpstreamErrorBody = documented.success ? { ...documented.data } : {};
    if (errorBody.errorMessage) errorBody.errorMessage = this.redact(errorBody.errorMessage);
    const retryAfter = parseRetryAfter(headers["retry-after"]);
    if (!completeAtAnswer) {
      // Faseeh answered before it had the whole request: it cannot act on it.
      const error = withUpstreamOutcome(upstreamStatusError(status, errorBody, retryAfter, operation), "rejected");
      throw new CallFailure(error, retryAfter !== undefined ? { kind: "after", seconds: retryAfter } : { kind: "backoff" });
    }
    if (DOCUMENTED_REFUSALS.has(status) && documented.success) {
      const error = withUpstreamOutcome(upstreamStatusError(status, errorBody, retryAfter, operation), "rejected");
      throw new CallFailure(error, status === 429 && retryAfter !== undefined ? { kind: "after", seconds: retryAfter } : NEVER);
    }
    const said = documented.success
      ? `HTTP ${status}: ${errorBody.errorMessage}`
      : `HTTP ${status}${DOCUMENTED_REFUSALS.has(status) ? " without Faseeh's JSON error body" : ""}`;
    throw new CallFailure(
      upstreamOutcomeUnknown(
        said,
        {
          upstreamStatus: status,
          ...(errorBody.errorCode !== undefined && { upstreamErrorCode: errorBody.errorCode }),
          ...(errorBody.errorMessage !== undefined && { upstreamErrorMessage: errorBody.errorMessage }),
        },
        undefined,
        operation,
      ),
      NEVER,
    );
  }

  /** A GET answering JSON: the parsed body, or GatewayError for a transport failure or an error status. */
  private async getJson(path: string, operation: UpstreamOperation, limit: number, timeoutMs?: number): Promise<unknown> {
    const apiKey = this.config.apiKey;
    if (apiKey === undefined) throw notConfigured();
    const started = performance.now();
    let status: number;
    let text: string;
    try {
      const response = await this.pool.request({
        method: "GET",
        path: `${this.basePath}${path}`,
        headers: { "x-api-key": apiKey, accept: "application/json" },
        // The whole call, answer included (the pool's own timeouts are per phase, and the clone's).
        ...(timeoutMs !== undefined && { signal: AbortSignal.timeout(timeoutMs) }),
      });
      status = response.statusCode;
      text = await readLimited(response.body, limit);
    } catch (error) {
      const failure = this.describeTransportFailure(error, timeoutMs);
      this.record(started, "error", failure.message, "warn", operation);
      throw failure;
    }
    this.record(started, status, undefined, "info", operation);
    if (status < 200 || status >= 300) {
      const body = errorBodySchema.safeParse(parseJson(text));
      throw upstreamStatusError(
        status,
        body.success ? { errorCode: body.data.errorCode, errorMessage: this.redact(body.data.errorMessage) } : {},
        undefined,
        operation,
      );
    }
    return parseJson(text);
  }

  /**
   * Looks a voice up in Faseeh's voice list (`GET /voices`, undocumented in
   * the reference we hold, so validated defensively). Null when the list
   * does not have it; throws GatewayError when the list cannot be read.
   */
  async findVoice(voiceId: string): Promise<ListedVoice | null> {
    const json = await this.getJson("/voices", "listVoices", MAX_LIST_BYTES);
    const list = Array.isArray(json)
      ? json
      : [(json as { voices?: unknown } | null)?.voices, (json as { data?: unknown } | null)?.data].find(Array.isArray);
    if (!list) throw upstreamUnavailable("its voice list is not a JSON array");
    for (const item of list) {
      const parsed = listedVoiceSchema.safeParse(item);
      if (parsed.success && parsed.data.voice_id === voiceId) return parsed.data;
    }
    return null;
  }

  /** One log line and one metric sample per upstream call. */
  private record(
    started: number,
    status: number | "error",
    error?: string,
    level: "info" | "warn" = "warn",
    operation: UpstreamOperation = "cloneVoice",
  ): void {
    const durationMs = elapsed(started);
    this.metrics?.upstreamDuration.observe({ operation, status: String(status) }, durationMs / 1000);
    if (error) this.logger[level]({ upstream: "faseeh", op: operation, durationMs, error }, "upstream call failed");
    else this.logger.info({ upstream: "faseeh", op: operation, status, durationMs }, "upstream call");
  }

  /** How long to wait before trying again, or undefined when a retry is not safe or not worth it. */
  private retryDelayMs(retry: RetryAdvice, attempt: number): number | undefined {
    const jitter = Math.random() * 250;
    if (retry.kind === "backoff") return 100 * 2 ** (attempt - 1) + jitter;
    if (retry.kind === "after") {
      const waitMs = retry.seconds * 1000 + jitter;
      return waitMs <= this.config.retryMaxWaitMs ? waitMs : undefined;
    }
    return undefined;
  }

  /**
   * Closes the pool's connections. Called at shutdown once every clone has
   * finished or been abandoned (shutdown's clone budget), so an upstream call
   * still open (a hung Faseeh) is cut rather than waited for.
   */
  async close(): Promise<void> {
    await this.pool.destroy();
  }

  /**
   * A request whose body was not sent to its end cannot have created a voice
   * (the uploads were invalid, the client left, the connection failed
   * mid-way); after the closing boundary, a missing answer means "unknown".
   * Only failures of the connection itself are worth another try: ours (an
   * invalid upload, a cancelled call) would fail the same way again.
   */
  private transportFailure(
    error: unknown,
    upload: AbortSignal,
    bodyComplete: boolean,
    operation: UpstreamOperation,
  ): CallFailure {
    if (bodyComplete) {
      return new CallFailure(upstreamOutcomeUnknown(this.transportReason(error), {}, error, operation), NEVER);
    }
    if (error instanceof GatewayError) return new CallFailure(withUpstreamOutcome(error, "rejected"), NEVER);
    if (upload.aborted) return new CallFailure(abortedBeforeSending(upload), NEVER);
    if (error instanceof FileIntegrityError) {
      this.logger.error({ upstream: "faseeh", err: error.message }, "file integrity check failed; upstream request aborted");
      return new CallFailure(
        withUpstreamOutcome(new GatewayError("INTERNAL_SERVER_ERROR", error.message, {}, error), "rejected"),
        NEVER,
      );
    }
    return new CallFailure(withUpstreamOutcome(this.describeTransportFailure(error), "rejected"), { kind: "backoff" });
  }

  private describeTransportFailure(error: unknown, timeoutMs?: number): GatewayError {
    return upstreamUnavailable(this.transportReason(error, timeoutMs), error);
  }

  private transportReason(error: unknown, timeoutMs = this.config.timeoutMs): string {
    const code = (error as { code?: unknown } | null)?.code;
    const name = (error as { name?: unknown } | null)?.name;
    if (
      error instanceof undiciErrors.HeadersTimeoutError ||
      error instanceof undiciErrors.BodyTimeoutError ||
      name === "TimeoutError"
    ) {
      return `no answer within ${timeoutMs} ms`;
    }
    if (error instanceof undiciErrors.ConnectTimeoutError) return `could not connect within ${this.config.connectTimeoutMs} ms`;
    if (code === "ECONNREFUSED") return "connection refused";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "its host name does not resolve";
    if (error instanceof undiciErrors.SocketError || code === "ECONNRESET" || code === "EPIPE") {
      return "the connection was closed before an answer arrived";
    }
    if (error instanceof ResponseTooLargeError) return "its answer was unexpectedly large";
    return `the request failed (${errorMessage(error)})`;
  }

  /** Upstream messages are passed to clients; make sure none echoes our key. */
  private redact(message: string): string {
    const key = this.config.apiKey;
    return key ? message.split(key).join("[redacted]") : message;
  }
}

export const notConfigured = (): GatewayError =>
  new GatewayError(
    "UPSTREAM_NOT_CONFIGURED",
    "Cloning is disabled: FASEEH_API_KEY is not set on the gateway, so nothing can be sent to Faseeh (clones, previews, the model list). Set it and restart the gateway.",
  );

/** The call was cancelled (client gone, shutdown) before Faseeh had the whole request. */
function abortedBeforeSending(signal: AbortSignal): GatewayError {
  const reason: unknown = signal.reason;
  const error =
    reason instanceof GatewayError
      ? reason
      : new GatewayError(
          "BAD_REQUEST",
          "The client went away before Faseeh had the whole request; nothing was sent to completion.",
        );
  return withUpstreamOutcome(error, "rejected");
}

/** Raised when the bytes written for a file differ from what its upload recorded: a gateway fault. */
class FileIntegrityError extends Error {
  override name = "FileIntegrityError";
}

/**
 * Streams the multipart body: text fields first (optional ones only when
 * given), then the files in the order they become available (the client's
 * upload order, so a live upload never waits on the other file).
 *
 * Every file's bytes are counted and hashed as they are written, and the
 * closing boundary is sent only when each matches what its source itself
 * recorded: a short or altered file (a replay from a wrong copy, say) aborts
 * the request while Faseeh still cannot act on it. `onComplete` runs just
 * before the closing boundary is handed over: from then on Faseeh may act.
 */
async function* multipartBody(call: MultipartCall<unknown>, boundary: string, onComplete: () => void): AsyncGenerator<Buffer> {
  for (const [name, value] of call.fields) {
    if (value === undefined) continue;
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  }
  const pending = new Map(
    call.files.map(([field, source]) => {
      const opened = source.open().then((part) => ({ field, source, part }));
      opened.catch(() => undefined); // observed below; never an unhandled rejection
      return [field, opened] as const;
    }),
  );
  while (pending.size > 0) {
    const { field, source, part } = await Promise.race(pending.values());
    pending.delete(field);
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${encodeFilename(part.filename)}"\r\n` +
        `Content-Type: ${part.contentType}\r\n\r\n`,
    );
    const written = createHash("sha256");
    let size = 0;
    for await (const chunk of part.body as AsyncIterable<Buffer>) {
      written.update(chunk);
      size += chunk.length;
      yield chunk;
    }
    const recorded = await source.recorded();
    const sha256 = written.digest("hex");
    if (size !== recorded.size || sha256 !== recorded.sha256) {
      throw new FileIntegrityError(
        `${field}: wrote ${size} bytes (sha256 ${sha256.slice(0, 12)}…) but the upload recorded ${recorded.size} bytes ` +
          `(sha256 ${recorded.sha256.slice(0, 12)}…); the request was aborted before Faseeh could act on it`,
      );
    }
    yield Buffer.from("\r\n");
  }
  await call.holdUntil;
  onComplete();
  yield Buffer.from(`--${boundary}--\r\n`);
}

/**
 * Writes a preview's PCM to `audioPath` as it streams, counted and hashed,
 * after checking that Faseeh answered what its reference documents: audio
 * (`audio/raw;codec=pcm16;rate=24000;channels=1`), whole 16-bit samples,
 * within the size bound.
 */
async function writePreviewAudio(
  body: Readable,
  headers: Record<string, string | string[] | undefined>,
  audioPath: string,
  maxBytes: number,
): Promise<PreviewAudio> {
  const raw = headers["content-type"];
  const contentType = (Array.isArray(raw) ? raw[0] : raw) ?? "";
  const format = parsePcmContentType(contentType);
  if (!format) {
    // Not read at all: stop it. undici reports a destroyed body as an 'error', which must have a listener.
    body.on("error", () => undefined);
    body.destroy();
    throw new ContractViolation(`whose Content-Type is ${JSON.stringify(contentType)}, not the preview's raw PCM audio`, []);
  }
  const hash = createHash("sha256");
  let size = 0;
  const file = createWriteStream(audioPath, { flags: "wx", mode: 0o600 });
  await pipeline(
    body,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        size += chunk.length;
        if (size > maxBytes) throw new ResponseTooLargeError(`a preview over ${maxBytes} bytes`);
        hash.update(chunk);
        yield chunk;
      }
    },
    file,
  );
  if (size === 0 || size % (2 * format.channels) !== 0) {
    throw new ContractViolation(`whose PCM body has ${size} bytes, not a whole number of 16-bit samples`, []);
  }
  return { contentType, ...format, size, sha256: hash.digest("hex") };
}

/** Faseeh's 2xx answer broke its contract: it acted, but we cannot use what it said. */
class ContractViolation extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
  }
}

/** Quotes a file name for a Content-Disposition header (as browsers do: UTF-8, quotes escaped). */
const encodeFilename = (name: string) => name.replace(/[\r\n]/g, " ").replace(/"/g, "%22");

class ResponseTooLargeError extends Error {}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new ResponseTooLargeError(`response exceeds ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Retry-After is either delta-seconds or an HTTP date; answer whole seconds from now. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  if (/^\s*\d+\s*$/.test(raw)) return Number(raw);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

const elapsed = (started: number) => Math.round(performance.now() - started);
