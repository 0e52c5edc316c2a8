// The response cache for catalog reads, over real HTTP on a real
// PostgreSQL: what it serves again, what it never keeps, and that a change
// to the catalog from anywhere (another replica's clone, another connection's
// write) is in the very next answer, with no wait.
import { randomUUID } from "node:crypto";
import { voiceUpsert } from "../../src/services/catalog/voice-writes.js";
import { bearer, createKey } from "../support/api-keys.js";
import { cloneVoice, cloneWithLargeFiles } from "../support/clone.js";
import { filesOf } from "../../dev/fake-faseeh.js";
import { expect, test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";
import { voiceData } from "../support/voice-data.js";

test.override("gatewayOptions", { env: { RESPONSE_CACHE: "true" } });

const LIST =
  "query Newest($filter: VoiceFilter) { voices(filter: $filter, first: 5) { totalCount edges { node { voiceId name } } } }";

interface ListData {
  voices: { totalCount: number; edges: Array<{ node: { voiceId: string; name: string } }> };
}

/** Sends a request under its own request id and says how the cache took part, from the request's log line. */
async function send(
  gateway: TestGateway,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const requestId = randomUUID();
  const response = await gateway.graphql<ListData>(query, variables, { "x-request-id": requestId, ...headers });
  const line = gateway.logs.find((entry) => entry.msg === "request" && entry.requestId === requestId);
  return { ...response, cache: line?.cache as "hit" | "stored" | undefined };
}

const names = (data: ListData | null | undefined) => data?.voices.edges.map((edge) => edge.node.name);

test("serves a repeated catalog read from the cache until the catalog changes, then the change at once", async ({ gateway }) => {
  const prisma = gateway.container.db.prisma;
  await voiceUpsert(prisma, voiceData({ name: "Layla" }));

  const first = await send(gateway, LIST);
  expect(first.cache).toBe("stored");
  const second = await send(gateway, LIST);
  expect(second.cache).toBe("hit");
  expect(second.body).toEqual(first.body);
  expect(second.headers["content-type"]).toBe(first.headers["content-type"]);
  expect(names(second.body.data)).toEqual(["Layla"]);

  // Written on another connection, as another replica or a script would: seen by the next request.
  await gateway.database!.query(
    `INSERT INTO voices (id, voice_id, name, stability, model) VALUES (gen_random_uuid(), 'v_sql', 'Samir', 0.5, 'faseeh-v1')`,
  );
  const third = await send(gateway, LIST);
  expect(third.cache).toBe("stored");
  expect(names(third.body.data)).toEqual(["Samir", "Layla"]);
  expect(third.body.data?.voices.totalCount).toBe(2);

  // An edit and a removal make it stale just the same.
  await gateway.database!.query(`UPDATE voices SET name = 'Samir Z' WHERE voice_id = 'v_sql'`);
  expect(names((await send(gateway, LIST)).body.data)).toEqual(["Samir Z", "Layla"]);
  await gateway.database!.query(`DELETE FROM voices WHERE voice_id = 'v_sql'`);
  const afterDelete = await send(gateway, LIST);
  expect(afterDelete.cache).toBe("stored");
  expect(names(afterDelete.body.data)).toEqual(["Layla"]);
  expect((await send(gateway, LIST)).cache).toBe("hit");
});

test("a voice cloned on another replica is in the very next list on this one", async ({ gateway, upstream, startGateway }) => {
  const replica = await startGateway({ testDatabase: gateway.database, upstream, env: { RESPONSE_CACHE: "true" } });
  await voiceUpsert(gateway.container.db.prisma, voiceData({ name: "Layla" }));
  for (const target of [gateway, replica]) {
    await send(target, LIST);
    expect((await send(target, LIST)).cache).toBe("hit");
  }

  // Files that span many stream chunks, checked on Faseeh's side against what was sent.
  const cloned = await cloneWithLargeFiles(replica, { name: "Nour" });
  expect(cloned.response.body.errors).toBeUndefined();
  expect(upstream.requests).toHaveLength(1);
  expect(filesOf(upstream.requests[0]!)).toEqual(cloned.sent);

  // No wait, no retry: the first request after the clone's answer shows the voice on both replicas.
  for (const target of [gateway, replica]) {
    const next = await send(target, LIST);
    expect(next.cache).toBe("stored");
    expect(names(next.body.data)).toEqual(["Nour", "Layla"]);
  }
});

test("keeps each request apart: variables, operation and negotiated content type", async ({ gateway }) => {
  const prisma = gateway.container.db.prisma;
  await voiceUpsert(prisma, voiceData({ name: "Layla", gender: "female", languages: ["ar"] }));
  await voiceUpsert(prisma, voiceData({ name: "Omar", gender: "male", languages: ["ar"] }));

  const female = await send(gateway, LIST, { filter: { gender: "female" } });
  const male = await send(gateway, LIST, { filter: { gender: "male" } });
  expect(names(female.body.data)).toEqual(["Layla"]);
  expect(names(male.body.data)).toEqual(["Omar"]);
  expect(names((await send(gateway, LIST, { filter: { gender: "female" } })).body.data)).toEqual(["Layla"]);
  expect(names((await send(gateway, LIST, { filter: { gender: "male" } })).body.data)).toEqual(["Omar"]);

  const spec = { accept: "application/graphql-response+json" };
  const json = { accept: "application/json" };
  for (let round = 0; round < 2; round += 1) {
    const asSpec = await send(gateway, LIST, {}, spec);
    const asJson = await send(gateway, LIST, {}, json);
    expect(asSpec.cache).toBe(round === 0 ? "stored" : "hit");
    expect(asJson.cache).toBe(round === 0 ? "stored" : "hit");
    expect(asSpec.headers["content-type"]).toMatch(/^application\/graphql-response\+json/);
    expect(asJson.headers["content-type"]).toMatch(/^application\/json/);
  }

  const byVoiceId = "query One($voiceId: String) { voice(voiceId: $voiceId) { name } }";
  const omar = (await prisma.voice.findFirstOrThrow({ where: { name: "Omar" } })).voiceId;
  await send(gateway, byVoiceId, { voiceId: omar });
  const again = await gateway.graphql<{ voice: { name: string } | null }>(byVoiceId, { voiceId: omar });
  expect(again.body.data?.voice?.name).toBe("Omar");
  expect((await gateway.graphql<{ voice: null }>(byVoiceId, { voiceId: "no-such-voice" })).body.data?.voice).toBeNull();
});

test("never keeps an answer with errors, a caller's own clone attempts, or a mutation", async ({ gateway, upstream }) => {
  const tooMany = await send(gateway, "{ voices(first: 1000) { totalCount } }");
  expect(tooMany.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  const tooManyAgain = await send(gateway, "{ voices(first: 1000) { totalCount } }");
  expect(tooManyAgain.cache).toBeUndefined();
  expect(tooManyAgain.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");

  // Two callers, the same query text: each sees only their own attempts, every time.
  const alice = await createKey(gateway.database!, "alice", "write");
  const bob = await createKey(gateway.database!, "bob", "write");
  expect((await cloneVoice(gateway, { headers: bearer(alice.key) })).body.errors).toBeUndefined();
  expect(upstream.requests).toHaveLength(1);
  const attempts = "{ cloneAttempts { status } }";
  for (let round = 0; round < 2; round += 1) {
    const ofAlice = await send(gateway, attempts, {}, bearer(alice.key));
    const ofBob = await send(gateway, attempts, {}, bearer(bob.key));
    expect(ofAlice.body.data).toEqual({ cloneAttempts: [{ status: "SUCCEEDED" }] });
    expect(ofBob.body.data).toEqual({ cloneAttempts: [] });
    expect([ofAlice.cache, ofBob.cache]).toEqual([undefined, undefined]);
  }
  // A mutation runs every time: two identical requests make two keys.
  const admin = await createKey(gateway.database!, "admin", "admin");
  const create = 'mutation { createApiKey(name: "tool", scope: READ) { apiKey { id } } }';
  const made = [await send(gateway, create, {}, bearer(admin.key)), await send(gateway, create, {}, bearer(admin.key))];
  expect(made.map((answer) => answer.cache)).toEqual([undefined, undefined]);
  const ids = made.map(
    (answer) => (answer.body.data as unknown as { createApiKey: { apiKey: { id: string } } }).createApiKey.apiKey.id,
  );
  expect(new Set(ids).size).toBe(2);
  // A mixed query (catalog plus the caller's attempts) is the caller's too.
  const mixed = "{ voices { totalCount } cloneAttempts { status } }";
  await send(gateway, mixed, {}, bearer(alice.key));
  expect((await send(gateway, mixed, {}, bearer(bob.key))).body.data).toEqual({ voices: { totalCount: 1 }, cloneAttempts: [] });
});

test("a cached answer is still refused to a caller without a valid key", async ({ gateway }) => {
  const reader = await createKey(gateway.database!, "reader", "read");
  await send(gateway, LIST, {}, bearer(reader.key));
  expect((await send(gateway, LIST, {}, bearer(reader.key))).cache).toBe("hit");

  for (const headers of [{}, bearer("fvg_not-a-key"), { authorization: "Basic abc" }]) {
    const refused = await send(gateway, LIST, {}, headers);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(refused.body.data).toBeUndefined();
    expect(refused.cache).toBeUndefined();
  }
});

test("steps aside, answering correctly, when the catalog version cannot be read", async ({ gateway }) => {
  await voiceUpsert(gateway.container.db.prisma, voiceData({ name: "Layla" }));
  await gateway.database!.query("DELETE FROM catalog_version");
  for (let round = 0; round < 2; round += 1) {
    const answer = await send(gateway, LIST);
    expect(answer.cache).toBeUndefined();
    expect(names(answer.body.data)).toEqual(["Layla"]);
  }
  // The next write puts the row back (the trigger inserts it), and caching resumes.
  await voiceUpsert(gateway.container.db.prisma, voiceData({ name: "Omar" }));
  expect((await send(gateway, LIST)).cache).toBe("stored");
  expect(names((await send(gateway, LIST)).body.data)).toEqual(["Omar", "Layla"]);
});

test("is on by default, and RESPONSE_CACHE=false turns it off", async ({ gateway, startGateway }) => {
  const byDefault = await startGateway({ testDatabase: gateway.database });
  expect((await send(byDefault, LIST)).cache).toBe("stored");
  expect((await send(byDefault, LIST)).cache).toBe("hit");
  const off = await startGateway({ testDatabase: gateway.database, env: { RESPONSE_CACHE: "false" } });
  for (let round = 0; round < 2; round += 1) expect((await send(off, LIST)).cache).toBeUndefined();
});
