// Keeps a clone's uploads moving. While the files stream through to Faseeh,
// the clone holds one of UPSTREAM_MAX_CONCURRENCY slots and a half-sent
// connection to Faseeh; a client that stops sending must not hold them for
// Node's five-minute request timeout. One watchdog per request: it fails the
// uploads after UPLOAD_IDLE_TIMEOUT_MS in which the gateway waited for the
// client and no byte came, or at the request's upload deadline. An expired
// upload fails before the closing boundary, so Faseeh never gets a complete
// request from it.
//
// Idle time counts only while the gateway is really waiting on the client:
// for the next chunk of the file it is reading, or for a file to begin while
// no other file is mid-stream. Time spent queued for a slot, or held back by
// Faseeh reading slowly, is the gateway's doing and never counts (the files
// of one request share one body, so an unread first file also holds back
// the second's start).
import { GatewayError } from "../errors.js";

export interface UploadWatchdogOptions {
  idleTimeoutMs: number;
  deadlineMs: number;
}

/** What a wait is for: the next chunk of a file being read, or the start of a file. */
export type WaitKind = "chunk" | "start";

interface Wait {
  kind: WaitKind;
  field: string;
  reject(error: GatewayError): void;
}

export class UploadWatchdog {
  private readonly deadline: number;
  private readonly waits = new Set<Wait>();
  /** Uploads whose bytes have begun and not ended. */
  private readonly midStream = new Set<object>();
  private policed = false;
  private idleSince = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private expired: GatewayError | undefined;

  constructor(private readonly options: UploadWatchdogOptions) {
    this.deadline = Date.now() + options.deadlineMs;
    this.schedule();
  }

  /** Bytes arrived: the idle clock starts again. Called per chunk, so it only stores a number. */
  touch(): void {
    this.idleSince = Date.now();
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
    clearTimeout(this.timer);
    this.timer = undefined;
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
    if (policed && !this.policed) this.idleSince = Date.now();
    this.policed = policed;
  }

  private schedule(): void {
    if (this.stopped) return;
    const next = Math.min(this.idleSince + this.options.idleTimeoutMs, this.deadline);
    this.timer = setTimeout(() => this.check(), Math.max(10, next - Date.now())).unref();
  }

  private check(): void {
    const now = Date.now();
    if (now >= this.deadline) {
      this.fire(`took longer than the ${seconds(this.options.deadlineMs)} s upload deadline`, "UPLOAD_TOO_SLOW");
    } else if (this.policed && now - this.idleSince >= this.options.idleTimeoutMs) {
      this.fire(`stalled: no data for ${seconds(this.options.idleTimeoutMs)} s`, "UPLOAD_STALLED");
    } else {
      this.schedule();
    }
  }

  private fire(what: string, reason: string): void {
    this.expired = new GatewayError("BAD_REQUEST", what, { reason });
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
