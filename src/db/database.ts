// Opens the catalog database for a Config: a real PostgreSQL server through
// node-postgres when DATABASE_URL is set, otherwise an embedded PostgreSQL
// (PGlite, persisted under DATA_DIR) so a fresh checkout runs with no setup.
// Both paths give the same Prisma client and the same raw SQL runner, which
// the migrator and the readiness probe use.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { Config } from "../config.js";
import { PrismaClient } from "../generated/prisma/client.js";
import type { Logger } from "../logger.js";
import { readTimeout } from "./database-errors.js";
import { DataDirLock } from "./data-dir-lock.js";
import {
  listenOnPostgres,
  localOnlyListener,
  type NotificationHandlers,
  type NotificationListener,
} from "./notification-listener.js";

/** Raw SQL access for the migrator: statements on one connection, under a session-wide lock. */
export interface SqlSession {
  query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements (simple query protocol). */
  exec(sql: string): Promise<void>;
}

/** One SQL statement of a read: named, it is prepared once per connection on PostgreSQL. */
export interface ReadStatement {
  name?: string;
  text: string;
  values: unknown[];
}

export interface Database {
  readonly kind: "postgres" | "embedded";
  readonly prisma: PrismaClient;
  /** Runs `work` on one dedicated connection (advisory locks are per connection). */
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Connection counts for metrics. */
  poolStats(): Record<string, number>;
  /**
   * One read statement, outside Prisma. A `name` makes it a prepared statement
   * (planned once per connection) on PostgreSQL.
   */
  query<Row extends Record<string, unknown>>(statement: ReadStatement): Promise<Row[]>;
  /**
   * One small read statement on the main pool instead: for what a request
   * waits on before anything else (the catalog's version), which must never
   * queue behind catalog reads holding every read connection.
   */
  queryOnMainPool<Row extends Record<string, unknown>>(statement: ReadStatement): Promise<Row[]>;
  /** LISTEN on `channel` (PostgreSQL); the embedded database has one process, so it is always "live". */
  listen(channel: string, handlers: NotificationHandlers): NotificationListener;
  /** Cheap round trip used by /readyz. */
  ping(timeoutMs: number): Promise<void>;
  /** Tells whoever finds the embedded database in use where its owner serves (no-op for PostgreSQL). */
  announce(details: { port: number }): void;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Who opens it, named to anyone refused the embedded database meanwhile: "gateway", "npm run keys", ... */
  role?: string;
}

/**
 * Opens the database. The embedded one is taken exclusively (see
 * data-dir-lock.ts): a second process gets DataDirInUseError before anything
 * is read or written.
 */
export async function openDatabase(config: Config, logger: Logger, options: OpenOptions = {}): Promise<Database> {
  const db = config.database;
  return db.kind === "postgres" ? openPostgres(db, logger) : openEmbedded(db.dataDir, options.role ?? "gateway");
}

type PostgresSettings = Extract<Config["database"], { kind: "postgres" }>;

function openPostgres(settings: PostgresSettings, logger: Logger): Database {
  const { url, poolSize, readStatementTimeoutMs } = settings;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // Without this, a query against a server that stops answering waits forever.
    query_timeout: 30_000,
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled,
  // that would crash the process. The next query reports the outage instead.
  pool.on("error", (error) => logger.warn({ err: error.message }, "database connection lost"));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const readPool = openReadPool(settings, logger);
  return {
    kind: "postgres",
    prisma,
    withSession: (work) => withPooledSession(pool, work),
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      read_total: readPool.totalCount,
      read_idle: readPool.idleCount,
      read_waiting: readPool.waitingCount,
    }),
    listen: (channel, handlers) => listenOnPostgres(url, channel, handlers, logger),
    async query<Row extends Record<string, unknown>>(statement: ReadStatement) {
      try {
        return (await readPool.query<Row>(statement)).rows;
      } catch (error) {
        if (isReadTimeout(error)) throw readTimeout(readStatementTimeoutMs, error);
        throw error;
      }
    },
    async queryOnMainPool<Row extends Record<string, unknown>>(statement: ReadStatement) {
      return (await pool.query<Row>(statement)).rows;
    },
    async ping(timeoutMs) {
      await withTimeout(pool.query("SELECT 1"), timeoutMs, "database ping");
    },
    announce() {},
    async close() {
      await prisma.$disconnect();
      await Promise.all([pool.end(), readPool.end()]);
    },
  };
}

