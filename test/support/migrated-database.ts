// A fresh PostgreSQL database with the project's migrations applied, opened
// exactly as the gateway opens it (openDatabase + migrate), for service tests
// that need Prisma but no gateway.
import { loadConfig } from "../../src/config.js";
import { type Database, openDatabase } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrator.js";
import { createLogger } from "../../src/logger.js";
import { createTestDatabase, type TestDatabase } from "../../dev/test-database.js";

export interface MigratedDatabase {
  /** The database as the services see it (its Prisma client). */
  readonly db: Database;
  /** The same database, for SQL that bypasses the services. */
  readonly test: TestDatabase;
  /** Another connection pool on the same database: a second replica. */
  openReplica(): Promise<Database>;
  close(): Promise<void>;
}

const silent = createLogger({ logLevel: "silent" });

export async function openMigratedDatabase(): Promise<MigratedDatabase> {
  const test = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: test.url, DATABASE_POOL_SIZE: "4" });
  const opened: Database[] = [];
  const open = async () => {
    const db = await openDatabase(config, silent);
    opened.push(db);
    return db;
  };
  let db: Database;
  try {
    db = await open();
    await migrate(db, silent);
  } catch (error) {
    for (const each of opened) await each.close().catch(() => undefined);
    await test.drop();
    throw error;
  }
  return {
    db,
    test,
    openReplica: open,
    async close() {
      for (const each of opened) await each.close().catch(() => undefined);
      await test.drop();
    },
  };
}
