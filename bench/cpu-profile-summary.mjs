// Summarises a V8 .cpuprofile (node --cpu-prof): self time by package (or
// node internals / project source) and the hottest functions, as shares of
// the sampled time with idle excluded.
//   node bench/cpu-profile-summary.mjs <file.cpuprofile> [--top 30]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "30" } } });
const profile = JSON.parse(readFileSync(positionals[0], "utf8"));
const top = Number(values.top);

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map();
for (let index = 0; index < profile.samples.length; index++) {
  const id = profile.samples[index];
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
}

/** Where a function comes from: an npm package, the project's own source, node internals, or V8. */
function origin(url) {
  if (!url) return "(v8/native)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const parts = url.slice(modules + "node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  const src = url.indexOf("/src/");
  if (src >= 0)
    return (
      "project " +
      url
        .slice(src + 1)
        .split("/")
        .slice(0, 2)
        .join("/")
    );
  return url;
}

const packages = new Map();
const functions = new Map();
let total = 0;
for (const [id, micros] of selfMicros) {
  const node = byId.get(id);
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === "(idle)" || functionName === "(program)") continue;
  total += micros;
  const key = functionName === "(garbage collector)" ? "(garbage collector)" : origin(url);
  packages.set(key, (packages.get(key) ?? 0) + micros);
  const fn = `${functionName || "(anonymous)"} ${origin(url)}:${lineNumber + 1}`;
  functions.set(fn, (functions.get(fn) ?? 0) + micros);
}
const share = (micros) => `${((100 * micros) / total).toFixed(1).padStart(5)}%`;
const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
console.log(`busy ${(total / 1e6).toFixed(2)} s sampled (idle and (program) excluded)\n\nself time by origin:`);
for (const [key, micros] of sorted(packages).slice(0, top)) console.log(`${share(micros)}  ${key}`);
console.log("\nhottest functions (self):");
for (const [key, micros] of sorted(functions).slice(0, top)) console.log(`${share(micros)}  ${key}`);
