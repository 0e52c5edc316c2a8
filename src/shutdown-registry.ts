// The gateway's shutdown, in one order: each installer and service registers
// its stop step under a name of SHUTDOWN_ORDER, and run() stops them in that
// order, whoever registered first (as Apollo's serverWillStop hooks and
// graphile/starter's shutdown actions, with the order written down here).
import { errorMessage } from "./errors.js";
import type { Logger } from "./logger.js";

/**
 * Serving stops first, then clones and speech settle (those Faseeh has in
 * full get the clone budget, their clients still get answers; the others are aborted),
 * and only then are the remaining requests drained and connections closed.
 * The background timers stop before the connections they use close; the
 * buffered spans are exported last, the shutdown's own included.
 */
export const SHUTDOWN_ORDER = [
  "refuse new work",
  "settle upstream calls",
  "drain requests",
  "preview timers",
  "recovery passes",
  "key revocations",
  "upstream pool",
  "database",
  "traces",
] as const;

export type ShutdownStepName = (typeof SHUTDOWN_ORDER)[number];

export interface ShutdownStepOptions {
  /**
   * When set, a failure of this step is logged at warn with this message and
   * the later steps still run. Without it a failure stops the shutdown there
   * and run() rejects with it (main.ts then exits with status 1).
   */
  warnOnFailure?: string;
}

interface ShutdownStep extends ShutdownStepOptions {
  stop: () => unknown;
}

export class ShutdownRegistry {
  private readonly steps = new Map<ShutdownStepName, ShutdownStep>();
  private running: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** One stop step per name: a second registration is a wiring mistake. */
  register(name: ShutdownStepName, stop: () => unknown, options: ShutdownStepOptions = {}): void {
    if (this.steps.has(name)) throw new Error(`shutdown step "${name}" is registered twice`);
    this.steps.set(name, { stop, ...options });
  }

  /** Runs the registered steps in SHUTDOWN_ORDER, once: later calls get the same shutdown. */
  run(): Promise<void> {
    return (this.running ??= this.runSteps());
  }

  private async runSteps(): Promise<void> {
    for (const name of SHUTDOWN_ORDER) {
      const step = this.steps.get(name);
      if (!step) continue;
      try {
        await step.stop();
      } catch (error) {
        if (step.warnOnFailure === undefined) throw error;
        this.logger.warn({ err: errorMessage(error) }, step.warnOnFailure);
      }
    }
  }
}
