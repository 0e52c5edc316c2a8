// The real process: `node --import tsx src/main.ts`, as `npm start` and the
// container run it. Boot-time validation, the embedded-database default,
// health probes, and graceful shutdown on SIGTERM (in-flight clones finish).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { Agent, type FormData, request } from "undici";
import { afterAll, afterEach, beforeAll } from "vitest";
import { MiB, noisyWav, sha256, wav } from "../dev/audio-fixtures.js";
import type { CloneVoiceMutation } from "./generated/operations.js";
import { CLONE_VOICE, defaultCloneInput, pacedClone } from "./support/clone.js";
import { type FakeFaseeh, filesOf } from "../dev/fake-faseeh.js";
import { describe, expect, testWithoutGateway as it } from "./support/fixtures.js";
import { buildMultipart, type GraphQLResponse } from "./support/gateway.js";
import { PROJECT_ROOT, type TsProcess } from "../dev/spawn-ts.js";
import { BOOT_TIMEOUT_MS, isMsg, listening } from "./support/gateway-process.js";
import { killAllSpawned, spawnTs } from "./support/process.js";
import { startTcpProxy, throughProxy } from "./support/tcp-proxy.js";
import { waitFor } from "./support/wait.js";

const SLOW_TEST_TIMEOUT_MS = 120_000;

interface Response {
  status: number;
  body: unknown;
}

