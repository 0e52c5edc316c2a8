// The careful path from upload to catalog, over real HTTP: idempotency,
// the concurrency cap, oversized and fake audio, whole files on every send,
// clients that disconnect.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { request } from "undici";
import { VoiceWithAttemptsDocument } from "../../generated/operations.js";
import { MiB, mp3, noisyWav, sha256, wav } from "../../../dev/audio-fixtures.js";
import { CLONE_VOICE, cloneVoice, defaultCloneInput, pacedClone } from "../../support/clone.js";
import { type FakeFaseeh, filesOf } from "../../../dev/fake-faseeh.js";
import { describe, expect, test } from "../../support/fixtures.js";
import { client, type TestGateway } from "../../support/gateway.js";
import { waitFor } from "../../support/wait.js";

test.override("gatewayOptions", { env: { UPSTREAM_MAX_CONCURRENCY: "2", UPSTREAM_QUEUE_TIMEOUT_MS: "5000" } });

const voiceCount = async (gateway: TestGateway) => (await gateway.database!.query("SELECT id FROM voices")).length;

test.afterEach(async ({ uploadDir }) => {
  // No request leaves a spooled upload behind, whatever happened. (A clone
  // removes its files just after recording its outcome, so allow it a moment.)
  await waitFor(async () => (await readdir(uploadDir)).length === 0, 5_000, "the upload dir to be empty");
});

