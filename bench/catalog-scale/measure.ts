// Measuring the catalog-scale bench's scenarios (step 2's how): each
// recorded statement under EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON), one
// warm-up and --runs runs, then --runs times as the gateway sends it (named
// prepared statement) for the client's round trip; and, first, what the run
// is measured on (the machine, PostgreSQL's settings, indexes or sessions
// that are not the migrations').
import { spawnSync } from "node:child_process";
import os from "node:os";
import type pg from "pg";
import { readMigrations } from "../../src/db/migrator.js";
import type { Statement } from "../../src/services/catalog/sql/statement.js";
import { matchingRows, recorder, type Scenario } from "./scenarios.js";
import { DB, log, RUNS } from "./settings.js";

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "CTE Name"?: string;
  "Sort Method"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  "Lossy Heap Blocks"?: number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}
interface Explained {
  Plan: PlanNode;
  "Planning Time": number;
  "Execution Time": number;
  JIT?: { Timing?: { Total?: number } };
}

export interface Result {
  scenario: Scenario;
  statementName: string;
  matching: number;
  /** Other statements the call sent before the measured one (e.g. the rarity check). */
  before: string[];
  median: number;
  min: number;
  max: number;
  client: number;
  hit: number;
  read: number;
  summary: string;
  text: string;
  miss: boolean;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
export const thousands = (value: number) => value.toLocaleString("en-US");

function nodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodes)];
}

/** The plan in a line: the first nodes down the first child, then every scan with its rows and what it threw away. */
function summarise(explained: Explained): string {
  const head: string[] = [];
  for (let node: PlanNode | undefined = explained.Plan; node && head.length < 3; node = node.Plans?.[0]) {
    if (node["Relation Name"] || node["Index Name"]) break;
    head.push(node["Node Type"] === "Sort" && node["Sort Method"] ? `Sort (${node["Sort Method"]})` : node["Node Type"]);
  }
  const scans = new Map<string, number>();
  for (const node of nodes(explained.Plan)) {
    if (!node["Relation Name"] && !node["Index Name"]) continue;
    const loops = node["Actual Loops"] ?? 1;
    const notes = [`${thousands((node["Actual Rows"] ?? 0) * loops)} rows`];
    const filtered = (node["Rows Removed by Filter"] ?? 0) * loops;
    if (filtered) notes.push(`filter removed ${thousands(filtered)}`);
    if (node["Rows Removed by Index Recheck"]) notes.push(`recheck removed ${thousands(node["Rows Removed by Index Recheck"])}`);
    if (node["Lossy Heap Blocks"]) notes.push(`${node["Lossy Heap Blocks"]} lossy blocks`);
    const type = node["Node Type"].replace("Bitmap Index Scan", "Bitmap Index").replace("Bitmap Heap Scan", "Bitmap Heap");
    const label = `${type} ${node["Index Name"] ?? node["Relation Name"] ?? ""} (${notes.join(", ")})`;
    scans.set(label, (scans.get(label) ?? 0) + 1);
  }
  const scanText = [...scans].map(([label, count]) => (count > 1 ? `${count}× ${label}` : label)).join("; ");
  const jit = explained.JIT?.Timing?.Total;
  return `${head.join(" › ")}${head.length ? " › " : ""}${scanText}${jit ? `; JIT ${jit.toFixed(0)} ms` : ""}`;
}

async function explain(client: pg.Client, statement: Statement): Promise<Explained> {
  const { rows } = await client.query<{ "QUERY PLAN": Explained[] }>(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`,
    statement.values,
  );
  const plan = rows[0]?.["QUERY PLAN"][0];
  if (!plan) throw new Error(`no plan for ${statement.name}`);
  return plan;
}

async function explainText(client: pg.Client, statement: Statement): Promise<string> {
  const { rows } = await client.query<{ "QUERY PLAN": string }>(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) ${statement.text}`,
    statement.values,
  );
  return rows.map((row) => row["QUERY PLAN"]).join("\n");
}

/** An EXPLAIN statement (the count estimate) cannot be explained again: its client round trip. */
async function measureEstimate(client: pg.Client, scenario: Scenario, statement: Statement, matching: number): Promise<Result> {
  const trips: number[] = [];
  let estimate = 0;
  await client.query(statement);
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const { rows } = await client.query<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }>(statement);
    trips.push(performance.now() - started);
    estimate = rows[0]?.["QUERY PLAN"][0].Plan["Plan Rows"] ?? 0;
  }
  return {
    scenario: { ...scenario, target: undefined },
    statementName: statement.name,
    matching,
    before: [],
    median: Number.NaN,
    min: Number.NaN,
    max: Number.NaN,
    client: median(trips),
    hit: 0,
    read: 0,
    summary: `EXPLAIN only: the planner's estimate, ${thousands(estimate)} rows`,
    text: "(an EXPLAIN itself: not explained)",
    miss: false,
  };
}