async function send(
  agent: Agent,
  url: string,
  init: { method?: "GET" | "POST"; body?: string | FormData; headers?: Record<string, string> } = {},
): Promise<Response> {
  const response = await request(url, {
    method: init.method ?? "GET",
    body: init.body,
    headers: init.headers,
    dispatcher: agent,
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? (JSON.parse(text) as unknown) : undefined };
}

function cloneRequestBody(): FormData {
  return buildMultipart(
    CLONE_VOICE,
    { input: defaultCloneInput() },
    {
      "input.voiceFile": { content: wav(), filename: "preview.wav" },
      "input.referenceAudioFile": { content: wav(32 * 1024), filename: "original.wav" },
    },
  );
}

/** Waits for the "gateway listening" line and returns the base URL. */
const listeningUrl = async (proc: TsProcess): Promise<string> => (await listening(proc)).url;

// Safety net: whatever a failing test left running dies with the file.
afterAll(async () => {
  await killAllSpawned();
});

describe("bad environment at boot", () => {
  afterEach(async () => {
    await killAllSpawned();
  });

  it(
    "exits with code 1 quickly, naming every bad variable on stderr, without starting anything",
    async ({ makeTempDir }) => {
      const root = await makeTempDir("gw-main-badenv-");
      const dataDir = path.join(root, "data");
      const secretKey = "fk_live_do-not-print-me-91b2";
      const secretDatabaseUrl = "mysql://admin:db-pass-do-not-print@db.internal:3306/catalog";

      const proc = spawnTs("src/main.ts", {
        PORT: "abc",
        FASEEH_BASE_URL: "not-a-url",
        DATABASE_URL: secretDatabaseUrl,
        MAX_UPLOAD_BYTES: "0",
        UPSTREAM_TIMEOUT_MS: "1.5",
        FASEEH_API_KEY: secretKey,
        DATA_DIR: dataDir,
      });
      // Quickly: at the configuration, before anything starts (checked below), so before anything can wait.
      const status = await proc.waitForExit(20_000);

      expect(status).toEqual({ code: 1, signal: null });
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
    },
    SLOW_TEST_TIMEOUT_MS,
  );
});

describe("no DATABASE_URL: embedded database, no FASEEH_API_KEY (npm start defaults)", () => {
  let proc: TsProcess;
  let dataDir: string;
  let url: string;
  const agent = new Agent({ keepAliveTimeout: 10_000 });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "gw-main-embedded-"));
    // No NODE_ENV, no LOG_LEVEL: what `npm start` on a fresh checkout sees, but for a shutdown
    // grace longer than any test here waits, so that a connection holding the shutdown up fails
    // the last test instead of slowing it down.
    proc = spawnTs("src/main.ts", { PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, SHUTDOWN_GRACE_MS: "600000" });
    url = await listeningUrl(proc);
  }, SLOW_TEST_TIMEOUT_MS);

  // One process serves every test of this block (in order; the last one
  // stops it), so it is killed here rather than after each test.
  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed before starting it
    await proc?.kill();
    await agent.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("logs one JSON line 'gateway listening' with the port and the embedded database", async () => {
    const listening = proc.logs.filter(isMsg("gateway listening"));
    expect(listening).toHaveLength(1);
    expect(listening[0]).toMatchObject({
      level: 30,
      database: "embedded",
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/) as unknown,
    });
    expect(listening[0]!.url).toBe(`${url}/graphql`);
    // Written right after the listening line.
    const warning = await proc.waitForLog(
      (line) => typeof line.msg === "string" && line.msg.includes("FASEEH_API_KEY is not set"),
      5_000,
      "the FASEEH_API_KEY warning",
    );
    expect(warning.level).toBe(40);
    // The open gateway's warning names what closes it here: the GraphQL mutation, not the keys
    // command, which cannot open the embedded database while the gateway owns it.
    const open = proc.logs.find((line) => String(line.msg).includes("OPEN to any caller"));
    expect(open?.msg).toContain('createApiKey(name: "ops", scope: ADMIN)');
    expect(open?.msg).not.toContain("npm run keys -- create");
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
    proc.child.kill("SIGTERM");
    // Long before SHUTDOWN_GRACE_MS (ten minutes here) could end: an idle keep-alive connection (ours) does not hold the shutdown up.
    const status = await proc.waitForExit(15_000);

    expect(proc.logs).toContainEqual(
      expect.objectContaining({ signal: "SIGTERM", msg: "shutting down: draining in-flight requests" }),
    );
    expect(status, proc.stdout() + proc.stderr()).toEqual({ code: 0, signal: null });
    expect(proc.logs.filter(isMsg("shutdown complete"))).toHaveLength(1);
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
  afterEach(async () => {
    await killAllSpawned();
  });

  // NODE_ENV=production is how the container runs (Dockerfile, docker-compose.yml).
  it.for(["test", "production"] as const)(
    "NODE_ENV=%s: the clone completes with 200, the voice is stored, and the process exits 0",
    { timeout: SLOW_TEST_TIMEOUT_MS },
    async (nodeEnv, { upstream, testDatabase }) => {
      const db = testDatabase;
      const proc = spawnTs("src/main.ts", {
        NODE_ENV: nodeEnv,
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: db.url,
        FASEEH_BASE_URL: upstream.baseUrl,
        FASEEH_API_KEY: upstream.apiKey,
        // Shorter than Faseeh's answer below: only the clone budget
        // (SHUTDOWN_CLONE_GRACE_MS, by default UPSTREAM_TIMEOUT_MS) lets the clone finish.
        SHUTDOWN_GRACE_MS: "1000",
        // Production refuses to start open without it (see test/auth.test.ts).
        ALLOW_ANONYMOUS: "true",
      });
      const url = await listeningUrl(proc);
      expect(proc.logs.find(isMsg("gateway listening"))).toMatchObject({ database: "postgres" });

      upstream.enqueue({ kind: "delay", ms: 2500, then: { kind: "success" } });
      const agent = new Agent();
      try {
        const inFlight = send(agent, `${url}/graphql`, {
          method: "POST",
          headers: { "apollo-require-preflight": "true" },
          body: cloneRequestBody(),
        });
        // Wait until the upstream has the whole request (it then delays its answer).
        await waitFor(() => upstream.requests.length > 0, 20_000, "the clone to reach the upstream");

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
        const body = response.body as GraphQLResponse<CloneVoiceMutation>["body"];
        expect(body.errors).toBeUndefined();
        const voice = body.data!.cloneVoice.voice;
        expect(upstream.createdVoices).toHaveLength(1);
        expect(voice).toMatchObject({
          id: upstream.createdVoices[0]!.id,
          voiceId: upstream.createdVoices[0]!.voice_id,
          name: "Layla",
        });

        const status = await proc.waitForExit(15_000);
        expect(status, proc.stdout() + proc.stderr()).toEqual({ code: 0, signal: null });
        // The drain ended when the clone did, not when its budget (UPSTREAM_TIMEOUT_MS, a minute) ran out.
        expect(proc.logs.find(isMsg("shutdown: clones settled"))).toMatchObject({ finished: 1, abandoned: 0, aborted: 0 });
        expect(proc.logs.filter(isMsg("shutdown complete"))).toHaveLength(1);
        expect(proc.logs.some((line) => line.level === 50 || line.level === 60)).toBe(false);

        const rows = await db.query<{ id: string; voice_id: string; model: string }>("SELECT id, voice_id, model FROM voices");
        expect(rows).toEqual([{ id: voice.id, voice_id: voice.voiceId, model: "faseeh-v1" }]);
      } finally {
        await agent.close();
        await proc.kill();
      }
    },
  );
});

