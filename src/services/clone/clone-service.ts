// Cloning a voice, start to end: check the input (clone-input.ts), open its
// files (clone-uploads.ts, or a stored preview), record the attempt or
// replay an earlier one (clone-replay.ts), stream both files to Faseeh, and
// store what it created (voice-storing.ts). What each outcome does to the
// attempt is decided in clone-decisions.ts. Cloning spends the user's
// wallet and cannot be undone, so Faseeh never receives a complete request
// until every input is known to be valid and the attempt is recorded.
import { randomUUID } from "node:crypto";
import type { Config } from "../../config.js";
import { errorMessage, GatewayError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { Metrics } from "../../metrics.js";
import { type FaseehClient, notConfigured, type UpstreamVoice } from "../../upstream/faseeh-client.js";
import { ownerOf, type Principal } from "../access/api-key-service.js";
import type { ConcurrencyLimiter } from "../access/concurrency-limiter.js";
import type { RateLimitService } from "../access/rate-limit-service.js";
import type { CatalogService, VoiceRecord } from "../catalog/catalog-service.js";
import type { ModelCatalog } from "../models/model-catalog.js";
import type { PreviewService } from "../previews/preview-service.js";
import type { PreviewRecord } from "../previews/preview-store.js";
import type { CloneAttemptRecord, CloneAttemptStatus, CloneAttemptStore } from "./clone-attempt-store.js";
import { callOutcome, failureAnswer, failureMove, isRecordedRefusal, outcomeUnknownAtShutdown } from "./clone-decisions.js";
import {
  type CloneFields,
  type CloneVoiceInput,
  parseCloneFields,
  parseCloneForm,
  parseIdempotencyKey,
  upstreamFields,
} from "./clone-input.js";
import type { CloneRecoveryService } from "./clone-recovery-service.js";
import { replayEarlier, type ReplayDeps } from "./clone-replay.js";
import { type CloneFiles, HASH_NOT_YET_KNOWN, hashRequest } from "./clone-request-hash.js";
import { withUploadedFiles } from "./clone-uploads.js";
import { type Flight, InFlightClones } from "./in-flight-clones.js";
import type { VoiceJournal } from "./voice-journal.js";
import { VoiceStoring } from "./voice-storing.js";

export type { CloneVoiceInput };

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
  models: ModelCatalog;
  previews: PreviewService;
  limiter: ConcurrencyLimiter;
  rateLimits: RateLimitService;
  metrics: Pick<Metrics, "cloneAttempts">;
  config: Pick<Config, "uploads" | "upstream" | "idempotencyTtlHours" | "auth">;
  logger: Logger;
}

/** One clone on its way, before its fields and files are known. */
interface CloneCall {
  flight: Flight;
  owner: string;
  idempotencyKey: string | undefined;
  /** Client gone or shutdown: honoured only until Faseeh has the whole request. */
  signal: AbortSignal;
}

/** One clone whose input passed its checks: what every later step needs to know about it. */
interface CloneRun extends CloneCall {
  fields: CloneFields;
  files: CloneFiles;
  /** The preview the files and text come from, if any. */
  previewId?: string | undefined;
}

export class CloneService {
  private readonly flights: InFlightClones;
  private readonly storing: VoiceStoring;
  private readonly replayDeps: ReplayDeps;

  constructor(private readonly deps: CloneServiceDeps) {
    this.flights = new InFlightClones(deps.logger);
    this.storing = new VoiceStoring(deps.attempts, deps.journal, deps.logger, () => deps.recovery.nudge());
    this.replayDeps = { ...deps, consumeAllowance: (owner) => this.consumeAllowance(owner) };
  }

