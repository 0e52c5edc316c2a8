// Restart keeps the data: a gateway stopped and started again on the same
// database (a PostgreSQL server, or PGlite's data directory) serves the very
// same voices, honours cursors handed out before the restart, and does not
// apply its migrations a second time.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { VoiceRecord } from "../../src/services/catalog/catalog-service.js";
import type { NewVoice } from "../../src/services/catalog/voice-writes.js";
import {
  type VoiceFieldsFragment,
  VoiceDocument,
  VoicesWithCountDocument,
  type VoicesWithCountQuery,
  type VoicesWithCountQueryVariables,
} from "../generated/operations.js";
import { cloneVoice } from "../support/clone.js";
import { describe, expect, testWithoutGateway } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

type Connection = VoicesWithCountQuery["voices"];

interface LedgerRow extends Record<string, unknown> {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}

const FILTER = { language: "AR", gender: "Female" };

async function voices(gateway: TestGateway, variables: VoicesWithCountQueryVariables): Promise<Connection> {
  const response = await gateway.graphql(VoicesWithCountDocument, variables);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.voices;
}

/** Every page of the filtered set, two voices at a time. */
async function pagesOf(gateway: TestGateway): Promise<Connection[]> {
  const pages: Connection[] = [];
  let after: string | null = null;
  do {
    const page: Connection = await voices(gateway, { filter: FILTER, first: 2, after });
    pages.push(page);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after && pages.length < 10);
  return pages;
}

const idsOf = (pages: Connection[]): string[] => pages.flatMap((page) => page.edges.map((edge) => edge.node.id));

/** Every row as Prisma reads it, createdAt included to the millisecond. */
const rowsOf = (gateway: TestGateway): Promise<VoiceRecord[]> =>
  gateway.container.db.prisma.voice.findMany({ orderBy: { id: "asc" } });

/** Read through the gateway's own connection, so it works for PGlite as well as PostgreSQL. */
const ledgerOf = (gateway: TestGateway): Promise<LedgerRow[]> =>
  gateway.container.db.withSession((session) =>
    session.query<LedgerRow>(
      `SELECT id, migration_name, checksum, finished_at, rolled_back_at, applied_steps_count
         FROM "_prisma_migrations" ORDER BY migration_name`,
    ),
  );

async function migrationFiles(): Promise<Array<{ name: string; checksum: string }>> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      checksum: createHash("sha256")
        .update(await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql")))
        .digest("hex"),
    })),
  );
}

const migrationsApplied = (gateway: TestGateway): unknown[] =>
  gateway.logs.filter((line) => line.msg === "migration applied").map((line) => line.migration);

function seedVoice(overrides: Partial<NewVoice> & Pick<NewVoice, "id" | "name">): NewVoice {
  return {
    voiceId: `voice_${overrides.id.slice(0, 8)}`,
    description: null,
    gender: "female",
    age: null,
    languages: ["ar"],
    dialects: [],
    type: "cloned",
    sampleUrl: `https://cdn.faseeh.test/samples/${overrides.id}.mp3`,
    avatarUrl: null,
    stability: 0.4,
    model: "faseeh-v1",
    ...overrides,
  };
}

/** What the first boot on an empty store did: a voice cloned through it, and older voices seeded. */
interface FirstBoot {
  cloned: VoiceFieldsFragment;
  /** The filtered set's ids, newest first. */
  expectedIds: string[];
}

/** Clones a voice and seeds older ones with chosen times: two share a createdAt, two miss the filter. */
async function cloneAndSeed(gateway: TestGateway): Promise<FirstBoot> {
  const response = await cloneVoice(gateway, {
    input: {
      name: "Layla",
      gender: "Female",
      age: "Middle",
      languages: ["AR", "en"],
      dialects: ["Najdi"],
      description: "Warm",
    },
  });
  expect(response.body.errors).toBeUndefined();
  const cloned = response.body.data!.cloneVoice.voice;
  const prisma = gateway.container.db.prisma;
  const tie = new Date("2026-01-02T00:00:00.000Z");
  const seeded = [
    { ...seedVoice({ id: "3b2f1c7e-0000-4000-8000-000000000001", name: "Nour" }), createdAt: tie },
    { ...seedVoice({ id: "c7a1d2e3-0000-4000-8000-000000000002", name: "Huda", dialects: ["najdi"] }), createdAt: tie },
    {
      ...seedVoice({ id: "5d6e7f80-0000-4000-8000-000000000003", name: "Rana", avatarUrl: "https://example.com/r.png" }),
      createdAt: new Date("2026-01-01T00:00:00.123Z"),
    },
    {
      ...seedVoice({ id: "9e8d7c6b-0000-4000-8000-000000000004", name: "Omar", gender: "male" }),
      createdAt: new Date("2026-01-03T00:00:00.000Z"),
    },
    {
      ...seedVoice({ id: "0a1b2c3d-0000-4000-8000-000000000005", name: "Sam", languages: ["en"] }),
      createdAt: new Date("2026-01-04T00:00:00.000Z"),
    },
  ];
  for (const voice of seeded) await prisma.voice.create({ data: voice });
  return { cloned, expectedIds: [cloned.id, seeded[1]!.id, seeded[0]!.id, seeded[2]!.id] };
}

