// Caps how many clone calls run against Faseeh at once; the rest wait in a
// queue for a bounded time. A burst of clients then meets a short wait or a
// clear RATE_LIMITED, never Faseeh's own concurrency limit.
import { GatewayError } from "../errors.js";

interface Waiter {
  grant(): void;
}

export class ConcurrencyLimiter {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly maxConcurrent: number,
    private readonly queueTimeoutMs: number,
  ) {}

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(leftTheQueue(signal));
    if (this.active < this.maxConcurrent) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const leave = (error: GatewayError) => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        clearTimeout(timer);
        reject(error);
      };
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const timer = setTimeout(
        () =>
          leave(
            new GatewayError(
              "RATE_LIMITED",
              `The gateway is already running ${this.maxConcurrent} clones and none finished within ${this.queueTimeoutMs} ms. Retry shortly.`,
              { reason: "GATEWAY_QUEUE_FULL", retryAfterSeconds: Math.max(1, Math.ceil(this.queueTimeoutMs / 1000 / 4)) },
            ),
          ),
        this.queueTimeoutMs,
      );
      const onAbort = () => {
        if (signal) leave(leftTheQueue(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    // The slot passes straight to the next waiter, if any.
    if (next) next.grant();
    else this.active--;
  }
}

/** Why a queued clone stopped waiting: the abort's own reason when it is ours (shutdown), else the client left. */
const leftTheQueue = (signal: AbortSignal): GatewayError =>
  signal.reason instanceof GatewayError
    ? signal.reason
    : new GatewayError("BAD_REQUEST", "The client went away while its clone was queued.");
