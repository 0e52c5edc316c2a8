// The uploads of one request on their way to Faseeh (a clone's two files, a
// preview's one): a directory of their own for the disk copies, one watchdog
// that fails a wait for a client that stopped sending, and a cancel that
// abandons them at once when the caller's signal fires. `close()` reads
// whatever is left of them (an unread upload stalls the request), stops the
// watchdog and removes the directory.
//
// A process that dies mid-upload (SIGKILL, out of memory, power) never gets to
// `close()`, so each directory is marked with the process that made it
// (abandoned-uploads.ts, which removes those of processes that no longer run).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FileUpload } from "./file-upload.js";
import type { Config } from "../../config.js";
import { markOwner } from "./abandoned-uploads.js";
import { AudioUpload, type AudioUploadOptions } from "./audio-upload.js";
import { UploadWatchdog } from "./upload-watchdog.js";

export interface UploadSessionOptions {
  /** Where the session's directory is made. */
  baseDir: string;
  /** Its name's prefix, e.g. "clone-". */
  prefix: string;
  /** MAX_UPLOAD_BYTES per file, and the watchdog's UPLOAD_IDLE_TIMEOUT_MS, UPLOAD_DEADLINE_MS and minimum rate. */
  limits: Pick<Config["uploads"], "maxBytes" | "idleTimeoutMs" | "deadlineMs" | "minRate">;
  /** Client gone or shutdown: nobody waits for the rest of the files. */
  signal: AbortSignal;
}

export class UploadSession {
  private readonly uploads: AudioUpload[] = [];

  private constructor(
    readonly dir: string,
    private readonly watchdog: UploadWatchdog,
    private readonly maxBytes: number,
  ) {}

  static async open(options: UploadSessionOptions): Promise<UploadSession> {
    await mkdir(options.baseDir, { recursive: true });
    const dir = await mkdtemp(path.join(options.baseDir, options.prefix));
    await markOwner(dir);
    const { maxBytes, idleTimeoutMs, deadlineMs, minRate } = options.limits;
    const watchdog = new UploadWatchdog({ idleTimeoutMs, deadlineMs, minRate });
    // Cancelled while the client may still be sending: nobody waits for the rest of its files.
    options.signal.addEventListener("abort", () => watchdog.cancel(), { once: true });
    return new UploadSession(dir, watchdog, maxBytes);
  }

  /** One uploaded file of the request, at GraphQL path `field` (e.g. "input.voiceFile"). */
  file(
    upload: Promise<FileUpload> | FileUpload,
    field: string,
    options: Pick<AudioUploadOptions, "allowRawPcm"> = {},
  ): AudioUpload {
    const file = new AudioUpload(upload, { ...options, dir: this.dir, maxBytes: this.maxBytes, watchdog: this.watchdog, field });
    this.uploads.push(file);
    return file;
  }

  /** Reads what is left of every upload, then removes their copies. Never throws. */
  async close(): Promise<void> {
    await Promise.allSettled(this.uploads.map((upload) => upload.settle()));
    this.watchdog.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Where clone uploads go: UPLOAD_DIR, else a directory in the OS temp dir (clone-service's default). */
export function uploadsBaseDir(uploads: Pick<Config["uploads"], "dir">): string {
  return uploads.dir ?? path.join(os.tmpdir(), "voice-gateway-uploads");
}
