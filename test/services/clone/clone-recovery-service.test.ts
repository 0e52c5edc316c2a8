// Never lose a voice: the database fails between Faseeh's answer and the
// insert, the process restarts with voices left in the journal, an operator
// runs `npm run reconcile`, and `cloneAttempts` tells what happened.
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { request } from "undici";
import { CloneAttemptsByStatusDocument, VoiceDocument } from "../../generated/operations.js";
import { cloneVoice } from "../../support/clone.js";
import type { FakeBehaviour, FakeFaseeh } from "../../../dev/fake-faseeh.js";
import { describe, expect, test as sharedTest, vi } from "../../support/fixtures.js";
import { client, type TestGateway } from "../../support/gateway.js";
import { spawnTs } from "../../support/process.js";
import { startTcpProxy, throughProxy } from "../../support/tcp-proxy.js";
import { waitFor } from "../../support/wait.js";

function journalEntry(voiceId: string, attemptId = randomUUID()) {
  return {
    attemptId,
    model: "faseeh-v1",
    recordedAt: new Date().toISOString(),
    voice: {
      id: randomUUID(),
      voiceId,
      name: "Recovered",
      description: null,
      gender: "Female",
      age: null,
      languages: ["AR"],
      dialects: ["najdi"],
      type: "cloned",
      sampleUrl: `https://cdn.faseeh.test/samples/${voiceId}.mp3`,
      avatarUrl: null,
      stability: 0.4,
    },
  };
}

const test = sharedTest
  /** A fresh database behind a proxy the test can cut (closed when the test ends). */
  .extend("proxiedDatabase", ({ testDatabase, onTestFinished }) => async () => {
    const db = testDatabase;
    const proxy = await startTcpProxy("127.0.0.1", Number(new URL(db.url).port || 5432));
    onTestFinished(() => proxy.close());
    return { db, proxy };
  })
  /** A gateway whose database connection runs through a proxy the test can cut, with a fast recovery loop. */
  .extend("startBehindProxy", ({ proxiedDatabase, makeTempDir, startGateway, upstream }) => async () => {
    const { db, proxy } = await proxiedDatabase();
    const recoveryDir = await makeTempDir("gw-recovery-");
    const gateway = await startGateway({
      upstream,
      testDatabase: db,
      env: { DATABASE_URL: throughProxy(db.url, proxy), RECOVERY_DIR: recoveryDir, RECOVERY_INTERVAL_MS: "200" },
    });
    return { db, proxy, recoveryDir, gateway };
  });

