import type { Resolvers } from "../generated/graphql.js";

export const modelResolvers: Pick<Resolvers, "Query" | "ModelList"> = {
  Query: {
    models: (_parent, _args, { services }) => services.models.list(),
  },
  ModelList: {
    items: (list) => [...list.models],
  },
};
