// Several replicas behave as one when one of them stops, or when both recover
// at once (see replicas.processes.test.ts for the cluster): SIGTERM to a
// replica while Faseeh works on its clone (the fake holds its answer until the
// signal is sent), with and without its database; and both replicas' recovery
// passes over one shared journal. Nothing is lost and nothing is paid twice:
// counted at the fake (calls, the files' sizes and SHA-256, voices created)
// and in the catalog (one row per voice).
import { mkdir, readdir, rename } from "node:fs/promises";
import path from "node:path";
import { filesOf } from "../../dev/fake-faseeh.js";
import { loadConfig } from "../../src/config.js";
import { openDatabase } from "../../src/db/database.js";
import { createLogger } from "../../src/logger.js";
import { VoiceJournal } from "../../src/services/clone/voice-journal.js";
import { CloneVoiceDocument } from "../generated/operations.js";
import { defaultCloneInput } from "../support/clone.js";
import { isMsg } from "../support/gateway-process.js";
import { journalVoices } from "../support/journaled-voices.js";
import type { Cluster, Replica } from "../support/replica-cluster.js";
import { bigFiles, catalogRows, expect, type Keys, LIST, otherThan, replicaTest } from "../support/replica-fixtures.js";
import { releasable } from "../support/gate.js";
import { waitFor } from "../support/wait.js";

const TEST_TIMEOUT_MS = 180_000;
/** The replicas' recovery passes run often here, so a test waits for one briefly (for its effect, never a set time). */
const test = replicaTest({ RECOVERY_INTERVAL_MS: "200" });

interface CloneData {
  cloneVoice: { attemptId: string; replayed: boolean; voice: { voiceId: string } };
}

const journalFiles = async (cluster: Cluster) =>
  (await readdir(cluster.recoveryDir).catch(() => [])).filter((name) => name.endsWith(".json"));

const attemptStatuses = (cluster: Cluster, idempotencyKeys: string[]) =>
  cluster.db.query(
    "SELECT idempotency_key, status FROM clone_attempts WHERE idempotency_key = ANY($1) ORDER BY idempotency_key",
    [idempotencyKeys],
  );

/** Sends a clone whose answer the fake holds; returns once Faseeh has the whole request, with the replica it went to. */
async function cloneHeldAtFaseeh(cluster: Cluster, keys: Keys, input: Record<string, unknown>, seed: number) {
  const answer = releasable();
  cluster.upstream.enqueue({ kind: "hold", until: answer.until, then: { kind: "success" } });
  const { files, sent } = bigFiles(seed);
  const target = cluster.proxy.next;
  const inFlight = cluster.multipart<CloneData>(
    CloneVoiceDocument,
    { input: { ...defaultCloneInput(), ...input } },
    files,
    keys.write,
  );
  await waitFor(() => cluster.upstream.requests.length === 1, 60_000, "Faseeh to have the whole request");
  expect(cluster.proxy.chosen.at(-1)).toBe(target);
  return { inFlight, release: answer.release, sent, victim: cluster.replicas.get(target)! };
}

/** SIGTERM; the load balancer takes the replica out of its rotation, as an orchestrator does when its /readyz answers 503. */
async function terminate(cluster: Cluster, victim: Replica): Promise<void> {
  victim.proc.child.kill("SIGTERM");
  await victim.proc.waitForLog(isMsg("shutting down: draining in-flight requests"), 10_000, "the shutdown to begin");
  cluster.proxy.remove(victim.name);
}

/** A rolling restart: the replica comes back on the same database and volume, and both serve. */
async function restart(cluster: Cluster, name: string, keys: Keys): Promise<void> {
  await cluster.start(name);
  const reads = [await cluster.graphql(LIST, {}, keys.read), await cluster.graphql(LIST, {}, keys.read)];
  expect(reads.map((read) => [read.servedBy, read.status]).toSorted()).toEqual([
    ["a", 200],
    ["b", 200],
  ]);
}

test(
  "SIGTERM to a replica mid-clone: its clone completes, the other keeps serving, nothing is lost or paid twice",
  { timeout: TEST_TIMEOUT_MS },
  async ({ cluster, keys }) => {
    const { upstream } = cluster;
    upstream.reset();
    const held = await cloneHeldAtFaseeh(cluster, keys, { name: "Salma", idempotencyKey: "sigterm-completes" }, 41);
    const survivor = otherThan(cluster, held.victim.name);
    await terminate(cluster, held.victim);

    // The other replica keeps serving: reads, and a clone of its own.
    const read = await cluster.graphql(LIST, {}, keys.read);
    expect([read.servedBy, read.status]).toEqual([survivor, 200]);
    const second = bigFiles(43);
    const own = await cluster.multipart<CloneData>(
      CloneVoiceDocument,
      { input: { ...defaultCloneInput(), name: "Maha", idempotencyKey: "survivor-own" } },
      second.files,
      keys.write,
    );
    expect(own.servedBy).toBe(survivor);
    expect(own.json.errors).toBeUndefined();
    expect(upstream.createdVoices).toHaveLength(1); // the survivor's: Faseeh still holds the other answer

    held.release();
    const finished = await held.inFlight;
    expect(finished.servedBy).toBe(held.victim.name);
    expect(finished.json.errors).toBeUndefined();
    expect(await held.victim.proc.waitForExit(30_000)).toEqual({ code: 0, signal: null });
    expect(held.victim.proc.logs.find(isMsg("shutdown: clones settled"))).toMatchObject({
      finished: 1,
      abandoned: 0,
      aborted: 0,
    });

    // Two calls, each with the bytes its client sent; two voices, one catalog row each; both attempts SUCCEEDED.
    expect(upstream.requests.map(filesOf)).toEqual([held.sent, second.sent]);
    const voiceIds = [finished, own].map((answer) => answer.json.data!.cloneVoice.voice.voiceId).toSorted();
    expect(upstream.createdVoices.map((voice) => voice.voice_id).toSorted()).toEqual(voiceIds);
    expect(await catalogRows(cluster, voiceIds)).toEqual(voiceIds.map((voiceId) => ({ voice_id: voiceId })));
    expect(await attemptStatuses(cluster, ["sigterm-completes", "survivor-own"])).toEqual([
      { idempotency_key: "sigterm-completes", status: "SUCCEEDED" },
      { idempotency_key: "survivor-own", status: "SUCCEEDED" },
    ]);
    await waitFor(async () => (await journalFiles(cluster)).length === 0, 10_000, "the journal to be empty");

    await restart(cluster, held.victim.name, keys);
  },
);

