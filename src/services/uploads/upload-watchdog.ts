// Keeps a clone's uploads moving. While the files stream through to Faseeh,
// the clone holds one of UPSTREAM_MAX_CONCURRENCY slots and a half-sent
// connection to Faseeh; a client that stops sending must not hold them for
// Node's five-minute request timeout. One watchdog per request: it fails the
// uploads after UPLOAD_IDLE_TIMEOUT_MS in which the gateway waited for the
// client and no byte came, or at the request's upload deadline. An expired
// upload fails before the closing boundary, so Faseeh never gets a complete
// request from it.
//
// A client that keeps sending, but too little, must not hold them either:
// once the gateway has waited on it for `minRate.graceMs`, the bytes it sent
// over the last `minRate.windowMs` of that waiting (or all of it, when
// shorter) must average `minRate.bytesPerSecond`, or the uploads fail as too
// slow. The bytes are sampled at each check (ten per grace or window), so
// the window spans at most a tenth more than asked.
//
// Idle time counts only while the gateway is really waiting on the client:
// for the next chunk of the file it is reading, or for a file to begin while
// no other file is mid-stream. Time spent queued for a slot, or held back by
// Faseeh reading slowly, is the gateway's doing and never counts (the files
// of one request share one body, so an unread first file also holds back
// the second's start).
import type { Clock } from "../../clock.js";
import { GatewayError } from "../../errors.js";
import { formatBytes } from "./byte-size.js";

/** The least rate an upload must keep (UPLOAD_MIN_BYTES_PER_SECOND, UPLOAD_RATE_GRACE_MS, UPLOAD_RATE_WINDOW_MS). */
export interface MinUploadRate {
  bytesPerSecond: number;
  /** Waiting on the client before the rate is first judged. */
  graceMs: number;
  /** How much of the latest waiting the average covers. */
  windowMs: number;
}

/** Time as the watchdog sees it (the project's Clock, able to call back): injected by tests where time is the subject. */
export interface WatchdogClock extends Clock {
  /** Calls `callback` after `ms`; the returned function cancels it. */
  after(ms: number, callback: () => void): () => void;
}

export const systemClock: WatchdogClock = {
  now: () => Date.now(),
  after(ms, callback) {
    // unref: a pending check never keeps the process alive.
    const timer = setTimeout(callback, ms).unref();
    return () => clearTimeout(timer);
  },
};

export interface UploadWatchdogOptions {
  idleTimeoutMs: number;
  deadlineMs: number;
  /** Absent: no minimum rate, only the idle timeout and the deadline. */
  minRate?: MinUploadRate | undefined;
  clock?: WatchdogClock | undefined;
}

/** Bytes received by the time the gateway had waited on the client for `waitedMs`. */
interface Sample {
  waitedMs: number;
  bytes: number;
}

/** What a wait is for: the next chunk of a file being read, or the start of a file. */
export type WaitKind = "chunk" | "start";

interface Wait {
  kind: WaitKind;
  field: string;
  reject(error: GatewayError): void;
}

export class UploadWatchdog {
  private readonly clock: WatchdogClock;
  private readonly deadline: number;
  private readonly waits = new Set<Wait>();
  /** Uploads whose bytes have begun and not ended. */
  private readonly midStream = new Set<object>();
  private policed = false;
  private idleSince: number;
  /** Time spent waiting on the client in earlier stretches, and when the current one began. */
  private waitedBefore = 0;
  private policedSince = 0;
  private received = 0;
  /** Oldest first; the first is the latest taken at or before the window's start. */
  private readonly samples: Sample[] = [{ waitedMs: 0, bytes: 0 }];
  private cancelTimer: (() => void) | undefined;
  private stopped = false;
  private expired: GatewayError | undefined;

  constructor(private readonly options: UploadWatchdogOptions) {
    this.clock = options.clock ?? systemClock;
    this.idleSince = this.clock.now();
    this.deadline = this.idleSince + options.deadlineMs;
    this.schedule();
  }

  /** `bytes` arrived: the idle clock starts again. Called per chunk, so it only stores numbers. */
  touch(bytes: number): void {
    this.idleSince = this.clock.now();
    this.received += bytes;
  }

  streamStarted(upload: object): void {
    this.midStream.add(upload);
    this.refresh();
  }

  streamEnded(upload: object): void {
    this.midStream.delete(upload);
    this.refresh();
  }

