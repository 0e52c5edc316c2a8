// What an operator sees when the gateway or a command cannot start for a
// reason outside the code: one sentence on stderr naming the fix, exit status
// 1, no stack trace, never DATABASE_URL's password. Real processes (the
// gateway as `npm start` runs it, `npm start` itself, the CLIs), real
// PostgreSQL, a real port held by another server. PostgreSQL here trusts
// every local login and is never starting up, so those two answers come from
// a stand-in that speaks the protocol's first exchange.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, afterEach } from "vitest";
import { loadConfig } from "../src/config.js";
import { PrismaClient } from "../src/generated/prisma/client.js";
import { describeStartupFailure } from "../src/startup-failure.js";
import { describe, expect, test as it } from "./support/base-fixtures.js";
import { adminUrl, type TestDatabase } from "../dev/test-database.js";
import { type ExitStatus, PROJECT_ROOT } from "../dev/spawn-ts.js";
import { killAllSpawned, spawnTs } from "./support/process.js";
import { recordOutput, recordSecret } from "./support/suite-record.js";
import { freePort } from "../dev/free-port.js";

/** Compiling TypeScript (tsx) and connecting, on a loaded machine. */
const EXIT_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 90_000;

/** In every DATABASE_URL below: trust authentication ignores it, so it must merely never be printed. */
const PASSWORD = `pw-${randomBytes(6).toString("hex")}`;
recordSecret(PASSWORD);

interface Entry {
  name: string;
  script: string;
  args: string[];
}
const GATEWAY: Entry = { name: "the gateway (src/main.ts, as npm start runs it)", script: "src/main.ts", args: [] };
const KEYS: Entry = { name: "npm run keys -- list", script: "src/cli/keys.ts", args: ["list"] };
const MIGRATE: Entry = { name: "npm run migrate", script: "src/cli/migrate.ts", args: [] };
const RECONCILE: Entry = { name: "npm run reconcile", script: "src/cli/reconcile.ts", args: [] };

/** The test server's DATABASE_URL for `database` (or `host:port` instead of its own), with PASSWORD. */
function databaseUrl(database: string, where?: { host: string; port: number }): string {
  const url = new URL(adminUrl());
  url.password = PASSWORD;
  if (where) {
    url.hostname = where.host;
    url.port = String(where.port);
  }
  url.pathname = `/${database}`;
  return url.toString();
}

/** Where the test server is, as the sentences name it. */
const SERVER = (() => {
  const url = new URL(adminUrl());
  return { host: url.hostname, at: `${url.hostname}:${url.port || "5432"}`, user: decodeURIComponent(url.username) };
})();

/** 127.0.0.1:`port`. */
const local = (port: number) => ({ host: "127.0.0.1", port });

interface Outcome {
  status: ExitStatus;
  stdout: string;
  stderr: string;
  /** JSON log lines on stdout. */
  logs: Record<string, unknown>[];
}

async function run(entry: Entry, env: Record<string, string>): Promise<Outcome> {
  const proc = spawnTs(entry.script, env, entry.args);
  const status = await proc.waitForExit(EXIT_TIMEOUT_MS);
  return { status, stdout: proc.stdout(), stderr: proc.stderr(), logs: proc.logs };
}

/** `npm <args>` in the project root with only `env` (plus PATH/HOME), until it exits. */
function runNpm(args: string[], env: Record<string, string>): Promise<Outcome> {
  const child = spawn(process.platform === "win32" ? "npm.cmd" : "npm", args, {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      recordOutput(`npm ${args.join(" ")} stdout`, stdout);
      recordOutput(`npm ${args.join(" ")} stderr`, stderr);
      const logs = stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ status: { code, signal }, stdout, stderr, logs });
    });
  });
}

/**
 * What stderr said, once it is checked to be the whole story: exit 1, one
 * line holding one sentence (ending in a full stop), no stack trace or error
 * log line anywhere, no password.
 */
