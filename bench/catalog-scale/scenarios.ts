// The catalog-scale bench's scenarios (step 2's what): each a call to the
// gateway's own CatalogService on a database that records the statements it
// sends, so what is measured is what the gateway sends. The filters are
// chosen by how many voices they match at the seeded spread.
import type pg from "pg";
import type { VoiceSort } from "../../src/services/catalog/catalog-query.js";
import { CatalogService } from "../../src/services/catalog/catalog-service.js";
import { cappedCountStatement } from "../../src/services/catalog/sql/counts.js";
import type { Statement } from "../../src/services/catalog/sql/statement.js";
import { parseFilter, type VoiceFilter } from "../../src/services/catalog/voice-filter.js";
import { EXACT_COUNT_LIMIT, FACET_SAMPLE_LIMIT, log } from "./settings.js";

/** The gateway's own reading code, on a database that records every statement it sends. */
export interface Recorder {
  service: CatalogService;
  statements: Statement[];
  reset: () => void;
}

export interface Scenario {
  group: string;
  name: string;
  /** ms, Planning + Execution (median); undefined: no target in the issue. */
  target?: number | undefined;
  /** The filter the matching rows are counted under. */
  filter: VoiceFilter;
  /** The gateway call; whatever it sends after `recorder.reset()` is what is measured. */
  call: (recorder: Recorder) => Promise<unknown>;
  /** Which of the recorded statements: the last (the page, the facets; default), the first, or each. */
  pick?: "last" | "first" | "all";
}

/** How many live voices match: the filter's own conditions, counted without a cap. */
export async function matchingRows(client: pg.Client, given: VoiceFilter): Promise<number> {
  const { rows } = await client.query<{ count: number }>(cappedCountStatement(parseFilter(given), 100_000_000));
  return rows[0]?.count ?? 0;
}

/** A fresh CatalogService (so its rarity cache is empty) on a database that records what it sends. */
export function recorder(client: pg.Client): Recorder {
  const statements: Statement[] = [];
  const db = {
    async query<Row extends Record<string, unknown>>(statement: {
      name?: string;
      text: string;
      values: unknown[];
    }): Promise<Row[]> {
      statements.push({ name: statement.name ?? "", text: statement.text, values: statement.values });
      return (await client.query<Row>(statement)).rows;
    },
  };
  return {
    service: new CatalogService(db, { exactCountLimit: EXACT_COUNT_LIMIT, facetSampleLimit: FACET_SAMPLE_LIMIT }),
    statements,
    reset: () => statements.splice(0),
  };
}

/** The cursor after the `row`th voice of a listing, got by paging through it as a client would. */
async function cursorAfter(service: CatalogService, filter: VoiceFilter, sort: VoiceSort, row: number): Promise<string> {
  let after: string | undefined;
  for (let left = row; left > 0;) {
    const first = Math.min(100, left);
    const page = await service.listVoices({ filter, sort, first, after: after ?? null });
    const last = page.voices[page.voices.length - 1];
    if (!last) break;
    after = page.cursorOf(last);
    left -= page.voices.length;
    if (!page.hasNextPage) break;
  }
  if (!after) throw new Error("no cursor");
  return after;
}

// The rare filter: each value alone is common (tr 30%, maghrebi 10%, male 50%, elderly 33%,
// a style tag 10%); together they are about 0.04%. With a model (25%) too, about 0.01%; with the
// model instead of the tag, 0.1% ("uncommon").
const uncommon: VoiceFilter = { language: "tr", dialect: "maghrebi", gender: "male", age: "elderly", model: "xtts_v2" };
const rare: VoiceFilter = { language: "tr", dialect: "maghrebi", gender: "male", age: "elderly", tags: ["deep"] };
const veryRare: VoiceFilter = { ...uncommon, tags: ["deep"] };
// Three tags: a style (10%), a use (11%) and a dialect named alone in the description (3%).
const rareTags: VoiceFilter = { tags: ["crisp", "ivr", "maghrebi"] };
const broad: VoiceFilter = { language: "ar" };
const medium: VoiceFilter = { language: "ar", gender: "female" };
const twoTags: VoiceFilter = { tags: ["warm", "news"] };
const broadTag: VoiceFilter = { language: "ar", tags: ["warm"] };

/** A page of 20 (after the `afterRow`th voice when given), as a client lists. */
const list = (
  group: string,
  name: string,
  filter: VoiceFilter,
  sort: VoiceSort,
  target?: number,
  afterRow?: number,
): Scenario => ({
  group,
  name,
  target,
  filter,
  call: async ({ service, reset }) => {
    const after = afterRow ? await cursorAfter(service, filter, sort, afterRow) : null;
    reset();
    return service.listVoices({ filter, sort, first: 20, after });
  },
});
const facets = (name: string, filter: VoiceFilter): Scenario => ({
  group: "facets",
  name,
  target: 150,
  filter,
  call: async ({ service, reset }) => {
    reset();
    return service.voiceFacets(filter, 10);
  },
});
const totalCount = (name: string, filter: VoiceFilter): Scenario => ({
  group: "totalCount",
  name,
  target: 100,
  filter,
  pick: "all",
  call: async ({ service, reset }) => {
    const page = await service.listVoices({ filter, first: 20 });
    reset();
    return page.total();
  },
});

