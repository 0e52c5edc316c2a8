// The catalog's read SQL at scale (issue 12, "Scale"), run by hand:
//   node --import tsx bench/catalog-scale.ts [--n 1000000] [--db catalog_scale_1m] [--reseed] [--runs 7]
//
// 1. Prepares a PostgreSQL database (skipped when it already holds this
//    bench's N voices, unless --reseed): creates it, applies the project's
//    migrations with the project's own migrator, loads N voices from the
//    shared seeder's database (../shared/bench/catalog/seed.mjs, DB
//    anchors_1m at 1M) with COPY, gives them 1-3 tags derived from their
//    descriptions, adds 1,000 voices with Arabic names (tashkeel variants
//    included) for Arabic search, archives 1%, VACUUM (ANALYZE), and checks
//    the facet rollups the statement triggers kept against the voices.
// 2. Runs each scenario's statement, built by the gateway's own builders
//    (src/services/catalog/sql/, voice-filter.ts's parseFilter), under
//    EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON): one warm-up and --runs runs;
//    then the same statement --runs times as the gateway sends it (named
//    prepared statement) for the client's round trip. The connection has the
//    gateway's read-session settings (src/db/database.ts).
// 3. Prints a markdown table and writes it, with every plan as text, to
//    bench/results/catalog-scale-<date>.md.
//
// Connection: $PGHOST (127.0.0.1) $PGPORT (5432) $PGUSER (postgres); trust auth.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { access, constants, cp, mkdir, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { migrate, readMigrations } from "../src/db/migrator.js";
import { createLogger } from "../src/logger.js";
import type { VoiceSort } from "../src/services/catalog/catalog-query.js";
import { CatalogService } from "../src/services/catalog/catalog-service.js";
import { cappedCountStatement } from "../src/services/catalog/sql/counts.js";
import type { Statement } from "../src/services/catalog/sql/statement.js";
import { parseFilter, type VoiceFilter } from "../src/services/catalog/voice-filter.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "1000000" },
    db: { type: "string" },
    "anchors-db": { type: "string" },
    reseed: { type: "boolean", default: false },
    runs: { type: "string", default: "7" },
    out: { type: "string" },
    "prepare-only": { type: "boolean", default: false },
  },
});
const N = Number(args.n);
if (!Number.isInteger(N) || N < 1000) throw new Error(`--n must be an integer >= 1000 (got ${args.n})`);
const suffix = N % 1_000_000 === 0 ? `${N / 1_000_000}m` : N % 1000 === 0 ? `${N / 1000}k` : String(N);
const DB = args.db ?? `catalog_scale_${suffix}`;
const ANCHORS_DB = args["anchors-db"] ?? `anchors_${suffix}`;
const RUNS = Number(args.runs);
for (const name of [DB, ANCHORS_DB]) if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name: ${name}`);

const PGHOST = process.env.PGHOST ?? "127.0.0.1";
const PGPORT = process.env.PGPORT ?? "5432";
const PGUSER = process.env.PGUSER ?? "postgres";
const urlOf = (database: string) => `postgres://${PGUSER}@${PGHOST}:${PGPORT}/${database}`;
const PG_ENV = { ...process.env, PGHOST, PGPORT, PGUSER };

