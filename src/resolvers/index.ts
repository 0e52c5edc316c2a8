import type { Resolvers } from "../generated/graphql.js";
import { catalogResolvers } from "./catalog.js";
import { cloneResolvers } from "./clone.js";
import { curationResolvers } from "./curation.js";
import { keysResolvers } from "./keys.js";
import { modelResolvers } from "./models.js";
import { previewResolvers } from "./preview.js";
import { scalarResolvers } from "./scalars.js";
import { speechResolvers } from "./speech.js";

export const resolvers: Resolvers = {
  ...scalarResolvers,
  ...catalogResolvers,
  ...cloneResolvers,
  ...modelResolvers,
  ...previewResolvers,
  ...speechResolvers,
  Query: {
    ...catalogResolvers.Query,
    ...cloneResolvers.Query,
    ...keysResolvers.Query,
    ...modelResolvers.Query,
    ...previewResolvers.Query,
    ...speechResolvers.Query,
  },
  Mutation: {
    ...cloneResolvers.Mutation,
    ...curationResolvers.Mutation,
    ...keysResolvers.Mutation,
    ...previewResolvers.Mutation,
    ...speechResolvers.Mutation,
  },
};
