// The offline migrator: applies prisma/migrations/*/migration.sql and keeps
// Prisma's `_prisma_migrations` ledger the way `prisma migrate deploy` does,
// serialises concurrent boots on an advisory lock, and refuses to continue
// past a failed migration. Against fresh PostgreSQL databases, and against the
// embedded PGlite database.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterEach } from "vitest";
import { loadConfig } from "../../src/config.js";
import { type Database, openDatabase } from "../../src/db/database.js";
import {
  DEFAULT_MIGRATIONS_DIR,
  migrate,
  MigrationError,
  type MigrationFile,
  type MigrationResult,
  readMigrations,
} from "../../src/db/migrator.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { describe, expect, test as it } from "../support/base-fixtures.js";
import { PROJECT_ROOT } from "../../dev/spawn-ts.js";
import { killAllSpawned, spawnTs } from "../support/process.js";
import { waitFor } from "../support/wait.js";

const logger = createLogger({ logLevel: "silent" });
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The advisory lock key of src/db/migrator.ts ("voicegw" in ASCII), passed as
 * the same JS number so node-postgres sends the very same bigint.
 */
import { MIGRATION_LOCK_KEY } from "../../src/db/migrator.js";

interface LedgerRow extends Record<string, unknown> {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

/** What is on disk, read independently of the migrator: names and sha256 of the raw bytes. */
async function migrationsOnDisk(): Promise<Array<{ name: string; checksum: string }>> {
  const entries = await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      checksum: sha256(await readFile(path.join(DEFAULT_MIGRATIONS_DIR, name, "migration.sql"))),
    })),
  );
}

const file = (name: string, sql: string): MigrationFile => ({ name, sql, checksum: sha256(sql) });

/** Raw SQL through the Database under test (works for both kinds). */
const sql = <Row extends Record<string, unknown>>(db: Database, text: string, params?: unknown[]) =>
  db.withSession((session) => session.query<Row>(text, params));

const ledger = (db: Database) => sql<LedgerRow>(db, `SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name`);

const tableExists = async (db: Database, table: string): Promise<boolean> => {
  const [row] = await sql<{ oid: string | null }>(db, `SELECT to_regclass($1)::text AS oid`, [`public.${table}`]);
  return row?.oid !== null && row?.oid !== undefined;
};

/** A logger that keeps what it writes, to assert on warnings. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const captured = createLogger(
    { logLevel: "info" },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger: captured, lines };
}

async function expectMigrationError(promise: Promise<MigrationResult>): Promise<MigrationError> {
  const error: unknown = await promise.then(
    (result) => new Error(`expected a MigrationError, migrate() resolved with ${JSON.stringify(result)}`),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(MigrationError);
  return error as MigrationError;
}

// Before the fixtures' cleanup: no migrator process outlives its test or its database.
afterEach(async () => {
  await killAllSpawned();
});

/**
 * `db`: the test's database opened as the gateway opens it; `openPool()`:
 * another connection pool on it, as another process would open. Both are
 * closed after the test, before the database is dropped.
 */
const onPostgres = it
  .extend("db", async ({ testDatabase }, { onCleanup }) => {
    const db = await openDatabase(loadConfig({ DATABASE_URL: testDatabase.url }), logger);
    onCleanup(() => db.close());
    return db;
  })
  .extend("openPool", ({ testDatabase }, { onCleanup }) => {
    const pools: Database[] = [];
    onCleanup(async () => {
      await Promise.all(pools.splice(0).map((pool) => pool.close()));
    });
    return async (): Promise<Database> => {
      const pool = await openDatabase(loadConfig({ DATABASE_URL: testDatabase.url }), logger);
      pools.push(pool);
      return pool;
    };
  });

