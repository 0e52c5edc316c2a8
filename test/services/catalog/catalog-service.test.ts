// CatalogService paging with its cursors on a real PostgreSQL database:
// newest first, ties on createdAt broken by id, no gap and no repeat,
// whatever is inserted meanwhile. (The cursors themselves:
// catalog-cursor.test.ts.)
import { randomUUID } from "node:crypto";
import { CatalogService, type VoiceRecord } from "../../../src/services/catalog/catalog-service.js";
import { describe, expect, testWithoutGateway } from "../../support/fixtures.js";

/** The file's migrated database, emptied before each test, with the catalog on it and a way to add a voice. */
const it = testWithoutGateway
  .extend("catalog", ({ migratedDatabase }) => new CatalogService(migratedDatabase.db))
  .extend(
    "insertVoice",
    ({ migratedDatabase }) =>
      async (createdAt: string, name = "Layla", id: string = randomUUID()): Promise<string> => {
        await migratedDatabase.test.query(
          `INSERT INTO voices (id, voice_id, name, languages, dialects, stability, model, created_at)
       VALUES ($1, $2, $3, '{ar}', '{}', 0.5, 'faseeh-v1', $4)`,
          [id, `voice_${id.slice(0, 8)}`, name, createdAt],
        );
        return id;
      },
  );

/** Every page, following endCursor until hasNextPage is false. */
async function allPages(catalog: CatalogService, first: number): Promise<VoiceRecord[][]> {
  const pages: VoiceRecord[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await catalog.listVoices({ first, after: after ?? null });
    expect(page.hasPreviousPage).toBe(after !== undefined);
    pages.push(page.voices);
    if (!page.hasNextPage) return pages;
    after = page.cursorOf(page.voices.at(-1)!);
  }
}

describe("CatalogService paging with cursors (PostgreSQL)", () => {
  it("pages newest first, breaking createdAt ties by id, with no gap and no repeat", async ({
    catalog,
    insertVoice,
    migratedDatabase: database,
  }) => {
    const tie = "2026-11-26T10:00:00.000Z";
    const ids = [
      await insertVoice("2026-11-26T09:00:00.000Z"),
      await insertVoice(tie),
      await insertVoice(tie),
      await insertVoice(tie),
      await insertVoice("2026-11-26T11:00:00.000Z"),
      await insertVoice("2026-11-26T10:00:00.001Z"),
      await insertVoice(tie),
    ];
    const expected = (await database.test.query<{ id: string }>("SELECT id FROM voices ORDER BY created_at DESC, id DESC")).map(
      (row) => row.id,
    );
    expect([...expected].sort()).toEqual([...ids].sort());

    const pages = await allPages(catalog, 2);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 1]);
    expect(pages.flat().map((voice) => voice.id)).toEqual(expected);
  });

  it("keeps a page boundary stable when newer voices arrive between pages", async ({ catalog, insertVoice }) => {
    for (let minute = 10; minute < 15; minute++) await insertVoice(`2026-11-26T10:${minute}:00.000Z`);
    const first = await catalog.listVoices({ first: 2 });
    const cursor = first.cursorOf(first.voices.at(-1)!);
    await insertVoice("2026-11-26T12:00:00.000Z", "newer");
    const second = await catalog.listVoices({ first: 2, after: cursor });
    expect(second.voices.map((voice) => voice.createdAt.toISOString())).toEqual([
      "2026-11-26T10:12:00.000Z",
      "2026-11-26T10:11:00.000Z",
    ]);
    expect(second.hasNextPage).toBe(true);
    expect(second.hasPreviousPage).toBe(true);
  });

  it("still pages from the cursor of a voice that was deleted meanwhile", async ({
    catalog,
    insertVoice,
    migratedDatabase: database,
  }) => {
    for (let minute = 10; minute < 14; minute++) await insertVoice(`2026-11-26T10:${minute}:00.000Z`);
    const first = await catalog.listVoices({ first: 2 });
    const last = first.voices.at(-1)!;
    await database.test.query("DELETE FROM voices WHERE id = $1", [last.id]);
    const second = await catalog.listVoices({ first: 2, after: first.cursorOf(last) });
    expect(second.voices.map((voice) => voice.createdAt.toISOString())).toEqual([
      "2026-11-26T10:11:00.000Z",
      "2026-11-26T10:10:00.000Z",
    ]);
    expect(second.hasNextPage).toBe(false);
  });

  it("answers an empty last page after the oldest voice's cursor", async ({ catalog, insertVoice }) => {
    await insertVoice("2026-11-26T10:00:00.000Z");
    const only = await catalog.listVoices({ first: 5 });
    expect(only.voices).toHaveLength(1);
    expect(only.hasNextPage).toBe(false);
    const after = await catalog.listVoices({ first: 5, after: only.cursorOf(only.voices[0]!) });
    expect(after).toMatchObject({ voices: [], hasNextPage: false, hasPreviousPage: true });
  });

  it("refuses a malformed `after` with BAD_USER_INPUT", async ({ catalog, insertVoice }) => {
    await insertVoice("2026-11-26T10:00:00.000Z");
    await expect(catalog.listVoices({ first: 5, after: "garbage" })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: { field: "after" },
    });
  });

  it("pages and finds voices whose ids are UUID-shaped but of no RFC 9562 version (md5-derived)", async ({
    catalog,
    insertVoice,
    migratedDatabase: database,
  }) => {
    // What the scale bench stores (md5(...)::uuid): version and variant bits are whatever the hash gave.
    const ids = await database.test.query<{ id: string }>(
      "SELECT md5('catalog-md5-' || i)::uuid::text AS id FROM generate_series(1, 5) AS i",
    );
    for (const [index, { id }] of ids.entries()) await insertVoice(`2026-11-26T10:0${index}:00.000Z`, "Layla", id);
    for (const sort of ["NEWEST", "NAME_ASC"] as const) {
      const first = await catalog.listVoices({ sort, first: 3 });
      const second = await catalog.listVoices({ sort, first: 3, after: first.cursorOf(first.voices.at(-1)!) });
      expect([...first.voices, ...second.voices].map((voice) => voice.id).sort()).toEqual(ids.map((row) => row.id).sort());
    }
    expect((await catalog.getVoice({ id: ids[0]!.id }))?.id).toBe(ids[0]!.id);
  });

  it("treats an empty `after` as no cursor (the first page)", async ({ catalog, insertVoice }) => {
    await insertVoice("2026-11-26T10:00:00.000Z");
    const page = await catalog.listVoices({ first: 5, after: "" });
    expect(page.voices).toHaveLength(1);
    expect(page.hasPreviousPage).toBe(false);
  });
});
