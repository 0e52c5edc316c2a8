import type { Resolvers } from "../generated/graphql.js";

export const previewResolvers: Pick<Resolvers, "Mutation" | "Query" | "VoicePreview"> = {
  Mutation: {
    previewVoice: async (_parent, { input }, { services, signal, principal, origin }) =>
      services.previews.view(await services.previews.previewVoice(input, { signal, principal }), origin),
  },
  Query: {
    voicePreview: async (_parent, { id }, { services, principal, origin }) => {
      const preview = await services.previews.getPreview(id, principal);
      return preview && services.previews.view(preview, origin);
    },
  },
  VoicePreview: {
    audioUrl: (preview) => preview.audio.url,
    audioUrlExpiresAt: (preview) => preview.audio.expiresAt,
  },
};
