// What happens to a clone attempt, decided: pure functions beside the
// transition table (clone-attempt-lifecycle.ts), which say which move a
// clone makes and the store then applies. Nothing here reads the database,
// Faseeh or the clock.
//
// - failureMove: a failed call's attempt is FAILED (Faseeh certainly created
//   nothing) or UNKNOWN (it may have). Shutdown past its clone budget goes
//   through it too (outcomeUnknownAtShutdown).
// - replayDecision: a key seen before, and what its earlier attempt means for
//   this request (replay, retake, reused, unknown, wait).
// - isRecordedRefusal: which calls refused before they had an attempt are
//   still recorded (ATTEMPT_CREATIONS.refuse).
// - callOutcome: how a call counts in `gateway_clone_attempts_total`.
// - abandonedPendingCutoff: which PENDING attempts a dead process left behind
//   (the recovery pass moves them to UNKNOWN).
//
// Whether an answer of Faseeh's was a refusal or leaves the outcome unknown
// is the upstream client's to say (GatewayError.upstreamOutcome); these
// functions take it from there.
import { type ErrorCode, GatewayError } from "../../errors.js";
import { upstreamOutcomeUnknown, withAttempt } from "../../upstream/upstream-errors.js";
import type { Config } from "../../config.js";
import type { AttemptTransitionName, CloneAttemptStatus } from "./clone-attempt-lifecycle.js";
import { HASH_NOT_YET_KNOWN } from "./clone-request-hash.js";

/** The two moves a failed call can make (the store's methods of the same names). */
export type FailureMove = Extract<AttemptTransitionName, "fail" | "markUnknown">;

/**
 * A failed call's move. `requestComplete`: the closing boundary was on its
 * way to Faseeh. Only a failure known to precede it, or a documented refusal
 * (`upstreamOutcome` "rejected"), proves nothing was created; a failure that
 * does not say (the gateway's own, say) counts by how far the request got.
 */
export function failureMove(error: Pick<GatewayError, "upstreamOutcome">, requestComplete: boolean): FailureMove {
  if (error.upstreamOutcome === "unknown") return "markUnknown";
  if (error.upstreamOutcome === undefined && requestComplete) return "markUnknown";
  return "fail";
}

/**
 * What the client is told of a failure once its move is known: an unknown
 * outcome is always UPSTREAM_OUTCOME_UNKNOWN, naming the attempt an operator
 * resolves; a failed attempt's error as it was.
 */
export function failureAnswer(error: GatewayError, move: FailureMove, attemptId: string): GatewayError {
  if (move === "fail") return error;
  if (error.code === "UPSTREAM_OUTCOME_UNKNOWN") return withAttempt(error, attemptId);
  return withAttempt(upstreamOutcomeUnknown("the gateway failed while waiting for the answer", {}, error), attemptId);
}

/** Shutdown past its clone budget, with Faseeh's answer still awaited: a failure whose outcome is unknown. */
export const outcomeUnknownAtShutdown = (attemptId: string): GatewayError =>
  withAttempt(upstreamOutcomeUnknown("the gateway shut down before Faseeh answered"), attemptId);

/** What an earlier attempt with the same idempotency key means for this request. */
export type ReplayDecision =
  /** A different request (other fields or files) used the key: IDEMPOTENCY_KEY_REUSED. */
  | "reused"
  /** It succeeded: its voice is the answer. */
  | "replay"
  /** It failed: this request takes it over and calls Faseeh again. */
  | "retake"
  /** Its outcome is unknown: so is this request's, until an operator resolves it. */
  | "unknown"
  /** It is still running: wait for its outcome. */
  | "wait";

/** The part of an earlier attempt a replay is decided from. */
export interface ReplayedAttempt {
  status: CloneAttemptStatus;
  requestHash: string;
}

/**
 * `requestHash` is this request's. The earlier attempt's hash is compared
 * only once known (its files arrived in full); a different request is refused
 * whatever the attempt's status.
 */
export function replayDecision(attempt: ReplayedAttempt, requestHash: string): ReplayDecision {
  if (attempt.requestHash !== HASH_NOT_YET_KNOWN && attempt.requestHash !== requestHash) return "reused";
  const byStatus: Record<CloneAttemptStatus, ReplayDecision> = {
    SUCCEEDED: "replay",
    FAILED: "retake",
    UNKNOWN: "unknown",
    PENDING: "wait",
  };
  return byStatus[attempt.status];
}

/**
 * Refusals before a call had an attempt of its own that are still recorded as
 * FAILED attempts (invalid fields or files, cloning not configured), so that
 * `cloneAttempts` accounts for every call. Client rate-limit refusals are
 * not, so that a flood of them writes nothing.
 */
export const RECORDED_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "PAYLOAD_TOO_LARGE",
  "UPSTREAM_NOT_CONFIGURED",
]);

/** Whether a call that failed with `error` is recorded as a refusal (`hasAttempt`: its outcome is recorded already). */
export function isRecordedRefusal(error: unknown, hasAttempt: boolean): error is GatewayError {
  return !hasAttempt && error instanceof GatewayError && RECORDED_REFUSALS.has(error.code);
}

/** A call's label in `gateway_clone_attempts_total`. */
export type CloneCallOutcome = "succeeded" | "replayed" | "not_yet_stored" | "unknown" | "failed";

/** How a call counts: `result` when it answered, `error` when it threw. */
export function callOutcome(ended: { replayed: boolean } | { error: unknown }): CloneCallOutcome {
  if ("replayed" in ended) return ended.replayed ? "replayed" : "succeeded";
  const { error } = ended;
  if (!(error instanceof GatewayError)) return "failed";
  if (error.code === "VOICE_NOT_YET_STORED") return "not_yet_stored";
  return error.upstreamOutcome === "unknown" ? "unknown" : "failed";
}

/** Upstream settings that bound how long one clone's call to Faseeh can take. */
export type CallBounds = Pick<Config["upstream"], "queueTimeoutMs" | "maxAttempts" | "timeoutMs" | "retryMaxWaitMs">;

/**
 * An attempt still PENDING when last updated before this instant was
 * abandoned by a process that died: it is older than the longest call could
 * take (the queue wait, every try with its answer and its wait before a
 * retry), plus a minute's margin.
 */
export function abandonedPendingCutoff(upstream: CallBounds, now: number): Date {
  const longestCallMs = upstream.queueTimeoutMs + upstream.maxAttempts * (upstream.timeoutMs + upstream.retryMaxWaitMs);
  return new Date(now - longestCallMs - 60_000);
}
