// The catalog's read SQL at scale (issue 12, "Scale"), run by hand:
//   node --import tsx bench/catalog-scale.ts [--n 1000000] [--db catalog_scale_1m] [--reseed] [--runs 7] [--group facets,...]
//
// 1. Prepares a PostgreSQL database (skipped when it already holds this
//    bench's N voices, unless --reseed): creates it, applies the project's
//    migrations with the project's own migrator, loads N voices from the
//    shared seeder's database (../shared/bench/catalog/seed.mjs, DB
//    anchors_1m at 1M) with COPY, gives them 1-3 tags derived from their
//    descriptions, adds 1,000 voices with Arabic names (tashkeel variants
//    included) for Arabic search, archives 1%, VACUUM (ANALYZE), and checks
//    the facet rollups the statement triggers kept against the voices.
// 2. Runs each scenario's statement, built by the gateway's own builders
//    (src/services/catalog/sql/, voice-filter.ts's parseFilter), under
//    EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON): one warm-up and --runs runs;
//    then the same statement --runs times as the gateway sends it (named
//    prepared statement) for the client's round trip. The connection has the
//    gateway's read-session settings (src/db/database.ts).
// 3. Prints a markdown table and writes it, with every plan as text, to
//    bench/results/catalog-scale-<date>.md.
// Here: the run in order. Under catalog-scale/: the command line
// (settings.ts), step 1 (seed.ts), step 2's scenarios and measuring
// (scenarios.ts, measure.ts) and step 3 (report.ts).
//
// Connection: $PGHOST (127.0.0.1) $PGPORT (5432) $PGUSER (postgres); trust auth.
import { spawnSync } from "node:child_process";
import { describeMachine, loadAverage, measure, type Result, warnAboutOthers } from "./catalog-scale/measure.js";
import { writeReport } from "./catalog-scale/report.js";
import { scenarios } from "./catalog-scale/scenarios.js";
import { prepare } from "./catalog-scale/seed.js";
import { args, connect, DB, READ_SESSION_SETTINGS, ROOT } from "./catalog-scale/settings.js";

function git(...gitArgs: string[]): string {
  return spawnSync("git", gitArgs, { cwd: ROOT, encoding: "utf8" }).stdout.trim();
}

async function main() {
  const started = new Date();
  // The code measured is what was imported, at start: others commit meanwhile.
  const code = `${git("rev-parse", "--short", "HEAD")}${git("status", "--porcelain", "--", "src/services", "src/db", "prisma") ? " + uncommitted changes under src/ or prisma/" : ""}`;
  const steps = await prepare();
  if (args["prepare-only"]) return;
  const options = `-c statement_timeout=120000 ${READ_SESSION_SETTINGS.map(([name, value]) => `-c ${name}=${value}`).join(" ")}`;
  const client = await connect(DB, options);
  const results: Result[] = [];
  let machine: string;
  try {
    machine = await describeMachine(client, code);
    await warnAboutOthers(client);
    const groups = args.group?.split(",").map((group) => group.trim());
    for (const scenario of await scenarios(client)) {
      if (!groups || groups.includes(scenario.group)) results.push(...(await measure(client, scenario)));
    }
  } finally {
    await client.end();
  }
  machine += `; load average ${loadAverage()} at the end`;
  await writeReport({ started, code, machine, steps, results });
}

await main();
