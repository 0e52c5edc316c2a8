// What the subgraph adds to the resolvers (FEDERATION=true, src/graphql/subgraph.ts):
// a Voice another subgraph references by `id` or `voiceId`, loaded together
// with every other reference of the request (one query, catalog-loaders.ts).
import type { GatewayContext } from "../context.js";
import type { VoiceRecord } from "../services/catalog/catalog-service.js";
import { voiceReference } from "../services/catalog/voice-reference.js";

export const entityResolvers = {
  Voice: {
    // async: a malformed reference fails its own entity, not its neighbours.
    __resolveReference: async (
      representation: Readonly<Record<string, unknown>>,
      { loaders }: GatewayContext,
    ): Promise<VoiceRecord | null> => loaders.voiceByReference.load(voiceReference(representation)),
  },
};
