// What a catalog read asks for once its arguments are checked: the
// normalised filter (CatalogQuery), the sorts, and the exact-match
// dimensions with the one-letter prefix each one's keys carry in the stored
// `facet_keys` and the rollups (migration 20261129000000), which the SQL
// builders and a cursor's fingerprint spell as stored.

/** The exact-match dimensions: the VoiceFacets field of each, and the prefix of its keys as stored. */
export const FACET_DIMENSIONS = {
  language: { prefix: "l", facet: "languages" },
  dialect: { prefix: "d", facet: "dialects" },
  gender: { prefix: "g", facet: "genders" },
  age: { prefix: "a", facet: "ages" },
  model: { prefix: "m", facet: "models" },
  tag: { prefix: "t", facet: "tags" },
} as const;
export type FacetDimension = keyof typeof FACET_DIMENSIONS;
/** The dimensions a filter gives one value of (all but tags): the ones the facet combinations hold. */
export type CodeDimension = Exclude<FacetDimension, "tag">;
export type FacetField = (typeof FACET_DIMENSIONS)[FacetDimension]["facet"];
export type KeyPrefix = (typeof FACET_DIMENSIONS)[FacetDimension]["prefix"];

/** Every dimension, in the order their facets are built and their keys are listed. */
export const DIMENSIONS = Object.keys(FACET_DIMENSIONS) as FacetDimension[];

/** A stored key of a dimension's value, e.g. "l:ar". */
export const keyOf = (dimension: FacetDimension, value: string): string => `${FACET_DIMENSIONS[dimension].prefix}:${value}`;

/** A filter once validated and normalised (parseFilter): what the SQL and a cursor's fingerprint are made of. */
export interface CatalogQuery {
  /** Exact-match values, e.g. { language: "ar", gender: "female" }: one per dimension but tags. */
  keys: Partial<Record<CodeDimension, string>>;
  /** Normalised tags, all required. */
  tags: string[];
  search?: string | undefined;
  nameContains?: string | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  includeArchived: boolean;
}

export type VoiceSort = "NEWEST" | "OLDEST" | "NAME_ASC" | "NAME_DESC" | "RELEVANCE";

/** A search's words, split at whitespace (which folding never changes); parseFilter bounds how many. */
export const searchWords = (search: string): string[] => search.split(/\s+/).filter(Boolean);
