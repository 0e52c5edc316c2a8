// Applies prisma/migrations/<name>/migration.sql files at boot, offline.
//
// Prisma 7's own `migrate deploy` needs a schema engine binary downloaded from
// the internet (and its WASM engine is broken with adapter-pg, prisma/orm#27403),
// so the gateway applies the same files itself and keeps Prisma's
// `_prisma_migrations` ledger exactly as `prisma migrate deploy` does: same
// table, same checksum (sha256 of the file), one row per migration. A machine
// with the Prisma CLI can therefore take over at any time.
//
// Two replicas booting together serialise on a PostgreSQL advisory lock; the
// second finds the work done and applies nothing.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { errorMessage } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Database, SqlSession } from "./database.js";

// Relative to the package root, not to src/: this module is <root>/src/db/migrator.ts
// in a checkout and <root>/dist/db/migrator.js once built (tsconfig.build.json
// keeps src's layout under dist), so both resolve to <root>/prisma/migrations,
// which the image copies next to dist (/app/prisma/migrations).
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

/** Arbitrary constant shared by every replica (and by any tool that wants to wait for migrations). */
export const MIGRATION_LOCK_KEY = 0x766f6963; // "voic": fits a JS number exactly

// Verbatim the table Prisma's schema engine creates.
const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export async function readMigrations(dir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

type LedgerRow = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
};

export async function migrate(db: Database, logger: Logger, migrations?: MigrationFile[]): Promise<MigrationResult> {
  const files = migrations ?? (await readMigrations());
  return db.withSession(async (session) => {
    await session.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      return await applyPending(session, files, logger);
    } finally {
      await session.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  });
}

async function applyPending(session: SqlSession, files: MigrationFile[], logger: Logger): Promise<MigrationResult> {
  await session.exec(LEDGER_DDL);
  const rows = await session.query<LedgerRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
  );
  const live = rows.filter((row) => row.rolled_back_at === null);
  const failed = live.find((row) => row.finished_at === null);
  if (failed) {
    // Same rule as Prisma (P3009): a half-applied migration needs a human.
    throw new MigrationError(
      `Migration "${failed.migration_name}" failed earlier and was not rolled back. ` +
        `Fix the database, then mark it with \`prisma migrate resolve\` (or delete its _prisma_migrations row).`,
    );
  }
  const done = new Map(live.map((row) => [row.migration_name, row.checksum]));
  const result: MigrationResult = { applied: [], alreadyApplied: [] };
  for (const file of files) {
    const checksum = done.get(file.name);
    if (checksum !== undefined) {
      if (checksum !== file.checksum) {
        logger.warn({ migration: file.name }, "applied migration was modified after it was applied");
      }
      result.alreadyApplied.push(file.name);
      continue;
    }
    const id = randomUUID();
    await session.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, file.checksum, file.name],
    );
    try {
      // One transaction per migration: PostgreSQL DDL is transactional, so a
      // failing file leaves no partial schema behind.
      await session.exec(`BEGIN;\n${file.sql}\n;COMMIT;`);
    } catch (error) {
      await session.exec("ROLLBACK").catch(() => undefined);
      const message = errorMessage(error);
      await session.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, message]);
      throw new MigrationError(`Migration "${file.name}" failed: ${message}`);
    }
    await session.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
    logger.info({ migration: file.name }, "migration applied");
    result.applied.push(file.name);
  }
  return result;
}