/** The gateway's read-session settings (src/db/database.ts READ_SESSION_SETTINGS). */
const READ_SESSION_SETTINGS = [
  ["pg_trgm.word_similarity_threshold", "0.3"],
  ["plan_cache_mode", "force_custom_plan"],
] as const;
/** CATALOG_EXACT_COUNT_LIMIT's default (src/config.ts). */
const EXACT_COUNT_LIMIT = 10_000;
/** Voices with Arabic names added to the seeder's Latin-named ones. */
const ARABIC_VOICES = 1000;
/** What a prepared database is marked with (its COMMENT): a changed migration or N prepares it again. */
async function markerOf(): Promise<string> {
  const migrations = await readMigrations();
  const hash = createHash("sha256")
    .update(migrations.map((migration) => `${migration.name}:${migration.checksum}`).join("\n"))
    .digest("hex")
    .slice(0, 12);
  return `catalog-scale v2 n=${N} arabic=${ARABIC_VOICES} migrations=${hash}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const log = (line: string) => process.stdout.write(`${line}\n`);

async function timed<T>(label: string, work: () => Promise<T>, steps: [string, number][]): Promise<T> {
  const started = performance.now();
  const result = await work();
  const elapsed = performance.now() - started;
  steps.push([label, elapsed]);
  log(`[prepare] ${label}: ${seconds(elapsed)}`);
  return result;
}

async function connect(database: string, options = ""): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: urlOf(database), options });
  await client.connect();
  return client;
}

/** A bash script (pipefail), with `env` added to the PG* variables (SQL goes there, not into the script's quoting). */
function sh(script: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `set -euo pipefail\n${script}`], {
      env: { ...PG_ENV, ...env },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`shell step failed (${code}): ${script.slice(0, 200)}`)),
    );
  });
}

// ---------------------------------------------------------------------------
// 1. Preparing the database

/** The shared seeder, from a writable folder with its own node_modules (as gw-run.sh does). */
async function seederDir(): Promise<string> {
  const shared = path.resolve(ROOT, "../shared/bench/catalog");
  let dir = shared;
  // Read-only by its mode, not by access(2): as root every folder is writable.
  const writable =
    ((await stat(shared)).mode & 0o222) !== 0 &&
    (await access(shared, constants.W_OK).then(
      () => true,
      () => false,
    ));
  if (!writable) {
    dir = process.env.CATALOG_BENCH_DIR ?? "/tmp/catalog-bench";
    const present = await stat(path.join(dir, "seed.mjs")).then(
      () => true,
      () => false,
    );
    if (!present) {
      await mkdir(dir, { recursive: true });
      await cp(shared, dir, { recursive: true });
      await sh(`chmod -R u+w ${JSON.stringify(dir)}`);
    }
  }
  const installed = await stat(path.join(dir, "node_modules/pg-copy-streams")).then(
    () => true,
    () => false,
  );
  if (!installed) await sh(`cd ${JSON.stringify(dir)} && npm install --no-audit --no-fund >/dev/null`);
  return dir;
}

async function alreadyPrepared(admin: pg.Client, marker: string): Promise<boolean> {
  const { rows } = await admin.query<{ comment: string | null }>(
    "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
    [DB],
  );
  if (rows[0]?.comment !== marker) {
    if (rows[0]) log(`[prepare] ${DB} is marked "${rows[0].comment ?? ""}", not "${marker}": preparing it again`);
    return false;
  }
  const client = await connect(DB);
  try {
    const { rows: counts } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM voices");
    return counts[0]?.n === N + ARABIC_VOICES;
  } finally {
    await client.end();
  }
}

// The seeder's descriptions read "A warm middle female voice for customer support (najdi)." or
// "... for news (levantine, gulf).": the style word is always a tag, the use (as a tag: "customer
// support" -> "customer-support") too but for 1 voice in 10 (by its id), and a dialect when the
// description names exactly one. So 1-3 tags, all as CatalogService normalises them.
const TAGS_SQL = `array_remove(ARRAY[
    split_part(description, ' ', 2),
    CASE WHEN get_byte(uuid_send(id), 15) % 10 <> 0
      THEN replace(lower(substring(description from ' voice for (.+?)(?: \\(|\\.$)')), ' ', '-') END,
    substring(description from '\\(([a-z]+)\\)')
  ], NULL)`;
const SEED_COLUMNS =
  "id, voice_id, name, description, gender, age, languages, dialects, type, sample_url, avatar_url, stability, model, created_at";

// Names as people write them, with and without tashkeel and with the other spellings catalog_fold
// folds together (ى/ي, ة/ه, أ/ا).
const ARABIC_NAMES = [
  "ليلى",
  "لَيْلَى",
  "ليلي",
  "محمد",
  "مُحَمَّد",
  "نورة",
  "نُورَة",
  "نوره",
  "أحمد",
  "احمد",
  "سارة",
  "فاطمة",
  "فَاطِمَة",
  "عبدالله",
  "ريم",
  "خالد",
  "هدى",
  "هُدَى",
  "يوسف",
  "مريم",
];
const ARABIC_STYLES: [string, string][] = [
  ["دافئ", "warm"],
  ["هادئ", "calm"],
  ["عميق", "deep"],
  ["ناعم", "soft"],
  ["واضح", "crisp"],
];
const ARABIC_USES = ["للأخبار", "للكتب الصوتية", "لخدمة العملاء", "للإعلانات", "للبودكاست"];

async function hasTable(client: pg.Client, name: string): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [name]);
  return rows[0]?.found === true;
}

async function prepare(): Promise<[string, number][]> {
  const steps: [string, number][] = [];
  const marker = await markerOf();
  const admin = await connect("postgres");
  try {
    if (!args.reseed && (await alreadyPrepared(admin, marker))) {
      log(`[prepare] ${DB} already holds ${N} + ${ARABIC_VOICES} voices (${marker}); --reseed to prepare again`);
      return steps;
    }
    // Someone may be reading this database (it is the bench's, but handy): give them a minute.
    for (let waited = 0; waited < 60; waited += 5) {
      const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [
        DB,
      ]);
      if (!rows[0]?.n) break;
      log(`[prepare] ${rows[0].n} session(s) on ${DB}; waiting for them before dropping it`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
    await timed(
      "create database",
      async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${DB}`);
      },
      steps,
    );
  } finally {
    await admin.end();
  }

  await timed(
    "migrations (src/db/migrator.ts)",
    async () => {
      const config = loadConfig({ ...process.env, DATABASE_URL: urlOf(DB), LOG_LEVEL: "warn" });
      const logger = createLogger(config);
      const db = await openDatabase(config, logger, { role: "bench/catalog-scale.ts" });
      try {
        const result = await migrate(db, logger);
        log(`[prepare] applied ${result.applied.length} migrations: ${result.applied.join(", ")}`);
      } finally {
        await db.close();
      }
    },
    steps,
  );

  const seeder = await seederDir();
  await timed(
    "shared seeder (--if-absent)",
    () => sh(`cd ${JSON.stringify(seeder)} && node seed.mjs ${N} --db ${ANCHORS_DB} --if-absent`),
    steps,
  );

  const client = await connect(DB);
  try {
    await client.query("SET maintenance_work_mem = '512MB'");
    // Loading with the secondary indexes in place maintains two GIN indexes row by row; building them
    // afterwards from their own definitions (the migrations') is the same index, packed, in a fraction.
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       WHERE x.indrelid = 'voices'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
       ORDER BY i.relname`,
    );
    for (const index of indexes) await client.query(`DROP INDEX "${index.name}"`);
    await timed(
      `copy ${N} voices from ${ANCHORS_DB} (tags derived from the description)`,
      () =>
        sh(
          `psql -X -q -v ON_ERROR_STOP=1 -d ${ANCHORS_DB} -c "$COPY_OUT" | psql -X -q -v ON_ERROR_STOP=1 -d ${DB} -c "set synchronous_commit = off" -c "$COPY_IN"`,
          {
            COPY_OUT: `copy (select ${SEED_COLUMNS}, created_at, ${TAGS_SQL} from voice) to stdout`,
            COPY_IN: `copy voices (${SEED_COLUMNS}, updated_at, tags) from stdin`,
          },
        ),
      steps,
    );
    await timed(
      `insert ${ARABIC_VOICES} voices with Arabic names`,
      () =>
        client.query(
          `INSERT INTO voices (id, voice_id, name, description, gender, age, languages, dialects, type, stability, model, created_at, updated_at, tags)
           SELECT md5('catalog-scale-ar-' || i)::uuid, 'ar_' || lpad(i::text, 6, '0'),
             ($1::text[])[1 + i % cardinality($1)] || ' ' || ($2::text[])[1 + i % cardinality($2)] || ' ' || (i % 1000),
             'صوت ' || ($2::text[])[1 + i % cardinality($2)] || ' ' || ($4::text[])[1 + i % cardinality($4)],
             CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END, (ARRAY['young', 'middle', 'elderly'])[1 + i % 3],
             ARRAY['ar'], ARRAY[(ARRAY['najdi', 'hijazi', 'emirati', 'fusha', 'egyptian', 'levantine', 'gulf', 'maghrebi'])[1 + i % 8]],
             'cloned', 0.5, (ARRAY['eleven_multilingual_v2', 'eleven_turbo_v2_5', 'xtts_v2', 'tahakom_tts_1'])[1 + i % 4],
             created, created, ARRAY[($3::text[])[1 + i % cardinality($3)]]
           FROM generate_series(1, ${ARABIC_VOICES}) AS i,
             LATERAL (SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '31536 seconds' AS created) AS t`,
          [ARABIC_NAMES, ARABIC_STYLES.map(([arabic]) => arabic), ARABIC_STYLES.map(([, tag]) => tag), ARABIC_USES],
        ),
      steps,
    );
    // 1% archived, chosen by id: an UPDATE, so the rollup trigger moves them to archived rows.
    await timed(
      "archive 1% (UPDATE ... SET archived_at)",
      () =>
        client.query(
          "UPDATE voices SET archived_at = created_at, updated_at = created_at WHERE (get_byte(uuid_send(id), 13) * 256 + get_byte(uuid_send(id), 14)) % 100 = 0",
        ),
      steps,
    );
    await timed(
      "build the secondary indexes",
      async () => {
        for (const index of indexes) await client.query(index.definition);
      },
      steps,
    );
    await timed(
      "VACUUM (ANALYZE) voices and the rollups",
      async () => {
        await client.query("VACUUM (ANALYZE) voices, voice_facet_combos, voice_tag_combos");
        if (await hasTable(client, "voice_tag_key_counts")) await client.query("VACUUM (ANALYZE) voice_tag_key_counts");
      },
      steps,
    );
    const { rows: checks } = await client.query<{
      voices: number;
      archived: number;
      rollup: number;
      rollup_archived: number;
      tagged: number;
      tag_rollup: number;
    }>(
      `SELECT (SELECT count(*)::int FROM voices) AS voices,
         (SELECT count(*)::int FROM voices WHERE archived_at IS NOT NULL) AS archived,
         (SELECT sum(voices)::int FROM voice_facet_combos) AS rollup,
         (SELECT sum(voices)::int FROM voice_facet_combos WHERE archived) AS rollup_archived,
         (SELECT sum(cardinality(tags))::int FROM voices) AS tagged,
         (SELECT sum(voices)::int FROM voice_tag_combos) AS tag_rollup`,
    );
    const check = checks[0];
    if (!check) throw new Error("no check row");
    log(
      `[prepare] voices ${check.voices} (archived ${check.archived}); voice_facet_combos sum ${check.rollup} (archived ${check.rollup_archived}); ` +
        `tags ${check.tagged}, voice_tag_combos sum ${check.tag_rollup}`,
    );
    if (
      check.voices !== N + ARABIC_VOICES ||
      check.rollup !== check.voices ||
      check.rollup_archived !== check.archived ||
      check.tag_rollup !== check.tagged
    ) {
      throw new Error("the facet rollups do not add up to the voices");
    }
    // The per-tag, per-key counts (when the migrations make them): their '*' rows count every tag of every voice.
    if (await hasTable(client, "voice_tag_key_counts")) {
      const { rows: keyCounts } = await client.query<{ sum: number }>(
        "SELECT sum(voices)::int AS sum FROM voice_tag_key_counts WHERE key = '*'",
      );
      log(`[prepare] voice_tag_key_counts '*' sum ${keyCounts[0]?.sum ?? 0}`);
      if (keyCounts[0]?.sum !== check.tagged) throw new Error("voice_tag_key_counts does not add up to the voices' tags");
    }
    const { rows: sizes } = await client.query<{ name: string; size: string }>(
      `SELECT c.relname AS name, pg_size_pretty(pg_total_relation_size(c.oid)) AS size FROM pg_class c
       WHERE c.relname IN ('voices', 'voice_facet_combos', 'voice_tag_combos', 'voice_tag_key_counts') ORDER BY 1`,
    );
    const { rows: indexSizes } = await client.query<{ name: string; size: string }>(
      `SELECT indexrelname AS name, pg_size_pretty(pg_relation_size(indexrelid)) AS size FROM pg_stat_user_indexes WHERE relname = 'voices' ORDER BY 1`,
    );
    log(`[prepare] sizes: ${sizes.map((row) => `${row.name} ${row.size}`).join(", ")}`);
    log(`[prepare] voices indexes: ${indexSizes.map((row) => `${row.name} ${row.size}`).join(", ")}`);
    await client.query(`COMMENT ON DATABASE ${DB} IS '${marker}'`);
  } finally {
    await client.end();
  }
  return steps;
}

// ---------------------------------------------------------------------------
// 2. Scenarios

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "CTE Name"?: string;
  "Sort Method"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  "Lossy Heap Blocks"?: number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}
interface Explained {
  Plan: PlanNode;
  "Planning Time": number;
  "Execution Time": number;
  JIT?: { Timing?: { Total?: number } };
}

/** The gateway's own reading code, on a database that records every statement it sends. */
interface Recorder {
  service: CatalogService;
  statements: Statement[];
  reset: () => void;
}

interface Scenario {
  group: string;
  name: string;
  /** ms, Planning + Execution (median); undefined: no target in the issue. */
  target?: number | undefined;
  /** The filter the matching rows are counted under. */
  filter: VoiceFilter;
  /** The gateway call; whatever it sends after `recorder.reset()` is what is measured. */
  call: (recorder: Recorder) => Promise<unknown>;
  /** Which of the recorded statements: the last (the page, the facets; default), the first, or each. */
  pick?: "last" | "first" | "all";
}

interface Result {
  scenario: Scenario;
  statementName: string;
  matching: number;
  /** Other statements the call sent before the measured one (e.g. the rarity check). */
  before: string[];
  median: number;
  min: number;
  max: number;
  client: number;
  hit: number;
  read: number;
  summary: string;
  text: string;
  miss: boolean;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const thousands = (value: number) => value.toLocaleString("en-US");

function nodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodes)];
}

/** The plan in a line: the first nodes down the first child, then every scan with its rows and what it threw away. */
function summarise(explained: Explained): string {
  const head: string[] = [];
  for (let node: PlanNode | undefined = explained.Plan; node && head.length < 3; node = node.Plans?.[0]) {
    if (node["Relation Name"] || node["Index Name"]) break;
    head.push(node["Node Type"] === "Sort" && node["Sort Method"] ? `Sort (${node["Sort Method"]})` : node["Node Type"]);
  }
  const scans = new Map<string, number>();
  for (const node of nodes(explained.Plan)) {
    if (!node["Relation Name"] && !node["Index Name"]) continue;
    const loops = node["Actual Loops"] ?? 1;
    const notes = [`${thousands((node["Actual Rows"] ?? 0) * loops)} rows`];
    const filtered = (node["Rows Removed by Filter"] ?? 0) * loops;
    if (filtered) notes.push(`filter removed ${thousands(filtered)}`);
    if (node["Rows Removed by Index Recheck"]) notes.push(`recheck removed ${thousands(node["Rows Removed by Index Recheck"])}`);
    if (node["Lossy Heap Blocks"]) notes.push(`${node["Lossy Heap Blocks"]} lossy blocks`);
    const type = node["Node Type"].replace("Bitmap Index Scan", "Bitmap Index").replace("Bitmap Heap Scan", "Bitmap Heap");
    const label = `${type} ${node["Index Name"] ?? node["Relation Name"] ?? ""} (${notes.join(", ")})`;
    scans.set(label, (scans.get(label) ?? 0) + 1);
  }
  const scanText = [...scans].map(([label, count]) => (count > 1 ? `${count}× ${label}` : label)).join("; ");
  const jit = explained.JIT?.Timing?.Total;
  return `${head.join(" › ")}${head.length ? " › " : ""}${scanText}${jit ? `; JIT ${jit.toFixed(0)} ms` : ""}`;
}

async function explain(client: pg.Client, statement: Statement): Promise<Explained> {
  const { rows } = await client.query<{ "QUERY PLAN": Explained[] }>(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`,
    statement.values,
  );
  const plan = rows[0]?.["QUERY PLAN"][0];
  if (!plan) throw new Error(`no plan for ${statement.name}`);
  return plan;
}

