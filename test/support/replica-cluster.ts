// Several gateway processes deployed as replicas: one PostgreSQL database, one
// PREVIEW_DIR and one RECOVERY_DIR (the shared volume), one
// PREVIEW_URL_SECRET and one Faseeh key (the fake's), each replica with its
// own DATA_DIR and UPLOAD_DIR (its own disk), behind a round-robin TCP proxy.
// Each replica reaches the database through a TCP proxy of its own, so a
// test can take the database away from one replica only. Requests go through
// the load balancer, each on a new connection (so strictly in turn), and come
// back with the replica that served them, read from its request log line.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { Agent, type FormData, request } from "undici";
import { type FakeFaseeh, startFakeFaseeh } from "../../dev/fake-faseeh.js";
import type { LogLine } from "../../dev/spawn-ts.js";
import { createTestDatabase, type TestDatabase } from "../../dev/test-database.js";
import { type GatewayProcess, startGatewayProcess } from "./gateway-process.js";
import { buildMultipart, type GraphQLResponse, type Operation, operationText, type UploadFile } from "./gateway.js";
import type { PacedRequest } from "./paced-multipart.js";
import { killAllSpawned } from "./process.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./round-robin-proxy.js";
import { recordOutput, recordSecret } from "./suite-record.js";
import { startTcpProxy, type TcpProxy, throughProxy } from "./tcp-proxy.js";
import { waitFor } from "./wait.js";

export interface Replica extends GatewayProcess {
  readonly name: string;
  /** This replica's own way to the database: `cut()` takes the database away from it alone. */
  readonly database: TcpProxy;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The replica that served the request. */
  servedBy: string;
  /** That replica's log line for the request. */
  line: LogLine;
}

export interface Cluster {
  readonly upstream: FakeFaseeh;
  readonly db: TestDatabase;
  readonly proxy: RoundRobinProxy;
  readonly previewDir: string;
  readonly recoveryDir: string;
  /** The replicas started so far, by name (a stopped one stays until replaced). */
  readonly replicas: Map<string, Replica>;
  /** Starts a replica (again, under a name whose process stopped) and puts it in the load balancer's rotation. */
  start(name: string): Promise<Replica>;
  /** Any request, through the load balancer, on a new connection. */
  send(
    pathAndQuery: string,
    init?: { method?: "GET" | "POST"; body?: string | FormData | Readable; headers?: Record<string, string> },
  ): Promise<Answer>;
  /** `revealsClientKey`: the answer shows a client key on purpose (createApiKey); the secret scan gets it masked. */
  graphql<Data>(
    query: Operation<Data, never>,
    variables: Record<string, unknown>,
    key?: string,
    options?: { revealsClientKey?: boolean },
  ): Promise<GraphQLAnswer<Data>>;
  multipart<Data>(
    query: Operation<Data, never>,
    variables: Record<string, unknown>,
    files: Record<string, UploadFile>,
    key?: string,
  ): Promise<GraphQLAnswer<Data>>;
  /** A multipart request written by hand (pacedMultipart), its body sent as `body` yields it. */
  pacedMultipart<Data>(request: PacedRequest, body: Readable, key?: string): Promise<GraphQLAnswer<Data>>;
  stop(): Promise<void>;
}

export type GraphQLAnswer<Data> = Answer & { json: GraphQLResponse<Data>["body"] };

const agent = new Agent();

