// previewVoice and voicePreview over real HTTP: a multipart recording in, a
// multipart preview call out to the fake Faseeh (which streams PCM back in
// chunks), the preview kept on disk and in PostgreSQL, and then cloned from.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { print } from "graphql";
import { request } from "undici";
import { CloneVoiceDocument, PreviewVoiceDocument, VoicePreviewDocument } from "../generated/operations.js";
import { MiB, noisyWav, sha256, textFile, wav } from "../../dev/audio-fixtures.js";
import { bearer, createKey } from "../support/api-keys.js";
import { filesOf, fakePreviewSamples, PREVIEW_CONTENT_TYPE } from "../../dev/fake-faseeh.js";
import { ManualClock } from "../support/clock.js";
import { describe, expect, test } from "../support/fixtures.js";
import { cloneVoice } from "../support/clone.js";
import { client, type TestGateway } from "../support/gateway.js";
import { pacedMultipart } from "../support/paced-multipart.js";
import { defaultPreviewInput, digestOf, PREVIEW_TEXT, previewRecording, previewVoice } from "../support/preview.js";
import { waitFor } from "../support/wait.js";

test.override("gatewayOptions", { env: { PREVIEW_RATE_LIMIT_PER_MINUTE: "100000" } });

/** For cases about fields and answers, not bytes: the byte-for-byte cases send MiB files. */
const SMALL_RECORDING = { content: wav(64 * 1024), filename: "short.wav" };

const previewRows = (gateway: TestGateway) =>
  gateway.database!.query<{ id: string; owner: string; audio_bytes: string; audio_sha256: string; recording_sha256: string }>(
    "SELECT id::text, owner, audio_bytes::text, audio_sha256, recording_sha256 FROM voice_previews",
  );

/** What is left in PREVIEW_DIR: preview directories and staging leftovers. */
async function previewDirContents(gateway: TestGateway): Promise<string[]> {
  const dir = gateway.container.config.previews.dir;
  const top = await readdir(dir).catch(() => []);
  const staging = await readdir(path.join(dir, ".staging")).catch(() => []);
  return [...top.filter((name) => name !== ".staging"), ...staging.map((name) => `.staging/${name}`)];
}

const cloneFromPreview = (gateway: TestGateway, input: Record<string, unknown>, headers?: Record<string, string>) =>
  gateway.multipart(CloneVoiceDocument, { input: { name: "Layla", stability: 0.5, ...input } }, {}, headers);

