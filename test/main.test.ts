// The real process: `node --import tsx src/main.ts`, as `npm start` and the
// container run it. Boot-time validation, the embedded-database default,
// health probes, and graceful shutdown on SIGTERM (in-flight clones finish).
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Agent, type FormData, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { wav } from "./support/audio-fixtures.js";
import { type ClonedVoice, CLONE_VOICE, defaultCloneInput } from "./support/clone.js";
import { createTestDatabase, type TestDatabase } from "./support/database.js";
import { type FakeFaseeh, startFakeFaseeh } from "./support/fake-faseeh.js";
import { buildMultipart, type GraphQLResponse } from "./support/gateway.js";
import { killAllSpawned, type LogLine, spawnTs, type TsProcess } from "./support/process.js";

/** Booting compiles TypeScript and, for the embedded database, runs PGlite's initdb. */
const BOOT_TIMEOUT_MS = 90_000;
const SLOW_TEST_TIMEOUT_MS = 120_000;

const isMsg = (text: string) => (line: LogLine) => line.msg === text;

interface Response {
  status: number;
  body: unknown;
}

async function send(agent: Agent, url: string, init: { method?: "GET" | "POST"; body?: string | FormData; headers?: Record<string, string> } = {}): Promise<Response> {
  const response = await request(url, { method: init.method ?? "GET", body: init.body, headers: init.headers, dispatcher: agent });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? (JSON.parse(text) as unknown) : undefined };
}

function cloneRequestBody(): FormData {
  return buildMultipart(CLONE_VOICE, { input: defaultCloneInput() }, {
    "input.voiceFile": { content: wav(), filename: "preview.wav" },
    "input.referenceAudioFile": { content: wav(32 * 1024), filename: "original.wav" },
  });
}

/** Waits for the "gateway listening" line and returns the base URL. */
async function listeningUrl(proc: TsProcess): Promise<string> {
  const line = await proc.waitForLog(isMsg("gateway listening"), BOOT_TIMEOUT_MS, '"gateway listening"');
  expect(typeof line.port).toBe("number");
  expect(line.port).toBeGreaterThan(0);
  return `http://127.0.0.1:${String(line.port)}`;
}

// Safety net: whatever a failing test left running dies with the file.
afterAll(async () => {
  await killAllSpawned();
});

describe("bad environment at boot", () => {
  const tmp: string[] = [];
  afterEach(async () => {
    await killAllSpawned();
  });
  afterAll(async () => {
    await Promise.all(tmp.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("exits with code 1 quickly, naming every bad variable on stderr, without starting anything", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "gw-main-badenv-"));
    tmp.push(root);
    const dataDir = path.join(root, "data");
    const secretKey = "fk_live_do-not-print-me-91b2";
    const secretDatabaseUrl = "mysql://admin:db-pass-do-not-print@db.internal:3306/catalog";

    const started = Date.now();
    const proc = spawnTs("src/main.ts", {
      PORT: "abc",
      FASEEH_BASE_URL: "not-a-url",
      DATABASE_URL: secretDatabaseUrl,
      MAX_UPLOAD_BYTES: "0",
      UPSTREAM_TIMEOUT_MS: "1.5",
      FASEEH_API_KEY: secretKey,
      DATA_DIR: dataDir,
    });
    const status = await proc.waitForExit(20_000);
    const elapsed = Date.now() - started;

    expect(status).toEqual({ code: 1, signal: null });
    expect(elapsed).toBeLessThan(15_000);
    const stderr = proc.stderr();
    for (const name of ["PORT", "FASEEH_BASE_URL", "DATABASE_URL", "MAX_UPLOAD_BYTES", "UPSTREAM_TIMEOUT_MS"]) {
      expect(stderr).toMatch(new RegExp(`^\\s*- ${name}: `, "m"));
    }
    expect(stderr).toContain("Invalid configuration");
    // Secrets never reach the logs, even when invalid (or merely present).
    expect(stderr).not.toContain(secretKey);
    expect(stderr).not.toContain("db-pass-do-not-print");
    expect(stderr).not.toContain("db.internal");
    expect(proc.stdout()).not.toContain(secretKey);
    // Nothing was started: no listener, no log lines, no database files.
    expect(proc.logs.filter(isMsg("gateway listening"))).toEqual([]);
    expect(proc.stdout()).toBe("");
    expect(existsSync(dataDir)).toBe(false);
  }, SLOW_TEST_TIMEOUT_MS);
});

