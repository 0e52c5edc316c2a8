#!/usr/bin/env node
// Removes from a production install what the gateway can never load, run by
// the Dockerfile's runtime stage right after `npm ci` (and by
// test/deploy/production-build.test.ts on its own install, the same way).
//
// @prisma/client ships a query compiler for every database Prisma supports,
// each three or four times over (fast and small builds, ESM and CommonJS, the
// WebAssembly inlined as base64): about 70 MB, half the image's node_modules.
// The generated client (src/generated/prisma/internal/class.ts) imports the
// PostgreSQL one only, because prisma/schema.prisma's datasource is
// PostgreSQL, so the MySQL, SQLite, SQL Server and CockroachDB builds go.
//
// OpenTelemetry's packages (traces, src/observability/tracing.ts) ship source
// maps and type declarations beside their JavaScript, about 12 MiB that no
// process reads: they go too.
//
//   node scripts/prune-production-deps.mjs [project dir, default .]
import { readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";

const KEPT_DATABASE = "postgresql";
const OTHER_DATABASES = ["mysql", "sqlite", "sqlserver", "cockroachdb"];

const root = path.resolve(process.argv[2] ?? ".");
const runtime = path.join(root, "node_modules", "@prisma", "client", "runtime");
let files = 0;
let bytes = 0;
for (const name of readdirSync(runtime)) {
  const database = /^query_compiler_\w+?_bg\.(\w+)\./.exec(name)?.[1];
  if (!database || database === KEPT_DATABASE) continue;
  if (!OTHER_DATABASES.includes(database)) throw new Error(`unknown query compiler ${name}: update this script`);
  const file = path.join(runtime, name);
  bytes += statSync(file).size;
  rmSync(file);
  files += 1;
}
if (files === 0) throw new Error(`no query compiler to prune in ${runtime}: did @prisma/client change its layout?`);
console.log(`pruned ${files} unused Prisma query compiler files (${(bytes / 1024 / 1024).toFixed(1)} MiB)`);

const openTelemetry = path.join(root, "node_modules", "@opentelemetry");
const UNREAD_AT_RUN_TIME = /\.(?:map|d\.ts|d\.mts|d\.cts)$/;
let unread = 0;
let unreadBytes = 0;
for (const entry of readdirSync(openTelemetry, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !UNREAD_AT_RUN_TIME.test(entry.name)) continue;
  const file = path.join(entry.parentPath, entry.name);
  unreadBytes += statSync(file).size;
  rmSync(file);
  unread += 1;
}
if (unread === 0)
  throw new Error(`no source map or declaration to prune in ${openTelemetry}: did its packages change their layout?`);
console.log(`pruned ${unread} OpenTelemetry source maps and type declarations (${(unreadBytes / 1024 / 1024).toFixed(1)} MiB)`);
