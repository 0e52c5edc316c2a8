// The clones this process is running, and what shutdown does with each.
//
// A clone moves through phases, each set by one method of Flight below:
//
//   receiving ──▶ sending ──▶ awaiting-answer ──▶ storing ──▶ (left)
//      │             │        (closing boundary
//      │             │         sent: Faseeh may act)
//      └─────────────┴──▶ aborted by shutdown: nothing complete reached Faseeh
//
// The phase is not the attempt's status (clone-attempt-lifecycle.ts), and
// is kept apart on purpose: the status is the ledger's, shared by every
// process and kept across restarts; the phase is this process's view of one
// call, in memory, and says only what shutdown may do with it. They meet
// where a flight starts sending (it has an attempt from then on) and where
// shutdown secures one past its budget (the attempt's move is failureMove's).
//
// SIGTERM refuses new clones, aborts those whose request Faseeh does not
// have in full (it cannot act on them, so nothing is spent), and waits for the
// others, which Faseeh may be creating a voice for, up to the clone budget
// (SHUTDOWN_CLONE_GRACE_MS). A clone still running at the end of the budget
// is secured by the step its phase set: a voice in hand is journaled
// (fsync'd) for the next boot to import; an answer still awaited leaves the
// attempt UNKNOWN for an operator to resolve.
import { setTimeout as sleep } from "node:timers/promises";
import { errorMessage, GatewayError } from "../../errors.js";
import type { Logger } from "../../logger.js";

export type FlightPhase = "receiving" | "sending" | "awaiting-answer" | "storing";

export class Flight {
  private current: FlightPhase = "receiving";
  private attempt = false;
  /** What securing this clone means at the phase it reached; none before Faseeh has the whole request. */
  private secure: (() => Promise<void>) | undefined;
  private readonly controller = new AbortController();

  get phase(): FlightPhase {
    return this.current;
  }

  /** Whether this clone has an attempt of its own in the ledger (then its outcome is recorded there). */
  get hasAttempt(): boolean {
    return this.attempt;
  }

  /** Aborted when shutdown stops this clone (only ever before Faseeh has the whole request). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The closing boundary is on its way: Faseeh may act on the request from now on. */
  get complete(): boolean {
    return this.current === "awaiting-answer" || this.current === "storing";
  }

  /** Its attempt is recorded (or being recorded beside the upload), and its request is on its way to Faseeh. */
  sending(): void {
    this.attempt = true;
    this.current = "sending";
  }

  /** Faseeh has the whole request; should shutdown's budget run out first, `markUnknown` secures it. */
  awaitingAnswer(markUnknown: () => Promise<void>): void {
    this.current = "awaiting-answer";
    this.secure = markUnknown;
  }

  /** Faseeh's voice is in hand; should shutdown's budget run out first, `journalVoice` secures it. */
  storing(journalVoice: () => Promise<void>): void {
    this.current = "storing";
    this.secure = journalVoice;
  }

  /** The voice is in the catalog: nothing is left to secure. */
  stored(): void {
    this.secure = undefined;
  }

  stop(reason: GatewayError): void {
    if (!this.complete) this.controller.abort(reason);
  }

  /** Shutdown's clone budget is spent and this clone still runs: makes safe what it has got to. */
  async abandon(): Promise<void> {
    await this.secure?.();
  }
}

export interface ShutdownReport {
  aborted: number;
  finished: number;
  abandoned: number;
}

export class InFlightClones {
  private readonly flights = new Map<Flight, Promise<unknown>>();
  private closing = false;

  constructor(private readonly logger: Logger) {}

  get count(): number {
    return this.flights.size;
  }

  /** Runs one clone as a tracked flight; refused once shutdown began. */
  async run<T>(work: (flight: Flight) => Promise<T>): Promise<T> {
    if (this.closing) throw shuttingDown();
    const flight = new Flight();
    const running = work(flight);
    this.flights.set(
      flight,
      running.catch(() => undefined),
    );
    try {
      return await running;
    } finally {
      this.flights.delete(flight);
    }
  }

  /**
   * Stops taking clones, aborts the incomplete ones, gives the complete ones
   * `budgetMs` to finish, then abandons whatever is left (see above).
   */
  async shutdown(budgetMs: number): Promise<ShutdownReport> {
    this.closing = true;
    let aborted = 0;
    for (const flight of this.flights.keys()) {
      if (!flight.complete) aborted++;
      flight.stop(shuttingDown());
    }
    const total = this.flights.size;
    if (total > 0) {
      this.logger.info({ clones: total, aborted, budgetMs }, "shutdown: waiting for clones Faseeh already has");
    }
    const budget = new AbortController();
    await Promise.race([
      Promise.all(this.flights.values()),
      sleep(budgetMs, undefined, { signal: budget.signal }).catch(() => undefined),
    ]);
    budget.abort();
    const left = [...this.flights.keys()];
    for (const flight of left) {
      try {
        await flight.abandon();
      } catch (error) {
        this.logger.error({ phase: flight.phase, err: errorMessage(error) }, "shutdown: could not secure an unfinished clone");
      }
    }
    if (left.length > 0) {
      this.logger.warn(
        { abandoned: left.length, phases: left.map((flight) => flight.phase) },
        "shutdown: clone budget spent; unfinished clones secured",
      );
    }
    return { aborted, finished: total - left.length, abandoned: left.length };
  }
}

const shuttingDown = () =>
  new GatewayError(
    "SERVICE_UNAVAILABLE",
    "The gateway is shutting down. Faseeh did not get this clone request in full, so nothing was spent; send it again shortly.",
    { http: { headers: new Map([["connection", "close"]]) } },
  );
