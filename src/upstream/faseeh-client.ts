// HTTP client for Faseeh (contracts: shared/reference/faseeh-voice-clone.txt,
// faseeh-preview-and-models.md and faseeh-text-to-speech.md): the clone,
// preview and text-to-speech calls, the model and voice lists. It owns one
// keep-alive undici pool, sends each billed call with its retries (only
// where Faseeh certainly created nothing), and
// turns every failure into a GatewayError. What answers must look like, what
// an answer proves, the body, the preview audio and the errors have modules
// of their own beside it. The API key never leaves this module except in the
// x-api-key header.
import { setTimeout as sleep } from "node:timers/promises";
import { Readable } from "node:stream";
import { Pool } from "undici";
import type { Config } from "../config.js";
import { GatewayError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { setActiveSpanAttribute, withTraceContext } from "../observability/spans.js";
import {
  classifyAnswer,
  type FailedAnswerClassification,
  isSuccessStatus,
  NEVER,
  parseRetryAfter,
  type RetryAdvice,
} from "./answer-classification.js";
import {
  cloneVoiceCall,
  type CloneVoiceRequest,
  previewVoiceCall,
  type PreviewVoiceRequest,
  speakCall,
  type SpeakRequest,
  type UpstreamCall,
  type UpstreamOperation,
} from "./faseeh-calls.js";
import {
  ContractViolation,
  findListedVoice,
  type ListedVoice,
  MAX_LIST_BYTES,
  MAX_RESPONSE_BYTES,
  parseErrorBody,
  parseJson,
  readLimited,
  readModelList,
  type UpstreamModel,
  type UpstreamVoice,
  voiceListOf,
} from "./faseeh-contract.js";
import { inAttemptSpan } from "./faseeh-spans.js";
import { FileIntegrityError, type Upload } from "./multipart-body.js";
import type { PcmAudio } from "./pcm-answer.js";
import {
  abortedBeforeSending,
  contractViolationError,
  failedAnswerError,
  noAnswerReason,
  notConfigured,
  upstreamOutcomeUnknown,
  upstreamStatusError,
  upstreamUnavailable,
  type UpstreamTimeouts,
  withUpstreamOutcome,
} from "./upstream-errors.js";

// What the client's callers name through it: its calls' requests and answers.
export type { CloneVoiceRequest, PreviewVoiceRequest, SpeakRequest, UpstreamOperation } from "./faseeh-calls.js";
export { type ListedVoice, type UpstreamModel, type UpstreamVoice, upstreamVoiceSchema } from "./faseeh-contract.js";
export type { AudioPart, AudioSource, FileDigest } from "./multipart-body.js";
export type { PcmAudio } from "./pcm-answer.js";
export { notConfigured } from "./upstream-errors.js";

/** What one attempt got back: a read 2xx answer, a 2xx breaking the contract, or a classified error status. */
type Exchange<T> =
  | { kind: "answered"; status: number; value: T }
  | { kind: "brokeContract"; status: number; violation: ContractViolation }
  | { kind: "failed"; status: number; answer: FailedAnswerClassification };

/** One failed call and whether to try again; caught by the retry loop, which rethrows `error`. */
class CallFailure extends Error {
  constructor(
    readonly error: GatewayError,
    readonly retry: RetryAdvice,
  ) {
    super(error.message);
  }
}

/** Codes of failures the caller caused (input, upload, disconnect) or shutdown did: not Faseeh's fault. */
const CALLER_CAUSED = new Set<string>(["BAD_USER_INPUT", "BAD_REQUEST", "SERVICE_UNAVAILABLE"]);

export class FaseehClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly host: string;

  constructor(
    private readonly config: Config["upstream"],
    private readonly logger: Logger,
    private readonly metrics?: Pick<Metrics, "upstreamDuration">,
  ) {
    const base = new URL(config.baseUrl);
    this.basePath = base.pathname.replace(/\/+$/, "");
    this.host = base.hostname;
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
    return this.send(cloneVoiceCall(input), signal);
  }

  /**
   * Faseeh's preview call (`FASEEH_PREVIEW_PATH`): the recording and text in,
   * raw PCM out, written as it streams to `input.audioPath` exactly as Faseeh
   * sent it. Billed like a clone, so sent, retried and mapped by the very
   * same rules (see cloneVoice): a complete request whose answer breaks off
   * is UPSTREAM_OUTCOME_UNKNOWN and never sent again.
   */
  previewVoice(input: PreviewVoiceRequest, signal?: AbortSignal): Promise<PcmAudio> {
    return this.send(previewVoiceCall(input, this.config.previewPath), signal);
  }

  /**
   * `POST /text-to-speech/{model_id}`, streaming: raw PCM written to `input.audioPath` as it arrives.
   * Billed per character, so sent and retried by cloneVoice's rules; the JSON is complete once written.
   */
  speak(input: SpeakRequest, signal?: AbortSignal): Promise<PcmAudio> {
    return this.send(speakCall(input), signal);
  }

  /** `GET /models`: the models Faseeh offers, read defensively (an element without `model_id` is skipped). */
  async listModels(): Promise<UpstreamModel[]> {
    const json = await this.getJson("/models", "listModels", MAX_LIST_BYTES, this.config.modelsTimeoutMs);
    if (!Array.isArray(json)) throw upstreamUnavailable("its model list is not a JSON array");
    return readModelList(json, () =>
      this.logger.warn({ upstream: "faseeh", op: "listModels" }, "skipped a model that does not match the contract"),
    );
  }

  /**
   * Looks a voice up in Faseeh's voice list (`GET /voices`, undocumented in
   * the reference we hold, so validated defensively). Null when the list
   * does not have it; throws GatewayError when the list cannot be read.
   */
  async findVoice(voiceId: string): Promise<ListedVoice | null> {
    const list = voiceListOf(await this.getJson("/voices", "listVoices", MAX_LIST_BYTES));
    if (!list) throw upstreamUnavailable("its voice list is not a JSON array");
    return findListedVoice(list, voiceId);
  }

  /**
   * Closes the pool's connections. Called at shutdown once every clone has
   * finished or been abandoned (shutdown's clone budget), so an upstream call
   * still open (a hung Faseeh) is cut rather than waited for.
   */
  async close(): Promise<void> {
    await this.pool.destroy();
  }

  /** One billed POST with its retries: see cloneVoice for when a call is sent again. */
  private async send<T>(call: UpstreamCall<T>, signal?: AbortSignal): Promise<T> {
    const apiKey = this.config.apiKey;
    if (apiKey === undefined) throw notConfigured();
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortedBeforeSending(signal);
      try {
        return await this.traced(call.operation, attempt, () => this.sendOnce(call, apiKey, signal));
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

  /** One attempt: its answer's value, or CallFailure saying what went wrong and whether to try again. */
  private async sendOnce<T>(call: UpstreamCall<T>, apiKey: string, signal?: AbortSignal): Promise<T> {
    const started = performance.now();
    const { operation } = call;
    const upload = call.start(signal);
    let exchange: Exchange<T>;
    try {
      exchange = await this.exchange(call, apiKey, upload);
    } catch (error) {
      const failure = this.unansweredRequestFailure(error, upload.signal, upload.isComplete(), operation);
      // Faseeh's failures are worth a warning; the client's own (a bad or stalled upload, a
      // disconnect) and shutdown's are not.
      this.observeCall(
        started,
        "error",
        failure.error.message,
        CALLER_CAUSED.has(failure.error.code) ? "info" : "warn",
        operation,
      );
      throw failure;
    } finally {
      upload.detach();
    }
    const { status } = exchange;
    if (exchange.kind === "brokeContract") {
      const { violation } = exchange;
      this.observeCall(started, status, violation.message, "warn", operation);
      this.logger.error(
        { upstream: "faseeh", op: operation, status, issues: violation.issues },
        "upstream answer does not match the contract",
      );
      // Faseeh said 2xx: it acted (and charged) even though we cannot read its answer.
      throw new CallFailure(contractViolationError(status, violation, operation), NEVER);
    }
    this.observeCall(started, status, undefined, "info", operation);
    if (exchange.kind === "answered") return exchange.value;
    const { answer } = exchange;
    throw new CallFailure(
      failedAnswerError(answer, operation, (message) => this.redact(message)),
      answer.retry,
    );
  }

  /** Sends the request and reads its answer: the 2xx's value, or the error status classified. */
  private async exchange<T>(call: UpstreamCall<T>, apiKey: string, upload: Upload): Promise<Exchange<T>> {
    const response = await this.pool.request({
      method: "POST",
      path: `${this.basePath}${call.path}`,
      headers: withTraceContext({
        "x-api-key": apiKey,
        accept: call.accept,
        "content-type": upload.contentType,
      }),
      body: Readable.from(upload.body, { objectMode: false }),
      // Waiting for Faseeh is bounded by headersTimeout/bodyTimeout, which
      // count from the end of the upload, so a slow client is not cut off.
      signal: upload.signal,
    });
    const completeAtAnswer = upload.isComplete();
    const { statusCode: status, headers } = response;
    setActiveSpanAttribute("http.response.status_code", status);
    const text = isSuccessStatus(status) ? "" : await readLimited(response.body, MAX_RESPONSE_BYTES);
    const answer = classifyAnswer(status, text, completeAtAnswer, parseRetryAfter(headers["retry-after"]));
    if (answer.kind !== "success") return { kind: "failed", status, answer };
    try {
      return { kind: "answered", status, value: await call.readAnswer(response.body, headers) };
    } catch (error) {
      if (error instanceof ContractViolation) return { kind: "brokeContract", status, violation: error };
      throw error;
    }
  }

  /**
   * The failure of a billed request that got no usable answer. A request
   * whose body was not sent to its end cannot have created a voice (the
   * uploads were invalid, the client left, the connection failed mid-way);
   * after the closing boundary, a missing answer means "unknown". Only
   * failures of the connection itself are worth another try: ours (an
   * invalid upload, a cancelled call) would fail the same way again.
   */
  private unansweredRequestFailure(
    error: unknown,
    upload: AbortSignal,
    complete: boolean,
    operation: UpstreamOperation,
  ): CallFailure {
    if (complete) {
      return new CallFailure(upstreamOutcomeUnknown(noAnswerReason(error, this.timeouts()), {}, error, operation), NEVER);
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
    const unavailable = upstreamUnavailable(noAnswerReason(error, this.timeouts()), error);
    return new CallFailure(withUpstreamOutcome(unavailable, "rejected"), { kind: "backoff" });
  }

  /** A GET answering JSON: the parsed body, or GatewayError for a transport failure or an error status. */
  private async getJson(path: string, operation: UpstreamOperation, limit: number, timeoutMs?: number): Promise<unknown> {
    const apiKey = this.config.apiKey;
    if (apiKey === undefined) throw notConfigured();
    return this.traced(operation, 1, () => this.getJsonOnce(path, operation, limit, apiKey, timeoutMs));
  }

  private async getJsonOnce(
    path: string,
    operation: UpstreamOperation,
    limit: number,
    apiKey: string,
    timeoutMs: number | undefined,
  ): Promise<unknown> {
    const started = performance.now();
    let status: number;
    let text: string;
    try {
      const response = await this.pool.request({
        method: "GET",
        path: `${this.basePath}${path}`,
        headers: withTraceContext({ "x-api-key": apiKey, accept: "application/json" }),
        // The whole call, answer included (the pool's own timeouts are per phase, and the clone's).
        ...(timeoutMs !== undefined && { signal: AbortSignal.timeout(timeoutMs) }),
      });
      status = response.statusCode;
      setActiveSpanAttribute("http.response.status_code", status);
      text = await readLimited(response.body, limit);
    } catch (error) {
      const failure = upstreamUnavailable(noAnswerReason(error, this.timeouts(timeoutMs)), error);
      this.observeCall(started, "error", failure.message, "warn", operation);
      throw failure;
    }
    this.observeCall(started, status, undefined, "info", operation);
    if (!isSuccessStatus(status)) {
      const body = parseErrorBody(text);
      throw upstreamStatusError(
        status,
        body ? { errorCode: body.errorCode, errorMessage: this.redact(body.errorMessage) } : {},
        undefined,
        operation,
      );
    }
    return parseJson(text);
  }

  /** One attempt of a call inside its span (faseeh-spans.ts). */
  private traced<T>(operation: UpstreamOperation, attempt: number, work: () => Promise<T>): Promise<T> {
    return inAttemptSpan({ operation, attempt, host: this.host }, work, (error) =>
      error instanceof CallFailure ? error.error : error,
    );
  }

  /** One log line and one metric sample per upstream call. */
  private observeCall(
    started: number,
    status: number | "error",
    error?: string,
    level: "info" | "warn" = "warn",
    operation: UpstreamOperation = "cloneVoice",
  ): void {
    const durationMs = Math.round(performance.now() - started);
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

  /** The timeouts a reason quotes: `timeoutMs` for a call with its own, else the pool's. */
  private timeouts(timeoutMs = this.config.timeoutMs): UpstreamTimeouts {
    return { timeoutMs, connectTimeoutMs: this.config.connectTimeoutMs };
  }

  /** Upstream messages are passed to clients; make sure none echoes our key. */
  private redact(message: string): string {
    const key = this.config.apiKey;
    return key ? message.split(key).join("[redacted]") : message;
  }
}
