// The production runtime, as the Dockerfile's runtime stage assembles it,
// without Docker: the compiled server (scripts/build.mjs into a temporary
// directory), the SQL migrations, and node_modules installed with exactly the
// flags of the runtime stage's `npm ci` (read from the Dockerfile, plus
// --prefer-offline so the npm cache serves it). Then `node dist/main.js` and
// the CLIs run there against a fresh PostgreSQL database and the embedded one.
//
// The directory is outside the checkout, so nothing resolves from the
// project's own node_modules (dev dependencies): a runtime import of prisma,
// tsx or typescript would fail here.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, onTestFinished } from "vitest";
import { describe, expect, test as it } from "../support/base-fixtures.js";
import { adminUrl } from "../../dev/test-database.js";
import { startOtlpCollector } from "../support/otlp-collector.js";
import { recordOutput, recordSecret } from "../support/suite-record.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
/**
 * 98 MiB when set (2026-11-27, after pruning Prisma's other databases' query compilers); 112.8 MiB with
 * OpenTelemetry's trace SDK (issue 23, its source maps and type declarations pruned too). Room for growth,
 * not for a regression of that size.
 */
const MAX_NODE_MODULES_BYTES = 130 * 1024 * 1024;
const SETUP_TIMEOUT_MS = 180_000;
const BOOT_TIMEOUT_MS = 20_000;
const TEST_TIMEOUT_MS = 60_000;

/** The `RUN ... npm ci ...` instruction of the Dockerfile's last (runtime) stage, continuation lines joined. */
function runtimeInstallRun(): string {
  const instructions = readFileSync(path.join(root, "Dockerfile"), "utf8")
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const lastStage = instructions.slice(instructions.findLastIndex((line) => /^FROM\s/i.test(line)));
  const run = lastStage.find((line) => /^RUN\s.*\bnpm ci\b/.test(line));
  if (!run) throw new Error("the Dockerfile's runtime stage has no `RUN npm ci`");
  return run;
}

/** The flags of that `npm ci`. */
function runtimeNpmCiFlags(): string[] {
  const run = runtimeInstallRun();
  const command = run.slice(run.indexOf("npm ci") + "npm ci".length).split(/&&|;|\|/)[0]!;
  return command.trim().split(/\s+/).filter(Boolean);
}

/** The scripts the same RUN runs after the install (e.g. `node scripts/prune-production-deps.mjs`). */
function runtimeScriptsAfterInstall(): string[] {
  return [...runtimeInstallRun().matchAll(/\bnode\s+(scripts\/[\w.-]+\.mjs)/g)].map((match) => match[1]!);
}

type Run = { code: number; stdout: string; stderr: string };

/** npm settings inherited from a surrounding `npm test` that would change what gets installed or printed. */
const NPM_SETTINGS_THAT_CHANGE_THE_INSTALL =
  /^npm_config_(omit|include|production|only|also|dev|optional|ignore_scripts|loglevel|silent|quiet|dry_run|global|prefix|package_lock|package_lock_only|workspaces?|install_strategy|legacy_peer_deps|strict_peer_deps|engine_strict|foreground_scripts|dangerously_allow_all_scripts|strict_allow_scripts)$/i;

function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs, maxBuffer: 20 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** Disk usage like `du -s`: allocated blocks of every file and directory, hard links once, symlinks not followed. */
function diskUsage(dir: string, seen = new Set<string>()): number {
  let total = 0;
  const stat = lstatSync(dir);
  total += stat.blocks * 512;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      total += diskUsage(full, seen);
      continue;
    }
    const s = lstatSync(full);
    const id = `${s.dev}:${s.ino}`;
    if (seen.has(id)) continue;
    seen.add(id);
    total += s.blocks * 512;
  }
  return total;
}

