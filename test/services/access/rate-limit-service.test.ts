// RateLimitService on a real PostgreSQL database: fixed windows counted in
// rate_limit_windows, shared by every replica, atomic under concurrency.
// The service takes its window from the clock it is given: every test sets
// a clock of its own, so no test can be split by a real minute boundary.
import { loadConfig } from "../../../src/config.js";
import { openDatabase } from "../../../src/db/database.js";
import { createLogger } from "../../../src/logger.js";
import { RateLimitService } from "../../../src/services/access/rate-limit-service.js";
import { ManualClock } from "../../support/clock.js";
import { afterEach } from "vitest";
import { describe, expect, testWithoutGateway, vi } from "../../support/fixtures.js";
import type { MigratedDatabase } from "../../support/migrated-database.js";
import { waitFor } from "../../support/wait.js";
import { gatewayErrorOf } from "../../support/gateway-error.js";

const MINUTE = 60_000;
/** The start of a one-minute window, far from any real clock. */
const WINDOW = Date.parse("2031-05-04T12:34:00.000Z");

/** The service on the file's database (emptied before each test), reading a clock the test sets. */
const it = testWithoutGateway
  .extend("clock", () => new ManualClock(WINDOW))
  .extend("limits", ({ migratedDatabase, clock }) => new RateLimitService(migratedDatabase.db.prisma, clock));

afterEach(() => {
  vi.restoreAllMocks();
});

const windows = (database: MigratedDatabase) =>
  database.test.query<{ bucket: string; window_start: Date; count: number }>(
    "SELECT bucket, window_start, count FROM rate_limit_windows ORDER BY bucket, window_start",
  );

