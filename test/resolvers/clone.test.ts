// cloneVoice over real HTTP: multipart in, multipart out to a real fake
// upstream, a real PostgreSQL database behind.
import { createHash } from "node:crypto";
import { CloneAttemptVoicesDocument, VoiceDocument } from "../generated/operations.js";
import { mp3, textFile, wav } from "../../dev/audio-fixtures.js";
import { cloneVoice } from "../support/clone.js";
import { describe, expect, test, vi } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";

const sha256 = (buffer: Buffer) => createHash("sha256").update(buffer).digest("hex");

const storedVoices = (gateway: TestGateway) =>
  gateway.database!.query<{ id: string; voice_id: string }>("SELECT * FROM voices ORDER BY created_at");

describe("cloneVoice round trip", () => {
  test("sends exactly the contract's parts upstream and stores the returned voice", async ({ gateway, upstream }) => {
    const voiceFile = wav(20_000);
    const referenceAudioFile = mp3();
    const response = await cloneVoice(gateway, {
      input: {
        name: "  Layla  ",
        text: "نص المعاينة",
        stability: 0.75,
        model: "faseeh-v1",
        description: "Warm narrator",
        gender: "Female",
        age: "Middle",
        languages: ["AR", "en", "ar"],
        dialects: ["Najdi", "hijazi"],
        avatarUrl: "https://example.com/a.png",
      },
      voiceFile: { content: voiceFile, filename: "preview.wav", type: "application/octet-stream" },
      referenceAudioFile: { content: referenceAudioFile, filename: "original.mp3", type: "application/octet-stream" },
    });

    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const voice = response.body.data!.cloneVoice.voice;

    expect(upstream.requests).toHaveLength(1);
    const received = upstream.requests[0]!;
    expect(received.path).toBe("/api/v1/voices/clone");
    expect(received.apiKey).toBe(upstream.apiKey);
    expect(received.fields).toEqual({
      text: "نص المعاينة",
      stability: "0.75",
      name: "Layla",
      model: "faseeh-v1",
      description: "Warm narrator",
      gender: "female",
      age: "middle",
      languages: "ar,en",
      dialects: "najdi,hijazi",
      avatar_url: "https://example.com/a.png",
    });
    // Files are relayed in the order they finish arriving; compare by field.
    const files = [...received.files].sort((a, b) => b.field.localeCompare(a.field));
    expect(files.map((file) => [file.field, file.filename, file.mimeType, file.size, file.sha256])).toEqual([
      ["voice_file", "preview.wav", "audio/wav", voiceFile.length, sha256(voiceFile)],
      ["reference_audio_file", "original.mp3", "audio/mpeg", referenceAudioFile.length, sha256(referenceAudioFile)],
    ]);

    const created = upstream.createdVoices[0]!;
    expect(voice).toMatchObject({
      id: created.id,
      voiceId: created.voice_id,
      name: "Layla",
      description: "Warm narrator",
      gender: "female",
      age: "middle",
      languages: ["ar", "en"],
      dialects: ["najdi", "hijazi"],
      type: "cloned",
      sampleUrl: created.sample_url,
      avatarUrl: "https://example.com/a.png",
      stability: 0.75,
      model: "faseeh-v1",
    });
    expect(new Date(voice.createdAt).toISOString()).toBe(voice.createdAt);

    const rows = await storedVoices(gateway);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: created.id,
      voice_id: created.voice_id,
      languages: ["ar", "en"],
      dialects: ["najdi", "hijazi"],
      model: "faseeh-v1",
    });
  });

  test("sends only the required fields when the optional ones are absent", async ({ gateway, upstream }) => {
    const response = await cloneVoice(gateway);
    expect(response.body.errors).toBeUndefined();
    expect(Object.keys(upstream.requests[0]!.fields).sort()).toEqual(["model", "name", "stability", "text"]);
    expect(response.body.data!.cloneVoice.voice).toMatchObject({ languages: [], dialects: [], gender: null, avatarUrl: null });
  });

  test("stores empty lists when upstream omits languages and dialect", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "success", omit: ["languages", "dialect"] });
    const response = await cloneVoice(gateway, { input: { languages: ["ar"], dialects: ["najdi"] } });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.cloneVoice.voice).toMatchObject({ languages: [], dialects: [] });
    const rows = await gateway.database!.query<{ languages: string[]; dialects: string[] }>(
      "SELECT languages, dialects FROM voices",
    );
    expect(rows).toEqual([{ languages: [], dialects: [] }]);
  });

  test("stores the tags normalised and returns them, and never sends them to Faseeh", async ({ gateway, upstream }) => {
    const response = await cloneVoice(gateway, {
      input: { tags: ["News", "  Warm   Voice ", "ｎｅｗｓ", "قصص", "studio_2.0"], languages: ["ar"] },
    });
    expect(response.body.errors).toBeUndefined();
    const normalised = ["news", "warm-voice", "قصص", "studio_2.0"];
    expect(response.body.data!.cloneVoice.voice.tags).toEqual(normalised);

    const received = upstream.requests[0]!;
    expect(received.fieldNames).not.toContain("tags");
    expect([...received.fieldNames].sort()).toEqual(
      ["languages", "model", "name", "reference_audio_file", "stability", "text", "voice_file"].sort(),
    );
    expect(Object.values(received.fields).some((value) => value.includes("warm"))).toBe(false);

    expect(await gateway.database!.query("SELECT tags FROM voices")).toEqual([{ tags: normalised }]);
    // Part of the attempt's recorded request, as validated.
    const [attempt] = await gateway.database!.query<{ request: { tags: unknown } }>("SELECT request FROM clone_attempts");
    expect(attempt!.request.tags).toEqual(normalised);
    const byVoiceId = await gateway.graphql(VoiceDocument, { voiceId: response.body.data!.cloneVoice.voice.voiceId });
    expect(byVoiceId.body.data!.voice!.tags).toEqual(normalised);
  });

  test("stores no tags when none are given (absent or null)", async ({ gateway }) => {
    const absent = await cloneVoice(gateway, { input: { name: "Absent" } });
    const none = await cloneVoice(gateway, { input: { name: "Null", tags: null } });
    const empty = await cloneVoice(gateway, { input: { name: "Empty", tags: [] } });
    for (const response of [absent, none, empty]) {
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data!.cloneVoice.voice.tags).toEqual([]);
    }
  });

  test("can be queried back by id and by voiceId", async ({ gateway }) => {
    const voice = (await cloneVoice(gateway)).body.data!.cloneVoice.voice;
    const byId = await gateway.graphql(VoiceDocument, { id: voice.id });
    const byVoiceId = await gateway.graphql(VoiceDocument, { voiceId: voice.voiceId });
    expect(byId.body.data!.voice!.voiceId).toBe(voice.voiceId);
    expect(byVoiceId.body.data!.voice!.id).toBe(voice.id);
  });
});