describe("the database fails between Faseeh's answer and the insert", () => {
  test("tells the client the voice exists, then stores it exactly once when the database is back", async ({
    upstream,
    startBehindProxy,
  }) => {
    const { db, proxy, recoveryDir, gateway } = await startBehindProxy();

    upstream.enqueue({ kind: "delay", ms: 700, then: { kind: "success" } });
    const pending = cloneVoice(gateway);
    // Once the attempt is recorded and Faseeh is working, the database goes away.
    await waitFor(async () => upstream.inFlight === 1 && (await db.query("SELECT id FROM clone_attempts")).length === 1);
    proxy.cut();

    const response = await pending;
    const created = upstream.createdVoices[0]!;
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "VOICE_NOT_YET_STORED", voiceId: created.voice_id });
    expect(response.body.errors?.[0]?.message).toContain(String(created.voice_id));
    // Faseeh's answer is journaled on disk until the database takes it.
    const [attempt] = await db.query<{ id: string }>("SELECT id FROM clone_attempts");
    expect(await readdir(recoveryDir)).toEqual([`${attempt!.id}.json`]);

    const ready = await request(`${gateway.url}/readyz`, { dispatcher: client });
    expect(ready.statusCode).toBe(503);
    await ready.body.dump();

    proxy.restore();
    await waitFor(async () => (await db.query("SELECT id FROM voices")).length === 1);
    // Three more passes of the recovery loop, each of them finished: still exactly one.
    const passes = vi.spyOn(gateway.container.recovery, "reconcile");
    await waitFor(() => passes.mock.calls.length >= 3, 10_000, "three more recovery passes");
    await Promise.all(passes.mock.results.map((result) => result.value as Promise<unknown>));
    expect(await db.query("SELECT voice_id FROM voices")).toEqual([{ voice_id: created.voice_id }]);
    expect(await db.query("SELECT status, voice_id FROM clone_attempts")).toEqual([
      { status: "SUCCEEDED", voice_id: created.voice_id },
    ]);
    expect(await readdir(recoveryDir)).toEqual([]);
    expect(upstream.requests).toHaveLength(1);

    const listed = await gateway.graphql(VoiceDocument, { voiceId: created.voice_id });
    expect(listed.body.data?.voice?.voiceId).toBe(created.voice_id);
    expect((await request(`${gateway.url}/readyz`, { dispatcher: client })).statusCode).toBe(200);
  });

  test("keeps the request's tags through the journal: journaled with the voice, stored with it when the database is back", async ({
    upstream,
    startBehindProxy,
  }) => {
    const { db, proxy, recoveryDir, gateway } = await startBehindProxy();

    upstream.enqueue({ kind: "delay", ms: 700, then: { kind: "success" } });
    const pending = cloneVoice(gateway, { input: { tags: ["Breaking News", "warm"] } });
    await waitFor(async () => upstream.inFlight === 1 && (await db.query("SELECT id FROM clone_attempts")).length === 1);
    proxy.cut();
    expect((await pending).body.errors?.[0]?.extensions?.code).toBe("VOICE_NOT_YET_STORED");
    expect(upstream.requests[0]!.fieldNames).not.toContain("tags");

    const [file] = await readdir(recoveryDir);
    const journaled = JSON.parse(await readFile(path.join(recoveryDir, file!), "utf8")) as { tags?: string[] };
    expect(journaled.tags).toEqual(["breaking-news", "warm"]);

    proxy.restore();
    await waitFor(async () => (await db.query("SELECT id FROM voices")).length === 1);
    expect(await db.query("SELECT tags FROM voices")).toEqual([{ tags: ["breaking-news", "warm"] }]);
    const listed = await gateway.graphql(VoiceDocument, { voiceId: upstream.createdVoices[0]!.voice_id });
    expect(listed.body.data?.voice?.tags).toEqual(["breaking-news", "warm"]);
  });

  test("answers DATABASE_UNAVAILABLE and spends nothing when the database is down before the call", async ({
    upstream,
    startGateway,
    proxiedDatabase,
  }) => {
    const { db, proxy } = await proxiedDatabase();
    const gateway = await startGateway({ upstream, testDatabase: db, env: { DATABASE_URL: throughProxy(db.url, proxy) } });
    proxy.cut();
    const response = await cloneVoice(gateway);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("DATABASE_UNAVAILABLE");
    const query = await gateway.graphql(`{ voices { totalCount } }`);
    expect(query.body.errors?.[0]?.extensions?.code).toBe("DATABASE_UNAVAILABLE");
    // Even deciding who the caller is needs the database: 503, never a 500.
    expect(query.status).toBe(503);
    // The files may have started streaming, but the request's end is held back
    // until the attempt is recorded: Faseeh never got a complete request.
    expect(upstream.requests.every((received) => received.aborted)).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
    proxy.restore();
    // It recovers without a restart.
    expect((await gateway.graphql(`{ voices { totalCount } }`)).body.data).toEqual({ voices: { totalCount: 0 } });
    expect((await cloneVoice(gateway)).body.errors).toBeUndefined();
  });
});