async function explainText(client: pg.Client, statement: Statement): Promise<string> {
  const { rows } = await client.query<{ "QUERY PLAN": string }>(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) ${statement.text}`,
    statement.values,
  );
  return rows.map((row) => row["QUERY PLAN"]).join("\n");
}

/** How many live voices match: the filter's own conditions, counted without a cap. */
async function matchingRows(client: pg.Client, given: VoiceFilter): Promise<number> {
  const { rows } = await client.query<{ count: number }>(cappedCountStatement(parseFilter(given), 100_000_000));
  return rows[0]?.count ?? 0;
}

/** A fresh CatalogService (so its rarity cache is empty) on a database that records what it sends. */
function recorder(client: pg.Client): Recorder {
  const statements: Statement[] = [];
  const db = {
    async query<Row extends Record<string, unknown>>(statement: {
      name?: string;
      text: string;
      values: unknown[];
    }): Promise<Row[]> {
      statements.push({ name: statement.name ?? "", text: statement.text, values: statement.values });
      return (await client.query<Row>(statement)).rows;
    },
  };
  return {
    service: new CatalogService(db, { exactCountLimit: EXACT_COUNT_LIMIT }),
    statements,
    reset: () => statements.splice(0),
  };
}

/** The cursor after the `row`th voice of a listing, got by paging through it as a client would. */
async function cursorAfter(service: CatalogService, filter: VoiceFilter, sort: VoiceSort, row: number): Promise<string> {
  let after: string | undefined;
  for (let left = row; left > 0;) {
    const first = Math.min(100, left);
    const page = await service.listVoices({ filter, sort, first, after: after ?? null });
    const last = page.voices[page.voices.length - 1];
    if (!last) break;
    after = page.cursorOf(last);
    left -= page.voices.length;
    if (!page.hasNextPage) break;
  }
  if (!after) throw new Error("no cursor");
  return after;
}

async function scenarios(client: pg.Client): Promise<Scenario[]> {
  const total = await matchingRows(client, {});
  // The rare filter: each value alone is common (tr 30%, maghrebi 10%, male 50%, elderly 33%,
  // a style tag 10%); together they are about 0.04%. With a model (25%) too, about 0.01%; with the
  // model instead of the tag, 0.1% ("uncommon").
  const uncommon: VoiceFilter = { language: "tr", dialect: "maghrebi", gender: "male", age: "elderly", model: "xtts_v2" };
  const rare: VoiceFilter = { language: "tr", dialect: "maghrebi", gender: "male", age: "elderly", tags: ["deep"] };
  const veryRare: VoiceFilter = { ...uncommon, tags: ["deep"] };
  // Three tags: a style (10%), a use (11%) and a dialect named alone in the description (3%).
  const rareTags: VoiceFilter = { tags: ["crisp", "ivr", "maghrebi"] };
  const broad: VoiceFilter = { language: "ar" };
  const medium: VoiceFilter = { language: "ar", gender: "female" };
  const twoTags: VoiceFilter = { tags: ["warm", "news"] };
  const broadTag: VoiceFilter = { language: "ar", tags: ["warm"] };

  for (const [name, given] of [
    ["uncommon filter", uncommon],
    ["rare filter", rare],
    ["very rare filter", veryRare],
    ["rare tags", rareTags],
  ] as const) {
    const count = await matchingRows(client, given);
    const share = (100 * count) / total;
    log(
      `[scenarios] ${name}: ${count} of ${total} live voices (${share.toFixed(3)}%)${share > 0.05 ? " (not rare: > 0.05%)" : ""}`,
    );
  }
  const rareCount = await matchingRows(client, rare);
  const rareLast = Math.max(1, Math.floor((rareCount - 1) / 20) * 20); // after the last full page

  const list = (
    group: string,
    name: string,
    filter: VoiceFilter,
    sort: VoiceSort,
    target?: number,
    afterRow?: number,
  ): Scenario => ({
    group,
    name,
    target,
    filter,
    call: async ({ service, reset }) => {
      const after = afterRow ? await cursorAfter(service, filter, sort, afterRow) : null;
      reset();
      return service.listVoices({ filter, sort, first: 20, after });
    },
  });
  const facets = (name: string, filter: VoiceFilter): Scenario => ({
    group: "facets",
    name,
    target: 150,
    filter,
    call: async ({ service, reset }) => {
      reset();
      return service.voiceFacets(filter, 10);
    },
  });
  const totalCount = (name: string, filter: VoiceFilter): Scenario => ({
    group: "totalCount",
    name,
    target: 100,
    filter,
    pick: "all",
    call: async ({ service, reset }) => {
      const page = await service.listVoices({ filter, first: 20 });
      reset();
      return page.total();
    },
  });

  return [
    list("first page", "no filter, NEWEST", {}, "NEWEST"),
    list("first page", "broad: language ar, NEWEST", broad, "NEWEST"),
    list("first page", "medium: ar + female, NEWEST", medium, "NEWEST"),
    list("first page", "one tag: warm, NEWEST", { tags: ["warm"] }, "NEWEST"),
    list("first page", "uncommon (0.1%): tr+maghrebi+male+elderly+xtts_v2, NEWEST", uncommon, "NEWEST"),
    list("first page", "rare: tr+maghrebi+male+elderly+tag deep, NEWEST", rare, "NEWEST", 10),
    list("first page", "very rare: rare + xtts_v2, NEWEST", veryRare, "NEWEST", 10),
    list("first page", "rare tags: crisp+ivr+maghrebi, NEWEST", rareTags, "NEWEST", 10),
    {
      group: "first page",
      name: "rarity check (combination share; cached 30 s per filter)",
      filter: rare,
      pick: "first",
      call: async ({ service, reset }) => {
        reset();
        return service.listVoices({ filter: rare, first: 20 });
      },
    },
    list("rare, other sorts", "rare, OLDEST", rare, "OLDEST", 10),
    list("rare, other sorts", "rare, NAME_ASC", rare, "NAME_ASC", 10),
    list("rare, other sorts", "rare tags, NAME_ASC", rareTags, "NAME_ASC", 10),
    list("rare, other sorts", `rare, NEWEST, last page (after row ${rareLast})`, rare, "NEWEST", 10, rareLast),
    list("deep page", "no filter, NEWEST, page 50 (after row 980)", {}, "NEWEST", undefined, 980),
    list("deep page", "broad, NEWEST, page 50", broad, "NEWEST", undefined, 980),
    list("deep page", "medium, OLDEST, page 50", medium, "OLDEST", undefined, 980),
    list("deep page", "broad, NAME_ASC, page 50", broad, "NAME_ASC", undefined, 980),
    ...(["Layla Warm 512", "layla", "Laila", "ليلى"] as const).flatMap((text) =>
      (["NEWEST", "RELEVANCE"] as const).map((sort) => list("search", `"${text}", ${sort}`, { search: text }, sort, 20)),
    ),
    list("search", `"لَيْلَى" (with tashkeel), NEWEST`, { search: "لَيْلَى" }, "NEWEST", 20),
    list("search", `"layla" + language ar + female, NEWEST`, { search: "layla", language: "ar", gender: "female" }, "NEWEST", 20),
    list("search", `"layla", RELEVANCE, page 2`, { search: "layla" }, "RELEVANCE", 20, 20),
    facets("no filter", {}),
    facets("broad: language ar", broad),
    facets("broad + one tag: ar + warm", broadTag),
    facets("rare filter", rare),
    facets('search "layla"', { search: "layla" }),
    facets("two tags: warm + news", twoTags),
    totalCount("rollup: broad (language ar)", broad),
    totalCount("rollup: ar + one tag (warm)", broadTag),
    totalCount('search "layla"', { search: "layla" }),
    totalCount("two tags: warm + news", twoTags),
  ];
}

/** An EXPLAIN statement (the count estimate) cannot be explained again: its client round trip. */
async function measureEstimate(client: pg.Client, scenario: Scenario, statement: Statement, matching: number): Promise<Result> {
  const trips: number[] = [];
  let estimate = 0;
  await client.query(statement);
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const { rows } = await client.query<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }>(statement);
    trips.push(performance.now() - started);
    estimate = rows[0]?.["QUERY PLAN"][0].Plan["Plan Rows"] ?? 0;
  }
  return {
    scenario: { ...scenario, target: undefined },
    statementName: statement.name,
    matching,
    before: [],
    median: Number.NaN,
    min: Number.NaN,
    max: Number.NaN,
    client: median(trips),
    hit: 0,
    read: 0,
    summary: `EXPLAIN only: the planner's estimate, ${thousands(estimate)} rows`,
    text: "(an EXPLAIN itself: not explained)",
    miss: false,
  };
}

