// speak over real HTTP, real PostgreSQL and the real fake Faseeh: every
// refusal before anything is sent, the first call (Faseeh's PCM kept byte for
// byte, served as WAV with Range, HEAD and ETag behind a signed URL), and the
// cache: a repeat, or identical requests at once, make one call.
import { createHmac, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_FAKE_MODELS, fakeSpeechSamples } from "../../dev/fake-faseeh.js";
import { sha256 } from "../../dev/audio-fixtures.js";
import { bearer, issueKey } from "../support/api-keys.js";
import { describe, expect, test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";
import { fetchAudio } from "../support/preview.js";
import {
  audioIdOf,
  diacritisedText,
  seedVoice,
  speak,
  SPEECH_TEXT,
  speechAudioRows,
  speechDir,
  speechFiles,
  speechRows,
  speaksCounted,
  spoken,
} from "../support/speech.js";
import { recordSecret } from "../support/suite-record.js";
import { waitFor } from "../support/wait.js";

const SECRET = "speech-url-secret-for-tests-0123456789";
recordSecret(SECRET);
test.override("gatewayOptions", { env: { PREVIEW_URL_SECRET: SECRET, SPEAK_RATE_LIMIT_PER_MINUTE: "100000" } });

const VALID_IDS = DEFAULT_FAKE_MODELS.map((model) => model.model_id).join(", ");
/** 1,000 code points (the default SPEAK_MAX_CHARACTERS): Arabic with diacritics and emoji, more UTF-16 units, fewer graphemes. */
const LONG_TEXT = `${diacritisedText(990)}${"👋".repeat(10)}`;

/** A URL signed the way the gateway signs speech's, for any kind, id and expiry. */
function signedUrl(gateway: TestGateway, kind: "speech" | "previews", id: string, expires: number): string {
  const label = kind === "speech" ? "speech-audio" : "preview-audio";
  const token = createHmac("sha256", SECRET).update(`${label}\n${id}\n${expires}`).digest("base64url");
  return `${gateway.url}/${kind}/${id}.wav?expires=${expires}&token=${token}`;
}

async function expectNothingSpoken(gateway: TestGateway, upstream: { speechRequests: unknown[] }) {
  expect(upstream.speechRequests).toHaveLength(0);
  expect(await speechAudioRows(gateway)).toEqual([]);
  expect(await speechRows(gateway)).toEqual([]);
  expect(await speechFiles(gateway)).toEqual([]);
}

describe("speak refuses before anything is sent to Faseeh", () => {
  test.for([
    ["blank text", { text: "  \n " }, "input.text", "must not be blank"],
    ["1,001 code points (501 graphemes)", { text: diacritisedText(1001) }, "input.text", "at most 1000 characters"],
    ["speed 0.69", { speed: 0.69 }, "input.speed", "between 0.7 and 1.2"],
    ["speed 1.21", { speed: 1.21 }, "input.speed", "between 0.7 and 1.2"],
    ["stability 1.5", { stability: 1.5 }, "input.stability", "between 0 and 1"],
    ["a blank model", { modelId: " " }, "input.modelId", "must not be blank"],
  ] as const)("%s", async ([, input, field, message], { gateway, upstream }) => {
    const voice = await seedVoice(gateway, upstream);
    const response = await speak(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT, ...input });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(response.body.errors?.[0]?.message).toContain(message);
    await expectNothingSpoken(gateway, upstream);
  });

  test("a voice that is not in the catalog: NOT_FOUND", async ({ gateway, upstream }) => {
    upstream.addVoices("voice_faseeh_only"); // Faseeh knows it; the catalog does not
    const response = await speak(gateway, { voiceId: "voice_faseeh_only", text: SPEECH_TEXT });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND", field: "input.voiceId" });
    expect(response.body.errors?.[0]?.message).toContain('"voice_faseeh_only"');
    await expectNothingSpoken(gateway, upstream);
  });

  test("an archived voice: VOICE_ARCHIVED", async ({ gateway, upstream }) => {
    const voice = await seedVoice(gateway, upstream, { name: "Layla" });
    const archivedAt = new Date("2026-11-30T10:00:00.000Z");
    await gateway.container.db.prisma.voice.update({ where: { id: voice.id }, data: { archivedAt } });
    const response = await speak(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({
      code: "VOICE_ARCHIVED",
      field: "input.voiceId",
      archivedAt: archivedAt.toISOString(),
    });
    expect(response.body.errors?.[0]?.message).toContain("restoreVoice");
    await expectNothingSpoken(gateway, upstream);
  });

  test("a model Faseeh does not offer: the same refusal as a clone's", async ({ gateway, upstream }) => {
    const voice = await seedVoice(gateway, upstream);
    const response = await speak(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT, modelId: "faseeh-v9" });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.modelId" });
    expect(response.body.errors?.[0]?.message).toBe(
      `\`input.modelId\` "faseeh-v9" is not a Faseeh model. Valid ids: ${VALID_IDS}.`,
    );
    await expectNothingSpoken(gateway, upstream);
  });

  test("a read key: FORBIDDEN", async ({ gateway, upstream }) => {
    const voice = await seedVoice(gateway, upstream);
    const reader = await issueKey(gateway, "listener", "read");
    const response = await speak(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT }, bearer(reader.key));
    expect(response.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    await expectNothingSpoken(gateway, upstream);
  });

  test("a gateway without a Faseeh key: UPSTREAM_NOT_CONFIGURED", async ({ startGateway, upstream }) => {
    const unconfigured = await startGateway();
    const voice = await seedVoice(unconfigured, upstream);
    const response = await speak(unconfigured, { voiceId: voice.voiceId, text: SPEECH_TEXT });
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_NOT_CONFIGURED");
    await expectNothingSpoken(unconfigured, upstream);
  });
});

