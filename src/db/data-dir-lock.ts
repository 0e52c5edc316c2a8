// One owner per embedded database. PGlite keeps the whole database in the
// memory of the process that opened it and writes it back to DATA_DIR, so two
// processes on one DATA_DIR (a second gateway, or `npm run keys` beside a
// running gateway) each work on their own copy and silently undo each other.
// Opening the embedded database therefore takes an exclusive lock file in
// DATA_DIR, created atomically (O_EXCL), holding the owner's pid, role and
// port. It is removed when the owner closes the database or exits, and taken
// over when its owner is dead (a crash, SIGKILL). Anyone else is refused
// before a byte of the database is read or written.
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { currentProcess, isAlive, type ProcessIdentity } from "../process-liveness.js";

export const LOCK_FILE = "gateway.lock";

/** The holder (pid, host and, on Linux, what tells a recycled pid: see process-liveness.ts) and what it is. */
export interface LockOwner extends ProcessIdentity {
  /** What holds it: "gateway", or the command, e.g. "npm run keys". */
  role: string;
  /** When it took the lock. */
  startedAt: string;
  /** Set by a gateway once it listens. */
  port?: number;
}

/** The embedded database is held by another live process. */
export class DataDirInUseError extends Error {
  override name = "DataDirInUseError";

  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner | undefined,
  ) {
    const holder = owner
      ? `pid ${owner.pid} (${owner.role}${owner.port !== undefined ? ` on port ${owner.port}` : ""})`
      : "another process that is starting";
    super(
      `The embedded database in ${displayPath(dataDir)} is in use by ${holder}: stop it, or use DATABASE_URL ` +
        "(PostgreSQL allows any number of gateways and commands at once).",
    );
  }
}

/** A file younger than this with no readable owner belongs to a process still writing it. */
const FRESH_MS = 5_000;

export class DataDirLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(
    readonly file: string,
    private owner: LockOwner,
  ) {
    // Whatever way the process ends (short of SIGKILL, which the next owner detects), the lock goes with it.
    process.once("exit", this.onExit);
  }

  /** Takes the lock on `dataDir` for `role`, or throws DataDirInUseError naming the holder. */
  static async acquire(dataDir: string, role: string): Promise<DataDirLock> {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, LOCK_FILE);
    const owner: LockOwner = { ...currentProcess(), role, startedAt: new Date().toISOString() };
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(file, "wx", 0o600);
        try {
          writeSync(fd, JSON.stringify(owner));
        } finally {
          closeSync(fd);
        }
        return new DataDirLock(file, owner);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = readOwner(file);
      if (holder === "gone") continue; // released meanwhile: try again
      if (holder === undefined) {
        // Being written right now, or left empty by a crash mid-write.
        if (attempt < 20 && ageMs(file) < FRESH_MS) {
          await sleep(100);
          continue;
        }
      } else if (isAlive(holder)) {
        throw new DataDirInUseError(dataDir, holder);
      }
      // Its owner is dead: move the stale file aside (only one contender's rename succeeds) and try again.
      try {
        const aside = `${file}.stale-${randomBytes(4).toString("hex")}`;
        renameSync(file, aside);
        rmSync(aside, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      if (attempt > 20) throw new DataDirInUseError(dataDir, holder);
    }
  }

  /** Adds what others should be told about the holder (a gateway's port). */
  describe(details: Pick<LockOwner, "port">): void {
    if (this.released) return;
    this.owner = { ...this.owner, ...details };
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.owner), { mode: 0o600 });
    renameSync(temp, this.file);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.off("exit", this.onExit);
    // Only our own lock: never one that a later owner took over.
    const holder = readOwner(this.file);
    if (typeof holder === "object" && holder.pid === process.pid && holder.startedAt === this.owner.startedAt) {
      rmSync(this.file, { force: true });
    }
  }
}

/** The lock's owner; "gone" when there is no file; undefined when it cannot be read (being written). */
function readOwner(file: string): LockOwner | "gone" | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    return typeof parsed.pid === "number" && typeof parsed.role === "string" ? (parsed as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function displayPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? `./${relative}` : dir;
}
