// Runs one of the project's entry points (src/main.ts, a CLI, the fake Faseeh's
// server) as a real child process, the way `npm start` / `npm run migrate` do,
// and collects what it writes: stdout parsed as JSON log lines, stderr as text.
// The benchmarks use it as it is; the tests through test/support/process.ts,
// which adds the suite's secret scan and kills a test file's leftovers.
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = fileURLToPath(new URL("../", import.meta.url));

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

/**
 * Only the variables a Node process needs to start: the gateway must see the
 * configuration it is given (a test's, a benchmark's), not whatever
 * DATABASE_URL or FASEEH_API_KEY the developer's shell (or vitest's
 * NODE_ENV=test) happens to carry.
 */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG", "SYSTEMROOT"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export interface SpawnOptions {
  /** Flags for node itself, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** Called once with everything the process wrote, when its output has ended, before its exit is reported. */
  onOutput?: (stdout: string, stderr: string) => void;
}

/** Spawns `node --import tsx <script>` in the project root with exactly `env` (plus PATH/HOME). */
export function spawnTs(script: string, env: Record<string, string>, args: string[] = [], options: SpawnOptions = {}): TsProcess {
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
      options.onOutput?.(out, err);
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
    },
  };
  return handle;
}
