// Upload directories a dead process left behind. Each upload session
// (upload-session.ts) marks its directory with the process that made it;
// AbandonedUploadSweeper removes the directories whose process no longer
// runs, at boot before serving and on every recovery pass
// (CloneRecoveryService), and never those of a live process.
import type { Dirent } from "node:fs";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../../config.js";
import { errorMessage } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { currentProcess, liveness, type ProcessIdentity } from "../../process-liveness.js";

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

/** This process, as every marker names it: the same for all its sessions, so written out once. */
let ownMarker: string | undefined;

/** Marks a session's directory as this process's; removes the directory if the marker cannot be written. */
export async function markOwner(dir: string): Promise<void> {
  ownMarker ??= JSON.stringify(currentProcess());
  try {
    await writeFile(path.join(dir, OWNER_FILE), ownMarker, { mode: 0o600 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The process a session's directory names; undefined when it has no readable marker. */
async function markedOwner(dir: string): Promise<ProcessIdentity | undefined> {
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
 * `npm run reconcile` beside one). Directories whose owner cannot be told
 * (another host's, another container's pids on this host, or no marker) go
 * once older than `maxSessionAgeMs` (sessionAgeBoundMs), which no live
 * session reaches.
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
    const owner = await markedOwner(dir);
    if (owner) {
      const state = liveness(owner);
      if (state === "dead") return true;
      // Another container or another host (a replica on the shared PREVIEW_DIR, a pod that is
      // gone for good on Kubernetes): its processes cannot be seen, so age decides.
      if (state === "alive") return false;
    } else if (!OWN_UNMARKED_DIR.test(name)) {
      return false;
    }
    const modified = (await stat(dir).catch(() => undefined))?.mtimeMs;
    return modified !== undefined && Date.now() - modified > this.options.maxSessionAgeMs;
  }
}
