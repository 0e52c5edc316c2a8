// What an answer from Faseeh to a multipart call (clone, preview) proves:
// success, a refusal that created nothing, or an unknown outcome, and
// whether it may be sent again. Pure: the status, the body's text and
// whether the whole request had been sent decide it, nothing else.
import { type FaseehErrorBody, parseErrorBody } from "./faseeh-contract.js";

/** Whether, and when, a failed call may be sent again. */
export type RetryAdvice = { kind: "never" } | { kind: "backoff" } | { kind: "after"; seconds: number };

export const NEVER: RetryAdvice = { kind: "never" };

/**
 * The statuses Faseeh documents as refusals (with its JSON error body). Only
 * these prove that a complete request created nothing; anything else after
 * the closing boundary (5xx, a proxy's HTML page, an undocumented status) may
 * come from a Faseeh that created the voice and failed afterwards.
 */
const DOCUMENTED_REFUSALS: ReadonlySet<number> = new Set([400, 401, 402, 404, 429]);

export const isDocumentedRefusalStatus = (status: number): boolean => DOCUMENTED_REFUSALS.has(status);

/** A 2xx: Faseeh did what was asked, and its answer is read by the call itself. */
export const isSuccessStatus = (status: number): boolean => status >= 200 && status < 300;

/** The non-2xx answers: each says what Faseeh may have done, and carries what the error needs. */
export interface FailedAnswer {
  status: number;
  /** Faseeh's documented error body, or undefined when the body was anything else. */
  errorBody: FaseehErrorBody | undefined;
  retryAfterSeconds: number | undefined;
  retry: RetryAdvice;
}

export type AnswerClassification =
  | { kind: "success" }
  /** Faseeh answered before it had the whole request: it cannot act on it, so sending again is safe. */
  | ({ kind: "answeredBeforeComplete" } & FailedAnswer)
  /** A documented status with the documented body after the whole request: Faseeh created nothing. */
  | ({ kind: "documentedRefusal" } & FailedAnswer)
  /** Anything else after the whole request: Faseeh may have acted (and charged); never sent again. */
  | ({ kind: "outcomeUnknown" } & FailedAnswer);

/** Every classification but success: what failedAnswerError maps. */
export type FailedAnswerClassification = Exclude<AnswerClassification, { kind: "success" }>;

/**
 * Classifies Faseeh's answer to a multipart call. `body` is the answer's text
 * (unused for a 2xx); `complete` is whether the closing boundary had been
 * handed to the socket when the answer came; `retryAfterSeconds` is the
 * answer's Retry-After (see parseRetryAfter).
 */
export function classifyAnswer(
  status: number,
  body: string,
  complete: boolean,
  retryAfterSeconds?: number,
): AnswerClassification {
  if (isSuccessStatus(status)) return { kind: "success" };
  const errorBody = parseErrorBody(body);
  const failed = { status, errorBody, retryAfterSeconds };
  const afterRetryAfter: RetryAdvice | undefined =
    retryAfterSeconds !== undefined ? { kind: "after", seconds: retryAfterSeconds } : undefined;
  if (!complete) return { kind: "answeredBeforeComplete", ...failed, retry: afterRetryAfter ?? { kind: "backoff" } };
  if (isDocumentedRefusalStatus(status) && errorBody !== undefined) {
    return { kind: "documentedRefusal", ...failed, retry: status === 429 ? (afterRetryAfter ?? NEVER) : NEVER };
  }
  return { kind: "outcomeUnknown", ...failed, retry: NEVER };
}

/** Retry-After is either delta-seconds or an HTTP date; answer whole seconds from now. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  if (/^\s*\d+\s*$/.test(raw)) return Number(raw);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