describe("no DATABASE_URL: embedded database, no FASEEH_API_KEY (npm start defaults)", () => {
  let proc: TsProcess;
  let dataDir: string;
  let url: string;
  const agent = new Agent({ keepAliveTimeout: 10_000 });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "gw-main-embedded-"));
    // No NODE_ENV, no LOG_LEVEL: exactly what `npm start` on a fresh checkout sees.
    proc = spawnTs("src/main.ts", { PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir });
    url = await listeningUrl(proc);
  }, SLOW_TEST_TIMEOUT_MS);

  // One process serves every test of this block (in order; the last one
  // stops it), so it is killed here rather than after each test.
  afterAll(async () => {
    await proc?.kill();
    await agent.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("logs one JSON line 'gateway listening' with the port and the embedded database", async () => {
    const listening = proc.logs.filter(isMsg("gateway listening"));
    expect(listening).toHaveLength(1);
    expect(listening[0]).toMatchObject({ level: 30, database: "embedded", url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/) });
    expect(listening[0]!.url).toBe(`${url}/graphql`);
    // Written right after the listening line.
    const warning = await proc.waitForLog(
      (line) => typeof line.msg === "string" && line.msg.includes("FASEEH_API_KEY is not set"),
      5_000,
      "the FASEEH_API_KEY warning",
    );
    expect(warning.level).toBe(40);
    // The database lives in DATA_DIR.
    expect(existsSync(path.join(dataDir, "pglite"))).toBe(true);
  });

  it("answers GET /healthz", async () => {
    expect(await send(agent, `${url}/healthz`)).toEqual({ status: 200, body: { status: "ok" } });
  });

  it("answers GET /readyz once the embedded database is ready", async () => {
    expect(await send(agent, `${url}/readyz`)).toEqual({ status: 200, body: { status: "ready", database: "embedded" } });
  });

  it("serves the catalog (migrations applied at boot)", async () => {
    const response = await send(agent, `${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ voices(first: 5) { totalCount nodes { id } pageInfo { hasNextPage } } }" }),
    });
    expect(response).toEqual({
      status: 200,
      body: { data: { voices: { totalCount: 0, nodes: [], pageInfo: { hasNextPage: false } } } },
    });
  });

  it("answers cloneVoice with UPSTREAM_NOT_CONFIGURED naming FASEEH_API_KEY", async () => {
    const response = await send(agent, `${url}/graphql`, {
      method: "POST",
      headers: { "apollo-require-preflight": "true" },
      body: cloneRequestBody(),
    });
    expect(response.status).toBe(200);
    const body = response.body as GraphQLResponse["body"];
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions?.code).toBe("UPSTREAM_NOT_CONFIGURED");
    expect(body.errors![0]!.message).toContain("FASEEH_API_KEY");
    expect(body.errors![0]!.path).toEqual(["cloneVoice"]);
  });

  it("exits with code 0 within a few seconds of SIGTERM, logging 'shutdown complete'", async () => {
    const port = new URL(url).port;
    const started = Date.now();
    proc.child.kill("SIGTERM");
    const status = await proc.waitForExit(15_000);
    const elapsed = Date.now() - started;

    expect(proc.logs).toContainEqual(expect.objectContaining({ signal: "SIGTERM", msg: "shutting down: draining in-flight requests" }));
    expect(status, proc.stdout() + proc.stderr()).toEqual({ code: 0, signal: null });
    expect(proc.logs.filter(isMsg("shutdown complete"))).toHaveLength(1);
    // An idle keep-alive connection (ours) does not hold the shutdown up.
    expect(elapsed).toBeLessThan(5_000);
    // The port is released.
    const fresh = new Agent();
    try {
      await expect(send(fresh, `http://127.0.0.1:${port}/healthz`)).rejects.toThrow(/ECONNREFUSED|connect/);
    } finally {
      await fresh.close();
    }
  });
});

