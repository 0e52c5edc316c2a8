// One owner per embedded database: a second gateway, or a command beside a
// running gateway, is refused before it reads or writes anything, with a
// message naming the holder; a lock whose owner died is taken over.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DataDirInUseError, DataDirLock, LOCK_FILE } from "../../src/db/data-dir-lock.js";
import { currentProcess } from "../../src/process-liveness.js";
import type { LogLine } from "../../dev/spawn-ts.js";
import { killAllSpawned, spawnTs } from "../support/process.js";

const BOOT_TIMEOUT_MS = 90_000;
const SLOW_TEST_TIMEOUT_MS = 150_000;
const dirs: string[] = [];

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gw-lock-"));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await killAllSpawned();
});
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The pid of a process that has exited (so no process holds it, short of pid reuse). */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", ""]);
    child.once("exit", () => resolve(child.pid!));
  });
}

describe("DataDirLock", () => {
  it("refuses a second owner, naming the holder, and frees the directory on release", async () => {
    const dir = await dataDir();
    const first = await DataDirLock.acquire(dir, "gateway");
    first.describe({ port: 4321 });
    const refused = await DataDirLock.acquire(dir, "npm run keys").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as Error).message).toContain(
      `in use by pid ${process.pid} (gateway on port 4321): stop it, or use DATABASE_URL`,
    );
    first.release();
    await expect(stat(path.join(dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
    const second = await DataDirLock.acquire(dir, "npm run keys");
    second.release();
  });

  it("takes over a lock whose owner is dead", async () => {
    const dir = await dataDir();
    const pid = await deadPid();
    await writeFile(
      path.join(dir, LOCK_FILE),
      JSON.stringify({ pid, role: "gateway", hostname: os.hostname(), startedAt: new Date(0).toISOString(), port: 4000 }),
    );
    const lock = await DataDirLock.acquire(dir, "gateway");
    const owner = JSON.parse(await readFile(path.join(dir, LOCK_FILE), "utf8")) as { pid: number };
    expect(owner.pid).toBe(process.pid);
    lock.release();
  });

  it.runIf(existsSync("/proc/self/stat"))(
    "takes over a lock whose pid another process has now (a restarted gateway may get the dead one's pid)",
    async () => {
      const dir = await dataDir();
      const me = currentProcess();
      const earlier = { ...me, startTicks: `${me.startTicks}0`, role: "gateway", startedAt: new Date(0).toISOString() };
      await writeFile(path.join(dir, LOCK_FILE), JSON.stringify(earlier));
      const lock = await DataDirLock.acquire(dir, "gateway");
      const owner = JSON.parse(await readFile(path.join(dir, LOCK_FILE), "utf8")) as { startTicks: string };
      expect(owner.startTicks).toBe(me.startTicks);
      lock.release();
    },
  );

  it("lets exactly one of many simultaneous contenders win", async () => {
    const dir = await dataDir();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => DataDirLock.acquire(dir, "gateway")));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(
      results
        .filter((result): result is PromiseRejectedResult => result.status === "rejected")
        .map((result) => result.reason as unknown),
    ).toSatisfy((reasons: unknown[]) => reasons.every((reason) => reason instanceof DataDirInUseError));
    (results.find((result) => result.status === "fulfilled") as PromiseFulfilledResult<DataDirLock>).value.release();
  });
});

describe("processes on one embedded database", () => {
  const isMsg = (text: string) => (line: LogLine) => line.msg === text;

  it(
    "refuses a second gateway and the keys command while a gateway runs; after a SIGKILL the next gateway takes over",
    async () => {
      const dir = await dataDir();
      const env = { PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir };
      const first = spawnTs("src/main.ts", env);
      const listening = await first.waitForLog(isMsg("gateway listening"), BOOT_TIMEOUT_MS, "the first gateway");
      const holder = `in use by pid ${first.pid} (gateway on port ${String(listening.port)}): stop it, or use DATABASE_URL`;

      const second = spawnTs("src/main.ts", env);
      expect((await second.waitForExit(30_000)).code).toBe(1);
      expect(second.stderr()).toContain(holder);
      expect(second.logs.find(isMsg("gateway listening"))).toBeUndefined();

      const keys = spawnTs("src/cli/keys.ts", { DATA_DIR: dir }, ["list"]);
      expect((await keys.waitForExit(30_000)).code).toBe(1);
      expect(keys.stderr()).toContain(holder);
      expect(keys.stderr()).not.toMatch(/\bat \w+ \(/); // a sentence, not a stack trace

      // The holder's lock is untouched, and it still serves.
      expect(JSON.parse(await readFile(path.join(dir, LOCK_FILE), "utf8"))).toMatchObject({
        pid: first.pid,
        port: listening.port,
      });

      first.child.kill("SIGKILL");
      await first.waitForExit(10_000);
      const third = spawnTs("src/main.ts", env);
      await third.waitForLog(isMsg("gateway listening"), BOOT_TIMEOUT_MS, "the gateway after a SIGKILL");
      third.child.kill("SIGTERM");
      expect((await third.waitForExit(20_000)).code).toBe(0);
      // A clean exit removes the lock, and the keys command may run.
      await expect(stat(path.join(dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
      const list = spawnTs("src/cli/keys.ts", { DATA_DIR: dir }, ["list"]);
      expect((await list.waitForExit(30_000)).code).toBe(0);
      expect(list.stdout()).toContain("No keys: the gateway is open to anyone");
    },
    SLOW_TEST_TIMEOUT_MS,
  );

  it(
    "lets only one of two gateways started together open it",
    async () => {
      const dir = await dataDir();
      const env = { PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir };
      const pair = [spawnTs("src/main.ts", env), spawnTs("src/main.ts", env)];
      const outcomes = await Promise.all(
        pair.map((proc) =>
          Promise.race([
            proc.waitForLog(isMsg("gateway listening"), BOOT_TIMEOUT_MS).then(
              () => "listening" as const,
              () => new Promise<never>(() => undefined), // it exited: the other branch answers
            ),
            proc.waitForExit(BOOT_TIMEOUT_MS).then((exit) => (exit.code === 1 ? ("refused" as const) : ("other" as const))),
          ]),
        ),
      );
      expect([...outcomes].sort()).toEqual(["listening", "refused"]);
      const refused = pair[outcomes.indexOf("refused")]!;
      expect(refused.stderr()).toContain("stop it, or use DATABASE_URL");
    },
    SLOW_TEST_TIMEOUT_MS,
  );
});
