// Load benchmark (run by hand, loopback only, stops by itself):
//   node --import tsx bench/load.ts [--seconds 60] [--queries 64] [--clones 4] [--warmup 20] [--fault]
//
// Starts the fake upstream (its own process), a fresh PostgreSQL database and
// the gateway (a real `src/main.ts` process), seeds 200 voices, warms up under
// full load (`--warmup` seconds),
// then runs `--queries` concurrent loops of list/filter/paging queries and
// `--clones` concurrent loops of cloneVoice (two 1 MiB WAV files each) for
// `--seconds`. Reports requests, HTTP 5xx, GraphQL errors by code, latency
// percentiles per kind, gateway RSS, and checks that every successful clone is
// stored exactly once and no upload temp file is left.
//
// --fault: the database is a PostgreSQL cluster the bench owns (initdb in a temp
// dir, as the `postgres` OS user). At 1/3 of the run it is crashed
// (`pg_ctl stop -m immediate`), left down ~5 s and started again; /readyz is
// polled every 200 ms. Checks: /readyz 503 while down, 200 again without
// restarting the gateway, and no voice lost (every clone answered with a voice
// or VOICE_NOT_YET_STORED + voiceId is in the catalog exactly once).
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chown, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import pg from "pg";
import { Agent, FormData, request } from "undici";
import { wav } from "../dev/audio-fixtures.js";
import { createTestDatabase } from "../dev/test-database.js";
import { spawnTs } from "../dev/spawn-ts.js";
import { CLONE_VOICE, defaultCloneInput } from "./clone-request.js";
import { freePort } from "../dev/free-port.js";

const run = promisify(execFile);
const MiB = 1024 * 1024;
const PG_BIN = "/usr/lib/postgresql/15/bin";
const SEED_VOICES = 200;
const OUTAGE_MS = 5_000;

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    queries: { type: "string", default: "64" },
    clones: { type: "string", default: "4" },
    // Long enough for the heap, pools and caches to reach their working size
    // under full load, so that "RSS growth" measures leaks, not warm-up.
    warmup: { type: "string", default: "20" },
    fault: { type: "boolean", default: false },
  },
});
const WARMUP_MS = Number(values.warmup) * 1000;
const seconds = Number(values.seconds);
const queryLoops = Number(values.queries);
const cloneLoops = Number(values.clones);
const fault = values.fault;

// ---------------------------------------------------------------------------
// Statistics

interface KindStats {
  requests: number;
  http5xx: number;
  /** 5xx answers whose every error is an expected outage code (--fault only). */
  http5xxOutage: number;
  statuses: Map<number, number>;
  errors: Map<string, number>;
  latencies: number[];
}
const newStats = (): KindStats => ({
  requests: 0,
  http5xx: 0,
  http5xxOutage: 0,
  statuses: new Map(),
  errors: new Map(),
  latencies: [],
});
let recording = false;
const stats = { query: newStats(), clone: newStats() };
const clonedVoiceIds: string[] = []; // answered with a voice
const notYetStoredVoiceIds: string[] = []; // answered VOICE_NOT_YET_STORED with a voiceId
function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
/** Codes expected while the database is down in a --fault run (counted, not failures). */
const OUTAGE_CODES = new Set(["DATABASE_UNAVAILABLE", "VOICE_NOT_YET_STORED"]);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------------------
// Processes and resources

const work = await mkdtemp(path.join(os.tmpdir(), "bench-load-"));
const uploadDir = path.join(work, "uploads");
const recoveryDir = path.join(work, "recovery");
await mkdir(uploadDir);
await mkdir(recoveryDir);
const cleanups: (() => Promise<unknown>)[] = [];
const dispatcher = new Agent({ connections: queryLoops + cloneLoops + 8, keepAliveTimeout: 30_000 });

let cluster: { dataDir: string; port: number; log: string } | undefined;
const pgCtl = (...args: string[]) => run("runuser", ["-u", "postgres", "--", `${PG_BIN}/pg_ctl`, ...args], { timeout: 60_000 });

