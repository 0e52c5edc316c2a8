// The catalog-scale bench's command line and connection: how many voices,
// which databases, how many runs, and the PG* variables it connects with
// (trust auth); the gateway's settings the measurements must share.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "../../src/config.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "1000000" },
    db: { type: "string" },
    "anchors-db": { type: "string" },
    reseed: { type: "boolean", default: false },
    runs: { type: "string", default: "7" },
    out: { type: "string" },
    "prepare-only": { type: "boolean", default: false },
    // Only the scenarios of these groups (comma-separated, e.g. "facets"): a re-measure of one change.
    group: { type: "string" },
    // A facet sample bound other than the gateway's default, to choose one.
    "facet-sample": { type: "string" },
  },
});
export const N = Number(args.n);
if (!Number.isInteger(N) || N < 1000) throw new Error(`--n must be an integer >= 1000 (got ${args.n})`);
const suffix = N % 1_000_000 === 0 ? `${N / 1_000_000}m` : N % 1000 === 0 ? `${N / 1000}k` : String(N);
export const DB = args.db ?? `catalog_scale_${suffix}`;
export const ANCHORS_DB = args["anchors-db"] ?? `anchors_${suffix}`;
export const RUNS = Number(args.runs);
for (const name of [DB, ANCHORS_DB]) if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name: ${name}`);

const PGHOST = process.env.PGHOST ?? "127.0.0.1";
const PGPORT = process.env.PGPORT ?? "5432";
const PGUSER = process.env.PGUSER ?? "postgres";
export const urlOf = (database: string) => `postgres://${PGUSER}@${PGHOST}:${PGPORT}/${database}`;
export const PG_ENV = { ...process.env, PGHOST, PGPORT, PGUSER };

/**
 * The gateway's read-session settings, imported so that they cannot drift:
 * a copy here had missed JIT and parallel workers being turned off, so the
 * bench measured plans the gateway never runs.
 */
export { READ_SESSION_SETTINGS } from "../../src/db/database.js";
/** The gateway's defaults for CATALOG_EXACT_COUNT_LIMIT and CATALOG_FACET_SAMPLE_LIMIT (src/config.ts), or --facet-sample. */
export const { exactCountLimit: EXACT_COUNT_LIMIT, facetSampleLimit: DEFAULT_FACET_SAMPLE_LIMIT } = loadConfig({}).catalog;
export const FACET_SAMPLE_LIMIT = args["facet-sample"] ? Number(args["facet-sample"]) : DEFAULT_FACET_SAMPLE_LIMIT;
/** Voices with Arabic names added to the seeder's Latin-named ones. */
export const ARABIC_VOICES = 1000;

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const log = (line: string) => process.stdout.write(`${line}\n`);

export async function connect(database: string, options = ""): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: urlOf(database), options });
  await client.connect();
  return client;
}
