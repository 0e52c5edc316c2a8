// GET /previews/<id>.wav and /speech/<id>.wav?expires=…&token=…: kept audio
// for an `<audio>` element, one route for every kind. Faseeh's PCM is kept
// as produced; it is served behind a 44-byte WAV header made on the fly, so
// the file on disk stays byte for byte what Faseeh sent (and what a clone
// from a preview sends back). Browsers seek and read durations with Range
// requests, so single byte ranges over header and data are served (206), per
// RFC 9110.
//
// The URL's signature is checked first (audio-url-signer.ts): a wrong,
// expired or tampered URL gets 403 before the database or the disk is read.
import { type FileHandle, open } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import parseRange from "range-parser";
import { errorMessage } from "../errors.js";
import type { Logger } from "../logger.js";
import { AUDIO_KINDS, type AudioKind, type AudioUrlSigner } from "../services/audio/audio-url-signer.js";
import type { AudioShelves, KeptAudio } from "../services/audio/kept-audio.js";
import { type HttpApp, type HttpRequest, type HttpResponse, sendJson } from "./http-app.js";

const WAV_HEADER_BYTES = 44;
const FILE_NAME = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.wav$/;

export interface AudioRouteDeps {
  audioUrls: AudioUrlSigner;
  audioShelves: AudioShelves;
  logger: Logger;
}

export function installAudioRoute(app: HttpApp, deps: AudioRouteDeps): void {
  for (const kind of AUDIO_KINDS) app.get(`/${kind}/:file`, (req, res) => serveKeptAudio(kind, req, res, deps));
}

async function serveKeptAudio(
  kind: AudioKind,
  req: HttpRequest,
  res: HttpResponse,
  { audioUrls, audioShelves, logger }: AudioRouteDeps,
): Promise<void> {
  const id = FILE_NAME.exec(String((req.params as { file?: unknown }).file))?.[1];
  if (!id) {
    sendJson(res, 404, { error: `No such audio: the path is /${kind}/<id>.wav.` });
    return;
  }
  const query = new URL(req.url ?? "/", "http://gateway.invalid").searchParams;
  const refusal = audioUrls.refusal(kind, id, query.get("expires") ?? undefined, query.get("token") ?? undefined);
  if (refusal) {
    sendJson(res, 403, { error: refusal });
    return;
  }
  const shelf = audioShelves[kind];
  let kept: KeptAudio | null;
  try {
    kept = await shelf.find(id);
  } catch (error) {
    logger.warn({ err: errorMessage(error), kind }, "kept audio: lookup failed");
    sendJson(res, 503, { error: "The audio could not be looked up right now; retry shortly." });
    return;
  }
  // Opened once: the same handle answers a HEAD, a Range or the whole file, even if the sweeper unlinks it now.
  const file = kept ? await open(kept.path).catch(() => undefined) : undefined;
  if (!kept || !file) {
    sendJson(res, 404, { error: shelf.goneMessage });
    return;
  }
  try {
    await sendAudio(req, res, { kept, file, expires: Number(query.get("expires")) }, logger);
  } finally {
    // A read stream destroyed mid-way may have closed it already.
    await file.close().catch(() => undefined);
  }
}

interface OpenedAudio {
  kept: KeptAudio;
  /** Its PCM file, opened once. */
  file: FileHandle;
  /** When its URL expires (Unix seconds): how long a browser may cache the audio. */
  expires: number;
}

/** The WAV (or the byte range asked for), or only its headers for a HEAD. */
async function sendAudio(req: HttpRequest, res: HttpResponse, { kept, file, expires }: OpenedAudio, logger: Logger) {
  const dataBytes = kept.bytes;
  const total = WAV_HEADER_BYTES + dataBytes;
  res.setHeader("accept-ranges", "bytes");
  res.setHeader("content-type", "audio/wav");
  res.setHeader("cache-control", `private, max-age=${Math.max(0, Math.floor((expires * 1000 - Date.now()) / 1000))}`);
  res.setHeader("etag", `"${kept.sha256.slice(0, 32)}"`);
  const range = byteRange(total, req.headers.range);
  if (range === "unsatisfiable") {
    res.statusCode = 416;
    res.setHeader("content-range", `bytes */${total}`);
    res.end();
    return;
  }
  const { start, end } = range;
  if (range.partial) {
    res.statusCode = 206;
    res.setHeader("content-range", `bytes ${start}-${end}/${total}`);
  }
  res.setHeader("content-length", end - start + 1);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const header = wavHeader(dataBytes, kept.sampleRate, kept.channels);
  async function* bytes(): AsyncGenerator<Buffer> {
    if (start < WAV_HEADER_BYTES) yield header.subarray(start, Math.min(end + 1, WAV_HEADER_BYTES));
    if (end < WAV_HEADER_BYTES) return;
    const data = file.createReadStream({
      start: Math.max(0, start - WAV_HEADER_BYTES),
      end: end - WAV_HEADER_BYTES,
      autoClose: false,
    });
    for await (const chunk of data) yield chunk as Buffer;
  }
  await pipeline(bytes(), res).catch((error: unknown) => {
    // The client stopped listening (it often does: a player that has what it needs).
    res.destroy();
    logger.debug({ err: errorMessage(error) }, "kept audio: response ended early");
  });
}

/** The bytes to send: one range asked for (partial), else the whole file; "unsatisfiable" answers 416. */
function byteRange(
  total: number,
  header: string | undefined,
): { start: number; end: number; partial: boolean } | "unsatisfiable" {
  const whole = { start: 0, end: total - 1, partial: false };
  if (!header) return whole;
  const ranges = parseRange(total, header, { combine: true });
  if (ranges === -1) return "unsatisfiable";
  // A malformed header is ignored (the whole file), and so are several ranges: one is all players ask.
  if (ranges !== -2 && ranges.type === "bytes" && ranges.length === 1 && ranges[0]) {
    return { start: ranges[0].start, end: ranges[0].end, partial: true };
  }
  return whole;
}

/** The canonical 44-byte header of a 16-bit PCM WAV file holding `dataBytes` of samples. */
export function wavHeader(dataBytes: number, sampleRate: number, channels: number): Buffer {
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  const blockAlign = channels * 2;
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28); // byte rate
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34); // bits per sample
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, 40);
  return header;
}
