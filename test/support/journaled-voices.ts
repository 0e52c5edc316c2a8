// Voices Faseeh created that the catalog has not stored yet, as a gateway
// leaves them: each with its clone attempt recorded (PENDING) and its entry in
// the recovery journal, for the recovery pass to import.
import { randomUUID } from "node:crypto";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { ANONYMOUS_OWNER } from "../../src/services/access/api-key-service.js";
import { CloneAttemptStore } from "../../src/services/clone/clone-attempt-store.js";
import type { VoiceJournal } from "../../src/services/clone/voice-journal.js";
import type { VoiceToStore } from "../../src/services/clone/voice-storing.js";

export async function journalVoices(prisma: PrismaClient, journal: VoiceJournal, count: number): Promise<VoiceToStore[]> {
  const attempts = new CloneAttemptStore(prisma);
  const entries: VoiceToStore[] = [];
  for (let index = 0; index < count; index += 1) {
    const attemptId = randomUUID();
    const name = `Journaled ${index}`;
    await attempts.begin({
      id: attemptId,
      owner: ANONYMOUS_OWNER,
      idempotencyKey: `journaled-${attemptId}`,
      requestHash: "a".repeat(64),
      name,
      model: "faseeh-v1",
      request: { name },
      ttlHours: 24,
    });
    const entry: VoiceToStore = {
      attemptId,
      model: "faseeh-v1",
      requestHash: "a".repeat(64),
      tags: ["journaled"],
      voice: {
        id: randomUUID(),
        voiceId: `v_journaled_${attemptId.slice(0, 8)}`,
        name,
        description: null,
        gender: "female",
        age: null,
        languages: ["ar"],
        dialects: ["najdi"],
        type: "cloned",
        sampleUrl: null,
        avatarUrl: null,
        stability: 0.5,
      },
    };
    await journal.record(entry, { sync: false });
    entries.push(entry);
  }
  return entries;
}
