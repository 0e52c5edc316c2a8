// Preparing the catalog-scale bench's database (step 1): created, migrated by
// the project's own migrator, loaded with N voices from the shared seeder's
// database by COPY (1-3 tags derived from their descriptions), 1,000 voices
// with Arabic names added, 1% archived, the secondary indexes built after
// the load, VACUUM (ANALYZE), and the facet rollups the statement triggers
// kept checked against the voices. Skipped when the database is already
// marked as this bench's N voices under these migrations, unless --reseed.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { access, constants, cp, mkdir, stat } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { loadConfig } from "../../src/config.js";
import { openDatabase } from "../../src/db/database.js";
import { migrate, readMigrations } from "../../src/db/migrator.js";
import { createLogger } from "../../src/logger.js";
import { ANCHORS_DB, ARABIC_VOICES, args, connect, DB, log, N, PG_ENV, ROOT, seconds, urlOf } from "./settings.js";

/** How long each preparing step took, in order: the report lists them. */
export type Steps = [string, number][];

/** What a prepared database is marked with (its COMMENT): a changed migration or N prepares it again. */
async function markerOf(): Promise<string> {
  const migrations = await readMigrations();
  const hash = createHash("sha256")
    .update(migrations.map((migration) => `${migration.name}:${migration.checksum}`).join("\n"))
    .digest("hex")
    .slice(0, 12);
  return `catalog-scale v2 n=${N} arabic=${ARABIC_VOICES} migrations=${hash}`;
}

async function timed<T>(label: string, work: () => Promise<T>, steps: Steps): Promise<T> {
  const started = performance.now();
  const result = await work();
  const elapsed = performance.now() - started;
  steps.push([label, elapsed]);
  log(`[prepare] ${label}: ${seconds(elapsed)}`);
  return result;
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

/** Prepares the database unless it already is (then no steps). */
export async function prepare(): Promise<Steps> {
  const steps: Steps = [];
  const marker = await markerOf();
  if (!(await recreateDatabase(marker, steps))) return steps;
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
    await loadVoices(client, steps);
    await checkRollups(client);
    await logSizes(client);
    await client.query(`COMMENT ON DATABASE ${DB} IS '${marker}'`);
  } finally {
    await client.end();
  }
  return steps;
}

/** Drops and creates the database; false when it already holds this bench's voices (and --reseed is not given). */
async function recreateDatabase(marker: string, steps: Steps): Promise<boolean> {
  const admin = await connect("postgres");
  try {
    if (!args.reseed && (await alreadyPrepared(admin, marker))) {
      log(`[prepare] ${DB} already holds ${N} + ${ARABIC_VOICES} voices (${marker}); --reseed to prepare again`);
      return false;
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
  return true;
}

/** The voices: COPY from the seeder's database, the Arabic ones, 1% archived, then the indexes and statistics. */
async function loadVoices(client: pg.Client, steps: Steps): Promise<void> {
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
  await insertArabicVoices(client, steps);
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
}

/** Voices with Arabic names (tashkeel variants included), for Arabic search: the seeder's are Latin-named. */
function insertArabicVoices(client: pg.Client, steps: Steps): Promise<unknown> {
  return timed(
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
}

/** Checks that the facet rollups the statement triggers kept add up to the voices. */
async function checkRollups(client: pg.Client): Promise<void> {
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
}

async function logSizes(client: pg.Client): Promise<void> {
  const { rows: sizes } = await client.query<{ name: string; size: string }>(
    `SELECT c.relname AS name, pg_size_pretty(pg_total_relation_size(c.oid)) AS size FROM pg_class c
       WHERE c.relname IN ('voices', 'voice_facet_combos', 'voice_tag_combos', 'voice_tag_key_counts') ORDER BY 1`,
  );
  const { rows: indexSizes } = await client.query<{ name: string; size: string }>(
    `SELECT indexrelname AS name, pg_size_pretty(pg_relation_size(indexrelid)) AS size FROM pg_stat_user_indexes WHERE relname = 'voices' ORDER BY 1`,
  );
  log(`[prepare] sizes: ${sizes.map((row) => `${row.name} ${row.size}`).join(", ")}`);
  log(`[prepare] voices indexes: ${indexSizes.map((row) => `${row.name} ${row.size}`).join(", ")}`);
}
