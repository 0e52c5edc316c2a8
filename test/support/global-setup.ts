// Runs once before the suite: checks that the test PostgreSQL server answers,
// with a message that says how to start it when it does not.
import pg from "pg";
import { adminUrl } from "./database.js";

export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    throw new Error(
      `The tests need PostgreSQL at ${adminUrl()} (set TEST_DATABASE_URL to use another server). ` +
        `Start it, e.g. 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'. Cause: ${String(error)}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