/** Top-level package names in a node_modules folder (scoped ones as "@scope/name"). */
function packagesIn(nodeModules: string): string[] {
  return readdirSync(nodeModules, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .flatMap((entry) =>
      entry.name.startsWith("@")
        ? readdirSync(path.join(nodeModules, entry.name)).map((name) => `${entry.name}/${name}`)
        : [entry.name],
    );
}

interface Proc {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  stdout(): string;
  stderr(): string;
  waitForLog(msg: string, timeoutMs: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const spawned = new Set<ChildProcess>();

/** `node <script> ...args` in the production directory, with only PATH/HOME/etc. plus `env`. */
function startNode(cwd: string, script: string, args: string[], env: Record<string, string>, printsSecret = false): Proc {
  const base: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG"]) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  const child = spawn(process.execPath, [script, ...args], { cwd, env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  spawned.add(child);
  const logs: Record<string, unknown>[] = [];
  let out = "";
  let err = "";
  let pending = "";
  const waiters = new Set<() => void>();
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
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr.on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      spawned.delete(child);
      if (!printsSecret) {
        recordOutput(`production ${script} stdout`, out);
        recordOutput(`production ${script} stderr`, err);
      }
      for (const wake of waiters) wake();
      resolve({ code, signal });
    });
  });
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));
  return {
    child,
    logs,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog(msg, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find((line) => line.msg === msg);
          if (found) {
            done(() => resolve(found));
            return;
          }
          if (exitedYet) {
            done(() => reject(new Error(`${script} exited before logging "${msg}":\n${out}\n${err}`)));
            return;
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`timed out waiting for "${msg}" from ${script}:\n${out}\n${err}`))),
          timeoutMs,
        );
        const done = (finish: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          finish();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

async function runNode(cwd: string, script: string, args: string[], env: Record<string, string>, printsSecret = false) {
  const proc = startNode(cwd, script, args, env, printsSecret);
  const status = await proc.exited;
  return { status, stdout: proc.stdout(), stderr: proc.stderr() };
}

async function graphql(port: number, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  recordOutput("production graphql response", text);
  return { status: response.status, body: JSON.parse(text) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
}

describe("production build (compiled dist/, production dependencies only)", () => {
  let dir: string;
  let install: Run;
  let flags: string[];
  const migrationNames = readdirSync(path.join(root, "prisma", "migrations"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gw-production-"));
    flags = runtimeNpmCiFlags();
    // What the runtime stage copies, in a directory outside the checkout.
    for (const file of ["package.json", "package-lock.json"]) cpSync(path.join(root, file), path.join(dir, file));
    cpSync(path.join(root, "prisma", "migrations"), path.join(dir, "prisma", "migrations"), { recursive: true });
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !NPM_SETTINGS_THAT_CHANGE_THE_INSTALL.test(name)),
    );
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    // One after the other, not together: the rest of the suite runs in parallel on few cores.
    // The build stage's `npm run build`, into the production directory.
    const built = await run(process.execPath, [path.join(root, "scripts", "build.mjs"), "--out-dir", path.join(dir, "dist")], {
      cwd: root,
      timeoutMs: SETUP_TIMEOUT_MS / 2,
    });
    if (built.code !== 0) throw new Error(`npm run build failed:\n${built.stdout}\n${built.stderr}`);
    install = await run(npm, ["ci", ...flags, "--prefer-offline", "--loglevel=warn"], {
      cwd: dir,
      env,
      timeoutMs: SETUP_TIMEOUT_MS / 2,
    });
    if (install.code !== 0) throw new Error(`npm ci ${flags.join(" ")} failed:\n${install.stderr}`);
    // What the same RUN does next, with the script the stage copies.
    for (const script of runtimeScriptsAfterInstall()) {
      cpSync(path.join(root, script), path.join(dir, script));
      const pruned = await run(process.execPath, [script], { cwd: dir, timeoutMs: SETUP_TIMEOUT_MS / 4 });
      if (pruned.code !== 0) throw new Error(`node ${script} failed:\n${pruned.stdout}\n${pruned.stderr}`);
    }
  }, SETUP_TIMEOUT_MS);

  afterEach(() => {
    for (const child of spawned) child.kill("SIGKILL");
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("installs like the Dockerfile's runtime stage: production dependencies only, without install scripts", () => {
    expect(flags).toContain("--omit=dev");
    expect(flags).toContain("--ignore-scripts");
    expect(runtimeScriptsAfterInstall()).toEqual(["scripts/prune-production-deps.mjs"]);
    // Nothing above the directory could stand in for a missing package.
    for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
      expect(existsSync(path.join(parent, "node_modules")), `${parent}/node_modules exists`).toBe(false);
      if (path.dirname(parent) === parent) break;
    }
  });

  it("has no Prisma CLI, TypeScript, tsx or codegen in node_modules, and stays under 130 MiB", () => {
    const nodeModules = path.join(dir, "node_modules");
    const packages = packagesIn(nodeModules);
    for (const name of ["prisma", "typescript", "tsx", "esbuild", "vitest", "@prisma/dev", "@graphql-codegen/cli"]) {
      expect(packages).not.toContain(name);
    }
    expect(packages).toContain("@prisma/client");
    expect(packages).toContain("@electric-sql/pglite");
    const bytes = diskUsage(nodeModules);
    console.log(`production node_modules: ${(bytes / 1024 / 1024).toFixed(1)} MiB, ${packages.length} top-level packages`);
    expect(bytes).toBeLessThan(MAX_NODE_MODULES_BYTES);
  });

  it("installs nothing that declares it does not support this Node version", () => {
    expect(install.stderr).not.toContain("EBADENGINE");
  });

  it(
    "serves from dist/main.js against PostgreSQL: applies the migrations at boot, answers /readyz and a query, stops on SIGTERM",
    async ({ testDatabase: db }) => {
      const gateway = startNode(dir, "dist/main.js", [], {
        NODE_ENV: "production",
        ALLOW_ANONYMOUS: "true",
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: db.url,
        LOG_LEVEL: "info",
      });
      const listening = await gateway.waitForLog("gateway listening", BOOT_TIMEOUT_MS);
      const port = listening.port as number;
      expect(listening.database).toBe("postgres");
      expect(gateway.logs.filter((line) => line.msg === "migration applied").map((line) => line.migration)).toEqual(
        migrationNames,
      );

      const ready = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
      expect(ready.status).toBe(200);
      const answer = await graphql(port, "{ voices { totalCount } }");
      expect(answer.body).toEqual({ data: { voices: { totalCount: 0 } } });

      // Prisma's ledger, one finished row per migration folder, checksum of the file.
      const rows = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
        `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name`,
      );
      expect(rows.map((row) => row.migration_name)).toEqual(migrationNames);
      for (const row of rows) {
        expect(row.finished_at).not.toBeNull();
        const sql = readFileSync(path.join(dir, "prisma", "migrations", row.migration_name, "migration.sql"));
        expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      }

      // node is the process that gets the signal (no loader or npm in between).
      gateway.child.kill("SIGTERM");
      const status = await gateway.exited;
      expect(status).toEqual({ code: 0, signal: null });
      expect(gateway.logs.map((line) => line.msg)).toContain("shutdown complete");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "runs the CLIs from dist/cli: migrate, keys, reconcile; production then serves with the key",
    async ({ testDatabase: db }) => {
      const env = { NODE_ENV: "production", DATABASE_URL: db.url, LOG_LEVEL: "warn" };
      const migrated = await runNode(dir, "dist/cli/migrate.js", [], env);
      expect(migrated.status.code, migrated.stderr).toBe(0);
      expect(JSON.parse(migrated.stdout.trim().split("\n").at(-1)!)).toEqual({ applied: migrationNames, alreadyApplied: [] });

      const created = await runNode(dir, "dist/cli/keys.js", ["create", "--name", "deploy-test", "--scope", "read"], env, true);
      expect(created.status.code, created.stderr).toBe(0);
      const key = created.stdout.trim().split("\n").at(-1)!.trim();
      expect(key.length).toBeGreaterThan(20);
      recordSecret(key);

      const listed = await runNode(dir, "dist/cli/keys.js", ["list"], env);
      expect(listed.status.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain("deploy-test");

      const reconciled = await runNode(dir, "dist/cli/reconcile.js", [], env);
      expect(reconciled.status.code, reconciled.stderr).toBe(0);
      expect(JSON.parse(reconciled.stdout.trim().split("\n").at(-1)!)).toMatchObject({ imported: [], remaining: 0 });

      const gateway = startNode(dir, "dist/main.js", [], { ...env, LOG_LEVEL: "info", PORT: "0", HOST: "127.0.0.1" });
      const port = (await gateway.waitForLog("gateway listening", BOOT_TIMEOUT_MS)).port as number;
      expect((await graphql(port, "{ voices { totalCount } }")).body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      const answer = await graphql(port, "{ voices { totalCount } }", { authorization: `Bearer ${key}` });
      expect(answer.body).toEqual({ data: { voices: { totalCount: 0 } } });
      gateway.child.kill("SIGTERM");
      expect((await gateway.exited).code).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "dist/main.js and dist/cli/keys.js say in one sentence that DATABASE_URL's database does not exist, without a stack",
    async () => {
      const url = new URL(adminUrl());
      url.password = `pw-${randomBytes(6).toString("hex")}`;
      recordSecret(url.password);
      url.pathname = `/gw_missing_${randomBytes(4).toString("hex")}`;
      for (const [script, args] of [
        ["dist/main.js", []],
        ["dist/cli/keys.js", ["list"]],
      ] as const) {
        const failed = await runNode(dir, script, [...args], { DATABASE_URL: url.toString() });
        expect(failed.status, failed.stderr).toEqual({ code: 1, signal: null });
        expect(failed.stderr).toMatch(
          /^The database "gw_missing_\w+" named in DATABASE_URL does not exist[^\n]*createdb[^\n]*\.\n$/,
        );
        expect(`${failed.stdout}${failed.stderr}`).not.toMatch(/^\s+at /m);
        expect(`${failed.stdout}${failed.stderr}`).not.toContain(url.password);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "exports traces from dist/main.js when OTEL_EXPORTER_OTLP_ENDPOINT is set: the caller's trace holds the request, the operation and its SQL",
    async ({ testDatabase: db }) => {
      const collector = await startOtlpCollector();
      onTestFinished(() => collector.close());
      const gateway = startNode(dir, "dist/main.js", [], {
        ALLOW_ANONYMOUS: "true",
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: db.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      });
      const port = (await gateway.waitForLog("gateway listening", BOOT_TIMEOUT_MS)).port as number;
      const traceId = randomBytes(16).toString("hex");
      const answer = await graphql(port, "query Count { voices { totalCount } }", {
        traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01`,
      });
      expect(answer.body).toEqual({ data: { voices: { totalCount: 0 } } });
      // The default export delay (5 s) is not waited out: SIGTERM's last step exports what is buffered.
      gateway.child.kill("SIGTERM");
      expect((await gateway.exited).code).toBe(0);
      const trace = collector.spansOf(traceId);
      const operation = trace.find((span) => span.name === "query Count");
      expect(trace.find((span) => span.spanId === operation?.parentSpanId)?.attributes).toMatchObject({
        "http.request.method": "POST",
      });
      expect(
        trace.filter((span) => span.parentSpanId === operation?.spanId).map((span) => span.attributes["db.system.name"]),
      ).toContain("postgresql");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "serves from dist/main.js with the embedded database (PGlite) when DATABASE_URL is not set",
    async ({ makeTempDir }) => {
      const dataDir = await makeTempDir("gw-production-data-");
      const gateway = startNode(dir, "dist/main.js", [], { PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir });
      const listening = await gateway.waitForLog("gateway listening", BOOT_TIMEOUT_MS);
      expect(listening.database).toBe("embedded");
      const answer = await graphql(listening.port as number, "{ voices { totalCount } }");
      expect(answer.body).toEqual({ data: { voices: { totalCount: 0 } } });
      gateway.child.kill("SIGTERM");
      expect((await gateway.exited).code).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});
