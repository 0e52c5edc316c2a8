// Whether a recorded process still runs, told from real processes: this one,
// a live child and a dead one, a recycled pid (the same pid, another start),
// a record from before start times were kept, another host, another boot and
// another container's pid namespace.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { currentProcess, isAlive, liveness, type ProcessIdentity } from "../src/process-liveness.js";
import { PROJECT_ROOT } from "../dev/spawn-ts.js";
import { crashOnTeardown } from "./support/process.js";

const LINUX = existsSync("/proc/self/stat");
const children = crashOnTeardown();

/** A node process that prints how it records itself; it exits at once unless `stay`. */
async function recordedChild(stay: boolean): Promise<{ child: ChildProcess; identity: ProcessIdentity }> {
  const code = `
    const { currentProcess } = await import(${JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src/process-liveness.ts")).href)});
    process.stdout.write(JSON.stringify(currentProcess()) + "\\n");
    if (process.argv[1] === "stay") setInterval(() => undefined, 60_000); else process.exit(0);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, stay ? "stay" : "exit"], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.track(child);
  const exited = stay ? undefined : once(child, "exit");
  let out = "";
  child.stdout.setEncoding("utf8");
  for await (const chunk of child.stdout) {
    out += String(chunk);
    if (out.includes("\n")) break;
  }
  await exited;
  return { child, identity: JSON.parse(out) as ProcessIdentity };
}

/** A live process that is not node (`sleep`). */
async function liveNonNode(): Promise<ChildProcess> {
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  children.track(child);
  await once(child, "spawn");
  return child;
}

describe("liveness", () => {
  it("knows this process", () => {
    expect(liveness(currentProcess())).toBe("alive");
    expect(currentProcess()).toMatchObject({ pid: process.pid });
  });

  it("tells a live process from the same one once killed", async () => {
    const { child, identity } = await recordedChild(true);
    expect(identity.pid).toBe(child.pid);
    expect(liveness(identity)).toBe("alive");
    await children.kill(child);
    expect(liveness(identity)).toBe("dead");
    expect(isAlive(identity)).toBe(false);
  });

  it("tells a process that exited", async () => {
    const { identity } = await recordedChild(false);
    expect(liveness(identity)).toBe("dead");
  });

  it.runIf(LINUX)("does not take a recycled pid (another start time) for its earlier owner, ours included", async () => {
    const { identity } = await recordedChild(true);
    expect(liveness({ ...identity, startTicks: `${identity.startTicks}9` })).toBe("dead");
    // A gateway restarted after a crash may get the pid of the one that died.
    expect(liveness({ ...currentProcess(), startTicks: `${currentProcess().startTicks}9` })).toBe("dead");
  });

  it.runIf(LINUX)("judges a record without a start time by the pid and whether it still runs node", async () => {
    const { identity } = await recordedChild(true);
    const { pid, hostname } = identity;
    expect(liveness({ pid, hostname })).toBe("alive");
    const sleeper = await liveNonNode();
    expect(liveness({ pid: sleeper.pid!, hostname })).toBe("dead");
  });

  it("cannot see another host's processes", () => {
    const me = currentProcess();
    expect(liveness({ ...me, hostname: `not-${me.hostname}` })).toBe("other-host");
    expect(isAlive({ ...me, hostname: `not-${me.hostname}` })).toBe(true);
  });

  it.runIf(LINUX)(
    "records what tells a recycled pid; cannot see another pid namespace's processes; another boot's are gone",
    () => {
      const me = currentProcess();
      expect(me).toEqual({
        pid: process.pid,
        hostname: os.hostname(),
        bootId: expect.stringMatching(/\S/) as unknown,
        pidNamespace: expect.stringMatching(/^pid:\[\d+\]$/) as unknown,
        startTicks: expect.stringMatching(/^\d+$/) as unknown,
      });
      expect(liveness({ ...me, pid: 1, pidNamespace: "pid:[1]" })).toBe("other-namespace");
      expect(isAlive({ ...me, pid: 1, pidNamespace: "pid:[1]" })).toBe(true);
      expect(liveness({ ...me, bootId: "00000000-0000-0000-0000-000000000000" })).toBe("dead");
    },
  );
});
