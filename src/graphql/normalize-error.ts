// The one error path, as Apollo's errorNormalize.ts is for Apollo: anything
// thrown (or a response's error again) becomes what the client sees, the
// HTTP status of a response whose first error it is, and the log line it
// deserves. Apollo's formatError, the request-report and HTTP-status plugins,
// the context builder and the HTTP layer's own GraphQL-shaped answers all
// call normalizeError; errors.ts keeps the closed set of codes.
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { coercionField, ERROR_CODES, type ErrorCode, GatewayError, isErrorCode } from "../errors.js";

export interface ErrorPolicy {
  /** Whether introspection is allowed (GRAPHQL_INTROSPECTION); default true. */
  introspection?: boolean;
  /** Production hides the schema: no "Did you mean …?" in any message. */
  production?: boolean;
}

export interface NormalizeOptions extends ErrorPolicy {
  /** Apollo's rendering of the error (locations, path) when Apollo formats it, or a response's error normalized again. */
  formatted?: GraphQLFormattedError;
  /** The request's id, once known: a masked error names it, so support can find its log line. */
  requestId?: string;
  /** Whether the operation ran (the response has `data`): its field errors then answer 200. Default false. */
  executed?: boolean;
  /** "context": thrown while building the request's context, where a refusal of ours is the access log's alone. */
  stage?: "context" | "operation";
}

/** A log line: its level, its fields and its message. */
export interface ErrorLog {
  level: "info" | "error";
  fields: Record<string, unknown>;
  message: string;
}

export interface NormalizedError {
  /** What the client sees. */
  formatted: GraphQLFormattedError;
  /** Its `extensions.code`, one of ours (INTERNAL_SERVER_ERROR for anything else). */
  code: ErrorCode;
  /** The HTTP status of a response whose first error this is. */
  status: number;
  /** The line to log for a thrown error, if any; none for a response's error normalized again (logged when thrown). */
  log: ErrorLog | undefined;
}

export function normalizeError(error: unknown, options: NormalizeOptions = {}): NormalizedError {
  const formatted = withRequestId(formatFor(options)(options.formatted ?? renderingOf(error), error), options.requestId);
  const code = isErrorCode(formatted.extensions?.code) ? formatted.extensions.code : "INTERNAL_SERVER_ERROR";
  return { formatted, code, status: httpStatusOf(code, options), log: logOf(error, options.stage ?? "operation") };
}

/**
 * The HTTP status of a response whose first error has this code: the code's
 * status if the operation never ran, else 200 unless the code is about the
 * request itself (`always` in ERROR_CODES).
 */
function httpStatusOf(code: ErrorCode, { executed = false }: NormalizeOptions): number {
  const entry: { status: number; always?: true } = ERROR_CODES[code];
  return !executed || entry.always ? entry.status : 200;
}

/** The error as Apollo renders it before formatError, for errors that never passed through Apollo. */
function renderingOf(error: unknown): GraphQLFormattedError {
  if (!(error instanceof GraphQLError))
    return { message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } };
  const { http: _http, ...extensions } = error.extensions;
  return { ...error.toJSON(), extensions: { ...extensions, code: extensions.code ?? "INTERNAL_SERVER_ERROR" } };
}

/** What a client sees instead of an unexpected error: nothing internal, only the id of the log line that holds it. */
const maskedMessage = (requestId: string): string => `Internal server error (request id ${requestId}).`;

/** A masked error (INTERNAL_SERVER_ERROR) names the request id, once known; any other error is left as it is. */
function withRequestId(formatted: GraphQLFormattedError, requestId: string | undefined): GraphQLFormattedError {
  if (requestId === undefined || formatted.extensions?.code !== "INTERNAL_SERVER_ERROR") return formatted;
  return { ...formatted, message: maskedMessage(requestId), extensions: { ...formatted.extensions, requestId } };
}

/**
 * Our own GatewayErrors are logged at info with their path (a refusal while
 * building the context only in the access log line); anything whose code is
 * not one of ours, or is INTERNAL_SERVER_ERROR, at error with its stack.
 * Apollo's and graphql-js's refusals (a document that does not parse) are not.
 */
