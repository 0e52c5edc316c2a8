// The response cache across processes, as it is deployed: two gateway
// processes (`src/main.ts`) on one PostgreSQL database, both with the cache
// on, and this file's in-process gateway on the same database with the cache
// off, as the oracle. Every answer a process gives, cached or not, is compared
// with the oracle's answer to the same request with the same client key at
// the same moment: a stale answer, or an answer kept for another key, would
// differ. Each change (an edit, an archive, a restore, a clone through the fake
// Faseeh) is made on process A; the very next request on process B, which had
// the answer cached, shows it, for keys of every scope.
import { randomUUID } from "node:crypto";
import { afterAll } from "vitest";
import { Agent, request } from "undici";
import type { FakeFaseeh } from "../../dev/fake-faseeh.js";
import type { TestDatabase } from "../../dev/test-database.js";
import { voiceUpsert } from "../../src/services/catalog/voice-writes.js";
import { bearer, issueKey } from "../support/api-keys.js";
import { CLONE_VOICE, defaultCloneInput } from "../support/clone.js";
import { wav } from "../../dev/audio-fixtures.js";
import { expect, test } from "../support/fixtures.js";
import { buildMultipart, type GraphQLResponse, type TestGateway } from "../support/gateway.js";
import { type GatewayProcess, requestLine, startGatewayProcess } from "../support/gateway-process.js";
import { killAllSpawned } from "../support/process.js";
import { voiceData } from "../support/voice-data.js";
import { waitFor } from "../support/wait.js";

// The oracle answers every request afresh.
test.override("gatewayOptions", { env: { RESPONSE_CACHE: "false" } });

const TEST_TIMEOUT_MS = 180_000;
/** The documented bound for a revocation to reach another process (see api-key-service.revocation.test.ts). */
const REVOCATION_BOUND_MS = 5_000;

const agent = new Agent();
afterAll(async () => {
  await killAllSpawned();
  await agent.close();
});

type Replica = GatewayProcess;

type Body = GraphQLResponse["body"];

interface Answer {
  status: number;
  body: Body;
  /** How the cache took part, from the request's log line: "hit", "stored" or undefined. */
  cache: unknown;
}

async function startReplica(db: TestDatabase, upstream: FakeFaseeh, dataDir: string): Promise<Replica> {
  return startGatewayProcess({
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    FASEEH_BASE_URL: upstream.baseUrl,
    FASEEH_API_KEY: upstream.apiKey,
    RESPONSE_CACHE: "true",
  });
}

/** POSTs to a replica under a fresh request id and reads how the cache took part from that request's log line. */
async function post(
  replica: Replica,
  body: string | ReturnType<typeof buildMultipart>,
  headers: Record<string, string>,
): Promise<Answer> {
  const requestId = randomUUID();
  const response = await request(`${replica.url}/graphql`, {
    method: "POST",
    dispatcher: agent,
    headers: { "x-request-id": requestId, ...headers },
    body,
  });
  const text = await response.body.text();
  const line = await requestLine(replica.proc, requestId);
  return { status: response.statusCode, body: JSON.parse(text) as Body, cache: line.cache };
}

const graphql = (replica: Replica, query: string, variables: Record<string, unknown>, key: string | undefined) =>
  post(replica, JSON.stringify({ query, variables }), { "content-type": "application/json", ...(key && bearer(key)) });

/** What the oracle (no cache) answers to the same request now. */
async function oracle(gateway: TestGateway, query: string, variables: Record<string, unknown>, key: string) {
  const { status, body } = await gateway.graphql(query, variables, bearer(key));
  return { status, body };
}

const FIELDS = "id voiceId name description tags archivedAt updatedAt";
const LIST = `query List($filter: VoiceFilter) { voices(filter: $filter, first: 20) { totalCount totalCountIsEstimate nodes { ${FIELDS} } } }`;
const ONE = `query One($voiceId: String) { voice(voiceId: $voiceId) { ${FIELDS} } }`;

/** The reads every change must show: both lists, and one voice by voiceId (an existing one, and the one a clone makes). */
const READS = [
  { name: "list", query: LIST, variables: {} },
  { name: "list with archived", query: LIST, variables: { filter: { includeArchived: true } } },
  { name: "Layla by voiceId", query: ONE, variables: { voiceId: "v_layla" } },
  { name: "Nour by voiceId", query: ONE, variables: { voiceId: "v_nour" } },
] as const;
type ReadName = (typeof READS)[number]["name"];

interface Keys {
  read: string;
  write: string;
  admin: string;
}
type Scope = keyof Keys;

async function issueKeys(gateway: TestGateway): Promise<Keys> {
  const [read, write, admin] = await Promise.all(
    (["read", "write", "admin"] as const).map(async (scope) => (await issueKey(gateway, `${scope}-tool`, scope)).key),
  );
  return { read: read!, write: write!, admin: admin! };
}

