// Small, genuine audio files built in code (no binary fixtures in the repo):
// real container headers that a content sniffer recognises. The tests upload
// them, and the benchmarks (bench/) send them as the files of a clone.
import { createHash } from "node:crypto";

export const MiB = 1024 * 1024;

/** Hex SHA-256, to compare what the fake upstream received with what a client sent. */
export const sha256 = (content: Buffer): string => createHash("sha256").update(content).digest("hex");

/**
 * A WAV of `bytes` total whose samples are not silence: a pseudo-random,
 * seeded pattern, so a truncated, shifted or mixed-up copy never hashes the
 * same as the original, and two seeds never collide.
 */
export function noisyWav(bytes: number, seed = 1): Buffer {
  const file = wav(bytes);
  fillNoise(file, 44, seed);
  return file;
}

/** Fills `target` from `start` on with seeded xorshift32 noise: the same seed, the same bytes. */
function fillNoise(target: Buffer, start: number, seed: number): void {
  const word = Buffer.alloc(4);
  let state = seed >>> 0 || 1;
  for (let offset = start; offset < target.length; offset += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    word.writeUInt32LE(state >>> 0);
    word.copy(target, offset, 0, Math.min(4, target.length - offset));
  }
}

/** A PCM WAV of `bytes` total size (silence), default 16 KiB. */
export function wav(bytes = 16 * 1024): Buffer {
  const dataSize = Math.max(0, bytes - 44);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + dataSize, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(16_000, 24);
  header.writeUInt32LE(32_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataSize, 40);
  return Buffer.concat([header, Buffer.alloc(dataSize)]);
}

/** MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz), preceded by an ID3v2 tag. */
export function mp3(frames = 40): Buffer {
  const id3 = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 0]);
  const frame = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(413)]);
  return Buffer.concat([id3, ...Array.from({ length: frames }, () => frame)]);
}

/** An Ogg page carrying an OpusHead packet. */
export function oggOpus(): Buffer {
  const page = Buffer.concat([
    Buffer.from("OggS", "ascii"),
    Buffer.from([0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 19]),
    Buffer.from("OpusHead", "ascii"),
    Buffer.from([1, 1, 0, 0, 0x80, 0xbb, 0, 0, 0, 0, 0]),
  ]);
  return Buffer.concat([page, Buffer.alloc(4096)]);
}

export function flac(): Buffer {
  return Buffer.concat([Buffer.from("fLaC", "ascii"), Buffer.from([0, 0, 0, 0x22]), Buffer.alloc(4096)]);
}

export function m4a(): Buffer {
  return Buffer.concat([
    Buffer.from([0, 0, 0, 0x20]),
    Buffer.from("ftypM4A ", "ascii"),
    Buffer.from([0, 0, 0, 0]),
    Buffer.from("M4A isomiso2", "ascii"),
    Buffer.alloc(4096),
  ]);
}

export function webm(): Buffer {
  return Buffer.concat([
    Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04]),
    Buffer.from([0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x84]),
    Buffer.from("webm", "ascii"),
    Buffer.from([0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02]),
    Buffer.alloc(4096),
  ]);
}

/** Not audio: what a user gets by renaming notes.txt to notes.wav. */
export function textFile(): Buffer {
  return Buffer.from("These are my meeting notes, not a recording.\n".repeat(20), "utf8");
}

/**
 * `bytes` of headerless 16-bit PCM: seeded pseudo-random samples, the first
 * eight of them small (3, -4, 5, -6, ...) so the head matches no magic number.
 */
export function rawPcm(bytes: number, seed = 1): Buffer {
  const pcm = Buffer.alloc(bytes);
  fillNoise(pcm, 0, seed);
  for (let sample = 0; sample < 8 && 2 * sample + 2 <= bytes; sample++) {
    pcm.writeInt16LE(sample % 2 === 0 ? 3 + sample : -(3 + sample), 2 * sample);
  }
  return pcm;
}