describe.each(["postgres", "embedded"] as const)("restart keeps the data (%s)", (mode) => {
  /** Boots a gateway on the test's own store (a fresh database, or a data directory), as often as asked. */
  const test = testWithoutGateway.extend(
    "boot",
    async ({ upstream, startGateway, testDatabase, makeTempDir }): Promise<() => Promise<TestGateway>> => {
      const store =
        mode === "postgres"
          ? { database: mode, testDatabase: testDatabase }
          : { database: mode, dataDir: await makeTempDir("gw-persistence-") };
      return () => startGateway({ ...store, upstream });
    },
  );

  test("first boot: migrates, clones, filters and pages", async ({ boot, upstream }) => {
    const gateway = await boot();
    const migrations = await migrationFiles();
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrationsApplied(gateway)).toEqual(migrations.map((migration) => migration.name));

    const { cloned, expectedIds } = await cloneAndSeed(gateway);
    expect(cloned).toMatchObject({
      id: upstream.createdVoices[0]!.id,
      gender: "female",
      languages: ["ar", "en"],
      dialects: ["najdi"],
    });

    const pages = await pagesOf(gateway);
    expect(idsOf(pages)).toEqual(expectedIds);
    expect(pages.map((page) => page.pageInfo.hasNextPage)).toEqual([true, false]);
    expect(pages.map((page) => page.pageInfo.hasPreviousPage)).toEqual([false, true]);
    expect(pages.map((page) => page.totalCount)).toEqual([4, 4]);
    expect(pages[0]!.edges[0]!.node).toEqual(cloned);

    // Another filter on the same data: language alone, and the tie with a dialect.
    expect((await voices(gateway, { filter: { language: "ar" } })).totalCount).toBe(5);
    const najdi = await voices(gateway, { filter: { dialect: "NAJDI", createdBefore: "2026-06-01T00:00:00.000Z" } });
    expect(najdi.edges.map((edge) => edge.node.name)).toEqual(["Huda"]);

    expect(await rowsOf(gateway)).toHaveLength(6);
    const ledger = await ledgerOf(gateway);
    expect(ledger.map((row) => [row.migration_name, row.checksum])).toEqual(migrations.map((m) => [m.name, m.checksum]));
    for (const row of ledger) {
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  test("second boot on the same database: same voices, old cursors work, migrations not re-applied", async ({ boot }) => {
    // What the first boot served, compared field for field after the restart.
    const first = await boot();
    const { cloned, expectedIds } = await cloneAndSeed(first);
    const firstPages = await pagesOf(first);
    const firstRows = await rowsOf(first);
    const firstLedger = await ledgerOf(first);
    await first.stop();
    const gateway = await boot();

    // Nothing migrated again: the ledger is unchanged, row for row.
    expect(migrationsApplied(gateway)).toEqual([]);
    const ledger = await ledgerOf(gateway);
    expect(ledger).toEqual(firstLedger);
    expect(ledger.map((row) => row.migration_name)).toEqual((await migrationFiles()).map((migration) => migration.name));

    // Same rows, every field, createdAt to the millisecond.
    expect(await rowsOf(gateway)).toEqual(firstRows);

    // Same pages, same cursors.
    const pages = await pagesOf(gateway);
    expect(pages).toEqual(firstPages);

    // Cursors from before the restart continue where they left off.
    const cursors = firstPages.flatMap((page) => page.edges.map((edge) => edge.cursor));
    for (const [index, cursor] of cursors.entries()) {
      const next = await voices(gateway, { filter: FILTER, first: 2, after: cursor });
      expect(next.edges.map((edge) => edge.node.id)).toEqual(expectedIds.slice(index + 1, index + 3));
      expect(next.pageInfo.hasPreviousPage).toBe(true);
    }

    const byId = await gateway.graphql(VoiceDocument, { id: cloned.id });
    expect(byId.body).toEqual({ data: { voice: cloned } });
    const byVoiceId = await gateway.graphql(VoiceDocument, { voiceId: cloned.voiceId });
    expect(byVoiceId.body).toEqual({ data: { voice: cloned } });

    // The restarted gateway writes too; a newer voice does not move the old cursors' pages.
    const again = await cloneVoice(gateway, { input: { name: "Dana", gender: "female", languages: ["ar"] } });
    expect(again.body.errors).toBeUndefined();
    const newest = again.body.data!.cloneVoice.voice;
    const fresh = await voices(gateway, { filter: FILTER, first: 1 });
    expect(fresh.edges[0]!.node.id).toBe(newest.id);
    expect(fresh.totalCount).toBe(5);
    const afterOld = await voices(gateway, { filter: FILTER, first: 2, after: firstPages[0]!.pageInfo.endCursor });
    expect(afterOld.edges.map((edge) => edge.node.id)).toEqual(expectedIds.slice(2));
  });
});
