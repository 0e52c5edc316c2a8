import type { Resolvers } from "../generated/graphql.js";

export const curationResolvers: Pick<Resolvers, "Mutation"> = {
  Mutation: {
    updateVoice: async (_parent, { id, input, expectedUpdatedAt }, { services }) => ({
      voice: await services.curation.updateVoice(id, input, expectedUpdatedAt),
    }),
    archiveVoice: async (_parent, { id, expectedUpdatedAt }, { services }) => ({
      voice: await services.curation.archiveVoice(id, expectedUpdatedAt),
    }),
    restoreVoice: async (_parent, { id, expectedUpdatedAt }, { services }) => ({
      voice: await services.curation.restoreVoice(id, expectedUpdatedAt),
    }),
  },
};
