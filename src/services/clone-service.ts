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
import { badUserInput, errorMessage, GatewayError, withUpstreamOutcome } from "../errors.js";
import type { Logger } from "../logger.js";
import {
  type CloneVoiceRequest,
  type FaseehClient,
  notConfigured,
  type UpstreamVoice,
} from "../upstream/faseeh-client.js";
import { type CatalogService, normaliseCodes, type VoiceRecord } from "./catalog-service.js";
import type { CloneAttemptRecord, CloneAttemptStore } from "./clone-attempt-store.js";
import type { CloneRecoveryService } from "./clone-recovery-service.js";
import type { Metrics } from "../metrics.js";
import type { Principal } from "./api-key-service.js";
import type { ConcurrencyLimiter } from "./concurrency-limiter.js";
import type { RateLimitService } from "./rate-limit-service.js";
import { AudioUpload, type SpooledFile } from "./audio-upload.js";
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
  signal?: AbortSignal | undefined;
  /** From the `Idempotency-Key` header; `input.idempotencyKey` is the other way to give it. */
  idempotencyKeyHeader?: string | undefined;
  /** Who asks: each client key has its own clone rate limit. */
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

export class CloneService {
  constructor(private readonly deps: CloneServiceDeps) {}

  async cloneVoice(input: CloneVoiceInput, options: CloneOptions = {}): Promise<CloneResult> {
    try {
      const result = await this.clone(input, options);
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

  private async clone(input: CloneVoiceInput, options: CloneOptions): Promise<CloneResult> {
    if (!this.deps.faseeh.isConfigured) throw notConfigured();
    const fields = parseCloneFields(input);
    const idempotencyKey = parseIdempotencyKey(input.idempotencyKey, options.idempotencyKeyHeader);
    const caller = options.principal?.kind === "key" ? options.principal.id : "anonymous";
    await this.deps.rateLimits.consume(`clone:${caller}`, this.deps.config.auth.cloneRateLimitPerMinute, 60_000, "clones");
    const dir = await this.makeRequestDir();
    const uploadOptions = { dir, maxBytes: this.deps.config.uploads.maxBytes };
    const files = {
      voiceFile: new AudioUpload(input.voiceFile, { ...uploadOptions, field: "input.voiceFile" }),
      referenceAudioFile: new AudioUpload(input.referenceAudioFile, { ...uploadOptions, field: "input.referenceAudioFile" }),
    };
    try {
      // A key seen before: decide from the stored attempt, with the files
      // received in full first (their contents are part of "the same request").
      const earlier = idempotencyKey ? await this.deps.attempts.findByKey(idempotencyKey) : null;
      if (earlier) return await this.continueEarlier(earlier, idempotencyKey!, fields, files, options.signal);
      // Otherwise check the first file to arrive before contacting anyone (the
      // other is checked as it streams; see AudioUpload). The attempt must be
      // recorded before Faseeh can act: with a key, first (the key decides
      // what happens); without, while the files stream, holding back the end
      // of the upstream request until the record is written.
      await Promise.race([files.voiceFile.ready(), files.referenceAudioFile.ready()]);
      const attemptId = randomUUID();
      const recording = this.deps.attempts.begin({
        id: attemptId,
        idempotencyKey,
        requestHash: UNKNOWN_HASH,
        name: fields.name,
        model: fields.model,
        ttlHours: this.deps.config.idempotencyTtlHours,
      });
      if (idempotencyKey) {
        const begun = await recording;
        // Another request with this key started a moment ago.
        if (begun.kind === "existing") return await this.continueEarlier(begun.attempt, idempotencyKey, fields, files, options.signal);
      }
      recording.catch(() => undefined); // observed through holdUntil
      return await this.callUpstream(attemptId, fields, files, options.signal, { streamed: true, holdUntil: recording });
    } finally {
      // Read whatever is left of the uploads (or the request would stall), then clean up.
      await Promise.allSettled([files.voiceFile.settle(), files.referenceAudioFile.settle()]);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** With the files received in full: the earlier attempt's result, or a retake of it. */
  private async continueEarlier(
    earlier: CloneAttemptRecord,
    idempotencyKey: string,
    fields: CloneFields,
    files: { voiceFile: AudioUpload; referenceAudioFile: AudioUpload },
    signal: AbortSignal | undefined,
  ): Promise<CloneResult> {
    const requestHash = hashRequest(fields, ...(await settleBoth(files)));
    const decided = await this.resume(earlier, idempotencyKey, requestHash, signal);
    if ("voice" in decided) return decided;
    return this.callUpstream(decided.attemptId, fields, files, signal);
  }

  /**
   * Calls Faseeh for a recorded attempt (within the concurrency cap) and
   * stores what it created. A streamed attempt learns its request hash only
   * now, once the files have arrived in full, and records it with the outcome.
   */
  private async callUpstream(
    attemptId: string,
    fields: CloneFields,
    files: { voiceFile: AudioUpload; referenceAudioFile: AudioUpload },
    signal: AbortSignal | undefined,
    { streamed = false, holdUntil }: { streamed?: boolean; holdUntil?: Promise<unknown> } = {},
  ): Promise<CloneResult> {
    const { faseeh, attempts, limiter, logger } = this.deps;
    const requestHash = async () => (streamed ? hashRequest(fields, ...(await settleBoth(files))) : undefined);
    let voice: UpstreamVoice;
    try {
      voice = await limiter.run(() => faseeh.cloneVoice({ ...fields, ...files, holdUntil }, signal), signal);
    } catch (error) {
      const failure =
        error instanceof GatewayError
          ? error
          : withUpstreamOutcome(new GatewayError("INTERNAL_SERVER_ERROR", errorMessage(error)), "unknown");
      failure.upstreamOutcome ??= "rejected"; // e.g. it never left the queue
      // An upload found invalid midway aborted the request: nothing was spent,
      // so nothing is kept either (and its idempotency key stays free).
      const record =
        failure.code === "BAD_USER_INPUT" && failure.upstreamOutcome === "rejected"
          ? attempts.discard(attemptId)
          : requestHash()
              .catch(() => undefined)
              .then((hash) => attempts.markFailed(attemptId, failure, hash));
      await record.catch((dbError: unknown) =>
        logger.warn({ attemptId, err: errorMessage(dbError) }, "could not record a failed clone attempt"),
      );
      throw failure;
    }
    // Faseeh received both files in full, so they settle at once.
    const hash = await requestHash().catch(() => undefined);
    return { attemptId, voice: await this.store(attemptId, voice, fields.model, hash), replayed: false };
  }

  /**
   * An earlier attempt with the same idempotency key exists. Same request:
   * its result (waiting while it still runs), or a retake if it failed.
   * Different request: IDEMPOTENCY_KEY_REUSED.
   */
  private async resume(
    found: CloneAttemptRecord,
    idempotencyKey: string,
    requestHash: string,
    signal: AbortSignal | undefined,
  ): Promise<{ attemptId: string } | CloneResult> {
    const { attempts, config, catalog } = this.deps;
    const deadline = Date.now() + config.upstream.queueTimeoutMs + config.upstream.timeoutMs;
    for (let attempt: CloneAttemptRecord | null = found; ; attempt = await attempts.findByKey(idempotencyKey)) {
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
          const voice = await catalog.getVoice({ voiceId: attempt.voiceId });
          if (voice) return { attemptId: attempt.id, voice, replayed: true };
          throw notYetStored(attempt.voiceId ?? "unknown", undefined);
        }
        case "FAILED":
          if (await attempts.retake(attempt.id, requestHash)) return { attemptId: attempt.id };
          continue;
        case "UNKNOWN":
          throw new GatewayError(
            "UPSTREAM_UNAVAILABLE",
            "An earlier request with this idempotency key reached Faseeh but its outcome is unknown, so it is not repeated " +
              "(that could clone twice). Check the `cloneAttempts` query, or use a new key to clone again.",
            { attemptId: attempt.id },
          );
        case "PENDING":
          if (Date.now() > deadline || signal?.aborted) {
            throw new GatewayError(
              "IDEMPOTENCY_IN_PROGRESS",
              "A request with this idempotency key is still running. Retry shortly to get its result.",
              { attemptId: attempt.id },
            );
          }
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    }
  }

  /**
   * Faseeh created the voice and charged for it: from here on it must reach
   * the catalog. It is journaled to disk first, then stored (retried); if the
   * database stays down, the recovery service imports it later.
   */
  private async store(attemptId: string, voice: UpstreamVoice, model: string, requestHash?: string): Promise<VoiceRecord> {
    const { journal, attempts, recovery, logger } = this.deps;
    // Journal and first insert run side by side. The journal survives a crash
    // of this process at once; it is fsync'd too before the client is told
    // the catalog could not take the voice.
    const entry = { attemptId, voice, model };
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
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      let stored: VoiceRecord;
      try {
        stored = await attempts.complete(attemptId, voice, model, requestHash);
      } catch (error) {
        lastError = error;
        logger.warn({ attemptId, voiceId: voice.voiceId, err: errorMessage(error) }, "storing a cloned voice failed; retrying");
        // Before any retry, the voice is made safe on disk, power loss included.
        if (await journaling) await journal.record(entry).catch(() => undefined);
        continue;
      }
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

async function settleBoth(files: { voiceFile: AudioUpload; referenceAudioFile: AudioUpload }): Promise<[SpooledFile, SpooledFile]> {
  const [voice, reference] = await Promise.allSettled([files.voiceFile.settle(), files.referenceAudioFile.settle()]);
  if (voice.status === "rejected") throw voice.reason;
  if (reference.status === "rejected") throw reference.reason;
  return [voice.value, reference.value];
}

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

/** Identifies "the same request": normalised fields and both files' contents (not their names). */
function hashRequest(fields: CloneFields, voiceFile: SpooledFile, referenceAudioFile: SpooledFile): string {
  const canonical = JSON.stringify({
    ...Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))),
    voiceFile: voiceFile.sha256,
    referenceAudioFile: referenceAudioFile.sha256,
  });
  return createHash("sha256").update(canonical).digest("hex");
}