  /** The one way to clone: every call is accounted for in `cloneAttempts` and the clone metric. */
  async cloneVoice(input: CloneVoiceInput, options: CloneOptions = {}): Promise<CloneResult> {
    try {
      const result = await this.flights.run((flight) => this.clone(flight, input, options));
      this.deps.metrics.cloneAttempts.inc({ outcome: callOutcome(result) });
      return result;
    } catch (error) {
      this.deps.metrics.cloneAttempts.inc({ outcome: callOutcome({ error }) });
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

  /** A call refused before it had an attempt of its own is recorded as one, if isRecordedRefusal says so. */
  private async clone(flight: Flight, input: CloneVoiceInput, options: CloneOptions): Promise<CloneResult> {
    const owner = ownerOf(options.principal);
    try {
      if (!this.deps.faseeh.isConfigured) throw notConfigured();
      const form = parseCloneForm(input);
      const idempotencyKey = parseIdempotencyKey(input.idempotencyKey, options.idempotencyKeyHeader);
      const signal = options.signal ? AbortSignal.any([options.signal, flight.signal]) : flight.signal;
      const call: CloneCall = { flight, owner, idempotencyKey, signal };
      if (form.kind === "preview") return await this.cloneFromPreview(call, input, form.previewId);
      const fields = await this.checkFields(input);
      return await withUploadedFiles(this.deps.config.uploads, form, signal, (files, checkFirstFile) =>
        this.startAttempt({ ...call, fields, files }, checkFirstFile),
      );
    } catch (error) {
      if (isRecordedRefusal(error, flight.hasAttempt)) {
        await this.deps.attempts
          .recordRefusal({ id: randomUUID(), owner, name: input.name, model: input.model, error })
          .catch((dbError: unknown) => this.deps.logger.warn({ err: errorMessage(dbError) }, "could not record a refused clone"));
      }
      throw error;
    }
  }

  /** A clone from a stored preview: its files stay open (readable whatever the sweeper does) until the clone is done. */
  private async cloneFromPreview(call: CloneCall, input: CloneVoiceInput, previewId: string): Promise<CloneResult> {
    const opened = await this.deps.previews.openForClone(previewId, call.owner);
    try {
      const fields = await this.checkFields(input, opened.preview);
      const run: CloneRun = { ...call, fields, files: opened, previewId: opened.preview.id };
      return await this.startAttempt(run, () => Promise.resolve());
    } finally {
      await opened.release();
    }
  }

  /** The fields, validated, with a model Faseeh offers. */
  private async checkFields(input: CloneVoiceInput, preview?: PreviewRecord): Promise<CloneFields> {
    const fields = parseCloneFields(input, preview);
    await this.deps.models.checkModel("input.model", fields.model);
    return fields;
  }

  /**
   * Records the attempt and calls Faseeh. The attempt must be recorded
   * before Faseeh can act: with an idempotency key, first (the key decides
   * what happens); without, while the files stream, holding back the end of
   * the upstream request until the record is written.
   */
  private async startAttempt(run: CloneRun, checkFirstFile: () => Promise<void>): Promise<CloneResult> {
    const { owner, idempotencyKey, fields } = run;
    // A key seen before: decide from the stored attempt, with the files
    // received in full first (their contents are part of "the same request").
    if (idempotencyKey) {
      const earlier = await this.deps.attempts.findByKey(owner, idempotencyKey);
      if (earlier) return await this.continueEarlier(run, earlier, idempotencyKey);
    }
    await this.consumeAllowance(owner);
    await checkFirstFile();
    const attemptId = randomUUID();
    const recording = this.deps.attempts.begin({
      id: attemptId,
      owner,
      idempotencyKey,
      requestHash: HASH_NOT_YET_KNOWN,
      name: fields.name,
      model: fields.model,
      request: fields,
      previewId: run.previewId,
      ttlHours: this.deps.config.idempotencyTtlHours,
    });
    if (idempotencyKey) {
      const begun = await recording;
      // Another request with this key started a moment ago.
      if (begun.kind === "existing") return await this.continueEarlier(run, begun.attempt, idempotencyKey);
    }
    // Faseeh gets the end of the request only once the attempt is recorded. Should recording fail,
    // that is our database's failure, never Faseeh's: the request is aborted with it, not retried.
    const recorded = recording.catch((error: unknown) => {
      throw this.recordingFailure(attemptId, error);
    });
    recorded.catch(() => undefined); // observed through holdUntil
    return await this.callUpstream(run, attemptId, recorded);
  }

  /**
   * Counts a clone that will call Faseeh against the key's
   * CLONE_RATE_LIMIT_PER_MINUTE: a new attempt, or the retake of a failed
   * one; never a replay of an earlier request's result.
   */
  private consumeAllowance(owner: string): Promise<void> {
    return this.deps.rateLimits.consume(`clone:${owner}`, this.deps.config.auth.cloneRateLimitPerMinute, 60_000, "clones");
  }

  /** Why an attempt could not be recorded, as the client's error (unexpected ones logged with the attempt). */
  private recordingFailure(attemptId: string, error: unknown): GatewayError {
    if (error instanceof GatewayError) return error;
    this.deps.logger.error({ attemptId, err: error }, "could not record a clone attempt; the upstream request was aborted");
    return new GatewayError("INTERNAL_SERVER_ERROR", "The clone attempt could not be recorded.", {}, error);
  }

  /** With the files received in full: the earlier attempt's result, or a retake of it. */
  private async continueEarlier(run: CloneRun, earlier: CloneAttemptRecord, idempotencyKey: string): Promise<CloneResult> {
    const requestHash = await hashRequest(run.fields, run.files);
    const request = { owner: run.owner, idempotencyKey, requestHash, signal: run.signal };
    const replay = await replayEarlier(this.replayDeps, earlier, request);
    if (replay.kind === "replayed") return { attemptId: replay.attemptId, voice: replay.voice, replayed: true };
    return this.callUpstream(run, replay.attemptId);
  }

  /**
   * Calls Faseeh for a recorded attempt (within the concurrency cap) and
   * stores what it created. The request hash is known once the files have
   * arrived in full; it is recorded with the outcome.
   */
  private async callUpstream(run: CloneRun, attemptId: string, holdUntil?: Promise<unknown>): Promise<CloneResult> {
    const { faseeh, limiter } = this.deps;
    const { flight, fields, files, signal, owner } = run;
    const requestHash = () => hashRequest(fields, files).catch(() => undefined);
    const sent = upstreamFields(fields);
    flight.sending();
    let voice: UpstreamVoice;
    try {
      voice = await limiter.run(
        () =>
          faseeh.cloneVoice(
            {
              ...sent,
              ...files,
              holdUntil,
              // Past the clone budget at shutdown, an answer still awaited leaves the outcome unknown.
              onComplete: () => flight.awaitingAnswer(async () => this.recordAtShutdown(attemptId, await requestHash())),
            },
            signal,
          ),
        { owner, signal },
      );
    } catch (error) {
      // The attempt's record may still be on its way (it runs beside the upload): the outcome waits for it,
      // or it would find no PENDING attempt to move, and the record would then stay PENDING.
      await holdUntil?.catch(() => undefined);
      const hash = await requestHash();
      throw await this.recordFailure(attemptId, error, flight.complete, hash);
    }
    const hash = await requestHash(); // both files went to Faseeh in full, so this is at hand
    const entry = { attemptId, voice, model: fields.model, tags: fields.tags, ...(hash && { requestHash: hash }) };
    const stored = await this.storing.storeReceived(entry, flight);
    return { attemptId, voice: stored, replayed: false };
  }

  /** Records what a failed call means for its attempt (see failureMove), and returns the error for the client. */
  private async recordFailure(
    attemptId: string,
    error: unknown,
    requestComplete: boolean,
    requestHash: string | undefined,
  ): Promise<GatewayError> {
    const { attempts, logger } = this.deps;
    let failure: GatewayError;
    if (error instanceof GatewayError) {
      failure = error;
    } else {
      logger.error({ attemptId, err: error }, "unexpected error while cloning");
      failure = new GatewayError("INTERNAL_SERVER_ERROR", errorMessage(error));
    }
    const move = failureMove(failure, requestComplete);
    const answer = failureAnswer(failure, move, attemptId);
    await attempts[move](attemptId, { error: answer, requestHash }).catch((dbError: unknown) =>
      logger.warn({ attemptId, err: errorMessage(dbError) }, "could not record a failed clone attempt"),
    );
    return answer;
  }

  /** Shutdown's budget ran out while Faseeh's answer was awaited: recorded as a failure whose outcome is unknown. */
  private async recordAtShutdown(attemptId: string, requestHash: string | undefined): Promise<void> {
    const error = outcomeUnknownAtShutdown(attemptId);
    await this.deps.attempts[failureMove(error, true)](attemptId, { error, requestHash });
  }
}
