// `npm run build`: compiles src/ to dist/ for production (`node dist/main.js`,
// `node dist/cli/<name>.js`), with tsc and tsconfig.build.json.
// `--out-dir <dir>` writes there instead of dist/ (the production build test
// builds into a temporary directory and leaves the checkout's dist/ alone).
//   1. dist/ is removed first, so a file deleted from src cannot linger there.
//   2. tsc emits the JavaScript, the generated Prisma client included (it must
//      exist: `npm install` generates it, or `node scripts/prisma-generate.mjs`).
//   3. No emitted module may import a relative `.ts` file (see below).
//   4. Files the server reads at runtime next to its modules are copied as is:
//      the SDL (src/schema/*.graphql, read by src/schema/index.ts).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = path.join(root, "src");
const { values } = parseArgs({ options: { "out-dir": { type: "string" } } });
const dist = path.resolve(values["out-dir"] ?? path.join(root, "dist"));

if (!existsSync(path.join(src, "generated", "prisma", "client.ts"))) {
  console.error("src/generated/prisma is missing: run `node scripts/prisma-generate.mjs` (npm install does it) first.");
  process.exit(1);
}

rmSync(dist, { recursive: true, force: true });

const tsc = fileURLToPath(import.meta.resolve("typescript/bin/tsc"));
const result = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json"), "--outDir", dist], {
  cwd: root,
  stdio: "inherit",
});
if (result.status !== 0) process.exit(result.status ?? 1);

// The generated Prisma client is @ts-nocheck, so tsc would not object to a
// relative import of a `.ts` file there (what `prisma generate` writes when it
// runs without this tsconfig.json): node could not load it. Fail here instead.
const tsImport = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']*\.ts)["']/;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".js")) continue;
  const file = path.join(entry.parentPath, entry.name);
  const match = tsImport.exec(readFileSync(file, "utf8"));
  if (match) {
    console.error(
      `${file} imports "${match[1]}": regenerate the Prisma client with tsconfig.json present ` +
        "(node scripts/prisma-generate.mjs) so its imports end in .js.",
    );
    process.exit(1);
  }
}

let copied = 0;
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".graphql")) continue;
  const from = path.join(entry.parentPath, entry.name);
  cpSync(from, path.join(dist, path.relative(src, from)));
  copied += 1;
}
const shown = path.relative(process.cwd(), dist);
console.log(`Built ${shown.startsWith("..") ? dist : shown}/ (tsc + ${copied} SDL files).`);
