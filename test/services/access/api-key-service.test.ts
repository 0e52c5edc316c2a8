// Who may call, over real HTTP: open while no key exists, closed (without a
// restart) from the first key on, scopes, revocation, and production's
// refusal to start open. (The per-key clone rate limit has its own file:
// test/resolvers/clone-rate-limit.test.ts.)
import { createGateway, UnsafeStartError } from "../../../src/app.js";
import { loadConfig } from "../../../src/config.js";
import { createContainer } from "../../../src/container.js";
import { createLogger } from "../../../src/logger.js";
import { hashKey } from "../../../src/services/access/api-key-service.js";
import {
  ApiKeysDocument,
  type ApiKeyScope,
  CloneAttemptNamesDocument,
  CreateApiKeyDocument,
  RevokeApiKeyDocument,
} from "../../generated/operations.js";
import { bearer, createKey, keysCli } from "../../support/api-keys.js";
import { cloneVoice } from "../../support/clone.js";
import { describe, expect, test } from "../../support/fixtures.js";
import { spawnTs } from "../../support/process.js";
import { recordSecret } from "../../support/suite-record.js";

const VOICES = `{ voices { totalCount } }`;

describe("client API keys", () => {
  test("is open while no key exists, and needs a key from the first one on, without a restart", async ({ gateway, upstream }) => {
    expect(gateway.logs.some((line) => String(line.msg).includes("OPEN to any caller"))).toBe(true);
    expect((await gateway.graphql(VOICES)).body.data).toEqual({ voices: { totalCount: 0 } });
    expect((await cloneVoice(gateway)).body.errors).toBeUndefined();

    const reader = await createKey(gateway.database!, "catalog-browser", "read");
    const writer = await createKey(gateway.database!, "voice-studio", "write");

    const anonymous = await gateway.graphql(VOICES);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const wrong = await gateway.graphql(VOICES, {}, bearer("fvg_not-a-real-key"));
    expect(wrong.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const malformed = await gateway.graphql(VOICES, {}, { authorization: reader.key });
    expect(malformed.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    expect((await gateway.graphql(VOICES, {}, bearer(reader.key))).body.data).toEqual({ voices: { totalCount: 1 } });
    upstream.reset();
    const forbidden = await cloneVoice(gateway, { headers: bearer(reader.key) });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(upstream.requests).toHaveLength(0);

    const allowed = await cloneVoice(gateway, { headers: bearer(writer.key) });
    expect(allowed.body.errors).toBeUndefined();
    expect(
      gateway.logs.some((line) => line.msg === "request" && line.client === "voice-studio" && line.operation === "CloneVoice"),
    ).toBe(true);

    // Only hashes are stored, with a last-used time.
    const rows = await gateway.database!.query<{ key_hash: string; prefix: string; last_used_at: Date | null }>(
      "SELECT key_hash, prefix, last_used_at FROM api_keys ORDER BY created_at",
    );
    expect(rows.map((row) => row.key_hash)).toEqual([hashKey(reader.key), hashKey(writer.key)]);
    expect(JSON.stringify(rows)).not.toContain(reader.key);
    expect(rows.every((row) => row.last_used_at instanceof Date)).toBe(true);

    const revoked = await keysCli(gateway.database!, "revoke", writer.id);
    expect(revoked.code).toBe(0);
    expect((await gateway.graphql(VOICES, {}, bearer(writer.key))).body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const listed = await keysCli(gateway.database!, "list");
    expect(listed.stdout).toContain("voice-studio");
    expect(listed.stdout).toContain("REVOKED");
    expect(listed.stdout).not.toContain(writer.key);
  }, 60_000); // three runs of the keys command: about 20 s on a loaded 2-core machine

  test("refuses to start open in production unless ALLOW_ANONYMOUS=true", async ({ testDatabase: db }) => {
    const logger = createLogger({ logLevel: "silent" });
    const boot = async (env: Record<string, string>) => {
      const container = await createContainer(
        loadConfig({ DATABASE_URL: db.url, NODE_ENV: "production", RECOVERY_DIR: `/tmp/gw-rec-${db.name}`, ...env }),
        { logger },
      );
      try {
        const gateway = await createGateway(container);
        await gateway.stop();
        return "started";
      } catch (error) {
        await container.close();
        throw error;
      }
    };
    await expect(boot({})).rejects.toBeInstanceOf(UnsafeStartError);
    await expect(boot({})).rejects.toThrow(/ALLOW_ANONYMOUS=true/);
    await expect(boot({ ALLOW_ANONYMOUS: "true" })).resolves.toBe("started");
    await createKey(db, "prod-tool", "write");
    await expect(boot({})).resolves.toBe("started");
  });
});

describe("idempotency keys and clone attempts belong to their caller", () => {
  test("scopes keys per client key, lists a caller's own attempts, and shows an admin key everybody's", async ({
    gateway,
    upstream,
  }) => {
    const studio = await createKey(gateway.database!, "voice-studio", "write");
    const dubbing = await createKey(gateway.database!, "dubbing-tool", "write");
    const reader = await createKey(gateway.database!, "catalog-browser", "read");
    const admin = await createKey(gateway.database!, "ops", "admin");

    // The same idempotency key from two tools: two requests, two voices; neither blocks the other.
    const fromStudio = await cloneVoice(gateway, {
      input: { idempotencyKey: "order-7", name: "Studio" },
      headers: bearer(studio.key),
    });
    const fromDubbing = await cloneVoice(gateway, {
      input: { idempotencyKey: "order-7", name: "Dubbing" },
      headers: bearer(dubbing.key),
    });
    expect(fromStudio.body.errors).toBeUndefined();
    expect(fromDubbing.body.errors).toBeUndefined();
    expect(fromDubbing.body.data!.cloneVoice.voice.id).not.toBe(fromStudio.body.data!.cloneVoice.voice.id);
    // Each replays its own.
    const replay = await cloneVoice(gateway, {
      input: { idempotencyKey: "order-7", name: "Studio" },
      headers: bearer(studio.key),
    });
    expect(replay.body.data!.cloneVoice).toMatchObject({
      replayed: true,
      voice: { id: fromStudio.body.data!.cloneVoice.voice.id },
    });
    expect(upstream.requests).toHaveLength(2);

    const attemptsOf = async (key: string) => {
      const response = await gateway.graphql(CloneAttemptNamesDocument, undefined, bearer(key));
      expect(response.body.errors).toBeUndefined();
      return response.body.data!.cloneAttempts.map((attempt) => attempt.name).sort();
    };
    expect(await attemptsOf(studio.key)).toEqual(["Studio"]);
    expect(await attemptsOf(dubbing.key)).toEqual(["Dubbing"]);
    expect(await attemptsOf(reader.key)).toEqual([]);
    expect(await attemptsOf(admin.key)).toEqual(["Dubbing", "Studio"]);

    // An admin key may clone too; a read key may not.
    expect((await cloneVoice(gateway, { headers: bearer(admin.key) })).body.errors).toBeUndefined();
    expect((await cloneVoice(gateway, { headers: bearer(reader.key) })).body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const listed = await keysCli(gateway.database!, "list");
    expect(listed.stdout).toMatch(/admin\s+fvg_/);
  }, 60_000);

  test("refuses an unknown scope in the keys command", async ({ testDatabase: db }) => {
    const { code } = await keysCli(db, "create", "--name", "x", "--scope", "root");
    expect(code).toBe(2);
  }, 60_000);
});

describe("managing keys on a running gateway", () => {
  test("closes an open embedded-database gateway with createApiKey, then manages keys with the admin key, no restart", async ({
    upstream,
    startGateway,
  }) => {
    const gateway = await startGateway({ upstream, database: "embedded" });
    const create = async (name: string, scope: ApiKeyScope, headers: Record<string, string> = {}) => {
      const response = await gateway.graphql(CreateApiKeyDocument, { name, scope }, headers, { revealsClientKey: true });
      if (response.body.data) recordSecret(response.body.data.createApiKey.key);
      return response;
    };

    // While open, the first key may be created by anyone, and must be an admin key.
    const notAdmin = await create("catalog-browser", "READ");
    expect(notAdmin.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "scope" });
    const first = await create("ops", "ADMIN");
    expect(first.body.errors).toBeUndefined();
    const admin = first.body.data!.createApiKey;
    expect(admin.apiKey).toMatchObject({ name: "ops", scope: "ADMIN", prefix: admin.key.slice(0, 10) });

    // Closed at once.
    expect((await gateway.graphql(VOICES)).status).toBe(401);
    const writer = (await create("voice-studio", "WRITE", bearer(admin.key))).body.data!.createApiKey;
    expect((await cloneVoice(gateway, { headers: bearer(writer.key) })).body.errors).toBeUndefined();

    // Only admin keys manage keys.
    const forbidden = await gateway.graphql(`{ apiKeys { id } }`, undefined, bearer(writer.key));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const listed = await gateway.graphql(ApiKeysDocument, undefined, bearer(admin.key));
    expect(listed.body.data!.apiKeys).toEqual([
      { name: "ops", scope: "ADMIN", prefix: admin.key.slice(0, 10), revokedAt: null },
      { name: "voice-studio", scope: "WRITE", prefix: writer.key.slice(0, 10), revokedAt: null },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(writer.key);

    // Revoked by the prefix the list shows (as printed, with its "…"): refused from the next request on.
    const revoked = await gateway.graphql(RevokeApiKeyDocument, { key: `${writer.key.slice(0, 10)}…` }, bearer(admin.key));
    expect(revoked.body.data!.revokeApiKey).toMatchObject({ name: "voice-studio", revokedAt: expect.any(String) as unknown });
    expect((await gateway.graphql(VOICES, undefined, bearer(writer.key))).status).toBe(401);
    const unknown = await gateway.graphql(RevokeApiKeyDocument, { key: "fvg_nomatch" }, bearer(admin.key));
    expect(unknown.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "key" });
  }, 60_000);

  test("revokes from the command line by the prefix `list` prints, and explains what it cannot match", async ({
    testDatabase: db,
  }) => {
    const empty = await keysCli(db, "list");
    expect(empty.stdout).toContain("No keys: the gateway is open to anyone");
    const made = await createKey(db, "voice-studio", "write");
    const listed = await keysCli(db, "list");
    const prefix = new RegExp(`(fvg_\\S+…)\\s+voice-studio`).exec(listed.stdout)?.[1];
    expect(prefix).toBe(`${made.key.slice(0, 10)}…`);

    const revoked = await keysCli(db, "revoke", prefix!);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${made.id}`);
    // Revoking keys never reopens a gateway: it only says nobody can manage keys over GraphQL now.
    expect((await keysCli(db, "list")).stdout).toContain("No active admin key: nobody can manage keys over GraphQL");

    const run = spawnTs("src/cli/keys.ts", { DATABASE_URL: db.url }, ["revoke", "not-a-key"]);
    expect((await run.waitForExit(30_000)).code).toBe(1);
    expect(run.stderr()).toContain("neither a key id (a UUID) nor a key prefix");
    expect(run.stderr()).not.toMatch(/P2007|\bat \w+ \(/);
    const none = spawnTs("src/cli/keys.ts", { DATABASE_URL: db.url }, ["revoke", "fvg_zzzzzz"]);
    expect((await none.waitForExit(30_000)).code).toBe(1);
    expect(none.stderr()).toContain("No key matches fvg_zzzzzz");
  }, 60_000);
});
