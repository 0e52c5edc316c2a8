// The gateway's errors for Faseeh's failures: a refusal or error status, no
// answer at all (and why, in words), a complete request whose outcome is
// unknown, a call made without FASEEH_API_KEY or cancelled before Faseeh had
// it all. Each GatewayError says, in `upstreamOutcome`, whether a voice may
// nevertheless exist.
import { errors as undiciErrors } from "undici";
import { errorMessage, GatewayError } from "../errors.js";
import { type FailedAnswerClassification, isDocumentedRefusalStatus } from "./answer-classification.js";
import { type ContractViolation, ResponseTooLargeError } from "./faseeh-contract.js";

type Extensions = Record<string, unknown>;

export type UpstreamErrorBody = { errorCode?: string | undefined; errorMessage?: string | undefined };

/** What an upstream call was, in messages: "clone", "preview", ... (the client's operation names). */
const REQUEST_NAMES: Readonly<Record<string, string>> = {
  cloneVoice: "clone request",
  previewVoice: "preview request",
  speak: "text-to-speech request",
  listModels: "model list request",
  listVoices: "voice list request",
};

/** What Faseeh may have done with a complete request whose answer never came. */
const UNKNOWN_CONSEQUENCES: Readonly<Record<string, string>> = {
  cloneVoice: "The voice may or may not exist, so the gateway will not send this request again.",
  previewVoice:
    "Faseeh may have produced (and billed) the preview, so the gateway will not send this request again; nothing was kept.",
  speak:
    "Faseeh may have produced (and billed) the speech, so the gateway will not send this request again; nothing was kept, and the next identical request calls Faseeh anew.",
};

/** Maps an upstream non-2xx answer onto our codes, keeping upstream's own code and message. */
export function upstreamStatusError(
  status: number,
  body: UpstreamErrorBody,
  retryAfterSeconds?: number,
  operation = "cloneVoice",
): GatewayError {
  const details: Extensions = {
    upstreamStatus: status,
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    ...(body.errorCode !== undefined && { upstreamErrorCode: body.errorCode }),
    ...(body.errorMessage !== undefined && { upstreamErrorMessage: body.errorMessage }),
  };
  const said = body.errorMessage ? `: ${body.errorMessage}` : "";
  if (status === 401 || status === 403) {
    return new GatewayError(
      "UPSTREAM_UNAUTHORIZED",
      `Faseeh refused the gateway's API key (HTTP ${status})${said}. Check FASEEH_API_KEY.`,
      details,
    );
  }
  if (status === 402) {
    return new GatewayError("INSUFFICIENT_BALANCE", `Faseeh wallet balance is insufficient${said}.`, details);
  }
  if (status === 429) {
    const when = retryAfterSeconds !== undefined ? ` Retry after ${retryAfterSeconds} s.` : "";
    return new GatewayError("RATE_LIMITED", `Faseeh is rate limiting requests${said}.${when}`, details);
  }
  if (status >= 400 && status < 500) {
    const request = REQUEST_NAMES[operation] ?? "request";
    return new GatewayError("UPSTREAM_BAD_REQUEST", `Faseeh rejected the ${request} (HTTP ${status})${said}.`, details);
  }
  return new GatewayError("UPSTREAM_UNAVAILABLE", `Faseeh failed (HTTP ${status})${said}. Try again later.`, details);
}

export const upstreamUnavailable = (reason: string, cause?: unknown): GatewayError =>
  new GatewayError("UPSTREAM_UNAVAILABLE", `Faseeh is unavailable: ${reason}. Try again later.`, {}, cause);

export function withUpstreamOutcome(error: GatewayError, outcome: "rejected" | "unknown"): GatewayError {
  error.upstreamOutcome = outcome;
  return error;
}

/**
 * Faseeh had the whole request and no definitive answer came back (`reason`
 * says what came instead): a voice may exist. Never retried automatically.
 */
export const upstreamOutcomeUnknown = (
  reason: string,
  extensions: Extensions = {},
  cause?: unknown,
  operation = "cloneVoice",
): GatewayError =>
  withUpstreamOutcome(
    new GatewayError(
      "UPSTREAM_OUTCOME_UNKNOWN",
      `Faseeh received the whole ${REQUEST_NAMES[operation] ?? "request"}, but no definitive answer came back (${reason}). ` +
        (UNKNOWN_CONSEQUENCES[operation] ?? "The gateway will not send this request again."),
      extensions,
      cause,
    ),
    "unknown",
  );