/** How many live voices the rare filters match (printed, so a run shows whether they still are rare); the rare filter's count. */
async function logRareShares(client: pg.Client): Promise<number> {
  const total = await matchingRows(client, {});
  for (const [name, given] of [
    ["uncommon filter", uncommon],
    ["rare filter", rare],
    ["very rare filter", veryRare],
    ["rare tags", rareTags],
  ] as const) {
    const count = await matchingRows(client, given);
    const share = (100 * count) / total;
    log(
      `[scenarios] ${name}: ${count} of ${total} live voices (${share.toFixed(3)}%)${share > 0.05 ? " (not rare: > 0.05%)" : ""}`,
    );
  }
  return matchingRows(client, rare);
}

/** Every scenario, in the report's order. */
export async function scenarios(client: pg.Client): Promise<Scenario[]> {
  const rareCount = await logRareShares(client);
  // After the last full page; 0 (the first page) when there is none, as at small N, where the rare filter may match nothing.
  const rareLast = Math.max(0, Math.floor((rareCount - 1) / 20) * 20);
  return [...firstPages(), ...otherSortsAndDeepPages(rareLast), ...searches(), ...facetsAndTotals()];
}

function firstPages(): Scenario[] {
  return [
    list("first page", "no filter, NEWEST", {}, "NEWEST"),
    list("first page", "broad: language ar, NEWEST", broad, "NEWEST"),
    list("first page", "medium: ar + female, NEWEST", medium, "NEWEST"),
    list("first page", "one tag: warm, NEWEST", { tags: ["warm"] }, "NEWEST"),
    list("first page", "uncommon (0.1%): tr+maghrebi+male+elderly+xtts_v2, NEWEST", uncommon, "NEWEST"),
    list("first page", "rare: tr+maghrebi+male+elderly+tag deep, NEWEST", rare, "NEWEST", 10),
    list("first page", "very rare: rare + xtts_v2, NEWEST", veryRare, "NEWEST", 10),
    list("first page", "rare tags: crisp+ivr+maghrebi, NEWEST", rareTags, "NEWEST", 10),
    {
      group: "first page",
      name: "rarity check (combination share; cached 30 s per filter)",
      filter: rare,
      pick: "first",
      call: async ({ service, reset }) => {
        reset();
        return service.listVoices({ filter: rare, first: 20 });
      },
    },
  ];
}

function otherSortsAndDeepPages(rareLast: number): Scenario[] {
  return [
    list("rare, other sorts", "rare, OLDEST", rare, "OLDEST", 10),
    list("rare, other sorts", "rare, NAME_ASC", rare, "NAME_ASC", 10),
    list("rare, other sorts", "rare tags, NAME_ASC", rareTags, "NAME_ASC", 10),
    list("rare, other sorts", `rare, NEWEST, last page (after row ${rareLast})`, rare, "NEWEST", 10, rareLast),
    list("deep page", "no filter, NEWEST, page 50 (after row 980)", {}, "NEWEST", undefined, 980),
    list("deep page", "broad, NEWEST, page 50", broad, "NEWEST", undefined, 980),
    list("deep page", "medium, OLDEST, page 50", medium, "OLDEST", undefined, 980),
    list("deep page", "broad, NAME_ASC, page 50", broad, "NAME_ASC", undefined, 980),
  ];
}

function searches(): Scenario[] {
  return [
    ...(["Layla Warm 512", "layla", "Laila", "ليلى"] as const).flatMap((text) =>
      (["NEWEST", "RELEVANCE"] as const).map((sort) => list("search", `"${text}", ${sort}`, { search: text }, sort, 20)),
    ),
    list("search", `"لَيْلَى" (with tashkeel), NEWEST`, { search: "لَيْلَى" }, "NEWEST", 20),
    list("search", `"layla" + language ar + female, NEWEST`, { search: "layla", language: "ar", gender: "female" }, "NEWEST", 20),
    list("search", `"layla", RELEVANCE, page 2`, { search: "layla" }, "RELEVANCE", 20, 20),
  ];
}

function facetsAndTotals(): Scenario[] {
  return [
    facets("no filter", {}),
    facets("broad: language ar", broad),
    facets("broad + one tag: ar + warm", broadTag),
    facets("rare filter", rare),
    facets('search "layla"', { search: "layla" }),
    // A misspelling (matched by spelling alone) and a word in a tenth of the voices: a sample costs
    // most where each voice examined needs the spelling test.
    facets('search "Laila"', { search: "Laila" }),
    facets('search "warm"', { search: "warm" }),
    facets("two tags: warm + news", twoTags),
    totalCount("rollup: broad (language ar)", broad),
    totalCount("rollup: ar + one tag (warm)", broadTag),
    totalCount('search "layla"', { search: "layla" }),
    totalCount("two tags: warm + news", twoTags),
  ];
}
