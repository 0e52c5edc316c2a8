// Writes the two example recordings the Quick start and examples/ clone with:
//   npm run examples:audio
// examples/audio/preview.wav (a voice's short preview) and original.wav (the
// recording it came from). No real voice is needed to try the gateway against
// the local Faseeh stand-in: each is two seconds of a gliding tone with a
// vowel-like overtone, 16 kHz mono PCM16, deterministic so the files in git
// and the script's output never differ (check:generated compares them).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SAMPLE_RATE = 16_000;
const SECONDS = 2;
const OUT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "examples", "audio");

/** A mono PCM16 WAV of a tone gliding from `fromHz` to `toHz`, faded in and out. */
export function glideWav(fromHz: number, toHz: number): Buffer {
  const samples = SAMPLE_RATE * SECONDS;
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + samples * 2, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(samples * 2, 40);
  const data = Buffer.alloc(samples * 2);
  let phase = 0;
  for (let index = 0; index < samples; index++) {
    const progress = index / samples;
    phase += (2 * Math.PI * (fromHz + (toHz - fromHz) * progress)) / SAMPLE_RATE;
    const envelope = Math.min(1, progress * 20, (1 - progress) * 20);
    const value = envelope * (0.6 * Math.sin(phase) + 0.2 * Math.sin(3 * phase));
    data.writeInt16LE(Math.round(value * 0.5 * 32_767), index * 2);
  }
  return Buffer.concat([header, data]);
}

export const EXAMPLE_AUDIO = {
  "preview.wav": () => glideWav(180, 240),
  "original.wav": () => glideWav(150, 210),
} as const;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(OUT_DIR, { recursive: true });
  for (const [name, make] of Object.entries(EXAMPLE_AUDIO)) {
    writeFileSync(path.join(OUT_DIR, name), make());
    console.log(`wrote examples/audio/${name}`);
  }
}
