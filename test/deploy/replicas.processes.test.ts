// Several replicas behave as one. Two gateway processes (`src/main.ts`) share
// what the README's deployment section says replicas must share: one
// PostgreSQL database, one PREVIEW_DIR and RECOVERY_DIR (a shared volume), one
// PREVIEW_URL_SECRET and one Faseeh key (the project's HTTP fake of Faseeh).
// Every request goes through a round-robin TCP load balancer, one connection
// per request, so consecutive requests reach the replicas in turn; each
// answer says which replica served it (from that replica's request log line).
// The files are MiB-sized, spanning many stream chunks, and what Faseeh
// received is compared, size and SHA-256, with what the client sent.
import { Readable } from "node:stream";
import { filesOf } from "../../dev/fake-faseeh.js";
import { CloneVoiceDocument, PreviewVoiceDocument, RevokeApiKeyDocument } from "../generated/operations.js";
import { defaultCloneInput, pacedClone } from "../support/clone.js";
import { defaultPreviewInput, digestOf, previewRecording } from "../support/preview.js";
import { bigFiles, catalogRows, createKey, expect, LIST, listed, otherThan, replicaTest } from "../support/replica-fixtures.js";
import { releasable } from "../support/gate.js";
import { waitFor } from "../support/wait.js";

const TEST_TIMEOUT_MS = 180_000;

const withKeys = replicaTest();

withKeys(
  "a preview made through one replica plays through both and clones by previewId through the other",
  { timeout: TEST_TIMEOUT_MS },
  async ({ cluster, keys }) => {
    const { upstream } = cluster;
    upstream.reset();
    const recording = previewRecording(); // 3 MiB
    const made = await cluster.multipart(
      PreviewVoiceDocument,
      { input: defaultPreviewInput() },
      { "input.file": { content: recording, filename: "me.wav" } },
      keys.write,
    );
    expect(made.json.errors).toBeUndefined();
    const preview = made.json.data!.previewVoice;
    expect(filesOf(upstream.previewRequests[0]!)).toEqual({ file: digestOf(recording) });
    const pcm = upstream.previews[0]!;

    // Its signed URL names the load balancer, and either replica plays it (one secret, one volume).
    expect(preview.audioUrl.startsWith(`${cluster.proxy.url}/previews/${preview.id}.wav?`)).toBe(true);
    const audioPath = preview.audioUrl.slice(cluster.proxy.url.length);
    const plays = [await cluster.send(audioPath), await cluster.send(audioPath)];
    expect(plays.map((play) => play.servedBy).toSorted()).toEqual(["a", "b"]);
    for (const play of plays) {
      expect(play.status).toBe(200);
      expect(digestOf(play.body.subarray(44))).toEqual(pcm); // the WAV header, then Faseeh's PCM byte for byte
    }

    const cloned = await cluster.multipart(
      CloneVoiceDocument,
      { input: { previewId: preview.id, name: "Rasha", stability: 0.5 } },
      {},
      keys.write,
    );
    expect(cloned.servedBy).toBe(otherThan(cluster, made.servedBy));
    expect(cloned.json.errors).toBeUndefined();
    // The other replica sent Faseeh the preview's PCM and the recording the first one kept.
    expect(upstream.requests).toHaveLength(1);
    expect(filesOf(upstream.requests[0]!)).toEqual({ voice_file: pcm, reference_audio_file: digestOf(recording) });
    const voice = cloned.json.data!.cloneVoice.voice;
    expect(await catalogRows(cluster, [voice.voiceId])).toEqual([{ voice_id: voice.voiceId }]);
  },
);

withKeys(
  "a clone through one replica is in the very next list on the other, whose cached answer it made stale",
  { timeout: TEST_TIMEOUT_MS },
  async ({ cluster, keys }) => {
    const { upstream } = cluster;
    upstream.reset();
    // Each replica answers the list and keeps it; asked again, it serves it from its cache.
    const warm = [];
    for (let round = 0; round < 4; round += 1) warm.push(await cluster.graphql(LIST, {}, keys.read));
    expect(warm.map((answer) => [answer.servedBy, answer.line.cache])).toEqual([
      [warm[0]!.servedBy, "stored"],
      [warm[1]!.servedBy, "stored"],
      [warm[0]!.servedBy, "hit"],
      [warm[1]!.servedBy, "hit"],
    ]);
    expect(warm[0]!.servedBy).not.toBe(warm[1]!.servedBy);

    const { files, sent } = bigFiles(21);
    upstream.enqueue({ kind: "success", overrides: { voice_id: "v_nour" } });
    const cloned = await cluster.multipart(
      CloneVoiceDocument,
      { input: { ...defaultCloneInput(), name: "Nour" } },
      files,
      keys.write,
    );
    expect(cloned.json.errors).toBeUndefined();
    expect(upstream.requests.map(filesOf)).toEqual([sent]);

    const next = await cluster.graphql(LIST, {}, keys.read);
    expect(next.servedBy).toBe(otherThan(cluster, cloned.servedBy));
    expect(next.line.cache).toBe("stored"); // made afresh: the kept answer was stale
    expect(listed(next)[0]).toBe("v_nour");
    const onTheCloner = await cluster.graphql(LIST, {}, keys.read);
    expect(onTheCloner.servedBy).toBe(cloned.servedBy);
    expect(listed(onTheCloner)[0]).toBe("v_nour");
    const again = await cluster.graphql(LIST, {}, keys.read);
    expect([again.servedBy, again.line.cache, listed(again)]).toEqual([next.servedBy, "hit", listed(next)]);
  },
);