describe("cloneVoice input errors: BAD_USER_INPUT, no upstream call, nothing stored", () => {
  const cases: Array<[string, Parameters<typeof cloneVoice>[1], string]> = [
    ["stability above 1", { input: { stability: 1.5 } }, "input.stability"],
    ["stability below 0", { input: { stability: -0.1 } }, "input.stability"],
    ["blank name", { input: { name: "   " } }, "input.name"],
    ["name over 100 characters", { input: { name: "x".repeat(101) } }, "input.name"],
    ["blank text", { input: { text: " \n " } }, "input.text"],
    ["text over 5000 characters", { input: { text: "ن".repeat(5001) } }, "input.text"],
    ["bad language code", { input: { languages: ["arabic!"] } }, "input.languages"],
    ["bad dialect", { input: { dialects: ["9najdi"] } }, "input.dialects"],
    ["relative avatar URL", { input: { avatarUrl: "/avatar.png" } }, "input.avatarUrl"],
    ["non-http avatar URL", { input: { avatarUrl: "ftp://example.com/a.png" } }, "input.avatarUrl"],
    ["gender that is not a plain word", { input: { gender: "<script>" } }, "input.gender"],
    [
      "a text file renamed .wav",
      { voiceFile: { content: textFile(), filename: "notes.wav", type: "audio/wav" } },
      "input.voiceFile",
    ],
    [
      "an empty reference file",
      { referenceAudioFile: { content: Buffer.alloc(0), filename: "empty.wav" } },
      "input.referenceAudioFile",
    ],
    ["a missing reference file", { referenceAudioFile: null }, "input.referenceAudioFile"],
  ];

  test.for(cases)("rejects %s", async ([, options, field], { gateway, upstream }) => {
    const response = await cloneVoice(gateway, options);
    const error = response.body.errors?.[0];
    expect(error?.extensions?.code).toBe("BAD_USER_INPUT");
    if (field !== "input.referenceAudioFile" || options?.referenceAudioFile !== null) {
      expect(error?.extensions?.field).toBe(field);
    }
    expect(error?.message).toContain(field.split(".").pop()!);
    expect(upstream.requests).toHaveLength(0);
    expect(await storedVoices(gateway)).toHaveLength(0);
    // The server still answers the next request on the same keep-alive pool.
    expect((await gateway.graphql(`{ voices { totalCount } }`)).body.data).toEqual({ voices: { totalCount: 0 } });
  });

  test("rejects a file over MAX_UPLOAD_BYTES without creating a voice upstream", async ({ upstream, startGateway }) => {
    const small = await startGateway({ upstream, env: { MAX_UPLOAD_BYTES: String(64 * 1024) } });
    const response = await cloneVoice(small, { voiceFile: { content: wav(200 * 1024), filename: "big.wav" } });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.voiceFile" });
    expect(response.body.errors?.[0]?.message).toContain("larger than the 64 KiB limit");
    // The file streamed until it crossed the limit; the upstream request was
    // cut before its end, so Faseeh never had a complete request to act on.
    expect(upstream.requests.every((received) => received.aborted)).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
    // Recorded, so cloneAttempts accounts for the call: FAILED with the code the client got.
    expect(await small.database!.query("SELECT status, error_code FROM clone_attempts")).toEqual([
      { status: "FAILED", error_code: "BAD_USER_INPUT" },
    ]);
    expect(await small.database!.query("SELECT * FROM voices")).toHaveLength(0);
  });
});

