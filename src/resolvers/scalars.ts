import { DateTimeISOResolver } from "graphql-scalars";
import { GraphQLUpload } from "graphql-upload-minimal";
import type { Resolvers } from "../generated/graphql.js";

// DateTimeISO keeps milliseconds, which cursors and clients comparing
// createdAt values rely on; exposed under the schema's name DateTime.
export const scalarResolvers: Pick<Resolvers, "DateTime" | "Upload"> = {
  DateTime: DateTimeISOResolver,
  Upload: GraphQLUpload,
};
