// The clones this process is running, and what shutdown does with each.
//
// A clone moves through phases:
//
//   receiving ──▶ sending ──▶ awaiting-answer ──▶ storing ──▶ (left)
//      │             │        (closing boundary
//      │             │         sent: Faseeh may act)
//      └─────────────┴──▶ aborted by shutdown: nothing complete reached Faseeh
//
// SIGTERM refuses new clones, aborts those whose request Faseeh does not
// have in full (it cannot act on them, so nothing is spent), and waits for the
// others, which Faseeh may be creating a voice for, up to the clone budget
// (SHUTDOWN_CLONE_GRACE_MS). A clone still running at the end of the budget
// is abandoned by its own `abandon` step: a voice in hand is journaled
// (fsync'd) for the next boot to import; an answer still awaited leaves the
// attempt UNKNOWN for an operator to resolve.
import { setTimeout as sleep } from "node:timers/promises";
import { errorMessage, GatewayError } from "../../errors.js";
import type { Logger } from "../../logger.js";

export type FlightPhase = "receiving" | "sending" | "awaiting-answer" | "storing";

export class Flight {
  phase: FlightPhase = "receiving";
  /** Whether this clone has an attempt of its own in the ledger (then its outcome is recorded there). */
  hasAttempt = false;
  /** Run if the process must exit before this clone finishes; set by the clone as it goes. */
  abandon: (() => Promise<void>) | undefined;
  private readonly controller = new AbortController();

  /** Aborted when shutdown stops this clone (only ever before Faseeh has the whole request). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The closing boundary is on its way: Faseeh may act on the request from now on. */
  get complete(): boolean {
    return this.phase === "awaiting-answer" || this.phase === "storing";
  }

  stop(reason: GatewayError): void {
    if (!this.complete) this.controller.abort(reason);
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
        await flight.abandon?.();
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
