// Caps how many calls run against Faseeh at once, and how many of them one
// client key may hold; the rest wait in a queue for a bounded time. A burst
// of clients then meets a short wait or a clear RATE_LIMITED, never Faseeh's
// own concurrency limit, and one key cannot take every slot from the others.
//
// The queue is served in arrival order, except that a waiter whose key
// already holds its share is passed over: a freed slot goes to the first
// waiter whose key is under its share.
import { GatewayError } from "../../errors.js";

export interface RunOptions {
  /** Whose call this is (a client key id, or the one anonymous owner): counted against its share. */
  owner: string;
  /** Client gone or shutdown: a queued call leaves the queue. */
  signal?: AbortSignal | undefined;
}

interface Waiter {
  owner: string;
  grant(): void;
}

export class ConcurrencyLimiter {
  private active = 0;
  private readonly queue: Waiter[] = [];
  /** Slots held per owner; an owner holding none has no entry. */
  private readonly held = new Map<string, number>();

  constructor(
    readonly maxConcurrent: number,
    private readonly queueTimeoutMs: number,
    /** Slots `owner` may hold at once (UPSTREAM_MAX_CONCURRENCY_PER_KEY); by default, all of them. */
    private readonly shareOf: (owner: string) => number = () => maxConcurrent,
  ) {}

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Slots `owner` holds right now. */
  heldBy(owner: string): number {
    return this.held.get(owner) ?? 0;
  }

  async run<T>(work: () => Promise<T>, options: RunOptions): Promise<T> {
    await this.acquire(options.owner, options.signal);
    try {
      return await work();
    } finally {
      this.release(options.owner);
    }
  }

  private mayStart(owner: string): boolean {
    return this.heldBy(owner) < this.shareOf(owner);
  }

  private take(owner: string): void {
    this.held.set(owner, this.heldBy(owner) + 1);
  }

  private acquire(owner: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(leftTheQueue(signal));
    // A free slot means no waiter could take it (see release): the newcomer may, if under its share.
    if (this.active < this.maxConcurrent && this.mayStart(owner)) {
      this.active++;
      this.take(owner);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const leave = (error: GatewayError) => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      };
      const waiter: Waiter = {
        owner,
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const timer = setTimeout(() => leave(this.queueTimedOut(owner)), this.queueTimeoutMs);
      const onAbort = () => {
        if (signal) leave(leftTheQueue(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(owner: string): void {
    const left = this.heldBy(owner) - 1;
    if (left > 0) this.held.set(owner, left);
    else this.held.delete(owner);
    // The slot passes straight to the first waiter under its share, if any.
    const index = this.queue.findIndex((waiter) => this.mayStart(waiter.owner));
    const [next] = index < 0 ? [] : this.queue.splice(index, 1);
    if (!next) {
      this.active--;
      return;
    }
    this.take(next.owner);
    next.grant();
  }

  /** Why a waiter got no slot in time: its own key's share, or a full gateway. */
  private queueTimedOut(owner: string): GatewayError {
    const retryAfterSeconds = Math.max(1, Math.ceil(this.queueTimeoutMs / 1000 / 4));
    const held = this.heldBy(owner);
    const share = this.shareOf(owner);
    // A share as large as the cap holds nobody back that the cap would not.
    if (held >= share && share < this.maxConcurrent) {
      const calls = held === 1 ? "1 call" : `${held} calls`;
      return new GatewayError(
        "RATE_LIMITED",
        `This client key already runs ${calls} against Faseeh at once, the most one key may (of the gateway's ${this.maxConcurrent}), and none finished within ${this.queueTimeoutMs} ms. Retry when one of them has finished.`,
        { reason: "KEY_CONCURRENCY_LIMIT", retryAfterSeconds },
      );
    }
    return new GatewayError(
      "RATE_LIMITED",
      `The gateway is already running ${this.maxConcurrent} clones and none finished within ${this.queueTimeoutMs} ms. Retry shortly.`,
      { reason: "GATEWAY_QUEUE_FULL", retryAfterSeconds },
    );
  }
}

/** Why a queued clone stopped waiting: the abort's own reason when it is ours (shutdown), else the client left. */
const leftTheQueue = (signal: AbortSignal): GatewayError =>
  signal.reason instanceof GatewayError
    ? signal.reason
    : new GatewayError("BAD_REQUEST", "The client went away while its clone was queued.");
