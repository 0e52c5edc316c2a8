// Cloning a voice: check everything, stream both files to Faseeh, store what
// it created. Cloning spends the user's wallet and cannot be undone, so
// Faseeh never receives a complete request until every input is known to be
// valid and the attempt is recorded.
import { createHash, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FileUpload } from "graphql-upload-minimal";
import { z } from "zod";
import type { Config } from "../config.js";
import { setTimeout as sleep } from "node:timers/promises";
import { badUserInput, errorMessage, GatewayError, upstreamOutcomeUnknown, withAttempt } from "../errors.js";
import type { Logger } from "../logger.js";
import {
  type CloneVoiceRequest,
  type FaseehClient,
  notConfigured,
  type UpstreamVoice,
} from "../upstream/faseeh-client.js";
import { type CatalogService, normaliseCodes, type VoiceRecord } from "./catalog-service.js";
import {
  ANONYMOUS_OWNER,
  type CloneAttemptRecord,
  type CloneAttemptStatus,
  type CloneAttemptStore,
} from "./clone-attempt-store.js";
import type { CloneRecoveryService } from "./clone-recovery-service.js";
import type { Metrics } from "../metrics.js";
import type { Principal } from "./api-key-service.js";
import type { ConcurrencyLimiter } from "./concurrency-limiter.js";
import type { RateLimitService } from "./rate-limit-service.js";
import { AudioUpload } from "./audio-upload.js";
import { type Flight, InFlightClones } from "./in-flight-clones.js";
import { UploadWatchdog } from "./upload-watchdog.js";
import type { VoiceJournal } from "./voice-journal.js";

type MaybeUpload = Promise<FileUpload> | FileUpload;

export interface CloneVoiceInput {
  voiceFile: MaybeUpload;
  referenceAudioFile: MaybeUpload;
  text: string;
  stability: number;
  name: string;
  model: string;
  description?: string | null;
  gender?: string | null;
  age?: string | null;
  languages?: readonly string[] | null;
  dialects?: readonly string[] | null;
  avatarUrl?: string | null;
  idempotencyKey?: string | null;
}

type CloneFields = Omit<CloneVoiceRequest, "voiceFile" | "referenceAudioFile">;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value ? value : undefined));

const plainWord = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z -]{0,31}$/, "must be a short plain word, e.g. \"female\" or \"middle\"")
  .nullish()
  .transform((value) => (value ? value : undefined));

const codeList = (pattern: RegExp, example: string) =>
  z
    .array(z.string().trim().toLowerCase().regex(pattern, `each entry must look like ${example}`))
    .max(20, "must have at most 20 entries")
    .nullish()
    .transform((values) => normaliseCodes(values));

const cloneFieldsSchema = z.object({
  text: z.string().trim().min(1, "must not be blank").max(5000, "must be at most 5000 characters"),
  stability: z.number().finite().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1"),
  name: z.string().trim().min(1, "must not be blank").max(100, "must be at most 100 characters"),
  model: z.string().trim().min(1, "must not be blank").max(100, "must be at most 100 characters"),
  description: optionalText(1000),
  gender: plainWord,
  age: plainWord,
  languages: codeList(/^[a-z]{2,3}(-[a-z0-9]+)*$/, "\"ar\" or \"ar-sa\""),
  dialects: codeList(/^[a-z][a-z_-]*$/, "\"najdi\" or \"gulf_saudi\""),
  avatarUrl: z
    .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
    .max(2048)
    .nullish()
    .transform((value) => value ?? undefined),
});

/** Validates and normalises the non-file fields; the first problem is reported with its field. */
export function parseCloneFields(input: CloneVoiceInput): CloneFields {
  const { voiceFile: _voice, referenceAudioFile: _reference, idempotencyKey: _key, ...fields } = input;
  const parsed = cloneFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = `input.${issue.path.filter((part) => typeof part === "string").join(".")}`;
    throw badUserInput(field, `\`${field}\` ${issue.message}.`);
  }
  return parsed.data;
}

const STORE_RETRY_DELAYS_MS = [0, 250, 1000];
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const POLL_MS = 150;

export interface CloneOptions {
  /** Aborted when the client disconnects: stops the clone only until Faseeh has the whole request. */
  signal?: AbortSignal | undefined;
  /** From the `Idempotency-Key` header; `input.idempotencyKey` is the other way to give it. */
  idempotencyKeyHeader?: string | undefined;
  /** Who asks: idempotency keys and the clone rate limit are per client key. */
  principal?: Principal | undefined;
}

