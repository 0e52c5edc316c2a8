// The catalog-scale bench's report (step 3): a markdown table of every
// measured statement, then every plan as text, printed and written to
// bench/results/catalog-scale-<date>.md (or --out).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Result, thousands } from "./measure.js";
import type { Steps } from "./seed.js";
import { ARABIC_VOICES, args, DB, log, N, ROOT, RUNS, seconds } from "./settings.js";

/** What a run measured, and on what. */
export interface Run {
  started: Date;
  code: string;
  machine: string;
  steps: Steps;
  results: Result[];
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const ms = (value: number) => (Number.isNaN(value) ? "—" : value.toFixed(2));

function table(results: Result[]): string {
  const lines = [
    "| group | scenario | statement | matching rows | median ms | max ms | client ms | target | buffers hit / read | plan |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const result of results) {
    const target = result.scenario.target === undefined ? "—" : `≤ ${result.scenario.target}${result.miss ? " **MISS**" : ""}`;
    const before = result.before.length ? ` (after ${result.before.join(", ")})` : "";
    lines.push(
      `| ${result.scenario.group} | ${cell(result.scenario.name)} | ${result.statementName}${before} | ${thousands(result.matching)} | ${ms(result.median)} | ` +
        `${ms(result.max)} | ${ms(result.client)} | ${target} | ${result.hit} / ${result.read} | ${cell(result.summary)} |`,
    );
  }
  return lines.join("\n");
}

/** Prints the table and writes the report. */
export async function writeReport({ started, code, machine, steps, results }: Run): Promise<void> {
  const date = started.toISOString().slice(0, 10);
  const markdown = table(results);
  const misses = results.filter((result) => result.miss);
  const report = [
    `# Catalog SQL at ${thousands(N)} voices (${date})`,
    "",
    "```sh",
    `node --import tsx bench/catalog-scale.ts --n ${N}${args.db ? ` --db ${DB}` : ""} --runs ${RUNS}${args.group ? ` --group ${args.group}` : ""}`,
    "```",
    "",
    `Code: ${code}. Database ${DB}: ${thousands(N)} seeded voices + ${ARABIC_VOICES} with Arabic names, 1% archived. ${machine}.`,
    `Times are EXPLAIN (ANALYZE, BUFFERS) Planning + Execution, median and max of ${RUNS} runs after one warm-up; ` +
      `"client ms" is the median round trip of the same statement sent as the gateway sends it (named, custom plan). ` +
      `Buffers: the last run's, shared hit / read. Statements are recorded from CatalogService itself (listVoices, voiceFacets, total).`,
    steps.length
      ? `Preparing: ${steps.map(([label, elapsed]) => `${label} ${seconds(elapsed)}`).join("; ")}.`
      : "Preparing: skipped (database already prepared).",
    "",
    markdown,
    "",
    misses.length
      ? `Misses: ${misses.map((result) => `${result.scenario.group} / ${result.scenario.name}`).join("; ")}.`
      : "Every scenario with a target met it.",
    "",
    "## Plans (the last EXPLAIN ANALYZE of each statement)",
    "",
    ...results.flatMap((result) => [
      `### ${result.scenario.group} / ${result.scenario.name} (${result.statementName})`,
      "",
      "```",
      result.text,
      "```",
      "",
    ]),
  ].join("\n");
  log(`\n${markdown}\n`);
  const out = args.out ?? path.join(ROOT, "bench/results", `catalog-scale-${date}.md`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, report);
  log(`[report] written to ${out}`);
}
