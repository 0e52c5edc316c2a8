import type { Resolvers } from "../generated/graphql.js";

export const catalogResolvers: Pick<Resolvers, "Query" | "VoiceConnection" | "Voice"> = {
  Query: {
    voice: (_parent, args, { services }) => services.catalog.getVoice(args),
    voices: (_parent, args, { services }) => services.catalog.listVoices(args),
  },
  VoiceConnection: {
    edges: (page) => page.voices.map((voice) => ({ cursor: page.cursorOf(voice), node: voice })),
    nodes: (page) => page.voices,
    pageInfo: (page) => {
      const first = page.voices[0];
      const last = page.voices.at(-1);
      return {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: page.hasPreviousPage,
        startCursor: first ? page.cursorOf(first) : null,
        endCursor: last ? page.cursorOf(last) : null,
      };
    },
    // Resolved only when selected, so plain paging never pays for a COUNT.
    totalCount: (page) => page.countTotal(),
  },
  Voice: {
    languages: (voice) => voice.languages ?? [],
    dialects: (voice) => voice.dialects ?? [],
  },
};