/**
 * Catalog reads get a pool of their own, with a statement timeout: a flood of heavy reads can
 * take only these connections, and authentication, storing a cloned voice and the recovery
 * journal keep theirs. Waiting for a read connection is bounded by the same budget.
 */
function openReadPool({ url, readPoolSize, readStatementTimeoutMs }: PostgresSettings, logger: Logger): pg.Pool {
  const readPool = new pg.Pool({
    connectionString: url,
    max: readPoolSize,
    connectionTimeoutMillis: readStatementTimeoutMs,
    idleTimeoutMillis: 30_000,
    options: `-c statement_timeout=${readStatementTimeoutMs} ${READ_SESSION_SETTINGS.map(([name, value]) => `-c ${name}=${value}`).join(" ")}`,
  });
  readPool.on("error", (error) => logger.warn({ err: error.message }, "database connection lost (read pool)"));
  return readPool;
}

/** Runs `work` on one connection of the pool; a connection whose work failed is discarded, not reused. */
async function withPooledSession<T>(pool: pg.Pool, work: (session: SqlSession) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await work({
      async query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]) {
        return (await client.query<Row>(sql, params)).rows;
      },
      async exec(sql) {
        await client.query(sql);
      },
    });
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // A failed session may hold an aborted transaction or a lock: discard it.
    client.release(broken);
  }
}

/**
 * Settings of every catalog read's session.
 * - Search forgives a misspelled word when pg_trgm's word similarity reaches
 *   0.3, pg_trgm's own default for whole strings: "Laila" and "Layla" share
 *   a third of their trigrams (the default for words, 0.6, finds neither).
 * - Plans are made for each statement's values: the same filter's shape can
 *   match 80% of the voices or 0.01%, and a generic plan picked for one
 *   walks a million rows for the other. Planning costs tens of microseconds.
 * - No JIT: it triggers on the planner's cost, and a facet count over a
 *   search's matches spent 450 ms compiling what runs in a few ms without.
 * - No parallel workers: catalog reads are many and short. Starting two
 *   workers for a facet count cost more than the count (a Gather returning
 *   after 145-265 ms for 28-78 ms of work; 68 -> 28 ms without, BENCHMARKS.md),
 *   and under load the cores are better spent on other requests.
 */
export const READ_SESSION_SETTINGS = [
  ["pg_trgm.word_similarity_threshold", "0.3"],
  ["plan_cache_mode", "force_custom_plan"],
  ["jit", "off"],
  ["max_parallel_workers_per_gather", "0"],
] as const;

async function openEmbedded(dataDir: string, role: string): Promise<Database> {
  const lock = await DataDirLock.acquire(dataDir, role);
  const dir = path.join(dataDir, "pglite");
  let pglite: PGlite;
  try {
    mkdirSync(dir, { recursive: true });
    // pg_trgm serves catalog search (migration 20261129000000); PGlite bundles it.
    pglite = await PGlite.create(dir, { extensions: { pg_trgm } });
  } catch (error) {
    lock.release();
    throw error;
  }
  // One connection serves reads and writes alike: the read settings are its own.
  for (const [name, value] of READ_SESSION_SETTINGS) await pglite.query(`SELECT set_config($1, $2, false)`, [name, value]);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const session: SqlSession = {
    async query(sql, params) {
      return (await pglite.query(sql, params)).rows as never;
    },
    async exec(sql) {
      await pglite.exec(sql);
    },
  };
  const embeddedQuery = async <Row extends Record<string, unknown>>(statement: ReadStatement) =>
    (await pglite.query<Row>(statement.text, statement.values)).rows;
  return {
    kind: "embedded",
    prisma,
    // PGlite is a single in-process connection: every session is the same one.
    withSession: (work) => work(session),
    poolStats: () => ({ total: 1 }),
    listen: () => localOnlyListener,
    query: embeddedQuery,
    queryOnMainPool: embeddedQuery, // one connection: there is no other pool
    async ping() {
      await pglite.query("SELECT 1");
    },
    announce(details) {
      lock.describe(details);
    },
    async close() {
      try {
        await prisma.$disconnect();
        await pglite.close();
      } finally {
        lock.release();
      }
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A read cancelled by its statement timeout, or that waited that long for a read connection. */
function isReadTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (error as { code?: unknown }).code === "57014" || /timeout exceeded when trying to connect/i.test(error.message);
}