export async function startCluster(options: { env?: Record<string, string> } = {}): Promise<Cluster> {
  const upstream = await startFakeFaseeh();
  const db = await createTestDatabase();
  const root = await mkdtemp(path.join(os.tmpdir(), "gw-replicas-"));
  const previewDir = path.join(root, "shared", "previews");
  const recoveryDir = path.join(root, "shared", "recovery");
  const secret = randomBytes(32).toString("base64url");
  recordSecret(secret); // signs preview URLs; never to be logged or answered
  const proxy = await startRoundRobinProxy([]);
  const replicas = new Map<string, Replica>();
  const dbProxies: TcpProxy[] = [];

  const start = async (name: string): Promise<Replica> => {
    const database = await startTcpProxy("127.0.0.1", Number(new URL(db.url).port || 5432));
    dbProxies.push(database);
    const started = await startGatewayProcess({
      NODE_ENV: "test",
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: throughProxy(db.url, database),
      DATA_DIR: path.join(root, name, "data"),
      UPLOAD_DIR: path.join(root, name, "uploads"),
      PREVIEW_DIR: previewDir,
      RECOVERY_DIR: recoveryDir,
      PREVIEW_URL_SECRET: secret,
      FASEEH_BASE_URL: upstream.baseUrl,
      FASEEH_API_KEY: upstream.apiKey,
      CLONE_RATE_LIMIT_PER_MINUTE: "100000",
      ...options.env,
    });
    const replica = { ...started, name, database };
    replicas.set(name, replica);
    proxy.add({ name, port: replica.port });
    return replica;
  };

  const send = sendThroughProxy(proxy, replicas);
  return {
    upstream,
    db,
    proxy,
    previewDir,
    recoveryDir,
    replicas,
    start,
    send,
    ...graphQLThrough(send),
    async stop() {
      await killAllSpawned();
      await proxy.close();
      for (const each of dbProxies) await each.close();
      await upstream.close();
      await db.drop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** `send` for a cluster: through its load balancer, one connection per request, with the replica that served it. */
function sendThroughProxy(proxy: RoundRobinProxy, replicas: ReadonlyMap<string, Replica>): Cluster["send"] {
  const servedBy = (requestId: string) => {
    for (const replica of replicas.values()) {
      const line = replica.proc.logs.find((entry) => entry.msg === "request" && entry.requestId === requestId);
      if (line) return { servedBy: replica.name, line };
    }
    return undefined;
  };
  return async (pathAndQuery, init = {}) => {
    const requestId = randomUUID();
    const response = await request(`${proxy.url}${pathAndQuery}`, {
      method: init.method ?? "GET",
      body: init.body,
      headers: { "x-request-id": requestId, ...init.headers },
      dispatcher: agent,
      reset: true, // one connection per request: the load balancer picks a replica for each
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    // The request's log line is written as its response ends, maybe just after the client has it.
    let served: { servedBy: string; line: LogLine } | undefined;
    await waitFor(() => (served = servedBy(requestId)) !== undefined, 10_000, `the log line of request ${requestId}`);
    const { servedBy: name, line } = served!;
    return { status: response.statusCode, headers: response.headers, body, servedBy: name, line };
  };
}

/** GraphQL requests, JSON or multipart, sent with `send`. */
function graphQLThrough(send: Cluster["send"]): Pick<Cluster, "graphql" | "multipart" | "pacedMultipart"> {
  const asGraphQL = <Data>(answer: Answer, revealsClientKey = false): GraphQLAnswer<Data> => {
    const text = answer.body.toString("utf8");
    recordOutput("gateway response", revealsClientKey ? text.replace(/fvg_[\w-]+/g, "fvg_[shown once]") : text);
    return { ...answer, json: JSON.parse(text) as GraphQLResponse<Data>["body"] };
  };
  const authorization = (key: string | undefined): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});
  return {
    graphql: async (query, variables, key, { revealsClientKey } = {}) =>
      asGraphQL(
        await send("/graphql", {
          method: "POST",
          body: JSON.stringify({ query: operationText(query), variables }),
          headers: { "content-type": "application/json", ...authorization(key) },
        }),
        revealsClientKey,
      ),
    multipart: async (query, variables, files, key) =>
      asGraphQL(
        await send("/graphql", {
          method: "POST",
          body: buildMultipart(query, variables, files),
          headers: { "apollo-require-preflight": "true", ...authorization(key) },
        }),
      ),
    pacedMultipart: async (paced, body, key) =>
      asGraphQL(
        await send("/graphql", {
          method: "POST",
          body,
          headers: { "apollo-require-preflight": "true", "content-type": paced.contentType, ...authorization(key) },
        }),
      ),
  };
}
