// A reference to a voice from another service: what a federation router
// sends for each `Voice` it needs (`{ __typename: "Voice", id }` or
// `{ __typename: "Voice", voiceId }`, one per `@key` in
// src/schema/federation/subgraph.graphql), checked before any lookup.
import { badUserInput } from "../../errors.js";

export type VoiceReference = { readonly id: string } | { readonly voiceId: string };

/** The reference's key: `id` when it has one, else `voiceId`; BAD_USER_INPUT when it has neither as a string. */
export function voiceReference(representation: Readonly<Record<string, unknown>>): VoiceReference {
  const { id, voiceId } = representation;
  if (typeof id === "string") return { id };
  if (typeof voiceId === "string") return { voiceId };
  throw badUserInput("representations", "A Voice reference needs its `id` or its `voiceId`, as a string.");
}

/** One string per distinct reference, for the loader's cache: `id` and `voiceId` values never collide. */
export const referenceKey = (reference: VoiceReference): string =>
  "id" in reference ? `id:${reference.id.toLowerCase()}` : `voiceId:${reference.voiceId}`;
