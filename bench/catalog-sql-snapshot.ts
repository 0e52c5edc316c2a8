// Every catalog statement the gateway can send, written to a file to diff:
// run before and after a change to the catalog's SQL builders, and compare.
//   node --import tsx bench/catalog-sql-snapshot.ts <out-dir>
// Writes <out-dir>/statements.jsonl (one line per statement: what built it,
// its name, a hash of its text and its values), <out-dir>/texts.txt (each
// distinct text once, by name) and <out-dir>/service.jsonl (what
// CatalogService sends and answers through a recording database: pages,
// cursors, fingerprints, counts, facets).
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { VoiceSort } from "../src/services/catalog/catalog-query.js";
import { decodeCursor, encodeCursor, filterFingerprint } from "../src/services/catalog/catalog-cursor.js";
import { CatalogService, type VoiceRecord } from "../src/services/catalog/catalog-service.js";
import {
  cappedCountStatement,
  combinationShareStatement,
  estimateCountStatement,
  rollupCountStatement,
} from "../src/services/catalog/sql/counts.js";
import { facetsStatement } from "../src/services/catalog/sql/facets.js";
import { listVoicesStatement } from "../src/services/catalog/sql/list.js";
import { voiceByStatement, voicesByVoiceIdsStatement } from "../src/services/catalog/sql/lookups.js";
import type { Statement } from "../src/services/catalog/sql/statement.js";
import { parseFilter, type VoiceFilter } from "../src/services/catalog/voice-filter.js";
import { normaliseVoice } from "../src/services/catalog/voice-writes.js";

const outDir = process.argv[2];
if (!outDir) throw new Error("usage: catalog-sql-snapshot.ts <out-dir>");

const SORTS: VoiceSort[] = ["NEWEST", "OLDEST", "NAME_ASC", "NAME_DESC", "RELEVANCE"];
const CODES = { language: " AR ", dialect: "Najdi", gender: "female", age: "middle", model: "xtts_v2" } as const;
const CODE_FIELDS = Object.keys(CODES) as (keyof typeof CODES)[];
const TAG_SETS: string[][] = [[], ["warm"], ["news", "Warm"], ["crisp", "ivr", "maghrebi"]];
const SEARCHES: (string | undefined)[] = [undefined, "la", "layla", "Layla Warm 512", "لَيْلَى", "  يوسف   ab  "];
const EXTRAS: VoiceFilter[] = [
  {},
  { nameContains: "50%_off\\" },
  { createdAfter: new Date("2025-01-02T03:04:05.678Z"), createdBefore: new Date("2026-01-01T00:00:00Z") },
  { nameContains: "ly", createdAfter: new Date("2025-01-02T03:04:05.678Z") },
];

function filters(): Array<{ label: string; filter: VoiceFilter }> {
  const out: Array<{ label: string; filter: VoiceFilter }> = [];
  for (let mask = 0; mask < 1 << CODE_FIELDS.length; mask++) {
    const codes: VoiceFilter = {};
    CODE_FIELDS.forEach((field, index) => {
      if (mask & (1 << index)) codes[field] = CODES[field];
    });
    for (const tags of TAG_SETS)
      for (const search of SEARCHES)
        for (const [extraIndex, extra] of EXTRAS.entries())
          for (const includeArchived of [false, true]) {
            const filter: VoiceFilter = { ...codes, ...extra, includeArchived };
            if (tags.length) filter.tags = tags;
            if (search !== undefined) filter.search = search;
            out.push({ label: `m${mask} t${tags.length} s${String(search)} x${extraIndex} a${includeArchived}`, filter });
          }
  }
  return out;
}

const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);
const lines: string[] = [];
const texts = new Map<string, string>();
function record(label: string, statement: Statement) {
  const known = texts.get(statement.name);
  if (known !== undefined && known !== statement.text) throw new Error(`two texts share ${statement.name}`);
  texts.set(statement.name, statement.text);
  lines.push(JSON.stringify({ label, name: statement.name, text: hash(statement.text), values: statement.values }));
}

const CURSORS: Record<VoiceSort, unknown[]> = {
  NEWEST: ["2025-06-01T00:00:00.000Z", "8f7b2c5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"],
  OLDEST: ["2025-06-01T00:00:00.000Z", "8f7b2c5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"],
  NAME_ASC: ["layla warm", "8f7b2c5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"],
  NAME_DESC: ["layla warm", "8f7b2c5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"],
  RELEVANCE: [1, "2025-06-01T00:00:00.000Z", "8f7b2c5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"],
};
const RELEVANCE_CURSORS = [0, 1, 2].map((tier) => [tier, ...CURSORS.RELEVANCE.slice(1)]);

function builders(all: Array<{ label: string; filter: VoiceFilter }>) {
  for (const { label, filter } of all) {
    const query = parseFilter(filter);
    for (const sort of SORTS) {
      if (sort === "RELEVANCE" && !query.search) continue;
      const afters = sort === "RELEVANCE" ? [undefined, ...RELEVANCE_CURSORS] : [undefined, CURSORS[sort]];
      for (const [afterIndex, after] of afters.entries())
        for (const rare of [false, true]) {
          if (rare && sort === "RELEVANCE") continue;
          record(`${label} list ${sort} after${afterIndex} rare${rare}`, listVoicesStatement(query, sort, after, 21, { rare }));
        }
    }
    for (const limit of [1, 10, 100]) record(`${label} facets ${limit}`, facetsStatement(query, limit, 1000));
    record(`${label} rollupCount`, rollupCountStatement(query));
    record(`${label} cappedCount`, cappedCountStatement(query, 10_000));
    record(`${label} estimate`, estimateCountStatement(query));
    record(`${label} share`, combinationShareStatement(query));
  }
  record("voiceBy id", voiceByStatement("id", "8f7b2c5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"));
  record("voiceBy voice_id", voiceByStatement("voice_id", "v_123"));
  record("voicesByVoiceIds", voicesByVoiceIdsStatement(["v_1", "v_2", "v_3"]));
  record("voicesByVoiceIds empty", voicesByVoiceIdsStatement([]));
}