async function measureStatement(
  client: pg.Client,
  scenario: Scenario,
  statement: Statement,
  matching: number,
  before: string[],
): Promise<Result> {
  if (/^\s*EXPLAIN\b/i.test(statement.text)) return measureEstimate(client, scenario, statement, matching);
  await explain(client, statement); // warm-up
  const plans: Explained[] = [];
  for (let run = 0; run < RUNS; run++) plans.push(await explain(client, statement));
  const totals = plans.map((plan) => plan["Planning Time"] + plan["Execution Time"]);
  // As the gateway sends it: a named prepared statement, a custom plan each time.
  await client.query(statement);
  const trips: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    await client.query(statement);
    trips.push(performance.now() - started);
  }
  const last = plans[plans.length - 1];
  if (!last) throw new Error("no runs");
  return {
    scenario,
    statementName: statement.name,
    matching,
    before,
    median: median(totals),
    min: Math.min(...totals),
    max: Math.max(...totals),
    client: median(trips),
    hit: last.Plan["Shared Hit Blocks"] ?? 0,
    read: last.Plan["Shared Read Blocks"] ?? 0,
    summary: summarise(last),
    text: await explainText(client, statement),
    miss: scenario.target !== undefined && median(totals) > scenario.target,
  };
}

export async function measure(client: pg.Client, scenario: Scenario): Promise<Result[]> {
  const recording = recorder(client);
  await scenario.call(recording);
  const sent = [...recording.statements];
  if (!sent.length) throw new Error(`${scenario.name}: the gateway sent nothing`);
  const pick = scenario.pick ?? "last";
  const measured = pick === "all" ? sent : [pick === "first" ? sent[0] : sent[sent.length - 1]];
  const matching = await matchingRows(client, scenario.filter);
  const results: Result[] = [];
  for (const statement of measured) {
    if (!statement) continue;
    const before = pick === "last" ? sent.slice(0, -1).map((other) => other.name) : [];
    const result = await measureStatement(client, scenario, statement, matching, before);
    results.push(result);
    log(
      `[run] ${scenario.group} / ${scenario.name} (${statement.name}): ${result.median.toFixed(2)} ms median, ${result.min.toFixed(2)} min, ` +
        `${result.max.toFixed(2)} max, client ${result.client.toFixed(2)} ms; ${result.matching} rows match; ${result.summary}` +
        (before.length ? `; sent first: ${before.join(", ")}` : ""),
    );
    if (result.miss) {
      log(
        `\n[MISS] ${scenario.group} / ${scenario.name}: ${result.median.toFixed(1)} ms > ${scenario.target ?? 0} ms\n${statement.text}\n${result.text}\n`,
      );
    }
  }
  return results;
}

export const loadAverage = () =>
  os
    .loadavg()
    .map((load) => load.toFixed(1))
    .join(" ");

/** The machine and PostgreSQL's settings, printed (with the code measured) and returned for the report. */
export async function describeMachine(client: pg.Client, code: string): Promise<string> {
  const { rows: settings } = await client.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM unnest(ARRAY['server_version', 'shared_buffers', 'work_mem',
         'effective_cache_size', 'random_page_cost', 'jit', 'max_parallel_workers_per_gather']) AS name`,
  );
  const cores = spawnSync("nproc", { encoding: "utf8" }).stdout.trim();
  const machine = `${cores} cores (load average ${loadAverage()} at the start), Node ${process.version}; PostgreSQL ${settings.map((row) => `${row.name}=${row.setting}`).join(", ")}`;
  log(`[scenarios] ${machine}; code ${code}`);
  return machine;
}

/** Warns when the database is not only the migrations' (another session may be trying an index here) or not only ours. */
export async function warnAboutOthers(client: pg.Client): Promise<void> {
  const expected = await migrationIndexes();
  const { rows: indexRows } = await client.query<{ name: string }>(
    "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'voices' ORDER BY 1",
  );
  const unexpected = indexRows.map((row) => row.name).filter((name) => !expected.includes(name));
  if (unexpected.length) log(`[scenarios] WARNING: indexes on voices not made by the migrations: ${unexpected.join(", ")}`);
  const { rows: others } = await client.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
  );
  if (others[0]?.n) log(`[scenarios] WARNING: ${others[0].n} other session(s) connected to ${DB}`);
}

/** The indexes the migrations leave on voices, read from their SQL (the check that nobody added one here). */
async function migrationIndexes(): Promise<string[]> {
  const names = new Set<string>(["voices_pkey"]);
  for (const migration of await readMigrations()) {
    for (const match of migration.sql.matchAll(
      /(CREATE(?: UNIQUE)? INDEX|DROP INDEX)\s+(?:IF (?:NOT )?EXISTS\s+)?"([^"]+)"(\s+ON\s+"voices")?/g,
    )) {
      if (match[1]?.startsWith("DROP")) names.delete(match[2] ?? "");
      else if (match[3]) names.add(match[2] ?? "");
    }
  }
  return [...names];
}
