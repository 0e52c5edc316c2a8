// AudioUpload on its own, fed real streams the way the multipart reader
// (src/http/multipart-request.ts) feeds it (a FileUpload promise whose createReadStream() gives the client's
// bytes as they arrive): the first open streams live, every later one
// replays the private copy on disk byte for byte, fileDigest() is the size and
// SHA-256 of what the client sent, and every refusal (not audio, empty, too
// large, truncated, interrupted, missing, stalled) names the field while the
// client's stream is still read to its end.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AudioUpload, safeFilename } from "../../../src/services/uploads/audio-upload.js";
import { formatBytes } from "../../../src/services/uploads/byte-size.js";
import { type FileUpload, UploadFailure } from "../../../src/services/uploads/file-upload.js";
import { UploadWatchdog } from "../../../src/services/uploads/upload-watchdog.js";
import { flac, MiB, mp3, noisyWav, oggOpus, rawPcm, sha256, textFile } from "../../../dev/audio-fixtures.js";
import { gatewayErrorOf } from "../../support/gateway-error.js";

const FIELD = "input.voiceFile";
const CHUNK = 64 * 1024;

let dir: string;
let watchdogs: UploadWatchdog[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "gw-audio-upload-test-"));
  watchdogs = [];
});
afterEach(async () => {
  for (const watchdog of watchdogs) watchdog.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The client's file stream as busboy gives it: chunks as they arrive, `truncated` at the size limit. */
type ClientStream = PassThrough & { truncated?: boolean };

interface Client {
  stream: ClientStream;
  file: FileUpload;
  /**
   * Sends `content` in 64 KiB chunks as a socket would (waiting whenever the
   * reader is behind), then ends the stream, optionally as busboy's size limit
   * does. Not awaited by tests that read meanwhile.
   */
  send(content: Buffer, options?: { truncated?: boolean }): Promise<void>;
}

function client(options: { filename?: string | undefined; mimetype?: string } = {}): Client {
  const stream: ClientStream = new PassThrough();
  const file = {
    filename: "filename" in options ? options.filename : "preview.wav",
    mimetype: options.mimetype ?? "application/octet-stream",
    encoding: "7bit",
    createReadStream: () => stream,
  } as FileUpload;
  return {
    stream,
    file,
    async send(content, { truncated = false } = {}) {
      for (let offset = 0; offset < content.length; offset += CHUNK) {
        if (stream.destroyed) return;
        if (!stream.write(content.subarray(offset, offset + CHUNK))) {
          // Whichever comes first ends the wait, and takes the other listener with it:
          // one left behind per wait piled up on the stream (MaxListenersExceededWarning).
          await new Promise<void>((resolve) => {
            const done = () => {
              stream.off("drain", done);
              stream.off("close", done);
              resolve();
            };
            stream.once("drain", done);
            stream.once("close", done);
          });
        }
      }
      if (truncated) stream.truncated = true;
      stream.end();
    },
  };
}

function audioUpload(
  upload: Promise<FileUpload> | FileUpload,
  options: { maxBytes?: number; idleTimeoutMs?: number; field?: string } = {},
): AudioUpload {
  const watchdog = new UploadWatchdog({ idleTimeoutMs: options.idleTimeoutMs ?? 60_000, deadlineMs: 600_000 });
  watchdogs.push(watchdog);
  return new AudioUpload(upload, { dir, maxBytes: options.maxBytes ?? 20 * MiB, field: options.field ?? FIELD, watchdog });
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const digest = (content: Buffer) => ({ size: content.length, sha256: sha256(content) });

describe("AudioUpload: the live first send", () => {
  it("streams the client's bytes unchanged, judged audio by content, and records their size and SHA-256", async () => {
    const content = noisyWav(3 * MiB + 777, 11);
    const sender = client({ filename: "preview.wav", mimetype: "application/octet-stream" });
    const upload = audioUpload(sender.file);
    const opened = upload.open();
    void sender.send(content);
    const part = await opened;
    // The client's MIME type is ignored: the bytes say WAV.
    expect(part).toMatchObject({ filename: "preview.wav", contentType: "audio/wav" });
    expect(digest(await collect(part.body))).toEqual(digest(content));
    await expect(upload.fileDigest()).resolves.toEqual(digest(content));
  });

  it("passes bytes on while the client is still sending", async () => {
    const content = noisyWav(2 * MiB, 12);
    const sender = client();
    const upload = audioUpload(sender.file);
    const opened = upload.open();
    const half = content.subarray(0, MiB);
    for (let offset = 0; offset < half.length; offset += CHUNK) sender.stream.write(half.subarray(offset, offset + CHUNK));
    const part = await opened;
    const iterator = part.body[Symbol.asyncIterator]();
    let received = 0;
    while (received < MiB) {
      const next = await iterator.next();
      if (next.done) throw new Error("the body ended early");
      received += next.value.length;
    }
    // A whole MiB went through before the client sent the rest.
    expect(received).toBe(MiB);
    expect(sender.stream.writableEnded).toBe(false);
    const rest = content.subarray(MiB);
    for (let offset = 0; offset < rest.length; offset += CHUNK) sender.stream.write(rest.subarray(offset, offset + CHUNK));
    sender.stream.end();
    const tail: Buffer[] = [];
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) tail.push(Buffer.from(next.value));
    expect(received + Buffer.concat(tail).length).toBe(content.length);
    await expect(upload.fileDigest()).resolves.toEqual(digest(content));
  });

  it.each([
    ["MP3", mp3(), "audio/mpeg", "mp3"],
    ["Ogg/Opus", oggOpus(), "audio/ogg", "opus"],
    ["FLAC", flac(), "audio/flac", "flac"],
  ])(
    "accepts %s and names it by its content when the client gave no file name",
    async (_format, content, contentType, extension) => {
      const sender = client({ filename: undefined, mimetype: "audio/wav" });
      const upload = audioUpload(Promise.resolve(sender.file));
      void sender.send(content);
      const part = await upload.open();
      expect(part).toMatchObject({ filename: `voiceFile.${extension}`, contentType });
      expect(digest(await collect(part.body))).toEqual(digest(content));
    },
  );

  it("keeps the client's file name without its path and control characters", async () => {
    const sender = client({ filename: 'C:\\Users\\layla\\rec"ord\u0007ing.wav' });
    const upload = audioUpload(sender.file);
    void sender.send(noisyWav(8 * 1024, 1));
    expect((await upload.open()).filename).toBe("recording.wav");
  });
});

describe("AudioUpload: every later open replays the copy on disk", () => {
  it("replays the whole file, byte for byte, after a live send that was cut off half-way", async () => {
    const content = noisyWav(4 * MiB + 3, 21);
    const sender = client();
    const upload = audioUpload(sender.file);
    void sender.send(content);
    const live = await upload.open();
    let sent = 0;
    for await (const chunk of live.body) {
      sent += chunk.length;
      if (sent >= MiB) break; // the upstream connection failed here
    }
    expect(sent).toBeLessThan(content.length);

    const retry = await upload.open();
    expect(retry).toMatchObject({ filename: "preview.wav", contentType: "audio/wav" });
    expect(digest(await collect(retry.body))).toEqual(digest(content));
    // And again, as often as a retry needs it.
    expect(digest(await collect((await upload.open()).body))).toEqual(digest(content));
    await expect(upload.fileDigest()).resolves.toEqual(digest(content));
  });

  it("keeps the copy private, in the request's directory, named after the field", async () => {
    const content = noisyWav(MiB, 22);
    const sender = client();
    const upload = audioUpload(sender.file);
    void sender.send(content);
    const spooled = await upload.settle();
    expect(spooled).toEqual({
      path: path.join(dir, "input_voiceFile"),
      filename: "preview.wav",
      contentType: "audio/wav",
      ...digest(content),
    });
    expect(await readdir(dir)).toEqual(["input_voiceFile"]);
    expect((await stat(spooled.path)).mode & 0o777).toBe(0o600);
    expect(sha256(await readFile(spooled.path))).toBe(sha256(content));
  });

  it("replays from disk when the file was received in full before the first open", async () => {
    const content = noisyWav(2 * MiB, 23);
    const sender = client();
    const upload = audioUpload(sender.file);
    void sender.send(content);
    await upload.settle();
    const part = await upload.open();
    expect(digest(await collect(part.body))).toEqual(digest(content));
    expect(sender.stream.readableEnded).toBe(true);
  });

  it("refuses to replay (INTERNAL_SERVER_ERROR) when its copy could not be written, while the live send still worked", async () => {
    const content = noisyWav(2 * MiB, 24);
    // Something already holds the copy's name: the exclusive create fails.
    await writeFile(path.join(dir, "input_voiceFile"), "in the way");
    const sender = client();
    const upload = audioUpload(sender.file);
    void sender.send(content);
    const live = await upload.open();
    expect(digest(await collect(live.body))).toEqual(digest(content));
    await expect(upload.fileDigest()).resolves.toEqual(digest(content));
    const error = await gatewayErrorOf(upload.open());
    expect(error.code).toBe("INTERNAL_SERVER_ERROR");
    expect(error.message).toMatch(/^The copy of `input\.voiceFile` could not be kept \(.*EEXIST/);
    expect(await readFile(path.join(dir, "input_voiceFile"), "utf8")).toBe("in the way");
  });
});

describe("AudioUpload: refusals", () => {
  it("refuses a file that is not audio, judged by content, and still reads the client's stream to its end", async () => {
    const sender = client({ filename: "notes.wav", mimetype: "audio/wav" });
    const upload = audioUpload(sender.file);
    void sender.send(Buffer.concat([textFile(), Buffer.alloc(2 * MiB, 0x61)]));
    const error = await gatewayErrorOf(upload.open());
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      message:
        "`input.voiceFile` is not a supported audio file (expected WAV, MP3, OGG/Opus, FLAC, M4A/AAC or WebM; judged by its content).",
      extensions: { field: FIELD },
    });
    // settle() drains the rest so the request does not stall, and gives the same answer.
    await expect(upload.settle()).rejects.toBe(error);
    expect(sender.stream.readableEnded).toBe(true);
  });

  it("refuses an empty file", async () => {
    const sender = client();
    const upload = audioUpload(sender.file);
    void sender.send(Buffer.alloc(0));
    const error = await gatewayErrorOf(upload.ready());
    expect(error).toMatchObject({ code: "BAD_USER_INPUT", message: "`input.voiceFile` is empty.", extensions: { field: FIELD } });
    await expect(upload.fileDigest()).rejects.toBe(error);
  });

  it("fails a live send mid-way once the file grows past maxBytes, and drains the rest without keeping it", async () => {
    const content = noisyWav(3 * MiB, 31);
    const sender = client();
    const upload = audioUpload(sender.file, { maxBytes: 2 * MiB });
    void sender.send(content);
    const part = await upload.open();
    const { passed, error } = await readToFailure(part.body);
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "`input.voiceFile` is larger than the 2 MiB limit per file.",
      extensions: { field: FIELD },
    });
    // Never a byte past the limit went on.
    expect(passed).toBeLessThanOrEqual(2 * MiB);
    await expect(upload.settle()).rejects.toBe(error);
    expect(sender.stream.readableEnded).toBe(true);
  });

  it("accepts a file of exactly maxBytes", async () => {
    const content = noisyWav(MiB, 32);
    const sender = client();
    const upload = audioUpload(sender.file, { maxBytes: MiB });
    void sender.send(content);
    await expect(upload.fileDigest()).resolves.toEqual(digest(content));
  });

  it("refuses a file busboy truncated at its own limit, even below maxBytes", async () => {
    const sender = client();
    const upload = audioUpload(sender.file, { maxBytes: 10 * MiB });
    void sender.send(noisyWav(MiB, 33), { truncated: true });
    const error = await gatewayErrorOf(upload.settle());
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "`input.voiceFile` is larger than the 10 MiB limit per file.",
    });
  });

  it("reports an interrupted client stream as BAD_REQUEST naming the field", async () => {
    const sender = client();
    const upload = audioUpload(sender.file);
    sender.stream.write(noisyWav(256 * 1024, 34));
    const part = await upload.open();
    const reading = collect(part.body);
    sender.stream.destroy(new Error("socket hang up"));
    const error = await gatewayErrorOf(reading);
    expect(error).toMatchObject({
      code: "BAD_REQUEST",
      message: "The upload of `input.voiceFile` was interrupted (socket hang up).",
      extensions: { field: FIELD },
    });
  });

  it("reports the multipart reader's disconnect as the client going away", async () => {
    const sender = client();
    const upload = audioUpload(sender.file);
    sender.stream.write(noisyWav(256 * 1024, 35));
    const part = await upload.open();
    const reading = collect(part.body);
    sender.stream.destroy(new UploadFailure("disconnected", "the client went away"));
    expect(await gatewayErrorOf(reading)).toMatchObject({
      code: "BAD_REQUEST",
      message: "The client went away while `input.voiceFile` was uploading.",
      extensions: { field: FIELD },
    });
  });

  it("reports a file missing from the multipart request as BAD_USER_INPUT", async () => {
    const upload = audioUpload(Promise.reject(new UploadFailure("missing", "File missing in the request.")));
    const error = await gatewayErrorOf(upload.open());
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "`input.voiceFile` is missing from the multipart request (its file part never came).",
      extensions: { field: FIELD },
    });
    expect(upload.hasArrived).toBe(true);
    await expect(upload.fileDigest()).rejects.toBe(error);
  });

  it("reports a body broken off mid-file as BAD_REQUEST naming the field", async () => {
    const sender = client();
    const upload = audioUpload(sender.file);
    sender.stream.write(noisyWav(256 * 1024, 37));
    const part = await upload.open();
    const reading = collect(part.body);
    sender.stream.destroy(new UploadFailure("malformed", "The multipart body is malformed (Unexpected end of form)."));
    expect(await gatewayErrorOf(reading)).toMatchObject({
      code: "BAD_REQUEST",
      message:
        "The request broke off while `input.voiceFile` was uploading: The multipart body is malformed (Unexpected end of form).",
      extensions: { field: FIELD },
    });
  });

  it("reports too many file parts (the multipart reader's refusal) as PAYLOAD_TOO_LARGE", async () => {
    const tooMany = new UploadFailure(
      "too-many-files",
      "This request carries more file parts than it may: at most 2 files (voiceFile and referenceAudioFile).",
    );
    const error = await gatewayErrorOf(audioUpload(Promise.reject(tooMany)).started());
    expect(error).toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      message: "This request carries more file parts than it may: at most 2 files (voiceFile and referenceAudioFile).",
    });
  });

  it("reports a stream that cannot be created as an interrupted upload", async () => {
    const file = {
      filename: "x.wav",
      mimetype: "audio/wav",
      encoding: "7bit",
      createReadStream: () => {
        throw new Error("stream already consumed");
      },
    } as FileUpload;
    expect(await gatewayErrorOf(audioUpload(file).open())).toMatchObject({
      code: "BAD_REQUEST",
      message: "The upload of `input.voiceFile` was interrupted (stream already consumed).",
    });
  });

  it("fails the wait for a client that stops sending (the watchdog's idle timeout) and stops reading its stream", async () => {
    const sender = client();
    const upload = audioUpload(sender.file, { idleTimeoutMs: 200 });
    sender.stream.write(noisyWav(128 * 1024, 36)); // then nothing more
    const part = await upload.open();
    const error = await gatewayErrorOf(collect(part.body));
    expect(error).toMatchObject({
      code: "BAD_REQUEST",
      message:
        "The upload of `input.voiceFile` stalled: no data for 0.2 s. Nothing complete was sent to Faseeh, so nothing was spent; send the request again.",
      extensions: { field: FIELD, reason: "UPLOAD_STALLED" },
    });
    expect(sender.stream.destroyed).toBe(true);
    await expect(upload.settle()).rejects.toBe(error);
  });
});

