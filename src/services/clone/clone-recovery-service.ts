// Makes sure no voice Faseeh created is ever lost: imports voices left in the
// journal (the database was down when they arrived, or the process died),
// closes attempts a dead process left pending, stores voices an operator
// resolved by hand once Faseeh's voice list shows them, frees expired
// idempotency keys, and removes the upload directories of processes that no
// longer run (a crash mid-upload leaves them). Runs at boot, every
// RECOVERY_INTERVAL_MS, and on demand (`npm run reconcile`), which is also
// where operators resolve attempts whose outcome is unknown. Voices are
// stored the way a clone stores its own (voice-storing.ts).
import { createHash } from "node:crypto";
import type { Config } from "../../config.js";
import { errorMessage, GatewayError } from "../../errors.js";
import { isDatabaseUnavailable } from "../../db/database-errors.js";
import type { Logger } from "../../logger.js";
import type { FaseehClient, ListedVoice, UpstreamVoice } from "../../upstream/faseeh-client.js";
import type { CloneAttemptRecord, CloneAttemptStore } from "./clone-attempt-store.js";
import { abandonedPendingCutoff } from "./clone-decisions.js";
import type { AbandonedUploadSweeper } from "../uploads/abandoned-uploads.js";
import type { VoiceJournal } from "./voice-journal.js";
import { VoiceStoring } from "./voice-storing.js";
import { tagList } from "../catalog/voice-metadata.js";

export interface ReconcileReport {
  imported: string[];
  /** Journal entries whose voice was stored already (by its clone, or another replica's pass): removed, not imported again. */
  alreadyStored: number;
  remaining: number;
  markedUnknown: number;
  keysExpired: number;
  /** Voices resolved by an operator whose record Faseeh's voice list gave, now stored. */
  resolvedStored: string[];
  /** Voices resolved by an operator whose record is not known yet. */
  awaitingRecord: number;
  /** Upload directories left by processes that no longer run, removed. */
  uploadDirsRemoved: number;
}

export type Resolution = { notCreated: true } | { voiceId: string };

export interface ResolveReport {
  attemptId: string;
  status: "FAILED" | "SUCCEEDED";
  voiceId?: string;
  /** For `voiceId`: whether the voice is in the catalog now (else once Faseeh's voice list shows it). */
  stored?: boolean;
}