describe("previewVoice", () => {
  test("streams the recording to Faseeh's preview call and keeps the PCM it produced, byte for byte", async ({
    gateway,
    upstream,
  }) => {
    const recording = previewRecording();
    const response = await previewVoice(gateway, {
      input: { similarity: 0.65, speed: 1.1 },
      file: { content: recording, filename: "my voice.wav" },
    });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const preview = response.body.data!.previewVoice;

    expect(upstream.previewRequests).toHaveLength(1);
    expect(upstream.requests).toHaveLength(0); // no clone
    const received = upstream.previewRequests[0]!;
    expect(received.path).toBe("/api/v1/voices/preview");
    expect(received.apiKey).toBe(upstream.apiKey);
    expect(received.fields).toEqual({ text: PREVIEW_TEXT, similarity: "0.65", model_id: "faseeh-v1", speed: "1.1" });
    expect(filesOf(received)).toEqual({ file: digestOf(recording) });
    expect(received.files[0]).toMatchObject({ filename: "my voice.wav", mimeType: "audio/wav" });

    const samples = fakePreviewSamples(PREVIEW_TEXT, 1.1);
    expect(upstream.previews).toEqual([{ size: samples * 2, sha256: expect.any(String) as string }]);
    expect(preview).toMatchObject({ text: PREVIEW_TEXT, similarity: 0.65, modelId: "faseeh-v1", speed: 1.1 });
    expect(preview.durationSeconds).toBeCloseTo(samples / 24_000, 6);
    const expiresIn = new Date(preview.expiresAt).getTime() - new Date(preview.createdAt).getTime();
    expect(expiresIn).toBe(24 * 3_600_000);
    expect(new URL(preview.audioUrl).pathname).toBe(`/previews/${preview.id}.wav`);

    // Kept as produced: the PCM on disk is what Faseeh sent, the recording what the client sent.
    const [row] = await previewRows(gateway);
    expect(row).toMatchObject({
      id: preview.id,
      owner: "anonymous",
      audio_bytes: String(samples * 2),
      audio_sha256: upstream.previews[0]!.sha256,
      recording_sha256: sha256(recording),
    });
    const dir = path.join(gateway.container.config.previews.dir, preview.id);
    expect(sha256(await readFile(path.join(dir, "audio.pcm")))).toBe(upstream.previews[0]!.sha256);
    expect(sha256(await readFile(path.join(dir, "recording")))).toBe(sha256(recording));
    expect(await previewDirContents(gateway)).toEqual([preview.id]);
  });

  test("speed defaults to 1.0", async ({ gateway, upstream }) => {
    const response = await previewVoice(gateway, { file: { content: wav(), filename: "r.wav" } });
    expect(response.body.data!.previewVoice.speed).toBe(1);
    expect(upstream.previewRequests[0]!.fields.speed).toBe("1");
  });

  test.for([
    ["text of two words", { text: "مرحبا بالعالم" }, "input.text", "at least 3 words"],
    ["text under 10 characters", { text: "a b c d" }, "input.text", "at least 10 characters"],
    ["blank text", { text: "   " }, "input.text", "at least 10 characters"],
    ["similarity above 1", { similarity: 1.5 }, "input.similarity", "between 0 and 1"],
    ["similarity below 0", { similarity: -0.1 }, "input.similarity", "between 0 and 1"],
    ["speed below 0.7", { speed: 0.5 }, "input.speed", "between 0.7 and 1.2"],
    ["speed above 1.2", { speed: 1.3 }, "input.speed", "between 0.7 and 1.2"],
    ["a blank model", { modelId: " " }, "input.modelId", "must not be blank"],
    ["a model Faseeh does not offer", { modelId: "faseeh-v9" }, "input.modelId", "Valid ids: faseeh-v1, faseeh-v1-pro"],
  ] as const)("refuses %s before anything is sent", async ([, input, field, message], { gateway, upstream }) => {
    const response = await previewVoice(gateway, { input, file: SMALL_RECORDING });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(response.body.errors?.[0]?.message).toContain(message);
    expect(upstream.previewRequests).toHaveLength(0);
    expect(await previewRows(gateway)).toEqual([]);
    expect(await previewDirContents(gateway)).toEqual([]);
  });

  test("refuses a recording that is not audio, judged by its bytes, before anything is sent", async ({ gateway, upstream }) => {
    const response = await previewVoice(gateway, { file: { content: textFile(), filename: "voice.wav", type: "audio/wav" } });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.file" });
    expect(upstream.previewRequests).toHaveLength(0);
    expect(await previewDirContents(gateway)).toEqual([]);
  });

  test("refuses a missing recording", async ({ gateway, upstream }) => {
    const response = await previewVoice(gateway, { file: null });
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(response.body.errors?.[0]?.message).toContain('Field "file" of required type "Upload!" was not provided');
    expect(upstream.previewRequests).toHaveLength(0);
  });

  test.for([
    [{ kind: "error", status: 400, errorMessage: "similarity must be a number between 0 and 1" }, "UPSTREAM_BAD_REQUEST"],
    [{ kind: "error", status: 401 }, "UPSTREAM_UNAUTHORIZED"],
    [{ kind: "error", status: 402, errorCode: "40201" }, "INSUFFICIENT_BALANCE"],
    [{ kind: "error", status: 404 }, "UPSTREAM_BAD_REQUEST"],
    [{ kind: "error", status: 429, headers: { "Retry-After": "120" } }, "RATE_LIMITED"],
    [
      { kind: "error", status: 500, errorCode: "50001", errorMessage: "Failed to generate voice preview" },
      "UPSTREAM_OUTCOME_UNKNOWN",
    ],
    [{ kind: "garbage" }, "UPSTREAM_OUTCOME_UNKNOWN"],
    [{ kind: "pcmThenReset", bytesBeforeReset: 64 * 1024 }, "UPSTREAM_OUTCOME_UNKNOWN"],
    [{ kind: "pcm", bytes: Buffer.alloc(4801) }, "UPSTREAM_OUTCOME_UNKNOWN"],
    [{ kind: "reset" }, "UPSTREAM_OUTCOME_UNKNOWN"],
  ] as const)("maps Faseeh's %j to %s, sends it once, and keeps nothing", async ([behaviour, code], { gateway, upstream }) => {
    upstream.enqueuePreview(behaviour);
    const response = await previewVoice(gateway, { file: SMALL_RECORDING });
    expect(response.status).toBe(200);
    expect(response.body.errors?.[0]?.extensions?.code).toBe(code);
    expect(response.body.data).toBeNull();
    expect(upstream.previewRequests).toHaveLength(1);
    expect(await previewRows(gateway)).toEqual([]);
    expect(await previewDirContents(gateway)).toEqual([]);
    if (code === "UPSTREAM_OUTCOME_UNKNOWN") {
      expect(response.body.errors?.[0]?.message).toContain("Faseeh received the whole preview request");
    }
  });

  test("passes Faseeh's own error code and message on", async ({ gateway, upstream }) => {
    upstream.enqueuePreview({ kind: "error", status: 402, errorCode: "40201", errorMessage: "Wallet balance is too low" });
    const response = await previewVoice(gateway);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({
      code: "INSUFFICIENT_BALANCE",
      upstreamStatus: 402,
      upstreamErrorCode: "40201",
      upstreamErrorMessage: "Wallet balance is too low",
    });
  });

  test("retries a call Faseeh never received in full, replaying the recording from disk", async ({ gateway, upstream }) => {
    upstream.enqueuePreview({ kind: "resetBeforeBody" });
    const recording = previewRecording();
    const response = await previewVoice(gateway, { file: { content: recording, filename: "r.wav" } });
    expect(response.body.errors).toBeUndefined();
    expect(upstream.previewRequests).toHaveLength(2);
    expect(upstream.previewRequests[1]!.aborted).toBe(false);
    expect(filesOf(upstream.previewRequests[1]!)).toEqual({ file: digestOf(recording) });
    expect((await previewRows(gateway))[0]!.recording_sha256).toBe(sha256(recording));
  });

  test("needs a write key: a read key is FORBIDDEN and nothing is sent", async ({ gateway, upstream }) => {
    const reader = await createKey(gateway.database!, "reader", "read");
    const response = await previewVoice(gateway, { headers: bearer(reader.key) });
    expect(response.status).toBe(403);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(upstream.previewRequests).toHaveLength(0);
  });
});

