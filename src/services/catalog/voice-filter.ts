// A listing's filter as clients give it (VoiceFilter) and its checking:
// every bound enforced before any query runs, naming the offending field,
// and every value normalised as the catalog stores it (CatalogQuery).
import { badUserInput } from "../../errors.js";
import { type CatalogQuery, type CodeDimension, searchWords } from "./catalog-query.js";
import { normalise, parseFilterTags } from "./voice-metadata.js";

/**
 * Bounds on the text filters: a search longer than any name, or a code
 * longer than any code, can only cost the database work and is refused
 * before any query runs.
 */
export const MAX_SEARCH_LENGTH = 100;
/** The most words a search has: each is a condition. */
export const MAX_SEARCH_WORDS = 8;
export const MAX_FILTER_CODE_LENGTH = 64;
/** The exact-match filters, in the order their values are listed in the keys a voice must have. */
const CODE_FILTERS = ["language", "dialect", "gender", "age", "model"] as const satisfies readonly CodeDimension[];

export interface VoiceFilter {
  language?: string | null;
  dialect?: string | null;
  gender?: string | null;
  age?: string | null;
  model?: string | null;
  tags?: readonly string[] | null;
  search?: string | null;
  nameContains?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  includeArchived?: boolean | null;
}

/** Validates a filter (naming the offending field) and normalises it as the catalog stores values. */
export function parseFilter(filter: VoiceFilter | null | undefined): CatalogQuery {
  const query: CatalogQuery = { keys: {}, tags: [], includeArchived: filter?.includeArchived === true };
  if (!filter) return query;
  parseCodes(filter, query);
  parseTexts(filter, query);
  query.tags = parseFilterTags(filter.tags).sort();
  if (filter.createdAfter) query.createdAfter = filter.createdAfter;
  if (filter.createdBefore) query.createdBefore = filter.createdBefore;
  return query;
}

function parseCodes(filter: VoiceFilter, query: CatalogQuery): void {
  for (const field of CODE_FILTERS) {
    const value = filter[field];
    if (value != null && value.length > MAX_FILTER_CODE_LENGTH) {
      throw badUserInput(
        `filter.${field}`,
        `\`filter.${field}\` is at most ${MAX_FILTER_CODE_LENGTH} characters (got ${value.length}).`,
      );
    }
    const code = normalise(value);
    if (code) query.keys[field] = code;
  }
}

function parseTexts(filter: VoiceFilter, query: CatalogQuery): void {
  for (const field of ["search", "nameContains"] as const) {
    const value = filter[field];
    if (value != null && value.length > MAX_SEARCH_LENGTH) {
      throw badUserInput(
        `filter.${field}`,
        `\`filter.${field}\` is at most ${MAX_SEARCH_LENGTH} characters (got ${value.length}).`,
      );
    }
    const trimmed = value?.trim();
    if (trimmed) query[field] = trimmed;
  }
  if (query.search && searchWords(query.search).length > MAX_SEARCH_WORDS) {
    throw badUserInput("filter.search", `\`filter.search\` has at most ${MAX_SEARCH_WORDS} words.`);
  }
}
