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
    voice: (attempt, _args, { services }) => (attempt.voiceId ? services.catalog.getVoice({ voiceId: attempt.voiceId }) : null),
  },
};