withKeys("a key revoked on one replica is refused by the other", { timeout: TEST_TIMEOUT_MS }, async ({ cluster, keys }) => {
  const doomed = await createKey(cluster, "doomed", "READ", keys.admin);
  // Both replicas accept it, and keep it in memory (API_KEY_CACHE_TTL_MS, 30 s).
  const accepted = [await cluster.graphql(LIST, {}, doomed.key), await cluster.graphql(LIST, {}, doomed.key)];
  expect(accepted.map((answer) => [answer.servedBy, answer.status]).toSorted()).toEqual([
    ["a", 200],
    ["b", 200],
  ]);

  const revoked = await cluster.graphql(RevokeApiKeyDocument, { key: doomed.id }, keys.admin);
  expect(revoked.json.errors).toBeUndefined();
  const other = otherThan(cluster, revoked.servedBy);
  // The announcement (NOTIFY at commit) reaches the other replica, which forgets the key...
  await cluster.replicas
    .get(other)!
    .proc.waitForLog(
      (line) => line.msg === "client key revoked: no longer trusted here" && line.keyId === doomed.id,
      10_000,
      "the revocation to reach the other replica",
    );
  // ...so its next request with the key is refused, like the revoking replica's.
  for (const expected of [other, revoked.servedBy]) {
    const refused = await cluster.graphql(LIST, {}, doomed.key);
    expect(refused.servedBy).toBe(expected);
    expect(refused.status).toBe(401);
    expect(refused.json.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(refused.json.data).toBeUndefined();
  }
});

withKeys(
  "the same idempotency key sent to both replicas at once makes one Faseeh call, and both get its voice",
  { timeout: TEST_TIMEOUT_MS },
  async ({ cluster, keys }) => {
    const { upstream } = cluster;
    upstream.reset();
    // Faseeh holds its answer until both requests have been sent in full, so they overlap.
    const answer = releasable();
    upstream.enqueue({ kind: "hold", until: answer.until, then: { kind: "success" } });
    const { voiceFile, referenceAudioFile, sent } = bigFiles(31);
    const input = { ...defaultCloneInput(), name: "Huda", idempotencyKey: "one-key-two-replicas" };
    let sentInFull = 0;
    const requests = [0, 1].map(() => {
      const paced = pacedClone({
        input,
        voiceFile: { content: voiceFile, filename: "preview.wav" },
        referenceAudioFile: { content: referenceAudioFile, filename: "original.wav" },
      });
      const body = Readable.from(paced.body()).on("end", () => (sentInFull += 1));
      return cluster.pacedMultipart<{ cloneVoice: { replayed: boolean; voice: { voiceId: string } } }>(paced, body, keys.write);
    });
    await waitFor(() => sentInFull === 2 && upstream.requests.length === 1, 60_000, "both requests sent, one at Faseeh");
    expect(upstream.inFlight).toBe(1);
    answer.release();
    const answers = await Promise.all(requests);

    expect(answers.map((answer) => answer.servedBy).toSorted()).toEqual(["a", "b"]);
    for (const answer of answers) expect(answer.json.errors).toBeUndefined();
    const results = answers.map((answer) => answer.json.data!.cloneVoice);
    expect(results.map((result) => result.replayed).toSorted()).toEqual([false, true]);
    expect(new Set(results.map((result) => result.voice.voiceId)).size).toBe(1);
    // One call, one voice, paid once.
    expect(upstream.requests).toHaveLength(1);
    expect(filesOf(upstream.requests[0]!)).toEqual(sent);
    expect(upstream.createdVoices).toHaveLength(1);
    expect(await catalogRows(cluster, [results[0]!.voice.voiceId])).toHaveLength(1);
    expect(
      await cluster.db.query("SELECT status FROM clone_attempts WHERE idempotency_key = $1", [input.idempotencyKey]),
    ).toEqual([{ status: "SUCCEEDED" }]);
  },
);
