import type { Resolvers } from "../generated/graphql.js";

export const speechResolvers: Pick<Resolvers, "Mutation" | "Query" | "Speech" | "SpeechConnection"> = {
  Mutation: {
    speak: async (_parent, { input }, { services, principal, origin }) =>
      services.speech.view(await services.speech.speak(input, principal), origin),
  },
  Query: {
    speeches: (_parent, args, { services, principal, origin }) => services.speech.list(args, principal, origin),
  },
  Speech: {
    audioUrl: (speech) => speech.audio.url,
    audioUrlExpiresAt: (speech) => speech.audio.expiresAt,
  },
  SpeechConnection: {
    pageInfo: (page) => ({
      hasNextPage: page.hasNextPage,
      hasPreviousPage: false,
      startCursor: page.nodes[0]?.cursor ?? null,
      endCursor: page.nodes.at(-1)?.cursor ?? null,
    }),
  },
};
