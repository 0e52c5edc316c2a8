import type { Resolvers } from "../generated/graphql.js";
import { catalogResolvers } from "./catalog.js";
import { cloneResolvers } from "./clone.js";
import { keysResolvers } from "./keys.js";
import { scalarResolvers } from "./scalars.js";

export const resolvers: Resolvers = {
  ...scalarResolvers,
  ...catalogResolvers,
  ...cloneResolvers,
  Query: { ...catalogResolvers.Query, ...cloneResolvers.Query, ...keysResolvers.Query },
  Mutation: { ...cloneResolvers.Mutation, ...keysResolvers.Mutation },
};
