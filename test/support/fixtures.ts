// The one place that sets up what gateway tests share, as vitest fixtures.
// A test file imports `test` (and `describe`, `expect`) from here, may set its
// gateway's options once with
// `test.override("gatewayOptions", { env: { UPSTREAM_MAX_CONCURRENCY: "2" } })`,
// and names the fixtures it uses: `test("clones", async ({ gateway, upstream }) => ...)`.
//
// `test.override` of a file-scoped fixture works at the module's top level
// only (vitest 4.1 replaces the file's registrations there); inside a
// `describe` it throws "cannot be defined with a file scope ... inside the
// describe block", because a file-scoped value cannot differ per suite. A
// file that needs a second, differently configured gateway starts it inside
// the test with the `startGateway` fixture, or extends this `test` with a
// file-scoped fixture of its own. `test.each` does not pass the test context: use
// `test.for(cases)(name, (item, { gateway }) => ...)` instead.
//
// `upstream` (the fake Faseeh) and `gateway` (the real app on a socket, its
// own fresh database) are file-scoped: started once per test file, stopped
// after it. Before every test of a file that uses this `test` (whether or not
// the test names them), the `freshState` auto fixture resets the fake's
// records, empties every table of the schema and the preview directory, so no
// test sees another's rows or files and no file keeps its own TRUNCATE list.
//
// The fixtures of base-fixtures.ts come with this `test` too: `testDatabase`,
// `fileDatabase`, `makeTempDir`, and `startGateway` for a gateway a test
// builds with a configuration of its own (stopped after the test).
// `productionGateway` and `embeddedGateway` are second file-wide gateways
// (started the first time a test names them), sharing the fake Faseeh and
// left alone by `freshState`: one in production mode (open to anonymous
// callers), one on the embedded PGlite database.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type FakeFaseeh, startFakeFaseeh } from "../../dev/fake-faseeh.js";
import type { Database } from "../../src/db/database.js";
import { test as base } from "./base-fixtures.js";
import { startTestGateway, type TestGateway, type TestGatewayOptions } from "./gateway.js";
import { type MigratedDatabase, openMigratedDatabase } from "./migrated-database.js";

export { describe, expect, vi } from "vitest";

/** How a file's gateway is started: `startTestGateway`'s options, with the upstream opt-out. */
export interface GatewayFixtureOptions extends Omit<TestGatewayOptions, "upstream"> {
  /** false: the gateway runs without a Faseeh key or URL (UPSTREAM_NOT_CONFIGURED). Default true. */
  withUpstream?: boolean;
}

export const test = base
  .extend("gatewayOptions", { scope: "file" }, {} as GatewayFixtureOptions)
  // Vitest reads a fixture's dependencies from its first parameter, which must be a destructuring pattern.
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("upstream", { scope: "file" }, async ({}, { onCleanup }): Promise<FakeFaseeh> => {
    const upstream = await startFakeFaseeh();
    onCleanup(() => upstream.close());
    return upstream;
  })
  // The gateway's own spool directory, so a test can check that nothing is left in it.
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("uploadDir", { scope: "file" }, async ({}, { onCleanup }): Promise<string> => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "gw-uploads-"));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    return dir;
  })
  .extend("gateway", { scope: "file" }, async ({ gatewayOptions, upstream, uploadDir }, { onCleanup }): Promise<TestGateway> => {
    const { withUpstream = true, env, ...options } = gatewayOptions;
    const gateway = await startTestGateway({
      ...options,
      env: { UPLOAD_DIR: uploadDir, ...env },
      ...(withUpstream && { upstream }),
    });
    onCleanup(() => gateway.stop());
    return gateway;
  })
  .extend("freshState", { auto: true }, async ({ gateway, upstream }): Promise<void> => {
    upstream.reset();
    gateway.container.models.clear(); // what it kept came from the fake just reset
    await emptyAllTables(gateway);
    gateway.container.apiKeys.forgetAll(); // what it knew of keys (and whether the gateway was closed) is gone with them
    // Previews are rows and files: the files go with their rows.
    const previews = gateway.container.config.previews.dir;
    for (const name of await readdir(previews).catch(() => []))
      await rm(path.join(previews, name), { recursive: true, force: true });
  })
  .extend("productionGateway", { scope: "file" }, async ({ upstream }, { onCleanup }): Promise<TestGateway> => {
    const production = await startTestGateway({ upstream, env: { NODE_ENV: "production", ALLOW_ANONYMOUS: "true" } });
    onCleanup(() => production.stop());
    return production;
  })
  .extend("embeddedGateway", { scope: "file" }, async ({ upstream, uploadDir }, { onCleanup }): Promise<TestGateway> => {
    const embedded = await startTestGateway({ database: "embedded", upstream, env: { UPLOAD_DIR: uploadDir } });
    onCleanup(() => embedded.stop());
    return embedded;
  });

/**
 * Every table the migrations created, except the migration ledger, read from
 * the database itself: a table added by a later migration is emptied too.
 */
export async function emptyAllTables(gateway: TestGateway): Promise<void> {
  await emptyTablesOf(gateway.container.db);
}

async function emptyTablesOf({ prisma }: Database): Promise<void> {
  const tables = await prisma.$queryRawUnsafe<Array<{ name: string }>>(
    `SELECT quote_ident(tablename) AS name FROM pg_tables
      WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`,
  );
  if (tables.length === 0) return;
  await prisma.$executeRawUnsafe(`TRUNCATE ${tables.map((table) => table.name).join(", ")} RESTART IDENTITY CASCADE`);
}

/**
 * For files with no gateway of their own that need a fake Faseeh or a
 * migrated database (the real process, restarts, a service on Prisma):
 * base-fixtures.ts's `test` with `upstream` (the test's own here: nothing to
 * reset) and `migratedDatabase` (the file's, emptied before each test that
 * names it), and no `freshState`.
 */
export const testWithoutGateway = base
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("upstream", async ({}, { onCleanup }): Promise<FakeFaseeh> => {
    const upstream = await startFakeFaseeh();
    onCleanup(() => upstream.close());
    return upstream;
  })
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("databaseOfFile", { scope: "file" }, async ({}, { onCleanup }): Promise<MigratedDatabase> => {
    const database = await openMigratedDatabase();
    onCleanup(() => database.close());
    return database;
  })
  .extend("migratedDatabase", async ({ databaseOfFile }): Promise<MigratedDatabase> => {
    await emptyTablesOf(databaseOfFile.db);
    return databaseOfFile;
  });