async function measureStatement(
  client: pg.Client,
  scenario: Scenario,
  statement: Statement,
  matching: number,
  before: string[],
): Promise<Result> {
  if (/^\s*EXPLAIN\b/i.test(statement.text)) return measureEstimate(client, scenario, statement, matching);
  await explain(client, statement); // warm-up
  const plans: Explained[] = [];
  for (let run = 0; run < RUNS; run++) plans.push(await explain(client, statement));
  const totals = plans.map((plan) => plan["Planning Time"] + plan["Execution Time"]);
  // As the gateway sends it: a named prepared statement, a custom plan each time.
  await client.query(statement);
  const trips: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    await client.query(statement);
    trips.push(performance.now() - started);
  }
  const last = plans[plans.length - 1];
  if (!last) throw new Error("no runs");
  return {
    scenario,
    statementName: statement.name,
    matching,
    before,
    median: median(totals),
    min: Math.min(...totals),
    max: Math.max(...totals),
    client: median(trips),
    hit: last.Plan["Shared Hit Blocks"] ?? 0,
    read: last.Plan["Shared Read Blocks"] ?? 0,
    summary: summarise(last),
    text: await explainText(client, statement),
    miss: scenario.target !== undefined && median(totals) > scenario.target,
  };
}

async function measure(client: pg.Client, scenario: Scenario): Promise<Result[]> {
  const recording = recorder(client);
  await scenario.call(recording);
  const sent = [...recording.statements];
  if (!sent.length) throw new Error(`${scenario.name}: the gateway sent nothing`);
  const pick = scenario.pick ?? "last";
  const measured = pick === "all" ? sent : [pick === "first" ? sent[0] : sent[sent.length - 1]];
  const matching = await matchingRows(client, scenario.filter);
  const results: Result[] = [];
  for (const statement of measured) {
    if (!statement) continue;
    const before = pick === "last" ? sent.slice(0, -1).map((other) => other.name) : [];
    const result = await measureStatement(client, scenario, statement, matching, before);
    results.push(result);
    log(
      `[run] ${scenario.group} / ${scenario.name} (${statement.name}): ${result.median.toFixed(2)} ms median, ${result.min.toFixed(2)} min, ` +
        `${result.max.toFixed(2)} max, client ${result.client.toFixed(2)} ms; ${result.matching} rows match; ${result.summary}` +
        (before.length ? `; sent first: ${before.join(", ")}` : ""),
    );
    if (result.miss) {
      log(
        `\n[MISS] ${scenario.group} / ${scenario.name}: ${result.median.toFixed(1)} ms > ${scenario.target ?? 0} ms\n${statement.text}\n${result.text}\n`,
      );
    }
  }
  return results;
}

