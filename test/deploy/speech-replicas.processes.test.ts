// `speak` on several replicas (see replicas.processes.test.ts for the cluster:
// two gateway processes on one PostgreSQL database, one PREVIEW_DIR and one
// PREVIEW_URL_SECRET, the fake Faseeh). PostgreSQL decides which process calls
// Faseeh for a request (speech_audio's unique request hash); the others wait
// for its audio. Requests are sent to each replica directly, not through the
// load balancer, so a test knows which replica got which.
//
// SPEECH_CLAIM_STALE_MS is 2 s here (30 s by default), so a dead replica's
// claim is taken over within the test's patience.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { request } from "undici";
import type { FakeSpeechBehaviour } from "../../dev/fake-faseeh.js";
import { SpeakDocument, type SpeakMutation } from "../generated/operations.js";
import { releasable } from "../support/gate.js";
import { type GraphQLResponse, operationText } from "../support/gateway.js";
import { requestLine } from "../support/gateway-process.js";
import type { Cluster, Replica } from "../support/replica-cluster.js";
import { expect, replicaTest } from "../support/replica-fixtures.js";
import { recordOutput } from "../support/suite-record.js";
import { waitFor } from "../support/wait.js";

const TEST_TIMEOUT_MS = 60_000;
const VOICE_ID = "v_speech_replicas";
const STALE_CLAIM_MS = 2_000;

const test = replicaTest({ SPEECH_CLAIM_STALE_MS: String(STALE_CLAIM_MS) });

type Speech = SpeakMutation["speak"];

/** A catalog voice the fake also knows (upstream.reset() forgets it there, so it is added again per test). */
async function voiceInCatalog(cluster: Cluster): Promise<void> {
  await cluster.db.query(
    `INSERT INTO voices (id, voice_id, name, stability, model) VALUES ($1, $2, 'Layla', 0.5, 'faseeh-v1')
     ON CONFLICT (voice_id) DO NOTHING`,
    [randomUUID(), VOICE_ID],
  );
  cluster.upstream.reset();
  cluster.upstream.addVoices(VOICE_ID);
}