describe("replay semantics survive recovery", () => {
  test("keeps the request's real hash on a journaled attempt: the same request replays, a different one is refused", async ({
    upstream,
    startBehindProxy,
  }) => {
    const { db, proxy, gateway } = await startBehindProxy();

    upstream.enqueue({ kind: "delay", ms: 700, then: { kind: "success" } });
    const pending = cloneVoice(gateway, { input: { idempotencyKey: "journaled" } });
    await waitFor(async () => upstream.inFlight === 1 && (await db.query("SELECT id FROM clone_attempts")).length === 1);
    proxy.cut();
    expect((await pending).body.errors?.[0]?.extensions?.code).toBe("VOICE_NOT_YET_STORED");
    proxy.restore();
    await waitFor(async () => (await db.query("SELECT id FROM voices")).length === 1);
    const [attempt] = await db.query<{ request_hash: string; status: string }>("SELECT request_hash, status FROM clone_attempts");
    expect(attempt).toMatchObject({ status: "SUCCEEDED", request_hash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });

    const different = await cloneVoice(gateway, { input: { idempotencyKey: "journaled", name: "Someone else" } });
    expect(different.body.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_REUSED");
    const same = await cloneVoice(gateway, { input: { idempotencyKey: "journaled" } });
    expect(same.body.data?.cloneVoice).toMatchObject({ replayed: true, voice: { voiceId: upstream.createdVoices[0]!.voice_id } });
    expect(upstream.requests).toHaveLength(1);
  });

  test("still imports a journal entry written before entries carried the request hash", async ({
    testDatabase,
    makeTempDir,
    startGateway,
  }) => {
    const db = testDatabase;
    const recoveryDir = await makeTempDir("gw-recovery-");
    const entry = journalEntry("voice_old_format");
    expect(entry).not.toHaveProperty("requestHash");
    await writeFile(path.join(recoveryDir, `${entry.attemptId}.json`), JSON.stringify(entry));
    await startGateway({ testDatabase: db, env: { RECOVERY_DIR: recoveryDir } });
    expect(await db.query("SELECT voice_id FROM voices")).toEqual([{ voice_id: "voice_old_format" }]);
  });
});

describe("operators resolve attempts whose outcome is unknown", () => {
  async function unknownAttempt(
    upstream: FakeFaseeh,
    gateway: TestGateway,
    key: string,
    behaviour: FakeBehaviour,
    input: Record<string, unknown> = {},
  ): Promise<string> {
    upstream.enqueue(behaviour);
    const response = await cloneVoice(gateway, { input: { ...input, idempotencyKey: key } });
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
    return String(response.body.errors![0]!.extensions!.attemptId);
  }

  function resolveCli(upstream: FakeFaseeh, gateway: TestGateway, ...args: string[]) {
    const run = spawnTs(
      "src/cli/reconcile.ts",
      {
        DATABASE_URL: gateway.database!.url,
        FASEEH_BASE_URL: upstream.baseUrl,
        FASEEH_API_KEY: upstream.apiKey,
        LOG_LEVEL: "silent",
      },
      ["resolve", ...args],
    );
    return run.waitForExit(30_000).then((exit) => ({ code: exit.code, stdout: run.stdout(), stderr: run.stderr() }));
  }

  test("--not-created: the attempt is FAILED and a same-key retry clones anew", async ({ gateway, upstream }) => {
    const attemptId = await unknownAttempt(upstream, gateway, "unsure-1", { kind: "error", status: 500 });
    const resolved = await resolveCli(upstream, gateway, attemptId, "--not-created");
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(JSON.parse(resolved.stdout)).toEqual({ attemptId, status: "FAILED" });

    const retried = await cloneVoice(gateway, { input: { idempotencyKey: "unsure-1" } });
    expect(retried.body.errors).toBeUndefined();
    expect(retried.body.data!.cloneVoice).toMatchObject({ attemptId, replayed: false });
    expect(upstream.requests.filter((received) => !received.aborted)).toHaveLength(2);
    const [row] = await gateway.database!.query<{ status: string; resolved_at: Date | null }>(
      "SELECT status, resolved_at FROM clone_attempts",
    );
    expect(row).toMatchObject({ status: "SUCCEEDED", resolved_at: expect.any(Date) as unknown });
  }, 60_000);

  test("--voice-id: the voice Faseeh created is stored from its voice list, and the key replays it", async ({
    gateway,
    upstream,
  }) => {
    // Faseeh created the voice, but a proxy answered 502 in its place.
    const tags = ["Radio Drama", "warm"];
    const attemptId = await unknownAttempt(
      upstream,
      gateway,
      "unsure-2",
      { kind: "createThen", then: { kind: "raw", status: 502, body: "<h1>Bad gateway</h1>", contentType: "text/html" } },
      { tags },
    );
    const created = upstream.createdVoices[0]!;
    const resolved = await resolveCli(upstream, gateway, attemptId, "--voice-id", String(created.voice_id));
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(JSON.parse(resolved.stdout)).toEqual({ attemptId, status: "SUCCEEDED", voiceId: created.voice_id, stored: true });

    // Faseeh's list knows nothing of tags: they come from the attempt's recorded request.
    const replay = await cloneVoice(gateway, { input: { idempotencyKey: "unsure-2", tags } });
    expect(replay.body.data?.cloneVoice).toMatchObject({
      replayed: true,
      voice: { id: created.id, voiceId: created.voice_id, name: "Layla", tags: ["radio-drama", "warm"] },
    });
    expect(upstream.requests).toHaveLength(1);
  }, 60_000);

  test("--voice-id while Faseeh's voice list is unavailable: stored by a later recovery pass", async ({ gateway, upstream }) => {
    const attemptId = await unknownAttempt(upstream, gateway, "unsure-3", { kind: "createThen", then: { kind: "reset" } });
    const created = upstream.createdVoices[0]!;
    upstream.setVoiceList({ kind: "error", status: 404, errorMessage: "Not found" });
    const resolved = await resolveCli(upstream, gateway, attemptId, "--voice-id", String(created.voice_id));
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ status: "SUCCEEDED", stored: false });
    // Known to exist, not yet in the catalog: the client is told not to clone again.
    const early = await cloneVoice(gateway, { input: { idempotencyKey: "unsure-3" } });
    expect(early.body.errors?.[0]?.extensions).toMatchObject({ code: "VOICE_NOT_YET_STORED", voiceId: created.voice_id });

    expect(await gateway.container.recovery.reconcile()).toMatchObject({ resolvedStored: [], awaitingRecord: 1 });
    upstream.setVoiceList(undefined);
    expect(await gateway.container.recovery.reconcile()).toMatchObject({ resolvedStored: [created.voice_id], awaitingRecord: 0 });
    const replay = await cloneVoice(gateway, { input: { idempotencyKey: "unsure-3" } });
    expect(replay.body.data?.cloneVoice).toMatchObject({ replayed: true, voice: { voiceId: created.voice_id } });
  }, 60_000);

  test("refuses what it cannot do, saying why", async ({ gateway, upstream }) => {
    const ok = await cloneVoice(gateway);
    const notUnknown = await resolveCli(upstream, gateway, ok.body.data!.cloneVoice.attemptId, "--not-created");
    expect(notUnknown.code).toBe(1);
    expect(notUnknown.stderr).toMatch(/is SUCCEEDED; only UNKNOWN attempts/);
    const notAnId = await resolveCli(upstream, gateway, "fvg_abc", "--not-created");
    expect(notAnId.code).toBe(2);
    expect(notAnId.stderr).toMatch(/not an attempt id/);
    const both = await resolveCli(upstream, gateway, randomUUID(), "--not-created", "--voice-id", "v");
    expect(both.code).toBe(2);
    const missing = await resolveCli(upstream, gateway, randomUUID(), "--not-created");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No clone attempt has id/);
  }, 60_000);
});