function logOf(error: unknown, stage: "context" | "operation"): ErrorLog | undefined {
  if (!(error instanceof Error)) return undefined;
  const original = unwrapResolverError(error);
  const path = error instanceof GraphQLError ? error.path : undefined;
  if (original instanceof GatewayError) {
    return stage === "context" ? undefined : { level: "info", fields: { code: original.code, path }, message: original.message };
  }
  const code = error instanceof GraphQLError ? error.extensions.code : undefined;
  if (isErrorCode(code) && code !== "INTERNAL_SERVER_ERROR") return undefined;
  return { level: "error", fields: { err: original, ...(path && { path }) }, message: "unexpected error" };
}

/**
 * graphql-js's suggestions ("Did you mean "voices"?", "Did you mean the enum
 * value "NEWEST"?") close a sentence; in production they would map the schema
 * for whoever guesses, whatever kind of name they suggest.
 */
const SUGGESTION = / ?Did you mean [^?]*\?/g;
const TOKEN_LIMIT = /^Syntax Error: Document contains more (?:than|that) (\d+) tokens\. Parsing aborted\.$/;

/**
 * How errors look to clients. Our own GatewayErrors pass unchanged; Apollo's
 * and graphql-js's keep their codes, with improvements (a coercion error
 * names its variable path, the introspection refusal and the token limit
 * name the variable to set, and in production no message suggests a name of
 * the schema); anything else is masked.
 */
function formatFor({ introspection = true, production = false }: ErrorPolicy) {
  const withoutSuggestions = (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const message = production ? formatted.message.replace(SUGGESTION, "") : formatted.message;
    return message === formatted.message ? formatted : { ...formatted, message };
  };
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (unwrapResolverError(error) instanceof GatewayError) return withoutSuggestions(formatted);
    const code = formatted.extensions?.code;
    if (code === "GRAPHQL_VALIDATION_FAILED" && refusedByScalar(error)) {
      // A literal our scalar refused (a DateTime out of range): the value is wrong, not the document.
      return withoutSuggestions({ ...formatted, extensions: { code: "BAD_USER_INPUT" } });
    }
    if (code === "GRAPHQL_VALIDATION_FAILED" && /introspection/i.test(formatted.message) && !introspection) {
      // Apollo's text tells the server's author to pass an option; an operator sets a variable.
      return {
        ...formatted,
        message: "Introspection is disabled in production. Set GRAPHQL_INTROSPECTION=true on the gateway to allow it.",
      };
    }
    const tokens = code === "GRAPHQL_PARSE_FAILED" ? TOKEN_LIMIT.exec(formatted.message)?.[1] : undefined;
    if (tokens) {
      return { ...formatted, message: `The document has more than ${tokens} tokens (GRAPHQL_MAX_TOKENS); nothing ran.` };
    }
    if (code === "BAD_USER_INPUT" && formatted.extensions?.field === undefined) {
      // Variables that fail to coerce (a null Upload!, a map path to no field) name their path too.
      const field = coercionField(formatted.message);
      if (field) return withoutSuggestions({ ...formatted, extensions: { ...formatted.extensions, field } });
    }
    if (isErrorCode(code) && code !== "INTERNAL_SERVER_ERROR") return withoutSuggestions(formatted);
    // Apollo refuses some requests with a 4xx status and no code (a persisted query whose hash
    // does not match its text, an unknown persisted-query version): the client's mistake, not ours.
    if (isClientStatus(apolloStatusOf(error)))
      return withoutSuggestions({ message: formatted.message, extensions: { code: "BAD_REQUEST" } });
    // Anything unexpected is logged (logOf); the client sees only the request id (withRequestId).
    return { message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}

/** Whether graphql-js wraps a BAD_USER_INPUT our own scalar threw while reading a literal. */
const refusedByScalar = (error: unknown): boolean =>
  error instanceof GraphQLError && error.originalError instanceof GatewayError && error.originalError.code === "BAD_USER_INPUT";

/** The HTTP status an error of Apollo's asks for, if any. */
const apolloStatusOf = (error: unknown): unknown =>
  error instanceof GraphQLError ? (error.extensions.http as { status?: unknown } | undefined)?.status : undefined;

const isClientStatus = (status: unknown): boolean => typeof status === "number" && status >= 400 && status < 500;
