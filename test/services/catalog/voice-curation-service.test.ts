// VoiceCurationService without a database: what it refuses before any query,
// and a database outage mapped as every catalog write maps it. The behaviour
// against real databases is in test/resolvers/curation.test.ts.
import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import type { PrismaClient } from "../../../src/generated/prisma/client.js";
import { VoiceCurationService } from "../../../src/services/catalog/voice-curation-service.js";

/** A Prisma client whose every query fails with `error`. */
function failingPrisma(error: Error) {
  const queryRaw = vi.fn(() => Promise.reject(error));
  const findUnique = vi.fn(() => Promise.reject(error));
  const prisma = { $queryRaw: queryRaw, voice: { findUnique } } as unknown as PrismaClient;
  return { prisma, queryRaw, findUnique };
}

describe("VoiceCurationService", () => {
  it("answers DATABASE_UNAVAILABLE when the database cannot be reached", async () => {
    const { prisma } = failingPrisma(new Error("Connection terminated unexpectedly"));
    const curation = new VoiceCurationService(prisma);
    for (const change of [
      () => curation.updateVoice(randomUUID(), { name: "Layla" }),
      () => curation.archiveVoice(randomUUID()),
      () => curation.restoreVoice(randomUUID(), new Date()),
    ]) {
      await expect(change()).rejects.toMatchObject({ code: "DATABASE_UNAVAILABLE" });
    }
  });

  it("refuses invalid input and ids that are not UUIDs before any query", async () => {
    const { prisma, queryRaw, findUnique } = failingPrisma(new Error("no query expected"));
    const curation = new VoiceCurationService(prisma);
    await expect(curation.updateVoice(randomUUID(), { gender: "f3male" })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: { field: "input.gender" },
    });
    await expect(curation.updateVoice("voice-1", { name: "Layla" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(curation.archiveVoice("42")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(queryRaw).not.toHaveBeenCalled();
    expect(findUnique).not.toHaveBeenCalled();
  });
});
