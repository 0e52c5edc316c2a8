import type { Resolvers } from "../generated/graphql.js";

export const cloneResolvers: Pick<Resolvers, "Mutation"> = {
  Mutation: {
    cloneVoice: async (_parent, { input }, { services, signal }) => ({
      voice: await services.cloning.cloneVoice(input, signal),
    }),
  },
};
