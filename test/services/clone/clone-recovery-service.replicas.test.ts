// Two replicas' recovery passes over one shared journal (RECOVERY_DIR on a
// shared volume) and one database, at the same time: each entry is imported by
// exactly one of them. The race is forced, not hoped for: both passes have
// listed every entry before either imports one.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../../src/config.js";
import type { Database } from "../../../src/db/database.js";
import { createLogger } from "../../../src/logger.js";
import { CloneAttemptStore } from "../../../src/services/clone/clone-attempt-store.js";
import { CloneRecoveryService } from "../../../src/services/clone/clone-recovery-service.js";
import { type JournalEntry, VoiceJournal } from "../../../src/services/clone/voice-journal.js";
import { FaseehClient } from "../../../src/upstream/faseeh-client.js";
import { expect, testWithoutGateway as test } from "../../support/fixtures.js";
import { journalVoices } from "../../support/journaled-voices.js";

const silent = createLogger({ logLevel: "silent" });
const config = loadConfig({ NODE_ENV: "test" });
/** Without a key: the pass reads Faseeh's voice list only for operators' resolutions, and there are none here. */
const noFaseeh = new FaseehClient(config.upstream, silent);

/** A journal whose list() returns only once `others` journals have listed too: every pass starts from the same entries. */
function journalsListingTogether(dir: string, count: number): VoiceJournal[] {
  let listed = 0;
  let allListed!: () => void;
  const together = new Promise<void>((resolve) => (allListed = resolve));
  class ListingTogether extends VoiceJournal {
    override async list(): Promise<JournalEntry[]> {
      const entries = await super.list();
      listed += 1;
      if (listed === count) allListed();
      await together;
      return entries;
    }
  }
  return Array.from({ length: count }, () => new ListingTogether(dir, silent));
}

const recoveryOf = (db: Database, journal: VoiceJournal) =>
  new CloneRecoveryService(journal, new CloneAttemptStore(db.prisma), noFaseeh, config, silent);

test("two replicas' concurrent passes import each journaled voice exactly once", async ({ migratedDatabase }) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gw-shared-recovery-"));
  try {
    const { db, test: sql } = migratedDatabase;
    const entries = await journalVoices(db.prisma, new VoiceJournal(dir, silent), 40);
    const [first, second] = journalsListingTogether(dir, 2);
    const replica = await migratedDatabase.openReplica();

    const reports = await Promise.all([recoveryOf(db, first!).reconcile(), recoveryOf(replica, second!).reconcile()]);

    // Every voice imported once, by one pass or the other, never by both.
    const imported = reports.flatMap((report) => report.imported);
    expect(imported.toSorted()).toEqual(entries.map((entry) => entry.voice.voiceId).toSorted());
    // The pass that came second to an entry found it stored, and only removed it.
    expect(reports.reduce((sum, report) => sum + report.alreadyStored, 0)).toBe(entries.length);
    expect(reports.map((report) => report.remaining)).toEqual([0, 0]);
    // One catalog row per voice, each attempt SUCCEEDED with its voice, the journal empty.
    const rows = await sql.query<{ voice_id: string; tags: string[] }>("SELECT voice_id, tags FROM voices ORDER BY voice_id");
    expect(rows).toEqual(
      entries
        .map((entry) => ({ voice_id: entry.voice.voiceId, tags: ["journaled"] }))
        .toSorted((a, b) => a.voice_id.localeCompare(b.voice_id)),
    );
    const attempts = await sql.query<{ status: string; voice_id: string }>("SELECT status, voice_id FROM clone_attempts");
    expect(attempts).toHaveLength(entries.length);
    expect(attempts.every((attempt) => attempt.status === "SUCCEEDED" && attempt.voice_id)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an entry left beside a voice already stored is removed, and the catalog is not written again", async ({
  migratedDatabase,
}) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gw-shared-recovery-"));
  try {
    const { db, test: sql } = migratedDatabase;
    const journal = new VoiceJournal(dir, silent);
    const [entry] = await journalVoices(db.prisma, journal, 1);
    const recovery = recoveryOf(db, journal);
    expect((await recovery.reconcile()).imported).toEqual([entry!.voice.voiceId]);
    const before = await sql.query("SELECT updated_at FROM clone_attempts UNION ALL SELECT updated_at FROM voices");

    // As a clone leaves it when its process stops between storing the voice and removing the entry.
    await journal.record(entry!);
    expect(await recovery.reconcile()).toMatchObject({ imported: [], alreadyStored: 1, remaining: 0 });
    expect(await sql.query("SELECT updated_at FROM clone_attempts UNION ALL SELECT updated_at FROM voices")).toEqual(before);
    expect(await readdir(dir)).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
