// The clone attempt state machine, applied by CloneAttemptStore on a real
// PostgreSQL database: every move the table allows happens, every other
// move is refused, and two actors racing for one move never both win.
import {
  ATTEMPT_TRANSITIONS,
  type AttemptTransitionName,
  canTransition,
} from "../../../src/services/clone/clone-attempt-lifecycle.js";
import type { CloneAttemptStatus, CloneAttemptStore } from "../../../src/services/clone/clone-attempt-store.js";
import { describe, expect, test } from "../../support/fixtures.js";
import type { TestGateway } from "../../support/gateway.js";
import { seedAttempt } from "./clone-attempt-lifecycle.scenarios.js";
import { voiceData } from "../../support/voice-data.js";

test.override("gatewayOptions", { withUpstream: false });

const STATUSES: CloneAttemptStatus[] = ["PENDING", "SUCCEEDED", "FAILED", "UNKNOWN"];

const statusOf = async (gateway: TestGateway, id: string) =>
  (await gateway.database!.query<{ status: string }>("SELECT status FROM clone_attempts WHERE id = $1", [id]))[0]!.status;

const error = { code: "UPSTREAM_OUTCOME_UNKNOWN" as const, message: "m" };

/** Each move through the store's own method; true when the attempt moved. */
const moves = (gateway: TestGateway): Record<AttemptTransitionName, (id: string) => Promise<boolean>> => {
  const store: CloneAttemptStore = gateway.container.attempts;
  return {
    recordVoice: async (id) => {
      await store.recordVoice(id, voiceData({ name: "Layla", sampleUrl: null }), "faseeh-v1");
      return (await statusOf(gateway, id)) === "SUCCEEDED";
    },
    fail: (id) => store.fail(id, { error }),
    markUnknown: (id) => store.markUnknown(id, { error }),
    retake: (id) => store.retake(id, "h2"),
    resolveNotCreated: (id) => store.resolveNotCreated(id),
    resolveCreated: (id) => store.resolveCreated(id, "voice_by_hand"),
  };
};

describe("ATTEMPT_TRANSITIONS as applied by the store", () => {
  const cases = (Object.keys(ATTEMPT_TRANSITIONS) as AttemptTransitionName[]).flatMap((name) =>
    STATUSES.map((from) => ({ name, from, allowed: canTransition(name, from), to: ATTEMPT_TRANSITIONS[name].to })),
  );

  test.for(cases)("$name from $from: allowed=$allowed", async ({ name, from, allowed, to }, { gateway }) => {
    const id = await seedAttempt(gateway, { status: from });
    const moved = await moves(gateway)[name](id);
    expect(await statusOf(gateway, id)).toBe(allowed ? to : from);
    // recordVoice from SUCCEEDED re-states it; every other allowed move reports itself.
    if (name !== "recordVoice") expect(moved).toBe(allowed);
  });

  test("lets exactly one of two racing retakes win", async ({ gateway }) => {
    const store = gateway.container.attempts;
    const id = await seedAttempt(gateway, { status: "FAILED" });
    const results = await Promise.all([store.retake(id, "a"), store.retake(id, "b"), store.retake(id, "c")]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await statusOf(gateway, id)).toBe("PENDING");
  });

  test("records who resolved an attempt and when", async ({ gateway }) => {
    const store = gateway.container.attempts;
    const id = await seedAttempt(gateway, { status: "UNKNOWN" });
    expect(await store.resolveCreated(id, "voice_x")).toBe(true);
    const [row] = await gateway.database!.query<{ voice_id: string; resolved_at: Date | null }>(
      "SELECT voice_id, resolved_at FROM clone_attempts WHERE id = $1",
      [id],
    );
    expect(row).toMatchObject({ voice_id: "voice_x", resolved_at: expect.any(Date) as unknown });
    expect((await store.awaitingVoiceRecord()).map((attempt) => attempt.id)).toEqual([id]);
  });
});
