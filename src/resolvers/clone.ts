import type { Resolvers } from "../generated/graphql.js";

export const cloneResolvers: Pick<Resolvers, "Mutation" | "Query" | "CloneAttempt"> = {
  Mutation: {
    cloneVoice: (_parent, { input }, { services, signal, idempotencyKey, principal }) =>
      services.cloning.cloneVoice(input, { signal, idempotencyKeyHeader: idempotencyKey, principal }),
  },
  Query: {
    cloneAttempts: (_parent, args, { services, principal }) => services.cloning.listAttempts(args, principal),
  },
  CloneAttempt: {
    // Batched: one catalog query for all the attempts of a list.
    voice: (attempt, _args, { loaders }) => (attempt.voiceId ? loaders.voiceByVoiceId.load(attempt.voiceId) : null),
  },
};
