// A clone whose idempotency key was seen before: the earlier attempt's
// result, a retake of it, or the refusal that fits (replayDecision in
// clone-decisions.ts decides; this module acts on it, waiting while the
// earlier request still runs).
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../../config.js";
import { GatewayError } from "../../errors.js";
import { upstreamOutcomeUnknown, withAttempt } from "../../upstream/upstream-errors.js";
import type { CatalogService, VoiceRecord } from "../catalog/catalog-service.js";
import type { CloneAttemptRecord, CloneAttemptStore } from "./clone-attempt-store.js";
import { replayDecision } from "./clone-decisions.js";
import { notYetStored } from "./voice-storing.js";

const POLL_MS = 150;

export interface ReplayDeps {
  attempts: Pick<CloneAttemptStore, "findByKey" | "retake">;
  catalog: Pick<CatalogService, "getVoice">;
  config: Pick<Config, "upstream">;
  /** Counts a call to Faseeh against the owner's clone rate limit (a retake is one). */
  consumeAllowance: (owner: string) => Promise<void>;
}

/** This request, as far as a replay needs it; `requestHash` is known, its files having arrived in full. */
export interface ReplayRequest {
  owner: string;
  idempotencyKey: string;
  requestHash: string;
  signal: AbortSignal;
}

/** The earlier attempt's voice, or the attempt this request took over (to call Faseeh again). */
export type Replay = { kind: "replayed"; attemptId: string; voice: VoiceRecord } | { kind: "retaken"; attemptId: string };

/**
 * Same request: the earlier attempt's result (waiting while it still runs),
 * or a retake if it failed. Different request: IDEMPOTENCY_KEY_REUSED.
 */
export async function replayEarlier(deps: ReplayDeps, found: CloneAttemptRecord, request: ReplayRequest): Promise<Replay> {
  const { attempts, config, catalog } = deps;
  const { owner, idempotencyKey, requestHash, signal } = request;
  const deadline = Date.now() + config.upstream.queueTimeoutMs + config.upstream.timeoutMs;
  for (let attempt: CloneAttemptRecord | null = found; ; attempt = await attempts.findByKey(owner, idempotencyKey)) {
    if (!attempt)
      throw new GatewayError("IDEMPOTENCY_IN_PROGRESS", "The earlier request with this key was just cleaned up; retry.");
    switch (replayDecision(attempt, requestHash)) {
      case "reused":
        throw keyReused(attempt.id);
      case "replay": {
        const voice = attempt.voiceId ? await catalog.getVoice({ voiceId: attempt.voiceId }) : null;
        if (voice) return { kind: "replayed", attemptId: attempt.id, voice };
        throw notYetStored(attempt.voiceId ?? "unknown", undefined);
      }
      case "retake":
        // A retake calls Faseeh again: it counts against the rate limit (a refusal leaves the attempt FAILED).
        await deps.consumeAllowance(owner);
        if (await attempts.retake(attempt.id, requestHash)) return { kind: "retaken", attemptId: attempt.id };
        continue;
      case "unknown":
        throw withAttempt(
          upstreamOutcomeUnknown(
            "an earlier request with this idempotency key reached Faseeh and its outcome is still unknown",
            {},
          ),
          attempt.id,
        );
      case "wait":
        if (Date.now() > deadline || signal.aborted) throw stillRunning(attempt.id);
        await sleep(POLL_MS);
    }
  }
}

const keyReused = (attemptId: string) =>
  new GatewayError(
    "IDEMPOTENCY_KEY_REUSED",
    "This idempotency key was already used for a different clone request (other fields or files). Use a new key for a new request.",
    { field: "input.idempotencyKey", attemptId },
  );

const stillRunning = (attemptId: string) =>
  new GatewayError(
    "IDEMPOTENCY_IN_PROGRESS",
    "A request with this idempotency key is still running. Retry shortly to get its result.",
    { attemptId },
  );
