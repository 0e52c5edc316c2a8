// A fresh PostgreSQL database per test file (or per test, or per benchmark
// run), dropped afterwards, so test files can run in parallel and CI runs never
// see each other's data. The server is TEST_DATABASE_URL's (default: the local
// postgres on 127.0.0.1:5432). Used by the tests and the benchmarks (bench/).
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The maintenance database used to create and drop test databases. */
export const adminUrl = (): string => process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A client on this database, for assertions that bypass the gateway. */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `gw_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on("error", () => undefined);
  return {
    name,
    url: url.toString(),
    async query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      return (await pool.query<Row>(sql, params)).rows;
    },
    async drop() {
      await pool.end();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