describe("AudioUpload: arrival", () => {
  it("tells whether the file has begun to arrive, and resolves started() with itself", async () => {
    let deliver!: (file: FileUpload) => void;
    const upload = audioUpload(new Promise<FileUpload>((resolve) => (deliver = resolve)));
    const started = upload.started();
    await new Promise((resolve) => setImmediate(resolve));
    expect(upload.hasArrived).toBe(false);
    const sender = client();
    deliver(sender.file);
    await expect(started).resolves.toBe(upload);
    expect(upload.hasArrived).toBe(true);
    void sender.send(noisyWav(16 * 1024, 37));
    await expect(upload.ready()).resolves.toBeUndefined();
  });
});

/** An AudioUpload of the voiceFile as the clone builds it: headerless PCM allowed when declared (or not). */
function pcmUpload(file: FileUpload, options: { allowRawPcm?: boolean; maxBytes?: number } = {}): AudioUpload {
  const watchdog = new UploadWatchdog({ idleTimeoutMs: 60_000, deadlineMs: 600_000 });
  watchdogs.push(watchdog);
  return new AudioUpload(file, {
    dir,
    maxBytes: options.maxBytes ?? 20 * MiB,
    field: FIELD,
    watchdog,
    allowRawPcm: options.allowRawPcm ?? true,
  });
}

