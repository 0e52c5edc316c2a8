// Child processes in a test file: the project's entry points run as dev/spawn-ts.ts
// runs them, with what the suite adds (their output and the Faseeh key they
// were given go to the secret scan; every child is tracked so a test file can
// kill leftovers in afterEach), and the children of a file that must die with their test.
import type { ChildProcess } from "node:child_process";
import { afterEach } from "vitest";
import { spawnTs as spawnUnrecorded, type LogLine, type TsProcess } from "../../dev/spawn-ts.js";
import { recordOutput, recordSecret } from "./suite-record.js";

const running = new Set<TsProcess>();

export interface SpawnOptions {
  /** The process prints a secret on purpose (e.g. `keys create`): leave its output out of the secret scan. */
  printsSecret?: boolean;
  /** Flags for node itself, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
}

/**
 * dev/spawn-ts.ts's spawnTs for a test: the child's Faseeh key and output go
 * to the suite's secret scan, and the child is tracked for killAllSpawned.
 */
export function spawnTs(script: string, env: Record<string, string>, args: string[] = [], options: SpawnOptions = {}): TsProcess {
  if (env.FASEEH_API_KEY) recordSecret(env.FASEEH_API_KEY);
  const handle = spawnUnrecorded(script, env, args, {
    nodeArgs: options.nodeArgs,
    onOutput: options.printsSecret
      ? undefined
      : (out, err) => {
          recordOutput(`${script} stdout`, out);
          recordOutput(`${script} stderr`, err);
        },
  });
  running.add(handle);
  handle.child.once("close", () => running.delete(handle));
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

/**
 * Children a test file starts and must not outlive their test: `track` each
 * one; after every test (before the fixtures' cleanup) each still running is
 * killed as a crash. `kill` does the same at once, inside a test.
 */
export function crashOnTeardown(): { track(child: ChildProcess): void; kill(child: ChildProcess): Promise<void> } {
  const children = new Set<ChildProcess>();
  const kill = async (child: ChildProcess): Promise<void> => {
    await killAndWait(child);
    children.delete(child);
  };
  afterEach(async () => {
    await Promise.all([...children].map((child) => kill(child)));
  });
  return {
    track: (child) => {
      children.add(child);
    },
    kill,
  };
}