describe("voicePreview", () => {
  test("answers the caller's own preview with a fresh audio URL, and nobody else's", async ({ gateway }) => {
    const alice = await createKey(gateway.database!, "alice", "write");
    const bob = await createKey(gateway.database!, "bob", "write");
    const made = (await previewVoice(gateway, { headers: bearer(alice.key) })).body.data!.previewVoice;

    const own = await gateway.graphql(VoicePreviewDocument, { id: made.id }, bearer(alice.key));
    expect(own.body.data!.voicePreview).toMatchObject({ id: made.id, text: PREVIEW_TEXT, durationSeconds: made.durationSeconds });
    expect(own.body.data!.voicePreview!.audioUrl).toContain(`/previews/${made.id}.wav?`);

    const other = await gateway.graphql(VoicePreviewDocument, { id: made.id }, bearer(bob.key));
    expect(other.body).toEqual({ data: { voicePreview: null } });
    const unknown = await gateway.graphql(VoicePreviewDocument, { id: "not-a-uuid" }, bearer(alice.key));
    expect(unknown.body).toEqual({ data: { voicePreview: null } });
  });
});

describe("cloneVoice from a preview", () => {
  test("sends the preview's exact PCM, the recording and the text, and records which preview it was", async ({
    gateway,
    upstream,
  }) => {
    const recording = previewRecording();
    const preview = (await previewVoice(gateway, { file: { content: recording, filename: "me.wav" } })).body.data!.previewVoice;

    const response = await cloneFromPreview(gateway, { previewId: preview.id, name: "Layla" });
    expect(response.body.errors).toBeUndefined();
    const voice = response.body.data!.cloneVoice.voice;
    expect(voice).toMatchObject({ name: "Layla", model: "faseeh-v1" });

    expect(upstream.requests).toHaveLength(1);
    const clone = upstream.requests[0]!;
    expect(clone.fields).toMatchObject({ text: PREVIEW_TEXT, model: "faseeh-v1", name: "Layla" });
    expect(filesOf(clone)).toEqual({ voice_file: upstream.previews[0], reference_audio_file: digestOf(recording) });
    const voiceFile = clone.files.find((file) => file.field === "voice_file")!;
    // The fake's parser shows a part's type/subtype only; the gateway sent Faseeh's whole PCM type.
    expect(voiceFile).toMatchObject({ filename: "preview.pcm", mimeType: PREVIEW_CONTENT_TYPE.split(";")[0] });
    expect(clone.files.find((file) => file.field === "reference_audio_file")).toMatchObject({
      filename: "me.wav",
      mimeType: "audio/wav",
    });
    const [attempt] = await gateway.database!.query<{ status: string; preview_id: string }>(
      "SELECT status, preview_id::text FROM clone_attempts",
    );
    expect(attempt).toEqual({ status: "SUCCEEDED", preview_id: preview.id });
  });

  test("takes tags: stored normalised with the voice, never sent to Faseeh, refused like a clone's", async ({
    gateway,
    upstream,
  }) => {
    const preview = (await previewVoice(gateway, { file: SMALL_RECORDING })).body.data!.previewVoice;
    const refused = await cloneFromPreview(gateway, { previewId: preview.id, tags: ["news,sport"] });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.tags" });
    expect(upstream.requests).toHaveLength(0);

    const response = await cloneFromPreview(gateway, { previewId: preview.id, tags: ["Bedtime Stories", "calm"] });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.cloneVoice.voice.tags).toEqual(["bedtime-stories", "calm"]);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.fieldNames).not.toContain("tags");
    expect(await gateway.database!.query("SELECT tags FROM voices")).toEqual([{ tags: ["bedtime-stories", "calm"] }]);
  });

  test("uses the given model instead of the preview's, when one is given", async ({ gateway, upstream }) => {
    const preview = (await previewVoice(gateway)).body.data!.previewVoice;
    const response = await cloneFromPreview(gateway, { previewId: preview.id, model: "faseeh-v2" });
    expect(response.body.errors).toBeUndefined();
    expect(upstream.requests[0]!.fields.model).toBe("faseeh-v2");
  });

  test("is idempotent: the same key replays the voice without a second clone", async ({ gateway, upstream }) => {
    const preview = (await previewVoice(gateway)).body.data!.previewVoice;
    const first = await cloneFromPreview(gateway, { previewId: preview.id, idempotencyKey: "from-preview-1" });
    const again = await cloneFromPreview(gateway, { previewId: preview.id, idempotencyKey: "from-preview-1" });
    expect(first.body.data!.cloneVoice.replayed).toBe(false);
    expect(again.body.data!.cloneVoice).toMatchObject({ replayed: true, voice: { id: first.body.data!.cloneVoice.voice.id } });
    expect(upstream.requests).toHaveLength(1);
  });

  test("retries a clone Faseeh never received in full with the same bytes", async ({ gateway, upstream }) => {
    const recording = previewRecording();
    const preview = (await previewVoice(gateway, { file: { content: recording, filename: "me.wav" } })).body.data!.previewVoice;
    upstream.enqueue({ kind: "resetBeforeBody" });
    const response = await cloneFromPreview(gateway, { previewId: preview.id });
    expect(response.body.errors).toBeUndefined();
    expect(upstream.requests).toHaveLength(2);
    expect(filesOf(upstream.requests[1]!)).toEqual({
      voice_file: upstream.previews[0],
      reference_audio_file: digestOf(recording),
    });
  });

  test.for([
    ["voiceFile", { "input.voiceFile": { content: wav(), filename: "v.wav" } }, {}],
    ["referenceAudioFile", { "input.referenceAudioFile": { content: wav(), filename: "r.wav" } }, {}],
    ["text", {}, { text: "نص آخر للمعاينة" }],
  ] as const)("refuses previewId together with %s", async ([field, files, input], { gateway, upstream }) => {
    const preview = (await previewVoice(gateway)).body.data!.previewVoice;
    const response = await gateway.multipart(
      CloneVoiceDocument,
      { input: { name: "Layla", stability: 0.5, previewId: preview.id, ...input } },
      files,
    );
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: `input.${field}` });
    expect(upstream.requests).toHaveLength(0);
  });

  test("refuses an unknown, someone else's or expired preview, and sends nothing", async ({ gateway, upstream }) => {
    const alice = await createKey(gateway.database!, "alice", "write");
    const bob = await createKey(gateway.database!, "bob", "write");
    const preview = (await previewVoice(gateway, { headers: bearer(alice.key) })).body.data!.previewVoice;
    const refusals = [
      await cloneFromPreview(gateway, { previewId: "3f1c8a52-8d1e-4c55-9a43-0c9e7a0f6b11" }, bearer(alice.key)),
      await cloneFromPreview(gateway, { previewId: "nonsense" }, bearer(alice.key)),
      await cloneFromPreview(gateway, { previewId: preview.id }, bearer(bob.key)),
    ];
    await gateway.database!.query("UPDATE voice_previews SET expires_at = now() - interval '1 second'");
    refusals.push(await cloneFromPreview(gateway, { previewId: preview.id }, bearer(alice.key)));
    for (const response of refusals) {
      expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.previewId" });
    }
    expect(upstream.requests).toHaveLength(0);
    expect(await gateway.database!.query("SELECT 1 FROM voices")).toEqual([]);
  });

  test("a clone that lacks both files and a preview names what is missing", async ({ gateway, upstream }) => {
    const response = await gateway.multipart(
      CloneVoiceDocument,
      { input: { name: "Layla", stability: 0.5, model: "faseeh-v1", text: "نص المعاينة" } },
      { "input.referenceAudioFile": { content: wav(), filename: "r.wav" } },
    );
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.voiceFile" });
    expect(response.body.errors?.[0]?.message).toContain("previewId");
    expect(upstream.requests).toHaveLength(0);
  });

  test("records the preview's PCM size on a MiB-scale preview and relays it whole", async ({ gateway, upstream }) => {
    const pcm = noisyWav(2 * MiB + 44, 5).subarray(44); // 2 MiB of samples, no header
    upstream.enqueuePreview({ kind: "pcm", bytes: pcm });
    const preview = (await previewVoice(gateway)).body.data!.previewVoice;
    expect(preview.durationSeconds).toBeCloseTo(pcm.length / 48_000, 6);
    const response = await cloneFromPreview(gateway, { previewId: preview.id });
    expect(response.body.errors).toBeUndefined();
    expect(filesOf(upstream.requests[0]!).voice_file).toEqual(digestOf(pcm));
  });
});

