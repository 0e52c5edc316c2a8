// How errors look to clients. Our own GatewayErrors pass unchanged; Apollo's
// and graphql-js's keep their codes, with improvements (a coercion error
// names its variable path, the introspection refusal and the token limit name
// the variable to set, and in production no message suggests a name of the
// schema); anything else is masked (request-report.ts adds the request id).
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { coercionField, GatewayError, isErrorCode } from "../errors.js";

export interface FormatErrorOptions {
  introspection: boolean;
  /** Production hides the schema: no "Did you mean …?" in any message. */
  production?: boolean;
}

/**
 * graphql-js's suggestions ("Did you mean "voices"?", "Did you mean the enum
 * value "NEWEST"?") close a sentence; in production they would map the schema
 * for whoever guesses, whatever kind of name they suggest.
 */
const SUGGESTION = / ?Did you mean [^?]*\?/g;
const TOKEN_LIMIT = /^Syntax Error: Document contains more (?:than|that) (\d+) tokens\. Parsing aborted\.$/;

export function formatErrorFor({ introspection, production = false }: FormatErrorOptions) {
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
    if (isClientStatus(httpStatusOf(error)))
      return withoutSuggestions({ message: formatted.message, extensions: { code: "BAD_REQUEST" } });
    // Anything unexpected is logged with the request id by the reporting
    // plugin, which also writes the masked message with that id.
    return { message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}

/** Whether graphql-js wraps a BAD_USER_INPUT our own scalar threw while reading a literal. */
const refusedByScalar = (error: unknown): boolean =>
  error instanceof GraphQLError && error.originalError instanceof GatewayError && error.originalError.code === "BAD_USER_INPUT";

/** The HTTP status an error of Apollo's asks for, if any. */
const httpStatusOf = (error: unknown): unknown =>
  error instanceof GraphQLError ? (error.extensions.http as { status?: unknown } | undefined)?.status : undefined;

const isClientStatus = (status: unknown): boolean => typeof status === "number" && status >= 400 && status < 500;