/**
 * Every read with each scope's key, in `order`, on `replica`: each answer equals
 * the oracle's for that key; the first scope's are `firstCache`, the later ones
 * hits of what it stored. Returns the first scope's answers by read.
 */
async function readAll(
  gateway: TestGateway,
  replica: Replica,
  keys: Keys,
  order: readonly Scope[],
  firstCache: "stored" | "hit",
  moment: string,
): Promise<Map<ReadName, Body>> {
  const seen = new Map<ReadName, Body>();
  for (const [position, scope] of order.entries()) {
    for (const read of READS) {
      const answer = await graphql(replica, read.query, read.variables, keys[scope]);
      const what = `${moment}: ${read.name} with the ${scope} key`;
      expect({ status: answer.status, body: answer.body }, what).toEqual(
        await oracle(gateway, read.query, read.variables, keys[scope]),
      );
      expect(answer.body.errors, what).toBeUndefined();
      expect(answer.cache, what).toBe(position === 0 ? firstCache : "hit");
      if (position === 0) seen.set(read.name, answer.body);
    }
  }
  return seen;
}

interface ListBody {
  voices: { totalCount: number; nodes: Array<{ voiceId: string; name: string; archivedAt: string | null }> };
}
interface OneBody {
  voice: { voiceId: string; name: string; archivedAt: string | null } | null;
}
const listed = (body: Body | undefined) => (body?.data as unknown as ListBody).voices.nodes.map((voice) => voice.voiceId);
const one = (body: Body | undefined) => (body?.data as unknown as OneBody).voice;

const SCOPES: readonly Scope[] = ["read", "write", "admin"];
/** A different scope asks first after each change. */
const rotated = (index: number): Scope[] => SCOPES.map((_, i) => SCOPES[(i + index) % SCOPES.length]!);

test(
  "an edit, an archive, a restore and a clone on one process are in the very next answer on the other, for every scope",
  { timeout: TEST_TIMEOUT_MS },
  async ({ gateway, upstream, makeTempDir }) => {
    const db = gateway.database!;
    const prisma = gateway.container.db.prisma;
    const layla = await voiceUpsert(prisma, voiceData({ voiceId: "v_layla", name: "Layla", tags: ["calm"] }));
    await voiceUpsert(prisma, voiceData({ voiceId: "v_omar", name: "Omar" }));
    const keys = await issueKeys(gateway);
    const [a, b] = await Promise.all([
      startReplica(db, upstream, await makeTempDir("gw-a-")),
      startReplica(db, upstream, await makeTempDir("gw-b-")),
    ]);

    // Both processes have every answer cached before the first change.
    for (const replica of [b, a]) {
      await readAll(gateway, replica, keys, SCOPES, "stored", "before any change");
      await readAll(gateway, replica, keys, SCOPES, "hit", "before any change, again");
    }

    const mutate = async (query: string, variables: Record<string, unknown>, key: string) => {
      const answer = await graphql(a, query, variables, key);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.cache).toBeUndefined();
      return answer;
    };
    const changes: Array<{ change: string; make: () => Promise<unknown>; shows: (seen: Map<ReadName, Body>) => void }> = [
      {
        change: "updateVoice",
        make: () =>
          mutate(
            "mutation Edit($id: ID!, $input: UpdateVoiceInput!) { updateVoice(id: $id, input: $input) { voice { name } } }",
            { id: layla.id, input: { name: "Layla Z", description: "edited", tags: ["warm"] } },
            keys.write,
          ),
        shows: (seen) => expect(one(seen.get("Layla by voiceId"))).toMatchObject({ name: "Layla Z", archivedAt: null }),
      },
      {
        change: "archiveVoice",
        make: () => mutate("mutation Archive($id: ID!) { archiveVoice(id: $id) { voice { id } } }", { id: layla.id }, keys.write),
        shows: (seen) => {
          expect(listed(seen.get("list"))).toEqual(["v_omar"]);
          expect(listed(seen.get("list with archived"))).toEqual(["v_omar", "v_layla"]);
          expect(one(seen.get("Layla by voiceId"))?.archivedAt).toEqual(expect.any(String));
        },
      },
      {
        change: "restoreVoice",
        make: () => mutate("mutation Restore($id: ID!) { restoreVoice(id: $id) { voice { id } } }", { id: layla.id }, keys.admin),
        shows: (seen) => {
          expect(listed(seen.get("list"))).toEqual(["v_omar", "v_layla"]);
          expect(one(seen.get("Layla by voiceId"))?.archivedAt).toBeNull();
        },
      },
      {
        change: "cloneVoice",
        make: async () => {
          upstream.enqueue({ kind: "success", overrides: { voice_id: "v_nour" } });
          const form = buildMultipart(
            CLONE_VOICE,
            { input: { ...defaultCloneInput(), name: "Nour" } },
            {
              "input.voiceFile": { content: wav(), filename: "preview.wav" },
              "input.referenceAudioFile": { content: wav(32 * 1024), filename: "original.wav" },
            },
          );
          const answer = await post(a, form, { "apollo-require-preflight": "true", ...bearer(keys.write) });
          expect(answer.body.errors).toBeUndefined();
          expect(upstream.createdVoices).toHaveLength(1);
        },
        shows: (seen) => {
          expect(listed(seen.get("list"))).toEqual(["v_nour", "v_omar", "v_layla"]);
          expect(one(seen.get("Nour by voiceId"))).toMatchObject({ voiceId: "v_nour", name: "Nour" });
        },
      },
    ];
    // Nour is not in the catalog until the clone: B has that `null` cached too.
    const noNour = await graphql(b, ONE, { voiceId: "v_nour" }, keys.read);
    expect([noNour.cache, one(noNour.body)]).toEqual(["hit", null]);

    for (const [index, { change, make, shows }] of changes.entries()) {
      await make();
      // No wait, no retry: B's first request of each read after the change's answer is a miss, and shows it.
      shows(await readAll(gateway, b, keys, rotated(index), "stored", `B after ${change}`));
      // Then A, which made the change, likewise.
      shows(await readAll(gateway, a, keys, rotated(index + 1), "stored", `A after ${change}`));
    }
  },
);

