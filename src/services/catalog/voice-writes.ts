// Writing voices into the catalog (the clone attempt store does, inside its
// own transactions): normalised as filters match, and idempotent.
import type { PrismaClient } from "../../generated/prisma/client.js";
import type { VoiceRecord } from "./catalog-service.js";
import { normalise, normaliseCodes } from "./voice-metadata.js";

/** What the catalog stores for a new voice (upstream's answer plus our request's model and tags). */
export type NewVoice = Omit<VoiceRecord, "createdAt" | "updatedAt" | "archivedAt" | "tags" | "sortName" | "relevance"> & {
  tags?: string[];
};

export function normaliseVoice(voice: NewVoice): NewVoice {
  return {
    ...voice,
    gender: normalise(voice.gender) ?? null,
    age: normalise(voice.age) ?? null,
    languages: normaliseCodes(voice.languages),
    dialects: normaliseCodes(voice.dialects),
    tags: voice.tags ?? [],
  };
}

/**
 * The one way a voice enters the catalog: normalised, and idempotent (storing
 * the same upstream record twice, as a retried insert or a re-imported
 * journal entry does, returns the stored row). A Prisma operation, so callers
 * can run it inside their own transaction.
 */
export function voiceUpsert(prisma: PrismaClient, voice: NewVoice) {
  const data = normaliseVoice(voice);
  return prisma.voice.upsert({ where: { id: data.id }, create: data, update: {} });
}
