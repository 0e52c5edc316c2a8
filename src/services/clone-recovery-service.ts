// Makes sure no voice Faseeh created is ever lost: imports voices left in the
// journal (the database was down when they arrived, or the process died),
// closes attempts a dead process left pending, and frees expired idempotency
// keys. Runs at boot, every RECOVERY_INTERVAL_MS, and on demand
// (`npm run reconcile`).
import type { Config } from "../config.js";
import { errorMessage, isDatabaseUnavailable } from "../errors.js";
import type { Logger } from "../logger.js";
import type { CloneAttemptStore } from "./clone-attempt-store.js";
import type { VoiceJournal } from "./voice-journal.js";

export interface ReconcileReport {
  imported: string[];
  remaining: number;
  markedUnknown: number;
  keysExpired: number;
}

export class CloneRecoveryService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReconcileReport> | undefined;

  constructor(
    private readonly journal: VoiceJournal,
    private readonly attempts: CloneAttemptStore,
    private readonly config: Pick<Config, "upstream" | "recovery">,
    private readonly logger: Logger,
  ) {}

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

  private async pass(): Promise<ReconcileReport> {
    const entries = await this.journal.list();
    const imported: string[] = [];
    for (const entry of entries) {
      try {
        await this.attempts.complete(entry.attemptId, entry.voice, entry.model);
        await this.journal.remove(entry.attemptId);
        imported.push(entry.voice.voiceId);
        this.logger.info({ voiceId: entry.voice.voiceId, attemptId: entry.attemptId }, "recovered a cloned voice into the catalog");
      } catch (error) {
        if (isDatabaseUnavailable(error)) break; // try again next pass
        this.logger.error({ voiceId: entry.voice.voiceId, err: errorMessage(error) }, "could not import a recovered voice");
      }
    }
    // An attempt still pending long after any call could have finished was
    // abandoned by a process that died.
    const upstream = this.config.upstream;
    const longestCallMs = upstream.queueTimeoutMs + upstream.maxAttempts * (upstream.timeoutMs + upstream.retryMaxWaitMs) + 60_000;
    const markedUnknown = await this.attempts.markStalePendingUnknown(new Date(Date.now() - longestCallMs));
    const keysExpired = await this.attempts.expireKeys();
    const report = { imported, remaining: entries.length - imported.length, markedUnknown, keysExpired };
    if (imported.length || report.remaining || markedUnknown) this.logger.info(report, "recovery pass");
    return report;
  }
}
