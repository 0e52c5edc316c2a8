// VoiceJournal on real files in a temp directory: what record() leaves on
// disk (one private JSON file per attempt, never a half-written one), what
// list() gives back, and how it treats what it cannot read (moved aside,
// logged once, the rest still listed).
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/logger.js";
import { type JournalEntry, VoiceJournal } from "../../../src/services/clone/voice-journal.js";

let root: string;
let dir: string;
let logs: Array<Record<string, unknown>>;
let journal: VoiceJournal;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "gw-journal-test-"));
  // A directory that does not exist yet, two levels down: record() creates it.
  dir = path.join(root, "data", "recovery");
  logs = [];
  const logger = createLogger(
    { logLevel: "info" },
    { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  journal = new VoiceJournal(dir, logger);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function entry(overrides: Partial<Omit<JournalEntry, "recordedAt">> = {}): Omit<JournalEntry, "recordedAt"> {
  const id = randomUUID();
  return {
    attemptId: randomUUID(),
    model: "faseeh-v1",
    requestHash: "a".repeat(64),
    voice: {
      id,
      voiceId: `voice_${id.slice(0, 8)}`,
      name: "Layla",
      description: "warm",
      gender: "female",
      age: null,
      languages: ["ar"],
      dialects: ["najdi", "hijazi"],
      type: "cloned",
      sampleUrl: "https://cdn.faseeh.test/samples/x.mp3",
      avatarUrl: null,
      stability: 0.5,
    },
    ...overrides,
  };
}

const mode = async (file: string) => (await stat(file)).mode & 0o777;

describe("VoiceJournal.record", () => {
  it.each([true, false])(
    "writes one private <attemptId>.json with the entry and when it was recorded (sync: %s)",
    async (sync) => {
      const recorded = entry();
      const before = Date.now();
      await journal.record(recorded, { sync });
      expect(await readdir(dir)).toEqual([`${recorded.attemptId}.json`]);
      const file = path.join(dir, `${recorded.attemptId}.json`);
      const stored = JSON.parse(await readFile(file, "utf8")) as JournalEntry;
      expect(stored).toEqual({ ...recorded, recordedAt: expect.any(String) as string });
      const recordedAt = Date.parse(stored.recordedAt);
      expect(recordedAt).toBeGreaterThanOrEqual(before);
      expect(recordedAt).toBeLessThanOrEqual(Date.now());
      expect(await mode(file)).toBe(0o600);
      expect(await mode(dir)).toBe(0o700);
    },
  );

  it("replaces an attempt's entry when it is recorded again, leaving no temp file", async () => {
    const first = entry();
    await journal.record(first);
    const again = { ...first, voice: { ...first.voice, name: "Layla (again)" } };
    await journal.record(again);
    expect(await readdir(dir)).toEqual([`${first.attemptId}.json`]);
    const listed = await journal.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]!.voice.name).toBe("Layla (again)");
  });

  it("fails when its directory cannot be created", async () => {
    const blocked = path.join(root, "a-file");
    await writeFile(blocked, "not a directory");
    const broken = new VoiceJournal(path.join(blocked, "recovery"), createLogger({ logLevel: "silent" }));
    await expect(broken.record(entry())).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});

describe("VoiceJournal.list", () => {
  it("is empty while the directory does not exist", async () => {
    await expect(journal.list()).resolves.toEqual([]);
  });

  it("gives back every entry as recorded, in file-name order", async () => {
    const entries = [entry(), entry(), entry()];
    for (const each of entries) await journal.record(each);
    const listed = await journal.list();
    const byId = [...entries].sort((a, b) => a.attemptId.localeCompare(b.attemptId));
    expect(listed.map(({ recordedAt: _recordedAt, ...rest }) => rest)).toEqual(byId);
  });

  it("reads entries written before requestHash existed", async () => {
    const { requestHash: _requestHash, ...old } = entry();
    await journal.record(old);
    const listed = await journal.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).not.toHaveProperty("requestHash");
    expect(listed[0]!.attemptId).toBe(old.attemptId);
  });

  it("gives back an entry's tags, and reads entries written before entries carried tags", async () => {
    const tagged = entry({ tags: ["news", "warm-voice"] });
    const old = entry();
    expect(old).not.toHaveProperty("tags");
    await journal.record(tagged);
    await journal.record(old);
    const listed = new Map((await journal.list()).map((each) => [each.attemptId, each]));
    expect(listed.get(tagged.attemptId)?.tags).toEqual(["news", "warm-voice"]);
    expect(listed.get(old.attemptId)).toBeDefined();
    expect(listed.get(old.attemptId)).not.toHaveProperty("tags");
  });

  it("skips files that are not entries (a temp file left by a crash, a corrupt one set aside)", async () => {
    const kept = entry();
    await journal.record(kept);
    await writeFile(path.join(dir, `${randomUUID()}.json.tmp`), "{ half an entr");
    await writeFile(path.join(dir, `${randomUUID()}.json.corrupt`), "garbage");
    await writeFile(path.join(dir, "README"), "notes");
    const listed = await journal.list();
    expect(listed.map((each) => each.attemptId)).toEqual([kept.attemptId]);
    expect(logs.filter((line) => line.level === 50)).toEqual([]);
  });

  it.each([
    ["not JSON", "{ this is not json"],
    ["JSON of another shape", JSON.stringify({ hello: "world" })],
    [
      "an entry whose attemptId is not a UUID",
      JSON.stringify({ ...entry(), attemptId: "42", recordedAt: new Date().toISOString() }),
    ],
    [
      "an entry whose voice lacks its id",
      JSON.stringify({ ...entry(), voice: { name: "x" }, recordedAt: new Date().toISOString() }),
    ],
  ])("moves aside %s, logs it once, and still lists the rest", async (_what, content) => {
    const good = entry();
    await journal.record(good);
    const badName = `${randomUUID()}.json`;
    await writeFile(path.join(dir, badName), content);

    const listed = await journal.list();
    expect(listed.map((each) => each.attemptId)).toEqual([good.attemptId]);
    expect((await readdir(dir)).sort()).toEqual([`${badName}.corrupt`, `${good.attemptId}.json`].sort());
    // Kept byte for byte for a human to look at.
    expect(await readFile(path.join(dir, `${badName}.corrupt`), "utf8")).toBe(content);
    const errors = logs.filter((line) => line.msg === "unreadable recovery journal entry; moved aside");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ level: 50, file: badName, err: expect.any(String) as string });

    // Not retried forever: the next pass neither lists nor logs it again.
    expect((await journal.list()).map((each) => each.attemptId)).toEqual([good.attemptId]);
    expect(logs.filter((line) => line.msg === "unreadable recovery journal entry; moved aside")).toHaveLength(1);
  });

  it("fails when its directory is not a directory", async () => {
    const file = path.join(root, "plain-file");
    await writeFile(file, "x");
    const broken = new VoiceJournal(file, createLogger({ logLevel: "silent" }));
    await expect(broken.list()).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});

describe("VoiceJournal.remove", () => {
  it("removes an attempt's entry and leaves the others", async () => {
    const [a, b] = [entry(), entry()];
    await journal.record(a);
    await journal.record(b);
    await journal.remove(a.attemptId);
    expect(await readdir(dir)).toEqual([`${b.attemptId}.json`]);
    expect((await journal.list()).map((each) => each.attemptId)).toEqual([b.attemptId]);
  });

  it("is a no-op for an attempt it never recorded, even before the directory exists", async () => {
    await expect(journal.remove(randomUUID())).resolves.toBeUndefined();
    await journal.record(entry());
    await expect(journal.remove(randomUUID())).resolves.toBeUndefined();
    expect(await journal.list()).toHaveLength(1);
  });
});
