// Per-request batching of catalog lookups (DataLoader): a list of clone
// attempts asks for its voices in one query instead of one per attempt, so a
// read key cannot turn `cloneAttempts(first: 100) { voice { id } }` into a
// hundred round trips. Made per request, so nothing is cached across requests
// or clients, and created on first use, so requests that need no lookup pay
// nothing.
import DataLoader from "dataloader";
import { type CatalogService, MAX_PAGE_SIZE, type VoiceRecord } from "./catalog-service.js";

export interface CatalogLoaders {
  /** A voice by Faseeh's `voiceId`, or null when the catalog has none. */
  readonly voiceByVoiceId: DataLoader<string, VoiceRecord | null>;
}

export function createCatalogLoaders(catalog: CatalogService): CatalogLoaders {
  let voiceByVoiceId: DataLoader<string, VoiceRecord | null> | undefined;
  return {
    get voiceByVoiceId() {
      return (voiceByVoiceId ??= new DataLoader((voiceIds) => catalog.getVoicesByVoiceIds(voiceIds), {
        maxBatchSize: MAX_PAGE_SIZE,
      }));
    },
  };
}