describe("SIGTERM keeps voices", () => {
  afterEach(async () => {
    await killAllSpawned();
  });

  function startGateway(upstream: FakeFaseeh, env: Record<string, string>): TsProcess {
    return spawnTs("src/main.ts", {
      PORT: "0",
      HOST: "127.0.0.1",
      NODE_ENV: "test",
      FASEEH_BASE_URL: upstream.baseUrl,
      FASEEH_API_KEY: upstream.apiKey,
      SHUTDOWN_GRACE_MS: "1000",
      ...env,
    });
  }

  const SHUTDOWN_VOICE_FILE = noisyWav(2 * MiB, 51);
  const SHUTDOWN_REFERENCE_FILE = noisyWav(MiB, 52);

  /** Sends a clone of big files at the pace `pace` sets; settles however the exchange ends. */
  function sendClone(
    url: string,
    signal: AbortSignal,
    input: Record<string, unknown> = {},
    pace?: (sent: number) => Promise<void>,
  ) {
    const paced = pacedClone({
      input,
      voiceFile: { content: SHUTDOWN_VOICE_FILE, filename: "preview.wav" },
      referenceAudioFile: { content: SHUTDOWN_REFERENCE_FILE, filename: "original.wav" },
    });
    return request(`${url}/graphql`, {
      method: "POST",
      body: Readable.from(paced.body(pace)),
      headers: { "apollo-require-preflight": "true", "content-type": paced.contentType },
      signal,
    }).then(
      async (response) => ({ status: response.statusCode, body: (await response.body.json()) as GraphQLResponse["body"] }),
      (error: unknown) => ({ error }),
    );
  }

  async function query<Data>(url: string, text: string, variables?: Record<string, unknown>): Promise<Data> {
    const response = await request(`${url}/graphql`, {
      method: "POST",
      body: JSON.stringify({ query: text, variables }),
      headers: { "content-type": "application/json" },
    });
    const body = (await response.body.json()) as GraphQLResponse<Data>["body"];
    expect(body.errors).toBeUndefined();
    return body.data!;
  }

  it(
    "stores the voice of a client that left once Faseeh had its request, through SIGTERM and a restart (embedded database)",
    async ({ upstream, makeTempDir }) => {
      const dataDir = await makeTempDir("gw-main-left-");
      const first = startGateway(upstream, { DATA_DIR: dataDir });
      const url = await listeningUrl(first);
      upstream.enqueue({ kind: "delay", ms: 2500, then: { kind: "success" } });
      const controller = new AbortController();
      const sent = sendClone(url, controller.signal, { idempotencyKey: "left-then-sigterm" });
      await waitFor(() => upstream.requests.length === 1, 20_000, "Faseeh to have the whole request");
      expect(upstream.requests[0]!.aborted).toBe(false);
      // Billed once, for exactly what the client sent.
      expect(filesOf(upstream.requests[0]!)).toMatchObject({
        voice_file: { size: SHUTDOWN_VOICE_FILE.length, sha256: sha256(SHUTDOWN_VOICE_FILE) },
        reference_audio_file: { size: SHUTDOWN_REFERENCE_FILE.length, sha256: sha256(SHUTDOWN_REFERENCE_FILE) },
      });
      controller.abort(); // the client leaves...
      await sent;
      first.child.kill("SIGTERM"); // ...and the gateway is told to stop,
      await first.waitForLog(isMsg("shutting down: draining in-flight requests"), 10_000);
      first.child.kill("SIGINT"); // twice, as Ctrl-C under npm does: the repeat must not cut the shutdown short
      expect(await first.waitForExit(20_000)).toEqual({ code: 0, signal: null });
      expect(first.logs.find(isMsg("already shutting down"))).toMatchObject({ signal: "SIGINT" });
      expect(upstream.createdVoices).toHaveLength(1);
      expect(first.logs.find(isMsg("shutdown: clones settled"))).toMatchObject({ finished: 1, abandoned: 0, aborted: 0 });

      const second = startGateway(upstream, { DATA_DIR: dataDir });
      const again = await listeningUrl(second);
      const data = await query<{ voices: { nodes: Array<{ voiceId: string }> } }>(again, `{ voices { nodes { voiceId } } }`);
      expect(data.voices.nodes).toEqual([{ voiceId: upstream.createdVoices[0]!.voice_id }]);
      second.child.kill("SIGTERM");
      expect((await second.waitForExit(20_000)).code).toBe(0);
    },
    SLOW_TEST_TIMEOUT_MS,
  );

  it(
    "leaves an attempt UNKNOWN when Faseeh has not answered within the clone budget; after a restart its key is not sent again",
    async ({ upstream, testDatabase }) => {
      const db = testDatabase;
      const first = startGateway(upstream, { DATABASE_URL: db.url, SHUTDOWN_CLONE_GRACE_MS: "500" });
      const url = await listeningUrl(first);
      upstream.enqueue({ kind: "hang" });
      const sent = sendClone(url, new AbortController().signal, { idempotencyKey: "budget-spent" });
      await waitFor(() => upstream.requests.length === 1, 20_000, "Faseeh to have the whole request");
      first.child.kill("SIGTERM");
      // Status 0: it exited before its hard-exit timer (budget + grace + 5 s), the hanging call did not hold it.
      expect(await first.waitForExit(20_000)).toEqual({ code: 0, signal: null });
      await sent;
      expect(first.logs.find(isMsg("shutdown: clone budget spent; unfinished clones secured"))).toMatchObject({
        abandoned: 1,
        phases: ["awaiting-answer"],
      });
      const rows = await db.query<{ status: string; error_code: string; error_message: string }>(
        "SELECT status, error_code, error_message FROM clone_attempts",
      );
      expect(rows).toEqual([
        expect.objectContaining({
          status: "UNKNOWN",
          error_code: "UPSTREAM_OUTCOME_UNKNOWN",
          error_message: expect.stringMatching(/shut down before Faseeh answered/) as unknown,
        }),
      ]);

      const second = startGateway(upstream, { DATABASE_URL: db.url });
      const again = await listeningUrl(second);
      const retried = await sendClone(again, new AbortController().signal, { idempotencyKey: "budget-spent" });
      expect("body" in retried && retried.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
      expect(upstream.requests).toHaveLength(1);
    },
    SLOW_TEST_TIMEOUT_MS,
  );

  it(
    "journals (fsync'd) a voice in hand that the database has not taken when the budget ends, and imports it at the next boot",
    async ({ upstream, makeTempDir, testDatabase, onTestFinished }) => {
      const db = testDatabase;
      const proxy = await startTcpProxy("127.0.0.1", Number(new URL(db.url).port || 5432));
      onTestFinished(() => proxy.close());
      const recoveryDir = await makeTempDir("gw-main-journal-");
      const first = startGateway(upstream, {
        DATABASE_URL: throughProxy(db.url, proxy),
        RECOVERY_DIR: recoveryDir,
        SHUTDOWN_CLONE_GRACE_MS: "800",
      });
      const url = await listeningUrl(first);
      upstream.enqueue({ kind: "delay", ms: 300, then: { kind: "success" } });
      const sent = sendClone(url, new AbortController().signal);
      await waitFor(() => upstream.requests.length === 1, 20_000, "Faseeh to have the whole request");
      proxy.cut(); // the database goes away before Faseeh's answer can be stored
      first.child.kill("SIGTERM");
      await first.waitForExit(30_000);
      await sent;
      expect(upstream.createdVoices).toHaveLength(1);
      const created = upstream.createdVoices[0]!;
      expect(first.logs.find(isMsg("shutdown: clone budget spent; unfinished clones secured"))).toMatchObject({
        phases: ["storing"],
      });
      expect((await readdir(recoveryDir)).filter((name) => name.endsWith(".json"))).toHaveLength(1);

      proxy.restore();
      const second = startGateway(upstream, { DATABASE_URL: db.url, RECOVERY_DIR: recoveryDir });
      await listeningUrl(second);
      expect(await db.query("SELECT voice_id FROM voices")).toEqual([{ voice_id: created.voice_id }]);
      expect(await db.query("SELECT status FROM clone_attempts")).toEqual([{ status: "SUCCEEDED" }]);
      expect(await readdir(recoveryDir)).toEqual([]);
    },
    SLOW_TEST_TIMEOUT_MS,
  );

  it(
    "aborts an upload still arriving: nothing complete reaches Faseeh, and the process exits promptly",
    async ({ upstream, testDatabase }) => {
      const db = testDatabase;
      const proc = startGateway(upstream, { DATABASE_URL: db.url });
      const url = await listeningUrl(proc);
      const sent = sendClone(url, new AbortController().signal, {}, async (sentBytes) => {
        if (sentBytes > MiB) await new Promise(() => undefined); // the client is slow; it will not finish before SIGTERM
      });
      await waitFor(() => upstream.inFlight === 1, 20_000, "the upload to be streaming to Faseeh");
      proc.child.kill("SIGTERM");
      expect(await proc.waitForExit(20_000)).toEqual({ code: 0, signal: null });
      // Promptly: the upload was aborted at once, not given the clone budget (UPSTREAM_TIMEOUT_MS, a minute).
      expect(proc.logs.find(isMsg("shutdown: clones settled"))).toMatchObject({ aborted: 1, abandoned: 0 });
      // The client is told why, and that nothing was spent.
      const answer = await sent;
      expect("body" in answer && answer.body.errors?.[0]?.extensions?.code, JSON.stringify(answer)).toBe("SERVICE_UNAVAILABLE");
      expect(upstream.requests.every((received) => received.aborted)).toBe(true);
      expect(upstream.createdVoices).toHaveLength(0);
      expect(await db.query("SELECT status, error_code FROM clone_attempts")).toEqual([
        { status: "FAILED", error_code: "SERVICE_UNAVAILABLE" },
      ]);
    },
    SLOW_TEST_TIMEOUT_MS,
  );
});

describe("an open gateway is not open to the network", () => {
  afterEach(async () => {
    await killAllSpawned();
  });

  /** This machine's first address that is not loopback, if it has one. */
  const lanAddress = Object.values(os.networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === "IPv4" && !entry.internal)?.address;

  async function boot(
    makeTempDir: (prefix: string) => Promise<string>,
    env: Record<string, string>,
  ): Promise<{ proc: TsProcess; port: number; address: string }> {
    const dataDir = await makeTempDir("gw-main-bind-");
    const proc = spawnTs("src/main.ts", { PORT: "0", DATA_DIR: dataDir, ...env });
    const line = await proc.waitForLog(isMsg("gateway listening"), BOOT_TIMEOUT_MS, '"gateway listening"');
    return { proc, port: Number(line.port), address: String(line.address) };
  }

  const reachable = (host: string, port: number) =>
    request(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(3_000) }).then(
      async (response) => {
        await response.body.dump();
        return true;
      },
      () => false,
    );

  it(
    "listens on 127.0.0.1 only while no client key exists and HOST is not set, and says so",
    async ({ makeTempDir }) => {
      const { proc, port, address } = await boot(makeTempDir, {});
      expect(address).toBe("127.0.0.1");
      const warning = proc.logs.find((line) => String(line.msg).includes("OPEN to any caller"));
      expect(warning?.msg).toContain("on 127.0.0.1 only (set HOST, or ALLOW_ANONYMOUS=true, to serve the network)");
      expect(await reachable("127.0.0.1", port)).toBe(true);
      // Without a LAN address there is nothing more to check.
      const fromLan = lanAddress ? await reachable(lanAddress, port) : false;
      expect(fromLan).toBe(false);
    },
    SLOW_TEST_TIMEOUT_MS,
  );

  it(
    "serves the network when ALLOW_ANONYMOUS=true says so on purpose",
    async ({ makeTempDir }) => {
      const { proc, port, address } = await boot(makeTempDir, { ALLOW_ANONYMOUS: "true" });
      expect(["::", "0.0.0.0"]).toContain(address);
      expect(proc.logs.find((line) => String(line.msg).includes("OPEN to any caller"))?.msg).toContain("on every interface");
      // Without a LAN address there is nothing more to check.
      const fromLan = lanAddress ? await reachable(lanAddress, port) : true;
      expect(fromLan).toBe(true);
    },
    SLOW_TEST_TIMEOUT_MS,
  );
});