describe("migrate() on PostgreSQL", () => {
  onPostgres("applies every migration on disk once, in name order", async ({ db, testDatabase: testDb }) => {
    const onDisk = await migrationsOnDisk();
    expect(onDisk.length).toBeGreaterThan(0);
    expect((await readMigrations()).map(({ name, checksum }) => ({ name, checksum }))).toEqual(onDisk);

    const result = await migrate(db, logger);

    expect(result).toEqual({ applied: onDisk.map((m) => m.name), alreadyApplied: [] });
    expect(await tableExists(db, "voices")).toBe(true);
    const columns = await testDb.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'voices'`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(expect.arrayContaining(["id", "voice_id", "name", "created_at"]));
  });

  onPostgres(
    "writes the _prisma_migrations ledger exactly as prisma migrate deploy does",
    async ({ db, testDatabase: testDb }) => {
      const onDisk = await migrationsOnDisk();
      const before = new Date(Date.now() - 60_000);
      await migrate(db, logger);

      // The table Prisma's schema engine creates, column for column.
      const columns = await testDb.query<{
        column_name: string;
        data_type: string;
        character_maximum_length: number | null;
        is_nullable: string;
      }>(
        `SELECT column_name, data_type, character_maximum_length, is_nullable
         FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = '_prisma_migrations'
        ORDER BY ordinal_position`,
      );
      expect(columns).toEqual([
        { column_name: "id", data_type: "character varying", character_maximum_length: 36, is_nullable: "NO" },
        { column_name: "checksum", data_type: "character varying", character_maximum_length: 64, is_nullable: "NO" },
        { column_name: "finished_at", data_type: "timestamp with time zone", character_maximum_length: null, is_nullable: "YES" },
        { column_name: "migration_name", data_type: "character varying", character_maximum_length: 255, is_nullable: "NO" },
        { column_name: "logs", data_type: "text", character_maximum_length: null, is_nullable: "YES" },
        {
          column_name: "rolled_back_at",
          data_type: "timestamp with time zone",
          character_maximum_length: null,
          is_nullable: "YES",
        },
        { column_name: "started_at", data_type: "timestamp with time zone", character_maximum_length: null, is_nullable: "NO" },
        { column_name: "applied_steps_count", data_type: "integer", character_maximum_length: null, is_nullable: "NO" },
      ]);

      const rows = await ledger(db);
      expect(rows.map((row) => row.migration_name)).toEqual(onDisk.map((m) => m.name));
      rows.forEach((row, index) => {
        expect(row.id).toMatch(UUID);
        // sha256 of the raw bytes of migration.sql, hex: what Prisma compares on deploy.
        expect(row.checksum).toBe(onDisk[index]!.checksum);
        expect(row.logs).toBeNull();
        expect(row.rolled_back_at).toBeNull();
        expect(row.applied_steps_count).toBe(1);
        expect(row.started_at).toBeInstanceOf(Date);
        expect(row.started_at.getTime()).toBeGreaterThan(before.getTime());
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      });
      expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    },
  );

  onPostgres("applies nothing on a second run and leaves the ledger untouched", async ({ db }) => {
    const names = (await migrationsOnDisk()).map((m) => m.name);
    await migrate(db, logger);
    const first = await ledger(db);

    const second = await migrate(db, logger);

    expect(second).toEqual({ applied: [], alreadyApplied: names });
    expect(await ledger(db)).toEqual(first);
  });

  onPostgres("applies only the migrations added since the last run", async ({ db, testDatabase: testDb }) => {
    const one = file("20990101000000_one", `CREATE TABLE "one" (id INT PRIMARY KEY);`);
    const two = file("20990102000000_two", `CREATE TABLE "two" (id INT PRIMARY KEY);\nINSERT INTO "two" VALUES (2);`);
    expect(await migrate(db, logger, [one])).toEqual({ applied: [one.name], alreadyApplied: [] });
    expect(await tableExists(db, "two")).toBe(false);

    expect(await migrate(db, logger, [one, two])).toEqual({ applied: [two.name], alreadyApplied: [one.name] });
    expect(await testDb.query(`SELECT id FROM "two"`)).toEqual([{ id: 2 }]);
    expect((await ledger(db)).map((row) => [row.migration_name, row.applied_steps_count])).toEqual([
      [one.name, 1],
      [two.name, 1],
    ]);
  });

  onPostgres("copes with a migration whose last line is a comment without a newline", async ({ db }) => {
    const commented = file("20990101000000_commented", `CREATE TABLE "commented" (id INT);\n-- trailing comment`);
    expect(await migrate(db, logger, [commented])).toEqual({ applied: [commented.name], alreadyApplied: [] });
    expect(await tableExists(db, "commented")).toBe(true);
  });

  onPostgres(
    "warns about, but does not re-apply, a migration edited after it was applied",
    async ({ db, testDatabase: testDb }) => {
      const original = file("20990101000000_edited", `CREATE TABLE "edited" (id INT);`);
      await migrate(db, logger, [original]);
      const { logger: capturing, lines } = capturingLogger();
      const edited = file(original.name, `CREATE TABLE "edited" (id INT, extra TEXT);`);

      expect(await migrate(db, capturing, [edited])).toEqual({ applied: [], alreadyApplied: [original.name] });

      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 40,
          migration: original.name,
          msg: "applied migration was modified after it was applied",
        }),
      );
      const [row] = await ledger(db);
      expect(row!.checksum).toBe(original.checksum);
      const columns = await testDb.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'edited'`,
      );
      expect(columns.map((c) => c.column_name)).toEqual(["id"]);
    },
  );

  describe("a failing migration", () => {
    const good = file("20990101000000_good", `CREATE TABLE "good_table" (id INT PRIMARY KEY);`);
    const bad = file(
      "20990102000000_bad",
      `CREATE TABLE "half_done" (id INT PRIMARY KEY);\nINSERT INTO "good_table" VALUES (1);\nSELECT * FROM nope;\nCREATE TABLE "never" (id INT);`,
    );
    const later = file("20990103000000_later", `CREATE TABLE "later" (id INT);`);

    onPostgres("leaves no partial schema and records the failure in the ledger", async ({ db, testDatabase: testDb }) => {
      const error = await expectMigrationError(migrate(db, logger, [good, bad, later]));
      expect(error.name).toBe("MigrationError");
      expect(error.message).toContain(bad.name);
      expect(error.message).toContain('relation "nope" does not exist');

      // The good one stays applied; nothing of the bad one survives; nothing after it ran.
      expect(await tableExists(db, "good_table")).toBe(true);
      expect(await tableExists(db, "half_done")).toBe(false);
      expect(await tableExists(db, "never")).toBe(false);
      expect(await tableExists(db, "later")).toBe(false);
      expect(await testDb.query(`SELECT * FROM "good_table"`)).toEqual([]);

      const rows = await ledger(db);
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({ migration_name: good.name, applied_steps_count: 1, rolled_back_at: null, logs: null });
      expect(rows[0]!.finished_at).toBeInstanceOf(Date);
      expect(rows[1]).toMatchObject({
        migration_name: bad.name,
        checksum: bad.checksum,
        finished_at: null,
        rolled_back_at: null,
        applied_steps_count: 0,
      });
      expect(rows[1]!.logs).toContain('relation "nope" does not exist');
    });

    onPostgres("releases the advisory lock and the connection", async ({ db, testDatabase: testDb }) => {
      await expectMigrationError(migrate(db, logger, [good, bad]));
      const locks = await testDb.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(locks).toEqual([{ n: 0 }]);
      // The pool still serves queries (no session left in an aborted transaction).
      expect(await sql<{ one: number }>(db, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
      expect(await db.prisma.$queryRawUnsafe("SELECT 2 AS two")).toEqual([{ two: 2 }]);
    });

    onPostgres("makes the next run refuse until someone resolves it with prisma migrate resolve", async ({ db, openPool }) => {
      await expectMigrationError(migrate(db, logger, [good, bad]));
      const fixed = file(bad.name, `CREATE TABLE "half_done" (id INT PRIMARY KEY);`);

      // Even with the file fixed, and from another process' connection pool.
      const other = await openPool();
      for (const database of [db, other]) {
        const refusal = await expectMigrationError(migrate(database, logger, [good, fixed, later]));
        expect(refusal.message).toContain(bad.name);
        expect(refusal.message).toContain("prisma migrate resolve");
      }
      // The real migrations are refused as well: the ledger has a failed row.
      const refusal = await expectMigrationError(migrate(db, logger));
      expect(refusal.message).toContain("prisma migrate resolve");
      expect(await tableExists(db, "later")).toBe(false);
      expect(await tableExists(db, "voices")).toBe(false);
      expect(await ledger(db)).toHaveLength(2);
    });

    onPostgres(
      "retries a migration once it is marked rolled back (prisma migrate resolve --rolled-back)",
      async ({ db, testDatabase: testDb }) => {
        await expectMigrationError(migrate(db, logger, [good, bad]));
        await testDb.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1`, [bad.name]);
        const fixed = file(bad.name, `CREATE TABLE "half_done" (id INT PRIMARY KEY);`);

        expect(await migrate(db, logger, [good, fixed, later])).toEqual({
          applied: [fixed.name, later.name],
          alreadyApplied: [good.name],
        });

        expect(await tableExists(db, "half_done")).toBe(true);
        const rows = await ledger(db);
        expect(rows.map((row) => [row.migration_name, row.finished_at === null, row.rolled_back_at === null])).toEqual([
          [good.name, false, true],
          [bad.name, true, false], // the failed attempt, kept as history
          [bad.name, false, true],
          [later.name, false, true],
        ]);
        expect(rows[2]!.checksum).toBe(fixed.checksum);
      },
    );
  });

  onPostgres("serialises two pools migrating at the same moment", async ({ db, testDatabase: testDb, openPool }) => {
    const other = await openPool();
    const names = (await migrationsOnDisk()).map((m) => m.name);

    const results = await Promise.all([migrate(db, logger), migrate(other, logger)]);

    expect(results.map((r) => r.applied.length).sort()).toEqual([0, names.length]);
    expect(results.find((r) => r.applied.length === 0)).toEqual({ applied: [], alreadyApplied: names });
    const counts = await testDb.query<{ migration_name: string; n: number }>(
      `SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY migration_name ORDER BY migration_name`,
    );
    expect(counts).toEqual(names.map((name) => ({ migration_name: name, n: 1 })));
  });
});

/** Child processes compile TypeScript with tsx at startup: allow for a loaded machine. */
const PROCESS_TIMEOUT_MS = 90_000;

/** The entry point `npm run migrate` runs (e.g. src/cli/migrate.ts), read from package.json. */
async function migrateCliScript(): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    scripts?: Record<string, string>;
  };
  const command = manifest.scripts?.migrate ?? "";
  const script = /(\S+\.ts)\b/.exec(command)?.[1];
  if (!script) throw new Error(`package.json has no "migrate" script running a .ts file (got ${JSON.stringify(command)})`);
  expect(existsSync(path.join(PROJECT_ROOT, script)), script).toBe(true);
  return script;
}

describe("two `npm run migrate` processes booting together", () => {
  it(
    "apply each migration exactly once: one applies everything, the other nothing",
    async ({ testDatabase: testDb }) => {
      const names = (await migrationsOnDisk()).map((m) => m.name);
      // Hold the migrators' lock so both processes are certainly inside migrate()
      // at the same time, contending for it, however their startup times differ.
      const holder = new pg.Client({ connectionString: testDb.url });
      await holder.connect();
      let released = false;
      try {
        await holder.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        const env = { DATABASE_URL: testDb.url, LOG_LEVEL: "info", NODE_ENV: "production" };
        const script = await migrateCliScript();
        const processes = [spawnTs(script, env), spawnTs(script, env)];

        const waiting = async () =>
          (
            await holder.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_locks
              WHERE locktype = 'advisory' AND NOT granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            )
          ).rows[0]!.n;
        const bothWaiting = async () => {
          const exited = processes.filter((p) => p.exitStatus);
          if (exited.length > 0) {
            throw new Error(
              `a migrator exited before contending for the lock: ${exited.map((p) => p.stdout() + p.stderr()).join("\n")}`,
            );
          }
          return (await waiting()) >= 2;
        };
        await waitFor(bothWaiting, 25_000, "both migrators waiting on the migration advisory lock");
        // Nothing was touched before the lock was taken.
        const ledgerBefore = await holder.query<{ oid: string | null }>(
          `SELECT to_regclass('public._prisma_migrations')::text AS oid`,
        );
        expect(ledgerBefore.rows).toEqual([{ oid: null }]);

        await holder.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
        released = true;

        const statuses = await Promise.all(processes.map((p) => p.waitForExit(25_000)));
        for (const [index, status] of statuses.entries()) {
          expect(status, processes[index]!.stderr()).toEqual({ code: 0, signal: null });
        }
        // Each prints exactly one result line.
        const results = processes.map((p) => {
          const lines = p.logs.filter((line) => "applied" in line && "alreadyApplied" in line);
          expect(lines, p.stdout()).toHaveLength(1);
          return lines[0] as unknown as MigrationResult;
        });
        const [applier, follower] = [...results].sort((a, b) => b.applied.length - a.applied.length);
        expect(applier).toEqual({ applied: names, alreadyApplied: [] });
        expect(follower).toEqual({ applied: [], alreadyApplied: names });
      } finally {
        if (!released) await holder.query("SELECT pg_advisory_unlock_all()").catch(() => undefined);
        await holder.end();
      }

      const counts = await testDb.query<{ migration_name: string; n: number; finished: number }>(
        `SELECT migration_name, count(*)::int AS n, count(finished_at)::int AS finished
         FROM "_prisma_migrations" GROUP BY migration_name ORDER BY migration_name`,
      );
      expect(counts).toEqual(names.map((name) => ({ migration_name: name, n: 1, finished: 1 })));
      const voices = await testDb.query<{ oid: string | null }>(`SELECT to_regclass('public.voices')::text AS oid`);
      expect(voices).toEqual([{ oid: "voices" }]);
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    "exits 1 with one sentence naming the fix when the database is unreachable",
    async () => {
      const proc = spawnTs(await migrateCliScript(), {
        DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere",
        LOG_LEVEL: "silent",
      });
      const status = await proc.waitForExit(25_000);
      expect(status.code).toBe(1);
      // One sentence with the fix, not a stack trace (test/startup-failures.test.ts covers every case).
      expect(proc.stderr()).toMatch(/^Nothing accepts connections at 127\.0\.0\.1:1, [^\n]*start PostgreSQL[^\n]*\.\n$/);
      expect(proc.logs.filter((line) => "applied" in line)).toEqual([]);
    },
    PROCESS_TIMEOUT_MS,
  );
});

// Creating a PGlite data directory runs initdb in WebAssembly: several seconds each.
const PGLITE_TIMEOUT_MS = 120_000;

/**
 * `openEmbedded(dataDir)`: PGlite in `dataDir`, closed after the test (one
 * the test closed itself is let be), before `makeTempDir`'s directories go.
 */
// eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
const onEmbedded = it.extend("openEmbedded", ({}, { onCleanup }) => {
  const opened: Database[] = [];
  onCleanup(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close().catch(() => undefined)));
  });
  return async (dataDir: string): Promise<Database> => {
    const database = await openDatabase(loadConfig({ DATA_DIR: dataDir }), logger);
    opened.push(database);
    return database;
  };
});

describe("migrate() on the embedded database (PGlite)", () => {
  onEmbedded(
    "applies every migration, is idempotent, and keeps the ledger across restarts",
    async ({ makeTempDir, openEmbedded }) => {
      const onDisk = await migrationsOnDisk();
      const names = onDisk.map((m) => m.name);
      const dataDir = await makeTempDir("gw-migrator-");
      const db = await openEmbedded(dataDir);
      expect(db.kind).toBe("embedded");

      expect(await migrate(db, logger)).toEqual({ applied: names, alreadyApplied: [] });
      expect(await migrate(db, logger)).toEqual({ applied: [], alreadyApplied: names });
      expect(await tableExists(db, "voices")).toBe(true);
      expect(await db.prisma.voice.count()).toBe(0);

      const rows = await ledger(db);
      expect(
        rows.map((row) => [row.migration_name, row.checksum, row.applied_steps_count, row.rolled_back_at, row.logs]),
      ).toEqual(onDisk.map((m) => [m.name, m.checksum, 1, null, null]));
      for (const row of rows) {
        expect(row.id).toMatch(UUID);
        expect(row.finished_at).toBeInstanceOf(Date);
      }

      // Restart on the same data directory: nothing to apply.
      await db.close();
      const reopened = await openEmbedded(dataDir);
      expect(await migrate(reopened, logger)).toEqual({ applied: [], alreadyApplied: names });
      expect((await ledger(reopened)).map((row) => row.id)).toEqual(rows.map((row) => row.id));
    },
    PGLITE_TIMEOUT_MS,
  );

  onEmbedded(
    "rolls a failing migration back completely and then refuses to continue",
    async ({ makeTempDir, openEmbedded }) => {
      const db = await openEmbedded(await makeTempDir("gw-migrator-"));
      const good = file("20990101000000_good", `CREATE TABLE "good_table" (id INT);`);
      const bad = file("20990102000000_bad", `CREATE TABLE "half_done" (id INT);\nSELECT * FROM nope;`);

      const error = await expectMigrationError(migrate(db, logger, [good, bad]));
      expect(error.message).toContain(bad.name);

      expect(await tableExists(db, "good_table")).toBe(true);
      expect(await tableExists(db, "half_done")).toBe(false);
      const rows = await ledger(db);
      expect(rows.map((row) => [row.migration_name, row.finished_at === null, row.applied_steps_count])).toEqual([
        [good.name, false, 1],
        [bad.name, true, 0],
      ]);
      expect(rows[1]!.logs).toContain("nope");

      const refusal = await expectMigrationError(migrate(db, logger, [good, file(bad.name, "SELECT 1;")]));
      expect(refusal.message).toContain("prisma migrate resolve");
      // The single PGlite connection is usable afterwards (no transaction left open).
      expect(await sql<{ one: number }>(db, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    },
    PGLITE_TIMEOUT_MS,
  );
});
