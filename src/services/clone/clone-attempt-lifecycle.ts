// The clone attempt's state machine: the one place that says which status an
// attempt may move to, from which, by whom and when. CloneAttemptStore
// applies a move as one conditional UPDATE (`WHERE status IN from`), so two
// actors racing on one attempt (a retry and the recovery pass, say) can
// never both win, and a move the table does not allow never happens. Which
// move a clone makes (fail or unknown, replay or retake, ...) is decided
// beside it, by the pure functions of clone-decisions.ts.
//
//            begin                 voice stored
//   (none) ─────────▶ PENDING ───────────────────────▶ SUCCEEDED
//                      │  ▲ │                              ▲
//      certainly       │  │ │ outcome unknown              │ voice found
//      not created     │  │ │ (5xx, reset, timeout         │ (journal import,
//                      ▼  │ ▼  after the whole request)    │  operator --voice-id)
//                   FAILED  UNKNOWN ───────────────────────┘
//                      ▲      │
//                      └──────┘ operator: --not-created
//   FAILED ──retake──▶ PENDING: a same-key retry of the same request.
import type { CloneAttemptStatus } from "../../generated/prisma/client.js";

export type { CloneAttemptStatus };

export interface AttemptTransition {
  readonly from: readonly CloneAttemptStatus[];
  readonly to: CloneAttemptStatus;
  /** Who makes this move, and when: documentation that the README repeats. */
  readonly by: string;
}

export const ATTEMPT_TRANSITIONS = {
  /**
   * Faseeh's voice is in hand and stored with the attempt. Allowed from every
   * status: a voice Faseeh created is proof, whatever was believed before (an
   * attempt marked UNKNOWN at shutdown whose answer then arrived, an operator
   * who guessed wrong). From SUCCEEDED it only re-states the same voice.
   */
  recordVoice: {
    from: ["PENDING", "UNKNOWN", "FAILED", "SUCCEEDED"],
    to: "SUCCEEDED",
    by: "the clone request that received Faseeh's voice; the recovery pass importing a journaled voice",
  },
  /** Faseeh certainly created nothing: the request never completed, or a documented refusal came back. */
  fail: {
    from: ["PENDING"],
    to: "FAILED",
    by: "the clone request, when nothing complete reached Faseeh or Faseeh refused it (400/401/402/404/429 with its JSON error)",
  },
  /** The whole request reached Faseeh and no proof of either outcome came back. */
  markUnknown: {
    from: ["PENDING"],
    to: "UNKNOWN",
    by: "the clone request (5xx, non-JSON answer, reset or timeout after the whole request); shutdown past its clone budget; the recovery pass for attempts a dead process left PENDING",
  },
  /** A same-key retry of the same request takes a FAILED attempt over. */
  retake: {
    from: ["FAILED"],
    to: "PENDING",
    by: "a cloneVoice call with the same idempotency key, caller and request",
  },
  /** An operator checked Faseeh: no voice was created. The key may be used again. */
  resolveNotCreated: {
    from: ["UNKNOWN"],
    to: "FAILED",
    by: "an operator: `npm run reconcile -- resolve <attemptId> --not-created`",
  },
  /** An operator checked Faseeh: this voice was created. It is stored once its record is known. */
  resolveCreated: {
    from: ["UNKNOWN"],
    to: "SUCCEEDED",
    by: "an operator: `npm run reconcile -- resolve <attemptId> --voice-id <id>`",
  },
} as const satisfies Record<string, AttemptTransition>;

export type AttemptTransitionName = keyof typeof ATTEMPT_TRANSITIONS;

/** How attempts come to exist. */
export const ATTEMPT_CREATIONS = {
  /** Recorded before Faseeh can act on the request (its closing boundary waits for this). */
  begin: { to: "PENDING", by: "a cloneVoice call whose fields and first file passed validation" },
  /** A call refused before it had an attempt, kept so that cloneAttempts accounts for every call. */
  refuse: {
    to: "FAILED",
    by: "a cloneVoice call refused before Faseeh was contacted (invalid fields or files, cloning not configured); it holds no idempotency key",
  },
} as const satisfies Record<string, Pick<AttemptTransition, "to" | "by">>;

export function canTransition(name: AttemptTransitionName, from: CloneAttemptStatus): boolean {
  return (ATTEMPT_TRANSITIONS[name].from as readonly CloneAttemptStatus[]).includes(from);
}
