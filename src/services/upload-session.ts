// The uploads of one request on their way to Faseeh (a clone's two files, a
// preview's one): a directory of their own for the disk copies, one watchdog
// that fails a wait for a client that stopped sending, and a cancel that
// abandons them at once when the caller's signal fires. `close()` reads
// whatever is left of them (an unread upload stalls the request), stops the
// watchdog and removes the directory.
//
// A process that dies mid-upload (SIGKILL, out of memory, power) never gets to
// `close()`, so each directory holds a marker naming the process that made it,
// and AbandonedUploadSweeper removes those whose process no longer runs: at
// boot before serving and on every recovery pass (CloneRecoveryService).
import type { Dirent } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FileUpload } from "./file-upload.js";
import type { Config } from "../config.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../logger.js";
import { currentProcess, liveness, type ProcessIdentity } from "../process-liveness.js";
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

/** In each session's directory: the process that made it. */
const OWNER_FILE = ".owner.json";
/** A session's directory, as mkdtemp names it ("<prefix>XXXXXX"). */
const SESSION_DIR = /^[a-z][a-z0-9]*-[A-Za-z0-9]{6}$/;
/**
 * The prefixes the gateway uses ("clone-", "preview-"). Only these are judged
 * without a marker (made before markers existed, or by a process that died
 * between making the directory and its marker): UPLOAD_DIR may be a shared
 * directory such as /tmp, whose other contents are not ours to remove.
 */
const OWN_UNMARKED_DIR = /^(clone|preview)-[A-Za-z0-9]{6}$/;
/** No session bound is shorter: it covers a previous version's sessions, which had no marker. */
const MIN_SESSION_AGE_BOUND_MS = 3_600_000;

/** Where clone uploads go: UPLOAD_DIR, else a directory in the OS temp dir (clone-service's default). */
export function uploadsBaseDir(uploads: Pick<Config["uploads"], "dir">): string {
  return uploads.dir ?? path.join(os.tmpdir(), "voice-gateway-uploads");
}

/**
 * An age no live session's directory reaches: its uploads' deadline, then
 * Faseeh's longest call (the queue, every attempt and its Retry-After wait),
 * plus ten minutes for storing the outcome; at least an hour.
 */
export function sessionAgeBoundMs(config: Pick<Config, "uploads" | "upstream">): number {
  const { queueTimeoutMs, maxAttempts, timeoutMs, retryMaxWaitMs } = config.upstream;
  const longest = config.uploads.deadlineMs + queueTimeoutMs + maxAttempts * (timeoutMs + retryMaxWaitMs) + 600_000;
  return Math.max(longest, MIN_SESSION_AGE_BOUND_MS);
}

async function markOwner(dir: string): Promise<void> {
  const marker = { ...currentProcess(), startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString() };
  try {
    await writeFile(path.join(dir, OWNER_FILE), JSON.stringify(marker), { mode: 0o600 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The process a session's directory names; undefined when it has no readable marker. */
async function ownerOf(dir: string): Promise<ProcessIdentity | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path.join(dir, OWNER_FILE), "utf8")) as Partial<ProcessIdentity>;
    return typeof parsed.pid === "number" && typeof parsed.hostname === "string" ? (parsed as ProcessIdentity) : undefined;
  } catch {
    return undefined; // none (an older layout), or being written right now
  }
}

/**
 * Removes the session directories that processes no longer running left in
 * `baseDirs`. Never a live process's (another gateway on the same UPLOAD_DIR,
 * `npm run reconcile` beside one) nor another host's, whose processes cannot
 * be seen from here. Directories whose owner cannot be told (another
 * container's pids on this host, or no marker) go once older than
 * `maxSessionAgeMs` (sessionAgeBoundMs), which no live session reaches.
 */
export class AbandonedUploadSweeper {
  constructor(
    private readonly baseDirs: readonly string[],
    private readonly options: { maxSessionAgeMs: number; logger: Logger },
  ) {}

  /** How many directories it removed. Never throws: a failure is a warning, and tried again next time. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const baseDir of this.baseDirs) removed += await this.sweepDir(baseDir);
    return removed;
  }

  private async sweepDir(baseDir: string): Promise<number> {
    let entries: Dirent[];
    try {
      entries = await readdir(baseDir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.options.logger.warn({ dir: baseDir, err: errorMessage(error) }, "could not list upload directories");
      }
      return 0;
    }
    let removed = 0;
    for (const entry of entries) {
      if (!entry.isDirectory() || !SESSION_DIR.test(entry.name)) continue;
      const dir = path.join(baseDir, entry.name);
      try {
        if (!(await this.isAbandoned(dir, entry.name))) continue;
        await rm(dir, { recursive: true, force: true, maxRetries: 2 });
        removed++;
      } catch (error) {
        this.options.logger.warn({ dir, err: errorMessage(error) }, "could not remove an abandoned upload directory");
      }
    }
    return removed;
  }

  private async isAbandoned(dir: string, name: string): Promise<boolean> {
    const owner = await ownerOf(dir);
    if (owner) {
      const state = liveness(owner);
      if (state === "dead") return true;
      if (state !== "other-namespace") return false; // alive, or on another host: cannot tell
    } else if (!OWN_UNMARKED_DIR.test(name)) {
      return false;
    }
    const modified = (await stat(dir).catch(() => undefined))?.mtimeMs;
    return modified !== undefined && Date.now() - modified > this.options.maxSessionAgeMs;
  }
}
