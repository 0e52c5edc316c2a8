/**
 * Tests for the fake Faseeh upstream. Every request goes over a real socket
 * with undici, exactly as the gateway will talk to it.
 */
import { createHash, randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";
import { Agent, FormData, request } from "undici";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_FAKE_MODELS,
  fakePreviewSamples,
  PREVIEW_CONTENT_TYPE,
  startFakeFaseeh,
  type FakeFaseeh,
  type FakeModel,
} from "../../dev/fake-faseeh.js";
import { noisyWav } from "../../dev/audio-fixtures.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// A WAV-looking voice sample and an MP3-looking reference, so firstBytes is meaningful.
const VOICE_BYTES = Buffer.concat([Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt "), Buffer.alloc(2048, 7)]);
const REFERENCE_BYTES = Buffer.concat([Buffer.from("ID3\x04\x00\x00"), Buffer.alloc(4096, 9)]);

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

interface FormOptions {
  /** Replace or add text fields. */
  fields?: Record<string, string>;
  /** Leave these parts (fields or files) out. */
  omit?: string[];
  voice?: Buffer;
}

/** A valid clone form (text fields first, then files), tweakable per test. */
function cloneForm(options: FormOptions = {}): FormData {
  const fields: Record<string, string> = {
    text: "مرحبا بكم في فصيح",
    stability: "0.5",
    name: "Najdi Narrator",
    model: "faseeh-v1",
    gender: "male",
    languages: "ar, en",
    dialects: "najdi,hijazi",
    ...options.fields,
  };
  const omit = new Set(options.omit ?? []);
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (!omit.has(name)) form.append(name, value);
  }
  if (!omit.has("voice_file")) {
    form.append("voice_file", new Blob([options.voice ?? VOICE_BYTES], { type: "audio/wav" }), "voice.wav");
  }
  if (!omit.has("reference_audio_file")) {
    form.append("reference_audio_file", new Blob([REFERENCE_BYTES], { type: "audio/mpeg" }), "reference.mp3");
  }
  return form;
}

let fake: FakeFaseeh;
let agent: Agent;
/** A client that gives up when no answer has begun within 200 ms: it shows an answer held back. */
let impatient: Agent;

beforeEach(async () => {
  fake = await startFakeFaseeh();
  // A dedicated pool per test so no keep-alive socket outlives the test.
  agent = new Agent();
  impatient = new Agent({ headersTimeout: 200 });
});

afterEach(async () => {
  await agent.destroy();
  await impatient.destroy();
  await fake.close();
});

function postClone(form: FormData, options: { apiKey?: string | null; dispatcher?: Agent; url?: string } = {}) {
  const headers: Record<string, string> = {};
  const apiKey = options.apiKey === undefined ? fake.apiKey : options.apiKey;
  if (apiKey !== null) headers["x-api-key"] = apiKey;
  return request(options.url ?? fake.cloneUrl, {
    method: "POST",
    headers,
    body: form,
    dispatcher: options.dispatcher ?? agent,
  });
}

describe("fake Faseeh upstream", () => {
  it("listens on 127.0.0.1 with the /api/v1 base path", () => {
    expect(fake.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(fake.cloneUrl).toBe(`${fake.baseUrl}/voices/clone`);
    expect(fake.apiKey).toBe("test-upstream-key");
  });

  it("answers a contract-shaped voice and records the fields and streamed files", async () => {
    const res = await postClone(cloneForm());
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    const voice = (await res.body.json()) as Record<string, unknown>;

    expect(voice).toEqual({
      id: expect.stringMatching(UUID) as unknown,
      voice_id: expect.stringMatching(/^voice_[0-9a-f]+$/) as unknown,
      name: "Najdi Narrator",
      description: null,
      gender: "male",
      age: null,
      languages: ["ar", "en"],
      dialect: ["najdi", "hijazi"],
      type: "cloned",
      sample_url: `https://cdn.faseeh.test/samples/${String(voice.voice_id)}.mp3`,
      avatar_url: null,
      stability: 0.5,
    });
    expect(fake.createdVoices).toEqual([voice]);

    expect(fake.requests).toHaveLength(1);
    const received = fake.requests[0]!;
    expect(received).toMatchObject({
      method: "POST",
      path: "/api/v1/voices/clone",
      apiKey: "test-upstream-key",
      aborted: false,
      fields: {
        text: "مرحبا بكم في فصيح",
        stability: "0.5",
        name: "Najdi Narrator",
        model: "faseeh-v1",
        gender: "male",
        languages: "ar, en",
        dialects: "najdi,hijazi",
      },
    });
    expect(received.headers["x-api-key"]).toBe("test-upstream-key");
    expect(received.contentType).toMatch(/^multipart\/form-data; ?boundary=/);
    expect(received.fieldNames).toEqual([
      "text",
      "stability",
      "name",
      "model",
      "gender",
      "languages",
      "dialects",
      "voice_file",
      "reference_audio_file",
    ]);
    expect(received.files).toEqual([
      {
        field: "voice_file",
        filename: "voice.wav",
        mimeType: "audio/wav",
        size: VOICE_BYTES.length,
        sha256: sha256(VOICE_BYTES),
        firstBytes: VOICE_BYTES.subarray(0, 16),
      },
      {
        field: "reference_audio_file",
        filename: "reference.mp3",
        mimeType: "audio/mpeg",
        size: REFERENCE_BYTES.length,
        sha256: sha256(REFERENCE_BYTES),
        firstBytes: REFERENCE_BYTES.subarray(0, 16),
      },
    ]);
  });

  it("hashes a multi-megabyte file correctly while streaming", async () => {
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i); // not all zeros
    const res = await postClone(cloneForm({ voice: big }));
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(fake.requests[0]?.files[0]).toMatchObject({ size: big.length, sha256: sha256(big) });
  });

  it("rejects a wrong or missing x-api-key with 401 40101", async () => {
    for (const apiKey of ["wrong-key", null]) {
      const res = await postClone(cloneForm(), { apiKey });
      expect(res.statusCode).toBe(401);
      expect(await res.body.json()).toEqual({ errorCode: "40101", errorMessage: "Invalid API key" });
    }
    // Still recorded, so tests can see what the gateway sent.
    expect(fake.requests.map((r) => r.apiKey)).toEqual(["wrong-key", undefined]);
    expect(fake.createdVoices).toEqual([]);
  });

  it("rejects missing fields/files and out-of-range stability with 400 40001 naming the field", async () => {
    const cases: Array<[FormOptions, string]> = [
      [{ omit: ["name"] }, "name"],
      [{ omit: ["reference_audio_file"] }, "reference_audio_file"],
      [{ fields: { stability: "1.5" } }, "stability"],
      [{ fields: { stability: "steady" } }, "stability"],
    ];
    for (const [options, field] of cases) {
      const res = await postClone(cloneForm(options));
      expect(res.statusCode).toBe(400);
      const body = (await res.body.json()) as { errorCode: string; errorMessage: string };
      expect(body.errorCode).toBe("40001");
      expect(body.errorMessage).toContain(field);
    }
    expect(fake.createdVoices).toEqual([]);
  });

  it("answers 404 40401 for an unknown path", async () => {
    const res = await postClone(cloneForm(), { url: `${fake.baseUrl}/voices/clone-typo` });
    expect(res.statusCode).toBe(404);
    expect(await res.body.json()).toMatchObject({ errorCode: "40401" });
    expect(fake.requests).toEqual([]);
  });

  it("plays scripted behaviours in order, then falls back to the default", async () => {
    fake.enqueue(
      { kind: "error", status: 429, headers: { "Retry-After": "3" } },
      { kind: "error", status: 402, errorCode: "40201", errorMessage: "Insufficient wallet balance" },
    );

    const limited = await postClone(cloneForm());
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("3");
    expect(await limited.body.json()).toEqual({ errorCode: "42901", errorMessage: "Too many requests" });

    const broke = await postClone(cloneForm());
    expect(broke.statusCode).toBe(402);
    expect(await broke.body.json()).toEqual({ errorCode: "40201", errorMessage: "Insufficient wallet balance" });

    const ok = await postClone(cloneForm());
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();

    fake.setDefault({ kind: "error", status: 503 });
    const down = await postClone(cloneForm());
    expect(down.statusCode).toBe(503);
    await down.body.dump();

    expect(fake.requests).toHaveLength(4);
    expect(fake.createdVoices).toHaveLength(1);

    fake.reset();
    expect(fake.requests).toEqual([]);
    const afterReset = await postClone(cloneForm());
    expect(afterReset.statusCode).toBe(200); // reset() restores the success default
    await afterReset.body.dump();
  });

  it("can answer non-JSON garbage and raw bodies", async () => {
    fake.enqueue({ kind: "garbage" }, { kind: "raw", status: 500, body: "upstream exploded", contentType: "text/plain" });

    const garbage = await postClone(cloneForm());
    expect(garbage.statusCode).toBe(200);
    expect(garbage.headers["content-type"]).toBe("text/html");
    expect(await garbage.body.text()).toBe("<html>not json");

    const raw = await postClone(cloneForm());
    expect(raw.statusCode).toBe(500);
    expect(await raw.body.text()).toBe("upstream exploded");
    expect(fake.createdVoices).toEqual([]);
  });

  it("applies success overrides and omissions (contract-violating 200s)", async () => {
    fake.enqueue({ kind: "success", overrides: { type: null, extra: true }, omit: ["id", "languages", "dialect"] });
    const res = await postClone(cloneForm());
    expect(res.statusCode).toBe(200);
    const voice = (await res.body.json()) as Record<string, unknown>;
    expect(voice).not.toHaveProperty("id");
    expect(voice).not.toHaveProperty("languages");
    expect(voice).not.toHaveProperty("dialect");
    expect(voice).toMatchObject({ type: null, extra: true, name: "Najdi Narrator" });
    expect(fake.createdVoices).toEqual([voice]);
  });

  it("delays a scripted answer", async () => {
    const later = { kind: "error", status: 503 } as const;
    fake.enqueue({ kind: "delay", ms: 60_000, then: later }, { kind: "delay", ms: 50, then: later });
    // Held back: a client that gives up first has had no answer at all...
    await expect(postClone(cloneForm(), { dispatcher: impatient })).rejects.toMatchObject({ code: "UND_ERR_HEADERS_TIMEOUT" });
    // ... and once the delay is over, the scripted answer comes.
    const res = await postClone(cloneForm());
    expect(res.statusCode).toBe(503);
    await res.body.dump();
    expect(fake.requests).toHaveLength(2);
  });

  it("resets the connection after reading the body", async () => {
    fake.enqueue({ kind: "reset" });
    await expect(postClone(cloneForm())).rejects.toThrow();
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ aborted: false, fields: { name: "Najdi Narrator" } });
    expect(fake.createdVoices).toEqual([]);
  });

  it("resets the connection before reading the body", async () => {
    fake.enqueue({ kind: "resetBeforeBody" });
    await expect(postClone(cloneForm({ voice: Buffer.alloc(4 * 1024 * 1024, 1) }))).rejects.toThrow();
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ aborted: true, files: [] });
  });

  it("hangs until the client times out, and close() still returns promptly", async () => {
    fake.enqueue({ kind: "hang" });
    await expect(postClone(cloneForm(), { dispatcher: impatient })).rejects.toMatchObject({
      code: "UND_ERR_HEADERS_TIMEOUT",
    });

    // A second hanging request whose client is still waiting when we close.
    fake.enqueue({ kind: "hang" });
    // Attach the rejection handler now: the rejection happens during close().
    const waiting = postClone(cloneForm()).catch((error: unknown) => error);
    await vi.waitFor(() => expect(fake.requests).toHaveLength(2));

    // Its client would wait five minutes (undici's headersTimeout): close() returning at all means it cut the request.
    await fake.close();
    expect(await waiting).toBeInstanceOf(Error);
    expect(fake.connections).toBe(0);
  });

  it("records a partial, aborted request when the client goes away mid-upload", async () => {
    // Hand-written multipart so we can stop in the middle of the voice file.
    const boundary = "fake-faseeh-boundary";
    const body = new PassThrough();
    body.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nHalf Voice\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="voice_file"; filename="v.wav"\r\n` +
        `Content-Type: audio/wav\r\n\r\n`,
    );
    body.write(Buffer.alloc(1000, 1));

    const controller = new AbortController();
    const pending = request(fake.cloneUrl, {
      method: "POST",
      headers: { "x-api-key": fake.apiKey, "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
      signal: controller.signal,
      dispatcher: agent,
    });
    // The plug is pulled once the fake holds some of the voice file.
    await vi.waitFor(() => expect(fake.fileBytesReceived).toBeGreaterThan(0));
    controller.abort();
    await expect(pending).rejects.toThrow();

    await vi.waitFor(() => expect(fake.requests).toHaveLength(1));
    const received = fake.requests[0]!;
    expect(received.aborted).toBe(true);
    expect(received.fields).toEqual({ name: "Half Voice" });
    expect(received.fieldNames).toEqual(["name", "voice_file"]);
    expect(received.files[0]?.field).toBe("voice_file");
    expect(received.files[0]?.size).toBeGreaterThan(0);
    expect(fake.createdVoices).toEqual([]);
  });

  it("close() leaves no open connections, even with keep-alive sockets", async () => {
    const res = await postClone(cloneForm());
    await res.body.dump();
    // undici keeps the socket alive in its pool; the fake sees it as open.
    expect(fake.connections).toBe(1);

    await fake.close();
    expect(fake.connections).toBe(0);
    await fake.close(); // idempotent
    await expect(postClone(cloneForm())).rejects.toThrow();
  });
});

// ---------------------------------------------------------------------------
// GET /models and POST /voices/preview

const PREVIEW_TEXT = "مرحبا بكم في فصيح"; // 4 words, 17 characters
const SMALL_WAV = noisyWav(4096, 61);

interface PreviewFormOptions {
  fields?: Record<string, string>;
  omit?: string[];
  file?: Buffer;
}

/** A valid preview form (text fields first, then the file). */
function previewForm(options: PreviewFormOptions = {}): FormData {
  const fields: Record<string, string> = { text: PREVIEW_TEXT, similarity: "0.75", model_id: "faseeh-v1", ...options.fields };
  const omit = new Set(options.omit ?? []);
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (!omit.has(name)) form.append(name, value);
  }
  if (!omit.has("file")) form.append("file", new Blob([options.file ?? SMALL_WAV], { type: "audio/wav" }), "sample.wav");
  return form;
}

function postPreview(form: FormData, options: { apiKey?: string | null; url?: string; signal?: AbortSignal } = {}) {
  const headers: Record<string, string> = {};
  const apiKey = options.apiKey === undefined ? fake.apiKey : options.apiKey;
  if (apiKey !== null) headers["x-api-key"] = apiKey;
  return request(options.url ?? fake.previewUrl, {
    method: "POST",
    headers,
    body: form,
    dispatcher: agent,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

function getModels(apiKey: string | null = fake.apiKey, dispatcher = agent) {
  return request(fake.modelsUrl, { headers: apiKey === null ? {} : { "x-api-key": apiKey }, dispatcher });
}

/** Reads a body to the end, or as far as it gets before the connection fails. */
async function readUntilFailure(body: AsyncIterable<Buffer>): Promise<{ bytes: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk);
    return { bytes: Buffer.concat(chunks), error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
}

describe("fake Faseeh model list", () => {
  it("lists the default models, in order, to a valid key", async () => {
    expect(fake.modelsUrl).toBe(`${fake.baseUrl}/models`);
    const res = await getModels();
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    const models = (await res.body.json()) as FakeModel[];
    expect(models).toEqual(DEFAULT_FAKE_MODELS);
    expect(models.map((model) => model.model_id)).toEqual(["faseeh-v1", "faseeh-v1-pro", "faseeh-v2", "faseeh-mini"]);
    for (const model of models) {
      expect(model.id).toMatch(UUID);
      expect(model.model_name).not.toBe("");
      expect(model.cost).toBeGreaterThan(0);
    }
    expect(models.filter((model) => model.description === null)).toHaveLength(1);
    expect(fake.modelRequests).toBe(1);
  });

  it("rejects a wrong or missing x-api-key with 401 40101, and counts those calls too", async () => {
    for (const apiKey of ["wrong-key", null]) {
      const res = await getModels(apiKey);
      expect(res.statusCode).toBe(401);
      expect(await res.body.json()).toEqual({ errorCode: "40101", errorMessage: "Invalid API key" });
    }
    expect(fake.modelRequests).toBe(2);
    expect(fake.requests).toEqual([]);
  });

  it("lists what setModels set, plays enqueueModels in order, then the list again; reset() restores it all", async () => {
    const custom: FakeModel[] = [
      { id: "00000000-0000-4000-8000-000000000001", model_id: "only-one", model_name: "Only One", cost: 1, description: null },
    ];
    fake.setModels(custom);
    fake.enqueueModels({ kind: "error", status: 503 }, { kind: "garbage" });

    const down = await getModels();
    expect(down.statusCode).toBe(503);
    expect(await down.body.json()).toEqual({ errorCode: "50301", errorMessage: "Service unavailable" });

    const garbage = await getModels();
    expect(garbage.statusCode).toBe(200);
    expect(await garbage.body.text()).toBe("<html>not json");

    const listed = await getModels();
    expect(listed.statusCode).toBe(200);
    expect(await listed.body.json()).toEqual(custom);
    expect(fake.modelRequests).toBe(3);

    fake.enqueueModels({ kind: "error", status: 500 });
    fake.reset();
    expect(fake.modelRequests).toBe(0);
    const afterReset = await getModels();
    expect(afterReset.statusCode).toBe(200); // the queued 500 is gone
    expect(await afterReset.body.json()).toEqual(DEFAULT_FAKE_MODELS);
    expect(fake.modelRequests).toBe(1);
  });

  it("can delay or reset a model-list answer", async () => {
    fake.enqueueModels(
      { kind: "delay", ms: 60_000, then: { kind: "success" } },
      { kind: "delay", ms: 50, then: { kind: "success" } },
      { kind: "reset" },
    );
    // Held back past a client's patience, then given once the delay is over.
    await expect(getModels(fake.apiKey, impatient)).rejects.toMatchObject({ code: "UND_ERR_HEADERS_TIMEOUT" });
    const slow = await getModels();
    expect(slow.statusCode).toBe(200);
    expect(await slow.body.json()).toEqual(DEFAULT_FAKE_MODELS);

    await expect(getModels()).rejects.toThrow();
    expect(fake.modelRequests).toBe(3);
  });
});

describe("fake Faseeh voice preview", () => {
  it("streams the tone as chunked raw PCM and records the request apart from clones", async () => {
    expect(fake.previewUrl).toBe(`${fake.baseUrl}/voices/preview`);
    const upload = noisyWav(3 * 1024 * 1024, 62);
    const res = await postPreview(previewForm({ file: upload }));
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("audio/raw;codec=pcm16;rate=24000;channels=1");
    expect(res.headers["content-type"]).toBe(PREVIEW_CONTENT_TYPE);
    expect(res.headers["transfer-encoding"]).toBe("chunked");
    expect(res.headers["content-length"]).toBeUndefined();
    const pcm = Buffer.from(await res.body.arrayBuffer());

    // 0.08 s x 17 characters at speed 1 = 1.36 s = 32,640 samples of 2 bytes.
    expect(PREVIEW_TEXT).toHaveLength(17);
    expect(pcm.length).toBe(2 * 32_640);
    expect(pcm.length).toBe(2 * fakePreviewSamples(PREVIEW_TEXT));
    expect(pcm.length % 2).toBe(0);
    expect(fake.previews).toEqual([{ size: pcm.length, sha256: sha256(pcm) }]);

    // A real 440 Hz tone: starts at zero, peaks near 8000, rises through zero 440 times a second.
    const samples = Array.from({ length: pcm.length / 2 }, (_, i) => pcm.readInt16LE(i * 2));
    expect(samples[0]).toBe(0);
    expect(Math.max(...samples)).toBeGreaterThan(7900);
    expect(Math.min(...samples)).toBeLessThan(-7900);
    expect(Math.max(...samples.map(Math.abs))).toBeLessThanOrEqual(8000);
    // Upward zero crossings: one per period, 440 a second.
    const upward = samples.slice(1).filter((sample, i) => samples[i]! < 0 && sample >= 0).length;
    expect(upward / 1.36).toBeGreaterThan(430);
    expect(upward / 1.36).toBeLessThan(450);

    expect(fake.requests).toEqual([]);
    expect(fake.createdVoices).toEqual([]);
    expect(fake.previewRequests).toHaveLength(1);
    const received = fake.previewRequests[0]!;
    expect(received).toMatchObject({
      method: "POST",
      path: "/api/v1/voices/preview",
      apiKey: "test-upstream-key",
      aborted: false,
      fields: { text: PREVIEW_TEXT, similarity: "0.75", model_id: "faseeh-v1" },
      fieldNames: ["text", "similarity", "model_id", "file"],
    });
    expect(received.contentType).toMatch(/^multipart\/form-data; ?boundary=/);
    expect(received.files).toEqual([
      {
        field: "file",
        filename: "sample.wav",
        mimeType: "audio/wav",
        size: upload.length,
        sha256: sha256(upload),
        firstBytes: upload.subarray(0, 16),
      },
    ]);
    await vi.waitFor(() => expect(fake.inFlight).toBe(0));
  });

  it("divides the duration by speed, rounding down to whole samples", async () => {
    const cases: Array<[text: string, speed: string, samples: number]> = [
      [PREVIEW_TEXT, "1.2", 27_200], // 1920 x 17 / 1.2, exactly (no float noise)
      [PREVIEW_TEXT, "0.8", 40_800],
      ["one two three", "0.7", 35_657], // 1920 x 13 / 0.7 = 35657.14...
      ["abc def ghij", "1", 23_040],
    ];
    for (const [text, speed, samples] of cases) {
      const res = await postPreview(previewForm({ fields: { text, speed } }));
      expect(res.statusCode).toBe(200);
      const pcm = Buffer.from(await res.body.arrayBuffer());
      expect(pcm.length, `${text} at ${speed}`).toBe(2 * samples);
      expect(fakePreviewSamples(text, Number(speed))).toBe(samples);
    }
    expect(fake.previews.map((preview) => preview.size)).toEqual(cases.map(([, , samples]) => 2 * samples));
  });

  it("rejects a wrong or missing key with 401 40101 before looking at the form", async () => {
    for (const apiKey of ["wrong-key", null]) {
      const res = await postPreview(previewForm({ omit: ["text", "file"] }), { apiKey });
      expect(res.statusCode).toBe(401);
      expect(await res.body.json()).toEqual({ errorCode: "40101", errorMessage: "Invalid API key" });
    }
    expect(fake.previewRequests.map((received) => received.apiKey)).toEqual(["wrong-key", undefined]);
    expect(fake.previews).toEqual([]);
  });

  it("answers each documented 400 40001, checking in the real API's order", async () => {
    const textRequired = "text is required";
    const textShort = "text must be at least 3 words and 10 characters";
    const similarity = "similarity must be a number between 0 and 1";
    const modelId = "model_id is required";
    const speed = "speed must be a number between 0.7 and 1.2";
    const file = "file is required and must be of audio type";
    const cases: Array<[PreviewFormOptions, string]> = [
      [{ omit: ["text"] }, textRequired],
      [{ fields: { text: "   " } }, textRequired],
      [{ omit: ["text", "similarity", "model_id", "file"] }, textRequired],
      [{ fields: { text: "hello there" } }, textShort], // 2 words
      [{ fields: { text: "a b c d" } }, textShort], // 4 words, 7 characters
      [{ fields: { text: "  ab cd ef  " } }, textShort], // 3 words, 8 characters once trimmed
      [{ fields: { text: "hi" }, omit: ["similarity", "file"] }, textShort],
      [{ omit: ["similarity"] }, similarity],
      [{ fields: { similarity: "" } }, similarity],
      [{ fields: { similarity: "1.5" } }, similarity],
      [{ fields: { similarity: "-0.1" } }, similarity],
      [{ fields: { similarity: "close" } }, similarity],
      [{ fields: { similarity: "2" }, omit: ["model_id", "file"] }, similarity],
      [{ omit: ["model_id"] }, modelId],
      [{ fields: { model_id: " " } }, modelId],
      [{ omit: ["model_id"], fields: { speed: "9" } }, modelId],
      [{ fields: { speed: "0.5" } }, speed],
      [{ fields: { speed: "1.3" } }, speed],
      [{ fields: { speed: "fast" } }, speed],
      [{ fields: { speed: "" } }, speed],
      [{ fields: { speed: "2" }, omit: ["file"] }, speed],
      [{ omit: ["file"] }, file],
      [{ file: Buffer.from("this is not audio at all") }, file],
      [{ file: Buffer.alloc(0) }, file],
      [{ file: Buffer.from("RIFF\x24\x00\x00\x00AVI LIST") }, file], // RIFF, but not WAVE
    ];
    for (const [options, message] of cases) {
      const res = await postPreview(previewForm(options));
      expect(res.statusCode, JSON.stringify(options)).toBe(400);
      expect(await res.body.json(), JSON.stringify(options)).toEqual({ errorCode: "40001", errorMessage: message });
    }
    expect(fake.previewRequests).toHaveLength(cases.length);
    expect(fake.previews).toEqual([]);
    expect(fake.requests).toEqual([]);
  });

  it("accepts every known audio container by its magic number, and the edges of the ranges", async () => {
    const heads = [
      Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt ", "latin1"),
      Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00", "latin1"),
      Buffer.from([0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0]), // MPEG-1 layer III frame
      Buffer.from("OggS\x00\x02\x00\x00\x00\x00\x00\x00", "latin1"),
      Buffer.from("fLaC\x00\x00\x00\x22\x00\x00\x00\x00", "latin1"),
      Buffer.from("\x00\x00\x00\x20ftypM4A ", "latin1"),
      Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81]), // WebM
    ];
    for (const head of heads) {
      const res = await postPreview(previewForm({ file: Buffer.concat([head, Buffer.alloc(512, 3)]) }));
      expect(res.statusCode, head.toString("hex")).toBe(200);
      await res.body.dump();
    }
    const edges: Array<Record<string, string>> = [
      { similarity: "0", speed: "0.7" },
      { similarity: "1", speed: "1.2" },
      { text: "abc de fgh" }, // exactly 3 words and 10 characters
    ];
    for (const fields of edges) {
      const res = await postPreview(previewForm({ fields }));
      expect(res.statusCode, JSON.stringify(fields)).toBe(200);
      await res.body.dump();
    }
  });

  it("plays scripted pcm, pcmThenReset and error answers in order, then the tone again", async () => {
    const scripted = randomBytes(50_001); // odd on purpose: exactly these bytes
    fake.enqueuePreview(
      { kind: "pcm", bytes: scripted },
      { kind: "pcmThenReset", bytesBeforeReset: 40_000 },
      { kind: "error", status: 500, errorCode: "50001", errorMessage: "Failed to generate voice preview" },
    );

    const exact = await postPreview(previewForm({ omit: ["similarity"] })); // not validated
    expect(exact.statusCode).toBe(200);
    expect(exact.headers["content-type"]).toBe(PREVIEW_CONTENT_TYPE);
    expect(exact.headers["content-length"]).toBeUndefined();
    expect(Buffer.from(await exact.body.arrayBuffer())).toEqual(scripted);

    const cut = await postPreview(previewForm());
    expect(cut.statusCode).toBe(200);
    expect(cut.headers["content-type"]).toBe(PREVIEW_CONTENT_TYPE);
    const partial = await readUntilFailure(cut.body);
    expect(partial.error).toBeInstanceOf(Error);
    expect(partial.bytes.length).toBeLessThanOrEqual(40_000);
    expect(partial.bytes.length % 2).toBe(0);

    const failed = await postPreview(previewForm());
    expect(failed.statusCode).toBe(500);
    expect(await failed.body.json()).toEqual({ errorCode: "50001", errorMessage: "Failed to generate voice preview" });

    const normal = await postPreview(previewForm());
    expect(normal.statusCode).toBe(200);
    const tone = Buffer.from(await normal.body.arrayBuffer());
    expect(tone.length).toBe(2 * 32_640);

    // Only bodies sent in full are recorded.
    expect(fake.previews).toEqual([
      { size: scripted.length, sha256: sha256(scripted) },
      { size: tone.length, sha256: sha256(tone) },
    ]);
    expect(fake.previewRequests).toHaveLength(4);
    expect(fake.requests).toEqual([]);
  });

  it("shares the clone behaviours: reset, resetBeforeBody, and createThen validating first", async () => {
    fake.enqueuePreview(
      { kind: "reset" },
      { kind: "resetBeforeBody" },
      { kind: "createThen", then: { kind: "error", status: 502 } },
      { kind: "createThen", then: { kind: "error", status: 502 } },
    );
    await expect(postPreview(previewForm())).rejects.toThrow();
    await expect(postPreview(previewForm({ file: noisyWav(2 * 1024 * 1024, 63) }))).rejects.toThrow();
    const lost = await postPreview(previewForm());
    expect(lost.statusCode).toBe(502);
    await lost.body.dump();
    const invalid = await postPreview(previewForm({ omit: ["model_id"] }));
    expect(invalid.statusCode).toBe(400);
    expect(await invalid.body.json()).toEqual({ errorCode: "40001", errorMessage: "model_id is required" });

    expect(fake.previewRequests.map((received) => received.aborted)).toEqual([false, true, false, false]);
    expect(fake.previews).toEqual([]);
    expect(fake.requests).toEqual([]);
  });

  it("stops streaming quietly when the client goes away mid-body", async () => {
    const longText = Array.from({ length: 400 }, () => "كلمة").join(" "); // 1999 characters, ~160 s of audio
    const controller = new AbortController();
    const res = await postPreview(previewForm({ fields: { text: longText } }), { signal: controller.signal });
    expect(res.statusCode).toBe(200);
    for await (const chunk of res.body) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      break; // leaving the loop destroys the body, and undici the connection
    }
    controller.abort();
    await vi.waitFor(() => expect(fake.inFlight).toBe(0));
    expect(fake.previews).toEqual([]);
    expect(fake.previewRequests).toHaveLength(1);
  });

  it("counts previews and clones in the same inFlight and peakInFlight", async () => {
    fake.enqueue({ kind: "hang" });
    fake.enqueuePreview({ kind: "hang" });
    const waiting = [
      postClone(cloneForm()).catch((error: unknown) => error),
      postPreview(previewForm()).catch((error: unknown) => error),
    ];
    await vi.waitFor(() => expect(fake.inFlight).toBe(2));
    expect(fake.peakInFlight).toBe(2);
    expect(fake.requests).toHaveLength(1);
    expect(fake.previewRequests).toHaveLength(1);
    await fake.close();
    for (const outcome of await Promise.all(waiting)) expect(outcome).toBeInstanceOf(Error);
  });

  it("reset() clears previewRequests, previews and the preview queue", async () => {
    const res = await postPreview(previewForm());
    await res.body.dump();
    fake.enqueuePreview({ kind: "error", status: 500 });
    expect(fake.previewRequests).toHaveLength(1);
    expect(fake.previews).toHaveLength(1);

    fake.reset();
    expect(fake.previewRequests).toEqual([]);
    expect(fake.previews).toEqual([]);
    const after = await postPreview(previewForm());
    expect(after.statusCode).toBe(200);
    await after.body.dump();
  });

  it("serves previews at a configured previewPath only", async () => {
    const custom = await startFakeFaseeh({ previewPath: "/tts/voice-preview" });
    try {
      expect(custom.previewUrl).toBe(`${custom.baseUrl}/tts/voice-preview`);
      const res = await postPreview(previewForm(), { url: custom.previewUrl, apiKey: custom.apiKey });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      expect(custom.previewRequests[0]?.path).toBe("/api/v1/tts/voice-preview");

      const elsewhere = await postPreview(previewForm(), { url: `${custom.baseUrl}/voices/preview`, apiKey: custom.apiKey });
      expect(elsewhere.statusCode).toBe(404);
      await elsewhere.body.dump();
      expect(custom.previewRequests).toHaveLength(1);
    } finally {
      await custom.close();
    }
    await expect(startFakeFaseeh({ previewPath: "/voices/clone" })).rejects.toThrow(/collides/);
  });
});
