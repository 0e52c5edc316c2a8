import { GraphQLScalarType } from "graphql";
import { DateTimeISOResolver } from "graphql-scalars";
import { GraphQLUpload } from "graphql-upload-minimal";
import type { Resolvers } from "../generated/graphql.js";

// DateTimeISO keeps milliseconds, which cursors, clients comparing createdAt
// values and `expectedUpdatedAt` rely on. It is given the schema's own name:
// makeExecutableSchema copies every property of a scalar resolver onto the
// type, `name` included, so it would rename the type DateTimeISO and a
// variable declared `$at: DateTime` would name no type (GRAPHQL_VALIDATION_FAILED).
export const scalarResolvers: Pick<Resolvers, "DateTime" | "Upload"> = {
  DateTime: new GraphQLScalarType({ ...DateTimeISOResolver.toConfig(), name: "DateTime" }),
  Upload: GraphQLUpload,
};
