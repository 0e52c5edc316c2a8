// A complete voice record, as the catalog stores it, for tests that write
// voices directly (catalog scenarios, the attempt store's lifecycle).
import { randomUUID } from "node:crypto";
import type { NewVoice } from "../../src/services/catalog/voice-writes.js";

let sequence = 0;

/** A complete voice record (lower-cased codes, as the catalog stores them) with a fresh id. */
export function voiceData(overrides: Partial<NewVoice> = {}): NewVoice {
  const id = overrides.id ?? randomUUID();
  sequence += 1;
  return {
    id,
    voiceId: `voice_${sequence}_${id.slice(0, 8)}`,
    name: `Voice ${sequence}`,
    description: null,
    gender: null,
    age: null,
    languages: [],
    dialects: [],
    type: "cloned",
    sampleUrl: `https://cdn.faseeh.test/samples/${id}.mp3`,
    avatarUrl: null,
    stability: 0.5,
    model: "faseeh-v1",
    ...overrides,
  };
}