describe("voices left in the journal", () => {
  test("are imported at the next boot", async ({ testDatabase, makeTempDir, startGateway }) => {
    const db = testDatabase;
    const recoveryDir = await makeTempDir("gw-recovery-");
    const entry = journalEntry("voice_left_behind");
    await writeFile(path.join(recoveryDir, `${entry.attemptId}.json`), JSON.stringify(entry));
    await startGateway({ testDatabase: db, env: { RECOVERY_DIR: recoveryDir } });
    const rows = await db.query("SELECT id, voice_id, gender, languages, tags FROM voices");
    // An entry from before tags: imported with none.
    expect(rows).toEqual([{ id: entry.voice.id, voice_id: "voice_left_behind", gender: "female", languages: ["ar"], tags: [] }]);
    expect(await readdir(recoveryDir)).toEqual([]);
  });

  test("are imported with the tags they carry", async ({ testDatabase, makeTempDir, startGateway }) => {
    const db = testDatabase;
    const recoveryDir = await makeTempDir("gw-recovery-");
    const entry = { ...journalEntry("voice_tagged"), tags: ["news", "warm-voice"] };
    await writeFile(path.join(recoveryDir, `${entry.attemptId}.json`), JSON.stringify(entry));
    await startGateway({ testDatabase: db, env: { RECOVERY_DIR: recoveryDir } });
    expect(await db.query("SELECT voice_id, tags FROM voices")).toEqual([
      { voice_id: "voice_tagged", tags: ["news", "warm-voice"] },
    ]);
    expect(await readdir(recoveryDir)).toEqual([]);
  });

  test("are imported by `npm run reconcile`, which prints a report", async ({ testDatabase, makeTempDir }) => {
    const db = testDatabase;
    const recoveryDir = await makeTempDir("gw-recovery-");
    const entries = [journalEntry("voice_cli_1"), journalEntry("voice_cli_2")];
    for (const entry of entries) await writeFile(path.join(recoveryDir, `${entry.attemptId}.json`), JSON.stringify(entry));
    await writeFile(path.join(recoveryDir, "broken.json"), "{ not json");

    const run = spawnTs("src/cli/reconcile.ts", { DATABASE_URL: db.url, RECOVERY_DIR: recoveryDir, LOG_LEVEL: "silent" });
    const exit = await run.waitForExit(30_000);
    expect(exit.code).toBe(0);
    const report = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as { imported: string[]; remaining: number };
    expect(report.imported.sort()).toEqual(["voice_cli_1", "voice_cli_2"]);
    expect(report.remaining).toBe(0);
    expect(
      (await db.query<{ voice_id: string }>("SELECT voice_id FROM voices ORDER BY voice_id")).map((row) => row.voice_id),
    ).toEqual(["voice_cli_1", "voice_cli_2"]);
    // The unreadable entry is kept aside for a human, not deleted.
    expect(await readdir(recoveryDir)).toEqual(["broken.json.corrupt"]);
  });
});

