// Nothing left behind by a crash: the upload directories of a process that no
// longer runs are removed by the sweep (at boot before serving, on every
// recovery pass, by `npm run reconcile`), never those of a live process (this
// one included), nor another host's before no session could be that old. Real directories and real processes: a
// holder process opens a session with the real UploadSession and is killed.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { pino } from "pino";
import { type Config, loadConfig } from "../../../src/config.js";
import { currentProcess } from "../../../src/process-liveness.js";
import { AbandonedUploadSweeper, sessionAgeBoundMs } from "../../../src/services/uploads/abandoned-uploads.js";
import { UploadSession } from "../../../src/services/uploads/upload-session.js";
import { describe, expect, test as it } from "../../support/base-fixtures.js";
import { PROJECT_ROOT } from "../../../dev/spawn-ts.js";
import { crashOnTeardown, spawnTs } from "../../support/process.js";

const HOUR_MS = 3_600_000;
const SLOW_TEST_TIMEOUT_MS = 120_000;
// Before the fixtures' cleanup (gateways, directories, databases): no holder outlives its test.
const holders = crashOnTeardown();

const HOLDER = `
  const { UploadSession } = await import(${JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src/services/uploads/upload-session.ts")).href)});
  const { writeFile } = await import("node:fs/promises");
  const limits = { maxBytes: 1 << 20, idleTimeoutMs: 600_000, deadlineMs: 600_000 };
  const session = await UploadSession.open({ baseDir: process.argv[1], prefix: process.argv[2], limits, signal: new AbortController().signal });
  await writeFile(session.dir + "/input_voiceFile", Buffer.alloc(1 << 20)); // a MiB on its way
  process.stdout.write(JSON.stringify({ dir: session.dir }) + "\\n");
  setInterval(() => undefined, 60_000);`;

/** A live process holding an upload session in `baseDir`, as a gateway mid-upload does; `dir` is the session's. */
async function holder(baseDir: string, prefix = "clone-"): Promise<{ child: ChildProcess; dir: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", HOLDER, baseDir, prefix], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  holders.track(child);
  let out = "";
  child.stdout.setEncoding("utf8");
  for await (const chunk of child.stdout) {
    out += String(chunk);
    if (out.includes("\n")) break;
  }
  return { child, dir: (JSON.parse(out) as { dir: string }).dir };
}

/** A holder killed mid-session: its directory is what a crash leaves. */
async function leftByDeadProcess(baseDir: string, prefix = "clone-"): Promise<string> {
  const { child, dir } = await holder(baseDir, prefix);
  await holders.kill(child);
  expect(existsSync(dir)).toBe(true);
  return dir;
}

/** A session directory whose marker names `owner` (written by hand: a process this test cannot start). */
async function markedBy(baseDir: string, name: string, owner: Record<string, unknown>): Promise<string> {
  const dir = path.join(baseDir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, ".owner.json"), JSON.stringify(owner));
  return dir;
}

async function age(target: string, ms: number): Promise<void> {
  const then = new Date(Date.now() - ms);
  await utimes(target, then, then);
}

function sweeper(baseDirs: string[], maxSessionAgeMs = HOUR_MS) {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push(JSON.parse(line) as Record<string, unknown>) });
  return { sweeper: new AbandonedUploadSweeper(baseDirs, { maxSessionAgeMs, logger }), warnings };
}

const listing = async (dir: string) => (await readdir(dir)).sort();