describe("what a preview shares with clones", () => {
  test("counts toward PREVIEW_RATE_LIMIT_PER_MINUTE, a budget apart from the clone limit", async ({ upstream, startGateway }) => {
    // The limits count per calendar minute: on a clock standing 15 s into this one, none ends during the test.
    const clock = new ManualClock(Date.now() - (Date.now() % 60_000) + 15_000);
    const gateway = await startGateway({
      upstream,
      clock,
      env: { PREVIEW_RATE_LIMIT_PER_MINUTE: "2", CLONE_RATE_LIMIT_PER_MINUTE: "1" },
    });
    expect((await previewVoice(gateway)).body.errors).toBeUndefined();
    expect((await previewVoice(gateway)).body.errors).toBeUndefined();
    const limited = await previewVoice(gateway);
    expect(limited.body.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", reason: "CLIENT_RATE_LIMIT" });
    expect(limited.body.errors?.[0]?.message).toContain("Too many previews");
    expect(upstream.previewRequests).toHaveLength(2);
    // The clone budget is untouched by the previews.
    expect((await cloneVoice(gateway)).body.errors).toBeUndefined();
  });

  test("waits for a slot under UPSTREAM_MAX_CONCURRENCY, which clones and previews share", async ({ upstream, startGateway }) => {
    const gateway = await startGateway({ upstream, env: { UPSTREAM_MAX_CONCURRENCY: "1" } });
    upstream.enqueue({ kind: "delay", ms: 800, then: { kind: "success" } });
    const clone = cloneVoice(gateway);
    await waitFor(() => upstream.inFlight === 1);
    const preview = previewVoice(gateway);
    expect((await clone).body.errors).toBeUndefined();
    expect((await preview).body.errors).toBeUndefined();
    expect(upstream.peakInFlight).toBe(1);
    expect(upstream.previewRequests).toHaveLength(1);
  });

  test("refuses a recording over MAX_UPLOAD_BYTES; Faseeh never gets a complete request", async ({ upstream, startGateway }) => {
    const gateway = await startGateway({ upstream, env: { MAX_UPLOAD_BYTES: String(MiB) } });
    const response = await previewVoice(gateway, { file: { content: previewRecording(), filename: "long.wav" } });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.file" });
    expect(response.body.errors?.[0]?.message).toContain("larger than the 1 MiB limit");
    expect(upstream.previewRequests.every((request) => request.aborted)).toBe(true);
    expect(upstream.previews).toEqual([]);
    expect(await previewRows(gateway)).toEqual([]);
    expect(await previewDirContents(gateway)).toEqual([]);
  });

  test("stops when the client leaves mid-upload: nothing complete reaches Faseeh, nothing is kept", async ({
    gateway,
    upstream,
  }) => {
    const paced = pacedMultipart(
      print(PreviewVoiceDocument),
      { input: defaultPreviewInput() },
      { "input.file": { content: previewRecording(), filename: "r.wav" } },
    );
    const controller = new AbortController();
    const pending = request(`${gateway.url}/graphql`, {
      method: "POST",
      body: Readable.from(
        paced.body(async (sentBytes) => {
          if (sentBytes > MiB) {
            controller.abort();
            await new Promise(() => undefined); // never sends another byte
          }
        }),
      ),
      headers: { "apollo-require-preflight": "true", "content-type": paced.contentType },
      signal: controller.signal,
      dispatcher: client,
    }).catch((error: unknown) => error);
    await pending;
    await waitFor(() => upstream.previewRequests.length > 0 && upstream.inFlight === 0);
    await waitFor(async () => (await previewDirContents(gateway)).length === 0, 5_000, "the staging copy to be removed");
    expect(upstream.previewRequests.every((received) => received.aborted)).toBe(true);
    expect(upstream.previews).toEqual([]);
    expect(await previewRows(gateway)).toEqual([]);
  });
});
