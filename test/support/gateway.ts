// Starts the real gateway in-process (same container, same HTTP app, a
// real socket on an ephemeral port) against a throwaway database and the fake
// upstream, and offers a GraphQL client that speaks over HTTP, including the
// multipart request spec for uploads. An operation is a string, or a typed
// document generated from test/support/operations.graphql, whose response
// (and variables) type the answer.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { Agent, FormData, request } from "undici";
import { createGateway, type Gateway } from "../../src/app.js";
import { startBackgroundWork } from "../../src/background-work.js";
import type { Clock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { type Container, createContainer } from "../../src/container.js";
import { createLogger } from "../../src/logger.js";
import { createTestDatabase, type TestDatabase } from "../../dev/test-database.js";
import type { FakeFaseeh } from "../../dev/fake-faseeh.js";
import { recordOutput, recordSecret } from "./suite-record.js";

export interface TestGatewayOptions {
  /** "postgres" (default): a fresh database on the test server; "embedded": PGlite in `dataDir`. */
  database?: "postgres" | "embedded";
  /** Reuse a database (e.g. to restart on the same data). */
  testDatabase?: TestDatabase;
  dataDir?: string;
  upstream?: FakeFaseeh;
  env?: Record<string, string>;
  /** The services' clock (rate limits, the model list's lifetime, audio URLs' expiry): the system's by default. */
  clock?: Clock;
}

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: {
    data?: Data | null;
    errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string } }>;
  };
}

export interface UploadFile {
  content: Buffer;
  filename: string;
  type?: string;
}

export interface TestGateway {
  readonly url: string;
  readonly container: Container;
  readonly database: TestDatabase | undefined;
  readonly dataDir: string | undefined;
  /** Every log line the gateway wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  graphql<Data = Record<string, unknown>, Variables extends Record<string, unknown> = Record<string, unknown>>(
    query: Operation<Data, Variables>,
    variables?: Variables,
    headers?: Record<string, string>,
    options?: SendOptions,
  ): Promise<GraphQLResponse<Data>>;
  /**
   * Sends a multipart request; `files` maps variable paths (e.g. "input.voiceFile") to files.
   * `variables` are untyped here: the files are put in place by the map, not by the caller.
   */
  multipart<Data = Record<string, unknown>>(
    query: Operation<Data, never>,
    variables: Record<string, unknown>,
    files: Record<string, UploadFile>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<Data>>;
  stop(): Promise<void>;
}

/** An operation as sent: its text, or a typed document (printed before sending). */
export type Operation<Data = Record<string, unknown>, Variables = Record<string, unknown>> =
  string | TypedDocumentNode<Data, Variables>;

/** The operation's text, as it goes over the wire. */
export const operationText = (query: Operation<unknown, never>): string => (typeof query === "string" ? query : print(query));

export interface SendOptions {
  /**
   * The answer shows a client key on purpose (createApiKey): the secret scan
   * gets it with client keys masked, and still checks it for every other secret.
   */
  revealsClientKey?: boolean;
}

export const client = new Agent({ keepAliveTimeout: 1_000, connections: 32 });

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const mode = options.database ?? "postgres";
  const ownDatabase = mode === "postgres" && !options.testDatabase;
  const database = mode === "postgres" ? (options.testDatabase ?? (await createTestDatabase())) : undefined;
  const dataDir = mode === "embedded" ? (options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), "gw-pglite-")))) : undefined;
  // Each gateway gets its own recovery journal: another test's leftovers must never be imported here.
  const recoveryDir = options.env?.RECOVERY_DIR ?? (await mkdtemp(path.join(os.tmpdir(), "gw-recovery-")));
  // ... and its own preview directory (never the working directory's .data).
  const previewDir = options.env?.PREVIEW_DIR ?? (await mkdtemp(path.join(os.tmpdir(), "gw-previews-")));
  const config = loadConfig({
    RECOVERY_DIR: recoveryDir,
    PREVIEW_DIR: previewDir,
    NODE_ENV: "test",
    PORT: "0",
    LOG_LEVEL: "info",
    ...(database && { DATABASE_URL: database.url }),
    ...(dataDir && { DATA_DIR: dataDir }),
    ...(options.upstream && { FASEEH_BASE_URL: options.upstream.baseUrl, FASEEH_API_KEY: options.upstream.apiKey }),
    UPSTREAM_TIMEOUT_MS: "3000",
    // Suites clone far more than a tool would; the limit has tests of its own.
    CLONE_RATE_LIMIT_PER_MINUTE: "100000",
    SHUTDOWN_GRACE_MS: "3000",
    ...options.env,
  });
  const logs: Array<Record<string, unknown>> = [];
  if (config.upstream.apiKey) recordSecret(config.upstream.apiKey);
  const logger = createLogger(config, {
    write(line: string) {
      recordOutput("gateway log", line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  let container: Container;
  let gateway: Gateway;
  try {
    container = await createContainer(config, { logger, clock: options.clock });
    // As main.ts does: the recovery pass at boot, then the recovery and preview timers.
    await startBackgroundWork(container);
    gateway = await createGateway(container);
  } catch (error) {
    if (ownDatabase) await database?.drop();
    throw error;
  }
  const address = await gateway.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${address.port}`;

  const send = async <Data>(
    body: string | FormData,
    headers: Record<string, string>,
    options: SendOptions = {},
  ): Promise<GraphQLResponse<Data>> => {
    const response = await request(`${url}/graphql`, { method: "POST", body, headers, dispatcher: client });
    const text = await response.body.text();
    const recorded = options.revealsClientKey ? text.replace(/fvg_[\w-]+/g, "fvg_[shown once]") : text;
    recordOutput("gateway response", `${JSON.stringify(response.headers)}\n${recorded}`);
    return { status: response.statusCode, headers: response.headers, body: JSON.parse(text) as GraphQLResponse<Data>["body"] };
  };

  let stopped = false;
  return {
    url,
    container,
    database,
    dataDir,
    logs,
    graphql: (query, variables, headers = {}, options) =>
      send(
        JSON.stringify({ query: operationText(query), variables }),
        { "content-type": "application/json", ...headers },
        options,
      ),
    multipart: (query, variables, files, headers = {}) =>
      send(buildMultipart(query, variables, files), { "apollo-require-preflight": "true", ...headers }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await gateway.stop();
      if (ownDatabase) await database?.drop();
      if (dataDir && !options.dataDir) await rm(dataDir, { recursive: true, force: true });
      if (!options.env?.RECOVERY_DIR) await rm(recoveryDir, { recursive: true, force: true });
      if (!options.env?.PREVIEW_DIR) await rm(previewDir, { recursive: true, force: true });
    },
  };
}

/** The GraphQL multipart request spec: operations, map, then the files in map order. */
export function buildMultipart(
  query: Operation<unknown, never>,
  variables: Record<string, unknown>,
  files: Record<string, UploadFile>,
): FormData {
  const form = new FormData();
  const entries = Object.entries(files);
  const map: Record<string, string[]> = {};
  const withNulls = structuredClone(variables);
  entries.forEach(([variablePath], index) => {
    map[String(index)] = [`variables.${variablePath}`];
    setPath(withNulls, variablePath.split("."), null);
  });
  form.append("operations", JSON.stringify({ query: operationText(query), variables: withNulls }));
  form.append("map", JSON.stringify(map));
  entries.forEach(([, file], index) => {
    form.append(String(index), new Blob([file.content], { type: file.type ?? "application/octet-stream" }), file.filename);
  });
  return form;
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}
