// Faseeh's audio answers (the preview's, faseeh-preview-and-models.md, and
// streamed text-to-speech's, faseeh-text-to-speech.md): headerless PCM
// checked against the reference and written to a file as it streams,
// counted and hashed, never held in memory.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ContractViolation, ResponseTooLargeError } from "./faseeh-contract.js";
import { parsePcmContentType } from "./pcm-format.js";

/** What Faseeh answered (a preview's or a speech's PCM), as written to `audioPath`. */
export interface PcmAudio {
  /** As Faseeh sent it, e.g. `audio/raw;codec=pcm16;rate=24000;channels=1`. */
  contentType: string;
  sampleRate: number;
  channels: number;
  size: number;
  sha256: string;
}

/**
 * Writes a PCM answer to `audioPath` as it streams, counted and hashed,
 * after checking that Faseeh answered what its reference documents: audio
 * (`audio/raw;codec=pcm16;rate=24000;channels=1`), whole 16-bit samples,
 * within the size bound. `what` names the answer in errors.
 */
export async function writePcmAnswer(
  body: Readable,
  headers: Record<string, string | string[] | undefined>,
  audioPath: string,
  maxBytes: number,
  what: "preview" | "speech",
): Promise<PcmAudio> {
  const raw = headers["content-type"];
  const contentType = (Array.isArray(raw) ? raw[0] : raw) ?? "";
  const format = parsePcmContentType(contentType);
  if (!format) {
    // Not read at all: stop it. undici reports a destroyed body as an 'error', which must have a listener.
    body.on("error", () => undefined);
    body.destroy();
    throw new ContractViolation(`whose Content-Type is ${JSON.stringify(contentType)}, not the ${what}'s raw PCM audio`, []);
  }
  const hash = createHash("sha256");
  let size = 0;
  const file = createWriteStream(audioPath, { flags: "wx", mode: 0o600 });
  await pipeline(
    body,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        size += chunk.length;
        if (size > maxBytes) throw new ResponseTooLargeError(`a ${what} over ${maxBytes} bytes`);
        hash.update(chunk);
        yield chunk;
      }
    },
    file,
  );
  if (size === 0 || size % (2 * format.channels) !== 0) {
    throw new ContractViolation(`whose PCM body has ${size} bytes, not a whole number of 16-bit samples`, []);
  }
  return { contentType, ...format, size, sha256: hash.digest("hex") };
}
