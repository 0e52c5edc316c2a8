// The catalog-scale bench's command line and connection: how many voices,
// which databases, how many runs, and the PG* variables it connects with
// (trust auth); the gateway's settings the measurements must share.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";

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

/** The gateway's read-session settings (src/db/database.ts READ_SESSION_SETTINGS). */
export const READ_SESSION_SETTINGS = [
  ["pg_trgm.word_similarity_threshold", "0.3"],
  ["plan_cache_mode", "force_custom_plan"],
] as const;
/** CATALOG_EXACT_COUNT_LIMIT's default (src/config.ts). */
export const EXACT_COUNT_LIMIT = 10_000;
/** Voices with Arabic names added to the seeder's Latin-named ones. */
export const ARABIC_VOICES = 1000;

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const log = (line: string) => process.stdout.write(`${line}\n`);

export async function connect(database: string, options = ""): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: urlOf(database), options });
  await client.connect();
  return client;
}
