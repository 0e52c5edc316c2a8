// The audio a preview answers: raw PCM (s16le, 24 kHz, mono), a 440 Hz tone
// 0.08 s long per character of text divided by speed, generated as it is
// streamed in chunks (no content-length), honouring backpressure. The tone and
// the writer take options so text-to-speech (speech-audio.ts) reuses them.
import { createHash, type Hash } from "node:crypto";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { isGone, waitUnlessGone } from "./http-answers.js";

/** What a preview 200 carries: raw PCM, signed 16-bit little-endian, 24 kHz, mono, no header. */
export const PREVIEW_CONTENT_TYPE = "audio/raw;codec=pcm16;rate=24000;channels=1";
const PREVIEW_SAMPLE_RATE = 24_000;
/** 0.08 s of audio per character of text, at speed 1. */
const PREVIEW_SAMPLES_PER_CHAR = 0.08 * PREVIEW_SAMPLE_RATE;
const PREVIEW_TONE_HZ = 440;
const PREVIEW_TONE_AMPLITUDE = 8000;
/** Preview bodies are written in chunks of this many bytes. */
const PREVIEW_CHUNK_BYTES = 16 * 1024;

/** A preview body the fake sent completely. */
export interface SentPreview {
  size: number;
  /** Hex SHA-256 of the PCM bytes. */
  sha256: string;
}

/**
 * Samples in the tone a `success` preview streams: 0.08 s per character (UTF-16
 * code unit, i.e. `text.length`) of `text` as sent, divided by `speed`, rounded down (bytes = 2 x this).
 */
export function fakePreviewSamples(text: string, speed = 1): number {
  // The epsilon absorbs float noise such as 1920 * 17 / 1.2 = 27199.999...
  return Math.floor((PREVIEW_SAMPLES_PER_CHAR * text.length) / speed + 1e-6);
}

/** The tone a preview plays (or another frequency's), in chunks of PREVIEW_CHUNK_BYTES, generated as it is sent. */
export function* toneChunks(samples: number, hz = PREVIEW_TONE_HZ): Generator<Buffer> {
  const perChunk = PREVIEW_CHUNK_BYTES / 2;
  for (let start = 0; start < samples; start += perChunk) {
    const count = Math.min(perChunk, samples - start);
    const chunk = Buffer.allocUnsafe(count * 2);
    for (let i = 0; i < count; i++) {
      const t = (start + i) / PREVIEW_SAMPLE_RATE;
      chunk.writeInt16LE(Math.round(PREVIEW_TONE_AMPLITUDE * Math.sin(2 * Math.PI * hz * t)), i * 2);
    }
    yield chunk;
  }
}

/** The first `length` bytes of the tone (an odd length ends mid-sample). */
export function toneBytes(length: number, hz = PREVIEW_TONE_HZ): Buffer {
  const bytes = Math.max(0, Math.floor(length));
  return Buffer.concat([...toneChunks(Math.ceil(bytes / 2), hz)]).subarray(0, bytes);
}

export function* chunksOf(bytes: Buffer): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += PREVIEW_CHUNK_BYTES) {
    yield bytes.subarray(start, start + PREVIEW_CHUNK_BYTES);
  }
}

/** How writePcm answers beyond a preview's plain chunked PCM. */
export interface PcmAnswerOptions {
  /** The 200's headers (default: PREVIEW_CONTENT_TYPE, chunked). */
  headers?: OutgoingHttpHeaders;
  /** Bytes sent before the PCM and left out of its size and hash (a WAV header). */
  head?: Buffer;
  /** Told each PCM chunk's length as it is handed to the socket (live byte counters). */
  onSent?: (bytes: number) => void;
  /** Once at least `afterBytes` PCM bytes went out, wait until `until` settles, then go on. */
  pause?: { afterBytes: number; until: Promise<unknown> };
  /**
   * Keep the last chunk back (counted in size and hash) for the caller's
   * res.end(last): with a content-length the client sees the body complete
   * with its last byte, so that byte must go out when the answer is recorded.
   */
  holdLast?: boolean;
}

/** What writePcm sent: the PCM's size and running hash, and the chunk it held back (holdLast). */
export interface WrittenPcm {
  size: number;
  hash: Hash;
  last: Buffer | undefined;
}

/**
 * Sends 200 headers (chunked PCM unless `options.headers` says otherwise) and
 * the chunks, one per event-loop turn, honouring backpressure. Does not end
 * the response. Resolves once every chunk (but a held last one) has been
 * handed to the socket, or with undefined as soon as the client is gone.
 */
export async function writePcm(
  res: ServerResponse,
  chunks: Iterable<Buffer>,
  options: PcmAnswerOptions = {},
): Promise<WrittenPcm | undefined> {
  if (isGone(res)) return undefined;
  res.writeHead(200, options.headers ?? { "content-type": PREVIEW_CONTENT_TYPE });
  res.flushHeaders();
  if (options.head) res.write(options.head);
  const written: WrittenPcm = { size: 0, hash: createHash("sha256"), last: undefined };
  let pause = options.pause;
  let flushed: Promise<void> = Promise.resolve();
  for (const [chunk, isLast] of withLast(chunks)) {
    if (pause && written.size >= pause.afterBytes) {
      if (!(await waitUnlessGone(pause.until, res))) return undefined;
      pause = undefined;
    }
    if (isGone(res)) return undefined;
    written.hash.update(chunk);
    written.size += chunk.length;
    if (isLast && options.holdLast) {
      written.last = chunk;
      break;
    }
    flushed = new Promise<void>((resolve) => res.write(chunk, () => resolve()));
    options.onSent?.(chunk.length);
    if (res.writableNeedDrain && !(await drainedOrGone(res))) return undefined;
    await yieldToEventLoop();
  }
  // A pause past the last byte still holds the end back.
  if (pause && !(await waitUnlessGone(pause.until, res))) return undefined;
  // The last write's callback: the bytes are in the socket (matters before a reset).
  await Promise.race([flushed, new Promise<void>((resolve) => res.once("close", () => resolve()))]);
  return isGone(res) ? undefined : written;
}

/** Each item with whether it is the last (one item of lookahead). */
function* withLast<T>(items: Iterable<T>): Generator<[T, boolean]> {
  const iterator = items[Symbol.iterator]();
  let current = iterator.next();
  while (!current.done) {
    const next = iterator.next();
    yield [current.value, next.done === true];
    current = next;
  }
}

/** Resolves true on 'drain', false if the response closes first. */
function drainedOrGone(res: ServerResponse): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const onDrain = (): void => {
      res.off("close", onClose);
      resolve(true);
    };
    const onClose = (): void => {
      res.off("drain", onDrain);
      resolve(false);
    };
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}