describe("the first speak", () => {
  test("sends Faseeh the voice's own model and stability, the trimmed text, speed 1, streaming", async ({
    gateway,
    upstream,
  }) => {
    const voice = await seedVoice(gateway, upstream, { model: "faseeh-v1-pro", stability: 0.65 });
    const speech = await spoken(gateway, { voiceId: voice.voiceId, text: `  ${SPEECH_TEXT}\n` });
    expect(upstream.speechRequests).toHaveLength(1);
    const received = upstream.speechRequests[0]!;
    expect(received.modelId).toBe("faseeh-v1-pro");
    expect(received.apiKey).toBe(upstream.apiKey);
    expect(received.body).toEqual({ voice_id: voice.voiceId, text: SPEECH_TEXT, stability: 0.65, speed: 1, streaming: true });
    const samples = fakeSpeechSamples(SPEECH_TEXT, 1);
    expect(speech).toMatchObject({
      voiceId: voice.voiceId,
      text: SPEECH_TEXT,
      modelId: "faseeh-v1-pro",
      stability: 0.65,
      speed: 1,
      characters: 17,
      cached: false,
    });
    expect(speech.durationSeconds).toBeCloseTo(samples / 24_000, 6);
    expect(new Date(speech.expiresAt).getTime() - new Date(speech.createdAt).getTime()).toBeGreaterThan(24 * 3_600_000 - 60_000);
    expect(upstream.speeches).toEqual([
      { size: samples * 2, sha256: expect.any(String) as string, characters: 17, streaming: true },
    ]);
    expect(upstream.billedCharacters).toBe(17);
    const audioId = audioIdOf(speech.audioUrl);
    expect(await speechAudioRows(gateway)).toEqual([
      expect.objectContaining({
        id: audioId,
        status: "READY",
        audio_bytes: String(samples * 2),
        audio_sha256: upstream.speeches[0]!.sha256,
      }),
    ]);
    expect(await speechRows(gateway)).toEqual([{ id: speech.id, owner: "anonymous", audio_id: audioId, cached: false }]);
    expect(await speechFiles(gateway)).toEqual([`${audioId}.json`, `${audioId}.pcm`]);
  });

  test("keeps several MiB of Faseeh's PCM byte for byte and serves it as a WAV whose length is durationSeconds", async ({
    gateway,
    upstream,
  }) => {
    expect(Array.from(LONG_TEXT)).toHaveLength(1000);
    expect(LONG_TEXT.length).toBeGreaterThan(1000); // UTF-16 units: more than what is billed
    const voice = await seedVoice(gateway, upstream);
    const speech = await spoken(gateway, { voiceId: voice.voiceId, text: LONG_TEXT, speed: 0.7 });
    expect(speech.characters).toBe(1000);
    const sent = upstream.speeches[0]!;
    expect(sent.size).toBe(2 * fakeSpeechSamples(LONG_TEXT, 0.7));
    expect(sent.size).toBeGreaterThan(5 * 1024 * 1024); // many chunks of 16 KiB

    const audioId = audioIdOf(speech.audioUrl);
    const pcm = await readFile(path.join(speechDir(gateway), `${audioId}.pcm`));
    expect({ size: pcm.length, sha256: sha256(pcm) }).toEqual({ size: sent.size, sha256: sent.sha256 });

    const { status, headers, body } = await fetchAudio(speech.audioUrl);
    expect(status).toBe(200);
    expect(headers["content-type"]).toBe("audio/wav");
    expect(headers["accept-ranges"]).toBe("bytes");
    expect(headers.etag).toBe(`"${sent.sha256.slice(0, 32)}"`);
    expect(Number(headers["content-length"])).toBe(44 + sent.size);
    expect(body.subarray(44).equals(pcm)).toBe(true);
    expect(body.toString("ascii", 0, 4)).toBe("RIFF");
    expect([body.readUInt16LE(22), body.readUInt32LE(24), body.readUInt16LE(34)]).toEqual([1, 24_000, 16]);
    expect(body.readUInt32LE(40) / body.readUInt32LE(28)).toBeCloseTo(speech.durationSeconds, 6);

    const range = await fetchAudio(speech.audioUrl, { range: "bytes=0-99" });
    expect(range.status).toBe(206);
    expect(range.headers["content-range"]).toBe(`bytes 0-99/${44 + sent.size}`);
    expect(range.body.equals(body.subarray(0, 100))).toBe(true);
    const head = await fetchAudio(speech.audioUrl, {}, "HEAD");
    expect(head.status).toBe(200);
    expect(Number(head.headers["content-length"])).toBe(44 + sent.size);
    expect(head.headers.etag).toBe(headers.etag);
    expect(head.body.length).toBe(0);
  });

  test("refuses a tampered, re-pointed, expired or borrowed audio URL with 403", async ({ gateway, upstream }) => {
    const voice = await seedVoice(gateway, upstream);
    const speech = await spoken(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT });
    const audioId = audioIdOf(speech.audioUrl);
    const url = new URL(speech.audioUrl);
    const expires = Number(url.searchParams.get("expires"));
    const token = url.searchParams.get("token")!;
    const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect((await fetchAudio(speech.audioUrl)).status).toBe(200);
    const refused = {
      "a changed token": `${gateway.url}/speech/${audioId}.wav?expires=${expires}&token=${flipped}`,
      "a later expiry with the token": `${gateway.url}/speech/${audioId}.wav?expires=${expires + 60}&token=${token}`,
      "another id with the token": `${gateway.url}/speech/${randomUUID()}.wav?expires=${expires}&token=${token}`,
      "an expired, correctly signed URL": signedUrl(gateway, "speech", audioId, Math.floor(Date.now() / 1000) - 5),
      "the speech's token on /previews": `${gateway.url}/previews/${audioId}.wav?expires=${expires}&token=${token}`,
    };
    for (const [what, target] of Object.entries(refused)) {
      const response = await fetchAudio(target);
      expect(response.status, what).toBe(403);
      expect(response.body.toString(), what).not.toContain("RIFF");
    }
    // Signed right, for audio that does not exist: 404 (the signature is checked first).
    expect((await fetchAudio(signedUrl(gateway, "speech", randomUUID(), expires))).status).toBe(404);
  });
});

