// `npm run keys -- <command>`: manages client API keys.
//   create --name <tool> [--scope read|write|admin]   prints the key once
//   revoke <id>
//   list
// With the embedded database, run it while the gateway is stopped (PGlite
// allows one process at a time); against PostgreSQL, any time: the gateway
// sees new and revoked keys on the next request.
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrator.js";
import { createLogger } from "../logger.js";
import { ApiKeyService, SCOPES, type Scope } from "../services/api-key-service.js";

const USAGE = `usage:
  npm run keys -- create --name <tool> [--scope read|write|admin]
  npm run keys -- revoke <id>
  npm run keys -- list`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: "string" }, scope: { type: "string", default: "read" } },
});
const [command, ...rest] = positionals;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

if (command !== "create" && command !== "revoke" && command !== "list") fail(`unknown command: ${command ?? "(none)"}`);
if (command === "create" && !values.name?.trim()) fail("create needs --name <tool>");
if (command === "create" && !SCOPES.includes(values.scope as Scope)) fail("--scope must be read, write or admin");
if (command === "revoke" && rest.length !== 1) fail("revoke needs the key's id");

const config = loadConfig();
const logger = createLogger({ logLevel: "warn" });
const db = await openDatabase(config, logger);
try {
  await migrate(db, logger);
  const keys = new ApiKeyService(db.prisma, { production: config.env === "production", allowAnonymous: config.auth.allowAnonymous });
  if (command === "create") {
    const created = await keys.create({ name: values.name!, scope: values.scope as Scope });
    process.stdout.write(
      `Created key ${created.id} for "${created.name}" (scope ${created.scope}).\n` +
        `Key (shown only now; store it in the tool's secrets):\n${created.key}\n`,
    );
  } else if (command === "revoke") {
    const revoked = await keys.revoke(rest[0]!);
    process.stdout.write(revoked ? `Revoked ${rest[0]}.\n` : `No active key with id ${rest[0]}.\n`);
    process.exitCode = revoked ? 0 : 1;
  } else {
    for (const key of await keys.list()) {
      process.stdout.write(
        `${key.id}  ${key.scope.toLowerCase().padEnd(5)}  ${key.prefix}…  ${key.name}  created ${key.createdAt.toISOString()}` +
          `  last used ${key.lastUsedAt?.toISOString() ?? "never"}${key.revokedAt ? `  REVOKED ${key.revokedAt.toISOString()}` : ""}\n`,
      );
    }
  }
} finally {
  await db.close();
}
