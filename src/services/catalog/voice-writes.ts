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

/**
 * The voice, inserted unless its row exists already (`count` 0 then): for an
 * importer that must know whether it stored the voice or someone else did.
 * Concurrent inserts of one voice queue on its key; exactly one counts 1.
 */
export function voiceInsertIfAbsent(prisma: PrismaClient, voice: NewVoice) {
  return prisma.voice.createMany({ data: [normaliseVoice(voice)], skipDuplicates: true });
}