const FASEEH_PCM = "audio/raw;codec=pcm16;rate=24000;channels=1";
const NOT_AUDIO_WITH_HINT =
  "`input.voiceFile` is not a supported audio file (expected WAV, MP3, OGG/Opus, FLAC, M4A/AAC or WebM; judged by its content; " +
  "headerless PCM is accepted when sent as audio/raw, audio/L16 or audio/pcm, or named *.pcm or *.raw).";

describe("AudioUpload: declared headerless PCM (allowRawPcm)", () => {
  it.each([
    ["Faseeh's own type", { filename: "preview.pcm", mimetype: FASEEH_PCM }, "preview.pcm", FASEEH_PCM],
    ["audio/L16", { filename: "take.wav", mimetype: "audio/L16" }, "take.wav", FASEEH_PCM],
    ["a bare audio/pcm without a name", { filename: undefined, mimetype: "audio/pcm" }, "voiceFile.pcm", FASEEH_PCM],
    [
      "a *.raw name sent as octet-stream",
      { filename: "preview.RAW", mimetype: "application/octet-stream" },
      "preview.RAW",
      FASEEH_PCM,
    ],
    ["audio/raw with a codec other than pcm16", { filename: "x.bin", mimetype: "audio/raw;codec=mulaw" }, "x.bin", FASEEH_PCM],
    ["audio/raw with an impossible rate", { filename: "x.bin", mimetype: "audio/raw;rate=1" }, "x.bin", FASEEH_PCM],
  ])(
    "accepts %s, relayed unchanged with its name, as Faseeh's PCM content type",
    async (_case, declared, filename, contentType) => {
      const content = rawPcm(2 * MiB + 2, 51);
      const sender = client(declared);
      const upload = pcmUpload(sender.file);
      void sender.send(content);
      const part = await upload.open();
      expect(part).toMatchObject({ filename, contentType });
      expect(digest(await collect(part.body))).toEqual(digest(content));
      await expect(upload.fileDigest()).resolves.toEqual(digest(content));
      // A replay from disk goes out the same way.
      const replay = await upload.open();
      expect(replay).toMatchObject({ filename, contentType });
      expect(digest(await collect(replay.body))).toEqual(digest(content));
    },
  );

  it("sends a real container declared as PCM as what its bytes are", async () => {
    const content = noisyWav(64 * 1024, 52);
    const sender = client({ filename: "preview.pcm", mimetype: FASEEH_PCM });
    const upload = pcmUpload(sender.file);
    void sender.send(content);
    expect(await upload.settle()).toMatchObject({ filename: "preview.pcm", contentType: "audio/wav", ...digest(content) });
  });

  it("fails the live stream at its end when the byte count is odd, after passing on every byte, and settle() agrees", async () => {
    const content = rawPcm(3 * MiB + 1, 53);
    const sender = client({ filename: "preview.pcm", mimetype: FASEEH_PCM });
    const upload = pcmUpload(sender.file);
    void sender.send(content);
    const part = await upload.open();
    expect(part.contentType).toBe(FASEEH_PCM);
    const { passed, error } = await readToFailure(part.body);
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      message: `\`input.voiceFile\` is headerless 16-bit PCM but has an odd number of bytes (${content.length}): it is cut short or not PCM.`,
      extensions: { field: FIELD },
    });
    // The body threw instead of ending: the sender aborts before the closing boundary.
    expect(passed).toBe(content.length);
    await expect(upload.settle()).rejects.toBe(error);
    await expect(upload.fileDigest()).rejects.toBe(error);
    expect(sender.stream.readableEnded).toBe(true);
  });

  it("refuses an odd byte count in settle() when nothing was sent live", async () => {
    const content = rawPcm(MiB + 3, 54);
    const sender = client({ filename: "preview.pcm", mimetype: "audio/raw" });
    const upload = pcmUpload(sender.file);
    void sender.send(content);
    expect(await gatewayErrorOf(upload.settle())).toMatchObject({
      code: "BAD_USER_INPUT",
      message: `\`input.voiceFile\` is headerless 16-bit PCM but has an odd number of bytes (${content.length}): it is cut short or not PCM.`,
    });
  });

  it("refuses an odd byte count even when the whole file fits in the sniffed head", async () => {
    const content = rawPcm(1001, 55);
    const sender = client({ filename: "preview.pcm", mimetype: "audio/raw" });
    const upload = pcmUpload(sender.file);
    void sender.send(content);
    // The whole file was read to check its head, so it is refused before a byte is passed on.
    const error = await gatewayErrorOf(upload.open());
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "`input.voiceFile` is headerless 16-bit PCM but has an odd number of bytes (1001): it is cut short or not PCM.",
    });
    await expect(upload.settle()).rejects.toBe(error);
  });

  it("holds declared PCM to maxBytes like any file", async () => {
    const sender = client({ filename: "preview.pcm", mimetype: FASEEH_PCM });
    const upload = pcmUpload(sender.file, { maxBytes: MiB });
    void sender.send(rawPcm(2 * MiB, 56));
    const part = await upload.open();
    const error = await gatewayErrorOf(collect(part.body));
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "`input.voiceFile` is larger than the 1 MiB limit per file.",
    });
    await expect(upload.settle()).rejects.toBe(error);
  });

  it("refuses bytes of another known format declared as PCM, naming that format", async () => {
    const sender = client({ filename: "preview.pcm", mimetype: "audio/raw" });
    const upload = pcmUpload(sender.file);
    void sender.send(Buffer.concat([Buffer.from("%PDF-1.4\n", "latin1"), Buffer.alloc(64 * 1024, 0x20)]));
    const error = await gatewayErrorOf(upload.open());
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      message: `${NOT_AUDIO_WITH_HINT} Its content is PDF, not audio.`,
      extensions: { field: FIELD },
    });
    await expect(upload.settle()).rejects.toBe(error);
    expect(sender.stream.readableEnded).toBe(true);
  });

  it("refuses undeclared headerless bytes, with the hint on how to declare PCM", async () => {
    const sender = client({ filename: "preview.bin", mimetype: "application/octet-stream" });
    const upload = pcmUpload(sender.file);
    void sender.send(rawPcm(64 * 1024, 57));
    expect(await gatewayErrorOf(upload.ready())).toMatchObject({ code: "BAD_USER_INPUT", message: NOT_AUDIO_WITH_HINT });
  });

  it("refuses declared PCM when allowRawPcm is off, without the hint", async () => {
    const sender = client({ filename: "original.pcm", mimetype: FASEEH_PCM });
    const upload = pcmUpload(sender.file, { allowRawPcm: false });
    void sender.send(rawPcm(64 * 1024, 58));
    const error = await gatewayErrorOf(upload.open());
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      message:
        "`input.voiceFile` is not a supported audio file (expected WAV, MP3, OGG/Opus, FLAC, M4A/AAC or WebM; judged by its content).",
    });
    await expect(upload.settle()).rejects.toBe(error);
    expect(sender.stream.readableEnded).toBe(true);
  });
});

