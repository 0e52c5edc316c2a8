// The clone attempt state machine, applied by CloneAttemptStore on a real
// PostgreSQL database: every move the table allows happens, every other
// move is refused, and two actors racing for one move never both win.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ATTEMPT_TRANSITIONS, type AttemptTransitionName, canTransition } from "../../src/services/clone-attempt-lifecycle.js";
import type { CloneAttemptStatus, CloneAttemptStore } from "../../src/services/clone-attempt-store.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let gateway: TestGateway;
let store: CloneAttemptStore;

beforeAll(async () => {
  gateway = await startTestGateway();
  store = gateway.container.attempts;
});
afterAll(async () => {
  await gateway?.stop();
});
beforeEach(async () => {
  await gateway.database!.query("TRUNCATE voices, clone_attempts");
});

const STATUSES: CloneAttemptStatus[] = ["PENDING", "SUCCEEDED", "FAILED", "UNKNOWN"];

async function attemptIn(status: CloneAttemptStatus): Promise<string> {
  const id = randomUUID();
  await gateway.database!.query(
    `INSERT INTO clone_attempts (id, owner, request_hash, status, name, model, updated_at, expires_at)
     VALUES ($1, 'anonymous', 'h', $2, 'Layla', 'faseeh-v1', now(), now() + interval '1 day')`,
    [id, status],
  );
  return id;
}

const statusOf = async (id: string) =>
  (await gateway.database!.query<{ status: string }>("SELECT status FROM clone_attempts WHERE id = $1", [id]))[0]!.status;

const voice = () => ({
  id: randomUUID(),
  voiceId: `voice_${randomUUID().slice(0, 8)}`,
  name: "Layla",
  description: null,
  gender: null,
  age: null,
  languages: [],
  dialects: [],
  type: "cloned",
  sampleUrl: null,
  avatarUrl: null,
  stability: 0.5,
});

const error = { code: "UPSTREAM_OUTCOME_UNKNOWN" as const, message: "m" };

/** Each move through the store's own method; true when the attempt moved. */
const MOVES: Record<AttemptTransitionName, (id: string) => Promise<boolean>> = {
  recordVoice: async (id) => {
    await store.recordVoice(id, voice(), "faseeh-v1");
    return (await statusOf(id)) === "SUCCEEDED";
  },
  fail: (id) => store.fail(id, { error }),
  markUnknown: (id) => store.markUnknown(id, { error }),
  retake: (id) => store.retake(id, "h2"),
  resolveNotCreated: (id) => store.resolveNotCreated(id),
  resolveCreated: (id) => store.resolveCreated(id, "voice_by_hand"),
};

describe("ATTEMPT_TRANSITIONS as applied by the store", () => {
  const cases = (Object.keys(ATTEMPT_TRANSITIONS) as AttemptTransitionName[]).flatMap((name) =>
    STATUSES.map((from) => ({ name, from, allowed: canTransition(name, from), to: ATTEMPT_TRANSITIONS[name].to })),
  );

  it.each(cases)("$name from $from: allowed=$allowed", async ({ name, from, allowed, to }) => {
    const id = await attemptIn(from);
    const moved = await MOVES[name](id);
    expect(await statusOf(id)).toBe(allowed ? to : from);
    // recordVoice from SUCCEEDED re-states it; every other allowed move reports itself.
    if (name !== "recordVoice") expect(moved).toBe(allowed);
  });

  it("lets exactly one of two racing retakes win", async () => {
    const id = await attemptIn("FAILED");
    const results = await Promise.all([store.retake(id, "a"), store.retake(id, "b"), store.retake(id, "c")]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await statusOf(id)).toBe("PENDING");
  });

  it("records who resolved an attempt and when", async () => {
    const id = await attemptIn("UNKNOWN");
    expect(await store.resolveCreated(id, "voice_x")).toBe(true);
    const [row] = await gateway.database!.query<{ voice_id: string; resolved_at: Date | null }>(
      "SELECT voice_id, resolved_at FROM clone_attempts WHERE id = $1",
      [id],
    );
    expect(row).toMatchObject({ voice_id: "voice_x", resolved_at: expect.any(Date) });
    expect((await store.awaitingVoiceRecord()).map((attempt) => attempt.id)).toEqual([id]);
  });
});
