// `npm run keys -- <command>`: manages client API keys.
//   create --name <tool> [--scope read|write|admin]   prints the key once
//   revoke <id or prefix> [--force]   --force: even the last active admin key
//   list
// Against PostgreSQL, any time: the gateway sees new and revoked keys on the
// next request. With the embedded database only while the gateway is stopped
// (it owns the database while it runs, and this command says so); on a
// running gateway use the GraphQL mutations createApiKey / revokeApiKey.
import { parseArgs } from "node:util";
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrator.js";
import { createLogger } from "../logger.js";
import { ApiKeyService, type ApiKeyView, SCOPES } from "../services/access/api-key-service.js";
import { runCli } from "./run-cli.js";

const USAGE = `usage:
  npm run keys -- create --name <tool> [--scope read|write|admin]
  npm run keys -- revoke <id or prefix, as list shows it> [--force]
  npm run keys -- list`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { name: { type: "string" }, scope: { type: "string", default: "read" }, force: { type: "boolean", default: false } },
  });
} catch (error) {
  fail((error as Error).message);
}
const { positionals, values } = parsed;
const [command, ...rest] = positionals;

if (command !== "create" && command !== "revoke" && command !== "list") fail(`unknown command: ${command ?? "(none)"}`);
const name = values.name?.trim() ?? "";
if (command === "create" && !name) fail("create needs --name <tool>");
const scope = SCOPES.find((known) => known === values.scope);
if (command === "create" && !scope) fail("--scope must be read, write or admin");
const [reference] = rest;
if (command === "revoke" && (rest.length !== 1 || !reference)) fail("revoke needs the key's id or prefix");

const NO_ADMIN_LEFT =
  "No active admin key: nobody can manage keys over GraphQL, and the gateway stays closed (revoking keys never reopens it). " +
  "Create one with `npm run keys -- create --name <tool> --scope admin`.";

const describe = (key: ApiKeyView) =>
  `${key.id}  ${key.scope.padEnd(5)}  ${key.prefix}…  ${key.name}  created ${key.createdAt.toISOString()}` +
  `  last used ${key.lastUsedAt?.toISOString() ?? "never"}${key.revokedAt ? `  REVOKED ${key.revokedAt.toISOString()}` : ""}`;

await runCli(async (config) => {
  const db = await openDatabase(config, createLogger({ logLevel: "warn" }), { role: "npm run keys" });
  try {
    await migrate(db, createLogger({ logLevel: "warn" }));
    const keys = new ApiKeyService(db.prisma, {
      production: config.env === "production",
      allowAnonymous: config.auth.allowAnonymous,
    });
    if (command === "create") return await createKey(keys);
    if (command === "revoke") return await revokeKey(keys);
    return await listKeys(keys);
  } finally {
    await db.close();
  }
});

async function createKey(keys: ApiKeyService): Promise<number> {
  const created = await keys.create({ name, scope: scope ?? "read" });
  process.stdout.write(
    `Created key ${created.id} for "${created.name}" (scope ${created.scope}).\n` +
      `Key (shown only now; store it in the tool's secrets):\n${created.key}\n`,
  );
  return 0;
}

async function revokeKey(keys: ApiKeyService): Promise<number> {
  const result = await keys.revoke(reference ?? "", { allowLastAdmin: values.force });
  switch (result.kind) {
    case "revoked":
      process.stdout.write(
        `Revoked ${result.key.id} (${result.key.name}, ${result.key.prefix}…). It is refused from the next request on.\n`,
      );
      if (!(await keys.hasActiveKeys({ scope: "admin" }))) process.stdout.write(`${NO_ADMIN_LEFT}\n`);
      return 0;
    case "last-admin":
      process.stderr.write(
        `${result.key.id} (${result.key.name}) is the last active admin key: without it nobody can manage keys over GraphQL. ` +
          "Create another admin key first, or add --force to revoke it anyway.\n",
      );
      return 1;
    case "already-revoked":
      process.stdout.write(
        `Key ${result.key.id} (${result.key.name}) was already revoked on ${result.key.revokedAt?.toISOString() ?? "?"}.\n`,
      );
      return 0;
    case "ambiguous":
      process.stderr.write(
        `Several keys start with ${reference}; give the id of the one to revoke:\n${result.keys.map(describe).join("\n")}\n`,
      );
      return 1;
    case "none":
      process.stderr.write(`No key matches ${reference}. \`npm run keys -- list\` shows every key's id and prefix.\n`);
      return 1;
    case "not-a-reference":
      process.stderr.write(`${reference} is neither a key id (a UUID) nor a key prefix (fvg_…, as list shows it).\n`);
      return 1;
  }
}

async function listKeys(keys: ApiKeyService): Promise<number> {
  const all = await keys.list();
  for (const key of all) process.stdout.write(`${describe(key)}\n`);
  if (all.length === 0) {
    process.stdout.write(
      "No keys: the gateway is open to anyone until its first key exists. " +
        "Create one with `npm run keys -- create --name <tool> --scope admin`.\n",
    );
  } else if (!all.some((key) => !key.revokedAt && key.scope === "admin")) {
    process.stdout.write(`${NO_ADMIN_LEFT}\n`);
  }
  return 0;
}
