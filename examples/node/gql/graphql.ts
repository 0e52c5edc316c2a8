/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/**
 * A clone's files and fields. Either send `voiceFile`, `referenceAudioFile` and
 * `text`, or `previewId` alone for them (the preview's audio, its recording and
 * its text, as stored when `previewVoice` made it).
 */
export type CloneVoiceInput = {
  /** e.g. "middle", "elderly". */
  age?: string | null | undefined;
  /** An absolute http(s) URL of an avatar image. */
  avatarUrl?: string | null | undefined;
  description?: string | null | undefined;
  /** Dialects, e.g. ["najdi", "hijazi"] (sent comma-separated). */
  dialects?: Array<string> | null | undefined;
  /** e.g. "male", "female". */
  gender?: string | null | undefined;
  /**
   * Makes retries safe: a request repeated with the same key and the same fields
   * and files returns the first request's voice without cloning again (also while
   * the first is still running, or after the client left). Keys belong to the
   * client API key that used them. Kept at least 24 hours. Also accepted as the
   * `Idempotency-Key` HTTP header. 1-255 visible ASCII characters, e.g. a UUID.
   */
  idempotencyKey?: string | null | undefined;
  /** Language codes, e.g. ["ar", "en"] (sent comma-separated). */
  languages?: Array<string> | null | undefined;
  /** The Faseeh model to clone with (see `models`). With `previewId`, defaults to the preview's model. */
  model?: string | null | undefined;
  name: string;
  /** A preview made by `previewVoice` (not expired): its files and text are sent, so leave those three out. */
  previewId?: string | number | null | undefined;
  /** The original audio used for the preview (sent as reference_audio_file): an audio file. */
  referenceAudioFile?: File | Blob | null | undefined;
  /** 0..1: higher values give more consistent output. */
  stability: number;
  /** The catalog's labels for the voice, e.g. ["news", "warm"]: at most 20, each 1-40 characters after normalising. Kept in the catalog, never sent to Faseeh. */
  tags?: Array<string> | null | undefined;
  /** The text used to generate the preview. */
  text?: string | null | undefined;
  /**
   * The generated preview audio (sent to Faseeh as voice_file): an audio file,
   * or headerless 16-bit PCM as Faseeh's preview produces it, sent as
   * `audio/raw`, `audio/L16` or `audio/pcm`, or named `*.pcm` or `*.raw`.
   */
  voiceFile?: File | Blob | null | undefined;
};

export type PreviewVoiceInput = {
  /** The recording of the voice to preview: an audio file, judged by its content. */
  file: File | Blob;
  /** A Faseeh model id (see `models`). */
  modelId: string;
  /** 0..1: how close to the recording's voice. */
  similarity: number;
  /** 0.7..1.2. */
  speed?: number | null | undefined;
  /** What the preview says: at least 3 words and 10 characters. A clone from the preview uses the same text. */
  text: string;
};

/**
 * Narrows `voices` and `voiceFacets`. Every given field must match (AND).
 * Codes (language, dialect, gender, age, model) and tags match ignoring case.
 */
export type VoiceFilter = {
  /** Exact match, e.g. "middle". */
  age?: string | null | undefined;
  /** Voices created at or after this instant. */
  createdAfter?: string | null | undefined;
  /** Voices created before this instant. */
  createdBefore?: string | null | undefined;
  /** Voices whose dialects include this one, e.g. "najdi". */
  dialect?: string | null | undefined;
  /** Exact match, e.g. "female". */
  gender?: string | null | undefined;
  /** Also list archived voices (see `archiveVoice`). Default false. */
  includeArchived?: boolean | null | undefined;
  /** Voices whose languages include this code, e.g. "ar". Codes (this and the four below) are at most 64 characters. */
  language?: string | null | undefined;
  /** Exact match on the model the clone was made with. */
  model?: string | null | undefined;
  /** Voices whose name contains this text, ignoring case (at most 100 characters). `search` is the fuzzier, Arabic-aware alternative. */
  nameContains?: string | null | undefined;
  /**
   * Words to find in the name, description and tags (at most 100 characters
   * and 8 words; every word must be found). Matching ignores case, Arabic
   * diacritics (tashkeel) and tatweel, treats أ إ آ ا as one letter, ة as ه and
   * ى as ي, finds parts of words, and forgives misspellings of words of four
   * letters or more by trigram word similarity ("Laila" finds "Layla", "ليلي"
   * finds "ليلى"). Combines with any `sort`; `sort: RELEVANCE` ranks by it.
   */
  search?: string | null | undefined;
  /** Voices carrying all of these tags (normalised as tags are stored; at most 20). */
  tags?: Array<string> | null | undefined;
};

export type CloneVoiceMutationVariables = Exact<{
  input: CloneVoiceInput;
}>;


export type CloneVoiceMutation = { cloneVoice: { attemptId: string, voice: { id: string, voiceId: string, name: string, model: string, gender: string | null, languages: Array<string>, dialects: Array<string>, tags: Array<string>, createdAt: string } } };

export type VoicesQueryVariables = Exact<{
  filter?: VoiceFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type VoicesQuery = { voices: { totalCount: number, edges: Array<{ cursor: string, node: { voiceId: string, name: string, gender: string | null, languages: Array<string>, dialects: Array<string>, tags: Array<string>, createdAt: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type PreviewVoiceMutationVariables = Exact<{
  input: PreviewVoiceInput;
}>;


export type PreviewVoiceMutation = { previewVoice: { id: string, text: string, durationSeconds: number, audioUrl: string, audioUrlExpiresAt: string, expiresAt: string } };


export const CloneVoiceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CloneVoice"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CloneVoiceInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cloneVoice"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"attemptId"}},{"kind":"Field","name":{"kind":"Name","value":"voice"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"voiceId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"gender"}},{"kind":"Field","name":{"kind":"Name","value":"languages"}},{"kind":"Field","name":{"kind":"Name","value":"dialects"}},{"kind":"Field","name":{"kind":"Name","value":"tags"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]}}]} as unknown as DocumentNode<CloneVoiceMutation, CloneVoiceMutationVariables>;
export const VoicesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Voices"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"VoiceFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"voices"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"voiceId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"gender"}},{"kind":"Field","name":{"kind":"Name","value":"languages"}},{"kind":"Field","name":{"kind":"Name","value":"dialects"}},{"kind":"Field","name":{"kind":"Name","value":"tags"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<VoicesQuery, VoicesQueryVariables>;
export const PreviewVoiceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PreviewVoice"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"PreviewVoiceInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"previewVoice"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"text"}},{"kind":"Field","name":{"kind":"Name","value":"durationSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"audioUrl"}},{"kind":"Field","name":{"kind":"Name","value":"audioUrlExpiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}}]}}]} as unknown as DocumentNode<PreviewVoiceMutation, PreviewVoiceMutationVariables>;