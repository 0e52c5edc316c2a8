// classifyAnswer on its own, row by row: what Faseeh's answer to a multipart
// call (its status, its body, whether the whole request had been sent, its
// Retry-After) proves, and whether the call may be sent again. Also how
// Retry-After is read. The same rules over real HTTP are proven in
// faseeh-client.test.ts.
import { describe, expect, it } from "vitest";
import {
  type AnswerClassification,
  classifyAnswer,
  parseRetryAfter,
  type RetryAdvice,
} from "../../src/upstream/answer-classification.js";

const documented = JSON.stringify({ errorCode: "INVALID_INPUT", errorMessage: "Text is too short." });
const numericCode = JSON.stringify({ errorCode: 42, errorMessage: "Insufficient wallet balance." });
const withoutMessage = JSON.stringify({ errorCode: "INVALID_INPUT" });
const proxyPage = "<html><body>502 Bad Gateway</body></html>";

/** The bodies the rows name. */
const BODIES = {
  "Faseeh's error body": documented,
  "Faseeh's error body, numeric code": numericCode,
  "JSON without errorMessage": withoutMessage,
  "a proxy's HTML page": proxyPage,
  "no body": "",
} as const;

const never: RetryAdvice = { kind: "never" };
const backoff: RetryAdvice = { kind: "backoff" };
const after = (seconds: number): RetryAdvice => ({ kind: "after", seconds });

interface Row {
  status: number;
  body: keyof typeof BODIES;
  complete: boolean;
  retryAfter?: number;
  kind: "success" | "answeredBeforeComplete" | "documentedRefusal" | "outcomeUnknown";
  retry?: RetryAdvice;
}

// prettier-ignore
const rows: Row[] = [
  // 2xx: success whatever else (the call reads the body itself).
  { status: 200, body: "no body",                              complete: true,                   kind: "success" },
  { status: 201, body: "no body",                              complete: false,                  kind: "success" },
  { status: 299, body: "a proxy's HTML page",                  complete: true,                   kind: "success" },
  // A documented status with Faseeh's error body, after the whole request: a refusal; only a 429 with Retry-After may be resent.
  { status: 400, body: "Faseeh's error body",                  complete: true,                   kind: "documentedRefusal",        retry: never },
  { status: 401, body: "Faseeh's error body",                  complete: true,                   kind: "documentedRefusal",        retry: never },
  { status: 402, body: "Faseeh's error body, numeric code",    complete: true,                   kind: "documentedRefusal",        retry: never },
  { status: 404, body: "Faseeh's error body",                  complete: true,                   kind: "documentedRefusal",        retry: never },
  { status: 429, body: "Faseeh's error body",                  complete: true,   retryAfter: 3,  kind: "documentedRefusal",        retry: after(3) },
  { status: 429, body: "Faseeh's error body",                  complete: true,   retryAfter: 0,  kind: "documentedRefusal",        retry: after(0) },
  { status: 429, body: "Faseeh's error body",                  complete: true,                   kind: "documentedRefusal",        retry: never },
  { status: 400, body: "Faseeh's error body",                  complete: true,   retryAfter: 5,  kind: "documentedRefusal",        retry: never },
  // After the whole request, anything else may come from a Faseeh that acted: unknown, never resent.
  { status: 403, body: "Faseeh's error body",                  complete: true,                   kind: "outcomeUnknown",           retry: never },
  { status: 409, body: "Faseeh's error body",                  complete: true,                   kind: "outcomeUnknown",           retry: never },
  { status: 500, body: "Faseeh's error body",                  complete: true,                   kind: "outcomeUnknown",           retry: never },
  { status: 503, body: "Faseeh's error body",                  complete: true,   retryAfter: 1,  kind: "outcomeUnknown",           retry: never },
  { status: 400, body: "a proxy's HTML page",                  complete: true,                   kind: "outcomeUnknown",           retry: never },
  { status: 400, body: "JSON without errorMessage",            complete: true,                   kind: "outcomeUnknown",           retry: never },
  { status: 429, body: "no body",                              complete: true,   retryAfter: 2,  kind: "outcomeUnknown",           retry: never },
  { status: 302, body: "no body",                              complete: true,                   kind: "outcomeUnknown",           retry: never },
  // Before the whole request: Faseeh cannot act on it, so any answer may be resent (after Retry-After, when given).
  { status: 400, body: "Faseeh's error body",                  complete: false,                  kind: "answeredBeforeComplete",   retry: backoff },
  { status: 500, body: "a proxy's HTML page",                  complete: false,                  kind: "answeredBeforeComplete",   retry: backoff },
  { status: 413, body: "no body",                              complete: false,                  kind: "answeredBeforeComplete",   retry: backoff },
  { status: 503, body: "no body",                              complete: false,  retryAfter: 4,  kind: "answeredBeforeComplete",   retry: after(4) },
  { status: 429, body: "Faseeh's error body",                  complete: false,  retryAfter: 0,  kind: "answeredBeforeComplete",   retry: after(0) },
];

/** The classification without the error body (checked on its own below). */
const withoutBody = (answer: AnswerClassification) =>
  answer.kind === "success"
    ? answer
    : { kind: answer.kind, status: answer.status, retry: answer.retry, retryAfterSeconds: answer.retryAfterSeconds };

const errorBodyOf = (answer: AnswerClassification) => (answer.kind === "success" ? "success" : answer.errorBody);

describe("classifyAnswer", () => {
  it.each(rows)(
    "HTTP $status with $body, complete: $complete, Retry-After $retryAfter -> $kind, retry $retry.kind",
    ({ status, body, complete, retryAfter, kind, retry }) => {
      expect(withoutBody(classifyAnswer(status, BODIES[body], complete, retryAfter))).toEqual(
        kind === "success" ? { kind } : { kind, status, retry, retryAfterSeconds: retryAfter },
      );
    },
  );

  it("keeps Faseeh's documented error body, its code as a string, and nothing of any other body", () => {
    expect(errorBodyOf(classifyAnswer(402, numericCode, true))).toEqual({
      errorCode: "42",
      errorMessage: "Insufficient wallet balance.",
    });
    expect(errorBodyOf(classifyAnswer(500, documented, true))).toEqual({
      errorCode: "INVALID_INPUT",
      errorMessage: "Text is too short.",
    });
    for (const body of [proxyPage, withoutMessage, "", "null"]) {
      expect(errorBodyOf(classifyAnswer(400, body, true))).toBeUndefined();
    }
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates", () => {
    const now = Date.parse("2026-11-26T10:00:00Z");
    expect(parseRetryAfter("12", now)).toBe(12);
    expect(parseRetryAfter("Thu, 26 Nov 2026 10:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Thu, 26 Nov 2026 09:59:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("takes the first of repeated headers, and ignores blank ones", () => {
    const now = Date.parse("2026-11-26T10:00:00Z");
    expect(parseRetryAfter(["5", "60"], now)).toBe(5);
    expect(parseRetryAfter(" 7 ", now)).toBe(7);
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter([], now)).toBeUndefined();
  });
});
