// What speak keeps, and what it does not: a failed call keeps nothing (the
// next identical request calls again); audio Faseeh produced for a client that
// left is kept for the next one; the sweeper removes expired speech; and
// PostgreSQL decides between processes: a claim still renewed is waited for,
// a dead process's claim is taken over, and its audio imported when it was
// kept whole (no second call).
import { randomUUID } from "node:crypto";
import { mkdir, readFile, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { fakeSpeechSamples, type FakeFaseeh } from "../../dev/fake-faseeh.js";
import { sha256 } from "../../dev/audio-fixtures.js";
import { SpeechesDocument } from "../generated/operations.js";
import { speechRequestHash } from "../../src/services/speech/speech-input.js";
import { describe, expect, test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";
import { fetchAudio } from "../support/preview.js";
import {
  audioIdOf,
  diacritisedText,
  expectNothingKept,
  seedVoice,
  speak,
  speakLeaving,
  SPEECH_TEXT,
  speechAudioRows,
  speechDir,
  speechFiles,
  speechRows,
  speaksCounted,
  spoken,
} from "../support/speech.js";
import { waitFor } from "../support/wait.js";

test.override("gatewayOptions", { env: { SPEAK_RATE_LIMIT_PER_MINUTE: "100000" } });

/** A catalog voice and the request `speak` makes of it with the defaults (model faseeh-v1, stability 0.5, speed 1). */
async function voiceAndRequest(gateway: TestGateway, upstream: FakeFaseeh, text = SPEECH_TEXT) {
  const voice = await seedVoice(gateway, upstream, { model: "faseeh-v1", stability: 0.5 });
  const request = { voiceId: voice.voiceId, text, modelId: "faseeh-v1", stability: 0.5, speed: 1 };
  return { input: { voiceId: voice.voiceId, text }, request, hash: speechRequestHash(request) };
}

type RequestSetup = Awaited<ReturnType<typeof voiceAndRequest>>;

/** Another process's claim on a request, as speech-store.ts writes it, last renewed `claimedSecondsAgo` ago. */
async function insertClaim(gateway: TestGateway, setup: RequestSetup, claimedSecondsAgo: number): Promise<string> {
  const id = randomUUID();
  const { request, hash } = setup;
  await gateway.database!.query(
    `INSERT INTO speech_audio (id, request_hash, voice_id, text, model_id, stability, speed, characters, status,
       claimed_by, claimed_at, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING', 'elsewhere:1',
       now() - make_interval(secs => $9), now() - make_interval(secs => $9), now() + interval '1 day')`,
    [
      id,
      hash,
      request.voiceId,
      request.text,
      request.modelId,
      request.stability,
      request.speed,
      Array.from(request.text).length,
      claimedSecondsAgo,
    ],
  );
  await mkdir(speechDir(gateway), { recursive: true });
  return id;
}

/** Writes `<id>.pcm` and its `<id>.json` record as the store keeps audio before marking its row. */
async function keepOnDisk(gateway: TestGateway, id: string, pcm: Buffer): Promise<void> {
  const record = { contentType: "audio/raw", sampleRate: 24_000, channels: 1, size: pcm.length, sha256: sha256(pcm) };
  await writeFile(path.join(speechDir(gateway), `${id}.pcm`), pcm);
  await writeFile(path.join(speechDir(gateway), `${id}.json`), JSON.stringify(record));
}

describe("a failed call keeps nothing, and the next identical request calls again", () => {
  test.for([
    ["a 500 (outcome unknown)", { kind: "error", status: 500 }, "UPSTREAM_OUTCOME_UNKNOWN"],
    ["a 400 refusal", { kind: "error", status: 400, errorMessage: "text is too long" }, "UPSTREAM_BAD_REQUEST"],
    ["a 402 (wallet empty)", { kind: "error", status: 402, errorCode: "40201" }, "INSUFFICIENT_BALANCE"],
    ["a reset mid-stream", { kind: "pcmThenReset", bytesBeforeReset: 256 * 1024 }, "UPSTREAM_OUTCOME_UNKNOWN"],
    ["PCM of half a sample too many", { kind: "pcm", bytes: Buffer.alloc(64 * 1024 + 1) }, "UPSTREAM_OUTCOME_UNKNOWN"],
    ["a billed call whose answer is lost", { kind: "createThen", then: { kind: "reset" } }, "UPSTREAM_OUTCOME_UNKNOWN"],
  ] as const)("%s", async ([, behaviour, code], { gateway, upstream }) => {
    const { input } = await voiceAndRequest(gateway, upstream, diacritisedText(400));
    upstream.enqueueSpeech(behaviour);
    const failed = await speak(gateway, input);
    expect(failed.body.errors?.[0]?.extensions?.code).toBe(code);
    expect(upstream.speechRequests).toHaveLength(1);
    await expectNothingKept(gateway, code);

    const retried = await spoken(gateway, input);
    expect(retried.cached).toBe(false);
    expect(upstream.speechRequests).toHaveLength(2);
    const pcm = await readFile(path.join(speechDir(gateway), `${audioIdOf(retried.audioUrl)}.pcm`));
    expect(sha256(pcm)).toBe(upstream.speeches.at(-1)!.sha256);
  });
});

test("identical requests sharing a call that fails all answer its error; nothing is kept", async ({ gateway, upstream }) => {
  const { input } = await voiceAndRequest(gateway, upstream);
  let release!: () => void;
  const until = new Promise<void>((resolve) => (release = resolve));
  upstream.enqueueSpeech({ kind: "hold", until, then: { kind: "error", status: 402, errorCode: "40201" } });
  const answers = Array.from({ length: 3 }, () => speak(gateway, input));
  await waitFor(() => upstream.speechRequests.length === 1, 10_000, "the call reaching Faseeh");
  await waitFor(async () => (await speaksCounted(gateway)) === 3, 10_000, "all three requests waiting");
  release();
  const codes = (await Promise.all(answers)).map((response) => response.body.errors?.[0]?.extensions?.code);
  expect(codes).toEqual(["INSUFFICIENT_BALANCE", "INSUFFICIENT_BALANCE", "INSUFFICIENT_BALANCE"]);
  expect(upstream.speechRequests).toHaveLength(1);
  await expectNothingKept(gateway, "INSUFFICIENT_BALANCE");
  expect((await spoken(gateway, input)).cached).toBe(false);
  expect(upstream.speechRequests).toHaveLength(2);
});

test("a 429 with a short Retry-After is retried within the same speak, into a fresh file", async ({ gateway, upstream }) => {
  const { input } = await voiceAndRequest(gateway, upstream);
  upstream.enqueueSpeech({ kind: "error", status: 429, headers: { "Retry-After": "1" } });
  const speech = await spoken(gateway, input);
  expect(speech.cached).toBe(false);
  expect(upstream.speechRequests).toHaveLength(2);
  const pcm = await readFile(path.join(speechDir(gateway), `${audioIdOf(speech.audioUrl)}.pcm`));
  expect(sha256(pcm)).toBe(upstream.speeches[0]!.sha256);
});

test("a client that leaves mid-stream does not lose the audio: the next identical request gets it, with no call", async ({
  gateway,
  upstream,
}) => {
  const { input } = await voiceAndRequest(gateway, upstream, diacritisedText(1000));
  const longInput = { ...input, speed: 0.7 };
  const afterBytes = 1024 * 1024;
  let release!: () => void;
  upstream.enqueueSpeech({ kind: "holdMidStream", afterBytes, until: new Promise<void>((resolve) => (release = resolve)) });
  const client = new AbortController();
  const leaving = speakLeaving(gateway, longInput, client.signal).then(
    () => "answered",
    () => "left",
  );
  await waitFor(() => upstream.speechBytesSent >= afterBytes, 10_000, "Faseeh's first MiB");
  client.abort();
  expect(await leaving).toBe("left");
  release();
  await waitFor(
    async () => (await speechAudioRows(gateway))[0]?.status === "READY",
    20_000,
    "the speech kept after its client left",
  );
  const sent = upstream.speeches[0]!;
  expect(sent.size).toBe(2 * fakeSpeechSamples(longInput.text, 0.7));
  // The call ran to its end for the client that left, which finds it in `speeches`.
  await waitFor(async () => (await speechRows(gateway)).length === 1, 10_000, "the answer recorded for the client that left");
  expect((await speechRows(gateway))[0]).toMatchObject({ cached: false, audio_id: (await speechAudioRows(gateway))[0]!.id });

  const later = await spoken(gateway, longInput);
  expect(later.cached).toBe(true);
  expect(upstream.speechRequests).toHaveLength(1);
  const pcm = await readFile(path.join(speechDir(gateway), `${audioIdOf(later.audioUrl)}.pcm`));
  expect({ size: pcm.length, sha256: sha256(pcm) }).toEqual({ size: sent.size, sha256: sent.sha256 });
});

describe("expiry", () => {
  test("the sweeper removes expired speech (rows, answers, files); the URL then 404s and speak calls again", async ({
    gateway,
    upstream,
  }) => {
    const { input } = await voiceAndRequest(gateway, upstream);
    const speech = await spoken(gateway, input);
    expect((await spoken(gateway, input)).cached).toBe(true);
    const audioId = audioIdOf(speech.audioUrl);
    expect(await speechFiles(gateway)).toEqual([`${audioId}.json`, `${audioId}.pcm`]);
    await gateway.database!.query("UPDATE speech_audio SET expires_at = now() - interval '1 second'");

    expect(await gateway.container.speech.sweep()).toBe(1);
    expect(await speechAudioRows(gateway)).toEqual([]);
    expect(await speechRows(gateway)).toEqual([]);
    expect(await speechFiles(gateway)).toEqual([]);
    expect((await fetchAudio(speech.audioUrl)).status).toBe(404);

    const again = await spoken(gateway, input);
    expect(again.cached).toBe(false);
    expect(upstream.speechRequests).toHaveLength(2);
  });

  test("expired speech not swept yet is not served: speak replaces it with a new call", async ({ gateway, upstream }) => {
    const { input } = await voiceAndRequest(gateway, upstream);
    const speech = await spoken(gateway, input);
    await gateway.database!.query("UPDATE speech_audio SET expires_at = now() - interval '1 second'");
    expect((await fetchAudio(speech.audioUrl)).status).toBe(404);
    expect((await gateway.graphql(SpeechesDocument)).body.data?.speeches.nodes).toEqual([]);
    const again = await spoken(gateway, input);
    expect(again.cached).toBe(false);
    expect(upstream.speechRequests).toHaveLength(2);
    expect(audioIdOf(again.audioUrl)).not.toBe(audioIdOf(speech.audioUrl));
    expect(await speechFiles(gateway)).toEqual([`${audioIdOf(again.audioUrl)}.json`, `${audioIdOf(again.audioUrl)}.pcm`]);
  });

  test("the sweeper removes files no row names once they are an hour old, and leaves younger ones", async ({ gateway }) => {
    await mkdir(speechDir(gateway), { recursive: true });
    const [old, young] = [randomUUID(), randomUUID()];
    for (const id of [old, young]) await writeFile(path.join(speechDir(gateway), `${id}.pcm`), Buffer.alloc(96));
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(path.join(speechDir(gateway), `${old}.pcm`), twoHoursAgo, twoHoursAgo);
    expect(await gateway.container.speech.sweep()).toBe(0);
    expect(await speechFiles(gateway)).toEqual([`${young}.pcm`]);
  });
});

describe("claims in PostgreSQL", () => {
  test("a claim another process still renews is waited for: its audio answers, with no call from here", async ({
    gateway,
    upstream,
  }) => {
    const setup = await voiceAndRequest(gateway, upstream);
    const id = await insertClaim(gateway, setup, 0);
    const answer = speak(gateway, setup.input);
    // Past the rate limit, the request is waiting on the other process's claim.
    await waitFor(async () => (await speaksCounted(gateway)) === 1, 10_000, "the request waiting");
    const pcm = Buffer.alloc(2 * fakeSpeechSamples(SPEECH_TEXT), 7);
    await keepOnDisk(gateway, id, pcm);
    await gateway.database!.query(
      `UPDATE speech_audio SET status = 'READY', claimed_by = NULL, claimed_at = NULL, audio_content_type = 'audio/raw',
         sample_rate = 24000, channels = 1, audio_bytes = $2, audio_sha256 = $3 WHERE id = $1`,
      [id, pcm.length, sha256(pcm)],
    );
    const speech = (await answer).body.data!.speak;
    expect(speech.cached).toBe(true);
    expect(audioIdOf(speech.audioUrl)).toBe(id);
    expect(upstream.speechRequests).toHaveLength(0);
    expect((await fetchAudio(speech.audioUrl)).body.subarray(44).equals(pcm)).toBe(true);
  });

  test("two gateways on one database and one PREVIEW_DIR make one call for the same request", async ({
    gateway,
    upstream,
    startGateway,
  }) => {
    const replica = await startGateway({
      upstream,
      testDatabase: gateway.database!,
      env: { PREVIEW_DIR: gateway.container.config.previews.dir, SPEAK_RATE_LIMIT_PER_MINUTE: "100000" },
    });
    const { input } = await voiceAndRequest(gateway, upstream);
    let release!: () => void;
    upstream.enqueueSpeech({
      kind: "hold",
      until: new Promise<void>((resolve) => (release = resolve)),
      then: { kind: "success" },
    });
    const first = speak(gateway, input);
    await waitFor(() => upstream.speechRequests.length === 1, 10_000, "the first gateway's call reaching Faseeh");
    const second = speak(replica, input);
    // Both requests passed the rate limit: the replica's is waiting on the first gateway's claim.
    await waitFor(async () => (await speaksCounted(gateway)) === 2, 10_000, "the replica's request waiting");
    release();
    const [made, shared] = [(await first).body.data!.speak, (await second).body.data!.speak];
    expect([made.cached, shared.cached]).toEqual([false, true]);
    expect(audioIdOf(shared.audioUrl)).toBe(audioIdOf(made.audioUrl));
    expect(upstream.speechRequests).toHaveLength(1);
    const audio = await fetchAudio(shared.audioUrl);
    expect(sha256(audio.body.subarray(44))).toBe(upstream.speeches[0]!.sha256);
  });

  test("a dead process's claim is taken over: its partial audio goes, and Faseeh is called once", async ({
    gateway,
    upstream,
  }) => {
    const setup = await voiceAndRequest(gateway, upstream);
    const stale = await insertClaim(gateway, setup, 3600);
    await writeFile(path.join(speechDir(gateway), `${stale}.part`), Buffer.alloc(4096));
    const speech = await spoken(gateway, setup.input);
    expect(speech.cached).toBe(false);
    expect(upstream.speechRequests).toHaveLength(1);
    const audioId = audioIdOf(speech.audioUrl);
    expect(audioId).not.toBe(stale);
    expect(await speechAudioRows(gateway)).toEqual([expect.objectContaining({ id: audioId, status: "READY" })]);
    expect(await speechFiles(gateway)).toEqual([`${audioId}.json`, `${audioId}.pcm`]);
  });

  test("a dead process's audio kept whole on disk is imported: cached, with no call", async ({ gateway, upstream }) => {
    const setup = await voiceAndRequest(gateway, upstream);
    const stale = await insertClaim(gateway, setup, 3600);
    const pcm = Buffer.alloc(2 * fakeSpeechSamples(SPEECH_TEXT), 3);
    await keepOnDisk(gateway, stale, pcm);
    const speech = await spoken(gateway, setup.input);
    expect(speech.cached).toBe(true);
    expect(upstream.speechRequests).toHaveLength(0);
    expect(audioIdOf(speech.audioUrl)).toBe(stale);
    expect(speech.durationSeconds).toBeCloseTo(pcm.length / 48_000, 6);
    expect(await speechAudioRows(gateway)).toEqual([
      expect.objectContaining({ id: stale, status: "READY", audio_bytes: String(pcm.length), audio_sha256: sha256(pcm) }),
    ]);
    const audio = await fetchAudio(speech.audioUrl);
    expect(audio.status).toBe(200);
    expect(audio.body.subarray(44).equals(pcm)).toBe(true);
  });
});
