// The per-key clone rate limit (CLONE_RATE_LIMIT_PER_MINUTE) over real HTTP:
// RATE_LIMITED with retryAfterSeconds past the limit, counted in the shared
// database so replicas enforce one budget per key.
import { cloneVoice } from "../support/clone.js";
import { bearer, createKey } from "../support/api-keys.js";
import { describe, expect, test } from "../support/fixtures.js";
import { startTestGateway } from "../support/gateway.js";

const env = { CLONE_RATE_LIMIT_PER_MINUTE: "2" };
test.override("gatewayOptions", { env });

const VOICES = `{ voices { totalCount } }`;

describe("per-key clone rate limit", () => {
  test("answers RATE_LIMITED with retryAfterSeconds past the limit, counted across replicas", async ({
    gateway,
    upstream,
    onTestFinished,
  }) => {
    // Two replicas on one database: the file's gateway and a second one.
    const db = gateway.database!;
    const replicaA = gateway;
    const replicaB = await startTestGateway({ upstream, testDatabase: db, env });
    onTestFinished(() => replicaB.stop());
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