function sentenceOf(outcome: Outcome): string {
  const context = `stdout:\n${outcome.stdout}\nstderr:\n${outcome.stderr}`;
  expect(outcome.status, context).toEqual({ code: 1, signal: null });
  expect(outcome.stderr, context).toMatch(/^[^\n]+\.\n$/);
  for (const text of [outcome.stderr, outcome.stdout]) {
    expect(text).not.toMatch(/^\s+at /m);
    expect(text).not.toContain(PASSWORD);
  }
  // No error-level JSON line (the stack of "gateway failed to start") either.
  expect(outcome.logs.filter((line) => typeof line.level === "number" && line.level >= 50)).toEqual([]);
  return outcome.stderr.trim();
}

/** The parts of `sentence` that are missing from it (none, in a passing test). */
const missingFrom = (sentence: string, parts: string[]) => parts.filter((part) => !sentence.includes(part));

/** Answers every connection's startup message with one FATAL ErrorResponse, as PostgreSQL does. */
async function startPostgresAnswering(code: string, message: string): Promise<{ port: number; close(): Promise<void> }> {
  const fields = [`SFATAL`, `VFATAL`, `C${code}`, `M${message}`].map((field) => Buffer.from(`${field}\0`));
  const body = Buffer.concat([...fields, Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write("E", 0);
  header.writeInt32BE(body.length + 4, 1);
  const answer = Buffer.concat([header, body]);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("data", () => socket.end(answer));
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

afterEach(async () => {
  await killAllSpawned();
});

describe("the database named in DATABASE_URL does not exist", () => {
  const missing = `gw_missing_${randomBytes(4).toString("hex")}`;

  it.each([GATEWAY, KEYS, MIGRATE, RECONCILE])(
    "$name says to create it with createdb",
    async (entry) => {
      const outcome = await run(entry, { DATABASE_URL: databaseUrl(missing) });
      expect(
        missingFrom(sentenceOf(outcome), [
          `"${missing}"`,
          SERVER.at,
          `createdb -h ${SERVER.host}`,
          ` ${missing}\``,
          "DATABASE_URL",
        ]),
      ).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("nothing listens on the PostgreSQL port", () => {
  it.each([GATEWAY, KEYS])(
    "$name names the host and port tried and says to start PostgreSQL",
    async (entry) => {
      const port = await freePort();
      const outcome = await run(entry, { DATABASE_URL: databaseUrl("voices", local(port)) });
      expect(missingFrom(sentenceOf(outcome), [`127.0.0.1:${port}`, "start PostgreSQL", "DATABASE_URL"])).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "npm run keys (through npm) prints the same sentence",
    async () => {
      const port = await freePort();
      const outcome = await runNpm(["run", "--silent", "keys", "--", "list"], {
        DATABASE_URL: databaseUrl("voices", local(port)),
      });
      expect(missingFrom(sentenceOf(outcome), [`127.0.0.1:${port}`, "start PostgreSQL"])).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("PostgreSQL refuses the login or is starting up", () => {
  const servers: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  it.each([GATEWAY, KEYS])(
    "$name says the password was refused, naming the user, not the password",
    async (entry) => {
      const server = await startPostgresAnswering("28P01", `password authentication failed for user "${SERVER.user}"`);
      servers.push(server);
      const outcome = await run(entry, { DATABASE_URL: databaseUrl("voices", local(server.port)) });
      expect(
        missingFrom(sentenceOf(outcome), [`127.0.0.1:${server.port}`, `user "${SERVER.user}"`, "password in DATABASE_URL"]),
      ).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the gateway says PostgreSQL is starting up and to retry",
    async () => {
      const server = await startPostgresAnswering("57P03", "the database system is starting up");
      servers.push(server);
      const outcome = await run(GATEWAY, { DATABASE_URL: databaseUrl("voices", local(server.port)) });
      expect(
        missingFrom(sentenceOf(outcome), [`127.0.0.1:${server.port}`, "the database system is starting up", "retry"]),
      ).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it.each([GATEWAY, KEYS])(
    "$name keeps the stack of a failure it does not know (a bug stays debuggable)",
    async (entry) => {
      const server = await startPostgresAnswering("XX000", "unexpected internal error for this test");
      servers.push(server);
      const outcome = await run(entry, { DATABASE_URL: databaseUrl("voices", local(server.port)) });
      expect(outcome.status.code, outcome.stderr).not.toBe(0);
      const trace = `${outcome.stdout}\n${outcome.stderr}`;
      expect(trace).toContain("unexpected internal error for this test");
      expect(trace).toMatch(/\s{4}at /);
      expect(trace).not.toContain(PASSWORD);
    },
    TEST_TIMEOUT_MS,
  );
});

/** A port on 127.0.0.1 that another server holds until the file's last test is done. */
// eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
const withHeldPort = it.extend("heldPort", { scope: "file" }, async ({}, { onCleanup }) => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  onCleanup(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  return (holder.address() as net.AddressInfo).port;
});

describe("the gateway's port is in use", () => {
  const env = (db: TestDatabase, port: number) => ({ DATABASE_URL: databaseUrl(db.name), PORT: String(port), HOST: "127.0.0.1" });

  withHeldPort(
    "the gateway names the port and says to stop the other process or set PORT",
    async ({ fileDatabase: db, heldPort: port }) => {
      const outcome = await run(GATEWAY, env(db, port));
      expect(missingFrom(sentenceOf(outcome), [`Port ${port} on 127.0.0.1 is already in use`, "set PORT"])).toEqual([]);
      expect(outcome.logs.filter((line) => line.msg === "gateway listening")).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  withHeldPort(
    "npm start prints the same sentence",
    async ({ fileDatabase: db, heldPort: port }) => {
      const outcome = await runNpm(["start", "--silent"], env(db, port));
      expect(missingFrom(sentenceOf(outcome), [`Port ${port} on 127.0.0.1 is already in use`, "set PORT"])).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("describeStartupFailure", () => {
  const config = (url: string) => loadConfig({ DATABASE_URL: url });

  it("finds the missing database and the refused connection inside Prisma 7's wrapping", async () => {
    const missing = `gw_missing_${randomBytes(4).toString("hex")}`;
    for (const [url, expected] of [
      [databaseUrl(missing), `createdb -h ${SERVER.host}`],
      [databaseUrl("voices", local(await freePort())), "Nothing accepts connections at 127.0.0.1:"],
    ] as const) {
      const pool = new pg.Pool({ connectionString: url });
      const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
      try {
        const error: unknown = await prisma.apiKey.count().then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect((error as { code?: unknown }).code).toMatch(/^P100[13]$/);
        const sentence = describeStartupFailure(error, config(url));
        expect(sentence).toContain(expected);
        expect(sentence).not.toContain(PASSWORD);
      } finally {
        await prisma.$disconnect();
      }
    }
  });

  it("finds a refusal inside an AggregateError (both addresses of localhost refused)", () => {
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}:5`), { code: "ECONNREFUSED" });
    const error = new AggregateError([refused("::1"), refused("127.0.0.1")], "connect failed");
    expect(describeStartupFailure(error, config(databaseUrl("voices", { host: "localhost", port: 5 })))).toBe(
      "Nothing accepts connections at localhost:5, where DATABASE_URL points: start PostgreSQL there, " +
        "or correct the host and port in DATABASE_URL.",
    );
  });

  it("never prints the password, even where the server's message repeats it", () => {
    const error = Object.assign(new Error(`role "${PASSWORD}" does not exist`), { code: "28000", severity: "FATAL" });
    const url = new URL(databaseUrl("voices"));
    url.username = PASSWORD;
    const sentence = describeStartupFailure(error, config(url.toString()));
    expect(sentence).toContain("refused the login");
    expect(sentence).not.toContain(PASSWORD);
  });

  it("leaves an unknown failure alone, and database failures when the database is embedded", () => {
    expect(describeStartupFailure(new TypeError("x is not a function"), config(databaseUrl("voices")))).toBeUndefined();
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    expect(describeStartupFailure(refused, loadConfig({}))).toBeUndefined();
  });
});
