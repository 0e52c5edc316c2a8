// The clone attempt state machine, applied by CloneAttemptStore on a real
// PostgreSQL database: every move the lifecycle allows happens, every other
// move is refused, the stale sweep moves only what a dead process left
// PENDING, and two actors racing for one move never both win. The expected
// moves are written out by hand below, not read from ATTEMPT_TRANSITIONS:
// the table and the store are both checked against them.
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

/** Every move from every status, and the status it leaves the attempt in ("stays" when refused). */
const EXPECTED: Array<{ name: AttemptTransitionName; from: CloneAttemptStatus; to: CloneAttemptStatus | "stays" }> = [
  { name: "recordVoice", from: "PENDING", to: "SUCCEEDED" },
  { name: "recordVoice", from: "SUCCEEDED", to: "SUCCEEDED" },
  { name: "recordVoice", from: "FAILED", to: "SUCCEEDED" },
  { name: "recordVoice", from: "UNKNOWN", to: "SUCCEEDED" },
  { name: "fail", from: "PENDING", to: "FAILED" },
  { name: "fail", from: "SUCCEEDED", to: "stays" },
  { name: "fail", from: "FAILED", to: "stays" },
  { name: "fail", from: "UNKNOWN", to: "stays" },
  { name: "markUnknown", from: "PENDING", to: "UNKNOWN" },
  { name: "markUnknown", from: "SUCCEEDED", to: "stays" },
  { name: "markUnknown", from: "FAILED", to: "stays" },
  { name: "markUnknown", from: "UNKNOWN", to: "stays" },
  { name: "retake", from: "PENDING", to: "stays" },
  { name: "retake", from: "SUCCEEDED", to: "stays" },
  { name: "retake", from: "FAILED", to: "PENDING" },
  { name: "retake", from: "UNKNOWN", to: "stays" },
  { name: "resolveNotCreated", from: "PENDING", to: "stays" },
  { name: "resolveNotCreated", from: "SUCCEEDED", to: "stays" },
  { name: "resolveNotCreated", from: "FAILED", to: "stays" },
  { name: "resolveNotCreated", from: "UNKNOWN", to: "FAILED" },
  { name: "resolveCreated", from: "PENDING", to: "stays" },
  { name: "resolveCreated", from: "SUCCEEDED", to: "stays" },
  { name: "resolveCreated", from: "FAILED", to: "stays" },
  { name: "resolveCreated", from: "UNKNOWN", to: "SUCCEEDED" },
];

describe("ATTEMPT_TRANSITIONS as applied by the store", () => {
  test("the hand-written moves cover every move of the table from every status", () => {
    expect(EXPECTED.map(({ name, from }) => `${name} ${from}`).sort()).toEqual(
      (Object.keys(ATTEMPT_TRANSITIONS) as AttemptTransitionName[])
        .flatMap((name) => STATUSES.map((from) => `${name} ${from}`))
        .sort(),
    );
  });

  test.for(EXPECTED)("the table: $name from $from -> $to", ({ name, from, to }) => {
    expect(canTransition(name, from)).toBe(to !== "stays");
    if (to !== "stays") expect(ATTEMPT_TRANSITIONS[name].to).toBe(to);
  });

  test.for(EXPECTED)("the store: $name from $from -> $to", async ({ name, from, to }, { gateway }) => {
    const id = await seedAttempt(gateway, { status: from });
    const moved = await moves(gateway)[name](id);
    expect(await statusOf(gateway, id)).toBe(to === "stays" ? from : to);
    // recordVoice from SUCCEEDED re-states it; every other allowed move reports itself.
    if (name !== "recordVoice") expect(moved).toBe(to !== "stays");
  });

  test("the stale sweep moves only PENDING attempts older than its bound to UNKNOWN, with the reason", async ({ gateway }) => {
    // Two hours old, against a bound of one hour ago: the attempts the other tests leave here are younger.
    const seeded = await Promise.all(
      STATUSES.map(async (status) => [status, await seedAttempt(gateway, { status, minutesOld: 120 })] as const),
    );
    const ids = Object.fromEntries(seeded) as Record<CloneAttemptStatus, string>;
    const young = await seedAttempt(gateway, { status: "PENDING" });
    expect(await gateway.container.attempts.markStalePendingUnknown(new Date(Date.now() - 3_600_000))).toBe(1);
    expect(await statusOf(gateway, ids.PENDING)).toBe("UNKNOWN");
    expect(await statusOf(gateway, ids.SUCCEEDED)).toBe("SUCCEEDED");
    expect(await statusOf(gateway, ids.FAILED)).toBe("FAILED");
    expect(await statusOf(gateway, ids.UNKNOWN)).toBe("UNKNOWN");
    expect(await statusOf(gateway, young)).toBe("PENDING");
    const [row] = await gateway.database!.query<{ error_code: string }>("SELECT error_code FROM clone_attempts WHERE id = $1", [
      ids.PENDING,
    ]);
    expect(row?.error_code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
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