describe("`npm start`", () => {
  it(
    "runs the server itself: stopping npm stops the gateway",
    async ({ makeTempDir }) => {
      const dataDir = await makeTempDir("gw-main-npm-");
      const child = spawn("npm", ["start", "--silent"], {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      await waitFor(() => out.includes('"msg":"gateway listening"'), BOOT_TIMEOUT_MS, "npm start to listen");
      const port = Number(/"port":(\d+)/.exec(out)![1]);
      child.kill("SIGTERM"); // what `kill <npm pid>` does
      await exited;
      await waitFor(() => out.includes('"msg":"shutdown complete"'), 20_000, "the gateway to shut down");
      // The port and the embedded database are free again.
      await expect(request(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      await waitFor(() => !existsSync(path.join(dataDir, "gateway.lock")), 10_000, "the lock to be released");
    },
    SLOW_TEST_TIMEOUT_MS,
  );
});

describe("NODE_ENV=production without any client key", () => {
  it(
    "refuses to start open, saying how to fix it",
    async ({ testDatabase }) => {
      const db = testDatabase;
      const proc = spawnTs("src/main.ts", { NODE_ENV: "production", PORT: "0", HOST: "127.0.0.1", DATABASE_URL: db.url });
      const status = await proc.waitForExit(BOOT_TIMEOUT_MS);
      expect(status.code).toBe(1);
      expect(proc.stderr()).toContain("Refusing to start");
      expect(proc.stderr()).toContain("npm run keys -- create");
      expect(proc.stderr()).toContain("ALLOW_ANONYMOUS=true");
      expect(proc.logs.find(isMsg("gateway listening"))).toBeUndefined();
    },
    SLOW_TEST_TIMEOUT_MS,
  );
});

describe("SIGKILL mid-upload leaves nothing behind", () => {
  afterEach(async () => {
    await killAllSpawned();
  });

  /** The upload session directories in `uploadDir` whose marker names process `pid`. */
  async function sessionsOf(uploadDir: string, pid: number): Promise<string[]> {
    const owned: string[] = [];
    for (const name of await readdir(uploadDir).catch(() => [])) {
      const marker = await readFile(path.join(uploadDir, name, ".owner.json"), "utf8").catch(() => undefined);
      if (marker && (JSON.parse(marker) as { pid: number }).pid === pid) owned.push(name);
    }
    return owned;
  }

  /** A clone of big files; `stallAfter` bytes in, the client stops sending (and never resumes). */
  function sendClone(url: string, stallAfter = Infinity) {
    const paced = pacedClone({
      voiceFile: { content: noisyWav(2 * MiB, 61), filename: "preview.wav" },
      referenceAudioFile: { content: noisyWav(MiB, 62), filename: "original.wav" },
    });
    const pace = async (sent: number) => {
      if (sent > stallAfter) await new Promise(() => undefined);
    };
    return request(`${url}/graphql`, {
      method: "POST",
      body: Readable.from(paced.body(pace)),
      headers: { "apollo-require-preflight": "true", "content-type": paced.contentType },
    }).catch(() => undefined); // the gateway it went to is killed
  }

  it(
    "removes a killed gateway's upload directories at the next boot, before serving, and a live gateway's only once it is killed too",
    async ({ upstream, testDatabase, makeTempDir }) => {
      const db = testDatabase;
      const root = await makeTempDir("gw-main-crash-");
      const uploadDir = path.join(root, "uploads");
      const env = {
        PORT: "0",
        HOST: "127.0.0.1",
        NODE_ENV: "test",
        DATABASE_URL: db.url,
        DATA_DIR: path.join(root, "data"),
        UPLOAD_DIR: uploadDir,
        FASEEH_BASE_URL: upstream.baseUrl,
        FASEEH_API_KEY: upstream.apiKey,
        UPSTREAM_TIMEOUT_MS: "600000",
        RECOVERY_INTERVAL_MS: "3600000", // no pass of theirs runs during the test
      };
      // Two replicas on one host share UPLOAD_DIR.
      const killed = spawnTs("src/main.ts", env);
      const live = spawnTs("src/main.ts", env);
      const [killedUrl, liveUrl] = await Promise.all([listeningUrl(killed), listeningUrl(live)]);

      // The live one holds a session while Faseeh works on its request...
      upstream.enqueue({ kind: "hang" });
      void sendClone(liveUrl);
      await waitFor(() => upstream.requests.length === 1, 30_000, "Faseeh to have the live gateway's whole request");
      // ...and the other dies while a client is mid-upload.
      void sendClone(killedUrl, MiB);
      await waitFor(
        async () => upstream.inFlight === 2 && (await sessionsOf(uploadDir, killed.pid)).length === 1,
        30_000,
        "the upload to be streaming through the gateway about to be killed",
      );
      killed.child.kill("SIGKILL");
      await killed.waitForExit(10_000);
      expect(await sessionsOf(uploadDir, killed.pid)).toHaveLength(1); // what the crash left
      const held = await sessionsOf(uploadDir, live.pid);
      expect(held).toHaveLength(1);

      const next = spawnTs("src/main.ts", { ...env, RECOVERY_INTERVAL_MS: "200" });
      await listeningUrl(next);
      expect(await readdir(uploadDir)).toEqual(held);

      live.child.kill("SIGKILL");
      await live.waitForExit(10_000);
      // One directory removed at boot, then one by a later pass.
      const removals = () => next.logs.filter((line) => line.msg === "recovery pass" && line.uploadDirsRemoved === 1);
      await waitFor(() => removals().length === 2, 30_000, "a recovery pass to remove the live gateway's, once killed");
      expect(await readdir(uploadDir)).toEqual([]);
    },
    SLOW_TEST_TIMEOUT_MS,
  );
});
