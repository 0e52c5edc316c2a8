import type { Resolvers } from "../generated/graphql.js";
import { pageColumnsOf, voiceColumnsOf } from "./voice-selection.js";

export const catalogResolvers: Pick<Resolvers, "Query" | "VoiceConnection" | "Voice"> = {
  Query: {
    voice: (_parent, args, { services }, info) => services.catalog.getVoice(args, { columns: voiceColumnsOf(info) }),
    voices: (_parent, args, { services }, info) => services.catalog.listVoices(args, { columns: pageColumnsOf(info) }),
    voiceFacets: (_parent, args, { services }) => services.catalog.voiceFacets(args.filter, args.limit),
  },
  VoiceConnection: {
    edges: (page) => page.voices.map((voice) => ({ cursor: page.cursorOf(voice), node: voice })),
    nodes: (page) => page.voices,
    // Cursors are made only when selected: most pages ask for one of the two, or none.
    pageInfo: (page) => ({
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      get startCursor() {
        const first = page.voices[0];
        return first ? page.cursorOf(first) : null;
      },
      get endCursor() {
        const last = page.voices.at(-1);
        return last ? page.cursorOf(last) : null;
      },
    }),
    // Resolved only when selected, so plain paging never pays for a COUNT.
    totalCount: async (page) => (await page.total()).count,
    totalCountIsEstimate: async (page) => (await page.total()).isEstimate,
  },
  // The columns are nullable in SQL (first migration) though Prisma types them as lists: a row
  // written by other means (a bulk copy) may hold NULL, which the schema's [String!]! cannot.
  Voice: {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- NULL in SQL, see above
    languages: (voice) => voice.languages ?? [],
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- NULL in SQL, see above
    dialects: (voice) => voice.dialects ?? [],
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- NULL in SQL, see above
    tags: (voice) => voice.tags ?? [],
  },
};