describe("idempotency keys", () => {
  test("returns the same voice for a repeated request without calling upstream again", async ({ gateway, upstream }) => {
    const first = await cloneVoice(gateway, { input: { idempotencyKey: "order-1" } });
    const second = await cloneVoice(gateway, { input: { idempotencyKey: "order-1" } });
    expect(first.body.errors).toBeUndefined();
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data!.cloneVoice.voice).toEqual(first.body.data!.cloneVoice.voice);
    expect(second.body.data).toMatchObject({ cloneVoice: { replayed: true } });
    expect(first.body.data).toMatchObject({ cloneVoice: { replayed: false } });
    expect(upstream.requests).toHaveLength(1);
    expect(await voiceCount(gateway)).toBe(1);
  });

  test("accepts the key as an Idempotency-Key header", async ({ gateway, upstream }) => {
    await cloneVoice(gateway, { headers: { "idempotency-key": "hdr-1" } });
    const again = await cloneVoice(gateway, { headers: { "idempotency-key": "hdr-1" } });
    expect(again.body.data).toMatchObject({ cloneVoice: { replayed: true } });
    expect(upstream.requests).toHaveLength(1);
  });

  test("ignores file names but not file contents or fields", async ({ gateway, upstream }) => {
    await cloneVoice(gateway, { input: { idempotencyKey: "k-2" }, voiceFile: { content: wav(), filename: "a.wav" } });
    const renamed = await cloneVoice(gateway, {
      input: { idempotencyKey: "k-2" },
      voiceFile: { content: wav(), filename: "b.wav" },
    });
    expect(renamed.body.data).toMatchObject({ cloneVoice: { replayed: true } });

    const otherFile = await cloneVoice(gateway, {
      input: { idempotencyKey: "k-2" },
      voiceFile: { content: mp3(), filename: "a.mp3" },
    });
    expect(otherFile.body.errors?.[0]?.extensions).toMatchObject({
      code: "IDEMPOTENCY_KEY_REUSED",
      field: "input.idempotencyKey",
    });
    const otherName = await cloneVoice(gateway, { input: { idempotencyKey: "k-2", name: "Other" } });
    expect(otherName.body.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(upstream.requests).toHaveLength(1);
    expect(await voiceCount(gateway)).toBe(1);
  });

  test("counts tags as normalised: equal tags in another order or case replay, other tags are a different request", async ({
    gateway,
    upstream,
  }) => {
    const first = await cloneVoice(gateway, { input: { idempotencyKey: "tagged-1", tags: ["News", "Warm Voice"] } });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.cloneVoice.voice.tags).toEqual(["news", "warm-voice"]);

    const reordered = await cloneVoice(gateway, {
      input: { idempotencyKey: "tagged-1", tags: ["WARM  voice", "news", "NEWS"] },
    });
    expect(reordered.body.errors).toBeUndefined();
    expect(reordered.body.data!.cloneVoice).toMatchObject({
      replayed: true,
      voice: { id: first.body.data!.cloneVoice.voice.id, tags: ["news", "warm-voice"] },
    });

    for (const tags of [["news"], ["news", "warm-voice", "sport"], [], null]) {
      const other = await cloneVoice(gateway, { input: { idempotencyKey: "tagged-1", tags } });
      expect(other.body.errors?.[0]?.extensions, JSON.stringify(tags)).toMatchObject({
        code: "IDEMPOTENCY_KEY_REUSED",
        field: "input.idempotencyKey",
      });
    }
    // A key first used without tags: leaving them out, or an empty list, is the same request.
    await cloneVoice(gateway, { input: { idempotencyKey: "untagged-1" } });
    const emptyTags = await cloneVoice(gateway, { input: { idempotencyKey: "untagged-1", tags: [] } });
    expect(emptyTags.body.data).toMatchObject({ cloneVoice: { replayed: true } });
    const tagged = await cloneVoice(gateway, { input: { idempotencyKey: "untagged-1", tags: ["news"] } });
    expect(tagged.body.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_REUSED");

    expect(upstream.requests).toHaveLength(2);
    expect(await voiceCount(gateway)).toBe(2);
  });

  test("makes one upstream call for two identical requests sent at once", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "delay", ms: 600, then: { kind: "success" } });
    const [a, b] = await Promise.all([
      cloneVoice(gateway, { input: { idempotencyKey: "same-time" } }),
      cloneVoice(gateway, { input: { idempotencyKey: "same-time" } }),
    ]);
    expect(a.body.errors).toBeUndefined();
    expect(b.body.errors).toBeUndefined();
    expect(a.body.data!.cloneVoice.voice.id).toBe(b.body.data!.cloneVoice.voice.id);
    expect([a, b].map((response) => response.body.data!.cloneVoice.replayed).sort()).toEqual([false, true]);
    expect(upstream.requests).toHaveLength(1);
    expect(await voiceCount(gateway)).toBe(1);
  });

  test("lets a request whose upstream call failed be retried with the same key", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "error", status: 402, errorMessage: "Insufficient wallet balance" });
    const failed = await cloneVoice(gateway, { input: { idempotencyKey: "retry-me" } });
    expect(failed.body.errors?.[0]?.extensions?.code).toBe("INSUFFICIENT_BALANCE");
    const retried = await cloneVoice(gateway, { input: { idempotencyKey: "retry-me" } });
    expect(retried.body.errors).toBeUndefined();
    expect(upstream.requests).toHaveLength(2);
    const rows = await gateway.database!.query("SELECT status FROM clone_attempts");
    expect(rows).toEqual([{ status: "SUCCEEDED" }]);
  });

  test("does not repeat a request whose outcome is unknown, and names the attempt each time", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "reset" });
    const first = await cloneVoice(gateway, { input: { idempotencyKey: "unsure" } });
    expect(first.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
    const attemptId = first.body.errors?.[0]?.extensions?.attemptId;
    expect(attemptId).toEqual(expect.any(String));
    const again = await cloneVoice(gateway, { input: { idempotencyKey: "unsure" } });
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", attemptId });
    expect(again.body.errors?.[0]?.message).toContain("outcome is still unknown");
    expect(upstream.requests).toHaveLength(1);
  });

  test("rejects a key in the input that differs from the header, and malformed keys", async ({ gateway, upstream }) => {
    const differ = await cloneVoice(gateway, { input: { idempotencyKey: "a" }, headers: { "idempotency-key": "b" } });
    expect(differ.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.idempotencyKey" });
    const blank = await cloneVoice(gateway, { input: { idempotencyKey: "has space" } });
    expect(blank.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.idempotencyKey" });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("concurrency cap", () => {
  test("never runs more than UPSTREAM_MAX_CONCURRENCY clones upstream at once", async ({ gateway, upstream }) => {
    upstream.setDefault({ kind: "delay", ms: 300, then: { kind: "success" } });
    const responses = await Promise.all(Array.from({ length: 6 }, () => cloneVoice(gateway)));
    expect(responses.every((response) => response.body.errors === undefined)).toBe(true);
    expect(upstream.requests).toHaveLength(6);
    expect(upstream.peakInFlight).toBe(2);
    expect(await voiceCount(gateway)).toBe(6);
  });

  test("answers RATE_LIMITED when the queue wait runs out, having spent nothing", async ({
    upstream,
    uploadDir,
    startGateway,
  }) => {
    const tight = await startGateway({
      upstream,
      env: { UPLOAD_DIR: uploadDir, UPSTREAM_MAX_CONCURRENCY: "1", UPSTREAM_QUEUE_TIMEOUT_MS: "200" },
    });
    upstream.setDefault({ kind: "delay", ms: 800, then: { kind: "success" } });
    const slow = cloneVoice(tight);
    // The second clone comes once the first holds the only slot, however slow the machine.
    await waitFor(() => upstream.inFlight === 1);
    const queued = await cloneVoice(tight);
    expect((await slow).body.errors).toBeUndefined();
    expect(queued.body.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", reason: "GATEWAY_QUEUE_FULL" });
    expect(upstream.requests).toHaveLength(1);
    const statuses = await tight.database!.query<{ status: string }>("SELECT status FROM clone_attempts ORDER BY created_at");
    expect(statuses.map((row) => row.status)).toEqual(["SUCCEEDED", "FAILED"]);
  });
});

describe("uploads", () => {
  test("rejects a 50 MiB file under the 20 MiB limit without creating a voice upstream", async ({ gateway, upstream }) => {
    const big = wav(50 * 1024 * 1024);
    const response = await cloneVoice(gateway, { voiceFile: { content: big, filename: "long.wav" } });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.voiceFile" });
    expect(response.body.errors?.[0]?.message).toContain("20 MiB");
    // Streamed until the limit, then cut before the closing boundary: Faseeh
    // never received a complete request.
    expect(upstream.requests.every((received) => received.aborted)).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
    // Recorded, so cloneAttempts accounts for the call: FAILED with the code the client got.
    expect(await gateway.database!.query("SELECT status, error_code FROM clone_attempts")).toEqual([
      { status: "FAILED", error_code: "BAD_USER_INPUT" },
    ]);
    expect(await voiceCount(gateway)).toBe(0);
    // And the gateway answers the next request normally.
    expect((await cloneVoice(gateway)).body.errors).toBeUndefined();
  });

  test("accepts each supported audio format, judged by content", async ({ gateway, upstream }) => {
    const { flac, m4a, oggOpus, webm } = await import("../../../dev/audio-fixtures.js");
    const formats = [
      [mp3(), "audio/mpeg"],
      [oggOpus(), "audio/ogg"],
      [flac(), "audio/flac"],
      [m4a(), "audio/mp4"],
      [webm(), "audio/webm"],
    ] as const;
    for (const [content, type] of formats) {
      upstream.reset();
      const response = await cloneVoice(gateway, {
        voiceFile: { content, filename: "sample.bin", type: "application/octet-stream" },
      });
      expect(response.body.errors).toBeUndefined();
      expect(upstream.requests[0]!.files.find((file) => file.field === "voice_file")).toMatchObject({
        filename: "sample.bin",
        mimeType: type,
      });
    }
  });

  test("rejects a second file that is not audio, mid-stream, without creating a voice", async ({ gateway, upstream }) => {
    const { textFile } = await import("../../../dev/audio-fixtures.js");
    const response = await cloneVoice(gateway, {
      referenceAudioFile: { content: textFile(), filename: "notes.wav", type: "audio/wav" },
    });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.referenceAudioFile" });
    expect(upstream.requests.every((received) => received.aborted)).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
    // Recorded, so cloneAttempts accounts for the call: FAILED with the code the client got.
    expect(await gateway.database!.query("SELECT status, error_code FROM clone_attempts")).toEqual([
      { status: "FAILED", error_code: "BAD_USER_INPUT" },
    ]);
    expect((await cloneVoice(gateway)).body.errors).toBeUndefined();
  });

  test("streams both files intact when the client sends the reference first", async ({ gateway, upstream }) => {
    const { buildMultipart } = await import("../../support/gateway.js");
    const { createHash } = await import("node:crypto");
    const reference = wav(3 * 1024 * 1024);
    const voice = mp3();
    const body = buildMultipart(
      CLONE_VOICE,
      { input: defaultCloneInput() },
      {
        "input.referenceAudioFile": { content: reference, filename: "ref.wav" },
        "input.voiceFile": { content: voice, filename: "voice.mp3" },
      },
    );
    const response = await request(`${gateway.url}/graphql`, {
      method: "POST",
      body,
      headers: { "apollo-require-preflight": "true" },
      dispatcher: client,
    });
    const payload = (await response.body.json()) as { errors?: unknown };
    expect(payload.errors).toBeUndefined();
    const sha = (buffer: Buffer) => createHash("sha256").update(buffer).digest("hex");
    const files = Object.fromEntries(
      upstream.requests[0]!.files.map((file) => [file.field, [file.filename, file.size, file.sha256]]),
    );
    expect(files).toEqual({
      reference_audio_file: ["ref.wav", reference.length, sha(reference)],
      voice_file: ["voice.mp3", voice.length, sha(voice)],
    });
  });

  test("names the file sensibly when the client gave no usable name", async ({ gateway, upstream }) => {
    await cloneVoice(gateway, { voiceFile: { content: wav(), filename: "../../etc/passwd" } });
    expect(upstream.requests[0]!.files.find((file) => file.field === "voice_file")?.filename).toBe("passwd");
  });

  test("answers, without hanging, a request that lacks a file its map announced", async ({ gateway, upstream }) => {
    const boundary = "----cut";
    const operations = JSON.stringify({
      query: CLONE_VOICE,
      variables: { input: { ...defaultCloneInput(), voiceFile: null, referenceAudioFile: null } },
    });
    const head = [
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.voiceFile"],"1":["variables.input.referenceAudioFile"]}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
    ].join("");
    // The map announces two files; the body carries only the first.
    const response = await request(`${gateway.url}/graphql`, {
      method: "POST",
      body: Readable.from([Buffer.from(head), wav(), Buffer.from(`\r\n--${boundary}--\r\n`)]),
      headers: { "apollo-require-preflight": "true", "content-type": `multipart/form-data; boundary=${boundary}` },
      dispatcher: client,
    });
    const payload = (await response.body.json()) as { errors?: Array<{ extensions?: { code?: string; field?: string } }> };
    expect(payload.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.referenceAudioFile" });
    expect(upstream.requests.every((received) => received.aborted)).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
  });
});

// Files spanning many stream chunks, compared byte for byte (size and
// SHA-256) on the fake upstream's side, on every path that sends them.
describe("every byte, every time", () => {
  const voiceFile = { content: noisyWav(2 * MiB, 11), filename: "preview.wav" };
  const referenceAudioFile = { content: noisyWav(MiB + 777, 12), filename: "original.wav" };
  const sent = {
    voice_file: { size: voiceFile.content.length, sha256: sha256(voiceFile.content) },
    reference_audio_file: { size: referenceAudioFile.content.length, sha256: sha256(referenceAudioFile.content) },
  };
  const clone = (gateway: TestGateway, input: Record<string, unknown> = {}) =>
    cloneVoice(gateway, { input, voiceFile, referenceAudioFile });
  const complete = (upstream: FakeFaseeh) => upstream.requests.filter((received) => !received.aborted);

  test("sends both files whole on the first send", async ({ gateway, upstream }) => {
    const response = await clone(gateway);
    expect(response.body.errors).toBeUndefined();
    expect(complete(upstream).map(filesOf)).toEqual([sent]);
  });

  test("sends both files whole again on a same-key retry after Faseeh refused the first", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "error", status: 402, errorMessage: "Insufficient wallet balance" });
    const refused = await clone(gateway, { idempotencyKey: "whole-retry" });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("INSUFFICIENT_BALANCE");
    const retried = await clone(gateway, { idempotencyKey: "whole-retry" });
    expect(retried.body.errors).toBeUndefined();
    expect(retried.body.data!.cloneVoice.replayed).toBe(false);
    expect(complete(upstream).map(filesOf)).toEqual([sent, sent]);
    expect(upstream.createdVoices).toHaveLength(1);
  });

  test.for([
    ["a 400", { kind: "error", status: 400, errorMessage: "Reference audio too short" }],
    ["a 429 without Retry-After", { kind: "error", status: 429 }],
  ] as const)("sends both files whole on a same-key retry after %s", async ([, behaviour], { gateway, upstream }) => {
    upstream.enqueue(behaviour);
    await clone(gateway, { idempotencyKey: `after-${behaviour.status}` });
    const retried = await clone(gateway, { idempotencyKey: `after-${behaviour.status}` });
    expect(retried.body.errors).toBeUndefined();
    expect(complete(upstream).map(filesOf)).toEqual([sent, sent]);
  });

  test("sends both files whole on the automatic retry of a 429 with a short Retry-After", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "error", status: 429, headers: { "retry-after": "0" } });
    const response = await clone(gateway);
    expect(response.body.errors).toBeUndefined();
    expect(complete(upstream).map(filesOf)).toEqual([sent, sent]);
  });

  // Tags ride with the request (its stored fields, its hash, the voice) but never go to Faseeh:
  // the same bytes, and only Faseeh's fields, on every send; a replay sends nothing.
  test("with tags: the same bytes and no tags on the first send, an automatic retry and a same-key retry; a replay sends nothing", async ({
    gateway,
    upstream,
  }) => {
    upstream.enqueue({ kind: "error", status: 429, headers: { "retry-after": "0" } }, { kind: "error", status: 402 });
    const refused = await clone(gateway, { idempotencyKey: "tagged", tags: ["News", "warm"] });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("INSUFFICIENT_BALANCE");
    // The same tags in another order and case are the same request: retried, not refused.
    const retried = await clone(gateway, { idempotencyKey: "tagged", tags: ["WARM", "news"] });
    expect(retried.body.errors).toBeUndefined();
    // The voice keeps the tags of the request that made it, in their order.
    expect(retried.body.data!.cloneVoice).toMatchObject({ replayed: false, voice: { tags: ["warm", "news"] } });
    const replayed = await clone(gateway, { idempotencyKey: "tagged", tags: ["news", "warm"] });
    expect(replayed.body.data!.cloneVoice).toMatchObject({ replayed: true, voice: { tags: ["warm", "news"] } });
    expect(complete(upstream).map(filesOf)).toEqual([sent, sent, sent]);
    expect(upstream.requests.every((received) => !received.fieldNames.includes("tags"))).toBe(true);
    expect(upstream.createdVoices).toHaveLength(1);
  });

  test("sends both files whole when a concurrent duplicate takes over after the first failed", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "delay", ms: 400, then: { kind: "error", status: 402 } });
    const pending = clone(gateway, { idempotencyKey: "racing" });
    // The duplicate comes while Faseeh has the first, however slow the machine.
    await waitFor(() => upstream.inFlight === 1);
    const [first, second] = await Promise.all([pending, clone(gateway, { idempotencyKey: "racing" })]);
    expect(first.body.errors?.[0]?.extensions?.code).toBe("INSUFFICIENT_BALANCE");
    expect(second.body.errors).toBeUndefined();
    expect(complete(upstream).map(filesOf)).toEqual([sent, sent]);
    expect(await voiceCount(gateway)).toBe(1);
  });

  test("aborts a retry whose copy on disk no longer matches what the client sent, before Faseeh could act", async ({
    gateway,
    upstream,
    uploadDir,
  }) => {
    upstream.enqueue({ kind: "error", status: 429, headers: { "retry-after": "1" } });
    const pending = clone(gateway);
    // During the Retry-After wait, damage the kept copy (same size, one byte changed).
    await waitFor(() => upstream.requests.length === 1);
    const [requestDir] = await readdir(uploadDir);
    const copy = path.join(uploadDir, requestDir!, "input_voiceFile");
    const bytes = await readFile(copy);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    await writeFile(copy, bytes);
    const response = await pending;
    expect(response.body.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    // The retry never completed: Faseeh got one whole request (refused) and one cut short.
    expect(upstream.requests.map((received) => received.aborted)).toEqual([false, true]);
    expect(upstream.createdVoices).toHaveLength(0);
    expect(gateway.logs.some((line) => line.msg === "file integrity check failed; upstream request aborted")).toBe(true);
    const attempts = await gateway.database!.query<{ status: string }>("SELECT status FROM clone_attempts");
    expect(attempts).toEqual([{ status: "FAILED" }]);
  });
});