describe("safeFilename", () => {
  it.each([
    ["recording.wav", "recording.wav"],
    ["/etc/passwd", "passwd"],
    ["..\\..\\windows\\evil.wav", "evil.wav"],
    ['say "hi".wav', "say hi.wav"],
    ["line\r\nbreak.wav", "linebreak.wav"],
    ["  spaced.wav  ", "spaced.wav"],
    ["", "fallback.wav"],
    ["dir/", "fallback.wav"],
    ["\u0000\u001f", "fallback.wav"],
    [undefined, "fallback.wav"],
  ])("turns %j into %j", (name, expected) => {
    expect(safeFilename(name, "fallback.wav")).toBe(expected);
  });

  it("keeps at most 200 characters", () => {
    expect(safeFilename(`${"a".repeat(300)}.wav`, "f.wav")).toBe("a".repeat(200));
  });

  it("keeps non-Latin names", () => {
    expect(safeFilename("تسجيل.wav", "f.wav")).toBe("تسجيل.wav");
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "0 bytes"],
    [1023, "1023 bytes"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [20 * MiB, "20 MiB"],
    [MiB + 1, "1.0 MiB"],
    [3 * 1024 * MiB, "3 GiB"],
    [5 * 1024 * 1024 * MiB, "5120 GiB"],
  ])("writes %i as %j", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

/** Reads a live body until it throws: how many bytes it passed on first, and the GatewayError it threw. */
async function readToFailure(body: AsyncIterable<Uint8Array>) {
  let passed = 0;
  const error = await gatewayErrorOf(
    (async () => {
      for await (const chunk of body) passed += chunk.length;
    })(),
  );
  return { passed, error };
}
