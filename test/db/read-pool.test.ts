// Catalog reads run on a pool of their own with a statement timeout (PostgreSQL):
// a read stuck past READ_STATEMENT_TIMEOUT_MS answers QUERY_TIMEOUT (the
// database is up, so not DATABASE_UNAVAILABLE), and reads holding every read
// connection leave client keys and other writes their own connections.
import pg from "pg";
import { CreateApiKeyDocument } from "../generated/operations.js";
import { bearer } from "../support/api-keys.js";
import { expect, test } from "../support/fixtures.js";
import { waitFor } from "../support/wait.js";

test.override("gatewayOptions", { withUpstream: false, env: { DATABASE_READ_POOL_SIZE: "2", READ_STATEMENT_TIMEOUT_MS: "300" } });

const VOICES = "{ voices { nodes { id } } }";

/** Holds an ACCESS EXCLUSIVE lock on `voices` (every read waits) until released. */
async function lockVoices(url: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("BEGIN");
  await client.query("LOCK TABLE voices IN ACCESS EXCLUSIVE MODE");
  return {
    async release() {
      await client.query("ROLLBACK");
      await client.end();
    },
  };
}

test("a read stuck past READ_STATEMENT_TIMEOUT_MS answers QUERY_TIMEOUT, and the next one works", async ({ gateway }) => {
  const lock = await lockVoices(gateway.database!.url);
  let stuck;
  try {
    stuck = await gateway.graphql(VOICES);
  } finally {
    await lock.release();
  }
  // A field error of an operation that ran: 200 with `data: null`, like DATABASE_UNAVAILABLE.
  expect(stuck.status).toBe(200);
  expect(stuck.body.data).toBeNull();
  expect(stuck.body.errors?.[0]?.extensions?.code).toBe("QUERY_TIMEOUT");
  expect(stuck.body.errors?.[0]?.message).toContain("longer than 300 ms");
  const after = await gateway.graphql(VOICES);
  expect(after.body).toEqual({ data: { voices: { nodes: [] } } });
});

test("reads holding every read connection leave key management and key checks working", async ({ gateway, startGateway }) => {
  const db = gateway.database!;
  // A long timeout here: the reads must still be waiting when the writes run. Six reads would take
  // every connection of a shared pool of this size, and the writes would wait behind them.
  const replica = await startGateway({
    testDatabase: db,
    env: { DATABASE_POOL_SIZE: "2", DATABASE_READ_POOL_SIZE: "2", READ_STATEMENT_TIMEOUT_MS: "60000" },
  });
  // Kept by the response cache (on by default) before the reads pile up.
  const kept = "{ voices(first: 5) { nodes { id } } }";
  expect((await replica.graphql(kept)).body).toEqual({ data: { voices: { nodes: [] } } });
  const lock = await lockVoices(db.url);
  let reads: Promise<unknown>[];
  try {
    reads = Array.from({ length: 6 }, () => replica.graphql(VOICES));
    // Both read connections are waiting on the lock; four more reads wait for a connection.
    await waitFor(
      async () =>
        (
          await db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT id%'",
          )
        )[0]!.n === 2,
      10_000,
      "both read connections to be waiting",
    );
    // The catalog's version is read on the other pool too: a kept page is served meanwhile (read afresh, it would wait on the lock).
    expect((await replica.graphql(kept)).body).toEqual({ data: { voices: { nodes: [] } } });
    // Key management (a write) and a check of a brand-new key (a lookup) use the other pool.
    const created = await replica.graphql(CreateApiKeyDocument, { name: "ops", scope: "ADMIN" }, {}, { revealsClientKey: true });
    expect(created.body.errors).toBeUndefined();
    const key = created.body.data!.createApiKey.key;
    const listed = await replica.graphql("{ apiKeys { name } }", {}, bearer(key));
    expect(listed.body).toEqual({ data: { apiKeys: [{ name: "ops" }] } });
  } finally {
    await lock.release();
  }
  const answers = (await Promise.all(reads)) as Array<{ body: unknown }>;
  for (const answer of answers) expect(answer.body).toEqual({ data: { voices: { nodes: [] } } });
});
