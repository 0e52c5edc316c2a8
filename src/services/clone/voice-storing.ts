// Storing a voice Faseeh created, with its attempt: the one way a voice
// reaches the catalog, whether the clone request holds it, the recovery pass
// imports it from the journal, or an operator resolved it. Faseeh charged
// for it, so a clone's voice is journaled to disk beside the first insert
// and retried; if the database stays down, the recovery pass imports it.
import { setTimeout as sleep } from "node:timers/promises";
import { errorMessage, GatewayError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { VoiceRecord } from "../catalog/catalog-service.js";
import type { CloneAttemptStore } from "./clone-attempt-store.js";
import type { Flight } from "./in-flight-clones.js";
import type { JournalEntry, VoiceJournal } from "./voice-journal.js";

/** A voice to store: its attempt, Faseeh's record, and what the request added (a journal entry's content). */
export type VoiceToStore = Omit<JournalEntry, "recordedAt">;

const STORE_RETRY_DELAYS_MS = [0, 250, 1000];

export class VoiceStoring {
  /** `onDeferred`: a voice stays journaled, for the recovery pass to import (it is asked to run soon). */
  constructor(
    private readonly attempts: CloneAttemptStore,
    private readonly journal: VoiceJournal,
    private readonly logger: Logger,
    private readonly onDeferred: () => void = () => undefined,
  ) {}

  /** Stores the voice and moves its attempt to SUCCEEDED, atomically (see CloneAttemptStore.recordVoice). */
  storeAndSucceed({ attemptId, voice, model, tags, requestHash }: VoiceToStore): Promise<VoiceRecord> {
    return this.attempts.recordVoice(attemptId, voice, model, { tags, requestHash });
  }

  /**
   * The recovery pass: a journaled voice, stored unless it is already (see
   * CloneAttemptStore.importVoice), then its entry removed. True when this
   * call stored it.
   */
  async importJournaled({ attemptId, voice, model, tags, requestHash }: VoiceToStore): Promise<boolean> {
    const imported = await this.attempts.importVoice(attemptId, voice, model, { tags, requestHash });
    await this.journal.remove(attemptId);
    return imported;
  }

  /**
   * A clone's voice, just received: from here on it must reach the catalog.
   * Journal and first insert run side by side. The journal survives a crash
   * of this process at once; it is fsync'd too before the client is told the
   * catalog could not take the voice (VOICE_NOT_YET_STORED), or the process
   * exits without it (`flight`'s shutdown step).
   */
  async storeReceived(entry: VoiceToStore, flight: Pick<Flight, "storing" | "stored">): Promise<VoiceRecord> {
    const { attemptId, voice } = entry;
    flight.storing(() => this.journal.record(entry));
    const journaling = this.journalBeside(entry);
    let lastError: unknown;
    for (const delay of STORE_RETRY_DELAYS_MS) {
      if (delay) await sleep(delay);
      let stored: VoiceRecord;
      try {
        stored = await this.storeAndSucceed(entry);
      } catch (error) {
        lastError = error;
        this.logger.warn(
          { attemptId, voiceId: voice.voiceId, err: errorMessage(error) },
          "storing a cloned voice failed; retrying",
        );
        // Before any retry, the voice is made safe on disk, power loss included.
        if (await journaling) await this.journal.record(entry).catch(() => undefined);
        continue;
      }
      flight.stored();
      void this.removeJournaled(attemptId, journaling);
      return stored;
    }
    this.logger.error(
      { attemptId, voice: { ...voice, model: entry.model, tags: entry.tags }, err: errorMessage(lastError) },
      "cloned voice journaled; catalog insert deferred",
    );
    this.onDeferred();
    throw notYetStored(voice.voiceId, voice.id, lastError);
  }

  /** The journal entry written without fsync, beside the first insert; false when it could not be written. */
  private journalBeside(entry: VoiceToStore): Promise<boolean> {
    return this.journal.record(entry, { sync: false }).then(
      () => true,
      (error: unknown) => {
        // The database may still work; the log line keeps the voice recoverable by hand.
        this.logger.error(
          {
            attemptId: entry.attemptId,
            voice: { ...entry.voice, model: entry.model, tags: entry.tags },
            err: errorMessage(error),
          },
          "could not journal a cloned voice",
        );
        return false;
      },
    );
  }

  /**
   * Stored: the journal entry is no longer needed (a leftover would only be
   * re-imported harmlessly, the insert is an upsert).
   */
  private async removeJournaled(attemptId: string, journaling: Promise<boolean>): Promise<void> {
    if (!(await journaling)) return;
    await this.journal
      .remove(attemptId)
      .catch((error: unknown) => this.logger.warn({ attemptId, err: errorMessage(error) }, "could not remove a journal entry"));
  }
}

/** Faseeh created the voice, and the catalog could not store it yet: the client must not clone it again. */
export function notYetStored(voiceId: string, id: string | undefined, cause?: unknown): GatewayError {
  return new GatewayError(
    "VOICE_NOT_YET_STORED",
    `Faseeh created the voice (voiceId ${voiceId}), but the catalog could not store it yet. ` +
      `It is not lost: it will appear in the catalog once the database recovers. Do not clone it again.`,
    { voiceId, ...(id && { id }) },
    cause,
  );
}