describe("AbandonedUploadSweeper", () => {
  it("removes what a process killed mid-session left; keeps a live process's, however old, and this process's", async ({
    makeTempDir: tempDir,
  }) => {
    const base = await tempDir("gw-sweep-");
    const dead = await leftByDeadProcess(base);
    const live = await holder(base);
    await age(live.dir, 48 * HOUR_MS);
    const own = await UploadSession.open({
      baseDir: base,
      prefix: "clone-",
      limits: loadConfig({}).uploads,
      signal: new AbortController().signal,
    });
    const { sweeper: sweep, warnings } = sweeper([base]);

    expect(await sweep.sweep()).toBe(1);
    expect(existsSync(dead)).toBe(false);
    expect(await listing(base)).toEqual([path.basename(live.dir), path.basename(own.dir)].sort());

    await holders.kill(live.child);
    expect(await sweep.sweep()).toBe(1);
    expect(await listing(base)).toEqual([path.basename(own.dir)]);
    await own.close();
    expect(await readdir(base)).toEqual([]);
    expect(warnings).toEqual([]);
  });

  // A replica on another host (a Kubernetes pod replaced for good, on the shared PREVIEW_DIR)
  // cannot be asked whether it runs: its directories go only once no session could be that old.
  it("keeps another host's until it is older than any session", async ({ makeTempDir: tempDir }) => {
    const base = await tempDir("gw-sweep-");
    const me = currentProcess();
    const otherHost = { ...me, pid: me.pid, hostname: `not-${me.hostname}` };
    await markedBy(base, "preview-HoSt01", otherHost);
    await age(await markedBy(base, "preview-HoSt02", otherHost), 2 * HOUR_MS);

    expect(await sweeper([base]).sweeper.sweep()).toBe(1);
    expect(await listing(base)).toEqual(["preview-HoSt01"]);
  });

  it.runIf(existsSync("/proc/self/ns/pid"))(
    "keeps another container's (another pid namespace) until it is older than any session",
    async ({ makeTempDir: tempDir }) => {
      const base = await tempDir("gw-sweep-");
      const other = { ...currentProcess(), pid: 1, pidNamespace: "pid:[1]" };
      await markedBy(base, "clone-NsYng1", other);
      await age(await markedBy(base, "clone-NsOld1", other), 2 * HOUR_MS);

      expect(await sweeper([base]).sweeper.sweep()).toBe(1);
      expect(await listing(base)).toEqual(["clone-NsYng1"]);
    },
  );

  it("judges directories without a marker by age, and only those named as the gateway names them", async ({
    makeTempDir: tempDir,
  }) => {
    const base = await tempDir("gw-sweep-");
    // The layout before markers (a previous version, or a crash between the directory and its marker).
    for (const name of ["clone-OldAb1", "preview-OldAb2", "clone-NewAb3", "backup-OldAb4", "clone-old"]) {
      await mkdir(path.join(base, name));
    }
    await writeFile(path.join(base, "clone-FiLe05"), "not a directory");
    for (const name of ["clone-OldAb1", "preview-OldAb2", "backup-OldAb4", "clone-old", "clone-FiLe05"]) {
      await age(path.join(base, name), 2 * HOUR_MS);
    }

    expect(await sweeper([base]).sweeper.sweep()).toBe(2);
    expect(await listing(base)).toEqual(["backup-OldAb4", "clone-FiLe05", "clone-NewAb3", "clone-old"]);
  });

  it("warns about a base directory it cannot read, and still sweeps the others", async ({ makeTempDir: tempDir }) => {
    const root = await tempDir("gw-sweep-");
    const notADir = path.join(root, "a-file");
    await writeFile(notADir, "");
    const base = await tempDir("gw-sweep-");
    const dead = await leftByDeadProcess(base);
    const { sweeper: sweep, warnings } = sweeper([notADir, path.join(root, "missing"), base]);

    expect(await sweep.sweep()).toBe(1);
    expect(existsSync(dead)).toBe(false);
    expect(warnings).toEqual([
      expect.objectContaining({ level: 40, dir: notADir, msg: "could not list upload directories" }) as unknown,
    ]);
  });

  it("bounds a session's age by the longest session the configuration allows, and at least an hour", () => {
    const config = (deadlineMs: number, timeoutMs: number) =>
      ({
        uploads: { deadlineMs },
        upstream: { queueTimeoutMs: 30_000, maxAttempts: 3, timeoutMs, retryMaxWaitMs: 10_000 },
      }) as Pick<Config, "uploads" | "upstream">;
    expect(sessionAgeBoundMs(config(180_000, 60_000))).toBe(HOUR_MS);
    // 2 h of upload, 30 s queue, 3 x (1 h + 10 s), 10 min to store.
    expect(sessionAgeBoundMs(config(2 * HOUR_MS, HOUR_MS))).toBe(2 * HOUR_MS + 30_000 + 3 * (HOUR_MS + 10_000) + 600_000);
  });
});

describe("in the gateway", () => {
  it(
    "removes what dead processes left in UPLOAD_DIR and the preview staging directory at boot, before serving, and on every recovery pass",
    async ({ testDatabase: db, makeTempDir: tempDir, startGateway }) => {
      const uploadDir = await tempDir("gw-uploads-");
      const previewDir = await tempDir("gw-previews-");
      const staging = path.join(previewDir, ".staging");
      await leftByDeadProcess(uploadDir);
      await leftByDeadProcess(staging, "preview-");
      const live = await holder(uploadDir);

      const gateway = await startGateway({
        testDatabase: db,
        env: { UPLOAD_DIR: uploadDir, PREVIEW_DIR: previewDir, RECOVERY_INTERVAL_MS: "3600000" },
      });
      // startTestGateway returns once the gateway listens: the sweep came first.
      expect(await readdir(uploadDir)).toEqual([path.basename(live.dir)]);
      expect(await readdir(staging)).toEqual([]);
      expect(gateway.logs.find((line) => line.msg === "recovery pass")).toMatchObject({ uploadDirsRemoved: 2 });

      await holders.kill(live.child);
      const report = await gateway.container.recovery.reconcile();
      expect(report.uploadDirsRemoved).toBe(1);
      expect(await readdir(uploadDir)).toEqual([]);
    },
    SLOW_TEST_TIMEOUT_MS,
  );

  it(
    "`npm run reconcile` beside a running gateway removes a dead process's directories, not the gateway's",
    async ({ testDatabase: db, makeTempDir: tempDir, startGateway, onTestFinished }) => {
      const uploadDir = await tempDir("gw-uploads-");
      const gateway = await startGateway({ testDatabase: db, env: { UPLOAD_DIR: uploadDir } });
      // A request's session in this process: the gateway's own, mid-upload.
      const own = await UploadSession.open({
        baseDir: uploadDir,
        prefix: "clone-",
        limits: gateway.container.config.uploads,
        signal: new AbortController().signal,
      });
      onTestFinished(() => own.close());
      await leftByDeadProcess(uploadDir);

      const run = spawnTs("src/cli/reconcile.ts", { DATABASE_URL: db.url, UPLOAD_DIR: uploadDir, LOG_LEVEL: "silent" });
      expect((await run.waitForExit(60_000)).code).toBe(0);
      const report = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as { uploadDirsRemoved: number };
      expect(report.uploadDirsRemoved).toBe(1);
      expect(await readdir(uploadDir)).toEqual([path.basename(own.dir)]);
    },
    SLOW_TEST_TIMEOUT_MS,
  );
});
