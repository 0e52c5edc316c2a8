// Open means "never had a key": a gateway is open to anonymous callers only
// until its first key exists, revoking keys never reopens it, the first key is
// created by exactly one of any number of racing callers, and the last active
// admin key cannot be revoked over GraphQL (only the keys command's --force
// can, saying what it leaves behind).
import { CreateApiKeyDocument, RevokeApiKeyDocument } from "../../generated/operations.js";
import { bearer, issueKey, keysCli } from "../../support/api-keys.js";
import { describe, expect, test } from "../../support/fixtures.js";
import type { TestGateway } from "../../support/gateway.js";
import { recordSecret } from "../../support/suite-record.js";

const VOICES = "{ voices { totalCount } }";

async function createApiKey(gateway: TestGateway, name: string, headers: Record<string, string> = {}) {
  const response = await gateway.graphql(CreateApiKeyDocument, { name, scope: "ADMIN" }, headers, { revealsClientKey: true });
  if (response.body.data) recordSecret(response.body.data.createApiKey.key);
  return response;
}

const keyCount = async (gateway: TestGateway) =>
  Number((await gateway.database!.query<{ count: string }>("SELECT count(*) AS count FROM api_keys"))[0]?.count);

describe("open until the first key, closed for good", () => {
  test("revoking every key, the last admin included, leaves the gateway closed", async ({ gateway }) => {
    const first = await createApiKey(gateway, "ops");
    const admin = first.body.data!.createApiKey;
    const writer = await issueKey(gateway, "voice-studio", "write");
    expect((await gateway.graphql(RevokeApiKeyDocument, { key: writer.id }, bearer(admin.key))).body.errors).toBeUndefined();
    const forced = await keysCli(gateway.database!, "revoke", admin.apiKey.id, "--force");
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("No active admin key: nobody can manage keys over GraphQL, and the gateway stays closed");

    const anonymous = await gateway.graphql(VOICES);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const reopen = await createApiKey(gateway, "intruder");
    expect(reopen.status).toBe(401);
    expect(await keyCount(gateway)).toBe(2);
  }, 60_000);

  test("of many callers creating the first key at once, exactly one gets it", async ({ gateway }) => {
    for (let round = 0; round < 5; round++) {
      await gateway.database!.query("TRUNCATE api_keys, gateway_state");
      gateway.container.apiKeys.forgetAll();
      const answers = await Promise.all(Array.from({ length: 8 }, (_, index) => createApiKey(gateway, `racer-${index}`)));
      const winners = answers.filter((answer) => answer.body.data?.createApiKey);
      expect(winners).toHaveLength(1);
      const losers = answers.filter((answer) => !answer.body.data?.createApiKey);
      expect(losers.map((answer) => [answer.status, answer.body.errors?.[0]?.extensions?.code])).toEqual(
        Array.from({ length: 7 }, () => [401, "UNAUTHENTICATED"]),
      );
      expect(await keyCount(gateway)).toBe(1);
    }
  }, 60_000);
});

describe("the last active admin key", () => {
  test("is refused over GraphQL with LAST_ADMIN_KEY, and stays usable; with a second admin it may go", async ({ gateway }) => {
    const admin = (await createApiKey(gateway, "ops")).body.data!.createApiKey;
    const refused = await gateway.graphql(RevokeApiKeyDocument, { key: admin.apiKey.id }, bearer(admin.key));
    expect(refused.status).toBe(200); // a field error of an operation that ran, as CONFLICT is
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "LAST_ADMIN_KEY", field: "key" });
    expect(refused.body.errors?.[0]?.message).toContain("is the last active admin key");
    expect((await gateway.graphql(VOICES, undefined, bearer(admin.key))).status).toBe(200);

    const second = await issueKey(gateway, "ops-2", "admin");
    const revoked = await gateway.graphql(RevokeApiKeyDocument, { key: admin.apiKey.id }, bearer(second.key));
    expect(revoked.body.errors).toBeUndefined();
    expect((await gateway.graphql(VOICES, undefined, bearer(admin.key))).status).toBe(401);
  });

  test("two admins revoking each other at once: exactly one revocation goes through", async ({ gateway }) => {
    for (let round = 0; round < 5; round++) {
      await gateway.database!.query("TRUNCATE api_keys");
      const a = await issueKey(gateway, "ops-a", "admin");
      const b = await issueKey(gateway, "ops-b", "admin");
      const [byA, byB] = await Promise.all([
        gateway.graphql(RevokeApiKeyDocument, { key: b.id }, bearer(a.key)),
        gateway.graphql(RevokeApiKeyDocument, { key: a.id }, bearer(b.key)),
      ]);
      const outcomes = [byA, byB].map((answer) => answer.body.errors?.[0]?.extensions?.code ?? "revoked").sort();
      // The loser either finds its own key revoked (401) or is refused as the last admin.
      expect(outcomes[1]).toBe("revoked");
      expect(["LAST_ADMIN_KEY", "UNAUTHENTICATED"]).toContain(outcomes[0]);
      const active = await gateway.database!.query("SELECT id FROM api_keys WHERE scope = 'ADMIN' AND revoked_at IS NULL");
      expect(active).toHaveLength(1);
    }
  });

  test("the keys command refuses it without --force, saying how", async ({ gateway }) => {
    const admin = await issueKey(gateway, "ops", "admin");
    const refused = await keysCli(gateway.database!, "revoke", admin.id);
    expect(refused.code).toBe(1);
    expect((await gateway.graphql(VOICES, undefined, bearer(admin.key))).status).toBe(200);
  }, 60_000);
});

describe("revoking by prefix", () => {
  test("matches the prefix exactly: LIKE's wildcards in it match nothing", async ({ gateway }) => {
    const admin = await issueKey(gateway, "ops", "admin");
    await issueKey(gateway, "ops-2", "admin");
    for (const key of ["fvg_____", "fvg_%%%%", "fvg_%", "fvg______"]) {
      const response = await gateway.graphql(RevokeApiKeyDocument, { key }, bearer(admin.key));
      expect(response.body.errors?.[0]?.extensions, key).toMatchObject({ code: "BAD_USER_INPUT", field: "key" });
    }
    const revoked = await gateway.database!.query("SELECT id FROM api_keys WHERE revoked_at IS NOT NULL");
    expect(revoked).toEqual([]);
    // The real prefix still works.
    const byPrefix = await gateway.graphql(RevokeApiKeyDocument, { key: admin.key.slice(0, 10) }, bearer(admin.key));
    expect(byPrefix.body.errors).toBeUndefined();
  });
});
