// Cloning a voice: check everything, receive both files, call Faseeh once,
// store what it created. Cloning spends the user's wallet and cannot be
// undone, so no byte goes upstream until every input is known to be valid.
import { createHash, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FileUpload } from "graphql-upload-minimal";
import { z } from "zod";
import type { Config } from "../config.js";
import { badUserInput, GatewayError, withUpstreamOutcome } from "../errors.js";
import type { Logger } from "../logger.js";
import {
  type CloneVoiceRequest,
  type FaseehClient,
  notConfigured,
  type SpooledFile,
  type UpstreamVoice,
} from "../upstream/faseeh-client.js";
import { type CatalogService, normaliseCodes, type VoiceRecord } from "./catalog-service.js";
import type { CloneAttemptStore } from "./clone-attempt-store.js";
import type { CloneRecoveryService } from "./clone-recovery-service.js";
import type { ConcurrencyLimiter } from "./concurrency-limiter.js";
import { spoolUpload } from "./upload-spool.js";
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
  config: Pick<Config, "uploads" | "upstream" | "idempotencyTtlHours">;
  logger: Logger;
}

export class CloneService {
  constructor(private readonly deps: CloneServiceDeps) {}

  async cloneVoice(input: CloneVoiceInput, options: CloneOptions = {}): Promise<CloneResult> {
    const { faseeh, attempts, limiter } = this.deps;
    if (!faseeh.isConfigured) throw notConfigured();
    const fields = parseCloneFields(input);
    const idempotencyKey = parseIdempotencyKey(input.idempotencyKey, options.idempotencyKeyHeader);
    const dir = await this.makeRequestDir();
    try {
      const [voiceFile, referenceAudioFile] = await this.spoolBoth(input, dir);
      const requestHash = hashRequest(fields, voiceFile, referenceAudioFile);
      const started = await this.beginAttempt(idempotencyKey, requestHash, fields, options.signal);
      if ("voice" in started) return started;
      const { attemptId } = started;
      let voice: UpstreamVoice;
      try {
        voice = await limiter.run(
          () => faseeh.cloneVoice({ ...fields, voiceFile, referenceAudioFile }, options.signal),
          options.signal,
        );
      } catch (error) {
        const failure =
          error instanceof GatewayError ? error : withUpstreamOutcome(new GatewayError("INTERNAL_SERVER_ERROR", String(error)), "unknown");
        if (!failure.upstreamOutcome) failure.upstreamOutcome = "rejected"; // e.g. never left the queue
        await attempts.markFailed(attemptId, failure).catch((dbError: unknown) =>
          this.deps.logger.warn({ attemptId, err: describe(dbError) }, "could not record a failed clone attempt"),
        );
        throw error;
      }
      return { attemptId, voice: await this.store(attemptId, voice, fields.model), replayed: false };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Records the attempt before anything is spent. With an idempotency key
   * that was seen before: same request -> its result (waiting while it is
   * still running); different request -> IDEMPOTENCY_KEY_REUSED.
   */
  private async beginAttempt(
    idempotencyKey: string | undefined,
    requestHash: string,
    fields: CloneFields,
    signal: AbortSignal | undefined,
  ): Promise<{ attemptId: string } | CloneResult> {
    const { attempts, config } = this.deps;
    const attemptId = randomUUID();
    const begun = await attempts.begin({
      id: attemptId,
      idempotencyKey,
      requestHash,
      name: fields.name,
      model: fields.model,
      ttlHours: config.idempotencyTtlHours,
    });
    if (begun.kind === "started") return { attemptId };

    let attempt = begun.attempt;
    if (attempt.requestHash !== requestHash) {
      throw new GatewayError(
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was already used for a different clone request (other fields or files). Use a new key for a new request.",
        { field: "input.idempotencyKey", attemptId: attempt.id },
      );
    }
    const deadline = Date.now() + config.upstream.queueTimeoutMs + config.upstream.timeoutMs;
    for (;;) {
      switch (attempt.status) {
        case "SUCCEEDED": {
          const voice = await this.deps.catalog.getVoice({ voiceId: attempt.voiceId });
          if (voice) return { attemptId: attempt.id, voice, replayed: true };
          throw notYetStored(attempt.voiceId ?? "unknown", undefined);
        }
        case "FAILED":
          if (await attempts.retake(attempt.id)) return { attemptId: attempt.id };
          break;
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
          break;
      }
      attempt = (await attempts.findByKey(idempotencyKey!)) ?? attempt;
    }
  }

  /**
   * Both files are read at once: the multipart body delivers them in the
   * client's order, and waiting on the second while the first is unread
   * would stall the request.
   */
  private async spoolBoth(input: CloneVoiceInput, dir: string): Promise<[SpooledFile, SpooledFile]> {
    const options = { dir, maxBytes: this.deps.config.uploads.maxBytes };
    const [voice, reference] = await Promise.allSettled([
      spoolUpload(input.voiceFile, { ...options, field: "input.voiceFile" }),
      spoolUpload(input.referenceAudioFile, { ...options, field: "input.referenceAudioFile" }),
    ]);
    if (voice.status === "rejected") throw voice.reason;
    if (reference.status === "rejected") throw reference.reason;
    return [voice.value, reference.value];
  }

  /**
   * Faseeh created the voice and charged for it: from here on it must reach
   * the catalog. It is journaled to disk first, then stored (retried); if the
   * database stays down, the recovery service imports it later.
   */
  private async store(attemptId: string, voice: UpstreamVoice, model: string): Promise<VoiceRecord> {
    const { journal, attempts, recovery, logger } = this.deps;
    const journaled = await journal.record({ attemptId, voice, model }).then(
      () => true,
      (error: unknown) => {
        // The database may still work; the log line keeps the voice recoverable by hand.
        logger.error({ attemptId, voice: { ...voice, model }, err: describe(error) }, "could not journal a cloned voice");
        return false;
      },
    );
    let lastError: unknown;
    for (const delay of STORE_RETRY_DELAYS_MS) {
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      let stored: VoiceRecord;
      try {
        stored = await attempts.complete(attemptId, voice, model);
      } catch (error) {
        lastError = error;
        logger.warn({ attemptId, voiceId: voice.voiceId, err: describe(error) }, "storing a cloned voice failed; retrying");
        continue;
      }
      // A leftover entry would only be re-imported harmlessly (the insert is an upsert).
      if (journaled) {
        await journal.remove(attemptId).catch((error: unknown) =>
          logger.warn({ attemptId, err: describe(error) }, "could not remove a journal entry"),
        );
      }
      return stored;
    }
    logger.error({ attemptId, voice: { ...voice, model }, err: describe(lastError) }, "cloned voice journaled; catalog insert deferred");
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

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