export interface CloneResult {
  attemptId: string;
  voice: VoiceRecord;
  /** True when an earlier request with the same idempotency key produced this voice. */
  replayed: boolean;
}

export interface CloneServiceDeps {
  faseeh: FaseehClient;
  catalog: CatalogService;
  attempts: CloneAttemptStore;
  journal: VoiceJournal;
  recovery: CloneRecoveryService;
  limiter: ConcurrencyLimiter;
  rateLimits: RateLimitService;
  metrics: Pick<Metrics, "cloneAttempts">;
  config: Pick<Config, "uploads" | "upstream" | "idempotencyTtlHours" | "auth">;
  logger: Logger;
}

type Files = { voiceFile: AudioUpload; referenceAudioFile: AudioUpload };

/** One clone on its way: what every step needs to know about it. */
interface CloneRun {
  flight: Flight;
  fields: CloneFields;
  files: Files;
  /** Client gone or shutdown: honoured only until Faseeh has the whole request. */
  signal: AbortSignal;
}

/** Whose idempotency keys and attempts these are. */
export const ownerOf = (principal: Principal | undefined): string =>
  principal?.kind === "key" ? principal.id : ANONYMOUS_OWNER;

export class CloneService {
  private readonly flights: InFlightClones;

  constructor(private readonly deps: CloneServiceDeps) {
    this.flights = new InFlightClones(deps.logger);
  }

  async cloneVoice(input: CloneVoiceInput, options: CloneOptions = {}): Promise<CloneResult> {
    try {
      const result = await this.flights.run((flight) => this.clone(flight, input, options));
      this.deps.metrics.cloneAttempts.inc({ outcome: result.replayed ? "replayed" : "succeeded" });
      return result;
    } catch (error) {
      const outcome =
        error instanceof GatewayError && error.code === "VOICE_NOT_YET_STORED"
          ? "not_yet_stored"
          : error instanceof GatewayError && error.upstreamOutcome === "unknown"
            ? "unknown"
            : "failed";
      this.deps.metrics.cloneAttempts.inc({ outcome });
      throw error;
    }
  }

  /** The caller's own clone attempts; an `admin` key sees everybody's. */
  listAttempts(args: { status?: CloneAttemptStatus | null; first?: number | null }, principal: Principal | undefined) {
    return this.deps.attempts.list({ ...args, owner: principal?.scope === "admin" ? undefined : ownerOf(principal) });
  }

  /** Clones in this process right now (running or queued). */
  get inFlight(): number {
    return this.flights.count;
  }

  /** SIGTERM: see InFlightClones.shutdown. */
  shutdown(budgetMs: number) {
    return this.flights.shutdown(budgetMs);
  }

  /**
   * Every call is accounted for in `cloneAttempts`: one refused before it had
   * an attempt of its own (invalid fields or files, cloning not configured)
   * is recorded as FAILED with its code. Client rate-limit refusals are not,
   * so that a flood of them writes nothing.
   */
  private async clone(flight: Flight, input: CloneVoiceInput, options: CloneOptions): Promise<CloneResult> {
    const owner = ownerOf(options.principal);
    try {
      return await this.cloneAs(flight, owner, input, options);
    } catch (error) {
      if (!flight.hasAttempt && error instanceof GatewayError && RECORDED_REFUSALS.has(error.code)) {
        await this.deps.attempts
          .recordRefusal({ id: randomUUID(), owner, name: input.name, model: input.model, error })
          .catch((dbError: unknown) => this.deps.logger.warn({ err: errorMessage(dbError) }, "could not record a refused clone"));
      }
      throw error;
    }
  }

