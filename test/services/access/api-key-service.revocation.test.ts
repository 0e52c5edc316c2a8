// Verified client keys are served from memory (no database round trip per
// request), and a revocation still reaches every replica at once: it is
// announced with NOTIFY when it commits. Two gateways share one database; the
// revocation comes from a third process, the keys command.
import { bearer, createKey, keysCli } from "../../support/api-keys.js";
import { expect, test } from "../../support/fixtures.js";
import { waitFor } from "../../support/wait.js";

test.override("gatewayOptions", { withUpstream: false });

const QUERY = "{ voices { totalCount } }";
/** The documented bound when the listener is connected: the notification's delivery, well under this. */
const REVOCATION_BOUND_MS = 5_000;

test("a key revoked elsewhere is refused by a replica that had it in memory, within the bound", async ({
  gateway,
  startGateway,
}) => {
  const db = gateway.database!;
  const replica = await startGateway({ testDatabase: db });
  const reader = await createKey(db, "catalog-browser", "read");
  const answer = async (target: typeof gateway) => (await target.graphql(QUERY, {}, bearer(reader.key))).body;

  expect(await answer(replica)).toEqual({ data: { voices: { totalCount: 0 } } });
  expect(await answer(gateway)).toEqual({ data: { voices: { totalCount: 0 } } });

  // Served from memory: a change written behind the gateways' backs, without the announcement,
  // is not seen (this is what the TTL backstop bounds).
  await db.query("UPDATE api_keys SET revoked_at = now() WHERE id = $1", [reader.id]);
  expect(await answer(replica)).toEqual({ data: { voices: { totalCount: 0 } } });
  await db.query("UPDATE api_keys SET revoked_at = NULL WHERE id = $1", [reader.id]);

  // A real revocation, by another process, is announced and refused by both replicas.
  const revoked = await keysCli(db, "revoke", reader.id);
  expect(revoked.code).toBe(0);
  for (const target of [replica, gateway]) {
    await waitFor(
      async () => (await answer(target)).errors?.[0]?.extensions?.code === "UNAUTHENTICATED",
      REVOCATION_BOUND_MS,
      "the revoked key to be refused",
    );
  }
  expect((await answer(replica)).data).toBeUndefined();
});

test("while revocations cannot reach it, a replica trusts no key from memory", async ({ gateway, startGateway }) => {
  const db = gateway.database!;
  const replica = await startGateway({ testDatabase: db });
  const reader = await createKey(db, "dashboard", "read");
  expect((await replica.graphql(QUERY, {}, bearer(reader.key))).body.errors).toBeUndefined();

  // Cut every LISTEN connection: notifications sent meanwhile would be lost.
  await db.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
  );
  await waitFor(
    () => replica.logs.some((line) => String(line.msg).startsWith("notification listener lost")),
    5_000,
    "the replica to notice its listener is gone",
  );
  // A revocation that is not announced at all is then seen at once: the key is checked in the database.
  await db.query("UPDATE api_keys SET revoked_at = now() WHERE id = $1", [reader.id]);
  const refused = await replica.graphql(QUERY, {}, bearer(reader.key));
  expect(refused.status).toBe(401);
  expect(refused.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
});
