// The audio a text-to-speech call answers: a 330 Hz tone (a preview's is
// 440 Hz, so the two cannot be mistaken) 0.08 s long per code point of text
// divided by speed, as raw PCM (s16le, 24 kHz, mono) streamed in chunks, or
// the same samples as one WAV file with its length.
import type { OutgoingHttpHeaders } from "node:http";
import { toneBytes, toneChunks } from "./preview-audio.js";

/** What a streamed text-to-speech 200 carries: raw PCM, signed 16-bit little-endian, 24 kHz, mono, no header. */
export const SPEECH_CONTENT_TYPE = "audio/raw;codec=pcm16;rate=24000;channels=1";
/** What a `streaming: false` 200 carries: one complete WAV file. */
export const SPEECH_WAV_CONTENT_TYPE = "audio/wav";
const SPEECH_SAMPLE_RATE = 24_000;
/** 0.08 s of audio per code point of text, at speed 1. */
const SPEECH_SAMPLES_PER_CHAR = 0.08 * SPEECH_SAMPLE_RATE;
const SPEECH_TONE_HZ = 330;
const WAV_HEADER_BYTES = 44;

/** A text-to-speech audio body the fake sent completely. */
export interface SentSpeech {
  /** Bytes of PCM (a WAV answer's header left out). */
  size: number;
  /** Hex SHA-256 of the PCM bytes (a WAV answer's header left out). */
  sha256: string;
  /** Unicode code points of the request's text (0 for a scripted `pcm` answer to a body without a string text). */
  characters: number;
  /** True for raw PCM streamed in chunks, false for a WAV file. */
  streaming: boolean;
}

/** Code points, not UTF-16 units: what Faseeh bills and what sets the audio's length. */
export function speechCharacters(text: string): number {
  return Array.from(text).length;
}

/**
 * Samples in the tone a `success` text-to-speech answers: 0.08 s per Unicode
 * code point of `text`, divided by `speed`, rounded down (PCM bytes = 2 x this).
 */
export function fakeSpeechSamples(text: string, speed = 1): number {
  // The epsilon absorbs float noise such as 1920 * 17 / 1.2 = 27199.999...
  return Math.floor((SPEECH_SAMPLES_PER_CHAR * speechCharacters(text)) / speed + 1e-6);
}

/** The speech tone, `samples` long, in 16 KiB chunks generated as they are sent. */
export function speechToneChunks(samples: number): Generator<Buffer> {
  return toneChunks(samples, SPEECH_TONE_HZ);
}

/** The first `length` bytes of the speech tone (what `pcmThenReset` sends before its reset). */
export function speechToneBytes(length: number): Buffer {
  return toneBytes(length, SPEECH_TONE_HZ);
}

/** A streamed answer's headers: chunked, so no content-length. */
export const STREAMED_SPEECH_HEADERS: OutgoingHttpHeaders = { "content-type": SPEECH_CONTENT_TYPE };

/** A WAV answer's headers: its whole length is known up front. */
export function wavSpeechHeaders(samples: number): OutgoingHttpHeaders {
  return { "content-type": SPEECH_WAV_CONTENT_TYPE, "content-length": String(WAV_HEADER_BYTES + 2 * samples) };
}

/** The canonical 44-byte header of a PCM16 24 kHz mono WAV file holding `samples` samples. */
export function wavHeader(samples: number): Buffer {
  const dataBytes = 2 * samples;
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(SPEECH_SAMPLE_RATE, 24);
  header.writeUInt32LE(SPEECH_SAMPLE_RATE * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, 40);
  return header;
}