/** `speak` sent to this replica itself, with the answer and the replica's log line for it. */
async function speakAt(replica: Replica, text: string, key: string) {
  const requestId = randomUUID();
  const response = await request(`${replica.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "x-request-id": requestId },
    body: JSON.stringify({ query: operationText(SpeakDocument), variables: { input: { voiceId: VOICE_ID, text } } }),
  });
  const body = await response.body.text();
  recordOutput("gateway response", body);
  const json = JSON.parse(body) as GraphQLResponse<SpeakMutation>["body"];
  return { status: response.statusCode, json, line: await requestLine(replica.proc, requestId) };
}

/** The speech of an answer that must have succeeded. */
function spoken(answer: Awaited<ReturnType<typeof speakAt>>): Speech {
  expect(answer.json.errors, JSON.stringify(answer.json.errors)).toBeUndefined();
  return answer.json.data!.speak;
}

/** GET of a path on one replica, as an `<audio>` element sends it (no Authorization header). */
async function getAudio(replica: Replica, pathAndQuery: string, headers: Record<string, string> = {}) {
  const response = await request(`${replica.url}${pathAndQuery}`, { headers });
  return { status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
}

const audioPath = (speech: Speech): string => {
  const url = new URL(speech.audioUrl);
  return `${url.pathname}${url.search}`;
};
const audioId = (speech: Speech): string => /^\/speech\/([0-9a-f-]{36})\.wav$/.exec(new URL(speech.audioUrl).pathname)![1]!;
const digest = (bytes: Buffer) => ({ size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
const speechDir = (cluster: Cluster) => path.join(cluster.previewDir, "speech");

const audioRows = (cluster: Cluster, text: string) =>
  cluster.db.query<{ id: string; status: string; audio_bytes: string | null; audio_sha256: string | null }>(
    "SELECT id::text AS id, status, audio_bytes::text AS audio_bytes, audio_sha256 FROM speech_audio WHERE text = $1",
    [text],
  );

/** `speak` requests that got past the cache check, on every replica: each counts once in its key's rate-limit window. */
const speakRequestsCounted = async (cluster: Cluster): Promise<number> => {
  const [row] = await cluster.db.query<{ total: number }>(
    "SELECT coalesce(sum(count), 0)::int AS total FROM rate_limit_windows WHERE bucket LIKE 'speak:%'",
  );
  return row!.total;
};

test(
  "the same speak sent to both replicas at once makes one call to Faseeh, and both answer with its audio",
  { timeout: TEST_TIMEOUT_MS },
  async ({ cluster, keys }) => {
    await voiceInCatalog(cluster);
    const { upstream } = cluster;
    const text = "مرحبا بكم في فصيح";
    // Faseeh holds its answer until both replicas have the request and have looked for kept audio.
    const answer = releasable();
    upstream.enqueueSpeech({ kind: "hold", until: answer.until, then: { kind: "success" } });
    const counted = await speakRequestsCounted(cluster);
    const [a, b] = [cluster.replicas.get("a")!, cluster.replicas.get("b")!];
    const requests = [speakAt(a, text, keys.write), speakAt(b, text, keys.write)];
    await waitFor(
      async () =>
        upstream.speechRequests.length === 1 &&
        (await speakRequestsCounted(cluster)) === counted + 2 &&
        (await audioRows(cluster, text)).some((row) => row.status === "PENDING"),
      20_000,
      "both replicas to have the request, one claim, one call at Faseeh",
    );
    expect(upstream.inFlight).toBe(1);
    answer.release();
    const speeches = (await Promise.all(requests)).map(spoken);

    // One call, paid once; both answers carry its audio, one as the call's, the other as kept.
    expect(upstream.speechRequests).toHaveLength(1);
    expect(upstream.speeches).toHaveLength(1);
    expect(speeches.map((speech) => speech.cached).toSorted()).toEqual([false, true]);
    expect(new Set(speeches.map((speech) => new URL(speech.audioUrl).pathname)).size).toBe(1);
    expect(new Set(speeches.map((speech) => speech.id)).size).toBe(2);
    const rows = await audioRows(cluster, text);
    const sent = upstream.speeches[0]!;
    expect(rows).toEqual([
      { id: audioId(speeches[0]!), status: "READY", audio_bytes: String(sent.size), audio_sha256: sent.sha256 },
    ]);
    expect(await cluster.db.query("SELECT count(*)::int AS n FROM speeches WHERE audio_id = $1::uuid", [rows[0]!.id])).toEqual([
      { n: 2 },
    ]);
    // The PCM on the shared volume is what Faseeh sent, byte for byte.
    expect(digest(await readFile(path.join(speechDir(cluster), `${rows[0]!.id}.pcm`)))).toEqual({
      size: sent.size,
      sha256: sent.sha256,
    });
  },
);

test("audio made through one replica plays through the other", { timeout: TEST_TIMEOUT_MS }, async ({ cluster, keys }) => {
  await voiceInCatalog(cluster);
  const { upstream } = cluster;
  const speech = spoken(await speakAt(cluster.replicas.get("a")!, "صباح الخير يا أصدقاء", keys.write));
  expect(speech.cached).toBe(false);
  const sent = upstream.speeches[0]!;
  const other = cluster.replicas.get("b")!;

  const whole = await getAudio(other, audioPath(speech));
  expect(whole.status).toBe(200);
  expect(whole.body).toHaveLength(44 + sent.size); // the WAV header, then Faseeh's PCM byte for byte
  expect(digest(whole.body.subarray(44))).toEqual({ size: sent.size, sha256: sent.sha256 });

  const ranged = await getAudio(other, audioPath(speech), { range: "bytes=100-1099" });
  expect(ranged.status).toBe(206);
  expect(ranged.headers["content-range"]).toBe(`bytes 100-1099/${44 + sent.size}`);
  expect(ranged.body.equals(whole.body.subarray(100, 1100))).toBe(true);
  expect(upstream.speechRequests).toHaveLength(1);
});

test(
  "a replica killed mid-call leaves its claim; the other takes it over once stale and calls Faseeh once more",
  { timeout: TEST_TIMEOUT_MS },
  async ({ cluster, keys }) => {
    await voiceInCatalog(cluster);
    const { upstream } = cluster;
    const text = "أهلا وسهلا بكم جميعا";
    const [victim, survivor] = [cluster.replicas.get("a")!, cluster.replicas.get("b")!];
    // Faseeh pauses after its first bytes; the replica is killed (SIGKILL: nothing runs after) meanwhile.
    const paused = releasable();
    const midStream: FakeSpeechBehaviour = { kind: "holdMidStream", afterBytes: 16_384, until: paused.until };
    upstream.enqueueSpeech(midStream);
    const lost = speakAt(victim, text, keys.write).catch((error: unknown) => error);
    let claimId = "";
    await waitFor(
      async () => {
        claimId = (await audioRows(cluster, text))[0]?.id ?? "";
        const written = claimId ? await stat(path.join(speechDir(cluster), `${claimId}.part`)).catch(() => undefined) : undefined;
        return upstream.speechBytesSent >= midStream.afterBytes && (written?.size ?? 0) > 0;
      },
      20_000,
      "Faseeh to have sent the first bytes, and the replica to have written some",
    );
    await victim.proc.kill();
    expect(victim.proc.exitStatus).toEqual({ code: null, signal: "SIGKILL" });
    cluster.proxy.remove(victim.name);
    paused.release();
    expect(await lost).toBeInstanceOf(Error); // its client lost the connection with the process
    expect(await audioRows(cluster, text)).toEqual([{ id: claimId, status: "PENDING", audio_bytes: null, audio_sha256: null }]);
    expect(upstream.speeches).toHaveLength(0); // the first answer never went out whole

    // The same speak on the other replica waits out the dead claim, then calls Faseeh itself.
    const speech = spoken(await speakAt(survivor, text, keys.write));
    expect(speech.cached).toBe(false);
    expect(upstream.speechRequests).toHaveLength(2);
    expect(upstream.speeches).toHaveLength(1);
    const sent = upstream.speeches[0]!;
    const rows = await audioRows(cluster, text);
    expect(rows).toEqual([{ id: audioId(speech), status: "READY", audio_bytes: String(sent.size), audio_sha256: sent.sha256 }]);
    expect(rows[0]!.id).not.toBe(claimId);
    // The dead claim's partial audio is gone with its row; the new audio plays in full.
    expect((await readdir(speechDir(cluster))).filter((name) => name.startsWith(claimId))).toEqual([]);
    const played = await getAudio(survivor, audioPath(speech));
    expect(played.status).toBe(200);
    expect(digest(played.body.subarray(44))).toEqual({ size: sent.size, sha256: sent.sha256 });

    await cluster.start(victim.name); // back in the rotation, for whatever runs next
  },
);
