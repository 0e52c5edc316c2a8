// Scenario data for catalog.test.ts: the voices its tests seed, as plain
// typed data, and the few functions that write them (exactly as given, no
// normalisation, with a chosen createdAt) through the gateway's Prisma client.
import type { VoiceRecord } from "../../src/services/catalog/catalog-service.js";
import type { NewVoice } from "../../src/services/catalog/voice-writes.js";
import type { TestGateway } from "../support/gateway.js";
import { voiceData } from "../support/voice-data.js";

export { voiceData };

const BASE = Date.parse("2026-01-01T00:00:00.000Z");
/** A fixed instant, `minutes` after 2026-01-01T00:00Z. */
export const at = (minutes: number): Date => new Date(BASE + minutes * 60_000);

/** Inserts a row exactly as given (no normalisation), with a chosen createdAt. */
export function insertVoice(gateway: TestGateway, createdAt: Date, overrides: Partial<NewVoice> = {}): Promise<VoiceRecord> {
  return gateway.container.db.prisma.voice.create({ data: { ...voiceData(overrides), createdAt } });
}

// ---------------------------------------------------------------------------
// "voices filters": six voices, stored lower-cased, one hour apart, oldest first.

export const filterCatalog = {
  layla: {
    name: "Layla",
    languages: ["ar", "en"],
    dialects: ["najdi", "hijazi"],
    gender: "female",
    age: "middle",
    model: "faseeh-v1",
  },
  omar: { name: "Omar", languages: ["ar"], dialects: ["hijazi"], gender: "male", age: "elderly", model: "faseeh-v1" },
  nour: { name: "Nour Al-Huda", languages: ["en"], dialects: [], gender: "female", age: "young", model: "faseeh-v2" },
  khalid: {
    name: "Khalid",
    languages: ["ar", "fr"],
    dialects: ["gulf_saudi"],
    gender: "male",
    age: "middle",
    model: "faseeh-v2",
  },
  mona: { name: "Mona", languages: [], dialects: [], gender: null, age: null, model: "faseeh-v1" },
  laylani: { name: "LAYLANI", languages: ["fr"], dialects: ["najdi"], gender: "female", age: "elderly", model: "faseeh-v1" },
} satisfies Record<string, Partial<NewVoice>>;
export type FilterCatalogKey = keyof typeof filterCatalog;

/** The filter catalog's n-th hour (voice n of the catalog is created at hour n, from 1). */
export const hour = (index: number): Date => at(index * 60);

/** Seeds the filter catalog; answers the stored record of each voice by key. */
export async function seedFilterCatalog(gateway: TestGateway): Promise<Record<FilterCatalogKey, VoiceRecord>> {
  const entries = Object.entries(filterCatalog) as Array<[FilterCatalogKey, Partial<NewVoice>]>;
  const records = await Promise.all(entries.map(([, fields], index) => insertVoice(gateway, hour(index + 1), fields)));
  return Object.fromEntries(entries.map(([key], index) => [key, records[index]!])) as Record<FilterCatalogKey, VoiceRecord>;
}

// ---------------------------------------------------------------------------
// "voices paging": voices matching one filter, and voices that miss it by one field.

export const matching: Partial<NewVoice> = { languages: ["ar", "en"], gender: "female" };
export const misses: Array<Partial<NewVoice>> = [
  { languages: ["en"], gender: "female" },
  { languages: ["ar"], gender: "male" },
  { languages: [], gender: null },
];

/**
 * 23 matching voices and 12 that miss the filter by one field, in groups of
 * four to five sharing one createdAt, so pages cut through ties. Answers the
 * ids of the matching ones and every stored row.
 */
export async function seedMixed(gateway: TestGateway): Promise<{ matchingIds: Set<string>; all: VoiceRecord[] }> {
  const data: Array<{ createdAt: Date } & NewVoice> = [];
  for (let index = 0; index < 23; index++) data.push({ ...voiceData(matching), createdAt: at(Math.floor(index / 4)) });
  for (let index = 0; index < 12; index++) {
    data.push({ ...voiceData(misses[index % misses.length]), createdAt: at(Math.floor(index / 2)) });
  }
  await gateway.container.db.prisma.voice.createMany({ data });
  const all = await gateway.container.db.prisma.voice.findMany();
  return { matchingIds: new Set(data.slice(0, 23).map((voice) => voice.id)), all };
}
