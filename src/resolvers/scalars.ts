import { GraphQLError, GraphQLScalarType } from "graphql";
import { DateTimeISOResolver } from "graphql-scalars";
import { GatewayError } from "../errors.js";
import type { Resolvers } from "../generated/graphql.js";
import { Upload } from "../services/uploads/file-upload.js";
import { instantProblem } from "../services/storable-values.js";

const dateTime = DateTimeISOResolver.toConfig();

/** A parsed DateTime, refused when PostgreSQL could not compare it with its instants (year 0, or past 9999). */
function storableInstant(value: unknown): Date {
  if (!(value instanceof Date)) return value as Date;
  const problem = instantProblem(value);
  // A GatewayError, so that a literal's refusal (a validation error, by the spec) still answers BAD_USER_INPUT.
  if (problem) throw new GatewayError("BAD_USER_INPUT", `DateTime ${problem}.`);
  return value;
}

// DateTimeISO keeps milliseconds, which cursors, clients comparing createdAt
// values and `expectedUpdatedAt` rely on. It is given the schema's own name:
// makeExecutableSchema copies every property of a scalar resolver onto the
// type, `name` included, so it would rename the type DateTimeISO and a
// variable declared `$at: DateTime` would name no type (GRAPHQL_VALIDATION_FAILED).
export const scalarResolvers: Pick<Resolvers, "DateTime" | "Upload"> = {
  DateTime: new GraphQLScalarType({
    ...dateTime,
    name: "DateTime",
    parseValue: (value) => storableInstant(dateTime.parseValue(value)),
    parseLiteral: (node, variables) => storableInstant(dateTime.parseLiteral(node, variables)),
  }),
  // A file of a multipart request: only ever a variable that the request's `map` filled.
  Upload: new GraphQLScalarType({
    name: "Upload",
    parseValue(value) {
      if (value instanceof Upload) return value.promise;
      throw new GraphQLError("must be a file of the multipart request: null in `variables`, filled by `map`.");
    },
    parseLiteral() {
      throw new GraphQLError("An Upload cannot be written in the document: pass it as a variable filled by `map`.");
    },
    serialize() {
      throw new GraphQLError("An Upload cannot be returned.");
    },
  }),
};