/** What CatalogService sends and answers, with a database that records statements and answers by their shape. */
async function service(all: Array<{ label: string; filter: VoiceFilter }>) {
  const out: string[] = [];
  const voice = (index: number): VoiceRecord =>
    ({
      id: `00000000-0000-4000-8000-00000000000${index}`,
      voiceId: `v_${index}`,
      createdAt: new Date(Date.UTC(2025, 0, index + 1)),
      sortName: `name ${index}`,
      relevance: index % 3,
    }) as VoiceRecord;
  const make = (share: { matching: number; total: number }, count: number) => {
    const sent: Statement[] = [];
    const db = {
      query<Row extends Record<string, unknown>>(statement: { name?: string; text: string; values: unknown[] }) {
        sent.push({ name: statement.name ?? "", text: statement.text, values: statement.values });
        const text = statement.text;
        let rows: unknown[];
        if (text.includes("AS matching")) rows = [share];
        else if (text.startsWith("EXPLAIN")) rows = [{ "QUERY PLAN": [{ Plan: { "Plan Rows": 123456.4 } }] }];
        else if (text.includes("AS count FROM") && !text.includes("AS dimension")) rows = [{ count }];
        else if (text.includes("AS dimension"))
          rows = ["l", "d", "g", "a", "m", "t"].map((dimension, index) => ({ dimension, value: `x${index}`, count: index + 1 }));
        else rows = [0, 1, 2].map(voice);
        return Promise.resolve(rows as Row[]);
      },
    };
    return { service: new CatalogService(db, { exactCountLimit: 100, facetSampleLimit: 1000 }), sent };
  };
  const emit = (label: string, sent: Statement[], answer: unknown) => {
    for (const statement of sent) record(`service ${label}`, statement);
    out.push(JSON.stringify({ label, sent: sent.map((statement) => statement.name), answer }));
  };
  for (const { label, filter } of all.filter((_, index) => index % 7 === 0)) {
    const query = parseFilter(filter);
    const fingerprint = filterFingerprint(query);
    out.push(JSON.stringify({ label, fingerprint }));
    for (const sort of SORTS) {
      if (sort === "RELEVANCE" && !query.search) continue;
      for (const [shareIndex, share] of [
        { matching: 5, total: 1_000_000 },
        { matching: 900_000, total: 1_000_000 },
      ].entries()) {
        const { service: catalog, sent } = make(share, shareIndex ? 50 : 500);
        const page = await catalog.listVoices({ filter, sort, first: 2 });
        const cursors = page.voices.map((row) => page.cursorOf(row));
        const decoded = cursors.map((cursor) => decodeCursor(cursor, sort, fingerprint));
        const next = await catalog.listVoices({ filter, sort, first: 2, after: cursors[1] ?? null });
        const total = await next.total();
        emit(`${label} ${sort} share${shareIndex}`, sent.splice(0), {
          ids: page.voices.map((row) => row.id),
          more: page.hasNextPage,
          cursors,
          decoded,
          next: [next.voices.length, next.hasNextPage, next.hasPreviousPage],
          total,
        });
      }
    }
    const { service: catalog, sent } = make({ matching: 1, total: 1 }, 3);
    const facets = await catalog.voiceFacets(filter, 7);
    emit(`${label} facets`, sent.splice(0), facets);
  }
  const { service: catalog, sent } = make({ matching: 1, total: 1 }, 3);
  const byId = await catalog.getVoice({ id: "8f7b2c5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f" });
  const byVoiceId = await catalog.getVoice({ voiceId: "v_1" });
  const many = await catalog.getVoicesByVoiceIds(["v_1", "v_9", "v_2"]);
  emit("getVoice", sent.splice(0), { byId: byId?.id, byVoiceId: byVoiceId?.id, many: many.map((row) => row?.id ?? null) });
  out.push(
    JSON.stringify({
      legacyCursor: decodeCursor(
        Buffer.from(JSON.stringify({ c: "2025-01-01T00:00:00.000Z", i: "8f7b2c5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f" })).toString(
          "base64url",
        ),
        "NEWEST",
        "whatever",
      ),
      encoded: encodeCursor(voice(1), "RELEVANCE", "abc"),
      normalised: normaliseVoice({
        id: "8f7b2c5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f",
        voiceId: "v_1",
        name: "Layla",
        description: null,
        gender: " Female ",
        age: "",
        languages: ["AR", "ar", " en "],
        dialects: [],
        type: "cloned",
        sampleUrl: null,
        avatarUrl: null,
        stability: 0.5,
        model: "xtts_v2",
      }),
    }),
  );
  return out;
}

const all = filters();
builders(all);
const serviceLines = await service(all);
await mkdir(outDir, { recursive: true });
await writeFile(path.join(outDir, "statements.jsonl"), `${lines.join("\n")}\n`);
await writeFile(
  path.join(outDir, "texts.txt"),
  [...texts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, text]) => `== ${name}\n${text}\n`)
    .join(""),
);
await writeFile(path.join(outDir, "service.jsonl"), `${serviceLines.join("\n")}\n`);
process.stdout.write(`${lines.length} statements (${texts.size} distinct texts), ${serviceLines.length} service lines\n`);