test(
  "a process never serves a cached answer to a missing, unknown or revoked key, and never keeps a FORBIDDEN answer",
  { timeout: TEST_TIMEOUT_MS },
  async ({ gateway, makeTempDir, upstream }) => {
    const db = gateway.database!;
    await voiceUpsert(gateway.container.db.prisma, voiceData({ voiceId: "v_layla", name: "Layla" }));
    const keys = await issueKeys(gateway);
    const doomed = (await issueKey(gateway, "doomed", "read")).key;
    const [a, b] = await Promise.all([
      startReplica(db, upstream, await makeTempDir("gw-a-")),
      startReplica(db, upstream, await makeTempDir("gw-b-")),
    ]);
    for (const replica of [a, b]) {
      expect((await graphql(replica, LIST, {}, doomed)).cache).toBe("stored");
      expect((await graphql(replica, LIST, {}, doomed)).cache).toBe("hit");
    }

    const refusedOn = async (replica: Replica, key: string | undefined, headers: Record<string, string> = {}) => {
      const answer = await post(replica, JSON.stringify({ query: LIST, variables: {} }), {
        "content-type": "application/json",
        ...(key && bearer(key)),
        ...headers,
      });
      expect(answer.status).toBe(401);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(answer.body.data).toBeUndefined();
      expect(answer.cache).toBeUndefined();
    };
    await refusedOn(b, undefined);
    await refusedOn(b, "fvg_not-a-key");
    await refusedOn(b, undefined, { authorization: "Basic abc" });

    // Revoked on A: refused there at once, and on B as soon as the announcement arrives, while the answer stays cached.
    const revoke = await graphql(
      a,
      "mutation Revoke($key: String!) { revokeApiKey(key: $key) { revokedAt } }",
      { key: doomed },
      keys.admin,
    );
    expect(revoke.body.errors).toBeUndefined();
    await refusedOn(a, doomed);
    await waitFor(
      async () => (await graphql(b, LIST, {}, doomed)).status === 401,
      REVOCATION_BOUND_MS,
      "the revoked key to be refused by B",
    );
    await refusedOn(b, doomed);
    for (const replica of [a, b]) expect((await graphql(replica, LIST, {}, keys.read)).cache).toBe("hit");

    // FORBIDDEN is never kept, nor served from an answer kept for a key that may see more; each scope gets its own answer.
    // (`__typename`: keys made in the same millisecond list in either order.)
    const mixed = "query Mixed { voices { totalCount } apiKeys { __typename } }";
    for (const scope of ["read", "admin", "read", "write", "admin"] as const) {
      const answer = await graphql(b, mixed, {}, keys[scope]);
      expect({ status: answer.status, body: answer.body }, scope).toEqual(await oracle(gateway, mixed, {}, keys[scope]));
      expect(answer.cache, scope).toBeUndefined();
      expect(answer.body.errors?.[0]?.extensions?.code, scope).toBe(scope === "admin" ? undefined : "FORBIDDEN");
    }
    // A refused mutation changes nothing: B's cached list is still current, and served.
    const layla = await gateway.container.db.prisma.voice.findFirstOrThrow({ where: { voiceId: "v_layla" } });
    for (let round = 0; round < 2; round += 1) {
      const refused = await graphql(
        a,
        "mutation A($id: ID!) { archiveVoice(id: $id) { voice { id } } }",
        { id: layla.id },
        keys.read,
      );
      expect(refused.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(refused.cache).toBeUndefined();
    }
    const after = await graphql(b, LIST, {}, keys.read);
    expect(after.cache).toBe("hit");
    expect({ status: after.status, body: after.body }).toEqual(await oracle(gateway, LIST, {}, keys.read));
    expect(listed(after.body)).toEqual(["v_layla"]);
  },
);
