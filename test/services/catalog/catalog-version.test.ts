// The catalog's version: which writes change it (on PostgreSQL, through the
// migration's trigger), and how concurrent reads share queries without ever
// answering a caller with a version read before it asked.
import { CatalogVersion } from "../../../src/services/catalog/catalog-version.js";
import { voiceUpsert } from "../../../src/services/catalog/voice-writes.js";
import { expect, test } from "../../support/fixtures.js";
import { voiceData } from "../../support/voice-data.js";

test.override("gatewayOptions", { withUpstream: false });

test("changes with every transaction that writes voices, and with nothing else", async ({ gateway }) => {
  const version = () => gateway.container.catalogVersion.read();
  const db = gateway.database!;
  const start = await version();
  expect(start).toMatch(/^\d+$/);
  expect(await version()).toBe(start);

  const seen = new Set([start]);
  const expectNew = async () => {
    const now = await version();
    expect(seen.has(now)).toBe(false);
    seen.add(now);
  };
  const voice = voiceData({ name: "Layla" });
  await voiceUpsert(gateway.container.db.prisma, voice);
  await expectNew();
  await db.query("UPDATE voices SET name = 'Layla B' WHERE id = $1", [voice.id]);
  await expectNew();
  await db.query("DELETE FROM voices WHERE id = $1", [voice.id]);
  await expectNew();
  await db.query("TRUNCATE voices");
  await expectNew();

  // Other tables are not the catalog.
  const before = await version();
  await db.query("INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES ('clone:x', now(), 1)");
  await db.query("SELECT count(*) FROM voices");
  expect(await version()).toBe(before);

  // A transaction that rolls back leaves it as it was.
  await db.query(
    "BEGIN; INSERT INTO voices (id, voice_id, name, stability, model) VALUES (gen_random_uuid(), 'v', 'n', 0.5, 'm'); ROLLBACK;",
  );
  expect(await version()).toBe(before);
});

/** A database whose version queries the test answers one by one. */
function scriptedDatabase() {
  const pending: Array<(rows: Array<{ version: string }>) => void> = [];
  const failures: Array<(error: Error) => void> = [];
  return {
    started: () => pending.length,
    answer(index: number, version: string) {
      pending[index]!([{ version }]);
    },
    fail(index: number, error: Error) {
      failures[index]!(error);
    },
    queryOnMainPool: <Row>() =>
      new Promise<Row[]>((resolve, reject) => {
        pending.push(resolve as never);
        failures.push(reject);
      }),
  };
}

test("a burst of reads costs two queries, and nobody gets an answer read before they asked", async () => {
  const db = scriptedDatabase();
  const version = new CatalogVersion(db);
  const first = version.read(); // starts query 0
  const during = [version.read(), version.read(), version.read()]; // query 0 may predate them: they share query 1
  expect(db.started()).toBe(1);

  db.answer(0, "10");
  expect(await first).toBe("10");
  await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  expect(db.started()).toBe(2); // query 1 started once query 0 was done, for all three
  const late = version.read(); // query 1 is running: this one waits for query 2
  db.answer(1, "11");
  expect(await Promise.all(during)).toEqual(["11", "11", "11"]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(db.started()).toBe(3);
  db.answer(2, "12");
  expect(await late).toBe("12");

  // Idle again: the next read starts its own query at once.
  const alone = version.read();
  expect(db.started()).toBe(4);
  db.answer(3, "13");
  expect(await alone).toBe("13");
});

test("a failed query fails its callers only, and the next read tries again", async () => {
  const db = scriptedDatabase();
  const version = new CatalogVersion(db);
  const failing = version.read();
  const queued = version.read();
  db.fail(0, new Error("connection lost"));
  await expect(failing).rejects.toThrow("connection lost");
  await new Promise((resolve) => setImmediate(resolve));
  db.answer(1, "20");
  expect(await queued).toBe("20");
  const next = version.read();
  db.answer(2, "21");
  expect(await next).toBe("21");
});

test("reads null when the row is missing (callers then leave the cache aside)", async () => {
  const version = new CatalogVersion({ queryOnMainPool: <Row>() => Promise.resolve([] as Row[]) });
  expect(await version.read()).toBeNull();
});
