// The per-key clone rate limit (CLONE_RATE_LIMIT_PER_MINUTE) over real HTTP:
// RATE_LIMITED with retryAfterSeconds past the limit, counted in the shared
// database so replicas enforce one budget per key; only clones that call
// Faseeh count (a replay of an idempotency key does not, a retake does).
import { cloneVoice } from "../support/clone.js";
import { bearer, createKey } from "../support/api-keys.js";
import { describe, expect, test } from "../support/fixtures.js";

const env = { CLONE_RATE_LIMIT_PER_MINUTE: "2" };
test.override("gatewayOptions", { env });

const VOICES = `{ voices { totalCount } }`;

describe("per-key clone rate limit", () => {
  test("answers RATE_LIMITED with retryAfterSeconds past the limit, counted across replicas", async ({
    gateway,
    upstream,
    startGateway,
  }) => {
    // Two replicas on one database: the file's gateway and a second one.
    const db = gateway.database!;
    const replicaA = gateway;
    const replicaB = await startGateway({ upstream, testDatabase: db, env });
    const first = await createKey(db, "tool-one", "write");
    const second = await createKey(db, "tool-two", "write");

    expect((await cloneVoice(replicaA, { headers: bearer(first.key) })).body.errors).toBeUndefined();
    expect((await cloneVoice(replicaB, { headers: bearer(first.key) })).body.errors).toBeUndefined();
    const limited = await cloneVoice(replicaA, { headers: bearer(first.key) });
    const error = limited.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: "RATE_LIMITED", reason: "CLIENT_RATE_LIMIT" });
    expect(error?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error?.extensions?.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(upstream.requests).toHaveLength(2);

    // Another key has its own budget; queries are not limited.
    expect((await cloneVoice(replicaB, { headers: bearer(second.key) })).body.errors).toBeUndefined();
    expect((await replicaA.graphql(VOICES, {}, bearer(first.key))).body.data).toEqual({ voices: { totalCount: 3 } });
  });
});

describe("what counts against the limit", () => {
  /** Clones counted for the anonymous caller, over every window (a test may span a minute's edge). */
  const counted = async (gateway: import("../support/gateway.js").TestGateway) =>
    Number(
      (
        await gateway.database!.query<{ total: string | null }>(
          "SELECT sum(count)::text AS total FROM rate_limit_windows WHERE bucket = 'clone:anonymous'",
        )
      )[0]?.total ?? 0,
    );

  test("replays of an idempotency key count nothing; a retake after a refusal counts like a new clone", async ({
    gateway,
    upstream,
  }) => {
    expect((await cloneVoice(gateway, { input: { idempotencyKey: "order-1" } })).body.errors).toBeUndefined();
    for (let replay = 0; replay < 3; replay++) {
      const replayed = await cloneVoice(gateway, { input: { idempotencyKey: "order-1" } });
      expect(replayed.body.data?.cloneVoice.replayed).toBe(true);
    }
    expect(await counted(gateway)).toBe(1);
    expect(upstream.requests).toHaveLength(1);

    upstream.enqueue({ kind: "error", status: 402 });
    const refused = await cloneVoice(gateway, { input: { idempotencyKey: "order-2" } });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("INSUFFICIENT_BALANCE");
    expect(await counted(gateway)).toBe(2);
    // The retake would call Faseeh again: it counts (and, the limit of 2 spent, is refused unless a new minute began).
    const retake = await cloneVoice(gateway, { input: { idempotencyKey: "order-2" } });
    expect(await counted(gateway)).toBe(3);
    expect([undefined, "RATE_LIMITED"]).toContain(retake.body.errors?.[0]?.extensions?.code);
    // ... while the replay of the first still answers.
    expect((await cloneVoice(gateway, { input: { idempotencyKey: "order-1" } })).body.data?.cloneVoice.replayed).toBe(true);
  });
});