describe("paid once per distinct request", () => {
  test("a repeat (the same text, differently spaced) is answered from the kept audio, with no call", async ({
    gateway,
    upstream,
  }) => {
    const voice = await seedVoice(gateway, upstream);
    const first = await spoken(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT });
    const again = await spoken(gateway, { voiceId: voice.voiceId, text: ` ${SPEECH_TEXT}  ` });
    expect(again.cached).toBe(true);
    expect(again.id).not.toBe(first.id);
    expect(new URL(again.audioUrl).pathname).toBe(new URL(first.audioUrl).pathname);
    expect(again.durationSeconds).toBe(first.durationSeconds);
    expect(upstream.speechRequests).toHaveLength(1);
    expect(upstream.billedCharacters).toBe(17);
    expect(await speechAudioRows(gateway)).toHaveLength(1);
    expect((await speechRows(gateway)).map((row) => row.cached)).toEqual([false, true]);
    const audio = await fetchAudio(again.audioUrl);
    expect(sha256(audio.body.subarray(44))).toBe(upstream.speeches[0]!.sha256);
  });

  test("the voice's own model and stability, given explicitly, are the same request", async ({ gateway, upstream }) => {
    const voice = await seedVoice(gateway, upstream, { model: "faseeh-v1", stability: 0.4 });
    await spoken(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT });
    const explicit = await spoken(gateway, {
      voiceId: voice.voiceId,
      text: SPEECH_TEXT,
      modelId: "faseeh-v1",
      stability: 0.4,
      speed: 1,
    });
    expect(explicit.cached).toBe(true);
    expect(upstream.speechRequests).toHaveLength(1);
  });

  test("another speed, model or stability is another request: a call each", async ({ gateway, upstream }) => {
    const voice = await seedVoice(gateway, upstream, { model: "faseeh-v1", stability: 0.5 });
    const base = { voiceId: voice.voiceId, text: SPEECH_TEXT };
    const variants = [{}, { speed: 1.2 }, { modelId: "faseeh-v1-pro" }, { stability: 0.9 }];
    for (const variant of variants) expect((await spoken(gateway, { ...base, ...variant })).cached).toBe(false);
    expect(upstream.speechRequests.map((request) => [request.modelId, request.body])).toEqual([
      ["faseeh-v1", expect.objectContaining({ speed: 1, stability: 0.5 })],
      ["faseeh-v1", expect.objectContaining({ speed: 1.2, stability: 0.5 })],
      ["faseeh-v1-pro", expect.objectContaining({ speed: 1, stability: 0.5 })],
      ["faseeh-v1", expect.objectContaining({ speed: 1, stability: 0.9 })],
    ]);
    expect(await speechAudioRows(gateway)).toHaveLength(4);
    // Each of them is now kept: repeats make no call.
    for (const variant of variants) expect((await spoken(gateway, { ...base, ...variant })).cached).toBe(true);
    expect(upstream.speechRequests).toHaveLength(4);
  });

  test("five identical requests at once make one call: one answer made it, four share it", async ({ gateway, upstream }) => {
    const voice = await seedVoice(gateway, upstream);
    let release!: () => void;
    upstream.enqueueSpeech({
      kind: "hold",
      until: new Promise<void>((resolve) => (release = resolve)),
      then: { kind: "success" },
    });
    const input = { voiceId: voice.voiceId, text: SPEECH_TEXT };
    const answers = Array.from({ length: 5 }, () => speak(gateway, input));
    // Faseeh holds the one call while all five pass the rate limit, the last step before joining the call in flight.
    await waitFor(() => upstream.speechRequests.length === 1, 10_000, "the call reaching Faseeh");
    await waitFor(async () => (await speaksCounted(gateway)) === 5, 10_000, "all five requests waiting");
    expect(upstream.speechRequests).toHaveLength(1);
    release();
    const speeches = (await Promise.all(answers)).map((response) => response.body.data!.speak);
    expect(upstream.speechRequests).toHaveLength(1);
    expect(upstream.speeches).toHaveLength(1);
    expect(speeches.filter((speech) => !speech.cached)).toHaveLength(1);
    expect(speeches.filter((speech) => speech.cached)).toHaveLength(4);
    expect(new Set(speeches.map((speech) => new URL(speech.audioUrl).pathname)).size).toBe(1);
    expect(new Set(speeches.map((speech) => speech.id)).size).toBe(5);
    expect(await speechAudioRows(gateway)).toHaveLength(1);
    expect(await speechRows(gateway)).toHaveLength(5);
  });
});