describe("attempt bookkeeping", () => {
  test("marks attempts a dead process left pending as UNKNOWN, and frees expired idempotency keys", async ({
    testDatabase,
    startGateway,
  }) => {
    const db = testDatabase;
    const gateway = await startGateway({ testDatabase: db });
    const old = new Date(Date.now() - 24 * 3_600_000);
    await db.query(
      `INSERT INTO clone_attempts (id, idempotency_key, request_hash, status, name, model, created_at, updated_at, expires_at)
       VALUES ($1, 'stale-key', 'h', 'PENDING', 'n', 'm', $2, $2, $3), ($4, 'live-key', 'h', 'PENDING', 'n', 'm', now(), now(), now() + interval '1 day')`,
      [randomUUID(), old, new Date(Date.now() - 1000), randomUUID()],
    );
    const report = await gateway.container.recovery.reconcile();
    expect(report).toMatchObject({ markedUnknown: 1, keysExpired: 1 });
    const rows = await db.query("SELECT idempotency_key, status FROM clone_attempts ORDER BY created_at");
    expect(rows).toEqual([
      { idempotency_key: null, status: "UNKNOWN" },
      { idempotency_key: "live-key", status: "PENDING" },
    ]);
  });

  test("lists attempts by status through the cloneAttempts query", async ({ upstream, startGateway }) => {
    const gateway = await startGateway({ upstream, env: { UPSTREAM_TIMEOUT_MS: "500" } });
    const ok = await cloneVoice(gateway, { input: { name: "Good" } });
    upstream.enqueue({ kind: "error", status: 402, errorMessage: "Insufficient wallet balance" });
    await cloneVoice(gateway, { input: { name: "Broke" } });
    upstream.enqueue({ kind: "reset" });
    await cloneVoice(gateway, { input: { name: "Unsure" } });

    const all = await gateway.graphql(CloneAttemptsByStatusDocument);
    expect(all.body.data!.cloneAttempts.map((attempt) => [attempt.name, attempt.status, attempt.errorCode])).toEqual([
      ["Unsure", "UNKNOWN", "UPSTREAM_OUTCOME_UNKNOWN"],
      ["Broke", "FAILED", "INSUFFICIENT_BALANCE"],
      ["Good", "SUCCEEDED", null],
    ]);
    const succeeded = await gateway.graphql(CloneAttemptsByStatusDocument, { status: "SUCCEEDED" });
    expect(succeeded.body.data!.cloneAttempts).toEqual([
      expect.objectContaining({
        name: "Good",
        voiceId: ok.body.data!.cloneVoice.voice.voiceId,
        voice: { voiceId: ok.body.data!.cloneVoice.voice.voiceId },
      }),
    ]);
    const bad = await gateway.graphql(`{ cloneAttempts(first: 500) { id } }`);
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
  });
});

// A journal directory that cannot be created must not stop a clone that the database can store.
describe("journal failures", () => {
  test("still stores the voice when the journal cannot be written", async ({ upstream, makeTempDir, startGateway }) => {
    const parent = await makeTempDir("gw-recovery-ro-");
    const blocker = path.join(parent, "file");
    await writeFile(blocker, "not a directory");
    const gateway = await startGateway({ upstream, env: { RECOVERY_DIR: path.join(blocker, "journal") } });
    const response = await cloneVoice(gateway);
    expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
    expect(await gateway.database!.query("SELECT id FROM voices")).toHaveLength(1);
    expect(gateway.logs.some((line) => line.msg === "could not journal a cloned voice")).toBe(true);
    await mkdir(parent, { recursive: true });
  });
});
