// Runs `prisma generate` offline.
// Prisma 7's CLI insists on locating its schema engine binary, which it would
// download from the internet; `generate` never executes it, so pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file lets it run without network.
// A binary the user configured on purpose is left alone.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
const result = spawnSync(process.execPath, [fileURLToPath(import.meta.resolve("prisma/build/index.js")), "generate"], {
  cwd: root,
  env,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
