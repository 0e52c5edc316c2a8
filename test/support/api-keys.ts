// Client API keys made the way an operator makes them: with the keys CLI
// (`src/cli/keys.ts`) against the gateway's database; or, where a test makes
// many and the command itself is not its subject, with the service the
// command calls (`issueKey`), in-process.
import { expect } from "vitest";
import type { Scope } from "../../src/services/access/api-key-service.js";
import type { TestGateway } from "./gateway.js";
import type { TestDatabase } from "../../dev/test-database.js";
import { spawnTs } from "./process.js";
import { recordSecret } from "./suite-record.js";

export async function keysCli(db: TestDatabase, ...args: string[]): Promise<{ code: number | null; stdout: string }> {
  // `create` prints the new key: the one output where it belongs.
  const run = spawnTs("src/cli/keys.ts", { DATABASE_URL: db.url }, args, { printsSecret: args[0] === "create" });
  const exit = await run.waitForExit(30_000);
  return { code: exit.code, stdout: run.stdout() };
}

export async function createKey(
  db: TestDatabase,
  name: string,
  scope: "read" | "write" | "admin",
): Promise<{ id: string; key: string }> {
  const { code, stdout } = await keysCli(db, "create", "--name", name, "--scope", scope);
  expect(code).toBe(0);
  const key = /^(fvg_\S+)$/m.exec(stdout)?.[1];
  const id = /Created key (\S+)/.exec(stdout)?.[1];
  expect(key).toBeDefined();
  recordSecret(key!);
  return { id: id!, key: key! };
}

/** A key made by `ApiKeyService.create`, as `npm run keys -- create` makes it, without spawning the command. */
export async function issueKey(gateway: TestGateway, name: string, scope: Scope): Promise<{ id: string; key: string }> {
  const created = await gateway.container.apiKeys.create({ name, scope });
  recordSecret(created.key);
  return { id: created.id, key: created.key };
}

export const bearer = (key: string): { authorization: string } => ({ authorization: `Bearer ${key}` });
