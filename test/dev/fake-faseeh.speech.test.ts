// The fake Faseeh's text-to-speech call (POST /text-to-speech/{model_id}), over
// real sockets with undici as the gateway will call it: the tone streamed as
// PCM or sent as a WAV file, the real API's checks in its order, the voices it
// knows, and what it records and bills. Scripted answers: the .speech-scripted test.
import { Agent, FormData, request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { noisyWav } from "../../dev/audio-fixtures.js";
import {
  DEFAULT_FAKE_MODELS,
  fakePreviewSamples,
  fakeSpeechSamples,
  SPEECH_CONTENT_TYPE,
  startFakeFaseeh,
  type FakeFaseeh,
} from "../../dev/fake-faseeh.js";
import {
  LONG_TEXT,
  MODEL,
  postSpeech as postSpeechTo,
  readBody,
  sha256,
  speechBody,
  TEXT,
  VOICE,
  type SpeechCall,
} from "../support/fake-speech.js";

let fake: FakeFaseeh;
let agent: Agent;
beforeEach(async () => {
  fake = await startFakeFaseeh();
  // A dedicated pool per test so no keep-alive socket outlives the test.
  agent = new Agent();
});
afterEach(async () => {
  await agent.destroy();
  await fake.close();
});

const postSpeech = (call: SpeechCall = {}) => postSpeechTo(fake, agent, call);

describe("fake Faseeh text-to-speech", () => {
  beforeEach(() => fake.addVoices(VOICE));

  it("streams the 330 Hz tone as chunked PCM, and records, sends and bills the same bytes", async () => {
    expect(fake.speechUrl("faseeh-v1")).toBe(`${fake.baseUrl}/text-to-speech/faseeh-v1`);
    const res = await postSpeech({ body: speechBody({ text: LONG_TEXT }) });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe(SPEECH_CONTENT_TYPE);
    expect(res.headers["content-length"]).toBeUndefined();
    expect(res.headers["transfer-encoding"]).toBe("chunked");
    const { bytes, pieces } = await readBody(res.body);

    const characters = Array.from(LONG_TEXT).length;
    expect(characters).toBe(120);
    expect(LONG_TEXT.length).toBe(132); // UTF-16 units: each 👋 is two
    expect(bytes.length).toBe(2 * fakeSpeechSamples(LONG_TEXT));
    expect(fakeSpeechSamples(LONG_TEXT)).toBe(230_400);
    expect(pieces).toBeGreaterThan(1);
    expect(fake.speeches).toEqual([{ size: bytes.length, sha256: sha256(bytes), characters, streaming: true }]);
    expect(fake.billedCharacters).toBe(characters);
    expect(fake.speechBytesSent).toBe(bytes.length);
    // 330 Hz at 24 kHz, amplitude 8000, from phase 0.
    expect([bytes.readInt16LE(0), bytes.readInt16LE(2)]).toEqual([0, Math.round(8000 * Math.sin((2 * Math.PI * 330) / 24_000))]);

    expect(fake.speechRequests).toEqual([
      {
        modelId: MODEL,
        apiKey: fake.apiKey,
        body: speechBody({ text: LONG_TEXT }),
        headers: expect.objectContaining({ "content-type": "application/json", "x-api-key": fake.apiKey }) as unknown,
      },
    ]);
    expect([fake.requests, fake.previewRequests, fake.previews]).toEqual([[], [], []]);
  });

  it("counts code points and divides by speed", async () => {
    expect(fakeSpeechSamples("👋👋")).toBe(3840); // a preview counts UTF-16 units
    expect(fakePreviewSamples("👋👋")).toBe(7680);
    expect(fakeSpeechSamples(TEXT, 1.2)).toBe(27_200);
    const res = await postSpeech({ body: speechBody({ speed: 1.2 }) });
    expect(res.statusCode).toBe(200);
    expect((await readBody(res.body)).bytes.length).toBe(2 * 27_200);
    expect(fake.speeches.map((speech) => speech.characters)).toEqual([17]);
  });

  it("answers one WAV file, with its length, of the same samples for streaming: false", async () => {
    const streamed = await postSpeech();
    const pcm = (await readBody(streamed.body)).bytes;

    const res = await postSpeech({ body: speechBody({ streaming: false }) });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("audio/wav");
    const wav = Buffer.from(await res.body.arrayBuffer());
    expect(res.headers["content-length"]).toBe(String(wav.length));
    expect(wav.length).toBe(44 + pcm.length);

    const header = {
      riff: wav.toString("latin1", 0, 4),
      riffSize: wav.readUInt32LE(4),
      wave: wav.toString("latin1", 8, 12),
      fmt: wav.toString("latin1", 12, 16),
      fmtSize: wav.readUInt32LE(16),
      format: wav.readUInt16LE(20),
      channels: wav.readUInt16LE(22),
      sampleRate: wav.readUInt32LE(24),
      byteRate: wav.readUInt32LE(28),
      blockAlign: wav.readUInt16LE(32),
      bitsPerSample: wav.readUInt16LE(34),
      data: wav.toString("latin1", 36, 40),
      dataSize: wav.readUInt32LE(40),
    };
    expect(header).toEqual({
      riff: "RIFF",
      riffSize: 36 + pcm.length,
      wave: "WAVE",
      fmt: "fmt ",
      fmtSize: 16,
      format: 1,
      channels: 1,
      sampleRate: 24_000,
      byteRate: 48_000,
      blockAlign: 2,
      bitsPerSample: 16,
      data: "data",
      dataSize: 2 * fakeSpeechSamples(TEXT),
    });
    expect(wav.subarray(44)).toEqual(pcm);
    expect(fake.speeches).toEqual([
      { size: pcm.length, sha256: sha256(pcm), characters: 17, streaming: true },
      { size: pcm.length, sha256: sha256(pcm), characters: 17, streaming: false },
    ]);
    expect(fake.billedCharacters).toBe(34); // Faseeh caches nothing: the same call is charged again
    expect(fake.speechBytesSent).toBe(2 * pcm.length); // WAV header left out
  });

  it("checks the key, then the body, then the model, then the voice, as the real API does", async () => {
    const bad = (errorMessage: string, errorCode = "40001") => ({ status: 400, body: { errorCode, errorMessage } });
    const cases: Array<[string, SpeechCall, { status: number; body: { errorCode: string; errorMessage: string } }]> = [
      [
        "wrong key, bad body",
        { apiKey: "wrong", rawBody: "not json" },
        { status: 401, body: { errorCode: "40101", errorMessage: "Invalid API key" } },
      ],
      ["no key", { apiKey: null }, { status: 401, body: { errorCode: "40101", errorMessage: "Invalid API key" } }],
      ["not JSON", { rawBody: "not json" }, bad("Request body must be a JSON object")],
      ["empty body", { rawBody: "" }, bad("Request body must be a JSON object")],
      ["a JSON array", { body: [speechBody()] }, bad("Request body must be a JSON object")],
      ["no voice_id, unknown model", { modelId: "nope", body: speechBody({ voice_id: undefined }) }, bad("voice_id is required")],
      ["blank voice_id", { body: speechBody({ voice_id: "  " }) }, bad("voice_id is required")],
      ["no text", { body: speechBody({ text: undefined }) }, bad("text is required")],
      ["blank text", { body: speechBody({ text: " \n" }) }, bad("text is required")],
      ["no stability", { body: speechBody({ stability: undefined }) }, bad("stability must be a number between 0 and 1")],
      ["stability as a string", { body: speechBody({ stability: "0.5" }) }, bad("stability must be a number between 0 and 1")],
      ["stability above 1", { body: speechBody({ stability: 1.01 }) }, bad("stability must be a number between 0 and 1")],
      ["speed below 0.7", { body: speechBody({ speed: 0.5 }) }, bad("speed must be a number between 0.7 and 1.2")],
      ["speed null", { body: speechBody({ speed: null }) }, bad("speed must be a number between 0.7 and 1.2")],
      ["no streaming", { body: speechBody({ streaming: undefined }) }, bad("streaming must be a boolean")],
      ["streaming as a string", { body: speechBody({ streaming: "true" }) }, bad("streaming must be a boolean")],
      [
        "unknown model and voice",
        { modelId: "faseeh-v9", body: speechBody({ voice_id: "voice_x" }) },
        bad("Model not found: faseeh-v9"),
      ],
      ["unknown voice", { body: speechBody({ voice_id: "voice_x" }) }, bad("Voice not found: voice_x", "40002")],
    ];
    for (const [what, call, expected] of cases) {
      const res = await postSpeech(call);
      expect({ what, status: res.statusCode, body: await res.body.json() }).toEqual({ what, ...expected });
    }
    const keys = fake.speechRequests.map((received) => received.apiKey);
    expect(keys).toEqual(["wrong", undefined, ...cases.slice(2).map(() => fake.apiKey)]);
    expect(fake.speechRequests[2]?.body).toBeUndefined();
    expect([fake.speeches, fake.billedCharacters, fake.speechBytesSent]).toEqual([[], 0, 0]);

    for (const [speed, stability] of [
      [0.7, 0],
      [1.2, 1],
    ] as const) {
      const res = await postSpeech({ body: speechBody({ speed, stability }) });
      expect(res.statusCode, String(speed)).toBe(200);
      await res.body.dump();
    }
  });

  it("knows the model list of the moment, and takes the model id URL-decoded from the path", async () => {
    const spaced = { ...DEFAULT_FAKE_MODELS[0]!, model_id: "faseeh v1/ar" };
    fake.setModels([spaced]);
    expect(fake.speechUrl(spaced.model_id)).toBe(`${fake.baseUrl}/text-to-speech/faseeh%20v1%2Far`);
    const res = await postSpeech({ modelId: spaced.model_id });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const gone = await postSpeech({ modelId: MODEL });
    expect(await gone.body.json()).toEqual({ errorCode: "40001", errorMessage: `Model not found: ${MODEL}` });
    expect(fake.speechRequests.map((received) => received.modelId)).toEqual([spaced.model_id, MODEL]);
  });

  it("speaks with a voice cloned on it or added by addVoices, and reset() forgets both", async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries({ text: TEXT, stability: "0.5", name: "Cloned", model: MODEL }))
      form.append(name, value);
    form.append("voice_file", new Blob([noisyWav(4096, 1)], { type: "audio/wav" }), "voice.wav");
    form.append("reference_audio_file", new Blob([noisyWav(4096, 2)], { type: "audio/wav" }), "reference.wav");
    const clone = await request(fake.cloneUrl, {
      method: "POST",
      body: form,
      headers: { "x-api-key": fake.apiKey },
      dispatcher: agent,
    });
    const { voice_id: cloned } = (await clone.body.json()) as { voice_id: string };
    fake.addVoices("voice_a", "voice_b");

    for (const voiceId of [cloned, "voice_a", "voice_b", VOICE]) {
      const res = await postSpeech({ body: speechBody({ voice_id: voiceId }) });
      expect(res.statusCode, voiceId).toBe(200);
      await res.body.dump();
    }
    fake.enqueueSpeech({ kind: "error", status: 500 });
    expect([fake.speechRequests.length, fake.speeches.length, fake.billedCharacters]).toEqual([4, 4, 68]);

    fake.reset();
    expect([fake.speechRequests, fake.speeches, fake.billedCharacters, fake.speechBytesSent]).toEqual([[], [], 0, 0]);
    for (const voiceId of [cloned, "voice_a", VOICE]) {
      const res = await postSpeech({ body: speechBody({ voice_id: voiceId }) });
      expect(await res.body.json()).toEqual({ errorCode: "40002", errorMessage: `Voice not found: ${voiceId}` });
    }
  });

  it("refuses a body over 1 MiB with a 413, another method with a 405, and an empty model id with a 404", async () => {
    const huge = JSON.stringify(speechBody({ text: "ا".repeat(600 * 1024) }));
    expect(Buffer.byteLength(huge)).toBeGreaterThan(1024 * 1024);
    const res = await postSpeech({ rawBody: huge });
    expect(res.statusCode).toBe(413);
    expect(await res.body.json()).toMatchObject({ errorCode: "41301" });
    expect(fake.speechRequests).toEqual([expect.objectContaining({ modelId: MODEL, body: undefined })]);

    const got = await postSpeech({ method: "GET" });
    expect(got.statusCode).toBe(405);
    await got.body.dump();
    const bare = await request(`${fake.baseUrl}/text-to-speech/`, { method: "POST", body: "{}", dispatcher: agent });
    expect(bare.statusCode).toBe(404);
    await bare.body.dump();
    expect(fake.speechRequests).toHaveLength(1);
    await expect(startFakeFaseeh({ previewPath: "/text-to-speech/x" })).rejects.toThrow(/collides/);
  });
});
