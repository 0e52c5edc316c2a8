// How errors look to clients. Our own GatewayErrors pass unchanged; Apollo's
// and graphql-js's keep their codes, with two improvements (a coercion error
// names its variable path, the introspection refusal names the variable to
// set); anything else is masked (request-report.ts adds the request id).
import type { GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { coercionField, GatewayError, isErrorCode } from "../errors.js";

export function formatErrorFor({ introspection }: { introspection: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (unwrapResolverError(error) instanceof GatewayError) return formatted;
    const code = formatted.extensions?.code;
    if (code === "GRAPHQL_VALIDATION_FAILED" && /introspection/i.test(formatted.message) && !introspection) {
      // Apollo's text tells the server's author to pass an option; an operator sets a variable.
      return {
        ...formatted,
        message: "Introspection is disabled in production. Set GRAPHQL_INTROSPECTION=true on the gateway to allow it.",
      };
    }
    if (code === "BAD_USER_INPUT" && formatted.extensions?.field === undefined) {
      // Variables that fail to coerce (a null Upload!, a map path to no field) name their path too.
      const field = coercionField(formatted.message);
      if (field) return { ...formatted, extensions: { ...formatted.extensions, field } };
    }
    if (isErrorCode(code) && code !== "INTERNAL_SERVER_ERROR") return formatted;
    // Anything unexpected is logged with the request id by the reporting
    // plugin, which also writes the masked message with that id.
    return { message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