test(
  "SIGTERM to a replica mid-clone whose database is gone: its voice is journaled on the shared volume and the other replica imports it",
  { timeout: TEST_TIMEOUT_MS },
  async ({ cluster, keys }) => {
    const { upstream } = cluster;
    upstream.reset();
    const input = { name: "Dana", idempotencyKey: "sigterm-journaled" };
    const held = await cloneHeldAtFaseeh(cluster, keys, input, 51);
    const survivor = cluster.replicas.get(otherThan(cluster, held.victim.name))!;
    await terminate(cluster, held.victim);
    held.victim.database.cut(); // the replica holding the clone can no longer store what Faseeh answers
    held.release();

    const answer = await held.inFlight;
    const created = upstream.createdVoices[0]!;
    expect(answer.servedBy).toBe(held.victim.name);
    expect(answer.json.errors?.[0]?.extensions).toMatchObject({ code: "VOICE_NOT_YET_STORED", voiceId: created.voice_id });
    expect(await held.victim.proc.waitForExit(30_000)).toEqual({ code: 0, signal: null });

    // The other replica's recovery pass imports it from the shared journal, once.
    await waitFor(
      async () => (await catalogRows(cluster, [created.voice_id!])).length === 1 && (await journalFiles(cluster)).length === 0,
      30_000,
      "the other replica to import the journaled voice",
    );
    const recovered = survivor.proc.logs.filter(
      (line) => line.msg === "recovered a cloned voice into the catalog" && line.voiceId === created.voice_id,
    );
    expect(recovered).toHaveLength(1);

    // The client retries with its key, through the other replica: the same voice, and Faseeh is not called again.
    const retried = await cluster.multipart<CloneData>(
      CloneVoiceDocument,
      { input: { ...defaultCloneInput(), ...input } },
      bigFiles(51).files,
      keys.write,
    );
    expect(retried.servedBy).toBe(survivor.name);
    expect(retried.json.errors).toBeUndefined();
    expect(retried.json.data!.cloneVoice).toMatchObject({ replayed: true, voice: { voiceId: created.voice_id } });
    expect(upstream.requests.map(filesOf)).toEqual([held.sent]);
    expect(upstream.createdVoices).toHaveLength(1);
    expect(await attemptStatuses(cluster, [input.idempotencyKey])).toEqual([
      { idempotency_key: input.idempotencyKey, status: "SUCCEEDED" },
    ]);

    held.victim.database.restore();
    await restart(cluster, held.victim.name, keys);
  },
);

test(
  "the recovery passes of two replicas never import one journal entry twice",
  { timeout: TEST_TIMEOUT_MS },
  async ({ cluster }) => {
    // Voices Faseeh created that a replica could not store, as it leaves them: attempts PENDING in the
    // database, entries written to the side, then moved into the shared journal in one burst, while
    // both replicas' passes run (every 200 ms, each pass longer than that with this many entries).
    const silent = createLogger({ logLevel: "silent" });
    const db = await openDatabase(loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: cluster.db.url }), silent);
    const staging = path.join(path.dirname(cluster.recoveryDir), "journal-to-be");
    let entries;
    try {
      entries = await journalVoices(db.prisma, new VoiceJournal(staging, silent), 150);
    } finally {
      await db.close();
    }
    await mkdir(cluster.recoveryDir, { recursive: true });
    for (const name of await readdir(staging)) await rename(path.join(staging, name), path.join(cluster.recoveryDir, name));

    const voiceIds = entries.map((entry) => entry.voice.voiceId).toSorted();
    const imports = () =>
      [...cluster.replicas.values()].flatMap((replica) =>
        replica.proc.logs
          .filter((line) => line.msg === "recovered a cloned voice into the catalog" && voiceIds.includes(String(line.voiceId)))
          .map((line) => String(line.voiceId)),
      );
    await waitFor(
      async () => (await journalFiles(cluster)).length === 0 && imports().length >= voiceIds.length,
      60_000,
      "the replicas to import every entry",
    );
    // Each entry imported by exactly one replica; one catalog row per entry; every attempt SUCCEEDED.
    expect(imports().toSorted()).toEqual(voiceIds);
    expect(await catalogRows(cluster, voiceIds)).toEqual(voiceIds.map((voiceId) => ({ voice_id: voiceId })));
    expect(
      await cluster.db.query("SELECT status, count(*)::int AS count FROM clone_attempts WHERE id = ANY($1) GROUP BY status", [
        entries.map((entry) => entry.attemptId),
      ]),
    ).toEqual([{ status: "SUCCEEDED", count: voiceIds.length }]);
  },
);