export class CloneRecoveryService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReconcileReport> | undefined;
  private readonly storing: VoiceStoring;

  constructor(
    private readonly journal: VoiceJournal,
    private readonly attempts: CloneAttemptStore,
    private readonly faseeh: FaseehClient,
    private readonly config: Pick<Config, "upstream" | "recovery">,
    private readonly logger: Logger,
    private readonly abandonedUploads?: Pick<AbandonedUploadSweeper, "sweep">,
  ) {
    this.storing = new VoiceStoring(attempts, journal, logger);
  }

  /** One pass; concurrent callers share it. */
  reconcile(): Promise<ReconcileReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Starts the periodic pass (unref'd: it never keeps the process alive). */
  start(): void {
    this.timer ??= setInterval(() => {
      this.reconcile().catch((error: unknown) => this.logger.warn({ err: errorMessage(error) }, "recovery pass failed"));
    }, this.config.recovery.intervalMs).unref();
  }

  /** Asks for a pass soon, e.g. right after a store failed. */
  nudge(delayMs = 1_000): void {
    setTimeout(() => {
      this.reconcile().catch(() => undefined);
    }, delayMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /**
   * An operator's verdict on an UNKNOWN attempt, after checking Faseeh:
   * nothing was created (the key may be used again), or this voice was (it is
   * stored as soon as its record is known).
   */
  async resolve(attemptId: string, resolution: Resolution): Promise<ResolveReport> {
    const attempt = await this.attempts.find(attemptId);
    if (!attempt) throw new GatewayError("BAD_USER_INPUT", `No clone attempt has id ${attemptId}.`, { field: "attemptId" });
    if ("notCreated" in resolution) {
      if (!(await this.attempts.resolveNotCreated(attemptId))) throw notResolvable(attempt);
      this.logger.info({ attemptId }, "clone attempt resolved by an operator: not created");
      return { attemptId, status: "FAILED" };
    }
    if (!(await this.attempts.resolveCreated(attemptId, resolution.voiceId))) throw notResolvable(attempt);
    this.logger.info({ attemptId, voiceId: resolution.voiceId }, "clone attempt resolved by an operator: created");
    const stored = await this.storeResolved({ ...attempt, voiceId: resolution.voiceId }).catch((error: unknown) => {
      this.logger.warn(
        { attemptId, err: errorMessage(error) },
        "could not read Faseeh's voice list; the voice is stored on a later pass",
      );
      return false;
    });
    return { attemptId, status: "SUCCEEDED", voiceId: resolution.voiceId, stored };
  }

  private async pass(): Promise<ReconcileReport> {
    // First: it needs no database, so a database that is down does not keep the disk full.
    const uploadDirsRemoved = (await this.abandonedUploads?.sweep()) ?? 0;
    const entries = await this.journal.list();
    const imported: string[] = [];
    let alreadyStored = 0;
    for (const entry of entries) {
      try {
        if (!(await this.storing.importJournaled(entry))) {
          alreadyStored += 1;
          continue;
        }
        imported.push(entry.voice.voiceId);
        this.logger.info(
          { voiceId: entry.voice.voiceId, attemptId: entry.attemptId },
          "recovered a cloned voice into the catalog",
        );
      } catch (error) {
        if (isDatabaseUnavailable(error)) break; // try again next pass
        this.logger.error({ voiceId: entry.voice.voiceId, err: errorMessage(error) }, "could not import a recovered voice");
      }
    }
    const markedUnknown = await this.attempts.markStalePendingUnknown(abandonedPendingCutoff(this.config.upstream, Date.now()));
    const keysExpired = await this.attempts.expireKeys();
    const { resolvedStored, awaitingRecord } = await this.storeResolvedVoices();
    const report = {
      imported,
      alreadyStored,
      remaining: entries.length - imported.length - alreadyStored,
      markedUnknown,
      keysExpired,
      resolvedStored,
      awaitingRecord,
      uploadDirsRemoved,
    };
    if (imported.length || report.remaining || markedUnknown || resolvedStored.length || uploadDirsRemoved) {
      this.logger.info(report, "recovery pass");
    }
    return report;
  }

  /** Stores the voices operators resolved as created, once Faseeh's voice list shows their records. */
  private async storeResolvedVoices(): Promise<{ resolvedStored: string[]; awaitingRecord: number }> {
    const waiting = await this.attempts.awaitingVoiceRecord();
    const resolvedStored: string[] = [];
    if (!this.faseeh.isConfigured) return { resolvedStored, awaitingRecord: waiting.length };
    for (const attempt of waiting) {
      try {
        if (attempt.voiceId && (await this.storeResolved(attempt))) resolvedStored.push(attempt.voiceId);
      } catch (error) {
        this.logger.warn({ err: errorMessage(error) }, "could not read Faseeh's voice list for voices resolved by an operator");
        break; // the list is down: try again next pass
      }
    }
    return { resolvedStored, awaitingRecord: waiting.length - resolvedStored.length };
  }

  /** True when the voice's record was found and stored. */
  private async storeResolved(attempt: CloneAttemptRecord): Promise<boolean> {
    if (!this.faseeh.isConfigured || !attempt.voiceId) return false;
    const listed = await this.faseeh.findVoice(attempt.voiceId);
    if (!listed) return false;
    const voice = voiceFromListing(listed, attempt);
    await this.storing.storeAndSucceed({ attemptId: attempt.id, voice, model: attempt.model, tags: tagsOfRequest(attempt) });
    this.logger.info({ attemptId: attempt.id, voiceId: attempt.voiceId }, "stored a voice resolved by an operator");
    return true;
  }
}

function notResolvable(attempt: CloneAttemptRecord): GatewayError {
  return new GatewayError(
    "BAD_USER_INPUT",
    `Clone attempt ${attempt.id} is ${attempt.status}; only UNKNOWN attempts are resolved by hand.`,
    { field: "attemptId" },
  );
}

/**
 * A catalog voice from Faseeh's voice list, whose shape is not documented:
 * what the list leaves out comes from the attempt's own request. Without a
 * record id, one is derived from the voice id (name-based, like a UUID v5),
 * so importing the same voice twice gives the same row.
 */
function voiceFromListing(listed: ListedVoice, attempt: CloneAttemptRecord): UpstreamVoice {
  const request = (attempt.request ?? {}) as Partial<Record<string, unknown>>;
  const text = (key: string) => (typeof request[key] === "string" ? request[key] : null);
  const list = (key: string) => (Array.isArray(request[key]) ? (request[key] as string[]) : []);
  return {
    id: listed.id ?? uuidFromVoiceId(listed.voice_id),
    voiceId: listed.voice_id,
    name: listed.name ?? attempt.name,
    description: listed.description ?? text("description"),
    gender: listed.gender ?? text("gender"),
    age: listed.age ?? text("age"),
    languages: listed.languages ?? list("languages"),
    dialects: listed.dialect ?? list("dialects"),
    type: listed.type ?? null,
    sampleUrl: listed.sample_url ?? null,
    avatarUrl: listed.avatar_url ?? text("avatarUrl"),
    stability: listed.stability ?? (typeof request.stability === "number" ? request.stability : 0),
  };
}

/**
 * The tags the attempt's request asked for (its stored `request`, validated
 * when the clone was): Faseeh's list knows nothing of them. None for
 * requests from before tags, or a request whose tags cannot be read.
 */
function tagsOfRequest(attempt: CloneAttemptRecord): string[] {
  const request = (attempt.request ?? {}) as Partial<Record<string, unknown>>;
  const parsed = tagList.safeParse(request.tags ?? []);
  return parsed.success ? parsed.data : [];
}

function uuidFromVoiceId(voiceId: string): string {
  const bytes = createHash("sha1").update(`faseeh-voice:${voiceId}`).digest().subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6); // version 5
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8); // RFC 4122 variant
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
