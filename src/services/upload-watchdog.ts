// Keeps a clone's uploads moving. While the files stream through to Faseeh,
// the clone holds one of UPSTREAM_MAX_CONCURRENCY slots and a half-sent
// connection to Faseeh; a client that stops sending must not hold them for
// Node's five-minute request timeout. One watchdog per request: it expires
// after UPLOAD_IDLE_TIMEOUT_MS without a byte (of either file) or at the
// request's upload deadline, and every wait for the client's bytes races it.
// An expired upload fails before the closing boundary, so Faseeh never gets a
// complete request from it.
import { GatewayError } from "../errors.js";

export interface UploadWatchdogOptions {
  idleTimeoutMs: number;
  deadlineMs: number;
}

export class UploadWatchdog {
  private lastByteAt = Date.now();
  private readonly deadline: number;
  private timer: NodeJS.Timeout | undefined;
  private expired: GatewayError | undefined;
  private readonly expiry: Promise<never>;
  private expire!: (error: GatewayError) => void;

  constructor(private readonly options: UploadWatchdogOptions) {
    this.deadline = this.lastByteAt + options.deadlineMs;
    this.expiry = new Promise<never>((_resolve, reject) => {
      this.expire = reject;
    });
    this.expiry.catch(() => undefined); // observed through guard()
    this.schedule();
  }

  /** Bytes arrived: the idle clock starts again. Called per chunk, so it only stores a number. */
  touch(): void {
    this.lastByteAt = Date.now();
  }

  /** `work`, unless the upload stalls first; then the stall's error (for `field`). */
  async guard<T>(work: Promise<T>, field: string): Promise<T> {
    if (this.expired) throw this.forField(field);
    try {
      return await Promise.race([work, this.expiry]);
    } catch (error) {
      if (this.expired && error === this.expired) throw this.forField(field);
      throw error;
    }
  }

  get hasExpired(): boolean {
    return this.expired !== undefined;
  }

  /** The uploads are over (received, failed or abandoned): no more waiting to police. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const next = Math.min(this.lastByteAt + this.options.idleTimeoutMs, this.deadline);
    this.timer = setTimeout(() => this.check(), Math.max(0, next - Date.now())).unref();
  }

  private check(): void {
    const now = Date.now();
    if (now >= this.deadline) {
      this.fire(`took longer than the ${seconds(this.options.deadlineMs)} s upload deadline`, "UPLOAD_TOO_SLOW");
    } else if (now - this.lastByteAt >= this.options.idleTimeoutMs) {
      this.fire(`stalled: no data for ${seconds(this.options.idleTimeoutMs)} s`, "UPLOAD_STALLED");
    } else {
      this.schedule();
    }
  }

  private fire(what: string, reason: string): void {
    this.expired = new GatewayError("BAD_REQUEST", what, { reason });
    this.expire(this.expired);
  }

  private forField(field: string): GatewayError {
    const { reason } = this.expired!.extensions;
    return new GatewayError(
      "BAD_REQUEST",
      `The upload of \`${field}\` ${this.expired!.message}. Nothing complete was sent to Faseeh, so nothing was spent; send the request again.`,
      // The client stopped sending: close its connection after answering, rather than wait for the rest of its body.
      { field, reason, http: { headers: new Map([["connection", "close"]]) } },
    );
  }
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
