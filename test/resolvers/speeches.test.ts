// speeches (a key's answered speak, newest first, paged with cursors), the
// per-key SPEAK_RATE_LIMIT_PER_MINUTE (which kept audio never counts toward),
// and speech's metrics, over real HTTP against the fake Faseeh.
import { SpeechesDocument } from "../generated/operations.js";
import { bearer, issueKey } from "../support/api-keys.js";
import { ManualClock } from "../support/clock.js";
import { describe, expect, test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";
import { fetchAudio, previewVoice } from "../support/preview.js";
import { metricValue, seedVoice, speak, SPEECH_TEXT, spoken } from "../support/speech.js";
import { waitFor } from "../support/wait.js";

test.override("gatewayOptions", { env: { SPEAK_RATE_LIMIT_PER_MINUTE: "100000" } });

const listSpeeches = (gateway: TestGateway, key: string, variables: { first?: number; after?: string } = {}) =>
  gateway.graphql(SpeechesDocument, variables, bearer(key));

describe("speeches", () => {
  test("a key sees its own answers, newest first; an admin key sees everybody's", async ({ gateway, upstream }) => {
    const voice = await seedVoice(gateway, upstream);
    const alice = await issueKey(gateway, "alice", "write");
    const bob = await issueKey(gateway, "bob", "write");
    const admin = await issueKey(gateway, "ops", "admin");
    const reader = await issueKey(gateway, "reader", "read");
    const said = async (key: string, text: string) => spoken(gateway, { voiceId: voice.voiceId, text }, bearer(key));
    const a1 = await said(alice.key, "الأول من أليس");
    const b1 = await said(bob.key, "الأول من بوب");
    const a2 = await said(alice.key, "الثاني من أليس");
    const b2 = await said(bob.key, "الأول من أليس"); // alice's line: kept audio, bob's own answer
    expect(b2.cached).toBe(true);

    const ids = async (key: string) => (await listSpeeches(gateway, key)).body.data!.speeches.nodes.map((node) => node.id);
    expect(await ids(alice.key)).toEqual([a2.id, a1.id]);
    expect(await ids(bob.key)).toEqual([b2.id, b1.id]);
    expect(await ids(admin.key)).toEqual([b2.id, a2.id, b1.id, a1.id]);
    expect(await ids(reader.key)).toEqual([]);

    const listed = (await listSpeeches(gateway, bob.key)).body.data!.speeches.nodes[0]!;
    expect(listed).toMatchObject({ id: b2.id, text: "الأول من أليس", cached: true, characters: 13 });
    // A listed speech's URL is freshly signed, and plays.
    expect((await fetchAudio(listed.audioUrl)).status).toBe(200);
  });

  test("pages with first and after", async ({ gateway, upstream }) => {
    const voice = await seedVoice(gateway, upstream);
    const writer = await issueKey(gateway, "writer", "write");
    const made = [];
    for (const word of ["واحد", "اثنان", "ثلاثة", "أربعة", "خمسة"]) {
      made.push(await spoken(gateway, { voiceId: voice.voiceId, text: `${word} ${SPEECH_TEXT}` }, bearer(writer.key)));
    }
    const newestFirst = made.map((speech) => speech.id).reverse();
    const seen: string[] = [];
    let after: string | undefined;
    const pages: boolean[] = [];
    do {
      const page = (await listSpeeches(gateway, writer.key, { first: 2, ...(after && { after }) })).body.data!.speeches;
      seen.push(...page.nodes.map((node) => node.id));
      pages.push(page.pageInfo.hasNextPage);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : undefined;
    } while (after);
    expect(seen).toEqual(newestFirst);
    expect(pages).toEqual([true, true, false]);
    const all = (await listSpeeches(gateway, writer.key, { first: 5 })).body.data!.speeches;
    expect(all.pageInfo.hasNextPage).toBe(false);
    expect(all.nodes.map((node) => node.id)).toEqual(newestFirst);
  });

  test.for([
    ["a cursor that is not one", { after: "not-a-cursor" }, "after"],
    ["a cursor of another shape", { after: Buffer.from('["yesterday","x"]').toString("base64url") }, "after"],
    ["first 0", { first: 0 }, "first"],
    ["first 101", { first: 101 }, "first"],
  ] as const)("refuses %s", async ([, variables, field], { gateway }) => {
    const writer = await issueKey(gateway, "writer", "write");
    const response = await listSpeeches(gateway, writer.key, variables);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  });
});

test("SPEAK_RATE_LIMIT_PER_MINUTE counts each key's calls to Faseeh; kept audio still answers", async ({
  upstream,
  startGateway,
}) => {
  // The limit counts per calendar minute: on a clock standing 15 s into this one, none ends during the test.
  const clock = new ManualClock(Date.now() - (Date.now() % 60_000) + 15_000);
  const gateway = await startGateway({ upstream, clock, env: { SPEAK_RATE_LIMIT_PER_MINUTE: "2" } });
  const voice = await seedVoice(gateway, upstream);
  const alice = bearer((await issueKey(gateway, "alice", "write")).key);
  const bob = bearer((await issueKey(gateway, "bob", "write")).key);
  const line = (n: number) => ({ voiceId: voice.voiceId, text: `${SPEECH_TEXT} ${n}` });
  expect((await spoken(gateway, line(1), alice)).cached).toBe(false);
  expect((await spoken(gateway, line(2), alice)).cached).toBe(false);
  const limited = await speak(gateway, line(3), alice);
  expect(limited.body.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", reason: "CLIENT_RATE_LIMIT" });
  expect(limited.body.errors?.[0]?.message).toContain("Too many speech requests");
  expect(upstream.speechRequests).toHaveLength(2);
  // A repeat makes no call, so it is not limited; another key has its own budget.
  expect((await spoken(gateway, line(1), alice)).cached).toBe(true);
  expect((await spoken(gateway, line(3), bob)).cached).toBe(false);
  expect(upstream.speechRequests).toHaveLength(3);
  // Next minute, alice may call again.
  clock.advance(60_000);
  expect((await spoken(gateway, line(4), alice)).cached).toBe(false);
});

test("a speak holds one of the UPSTREAM_MAX_CONCURRENCY slots clones and previews share", async ({ upstream, startGateway }) => {
  const gateway = await startGateway({ upstream, env: { UPSTREAM_MAX_CONCURRENCY: "1" } });
  const voice = await seedVoice(gateway, upstream);
  let release!: () => void;
  upstream.enqueueSpeech({ kind: "hold", until: new Promise<void>((resolve) => (release = resolve)), then: { kind: "success" } });
  const speech = speak(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT });
  await waitFor(() => upstream.inFlight === 1, 10_000, "the speak holding the slot");
  const preview = previewVoice(gateway);
  await waitFor(() => gateway.container.limiter.waiting === 1, 10_000, "the preview queued behind the speak");
  expect(gateway.container.limiter.running).toBe(1);
  expect(upstream.previewRequests).toHaveLength(0);
  release();
  expect((await speech).body.errors).toBeUndefined();
  expect((await preview).body.errors).toBeUndefined();
  expect(upstream.peakInFlight).toBe(1);
  expect(upstream.previewRequests).toHaveLength(1);
});

test("metrics count calls by outcome, cache hits and the characters Faseeh billed or may have", async ({ gateway, upstream }) => {
  const voice = await seedVoice(gateway, upstream);
  const read = async () => ({
    succeeded: await metricValue(gateway, "gateway_speech_calls_total", '{outcome="succeeded"}'),
    failed: await metricValue(gateway, "gateway_speech_calls_total", '{outcome="failed"}'),
    unknown: await metricValue(gateway, "gateway_speech_calls_total", '{outcome="unknown"}'),
    hits: await metricValue(gateway, "gateway_speech_cache_hits_total"),
    characters: await metricValue(gateway, "gateway_speech_characters_total"),
  });
  const before = await read();
  const moved = async () => {
    const now = await read();
    return Object.fromEntries(Object.entries(now).map(([name, value]) => [name, value - before[name as keyof typeof now]]));
  };
  await spoken(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT }); // 17 characters
  await spoken(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT });
  await spoken(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT });
  expect(await moved()).toEqual({ succeeded: 1, failed: 0, unknown: 0, hits: 2, characters: 17 });

  upstream.enqueueSpeech({ kind: "error", status: 400 }, { kind: "error", status: 500 });
  const failed = await speak(gateway, { voiceId: voice.voiceId, text: "نص آخر" }); // 6 characters, certainly not billed
  expect(failed.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_BAD_REQUEST");
  const unknown = await speak(gateway, { voiceId: voice.voiceId, text: "نص ثالث" }); // 7 characters, maybe billed
  expect(unknown.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
  expect(await moved()).toEqual({ succeeded: 1, failed: 1, unknown: 1, hits: 2, characters: 24 });
});
