// The audio a preview answers: raw PCM (s16le, 24 kHz, mono), a 440 Hz tone
// 0.08 s long per character of text divided by speed, generated as it is
// streamed in chunks (no content-length), honouring backpressure.
import { createHash, type Hash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { isGone } from "./http-answers.js";

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

/** The tone a preview plays, in chunks of PREVIEW_CHUNK_BYTES, generated as it is sent. */
export function* toneChunks(samples: number): Generator<Buffer> {
  const perChunk = PREVIEW_CHUNK_BYTES / 2;
  for (let start = 0; start < samples; start += perChunk) {
    const count = Math.min(perChunk, samples - start);
    const chunk = Buffer.allocUnsafe(count * 2);
    for (let i = 0; i < count; i++) {
      const t = (start + i) / PREVIEW_SAMPLE_RATE;
      chunk.writeInt16LE(Math.round(PREVIEW_TONE_AMPLITUDE * Math.sin(2 * Math.PI * PREVIEW_TONE_HZ * t)), i * 2);
    }
    yield chunk;
  }
}

/** The first `length` bytes of the tone (an odd length ends mid-sample). */
export function toneBytes(length: number): Buffer {
  const bytes = Math.max(0, Math.floor(length));
  return Buffer.concat([...toneChunks(Math.ceil(bytes / 2))]).subarray(0, bytes);
}

export function* chunksOf(bytes: Buffer): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += PREVIEW_CHUNK_BYTES) {
    yield bytes.subarray(start, start + PREVIEW_CHUNK_BYTES);
  }
}

/**
 * Sends 200 PCM headers (chunked: no content-length) and the chunks, one per
 * event-loop turn, honouring backpressure. Does not end the response. Resolves
 * with the size and running hash once every chunk has been handed to the
 * socket, or undefined as soon as the client is gone.
 */
export async function writePcm(res: ServerResponse, chunks: Iterable<Buffer>): Promise<{ size: number; hash: Hash } | undefined> {
  if (isGone(res)) return undefined;
  res.writeHead(200, { "content-type": PREVIEW_CONTENT_TYPE });
  res.flushHeaders();
  const hash = createHash("sha256");
  let size = 0;
  let flushed: Promise<void> = Promise.resolve();
  for (const chunk of chunks) {
    if (isGone(res)) return undefined;
    hash.update(chunk);
    size += chunk.length;
    flushed = new Promise<void>((resolve) => res.write(chunk, () => resolve()));
    if (res.writableNeedDrain && !(await drainedOrGone(res))) return undefined;
    await yieldToEventLoop();
  }
  // The last write's callback: the bytes are in the socket (matters before a reset).
  await Promise.race([flushed, new Promise<void>((resolve) => res.once("close", () => resolve()))]);
  return isGone(res) ? undefined : { size, hash };
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
