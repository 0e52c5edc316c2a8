// The decisions about a clone attempt's fate (clone-decisions.ts), one table
// each, written out by hand: what a failed call moves its attempt to, what
// an earlier attempt with the same key means, which refusals are recorded,
// how a call counts in the metrics, and which PENDING attempts a dead
// process left behind.
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors.js";
import { upstreamOutcomeUnknown, withUpstreamOutcome } from "../../../src/upstream/upstream-errors.js";
import type { CloneAttemptStatus } from "../../../src/services/clone/clone-attempt-lifecycle.js";
import {
  abandonedPendingCutoff,
  callOutcome,
  failureAnswer,
  failureMove,
  isRecordedRefusal,
  outcomeUnknownAtShutdown,
  replayDecision,
} from "../../../src/services/clone/clone-decisions.js";

describe("failureMove", () => {
  // upstreamOutcome: what the upstream client says of Faseeh; complete: the closing boundary was on its way.
  const table = [
    { upstreamOutcome: "rejected", complete: false, move: "fail" },
    { upstreamOutcome: "rejected", complete: true, move: "fail" },
    { upstreamOutcome: "unknown", complete: false, move: "markUnknown" },
    { upstreamOutcome: "unknown", complete: true, move: "markUnknown" },
    { upstreamOutcome: undefined, complete: false, move: "fail" },
    { upstreamOutcome: undefined, complete: true, move: "markUnknown" },
  ] as const;

  it.for(table)("upstreamOutcome $upstreamOutcome, complete $complete: $move", ({ upstreamOutcome, complete, move }) => {
    expect(failureMove({ upstreamOutcome }, complete)).toBe(move);
  });

  it("moves an attempt whose answer shutdown stopped waiting for to UNKNOWN", () => {
    expect(failureMove(outcomeUnknownAtShutdown("a1"), true)).toBe("markUnknown");
    expect(failureMove(outcomeUnknownAtShutdown("a1"), false)).toBe("markUnknown");
  });
});