// ---------------------------------------------------------------------------
// 3. Report

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const ms = (value: number) => (Number.isNaN(value) ? "—" : value.toFixed(2));

function table(results: Result[]): string {
  const lines = [
    "| group | scenario | statement | matching rows | median ms | max ms | client ms | target | buffers hit / read | plan |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const result of results) {
    const target = result.scenario.target === undefined ? "—" : `≤ ${result.scenario.target}${result.miss ? " **MISS**" : ""}`;
    const before = result.before.length ? ` (after ${result.before.join(", ")})` : "";
    lines.push(
      `| ${result.scenario.group} | ${cell(result.scenario.name)} | ${result.statementName}${before} | ${thousands(result.matching)} | ${ms(result.median)} | ` +
        `${ms(result.max)} | ${ms(result.client)} | ${target} | ${result.hit} / ${result.read} | ${cell(result.summary)} |`,
    );
  }
  return lines.join("\n");
}

/** The indexes the migrations leave on voices, read from their SQL (the check that nobody added one here). */
async function migrationIndexes(): Promise<string[]> {
  const names = new Set<string>(["voices_pkey"]);
  for (const migration of await readMigrations()) {
    for (const match of migration.sql.matchAll(
      /(CREATE(?: UNIQUE)? INDEX|DROP INDEX)\s+(?:IF (?:NOT )?EXISTS\s+)?"([^"]+)"(\s+ON\s+"voices")?/g,
    )) {
      if (match[1]?.startsWith("DROP")) names.delete(match[2] ?? "");
      else if (match[3]) names.add(match[2] ?? "");
    }
  }
  return [...names];
}

