// Per-request batching of catalog lookups (DataLoader): a list of clone
// attempts asks for its voices in one query instead of one per attempt, so a
// read key cannot turn `cloneAttempts(first: 100) { voice { id } }` into a
// hundred round trips; a federation router's `_entities` request, however
// many references it carries, by `id` and by `voiceId` alike, is one query.
// Made per request, so nothing is cached across requests or clients, and
// created on first use, so requests that need no lookup pay nothing.
import DataLoader from "dataloader";
import { type CatalogService, MAX_PAGE_SIZE, type VoiceRecord } from "./catalog-service.js";
import { referenceKey, type VoiceReference } from "./voice-reference.js";

/**
 * References per statement. The cost limit bounds how many one request may
 * carry (each costs its selection, src/graphql/operation-cost.ts); this
 * bounds the statement's arrays should GRAPHQL_MAX_COST be raised a lot.
 */
export const MAX_REFERENCES_PER_QUERY = 1_000;

export interface CatalogLoaders {
  /** A voice by Faseeh's `voiceId`, or null when the catalog has none. */
  readonly voiceByVoiceId: DataLoader<string, VoiceRecord | null>;
  /** A voice by a federation reference (`id` or `voiceId`), or null when the catalog has none. */
  readonly voiceByReference: DataLoader<VoiceReference, VoiceRecord | null, string>;
}

export function createCatalogLoaders(catalog: CatalogService): CatalogLoaders {
  let voiceByVoiceId: DataLoader<string, VoiceRecord | null> | undefined;
  let voiceByReference: DataLoader<VoiceReference, VoiceRecord | null, string> | undefined;
  return {
    get voiceByVoiceId() {
      return (voiceByVoiceId ??= new DataLoader((voiceIds) => catalog.getVoicesByVoiceIds(voiceIds), {
        maxBatchSize: MAX_PAGE_SIZE,
      }));
    },
    get voiceByReference() {
      return (voiceByReference ??= new DataLoader((references) => catalog.getVoicesByReferences(references), {
        cacheKeyFn: referenceKey,
        maxBatchSize: MAX_REFERENCES_PER_QUERY,
      }));
    },
  };
}
