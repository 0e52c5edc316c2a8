// What the examples' tests seed and compare with: the committed example
// recordings as the fake Faseeh should receive them, and a catalog for the
// listing example, written as given through the gateway's Prisma client.
import { readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../dev/spawn-ts.js";
import type { TestGateway } from "../support/gateway.js";
import { digestOf } from "../support/preview.js";
import { voiceData } from "../support/voice-data.js";

/** A committed example recording's path, as a user would pass it, and the size and SHA-256 Faseeh should receive. */
export function exampleRecording(name: "preview.wav" | "original.wav"): {
  path: string;
  digest: { size: number; sha256: string };
} {
  const file = path.join(PROJECT_ROOT, "examples", "audio", name);
  return { path: file, digest: digestOf(readFileSync(file)) };
}

/** Five Arabic voices (newest last here) and two English ones, a minute apart. */
export const ARABIC_VOICES = ["Layla", "Omar", "Nour", "Khalid", "Huda"] as const;
export const ENGLISH_VOICES = ["Grace", "Oliver"] as const;

export async function seedCatalog(gateway: TestGateway): Promise<void> {
  const voices = [
    ...ARABIC_VOICES.map((name) => ({ name, languages: ["ar"], dialects: ["najdi"], gender: "female" })),
    ...ENGLISH_VOICES.map((name) => ({ name, languages: ["en"], dialects: [], gender: "male" })),
  ];
  for (const [index, fields] of voices.entries()) {
    const createdAt = new Date(Date.UTC(2026, 0, 1, 0, index));
    await gateway.container.db.prisma.voice.create({ data: { ...voiceData(fields), createdAt } });
  }
}