function git(...gitArgs: string[]): string {
  return spawnSync("git", gitArgs, { cwd: ROOT, encoding: "utf8" }).stdout.trim();
}

async function main() {
  const started = new Date();
  // The code measured is what was imported, at start: others commit meanwhile.
  const code = `${git("rev-parse", "--short", "HEAD")}${git("status", "--porcelain", "--", "src/services", "src/db", "prisma") ? " + uncommitted changes under src/ or prisma/" : ""}`;
  const steps = await prepare();
  if (args["prepare-only"]) return;
  const options = `-c statement_timeout=120000 ${READ_SESSION_SETTINGS.map(([name, value]) => `-c ${name}=${value}`).join(" ")}`;
  const client = await connect(DB, options);
  const results: Result[] = [];
  let machine: string;
  const loadavg = () =>
    os
      .loadavg()
      .map((load) => load.toFixed(1))
      .join(" ");
  try {
    const { rows: settings } = await client.query<{ name: string; setting: string }>(
      `SELECT name, current_setting(name) AS setting FROM unnest(ARRAY['server_version', 'shared_buffers', 'work_mem',
         'effective_cache_size', 'random_page_cost', 'jit', 'max_parallel_workers_per_gather']) AS name`,
    );
    const cores = spawnSync("nproc", { encoding: "utf8" }).stdout.trim();
    machine = `${cores} cores (load average ${loadavg()} at the start), Node ${process.version}; PostgreSQL ${settings.map((row) => `${row.name}=${row.setting}`).join(", ")}`;
    log(`[scenarios] ${machine}; code ${code}`);
    // The measurement is only the migrations' if the schema is: another session may be trying an index here.
    const expected = await migrationIndexes();
    const { rows: indexRows } = await client.query<{ name: string }>(
      "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'voices' ORDER BY 1",
    );
    const unexpected = indexRows.map((row) => row.name).filter((name) => !expected.includes(name));
    if (unexpected.length) log(`[scenarios] WARNING: indexes on voices not made by the migrations: ${unexpected.join(", ")}`);
    const { rows: others } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    if (others[0]?.n) log(`[scenarios] WARNING: ${others[0].n} other session(s) connected to ${DB}`);
    for (const scenario of await scenarios(client)) results.push(...(await measure(client, scenario)));
  } finally {
    await client.end();
  }
  machine += `; load average ${loadavg()} at the end`;

  const date = started.toISOString().slice(0, 10);
  const markdown = table(results);
  const misses = results.filter((result) => result.miss);
  const report = [
    `# Catalog SQL at ${thousands(N)} voices (${date})`,
    "",
    "```sh",
    `node --import tsx bench/catalog-scale.ts --n ${N}${args.db ? ` --db ${DB}` : ""} --runs ${RUNS}`,
    "```",
    "",
    `Code: ${code}. Database ${DB}: ${thousands(N)} seeded voices + ${ARABIC_VOICES} with Arabic names, 1% archived. ${machine}.`,
    `Times are EXPLAIN (ANALYZE, BUFFERS) Planning + Execution, median and max of ${RUNS} runs after one warm-up; ` +
      `"client ms" is the median round trip of the same statement sent as the gateway sends it (named, custom plan). ` +
      `Buffers: the last run's, shared hit / read. Statements are recorded from CatalogService itself (listVoices, voiceFacets, total).`,
    steps.length
      ? `Preparing: ${steps.map(([label, elapsed]) => `${label} ${seconds(elapsed)}`).join("; ")}.`
      : "Preparing: skipped (database already prepared).",
    "",
    markdown,
    "",
    misses.length
      ? `Misses: ${misses.map((result) => `${result.scenario.group} / ${result.scenario.name}`).join("; ")}.`
      : "Every scenario with a target met it.",
    "",
    "## Plans (the last EXPLAIN ANALYZE of each statement)",
    "",
    ...results.flatMap((result) => [
      `### ${result.scenario.group} / ${result.scenario.name} (${result.statementName})`,
      "",
      "```",
      result.text,
      "```",
      "",
    ]),
  ].join("\n");
  log(`\n${markdown}\n`);
  const out = args.out ?? path.join(ROOT, "bench/results", `catalog-scale-${date}.md`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, report);
  log(`[report] written to ${out}`);
}

await main();