describe("RateLimitService.consume", () => {
  it("allows `limit` events in a window, then refuses with RATE_LIMITED until the window ends", async ({
    limits,
    clock,
    migratedDatabase,
  }) => {
    clock.set(WINDOW + 15_200);
    for (let event = 0; event < 3; event++) await limits.consume("key:a", 3, MINUTE, "clones");
    const error = await gatewayErrorOf(limits.consume("key:a", 3, MINUTE, "clones"));
    expect(error).toMatchObject({
      code: "RATE_LIMITED",
      message: "Too many clones: at most 3 per 60 s for this client key. Retry in 45 s.",
      extensions: { code: "RATE_LIMITED", reason: "CLIENT_RATE_LIMIT", retryAfterSeconds: 45 },
    });
    // Refused events are counted too: hammering does not reopen the window.
    await expect(limits.consume("key:a", 3, MINUTE, "clones")).rejects.toMatchObject({ code: "RATE_LIMITED" });
    expect(await windows(migratedDatabase)).toEqual([{ bucket: "key:a", window_start: new Date(WINDOW), count: 5 }]);
  });

  it("starts every window afresh, in its own row", async ({ limits, clock, migratedDatabase }) => {
    clock.set(WINDOW + MINUTE - 1);
    await limits.consume("key:a", 1, MINUTE, "clones");
    await expect(limits.consume("key:a", 1, MINUTE, "clones")).rejects.toMatchObject({ code: "RATE_LIMITED" });
    clock.set(WINDOW + MINUTE);
    await limits.consume("key:a", 1, MINUTE, "clones");
    expect(await windows(migratedDatabase)).toEqual([
      { bucket: "key:a", window_start: new Date(WINDOW), count: 2 },
      { bucket: "key:a", window_start: new Date(WINDOW + MINUTE), count: 1 },
    ]);
  });

  it.for([
    ["at the window's first millisecond", 0, 60],
    ["half-way", 30_000, 30],
    ["in the window's last second", 59_001, 1],
    ["at the window's last millisecond (never less than 1 s)", 59_999, 1],
  ] as const)("tells when to retry %s", async ([_when, offset, retryAfterSeconds], { limits, clock }) => {
    clock.set(WINDOW + offset);
    await limits.consume("key:a", 1, MINUTE, "clones");
    const error = await gatewayErrorOf(limits.consume("key:a", 1, MINUTE, "clones"));
    expect(error.extensions).toMatchObject({ retryAfterSeconds });
    expect(error.message).toContain(`Retry in ${retryAfterSeconds} s.`);
  });

  it("aligns windows of any length on multiples of it", async ({ limits, clock, migratedDatabase }) => {
    const windowMs = 10_000;
    clock.set(WINDOW + 27_500);
    await limits.consume("key:b", 5, windowMs, "lookups");
    const error = await gatewayErrorOf(
      (async () => {
        for (let event = 0; event < 5; event++) await limits.consume("key:b", 5, windowMs, "lookups");
      })(),
    );
    expect(error.message).toBe("Too many lookups: at most 5 per 10 s for this client key. Retry in 3 s.");
    expect(await windows(migratedDatabase)).toEqual([{ bucket: "key:b", window_start: new Date(WINDOW + 20_000), count: 6 }]);
  });

  it("counts each bucket on its own", async ({ limits, clock, migratedDatabase }) => {
    clock.set(WINDOW);
    await limits.consume("key:a", 1, MINUTE, "clones");
    await limits.consume("key:b", 1, MINUTE, "clones");
    await expect(limits.consume("key:a", 1, MINUTE, "clones")).rejects.toMatchObject({ code: "RATE_LIMITED" });
    expect((await windows(migratedDatabase)).map(({ bucket, count }) => ({ bucket, count }))).toEqual([
      { bucket: "key:a", count: 2 },
      { bucket: "key:b", count: 1 },
    ]);
  });

  it("lets exactly `limit` of many simultaneous events through", async ({ limits, clock, migratedDatabase }) => {
    clock.set(WINDOW + 1_000);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 24 }, () => limits.consume("key:burst", 10, MINUTE, "clones")),
    );
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(10);
    const refused = outcomes.filter((outcome) => outcome.status === "rejected");
    expect(refused).toHaveLength(14);
    for (const outcome of refused) expect(outcome.reason).toMatchObject({ code: "RATE_LIMITED" });
    expect(await windows(migratedDatabase)).toEqual([{ bucket: "key:burst", window_start: new Date(WINDOW), count: 24 }]);
  });

  it("shares one budget between replicas on the same database", async ({ limits, clock, migratedDatabase }) => {
    const replica = new RateLimitService((await migratedDatabase.openReplica()).prisma, clock);
    clock.set(WINDOW + 5_000);
    await limits.consume("key:shared", 3, MINUTE, "clones");
    await replica.consume("key:shared", 3, MINUTE, "clones");
    await limits.consume("key:shared", 3, MINUTE, "clones");
    await expect(replica.consume("key:shared", 3, MINUTE, "clones")).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await expect(limits.consume("key:shared", 3, MINUTE, "clones")).rejects.toMatchObject({ code: "RATE_LIMITED" });
  });

  it("now and then sweeps windows older than ten windows, keeping recent ones", async ({ limits, clock, migratedDatabase }) => {
    clock.set(WINDOW - 11 * MINUTE);
    await limits.consume("key:old", 5, MINUTE, "clones");
    clock.set(WINDOW - 9 * MINUTE);
    await limits.consume("key:recent", 5, MINUTE, "clones");
    clock.set(WINDOW);
    // Without the sweep's lottery win nothing is deleted ...
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    await limits.consume("key:now", 5, MINUTE, "clones");
    expect((await windows(migratedDatabase)).map((row) => row.bucket)).toEqual(["key:now", "key:old", "key:recent"]);
    // ... with it, the sweep runs off the request's path: the call does not wait for it.
    vi.spyOn(Math, "random").mockReturnValue(0);
    await limits.consume("key:now", 5, MINUTE, "clones");
    await waitFor(async () => (await windows(migratedDatabase)).length === 2, 10_000, "the sweep of old windows");
    expect(await windows(migratedDatabase)).toEqual([
      { bucket: "key:now", window_start: new Date(WINDOW), count: 2 },
      { bucket: "key:recent", window_start: new Date(WINDOW - 9 * MINUTE), count: 1 },
    ]);
  });

  it("answers DATABASE_UNAVAILABLE when PostgreSQL cannot be reached", async ({ clock, migratedDatabase }) => {
    // A port nobody listens on: connections are refused at once.
    const unreachable = new URL(migratedDatabase.test.url);
    unreachable.port = "1";
    const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: unreachable.toString() });
    const db = await openDatabase(config, createLogger({ logLevel: "silent" }));
    try {
      await expect(new RateLimitService(db.prisma, clock).consume("key:a", 5, MINUTE, "clones")).rejects.toMatchObject({
        code: "DATABASE_UNAVAILABLE",
      });
    } finally {
      await db.close();
    }
  });
});
