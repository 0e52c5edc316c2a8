import type { Resolvers } from "../generated/graphql.js";
import { catalogResolvers } from "./catalog.js";
import { cloneResolvers } from "./clone.js";
import { scalarResolvers } from "./scalars.js";

export const resolvers: Resolvers = {
  ...scalarResolvers,
  ...catalogResolvers,
  ...cloneResolvers,
  Query: { ...catalogResolvers.Query, ...cloneResolvers.Query },
};
