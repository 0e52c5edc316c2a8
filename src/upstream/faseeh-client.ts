// HTTP client for Faseeh's voice-clone endpoint (contract:
// shared/reference/faseeh-voice-clone.txt). It owns one keep-alive undici
// pool, streams the multipart body from its file sources (never held in
// memory), checks answers against the contract with zod, and turns every
// failure into a GatewayError. The API key never leaves this module
// except in the x-api-key header.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { errors as undiciErrors, Pool } from "undici";
import { z } from "zod";
import type { Config } from "../config.js";
import {
  GatewayError,
  upstreamStatusError,
  upstreamUnavailable,
  type UpstreamErrorBody,
  withUpstreamOutcome,
} from "../errors.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";

/** One file part of the multipart body, for one attempt. */
export interface AudioPart {
  filename: string;
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

/**
 * Where a file part comes from. `open()` is called once per attempt; a
 * source that fails while being read aborts the request before it is
 * complete, so Faseeh cannot act on it.
 */
export interface AudioSource {
  open(): Promise<AudioPart>;
}

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
}

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

const nullableString = z.string().nullish().transform((value) => value ?? null);
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
  .transform(
    (body): UpstreamVoice => ({
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
    }),
  );

const errorBodySchema = z
  .object({
    errorCode: z.union([z.string(), z.number()]).transform(String).optional(),
    errorMessage: z.string().optional(),
  })
  .catch({});