describe("SIGTERM while a clone is in flight (PostgreSQL, fake upstream)", () => {
  let upstream: FakeFaseeh;
  const databases: TestDatabase[] = [];

  beforeAll(async () => {
    upstream = await startFakeFaseeh();
  });
  afterAll(async () => {
    await killAllSpawned();
    await upstream?.close();
    await Promise.all(databases.map((db) => db.drop()));
  });

  // NODE_ENV=production is how the container runs (Dockerfile, docker-compose.yml).
  it.each(["test", "production"])(
    "NODE_ENV=%s: the clone completes with 200, the voice is stored, and the process exits 0",
    async (nodeEnv) => {
      const db = await createTestDatabase();
      databases.push(db);
      upstream.reset();
      const proc = spawnTs("src/main.ts", {
        NODE_ENV: nodeEnv,
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: db.url,
        FASEEH_BASE_URL: upstream.baseUrl,
        FASEEH_API_KEY: upstream.apiKey,
        SHUTDOWN_GRACE_MS: "10000",
        // Production refuses to start open without it (see test/auth.test.ts).
        ALLOW_ANONYMOUS: "true",
      });
      const url = await listeningUrl(proc);
      expect(proc.logs.find(isMsg("gateway listening"))).toMatchObject({ database: "postgres" });

      upstream.enqueue({ kind: "delay", ms: 1500, then: { kind: "success" } });
      const agent = new Agent();
      try {
        const inFlight = send(agent, `${url}/graphql`, {
          method: "POST",
          headers: { "apollo-require-preflight": "true" },
          body: cloneRequestBody(),
        });
        // Wait until the upstream has the whole request (it then delays its answer).
        const deadline = Date.now() + 20_000;
        while (upstream.requests.length === 0) {
          if (Date.now() > deadline) throw new Error(`the clone never reached the upstream; ${proc.stdout()}${proc.stderr()}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }

        const signalledAt = Date.now();
        proc.child.kill("SIGTERM");
        await proc.waitForLog(isMsg("shutting down: draining in-flight requests"), 10_000, "the shutdown log");
        // SIGTERM really arrived while the clone was in flight.
        expect(upstream.createdVoices).toHaveLength(0);
        // New work is refused while draining: never "ready".
        const probe = new Agent();
        try {
          const readiness = await send(probe, `${url}/readyz`).then(
            (response) => response.status,
            () => "refused",
          );
          expect([503, "refused"]).toContain(readiness);
        } finally {
          await probe.close();
        }

        const response = await inFlight;
        expect(response.status).toBe(200);
        const body = response.body as GraphQLResponse<{ cloneVoice: { voice: ClonedVoice } }>["body"];
        expect(body.errors).toBeUndefined();
        const voice = body.data!.cloneVoice.voice;
        expect(upstream.createdVoices).toHaveLength(1);
        expect(voice).toMatchObject({ id: upstream.createdVoices[0]!.id, voiceId: upstream.createdVoices[0]!.voice_id, name: "Layla" });

        const status = await proc.waitForExit(15_000);
        expect(status, proc.stdout() + proc.stderr()).toEqual({ code: 0, signal: null });
        // Within SHUTDOWN_GRACE_MS (10 s): the drain ended when the clone did.
        expect(Date.now() - signalledAt).toBeLessThan(10_000);
        expect(proc.logs.filter(isMsg("shutdown complete"))).toHaveLength(1);
        expect(proc.logs.some((line) => line.level === 50 || line.level === 60)).toBe(false);

        const rows = await db.query<{ id: string; voice_id: string; model: string }>("SELECT id, voice_id, model FROM voices");
        expect(rows).toEqual([{ id: voice.id, voice_id: voice.voiceId, model: "faseeh-v1" }]);
      } finally {
        await agent.close();
        await proc.kill();
      }
    },
    SLOW_TEST_TIMEOUT_MS,
  );
});

describe("NODE_ENV=production without any client key", () => {
  it("refuses to start open, saying how to fix it", async () => {
    const db = await createTestDatabase();
    try {
      const proc = spawnTs("src/main.ts", { NODE_ENV: "production", PORT: "0", HOST: "127.0.0.1", DATABASE_URL: db.url });
      const status = await proc.waitForExit(BOOT_TIMEOUT_MS);
      expect(status.code).toBe(1);
      expect(proc.stderr()).toContain("Refusing to start");
      expect(proc.stderr()).toContain("npm run keys -- create");
      expect(proc.stderr()).toContain("ALLOW_ANONYMOUS=true");
      expect(proc.logs.find(isMsg("gateway listening"))).toBeUndefined();
    } finally {
      await db.drop();
    }
  }, SLOW_TEST_TIMEOUT_MS);
});