/** The same error, naming the clone attempt an operator resolves (and every same-key retry answers with). */
export function withAttempt(error: GatewayError, attemptId: string): GatewayError {
  if (error.code !== "UPSTREAM_OUTCOME_UNKNOWN") return error;
  const { code: _code, ...extensions } = error.extensions;
  return withUpstreamOutcome(
    new GatewayError(
      error.code,
      `${error.message} Do not clone it again: clone attempt ${attemptId} stays UNKNOWN until an operator resolves it ` +
        "(see `cloneAttempts`).",
      { ...extensions, attemptId },
      error.originalError ?? error,
    ),
    "unknown",
  );
}

export const notConfigured = (): GatewayError =>
  new GatewayError(
    "UPSTREAM_NOT_CONFIGURED",
    "Cloning is disabled: FASEEH_API_KEY is not set on the gateway, so nothing can be sent to Faseeh (clones, previews, the model list). Set it and restart the gateway.",
  );

/** The call was cancelled (client gone, shutdown) before Faseeh had the whole request. */
export function abortedBeforeSending(signal: AbortSignal): GatewayError {
  const reason: unknown = signal.reason;
  const error =
    reason instanceof GatewayError
      ? reason
      : new GatewayError(
          "BAD_REQUEST",
          "The client went away before Faseeh had the whole request; nothing was sent to completion.",
        );
  return withUpstreamOutcome(error, "rejected");
}

/** The error for a refusal or error status of a multipart call, as classifyAnswer classified it. */
export function failedAnswerError(
  answer: FailedAnswerClassification,
  operation: string,
  redact: (message: string) => string,
): GatewayError {
  const { status } = answer;
  const errorBody: UpstreamErrorBody = answer.errorBody
    ? { errorCode: answer.errorBody.errorCode, errorMessage: redact(answer.errorBody.errorMessage) }
    : {};
  if (answer.kind !== "outcomeUnknown") {
    return withUpstreamOutcome(upstreamStatusError(status, errorBody, answer.retryAfterSeconds, operation), "rejected");
  }
  const said = answer.errorBody
    ? `HTTP ${status}: ${errorBody.errorMessage}`
    : `HTTP ${status}${isDocumentedRefusalStatus(status) ? " without Faseeh's JSON error body" : ""}`;
  return upstreamOutcomeUnknown(
    said,
    {
      upstreamStatus: status,
      ...(errorBody.errorCode !== undefined && { upstreamErrorCode: errorBody.errorCode }),
      ...(errorBody.errorMessage !== undefined && { upstreamErrorMessage: errorBody.errorMessage }),
    },
    undefined,
    operation,
  );
}

/** Faseeh said 2xx, so it acted (and charged), but its answer breaks the contract. */
export const contractViolationError = (status: number, violation: ContractViolation, operation: string): GatewayError =>
  upstreamOutcomeUnknown(`HTTP ${status} ${violation.message}`, { upstreamStatus: status }, undefined, operation);

/** The client's timeouts, as the reasons below quote them. */
export interface UpstreamTimeouts {
  /** How long an answer may take (the call's own, or the pool's per phase). */
  timeoutMs: number;
  connectTimeoutMs: number;
}

/** Why no usable answer came (a timeout, a refused or broken connection, an oversized answer), in words for a message. */
export function noAnswerReason(error: unknown, { timeoutMs, connectTimeoutMs }: UpstreamTimeouts): string {
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    name === "TimeoutError"
  ) {
    return `no answer within ${timeoutMs} ms`;
  }
  if (error instanceof undiciErrors.ConnectTimeoutError) return `could not connect within ${connectTimeoutMs} ms`;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "its host name does not resolve";
  if (error instanceof undiciErrors.SocketError || code === "ECONNRESET" || code === "EPIPE") {
    return "the connection was closed before an answer arrived";
  }
  if (error instanceof ResponseTooLargeError) return "its answer was unexpectedly large";
  return `the request failed (${errorMessage(error)})`;
}
