// The voice a clone creates: the real API's 200 body, field for field, and how
// the fake builds one from the form it received.
import { randomBytes, randomUUID } from "node:crypto";
import { parseStability } from "./validation.js";

/** The 200 response body of the real API, field for field. */
export interface FakeVoice {
  id: string;
  voice_id: string;
  name: string;
  description: string | null;
  gender: string | null;
  age: string | null;
  languages: string[];
  /** Singular in the response, although the request field is `dialects`. */
  dialect: string[];
  type: string | null;
  sample_url: string;
  avatar_url: string | null;
  stability: number;
}

/**
 * What a 200 actually carried. Usually a full `FakeVoice`, but `success`
 * behaviours may omit fields or add unknown ones, so everything is optional
 * and extra keys are allowed (known keys still keep their contract types).
 */
export type FakeVoiceBody = Partial<FakeVoice> & Record<string, unknown>;

function splitList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Builds the contract-shaped voice from already-validated fields. */
export function buildVoice(fields: Record<string, string>): FakeVoice {
  const voiceId = `voice_${randomBytes(8).toString("hex")}`;
  return {
    id: randomUUID(),
    voice_id: voiceId,
    name: fields.name ?? "",
    description: fields.description ?? null,
    gender: fields.gender ?? null,
    age: fields.age ?? null,
    languages: splitList(fields.languages),
    dialect: splitList(fields.dialects),
    type: "cloned",
    sample_url: `https://cdn.faseeh.test/samples/${voiceId}.mp3`,
    avatar_url: fields.avatar_url ?? null,
    stability: parseStability(fields.stability) ?? 0,
  };
}