  private async cloneAs(flight: Flight, owner: string, input: CloneVoiceInput, options: CloneOptions): Promise<CloneResult> {
    if (!this.deps.faseeh.isConfigured) throw notConfigured();
    const fields = parseCloneFields(input);
    const idempotencyKey = parseIdempotencyKey(input.idempotencyKey, options.idempotencyKeyHeader);
    await this.deps.rateLimits.consume(`clone:${owner}`, this.deps.config.auth.cloneRateLimitPerMinute, 60_000, "clones");
    const { uploads } = this.deps.config;
    const dir = await this.makeRequestDir();
    const watchdog = new UploadWatchdog({ idleTimeoutMs: uploads.idleTimeoutMs, deadlineMs: uploads.deadlineMs });
    const uploadOptions = { dir, maxBytes: uploads.maxBytes, watchdog };
    const files: Files = {
      voiceFile: new AudioUpload(input.voiceFile, { ...uploadOptions, field: "input.voiceFile" }),
      referenceAudioFile: new AudioUpload(input.referenceAudioFile, { ...uploadOptions, field: "input.referenceAudioFile" }),
    };
    const signal = options.signal ? AbortSignal.any([options.signal, flight.signal]) : flight.signal;
    // Cancelled (client gone, shutdown) while the client may still be sending:
    // nobody waits for the rest of its files.
    signal.addEventListener("abort", () => watchdog.cancel(), { once: true });
    const run: CloneRun = { flight, fields, files, signal };
    try {
      // A key seen before: decide from the stored attempt, with the files
      // received in full first (their contents are part of "the same request").
      const earlier = idempotencyKey ? await this.deps.attempts.findByKey(owner, idempotencyKey) : null;
      if (earlier) return await this.continueEarlier(run, earlier, owner, idempotencyKey!);
      // Otherwise check the first file to arrive before contacting anyone (the
      // other is checked as it streams, see AudioUpload, unless it is here already). The attempt must be
      // recorded before Faseeh can act: with a key, first (the key decides
      // what happens); without, while the files stream, holding back the end
      // of the upstream request until the record is written.
      const first = await Promise.race([files.voiceFile.started(), files.referenceAudioFile.started()]);
      await first.ready();
      // A small body may hold the other file already: check it too while nothing is sent.
      const second = first === files.voiceFile ? files.referenceAudioFile : files.voiceFile;
      if (second.hasArrived) await second.ready();
      const attemptId = randomUUID();
      const recording = this.deps.attempts.begin({
        id: attemptId,
        owner,
        idempotencyKey,
        requestHash: UNKNOWN_HASH,
        name: fields.name,
        model: fields.model,
        request: fields,
        ttlHours: this.deps.config.idempotencyTtlHours,
      });
      if (idempotencyKey) {
        const begun = await recording;
        // Another request with this key started a moment ago.
        if (begun.kind === "existing") return await this.continueEarlier(run, begun.attempt, owner, idempotencyKey);
      }
      recording.catch(() => undefined); // observed through holdUntil
      return await this.callUpstream(run, attemptId, recording);
    } finally {
      // Read whatever is left of the uploads (or the request would stall;
      // a cancelled clone's are abandoned at once, see above), then clean up.
      await Promise.allSettled([files.voiceFile.settle(), files.referenceAudioFile.settle()]);
      watchdog.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** With the files received in full: the earlier attempt's result, or a retake of it. */
  private async continueEarlier(run: CloneRun, earlier: CloneAttemptRecord, owner: string, idempotencyKey: string): Promise<CloneResult> {
    const requestHash = await hashRequest(run.fields, run.files);
    const decided = await this.resume(earlier, owner, idempotencyKey, requestHash, run.signal);
    if ("voice" in decided) return decided;
    return this.callUpstream(run, decided.attemptId);
  }

  /**
   * Calls Faseeh for a recorded attempt (within the concurrency cap) and
   * stores what it created. The request hash is known once the files have
   * arrived in full; it is recorded with the outcome.
   */
  private async callUpstream(run: CloneRun, attemptId: string, holdUntil?: Promise<unknown>): Promise<CloneResult> {
    const { faseeh, attempts, limiter } = this.deps;
    const { flight, fields, files, signal } = run;
    const requestHash = () => hashRequest(fields, files).catch(() => undefined);
    flight.hasAttempt = true;
    flight.phase = "sending";
    let voice: UpstreamVoice;
    try {
      voice = await limiter.run(
        () =>
          faseeh.cloneVoice(
            {
              ...fields,
              ...files,
              holdUntil,
              onComplete: () => {
                flight.phase = "awaiting-answer";
                // Past the clone budget at shutdown, an answer still awaited stays UNKNOWN.
                flight.abandon = async () => {
                  await attempts.markUnknown(attemptId, {
                    error: outcomeUnknownAtShutdown(attemptId),
                    requestHash: await requestHash(),
                  });
                };
              },
            },
            signal,
          ),
        signal,
      );
    } catch (error) {
      throw await this.recordFailure(attemptId, run, error, await requestHash());
    }
    flight.phase = "storing";
    const hash = await requestHash(); // both files went to Faseeh in full, so this is at hand
    return { attemptId, voice: await this.store(flight, attemptId, voice, fields.model, hash), replayed: false };
  }

  /** Records what a failed call means for its attempt, and returns the error for the client. */
  private async recordFailure(attemptId: string, run: CloneRun, error: unknown, requestHash: string | undefined): Promise<GatewayError> {
    const { attempts, logger } = this.deps;
    let failure: GatewayError;
    if (!(error instanceof GatewayError)) {
      logger.error({ attemptId, err: error }, "unexpected error while cloning");
      failure = new GatewayError("INTERNAL_SERVER_ERROR", errorMessage(error));
    } else {
      failure = error;
    }
    // Only a failure known to precede the closing boundary proves nothing was created.
    const unknown = failure.upstreamOutcome === "unknown" || (failure.upstreamOutcome === undefined && run.flight.complete);
    let record: Promise<unknown>;
    if (unknown) {
      failure =
        failure.code === "UPSTREAM_OUTCOME_UNKNOWN"
          ? withAttempt(failure, attemptId)
          : withAttempt(upstreamOutcomeUnknown("the gateway failed while waiting for the answer", {}, failure), attemptId);
      record = attempts.markUnknown(attemptId, { error: failure, requestHash });
    } else {
      record = attempts.fail(attemptId, { error: failure, requestHash });
    }
    await record.catch((dbError: unknown) =>
      logger.warn({ attemptId, err: errorMessage(dbError) }, "could not record a failed clone attempt"),
    );
    return failure;
  }

  /**
   * An earlier attempt with the same idempotency key exists. Same request:
   * its result (waiting while it still runs), or a retake if it failed.
   * Different request: IDEMPOTENCY_KEY_REUSED.
   */
  private async resume(
    found: CloneAttemptRecord,
    owner: string,
    idempotencyKey: string,
    requestHash: string,
    signal: AbortSignal,
  ): Promise<{ attemptId: string } | CloneResult> {
    const { attempts, config, catalog } = this.deps;
    const deadline = Date.now() + config.upstream.queueTimeoutMs + config.upstream.timeoutMs;
    for (let attempt: CloneAttemptRecord | null = found; ; attempt = await attempts.findByKey(owner, idempotencyKey)) {
      if (!attempt) throw new GatewayError("IDEMPOTENCY_IN_PROGRESS", "The earlier request with this key was just cleaned up; retry.");
      // A hash is only known once the earlier request's files arrived in full.
      if (attempt.requestHash !== UNKNOWN_HASH && attempt.requestHash !== requestHash) {
        throw new GatewayError(
          "IDEMPOTENCY_KEY_REUSED",
          "This idempotency key was already used for a different clone request (other fields or files). Use a new key for a new request.",
          { field: "input.idempotencyKey", attemptId: attempt.id },
        );
      }
      switch (attempt.status) {
        case "SUCCEEDED": {
          const voice = attempt.voiceId ? await catalog.getVoice({ voiceId: attempt.voiceId }) : null;
          if (voice) return { attemptId: attempt.id, voice, replayed: true };
          throw notYetStored(attempt.voiceId ?? "unknown", undefined);
        }
        case "FAILED":
          if (await attempts.retake(attempt.id, requestHash)) return { attemptId: attempt.id };
          continue;
        case "UNKNOWN":
          throw withAttempt(
            upstreamOutcomeUnknown(
              "an earlier request with this idempotency key reached Faseeh and its outcome is still unknown",
              {},
            ),
            attempt.id,
          );
        case "PENDING":
          if (Date.now() > deadline || signal.aborted) {
            throw new GatewayError(
              "IDEMPOTENCY_IN_PROGRESS",
              "A request with this idempotency key is still running. Retry shortly to get its result.",
              { attemptId: attempt.id },
            );
          }
          await sleep(POLL_MS);
      }
    }
  }

  /**
   * Faseeh created the voice and charged for it: from here on it must reach
   * the catalog. It is journaled to disk first, then stored (retried); if the
   * database stays down, the recovery service imports it later.
   */
  private async store(flight: Flight, attemptId: string, voice: UpstreamVoice, model: string, requestHash?: string): Promise<VoiceRecord> {
    const { journal, attempts, recovery, logger } = this.deps;
    // Journal and first insert run side by side. The journal survives a crash
    // of this process at once; it is fsync'd too before the client is told
    // the catalog could not take the voice, or the process exits without it.
    const entry = { attemptId, voice, model, ...(requestHash && { requestHash }) };
    flight.abandon = () => journal.record(entry);
    const journaling = journal.record(entry, { sync: false }).then(
      () => true,
      (error: unknown) => {
        // The database may still work; the log line keeps the voice recoverable by hand.
        logger.error({ attemptId, voice: { ...voice, model }, err: errorMessage(error) }, "could not journal a cloned voice");
        return false;
      },
    );
    let lastError: unknown;
    for (const delay of STORE_RETRY_DELAYS_MS) {
      if (delay) await sleep(delay);
      let stored: VoiceRecord;
      try {
        stored = await attempts.recordVoice(attemptId, voice, model, requestHash);
      } catch (error) {
        lastError = error;
        logger.warn({ attemptId, voiceId: voice.voiceId, err: errorMessage(error) }, "storing a cloned voice failed; retrying");
        // Before any retry, the voice is made safe on disk, power loss included.
        if (await journaling) await journal.record(entry).catch(() => undefined);
        continue;
      }
      flight.abandon = undefined;
      // Stored: the journal entry is no longer needed (a leftover would only be
      // re-imported harmlessly, the insert is an upsert).
      void journaling.then((journaled) =>
        journaled
          ? journal.remove(attemptId).catch((error: unknown) =>
              logger.warn({ attemptId, err: errorMessage(error) }, "could not remove a journal entry"),
            )
          : undefined,
      );
      return stored;
    }
    logger.error({ attemptId, voice: { ...voice, model }, err: errorMessage(lastError) }, "cloned voice journaled; catalog insert deferred");
    recovery.nudge();
    throw notYetStored(voice.voiceId, voice.id, lastError);
  }

  private async makeRequestDir(): Promise<string> {
    const base = this.deps.config.uploads.dir ?? path.join(os.tmpdir(), "voice-gateway-uploads");
    await mkdir(base, { recursive: true });
    return mkdtemp(path.join(base, "clone-"));
  }
}

/** Refusals before an attempt existed that are still recorded as FAILED attempts (see `clone`). */
const RECORDED_REFUSALS = new Set(["BAD_USER_INPUT", "BAD_REQUEST", "PAYLOAD_TOO_LARGE", "UPSTREAM_NOT_CONFIGURED"]);

const outcomeUnknownAtShutdown = (attemptId: string) =>
  withAttempt(upstreamOutcomeUnknown("the gateway shut down before Faseeh answered"), attemptId);

function notYetStored(voiceId: string, id: string | undefined, cause?: unknown): GatewayError {
  return new GatewayError(
    "VOICE_NOT_YET_STORED",
    `Faseeh created the voice (voiceId ${voiceId}), but the catalog could not store it yet. ` +
      `It is not lost: it will appear in the catalog once the database recovers. Do not clone it again.`,
    { voiceId, ...(id && { id }) },
    cause,
  );
}

/** Placeholder until a streamed request's files have arrived in full. */
const UNKNOWN_HASH = "pending";


function parseIdempotencyKey(fromInput: string | null | undefined, fromHeader: string | undefined): string | undefined {
  const input = fromInput ?? undefined;
  const header = fromHeader?.trim() || undefined;
  if (input !== undefined && header !== undefined && input !== header) {
    throw badUserInput("input.idempotencyKey", "`input.idempotencyKey` and the Idempotency-Key header differ; send one of them.");
  }
  const key = input ?? header;
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw badUserInput("input.idempotencyKey", "`input.idempotencyKey` must be 1-255 visible ASCII characters, e.g. a UUID.");
  }
  return key;
}

/**
 * Identifies "the same request": normalised fields and both files' contents
 * (not their names). Waits for both files to arrive in full.
 */
async function hashRequest(fields: CloneFields, files: Files): Promise<string> {
  const [voice, reference] = await Promise.allSettled([files.voiceFile.recorded(), files.referenceAudioFile.recorded()]);
  if (voice.status === "rejected") throw voice.reason;
  if (reference.status === "rejected") throw reference.reason;
  const canonical = JSON.stringify({
    ...Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))),
    voiceFile: voice.value.sha256,
    referenceAudioFile: reference.value.sha256,
  });
  return createHash("sha256").update(canonical).digest("hex");
}

