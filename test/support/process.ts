// Runs one of the project's entry points (src/main.ts, src/db/migrate-cli.ts)
// as a real child process, the way `npm start` / `npm run migrate` do, and
// collects what it writes: stdout parsed as JSON log lines, stderr as text.
// Every child is tracked so a test file can kill leftovers in afterEach.
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import { recordOutput, recordSecret } from "./suite-record.js";

export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export type LogLine = Record<string, unknown>;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TsProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every stdout line that parsed as a JSON object, in order. */
  readonly logs: LogLine[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first log line (already written or to come) matching `predicate`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs: number, what?: string): Promise<LogLine>;
  /** Resolves when the process has exited; rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<ExitStatus>;
  /** The exit status once known, else undefined. */
  readonly exitStatus: ExitStatus | undefined;
  /** SIGKILL if still running, then waits for the exit. */
  kill(): Promise<void>;
}

const running = new Set<TsProcess>();

/**
 * Only the variables a Node process needs to start: the gateway must see the
 * test's configuration, not whatever DATABASE_URL or FASEEH_API_KEY the
 * developer's shell (or vitest's NODE_ENV=test) happens to carry.
 */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG", "SYSTEMROOT"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Spawns `node --import tsx <script>` in the project root with exactly `env` (plus PATH/HOME). */
export interface SpawnOptions {
  /** The process prints a secret on purpose (e.g. `keys create`): leave its output out of the secret scan. */
  printsSecret?: boolean;
  /** Flags for node itself, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
}

export function spawnTs(script: string, env: Record<string, string>, args: string[] = [], options: SpawnOptions = {}): TsProcess {
  if (env.FASEEH_API_KEY) recordSecret(env.FASEEH_API_KEY);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", script, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...baseEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${script}`);
  const events = new EventEmitter();
  const logs: LogLine[] = [];
  let out = "";
  let err = "";
  let pending = "";
  let exitStatus: ExitStatus | undefined;

  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    out += chunk;
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (!line.startsWith("{")) continue;
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
          logs.push(parsed as LogLine);
          events.emit("line", parsed);
        }
      } catch {
        // Not JSON: kept in stdout() only.
      }
    }
  });
  child.stderr.on("data", (chunk: string) => {
    err += chunk;
  });
  // 'close', not 'exit': it comes once stdout and stderr are read to their end.
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("close", (code, signal) => {
      if (!options.printsSecret) {
        recordOutput(`${script} stdout`, out);
        recordOutput(`${script} stderr`, err);
      }
      exitStatus = { code, signal };
      events.emit("exit", exitStatus);
      resolve(exitStatus);
    });
  });

  const describe = () => `pid ${child.pid}, stdout:\n${out}\nstderr:\n${err}`;

  const handle: TsProcess = {
    child,
    pid: child.pid,
    logs,
    stdout: () => out,
    stderr: () => err,
    get exitStatus() {
      return exitStatus;
    },
    waitForLog(predicate, timeoutMs, what = "a matching log line") {
      const found = logs.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<LogLine>((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          events.off("line", onLine);
          events.off("exit", onExit);
        };
        const onLine = (line: LogLine) => {
          if (!predicate(line)) return;
          cleanup();
          resolve(line);
        };
        const onExit = (status: ExitStatus) => {
          cleanup();
          reject(new Error(`process exited (${JSON.stringify(status)}) before ${what}; ${describe()}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${describe()}`));
        }, timeoutMs);
        events.on("line", onLine);
        if (exitStatus) onExit(exitStatus);
        else events.on("exit", onExit);
      });
    },
    waitForExit(timeoutMs) {
      if (exitStatus) return Promise.resolve(exitStatus);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`process still running after ${timeoutMs} ms; ${describe()}`)), timeoutMs);
      });
      return Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    },
    async kill() {
      if (!exitStatus) child.kill("SIGKILL");
      await exited;
      running.delete(handle);
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** Kills every child spawned by this test file that is still running. */
export async function killAllSpawned(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.kill()));
}

/** The value of a log line's `msg`. */
export const msg = (line: LogLine): unknown => line.msg;

/** SIGKILL, as a crash (the process never reaches its cleanup), then waits for it to have exited. */
export async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}