describe("failureAnswer", () => {
  it("answers a failed attempt's error as it is", () => {
    const error = withUpstreamOutcome(new GatewayError("INSUFFICIENT_BALANCE", "low"), "rejected");
    expect(failureAnswer(error, "fail", "a1")).toBe(error);
  });

  it("names the attempt in an unknown outcome Faseeh's client reported", () => {
    const answer = failureAnswer(upstreamOutcomeUnknown("HTTP 502"), "markUnknown", "a1");
    expect(answer.code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
    expect(answer.extensions).toMatchObject({ attemptId: "a1" });
    expect(answer.message).toContain("HTTP 502");
    expect(answer.message).toContain("clone attempt a1 stays UNKNOWN");
  });

  it("turns the gateway's own failure after the whole request into an unknown outcome naming the attempt", () => {
    const answer = failureAnswer(new GatewayError("INTERNAL_SERVER_ERROR", "boom"), "markUnknown", "a2");
    expect(answer.code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
    expect(answer.upstreamOutcome).toBe("unknown");
    expect(answer.extensions).toMatchObject({ attemptId: "a2" });
    expect(answer.message).toContain("the gateway failed while waiting for the answer");
  });
});

describe("replayDecision", () => {
  // This request's hash is "mine"; "pending" is an earlier attempt's hash before its files arrived in full.
  const table: Array<{ status: CloneAttemptStatus; earlierHash: string; decision: string }> = [
    { status: "SUCCEEDED", earlierHash: "mine", decision: "replay" },
    { status: "SUCCEEDED", earlierHash: "pending", decision: "replay" },
    { status: "SUCCEEDED", earlierHash: "other", decision: "reused" },
    { status: "FAILED", earlierHash: "mine", decision: "retake" },
    { status: "FAILED", earlierHash: "pending", decision: "retake" },
    { status: "FAILED", earlierHash: "other", decision: "reused" },
    { status: "UNKNOWN", earlierHash: "mine", decision: "unknown" },
    { status: "UNKNOWN", earlierHash: "pending", decision: "unknown" },
    { status: "UNKNOWN", earlierHash: "other", decision: "reused" },
    { status: "PENDING", earlierHash: "mine", decision: "wait" },
    { status: "PENDING", earlierHash: "pending", decision: "wait" },
    { status: "PENDING", earlierHash: "other", decision: "reused" },
  ];

  it.for(table)("$status with hash $earlierHash: $decision", ({ status, earlierHash, decision }) => {
    expect(replayDecision({ status, requestHash: earlierHash }, "mine")).toBe(decision);
  });
});

describe("isRecordedRefusal", () => {
  const refusal = (code: GatewayError["code"]) => new GatewayError(code, "no");
  const table: Array<{ name: string; error: unknown; hasAttempt: boolean; recorded: boolean }> = [
    { name: "invalid input", error: refusal("BAD_USER_INPUT"), hasAttempt: false, recorded: true },
    { name: "a malformed or stalled upload", error: refusal("BAD_REQUEST"), hasAttempt: false, recorded: true },
    { name: "a file over the limit", error: refusal("PAYLOAD_TOO_LARGE"), hasAttempt: false, recorded: true },
    { name: "cloning not configured", error: refusal("UPSTREAM_NOT_CONFIGURED"), hasAttempt: false, recorded: true },
    { name: "the client's rate limit", error: refusal("RATE_LIMITED"), hasAttempt: false, recorded: false },
    { name: "shutdown", error: refusal("SERVICE_UNAVAILABLE"), hasAttempt: false, recorded: false },
    { name: "a key reused", error: refusal("IDEMPOTENCY_KEY_REUSED"), hasAttempt: false, recorded: false },
    { name: "a key still running", error: refusal("IDEMPOTENCY_IN_PROGRESS"), hasAttempt: false, recorded: false },
    { name: "the database down", error: refusal("DATABASE_UNAVAILABLE"), hasAttempt: false, recorded: false },
    { name: "invalid input with an attempt", error: refusal("BAD_USER_INPUT"), hasAttempt: true, recorded: false },
    { name: "an upload failing with an attempt", error: refusal("BAD_REQUEST"), hasAttempt: true, recorded: false },
    { name: "not a GatewayError", error: new Error("boom"), hasAttempt: false, recorded: false },
  ];

  it.for(table)("$name: recorded=$recorded", ({ error, hasAttempt, recorded }) => {
    expect(isRecordedRefusal(error, hasAttempt)).toBe(recorded);
  });
});

describe("callOutcome", () => {
  const table: Array<{ name: string; ended: Parameters<typeof callOutcome>[0]; outcome: string }> = [
    { name: "a new voice", ended: { replayed: false }, outcome: "succeeded" },
    { name: "an earlier attempt's voice", ended: { replayed: true }, outcome: "replayed" },
    {
      name: "a voice not yet stored",
      ended: { error: new GatewayError("VOICE_NOT_YET_STORED", "later") },
      outcome: "not_yet_stored",
    },
    { name: "an unknown outcome", ended: { error: upstreamOutcomeUnknown("HTTP 500") }, outcome: "unknown" },
    {
      name: "a refusal of Faseeh's",
      ended: { error: withUpstreamOutcome(new GatewayError("INSUFFICIENT_BALANCE", "low"), "rejected") },
      outcome: "failed",
    },
    { name: "invalid input", ended: { error: new GatewayError("BAD_USER_INPUT", "no") }, outcome: "failed" },
    { name: "not a GatewayError", ended: { error: new Error("boom") }, outcome: "failed" },
  ];

  it.for(table)("$name: $outcome", ({ ended, outcome }) => {
    expect(callOutcome(ended)).toBe(outcome);
  });
});

describe("abandonedPendingCutoff", () => {
  const now = Date.parse("2026-01-01T12:00:00.000Z");
  const table = [
    // queue 5 s, 3 tries of 60 s with 10 s waits, 1 min margin: 5 + 210 + 60 = 275 s
    { queueTimeoutMs: 5_000, maxAttempts: 3, timeoutMs: 60_000, retryMaxWaitMs: 10_000, cutoff: "2026-01-01T11:55:25.000Z" },
    // one try of 1 s, no queue or wait: 1 + 60 = 61 s
    { queueTimeoutMs: 0, maxAttempts: 1, timeoutMs: 1_000, retryMaxWaitMs: 0, cutoff: "2026-01-01T11:58:59.000Z" },
    // queue 30 s, 2 tries of 120 s with 30 s waits: 30 + 300 + 60 = 390 s
    { queueTimeoutMs: 30_000, maxAttempts: 2, timeoutMs: 120_000, retryMaxWaitMs: 30_000, cutoff: "2026-01-01T11:53:30.000Z" },
  ];

  it.for(table)("queue $queueTimeoutMs, $maxAttempts x ($timeoutMs + $retryMaxWaitMs): $cutoff", ({ cutoff, ...bounds }) => {
    expect(abandonedPendingCutoff(bounds, now).toISOString()).toBe(cutoff);
  });
});