/** Upstream answers are small JSON; anything bigger is not the contract. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

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
   * Retries only where Faseeh cannot have created the voice: the connection
   * was refused before anything was sent, or Faseeh answered 429/503 with a
   * Retry-After short enough to wait out. Never after a request was sent and
   * its answer is unknown: that could clone (and charge) twice.
   */
  async cloneVoice(input: CloneVoiceRequest, signal?: AbortSignal): Promise<UpstreamVoice> {
    if (this.config.apiKey === undefined) throw notConfigured();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.cloneOnce(input, this.config.apiKey, signal);
      } catch (error) {
        const failure = error as GatewayError;
        const delayMs = attempt < this.config.maxAttempts ? this.retryDelayMs(failure, attempt) : undefined;
        if (delayMs === undefined || signal?.aborted) throw failure;
        this.logger.warn(
          { upstream: "faseeh", op: "cloneVoice", attempt, retryInMs: delayMs, code: failure.code },
          "retrying upstream call that certainly created nothing",
        );
        await sleep(delayMs, signal);
      }
    }
  }

  private async cloneOnce(input: CloneVoiceRequest, apiKey: string, signal?: AbortSignal): Promise<UpstreamVoice> {
    const started = performance.now();
    const boundary = `----faseeh-gateway-${randomBytes(12).toString("hex")}`;
    const sent = { complete: false };
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await this.pool.request({
        method: "POST",
        path: `${this.basePath}/voices/clone`,
        headers: {
          "x-api-key": apiKey,
          accept: "application/json",
          "content-type": `multipart/form-data; boundary=${boundary}`,
        },
        body: Readable.from(multipartBody(input, boundary, sent), { objectMode: false }),
        // Waiting for Faseeh is bounded by headersTimeout/bodyTimeout, which
        // count from the end of the upload, so a slow client is not cut off.
        signal,
      });
      status = response.statusCode;
      headers = response.headers;
      text = await readLimited(response.body, MAX_RESPONSE_BYTES);
    } catch (error) {
      const failure = this.transportFailure(error, signal, sent.complete);
      this.record(started, "error", failure.message);
      throw failure;
    }
    this.record(started, status);

    if (status >= 200 && status < 300) {
      const parsed = cloneResponseSchema.safeParse(parseJson(text));
      if (!parsed.success) {
        this.logger.error(
          {
            upstream: "faseeh",
            status,
            issues: parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".")}: ${issue.message}`),
          },
          "upstream answer does not match the contract",
        );
        // Faseeh said 200: a voice may well exist even though we cannot read it.
        throw withUpstreamOutcome(upstreamUnavailable("its answer did not match the voice-clone contract"), "unknown");
      }
      return parsed.data;
    }
    const errorBody: UpstreamErrorBody = errorBodySchema.parse(parseJson(text));
    if (errorBody.errorMessage) errorBody.errorMessage = this.redact(errorBody.errorMessage);
    throw withUpstreamOutcome(upstreamStatusError(status, errorBody, parseRetryAfter(headers["retry-after"])), "rejected");
  }

  /** One log line and one metric sample per upstream call. */
  private record(started: number, status: number | "error", error?: string): void {
    const durationMs = elapsed(started);
    this.metrics?.upstreamDuration.observe({ operation: "cloneVoice", status: String(status) }, durationMs / 1000);
    if (error) this.logger.warn({ upstream: "faseeh", op: "cloneVoice", durationMs, error }, "upstream call failed");
    else this.logger.info({ upstream: "faseeh", op: "cloneVoice", status, durationMs }, "upstream call");
  }

  /** How long to wait before trying again, or undefined when a retry is not safe or not worth it. */
  private retryDelayMs(error: GatewayError, attempt: number): number | undefined {
    const jitter = Math.random() * 250;
    if (error.upstreamOutcome !== "rejected") return undefined;
    if ((error.originalError as { code?: unknown } | undefined)?.code === "ECONNREFUSED") {
      return 100 * 2 ** (attempt - 1) + jitter;
    }
    const status = error.extensions.upstreamStatus;
    const retryAfter = error.extensions.retryAfterSeconds;
    if ((status === 429 || status === 503) && typeof retryAfter === "number") {
      const waitMs = retryAfter * 1000 + jitter;
      return waitMs <= this.config.retryMaxWaitMs ? waitMs : undefined;
    }
    return undefined;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /**
   * A request whose body was not sent to its end cannot have created a voice
   * (the uploads were invalid, the client left, the connection failed
   * mid-way); after the closing boundary, a missing answer means "unknown".
   */
  private transportFailure(error: unknown, signal: AbortSignal | undefined, bodyComplete: boolean): GatewayError {
    const failure = error instanceof GatewayError ? error : this.describeTransportFailure(error, signal);
    return withUpstreamOutcome(failure, bodyComplete ? "unknown" : "rejected");
  }

  private describeTransportFailure(error: unknown, signal: AbortSignal | undefined): GatewayError {
    if (signal?.aborted) return upstreamUnavailable("the client went away before Faseeh answered", error);
    const code = (error as { code?: unknown } | null)?.code;
    const name = (error as { name?: unknown } | null)?.name;
    if (
      error instanceof undiciErrors.HeadersTimeoutError ||
      error instanceof undiciErrors.BodyTimeoutError ||
      name === "TimeoutError"
    ) {
      return upstreamUnavailable(`no answer within ${this.config.timeoutMs} ms`, error);
    }
    if (error instanceof undiciErrors.ConnectTimeoutError) {
      return upstreamUnavailable(`could not connect within ${this.config.connectTimeoutMs} ms`, error);
    }
    if (code === "ECONNREFUSED") return upstreamUnavailable("connection refused", error);
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return upstreamUnavailable("its host name does not resolve", error);
    if (error instanceof undiciErrors.SocketError || code === "ECONNRESET" || code === "EPIPE") {
      return upstreamUnavailable("the connection was closed before an answer arrived", error);
    }
    if (error instanceof ResponseTooLargeError) return upstreamUnavailable("its answer was unexpectedly large", error);
    return upstreamUnavailable("the request failed", error);
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
    "Cloning is disabled: FASEEH_API_KEY is not set on the gateway. Set it and restart the gateway.",
  );

/**
 * Streams the multipart body: text fields first (optional ones only when
 * given), then the two files in the order they become available (the
 * client's upload order, so a live upload never waits on the other file).
 * `sent.complete` turns true only after the closing boundary: until then
 * Faseeh holds an incomplete request it cannot act on.
 */
async function* multipartBody(input: CloneVoiceRequest, boundary: string, sent: { complete: boolean }): AsyncGenerator<Buffer> {
  const fields: Array<[string, string | undefined]> = [
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
  ];
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  }
  const pending = new Map(
    (
      [
        ["voice_file", input.voiceFile],
        ["reference_audio_file", input.referenceAudioFile],
      ] as const
    ).map(([field, source]) => {
      const opened = source.open().then((part) => ({ field, part }));
      opened.catch(() => undefined); // observed below; never an unhandled rejection
      return [field, opened] as const;
    }),
  );
  while (pending.size > 0) {
    const { field, part } = await Promise.race(pending.values());
    pending.delete(field);
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${encodeFilename(part.filename)}"\r\n` +
        `Content-Type: ${part.contentType}\r\n\r\n`,
    );
    yield* part.body as AsyncIterable<Buffer>;
    yield Buffer.from("\r\n");
  }
  await input.holdUntil;
  yield Buffer.from(`--${boundary}--\r\n`);
  sent.complete = true;
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

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(withUpstreamOutcome(upstreamUnavailable("the client went away before Faseeh answered"), "rejected"));
      },
      { once: true },
    );
  });
}
