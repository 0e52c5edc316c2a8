// cloneVoice with a headerless 16-bit PCM voiceFile (what Faseeh's preview
// produces) over real HTTP: accepted when the client declares it (audio/raw,
// audio/L16, audio/pcm, or a *.pcm / *.raw name) and relayed to the fake
// upstream byte for byte; refused when its byte count is odd (the upstream
// request is cut before its end), when its bytes are some other known format,
// when it is the referenceAudioFile, or when it is not declared at all. Bytes
// that sniff as a real container win over the declaration.
import { AudioUpload } from "../../src/services/uploads/audio-upload.js";
import type { AudioPart } from "../../src/upstream/faseeh-client.js";
import { MiB, noisyWav, rawPcm, sha256, wav } from "../../dev/audio-fixtures.js";
import { cloneVoice } from "../support/clone.js";
import type { FakeFaseeh, ReceivedFile } from "../../dev/fake-faseeh.js";
import { describe, expect, test, vi } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";

const FASEEH_PCM = "audio/raw;codec=pcm16;rate=24000;channels=1";

/** A small but genuine PNG (signature, IHDR, IDAT, IEND): file-type calls it png. */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, "latin1"), data, Buffer.alloc(4)]);
  };
  return Buffer.concat([
    Buffer.from("89504e470d0a1a0a", "hex"),
    chunk("IHDR", Buffer.from("00000001000000010806000000", "hex")),
    chunk("IDAT", Buffer.alloc(64 * 1024, 0x55)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const voiceCount = async (gateway: TestGateway) =>
  (await gateway.database!.query<{ count: number }>("SELECT count(*)::int AS count FROM voices"))[0]!.count;

const attempts = (gateway: TestGateway) =>
  gateway.database!.query<{ status: string; error_code: string | null }>("SELECT status, error_code FROM clone_attempts");

/**
 * Runs `send` while watching AudioUpload.open, and returns the parts the
 * gateway handed its Faseeh client (the full Content-Type it wrote: the fake's
 * busboy keeps only the type/subtype of a part's Content-Type).
 */
async function watchingParts<T>(send: () => Promise<T>): Promise<{ result: T; parts: Array<Omit<AudioPart, "body">> }> {
  const open = vi.spyOn(AudioUpload.prototype, "open");
  try {
    const result = await send();
    const settled = await Promise.allSettled(open.mock.results.map((call) => call.value as Promise<AudioPart>));
    const parts = settled.flatMap((outcome) =>
      outcome.status === "fulfilled" ? [{ filename: outcome.value.filename, contentType: outcome.value.contentType }] : [],
    );
    return { result, parts };
  } finally {
    open.mockRestore();
  }
}

/** The voice_file part of the one clone request the fake received. */
const voiceFileOf = (upstream: FakeFaseeh): ReceivedFile | undefined => {
  expect(upstream.requests).toHaveLength(1);
  return upstream.requests[0]!.files.find((file) => file.field === "voice_file");
};

describe("cloneVoice: a declared headerless PCM voiceFile is relayed unchanged", () => {
  test("audio/raw: 200, voice stored, the bytes go upstream as Faseeh's PCM content type", async ({ gateway, upstream }) => {
    const pcm = rawPcm(3 * MiB, 41);
    const { result: response, parts } = await watchingParts(() =>
      cloneVoice(gateway, { voiceFile: { content: pcm, filename: "preview.pcm", type: FASEEH_PCM } }),
    );

    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const voice = response.body.data!.cloneVoice.voice;
    expect(voice.voiceId).toBe(upstream.createdVoices[0]!.voice_id);
    expect(await voiceCount(gateway)).toBe(1);

    const sent = voiceFileOf(upstream);
    expect(sent).toMatchObject({ filename: "preview.pcm", size: pcm.length, sha256: sha256(pcm) });
    // What the fake can see of the part's Content-Type: its type/subtype.
    expect(sent!.mimeType).toBe("audio/raw");
    // The whole type, parameters included, is what the gateway wrote.
    expect(parts).toContainEqual({ filename: "preview.pcm", contentType: FASEEH_PCM });
    expect(upstream.requests[0]!.aborted).toBe(false);
  });

  test("application/octet-stream named preview.pcm: relayed with Faseeh's default PCM content type", async ({
    gateway,
    upstream,
  }) => {
    const pcm = rawPcm(3 * MiB, 42);
    const { result: response, parts } = await watchingParts(() =>
      cloneVoice(gateway, { voiceFile: { content: pcm, filename: "preview.pcm", type: "application/octet-stream" } }),
    );

    expect(response.body.errors).toBeUndefined();
    expect(await voiceCount(gateway)).toBe(1);
    const sent = voiceFileOf(upstream);
    expect(sent).toMatchObject({ filename: "preview.pcm", mimeType: "audio/raw", size: pcm.length, sha256: sha256(pcm) });
    expect(parts).toContainEqual({ filename: "preview.pcm", contentType: FASEEH_PCM });
  });

  test("audio/L16 is relayed as Faseeh's PCM: the multipart parser never shows a part's parameters", async ({
    gateway,
    upstream,
  }) => {
    const pcm = rawPcm(MiB, 43);
    const { result: response, parts } = await watchingParts(() =>
      cloneVoice(gateway, { voiceFile: { content: pcm, filename: "sample.raw", type: "audio/L16;rate=24000;channels=1" } }),
    );

    expect(response.body.errors).toBeUndefined();
    const sent = voiceFileOf(upstream);
    expect(sent).toMatchObject({ filename: "sample.raw", mimeType: "audio/raw", size: pcm.length, sha256: sha256(pcm) });
    expect(parts).toContainEqual({ filename: "sample.raw", contentType: FASEEH_PCM });
  });

  test("a WAV declared as audio/raw is sent as what its bytes are: audio/wav", async ({ gateway, upstream }) => {
    const content = noisyWav(MiB, 44);
    const response = await cloneVoice(gateway, { voiceFile: { content, filename: "preview.wav", type: FASEEH_PCM } });

    expect(response.body.errors).toBeUndefined();
    expect(voiceFileOf(upstream)).toMatchObject({
      filename: "preview.wav",
      mimeType: "audio/wav",
      size: content.length,
      sha256: sha256(content),
    });
  });
});

describe("cloneVoice: headerless PCM refusals", () => {
  test("an odd byte count: BAD_USER_INPUT at the end of the stream, Faseeh never gets a complete request", async ({
    gateway,
    upstream,
  }) => {
    const pcm = Buffer.concat([rawPcm(3 * MiB, 45), Buffer.from([0x11])]);
    const response = await cloneVoice(gateway, { voiceFile: { content: pcm, filename: "preview.pcm", type: FASEEH_PCM } });

    const error = response.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.voiceFile" });
    expect(error?.message).toContain(`is headerless 16-bit PCM but has an odd number of bytes (${pcm.length})`);
    expect(upstream.requests.every((received) => received.aborted)).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
    expect(await voiceCount(gateway)).toBe(0);
    expect(await attempts(gateway)).toEqual([{ status: "FAILED", error_code: "BAD_USER_INPUT" }]);
  });

  test("an odd byte count in a file smaller than the sniffed head is refused too", async ({ gateway, upstream }) => {
    const pcm = rawPcm(3001, 48);
    const response = await cloneVoice(gateway, { voiceFile: { content: pcm, filename: "preview.pcm", type: "audio/raw" } });

    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.voiceFile" });
    expect(upstream.requests.every((received) => received.aborted)).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
    expect(await voiceCount(gateway)).toBe(0);
  });

  test("PNG bytes declared audio/raw: BAD_USER_INPUT saying its content is PNG, no upstream request", async ({
    gateway,
    upstream,
  }) => {
    const response = await cloneVoice(gateway, { voiceFile: { content: png(), filename: "preview.pcm", type: "audio/raw" } });

    const error = response.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.voiceFile" });
    expect(error?.message).toContain("Its content is PNG, not audio.");
    expect(upstream.requests).toHaveLength(0);
    expect(await voiceCount(gateway)).toBe(0);
  });

  test("a referenceAudioFile declared raw PCM is refused: it must be a real container", async ({ gateway, upstream }) => {
    const response = await cloneVoice(gateway, {
      referenceAudioFile: { content: rawPcm(32 * 1024, 46), filename: "original.pcm", type: FASEEH_PCM },
    });

    const error = response.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.referenceAudioFile" });
    expect(error?.message).toContain("`input.referenceAudioFile` is not a supported audio file");
    expect(error?.message).not.toContain("headerless PCM is accepted");
    expect(upstream.requests).toHaveLength(0);
    expect(await voiceCount(gateway)).toBe(0);
  });

  test("an undeclared headerless voiceFile is refused, with a hint on how to declare PCM", async ({ gateway, upstream }) => {
    const response = await cloneVoice(gateway, {
      voiceFile: { content: rawPcm(64 * 1024, 47), filename: "preview.bin", type: "application/octet-stream" },
      referenceAudioFile: { content: wav(32 * 1024), filename: "original.wav" },
    });

    const error = response.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.voiceFile" });
    expect(error?.message).toContain("`input.voiceFile` is not a supported audio file");
    expect(error?.message).toContain("headerless PCM is accepted when sent as audio/raw");
    expect(upstream.requests).toHaveLength(0);
    expect(await voiceCount(gateway)).toBe(0);
  });
});