describe("cloneVoice with invalid tags: BAD_USER_INPUT on input.tags before anything is sent or begun", () => {
  const cases: Array<[string, unknown[], string]> = [
    ["21 tags", Array.from({ length: 21 }, (_, i) => `tag-${i}`), "at most 20 tags"],
    ["a 41-character tag", ["x".repeat(41)], "1-40 characters (got 41)"],
    ["a tag with a comma", ["news,sport"], 'letters, digits and "-", "_" or "."'],
    ["a blank tag", ["   "], "1-40 characters (got 0)"],
  ];

  test.for(cases)("rejects %s", async ([, tags, message], { gateway, upstream }) => {
    const response = await cloneVoice(gateway, { input: { tags, idempotencyKey: "bad-tags" } });
    const error = response.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.tags" });
    expect(error?.message).toContain("`input.tags`");
    expect(error?.message).toContain(message);
    expect(upstream.requests).toHaveLength(0);
    expect(await storedVoices(gateway)).toHaveLength(0);
    // No attempt was begun: the only row is the refusal every refused call
    // leaves for cloneAttempts (FAILED, holding no idempotency key).
    expect(
      await gateway.database!.query("SELECT status, error_code, request_hash, idempotency_key, request FROM clone_attempts"),
    ).toEqual([
      { status: "FAILED", error_code: "BAD_USER_INPUT", request_hash: "refused", idempotency_key: null, request: null },
    ]);
  });

  test("21 tags that normalise to 20 are accepted", async ({ gateway }) => {
    const tags = [...Array.from({ length: 20 }, (_, i) => `tag-${i}`), "TAG-0"];
    const response = await cloneVoice(gateway, { input: { tags } });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.cloneVoice.voice.tags).toHaveLength(20);
  });
});

describe("cloneAttempts { voice }", () => {
  test("loads the voices of a whole list with one catalog query, each attempt with its own voice", async ({ gateway }) => {
    const names = ["Amal", "Basma", "Chadi", "Dalia", "Emad", "Farah"];
    for (const name of names) expect((await cloneVoice(gateway, { input: { name } })).body.errors).toBeUndefined();
    const batched = vi.spyOn(gateway.container.catalog, "getVoicesByVoiceIds");
    const single = vi.spyOn(gateway.container.catalog, "getVoice");
    try {
      const response = await gateway.graphql(CloneAttemptVoicesDocument, { first: 20 });
      expect(response.body.errors).toBeUndefined();
      const attempts = response.body.data!.cloneAttempts;
      expect(attempts).toHaveLength(names.length);
      for (const attempt of attempts) expect(attempt.voice?.voiceId).toBe(attempt.voiceId);
      expect(attempts.map((attempt) => attempt.voice?.name).sort()).toEqual(names);
      expect(batched).toHaveBeenCalledTimes(1);
      expect(batched.mock.calls[0]![0]).toHaveLength(names.length);
      expect(single).not.toHaveBeenCalled();
    } finally {
      batched.mockRestore();
      single.mockRestore();
    }
  });

  test("answers null for an attempt whose voice the catalog does not hold", async ({ gateway }) => {
    expect((await cloneVoice(gateway, { input: { name: "Ghada" } })).body.errors).toBeUndefined();
    await gateway.database!.query("DELETE FROM voices");
    const response = await gateway.graphql(CloneAttemptVoicesDocument, { first: 20 });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.cloneAttempts).toEqual([{ voiceId: expect.any(String) as unknown, voice: null }]);
  });
});
