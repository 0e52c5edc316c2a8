/**
 * Tests for the fake Faseeh upstream. Every request goes over a real socket
 * with undici, exactly as the gateway will talk to it.
 */
import { createHash } from "node:crypto";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, FormData, request } from "undici";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startFakeFaseeh, type FakeFaseeh } from "./fake-faseeh.js";

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

beforeEach(async () => {
  fake = await startFakeFaseeh();
  // A dedicated pool per test so no keep-alive socket outlives the test.
  agent = new Agent();
});

afterEach(async () => {
  await agent.destroy();
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
    fake.enqueue({ kind: "delay", ms: 150, then: { kind: "error", status: 503 } });
    const started = performance.now();
    const res = await postClone(cloneForm());
    expect(res.statusCode).toBe(503);
    await res.body.dump();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
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
    const impatient = new Agent({ headersTimeout: 200 });
    try {
      await expect(postClone(cloneForm(), { dispatcher: impatient })).rejects.toMatchObject({
        code: "UND_ERR_HEADERS_TIMEOUT",
      });
    } finally {
      await impatient.destroy();
    }

    // A second hanging request whose client is still waiting when we close.
    fake.enqueue({ kind: "hang" });
    // Attach the rejection handler now: the rejection happens during close().
    const waiting = postClone(cloneForm()).catch((error: unknown) => error);
    await vi.waitFor(() => expect(fake.requests).toHaveLength(2));

    const started = performance.now();
    await fake.close();
    expect(performance.now() - started).toBeLessThan(1000);
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
    // Give the bytes time to cross the socket before pulling the plug.
    await vi.waitFor(() => expect(fake.connections).toBe(1));
    await sleep(100);
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