describe("once Faseeh has the whole request, the gateway sees it through", () => {
  const send = (
    gateway: TestGateway,
    paced: ReturnType<typeof pacedClone>,
    signal: AbortSignal,
    pace?: (sent: number) => Promise<void>,
  ) =>
    request(`${gateway.url}/graphql`, {
      method: "POST",
      body: Readable.from(paced.body(pace)),
      headers: { "apollo-require-preflight": "true", "content-type": paced.contentType },
      signal,
      dispatcher: client,
    }).catch((error: unknown) => error);

  test("stores the voice of a client that left after sending everything, for it to find by key, voiceId or attempts", async ({
    gateway,
    upstream,
  }) => {
    upstream.enqueue({ kind: "delay", ms: 2_500, then: { kind: "success" } });
    const voiceFile = { content: noisyWav(2 * MiB, 21), filename: "a.wav" };
    const referenceAudioFile = { content: noisyWav(MiB, 22), filename: "b.wav" };
    const paced = pacedClone({ input: { idempotencyKey: "left-early" }, voiceFile, referenceAudioFile });
    const controller = new AbortController();
    const pending = send(gateway, paced, controller.signal);
    // Faseeh has the whole request (and is working on it): the client leaves.
    await waitFor(() => upstream.requests.length === 1);
    expect(upstream.requests[0]!.aborted).toBe(false);
    controller.abort();
    await pending;
    await waitFor(async () => (await voiceCount(gateway)) === 1, 10_000, "the voice to be stored");
    const created = upstream.createdVoices[0]!;
    expect(filesOf(upstream.requests[0]!)).toEqual({
      voice_file: { size: voiceFile.content.length, sha256: sha256(voiceFile.content) },
      reference_audio_file: { size: referenceAudioFile.content.length, sha256: sha256(referenceAudioFile.content) },
    });

    // Replaying the key finds it without cloning again.
    const replay = await cloneVoice(gateway, { input: { idempotencyKey: "left-early" }, voiceFile, referenceAudioFile });
    expect(replay.body.data?.cloneVoice).toMatchObject({ replayed: true, voice: { voiceId: created.voice_id } });
    expect(upstream.requests).toHaveLength(1);
    // So do voice(voiceId:) and cloneAttempts.
    const found = await gateway.graphql(VoiceWithAttemptsDocument, { voiceId: created.voice_id });
    expect(found.body.data).toEqual({
      voice: { id: created.id },
      cloneAttempts: [{ status: "SUCCEEDED", voiceId: created.voice_id }],
    });
  });

  test("aborts cleanly when the client leaves mid-upload: nothing complete reaches Faseeh", async ({ gateway, upstream }) => {
    const paced = pacedClone({
      voiceFile: { content: noisyWav(3 * MiB, 31), filename: "a.wav" },
      referenceAudioFile: { content: noisyWav(MiB, 32), filename: "b.wav" },
    });
    const controller = new AbortController();
    const pending = send(gateway, paced, controller.signal, async (sentBytes) => {
      if (sentBytes > MiB) {
        controller.abort();
        await new Promise(() => undefined); // never sends another byte
      }
    });
    await pending;
    await waitFor(async () => {
      const rows = await gateway.database!.query<{ status: string }>("SELECT status FROM clone_attempts");
      return rows.length === 1 && rows[0]!.status === "FAILED";
    });
    await waitFor(() => upstream.inFlight === 0);
    expect(upstream.requests.length).toBeGreaterThan(0);
    expect(upstream.requests.every((received) => received.aborted)).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
    expect(await voiceCount(gateway)).toBe(0);
  });
});