async function startOwnCluster(): Promise<{
  url: string;
  query: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
}> {
  const dataDir = path.join(work, "pgdata");
  await mkdir(dataDir, { mode: 0o700 });
  const { stdout } = await run("id", ["-u", "postgres"]);
  const { stdout: gid } = await run("id", ["-g", "postgres"]);
  await chown(work, Number(stdout.trim()), Number(gid.trim())); // postgres must traverse it
  await chown(dataDir, Number(stdout.trim()), Number(gid.trim()));
  await run("chmod", ["0755", work]);
  await run("runuser", ["-u", "postgres", "--", `${PG_BIN}/initdb`, "-D", dataDir, "-A", "trust", "-U", "postgres"], {
    timeout: 120_000,
  });
  const port = await freePort();
  const log = path.join(work, "pg.log");
  await run("touch", [log]);
  await run("chown", ["postgres", log]);
  cluster = { dataDir, port, log };
  await pgCtl("-D", dataDir, "-o", `-p ${port} -k /tmp -c listen_addresses=127.0.0.1`, "-l", log, "start", "-w");
  cleanups.push(async () => pgCtl("-D", dataDir, "stop", "-m", "immediate").catch(() => undefined));
  const admin = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query("CREATE DATABASE bench_load");
  await admin.end();
  const url = `postgresql://postgres@127.0.0.1:${port}/bench_load`;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  cleanups.push(() => pool.end());
  return { url, query: async (sql, params) => (await pool.query<Record<string, unknown>>(sql, params)).rows };
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

const fake = spawnTs("dev/fake-faseeh-server.ts", {});
cleanups.push(async () => {
  fake.child.kill("SIGTERM");
  await fake.waitForExit(10_000).catch(() => fake.kill());
});

let exitCode = 0;
try {
  const fakeReady = await fake.waitForLog((line) => line.msg === "fake upstream listening", 30_000, "the fake upstream");
  let database: { url: string; query: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]> };
  if (fault) {
    database = await startOwnCluster();
  } else {
    const testDb = await createTestDatabase();
    cleanups.push(() => testDb.drop());
    database = testDb;
  }

  const gateway = spawnTs("src/main.ts", {
    PORT: "0",
    HOST: "127.0.0.1",
    NODE_ENV: "production",
    ALLOW_ANONYMOUS: "true",
    LOG_LEVEL: "info",
    DATABASE_URL: database.url,
    FASEEH_API_KEY: String(fakeReady.apiKey),
    FASEEH_BASE_URL: String(fakeReady.baseUrl),
    UPLOAD_DIR: uploadDir,
    RECOVERY_DIR: recoveryDir,
    CLONE_RATE_LIMIT_PER_MINUTE: "1000000",
    UPSTREAM_MAX_CONCURRENCY: "4",
    RECOVERY_INTERVAL_MS: "1000",
    // The catalog's path under load, as BENCHMARKS.md recorded it: the response cache is on by default.
    RESPONSE_CACHE: "false",
  });
  cleanups.unshift(async () => {
    gateway.child.kill("SIGTERM");
    await gateway.waitForExit(15_000).catch(() => gateway.kill());
  });
  const listening = await gateway.waitForLog((line) => line.msg === "gateway listening", 60_000, "the gateway to listen");
  const base = `http://127.0.0.1:${String(listening.port)}`;
  const graphqlUrl = `${base}/graphql`;

  // Seed the catalog directly (the gateway has applied the migrations).
  const languages = [["ar"], ["ar", "en"], ["en"], ["ar", "fr"]];
  const dialects = [["najdi"], ["hijazi"], ["gulf"], ["levantine", "najdi"], []];
  const genders = ["female", "male", null];
  for (let i = 0; i < SEED_VOICES; i++) {
    await database.query(
      `INSERT INTO voices (id, voice_id, name, gender, age, languages, dialects, type, stability, model, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'cloned', 0.5, 'faseeh-v1', now() - ($8 || ' seconds')::interval)`,
      [
        randomUUID(),
        `seed_${i}`,
        `Seed ${i}`,
        genders[i % 3],
        i % 2 ? "middle" : "young",
        languages[i % 4],
        dialects[i % 5],
        String(i),
      ],
    );
  }

  // -------------------------------------------------------------------------
  // Load

  const VOICES_QUERY = /* GraphQL */ `
    query Voices($filter: VoiceFilter, $first: Int, $after: String, $withCount: Boolean!) {
      voices(filter: $filter, first: $first, after: $after) {
        totalCount @include(if: $withCount)
        edges {
          cursor
          node {
            id
            voiceId
            name
            languages
            dialects
            gender
            createdAt
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  `;
  const filters: (Record<string, string> | null)[] = [
    null,
    { language: "ar" },
    { dialect: "najdi" },
    { gender: "female" },
    { language: "en", gender: "male" },
    { language: "ar", dialect: "hijazi" },
  ];

  interface GraphQLBody {
    data?: {
      voices?: { pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      cloneVoice?: { voice?: { voiceId: string } };
    } | null;
    errors?: { message?: string; extensions?: { code?: string; voiceId?: string } }[];
  }
  const internalErrors: { requestId: string; status: number; kind: string; message: string; at: number }[] = [];

  async function timedPost(
    kind: "query" | "clone",
    body: string | FormData,
    headers: Record<string, string>,
  ): Promise<GraphQLBody | undefined> {
    const started = performance.now();
    let status: number;
    let parsed: GraphQLBody | undefined;
    let requestId = "";
    try {
      const response = await request(graphqlUrl, {
        method: "POST",
        body,
        headers,
        dispatcher,
        headersTimeout: 120_000,
        bodyTimeout: 120_000,
      });
      status = response.statusCode;
      requestId = String(response.headers["x-request-id"] ?? "");
      const text = await response.body.text();
      try {
        parsed = JSON.parse(text) as GraphQLBody;
      } catch {
        parsed = undefined;
      }
    } catch {
      status = -1; // connection-level failure
    }
    if (recording) {
      const s = stats[kind];
      s.requests++;
      s.latencies.push(performance.now() - started);
      bump(s.statuses, status);
      if (status >= 500 || status === -1) {
        s.http5xx++;
        const codes = (parsed?.errors ?? []).map((error) => error.extensions?.code ?? "");
        if (fault && codes.length > 0 && codes.every((code) => OUTAGE_CODES.has(code))) s.http5xxOutage++;
      }
      for (const error of parsed?.errors ?? []) bump(s.errors, error.extensions?.code ?? "NO_CODE");
      for (const error of parsed?.errors ?? []) {
        if (error.extensions?.code === "INTERNAL_SERVER_ERROR")
          internalErrors.push({ requestId, status, kind, message: String(error.message), at: performance.now() - loadStarted });
      }
      if (!parsed && status !== -1) bump(s.errors, `UNPARSEABLE_${status}`);
    }
    return parsed;
  }

  let stopAt = 0;
  let loadStarted = 0;
  const queryLoop = async (index: number) => {
    let n = index;
    while (performance.now() < stopAt) {
      const filter = filters[n++ % filters.length] ?? null;
      // Page 1 with totalCount, then up to 2 more pages following endCursor.
      let after: string | null = null;
      for (let page = 0; page < 3 && performance.now() < stopAt; page++) {
        const body: GraphQLBody | undefined = await timedPost(
          "query",
          JSON.stringify({ query: VOICES_QUERY, variables: { filter, first: 20, after, withCount: page === 0 } }),
          { "content-type": "application/json" },
        );
        const pageInfo = body?.data?.voices?.pageInfo;
        if (!pageInfo?.hasNextPage || !pageInfo.endCursor) break;
        after = pageInfo.endCursor;
      }
    }
  };

  const voiceWav = wav(MiB);
  const referenceWav = wav(MiB);
  const cloneLoop = async (index: number) => {
    let n = 0;
    while (performance.now() < stopAt) {
      const form = new FormData();
      const input = {
        ...defaultCloneInput(),
        name: `Load ${index}-${n++}`,
        gender: index % 2 ? "male" : "female",
        languages: ["ar"],
        dialects: ["najdi"],
        voiceFile: null,
        referenceAudioFile: null,
      };
      form.append("operations", JSON.stringify({ query: CLONE_VOICE, variables: { input } }));
      form.append("map", JSON.stringify({ 0: ["variables.input.voiceFile"], 1: ["variables.input.referenceAudioFile"] }));
      form.append("0", new Blob([voiceWav], { type: "audio/wav" }), "preview.wav");
      form.append("1", new Blob([referenceWav], { type: "audio/wav" }), "original.wav");
      const body = await timedPost("clone", form, { "apollo-require-preflight": "true" });
      if (!recording) continue;
      const voiceId = body?.data?.cloneVoice?.voice?.voiceId;
      if (voiceId) clonedVoiceIds.push(voiceId);
      for (const error of body?.errors ?? []) {
        if (error.extensions?.code === "VOICE_NOT_YET_STORED" && error.extensions.voiceId)
          notYetStoredVoiceIds.push(error.extensions.voiceId);
      }
      // A failing database answers fast: do not spin.
      if (body?.errors) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const runLoad = async (ms: number) => {
    stopAt = performance.now() + ms;
    await Promise.all([
      ...Array.from({ length: queryLoops }, (_, i) => queryLoop(i)),
      ...Array.from({ length: cloneLoops }, (_, i) => cloneLoop(i)),
    ]);
  };

  console.error(`warming up ${WARMUP_MS / 1000} s ...`);
  await runLoad(WARMUP_MS);
  const rssAfterWarmup = await rssMiB(gateway.pid);

  // Fault injection and readiness polling (only in --fault).
  const readyz: { at: number; status: number }[] = [];
  // downAt: the crash completed; upAt: the restart was issued.
  let outage: { downAt: number; upAt: number; readyAgainAt: number | undefined } | undefined;
  loadStarted = performance.now();
  const pollReadyz = async () => {
    while (performance.now() < stopAt + 15_000) {
      const started = performance.now();
      let status: number;
      try {
        const response = await request(`${base}/readyz`, { dispatcher, headersTimeout: 5_000, bodyTimeout: 5_000 });
        status = response.statusCode;
        await response.body.dump();
      } catch {
        status = -1;
      }
      readyz.push({ at: started - loadStarted, status });
      if (outage && outage.upAt && outage.readyAgainAt === undefined && status === 200)
        outage.readyAgainAt = started - loadStarted;
      if (outage?.readyAgainAt && performance.now() > stopAt) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 200 - (performance.now() - started))));
    }
  };
  const injectFault = async () => {
    if (!cluster) return;
    await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 3));
    console.error("crashing PostgreSQL (pg_ctl stop -m immediate) ...");
    await pgCtl("-D", cluster.dataDir, "stop", "-m", "immediate");
    const downAt = performance.now() - loadStarted; // the postmaster is gone
    outage = { downAt, upAt: 0, readyAgainAt: undefined };
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    console.error("starting PostgreSQL again ...");
    outage.upAt = performance.now() - loadStarted;
    await pgCtl(
      "-D",
      cluster.dataDir,
      "-o",
      `-p ${cluster.port} -k /tmp -c listen_addresses=127.0.0.1`,
      "-l",
      cluster.log,
      "start",
      "-w",
    );
  };

  console.error(
    `load ${seconds} s: ${queryLoops} query loops, ${cloneLoops} clone loops${fault ? ", with a database crash" : ""} ...`,
  );
  recording = true;
  const gatewayPidBefore = gateway.pid;
  stopAt = performance.now() + seconds * 1000;
  const rssSamples: number[] = [];
  const sampleRss = async () => {
    while (performance.now() < stopAt) {
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      if (performance.now() < stopAt) rssSamples.push(await rssMiB(gateway.pid).catch(() => Number.NaN));
    }
  };
  const sampling = sampleRss();
  const loadDone = runLoad(seconds * 1000);
  const side = fault ? Promise.all([injectFault(), pollReadyz()]) : Promise.resolve();
  await loadDone;
  recording = false;
  const loadMs = performance.now() - loadStarted;
  const rssEnd = await rssMiB(gateway.pid);
  await side;
  await sampling;

  // Let the recovery loop import journal entries (RECOVERY_INTERVAL_MS=1000).
  const expected = [...new Set([...clonedVoiceIds, ...notYetStoredVoiceIds])];
  const countStored = async () => {
    const rows = await database.query(
      "SELECT voice_id, count(*)::int AS n FROM voices WHERE voice_id = ANY($1) GROUP BY voice_id",
      [expected],
    );
    return new Map(rows.map((row) => [String(row.voice_id), Number(row.n)]));
  };
  let stored = await countStored();
  for (let waited = 0; fault && waited < 20_000 && stored.size < expected.length; waited += 1_000) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stored = await countStored();
  }
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // clones finishing their temp-file cleanup
  const missing = expected.filter((voiceId) => !stored.has(voiceId));
  const duplicated = [...stored].filter(([, n]) => n !== 1);
  const duplicateAnswers = clonedVoiceIds.length - new Set(clonedVoiceIds).size;
  const totalVoices = Number((await database.query("SELECT count(*)::int AS n FROM voices"))[0]?.n);
  const attempts = await database.query(
    "SELECT status::text AS status, count(*)::int AS n FROM clone_attempts GROUP BY status ORDER BY status",
  );
  const rssIdle = await rssMiB(gateway.pid); // after the checks above, a few seconds idle
  const leftUploads = await listFiles(uploadDir);
  const leftJournal = await listFiles(recoveryDir);
  const gatewayAlive = gateway.exitStatus === undefined && gateway.pid === gatewayPidBefore;

  // -------------------------------------------------------------------------
  // Report

  const lines: string[] = [];
  const out = (line = "") => lines.push(line);
  out(
    `${fault ? "Fault run" : "Normal run"}: ${seconds} s, ${queryLoops} query loops, ${cloneLoops} clone loops (two 1 MiB WAV each), ` +
      `${SEED_VOICES} seeded voices, ${WARMUP_MS / 1000} s warm-up at full load. Node ${process.version}, ${os.cpus().length} cores.`,
  );
  out();
  out("| kind | requests | req/s | p50 ms | p95 ms | p99 ms | HTTP 5xx | HTTP statuses | GraphQL errors by code |");
  out("|---|---|---|---|---|---|---|---|---|");
  for (const kind of ["query", "clone"] as const) {
    const s = stats[kind];
    const sorted = [...s.latencies].sort((a, b) => a - b);
    const statuses = [...s.statuses].map(([k, v]) => `${k}: ${v}`).join(", ");
    const errors = [...s.errors].map(([k, v]) => `${k}: ${v}`).join(", ") || "none";
    out(
      `| ${kind} | ${s.requests} | ${(s.requests / (loadMs / 1000)).toFixed(1)} | ${percentile(sorted, 50).toFixed(1)} | ` +
        `${percentile(sorted, 95).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} | ${s.http5xx} | ${statuses} | ${errors} |`,
    );
  }
  out();
  out(
    `Clones answered with a voice: ${clonedVoiceIds.length}; VOICE_NOT_YET_STORED with a voiceId: ${notYetStoredVoiceIds.length}. ` +
      `Catalog: ${totalVoices} voices. Clone attempts: ${attempts.map((row) => `${String(row.status)} ${String(row.n)}`).join(", ")}. ` +
      `Gateway RSS: ${rssAfterWarmup.toFixed(1)} MiB after warm-up, ${rssEnd.toFixed(1)} MiB at the end ` +
      `(every 10 s during the load: ${rssSamples.map((v) => v.toFixed(0)).join(", ")}; ${rssIdle.toFixed(1)} MiB after a few idle seconds).`,
  );
  if (fault && outage) {
    const down = readyz.filter((r) => outage && r.at >= outage.downAt && r.at < outage.upAt);
    const down503 = down.filter((r) => r.status === 503).length;
    const before = readyz.filter((r) => outage && r.at < outage.downAt);
    const notDown = down.filter((r) => r.status !== 503).map((r) => `${r.status} at ${(r.at / 1000).toFixed(1)} s`);
    out(
      `Outage: database crashed at ${(outage.downAt / 1000).toFixed(1)} s, started again at ${(outage.upAt / 1000).toFixed(1)} s; ` +
        `/readyz polls: ${readyz.length} (${before.filter((r) => r.status === 200).length}/${before.length} were 200 before the crash, ` +
        `${down503}/${down.length} were 503 while down${notDown.length ? `; others: ${notDown.join(", ")}` : ""}); 200 again at ` +
        `${outage.readyAgainAt === undefined ? "never" : `${(outage.readyAgainAt / 1000).toFixed(1)} s (${((outage.readyAgainAt - outage.upAt) / 1000).toFixed(1)} s after restart)`}.`,
    );
  }
  out();

  const errorsOutsideOutage = (kind: "query" | "clone") =>
    [...stats[kind].errors].filter(([code]) => !(fault && OUTAGE_CODES.has(code))).reduce((sum, [, n]) => sum + n, 0);
  const targets: [string, boolean, string][] = [];
  const all5xx = stats.query.http5xx + stats.clone.http5xx;
  const outage5xx = stats.query.http5xxOutage + stats.clone.http5xxOutage;
  if (fault) {
    // While the database is down, DATABASE_UNAVAILABLE answers 503 by design; nothing else may be a 5xx.
    targets.push([
      "no 5xx other than the outage's DATABASE_UNAVAILABLE",
      all5xx === outage5xx,
      `${all5xx} in all, ${outage5xx} of them carrying only DATABASE_UNAVAILABLE / VOICE_NOT_YET_STORED`,
    ]);
  } else {
    targets.push(["zero HTTP 5xx", all5xx === 0, String(all5xx)]);
  }
  const gqlErrors = errorsOutsideOutage("query") + errorsOutsideOutage("clone");
  targets.push([
    fault ? "zero GraphQL errors other than DATABASE_UNAVAILABLE / VOICE_NOT_YET_STORED" : "zero GraphQL errors",
    gqlErrors === 0,
    String(gqlErrors),
  ]);
  targets.push([
    fault
      ? "no voice lost: every voice / VOICE_NOT_YET_STORED voiceId in the catalog exactly once"
      : "each successful clone stored exactly once",
    expected.length > 0 && missing.length === 0 && duplicated.length === 0 && duplicateAnswers === 0,
    `${expected.length} expected, ${missing.length} missing, ${duplicated.length} stored more than once, ${duplicateAnswers} voiceIds returned twice`,
  ]);
  targets.push([
    "RSS end within 50 MiB of after-warm-up",
    rssEnd - rssAfterWarmup <= 50,
    `${(rssEnd - rssAfterWarmup).toFixed(1)} MiB`,
  ]);
  targets.push(["no files left in UPLOAD_DIR", leftUploads.length === 0, `${leftUploads.length} files`]);
  if (fault) {
    targets.push(["no journal entries left in RECOVERY_DIR", leftJournal.length === 0, `${leftJournal.length} files`]);
    const down = outage ? readyz.filter((r) => outage && r.at >= outage.downAt && r.at < outage.upAt) : [];
    targets.push([
      "/readyz 503 while the database is down",
      down.length > 0 && down.every((r) => r.status === 503),
      `${down.filter((r) => r.status === 503).length}/${down.length} polls`,
    ]);
    targets.push([
      "/readyz 200 again without restarting the gateway",
      outage?.readyAgainAt !== undefined && gatewayAlive,
      outage?.readyAgainAt !== undefined
        ? `after ${((outage.readyAgainAt - outage.upAt) / 1000).toFixed(1)} s, same pid ${gateway.pid}`
        : "never",
    ]);
  }
  out("| target | result | observed |");
  out("|---|---|---|");
  for (const [name, ok, observed] of targets) out(`| ${name} | ${ok ? "PASS" : "**FAIL**"} | ${observed} |`);
  if (missing.length) out(`\nMissing voiceIds (first 10): ${missing.slice(0, 10).join(", ")}`);
  if (leftUploads.length) out(`\nLeft in UPLOAD_DIR (first 10): ${leftUploads.slice(0, 10).join(", ")}`);
  if (fault && leftJournal.length) out(`\nLeft in RECOVERY_DIR (first 10): ${leftJournal.slice(0, 10).join(", ")}`);
  console.log(lines.join("\n"));
  if (targets.some(([, ok]) => !ok)) exitCode = 1;

  // Gateway log lines worth a look (errors only; the info request lines are ignored).
  const serious = gateway.logs.filter((line) => typeof line.level === "number" && line.level >= 50);
  if (internalErrors.length) {
    const ids = new Set(internalErrors.map((e) => e.requestId));
    const related = gateway.logs.filter((line) => ids.has(String(line.requestId)) && line.msg !== "request");
    const requestLines = gateway.logs.filter((line) => ids.has(String(line.requestId)) && line.msg === "request");
    console.error(`first INTERNAL_SERVER_ERROR: ${JSON.stringify(internalErrors[0])}`);
    for (const line of requestLines.slice(0, 2)) console.error(JSON.stringify(line).slice(0, 1000));
    const causes = new Map<string, number>();
    for (const line of related)
      bump(
        causes,
        `${String(line.msg)}: ${String(line.err && typeof line.err === "object" ? (line.err as { message?: unknown }).message : line.err).slice(0, 200)}`,
      );
    const byKind = new Map<string, number>();
    for (const e of internalErrors) bump(byKind, `${e.kind} HTTP ${e.status}`);
    const times = internalErrors.map((e) => e.at / 1000);
    out(
      `\nINTERNAL_SERVER_ERROR answers: ${internalErrors.length} (${[...byKind].map(([k, v]) => `${k}: ${v}`).join(", ")}), ` +
        `at ${Math.min(...times).toFixed(1)}-${Math.max(...times).toFixed(1)} s into the load, message "${internalErrors[0]?.message ?? ""}"; ` +
        `gateway log lines for their request ids other than the access line: ${[...causes].map(([k, v]) => `${v}x ${k}`).join(" | ") || "none"}.`,
    );
    console.log(lines.at(-1));
    for (const line of related.slice(0, 3)) console.error(JSON.stringify(line).slice(0, 2000));
  }
  if (serious.length) {
    out(
      `\nGateway log lines at level error or above: ${serious.length} (${[...new Set(serious.map((line) => String(line.msg)))].join("; ")}).`,
    );
    console.log(lines.at(-1));
    console.error(`\n${serious.length} gateway log lines at level error or above; first 5:`);
    for (const line of serious.slice(0, 5)) console.error(JSON.stringify(line).slice(0, 800));
  }
} catch (error) {
  console.error(error);
  exitCode = 2;
} finally {
  for (const cleanup of cleanups) await cleanup().catch((error: unknown) => console.error("cleanup:", error));
  await dispatcher.close().catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}
process.exit(exitCode);
