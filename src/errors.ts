// The closed set of `extensions.code` values this gateway returns, and how
// input validation maps onto them. Other layers map their own failures beside
// themselves: Faseeh's in src/upstream/upstream-errors.ts, the database's in
// src/db/database-errors.ts.
// The README's error table mirrors ERROR_CODES.
import { GraphQLError } from "graphql";

/**
 * Every code, what it means, and the HTTP status of a response that ends in
 * it. `status` applies when the error stops the request before its operation
 * runs (a bad key, a malformed body, an invalid document). Once the operation
 * has run, a field error answers 200 with `data` saying how far it got (the
 * GraphQL-over-HTTP convention, which Apollo Client and urql expect), except
 * for the codes marked `always`, which are about the request itself.
 * normalizeError (graphql/normalize-error.ts) is the only reader of these statuses.
 */
export const ERROR_CODES = {
  // Our own validation of arguments, uploads and cursors (also used by
  // Apollo for variables that fail to coerce).
  BAD_USER_INPUT: {
    status: 400,
    description: "The request's arguments are invalid; `extensions.field` names the offending one.",
  },
  // HTTP-level problems: malformed multipart bodies, missing CSRF preflight header, stalled uploads.
  // About the request itself, so 400 even when the body broke off while its operation ran.
  BAD_REQUEST: {
    status: 400,
    always: true,
    description: "The HTTP request itself is malformed (multipart body, CSRF preflight header), or its upload stalled.",
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    always: true,
    description: "The request body exceeds a size limit (bytes, fields or file parts).",
  },
  GRAPHQL_PARSE_FAILED: { status: 400, description: "The GraphQL document does not parse." },
  GRAPHQL_VALIDATION_FAILED: {
    status: 400,
    description: "The GraphQL document does not match the schema, or exceeds an operation limit.",
  },
  QUERY_TIMEOUT: {
    status: 503,
    description:
      "A catalog read ran (or waited for a connection) longer than READ_STATEMENT_TIMEOUT_MS and was cancelled; the database is up.",
  },
  COST_LIMIT_EXCEEDED: {
    status: 400,
    description: "The operation would cost more than GRAPHQL_MAX_COST (list sizes multiplied through); nothing ran.",
  },
  OPERATION_RESOLUTION_FAILURE: { status: 400, description: "The request names an operation the document does not contain." },
  // Apollo's automatic persisted queries: the first step of the protocol, not a mistake. 200 as Apollo
  // answers it: Apollo Client's persisted-query link turns the feature off for good on a 400 or 500.
  PERSISTED_QUERY_NOT_FOUND: {
    status: 200,
    description: "An automatic persisted query's hash is not known (yet): send the query with it, as Apollo Client does.",
  },
  UNAUTHENTICATED: { status: 401, always: true, description: "No valid client API key: send `Authorization: Bearer <key>`." },
  FORBIDDEN: {
    status: 403,
    always: true,
    description:
      "The client API key's scope does not allow a field of the operation (mutations such as cloning and catalog edits need `write`, managing keys `admin`); `requiredScope` names the scope needed.",
  },
  NOT_FOUND: {
    status: 404,
    description:
      "The voice to edit, archive, restore or speak with is not in the catalog (or its id is not a UUID); `field` names the argument.",
  },
  VOICE_ARCHIVED: {
    status: 409,
    description:
      "The voice is archived: `speak` refuses it, and nothing is sent to Faseeh. Restore it (`restoreVoice`) or pick another voice.",
  },
  LAST_ADMIN_KEY: {
    status: 409,
    description:
      "Revoking this key would leave no active `admin` key, so nobody could manage keys over GraphQL: create another admin key first (the keys command's `--force` can still do it).",
  },
  CONFLICT: {
    status: 409,
    description:
      "The voice changed since the `expectedUpdatedAt` the client gave; `currentUpdatedAt` says when: refetch and retry.",
  },
  UPSTREAM_NOT_CONFIGURED: {
    status: 503,
    description: "FASEEH_API_KEY is not set, so cloning, previews, speech and the model list are disabled.",
  },
  UPSTREAM_BAD_REQUEST: {
    status: 502,
    description: "Faseeh refused the request (400/404); its errorCode and errorMessage are included.",
  },
  UPSTREAM_UNAUTHORIZED: { status: 502, description: "Faseeh refused the gateway's API key (401)." },
  INSUFFICIENT_BALANCE: { status: 502, description: "The Faseeh wallet balance is too low (402)." },
  RATE_LIMITED: {
    status: 429,
    description:
      "Faseeh is rate limiting (429), or the gateway's clone queue is full, or the client key's rate limit is reached; `retryAfterSeconds` says when to retry, when known.",
  },
  UPSTREAM_UNAVAILABLE: {
    status: 502,
    description:
      "Faseeh could not be reached or failed before it had the whole request: it certainly created nothing; retrying is safe.",
  },
  UPSTREAM_OUTCOME_UNKNOWN: {
    status: 502,
    description:
      "Faseeh had the whole clone, preview or speech request but gave no definitive answer (5xx, non-JSON, reset, timeout, broken-off audio): a voice may exist, the call may be billed. Not retried; a clone's `attemptId` names its attempt.",
  },
  DATABASE_UNAVAILABLE: { status: 503, description: "The catalog database cannot be reached; retry later." },
  IDEMPOTENCY_KEY_REUSED: {
    status: 409,
    description: "The idempotency key was already used for a different request (other fields or files).",
  },
  IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    description:
      "A request with the same idempotency key (or an identical `speak`, on any replica) is still running; retry shortly.",
  },
  VOICE_NOT_YET_STORED: {
    status: 503,
    description:
      "Faseeh created the voice (see `voiceId`) but the catalog could not store it yet; it will appear once the database recovers.",
  },
  PREVIEW_NOT_YET_STORED: {
    status: 503,
    description:
      "Faseeh made the preview (see `id`) but the gateway could not record it yet; it is kept and becomes usable with that id once the database recovers.",
  },
  SPEECH_NOT_YET_STORED: {
    status: 503,
    description:
      "Faseeh made the speech but the gateway could not record it yet; the audio is kept, and the same `speak` answers it (with no second charge) once the database recovers.",
  },
  SERVICE_UNAVAILABLE: { status: 503, description: "The gateway is shutting down; retry against another replica or shortly." },
  INTERNAL_SERVER_ERROR: { status: 500, description: "An unexpected failure; details are logged, never returned." },
} as const satisfies Record<string, { status: number; always?: true; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === "string" && Object.hasOwn(ERROR_CODES, value);

type Extensions = Record<string, unknown>;

/** A GraphQL error whose code is one of ours; the only kind resolvers throw. */
export class GatewayError extends GraphQLError {
  readonly code: ErrorCode;
  /**
   * For upstream failures only, never sent to clients: "rejected" when Faseeh
   * certainly created no voice (the request never completed, or Faseeh
   * answered one of its documented refusals), "unknown" when it may have (the
   * whole request was sent and no definitive answer came back).
   */
  upstreamOutcome?: "rejected" | "unknown";

  constructor(code: ErrorCode, message: string, extensions: Extensions = {}, cause?: unknown) {
    super(message, { extensions: { ...extensions, code }, originalError: cause instanceof Error ? cause : undefined });
    this.code = code;
    this.name = "GatewayError";
  }
}

export const badUserInput = (field: string, message: string): GatewayError =>
  new GatewayError("BAD_USER_INPUT", message, { field });

/** An input that failed its zod schema: the first issue, with its field under `input.` (e.g. "input.text"). */
export function invalidInput(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>): GatewayError {
  const [issue] = issues;
  const field = `input.${(issue?.path ?? []).filter((part) => typeof part === "string").join(".")}`;
  return badUserInput(field, `\`${field}\` ${issue?.message ?? "is invalid"}.`);
}

/**
 * The variable path a graphql-js coercion error is about, for its `field`
 * extension: `Variable "$input" got invalid value null at "input.voiceFile"`
 * gives "input.voiceFile", and `...; Field "x" is not defined by type "T".`
 * adds ".x". Undefined when the message names no variable.
 */
export function coercionField(message: string): string | undefined {
  const variable = /^Variable "\$([^"]+)"/.exec(message)?.[1];
  if (!variable) return undefined;
  const base = / at "([^"]+)"/.exec(message)?.[1] ?? variable;
  const undefinedField = /Field "([^"]+)" is not defined by type/.exec(message)?.[1];
  return undefinedField ? `${base}.${undefinedField}` : base;
}

/** The message of anything thrown, for log lines. */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));