  /**
   * `work`, unless the uploads stall first; then the stall's error (naming
   * `field`). Called per chunk: each wait is its own small promise, dropped
   * once settled (racing one long-lived promise would keep every chunk alive
   * until the request ends).
   */
  guard<T>(work: Promise<T>, field: string, kind: WaitKind): Promise<T> {
    if (this.expired) return Promise.reject(this.forField(field));
    return new Promise<T>((resolve, reject) => {
      const wait: Wait = { kind, field, reject };
      this.waits.add(wait);
      this.refresh();
      work.then(
        (value) => {
          if (this.settle(wait)) resolve(value);
        },
        (error: unknown) => {
          if (this.settle(wait)) reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  get hasExpired(): boolean {
    return this.expired !== undefined;
  }

  /**
   * Nobody needs the rest of the uploads (the clone was cancelled while the
   * client was still sending): every wait for the client ends now, and the
   * connection is closed after the answer instead of being read to its end.
   */
  cancel(): void {
    if (!this.expired) this.fire("was abandoned: the clone was cancelled", "UPLOAD_ABANDONED");
  }

  /** The uploads are over (received, failed or abandoned): nothing more to police. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** Ends a wait; false when expiry already ended it. */
  private settle(wait: Wait): boolean {
    if (!this.waits.delete(wait)) return false;
    this.refresh();
    return true;
  }

  /** Whether the gateway is waiting on the client right now; the idle clock starts when it begins to. */
  private refresh(): void {
    let policed = false;
    for (const { kind } of this.waits) {
      if (kind === "chunk" || this.midStream.size === 0) {
        policed = true;
        break;
      }
    }
    if (policed === this.policed) return;
    const now = this.clock.now();
    if (policed) {
      this.idleSince = now;
      this.policedSince = now;
    } else {
      this.waitedBefore += now - this.policedSince;
    }
    this.policed = policed;
  }

  /** How long the gateway has waited on the client in all. */
  private waited(now: number): number {
    return this.waitedBefore + (this.policed ? now - this.policedSince : 0);
  }

  /**
   * Idle and waiting time grow only while policed, and never faster than the
   * clock: a check due as if policed from now on is never late, so nothing
   * needs rescheduling when policing starts.
   */
  private schedule(): void {
    if (this.stopped || this.expired) return;
    const now = this.clock.now();
    const { idleTimeoutMs, minRate } = this.options;
    let next = Math.min((this.policed ? this.idleSince : now) + idleTimeoutMs, this.deadline);
    // The rate is sampled ten times per grace or window, whichever is shorter.
    if (minRate) next = Math.min(next, now + Math.min(minRate.graceMs, minRate.windowMs) / 10);
    this.cancelTimer = this.clock.after(Math.max(10, next - now), () => this.check());
  }

  private check(): void {
    this.cancelTimer = undefined;
    if (this.stopped || this.expired) return;
    const now = this.clock.now();
    const slow = this.tooSlow(now);
    if (now >= this.deadline) {
      this.fire(`took longer than the ${seconds(this.options.deadlineMs)} s upload deadline`, "UPLOAD_TOO_SLOW");
    } else if (this.policed && now - this.idleSince >= this.options.idleTimeoutMs) {
      this.fire(`stalled: no data for ${seconds(this.options.idleTimeoutMs)} s`, "UPLOAD_STALLED");
    } else if (slow) {
      this.fire(slow, "UPLOAD_TOO_SLOW");
    } else {
      this.schedule();
    }
  }

  /** Samples the bytes received; past the grace, says why their average over the window is too low, if it is. */
  private tooSlow(now: number): string | undefined {
    const { minRate } = this.options;
    if (!minRate) return undefined;
    const waitedMs = this.waited(now);
    const last = this.samples.at(-1);
    if (last?.waitedMs === waitedMs) last.bytes = this.received;
    else this.samples.push({ waitedMs, bytes: this.received });
    // Keep the latest sample at or before the window's start: the bytes since it are the window's.
    const inside = this.samples.findIndex((sample) => sample.waitedMs > waitedMs - minRate.windowMs);
    if (inside > 1) this.samples.splice(0, inside - 1);
    if (waitedMs < minRate.graceMs) return undefined;
    const [base = { waitedMs: 0, bytes: 0 }] = this.samples;
    const spanMs = waitedMs - base.waitedMs;
    const rate = ((this.received - base.bytes) * 1000) / spanMs;
    if (rate >= minRate.bytesPerSecond) return undefined;
    return (
      `was too slow: ${perSecond(rate)} over the last ${seconds(spanMs)} s the gateway waited for it, ` +
      `below the minimum of ${perSecond(minRate.bytesPerSecond)}`
    );
  }

  private fire(what: string, reason: string): void {
    this.expired = new GatewayError("BAD_REQUEST", what, { reason });
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const waits = [...this.waits];
    this.waits.clear();
    for (const wait of waits) wait.reject(this.forField(wait.field));
  }

  private forField(field: string): GatewayError {
    const expired = this.expired ?? new GatewayError("BAD_REQUEST", "stopped", { reason: "UPLOAD_ABANDONED" });
    const { reason } = expired.extensions;
    return new GatewayError(
      "BAD_REQUEST",
      `The upload of \`${field}\` ${expired.message}. Nothing complete was sent to Faseeh, so nothing was spent; send the request again.`,
      // The client stopped sending: close its connection after answering, rather than wait for the rest of its body.
      { field, reason, http: { headers: new Map([["connection", "close"]]) } },
    );
  }
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

const perSecond = (bytesPerSecond: number) => `${formatBytes(Math.round(bytesPerSecond))}/s`;
