import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { VoiceRecord, VoicePage } from '../services/catalog/catalog-service.js';
import type { CloneAttemptRecord } from '../services/clone/clone-attempt-store.js';
import type { CloneResult } from '../services/clone/clone-service.js';
import type { PreviewView } from '../services/previews/preview-service.js';
import type { SpeechView, SpeechPage } from '../services/speech/speech-service.js';
import type { ModelListing } from '../services/models/model-catalog.js';
import type { UpstreamModel } from '../upstream/faseeh-client.js';
import type { GatewayContext } from '../context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO-8601 date-time in UTC, e.g. 2026-11-26T10:15:30.000Z. */
  DateTime: { input: Date; output: Date; }
  /** A file sent with the GraphQL multipart request spec (https://github.com/jaydenseric/graphql-multipart-request-spec). */
  Upload: { input: Promise<import('../services/uploads/file-upload.js').FileUpload>; output: Promise<import('../services/uploads/file-upload.js').FileUpload>; }
};

/** A client API key, as stored: never the secret itself, only its first characters. */
export type ApiKey = {
  __typename?: 'ApiKey';
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** Updated at most once a minute. */
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The tool that uses it. */
  name: Scalars['String']['output'];
  /** The key's first characters, to recognise it (never enough to use it). */
  prefix: Scalars['String']['output'];
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  scope: ApiKeyScope;
};

export type ApiKeyScope =
  /** May do all that, see every caller's clone attempts, and manage client keys. */
  | 'ADMIN'
  /** May run queries. */
  | 'READ'
  /** May also clone (which spends the Faseeh wallet). */
  | 'WRITE';

/** One cloneVoice call, recorded before Faseeh is called, so an operator can see what happened to each. */
export type CloneAttempt = {
  __typename?: 'CloneAttempt';
  createdAt: Scalars['DateTime']['output'];
  /** The `extensions.code` the client received, for FAILED and UNKNOWN attempts. */
  errorCode?: Maybe<Scalars['String']['output']>;
  errorMessage?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  idempotencyKey?: Maybe<Scalars['String']['output']>;
  model: Scalars['String']['output'];
  /** The requested voice name. */
  name: Scalars['String']['output'];
  /** When an operator resolved this attempt's unknown outcome. */
  resolvedAt?: Maybe<Scalars['DateTime']['output']>;
  status: CloneAttemptStatus;
  updatedAt: Scalars['DateTime']['output'];
  /** The stored voice (null until stored). */
  voice?: Maybe<Voice>;
  /** Faseeh's voice_id, once it created the voice. */
  voiceId?: Maybe<Scalars['String']['output']>;
};

export type CloneAttemptStatus =
  /**
   * Faseeh certainly created nothing: it never had the whole request, or it
   * refused it (400/401/402/404/429 with its JSON error). A retry with the same
   * idempotency key clones anew.
   */
  | 'FAILED'
  /** Faseeh is being called (or the call is queued). */
  | 'PENDING'
  /** Faseeh created the voice and the catalog stored it. */
  | 'SUCCEEDED'
  /**
   * Faseeh had the whole request but no definitive answer came back (5xx,
   * non-JSON, reset, timeout, shutdown): a voice may exist upstream. Never
   * repeated; an operator resolves it (`npm run reconcile -- resolve`).
   */
  | 'UNKNOWN';

/**
 * A clone's files and fields. Either send `voiceFile`, `referenceAudioFile` and
 * `text`, or `previewId` alone for them (the preview's audio, its recording and
 * its text, as stored when `previewVoice` made it).
 */
export type CloneVoiceInput = {
  /** e.g. "middle", "elderly". */
  age?: InputMaybe<Scalars['String']['input']>;
  /** An absolute http(s) URL of an avatar image. */
  avatarUrl?: InputMaybe<Scalars['String']['input']>;
  description?: InputMaybe<Scalars['String']['input']>;
  /** Dialects, e.g. ["najdi", "hijazi"] (sent comma-separated). */
  dialects?: InputMaybe<Array<Scalars['String']['input']>>;
  /** e.g. "male", "female". */
  gender?: InputMaybe<Scalars['String']['input']>;
  /**
   * Makes retries safe: a request repeated with the same key and the same fields
   * and files returns the first request's voice without cloning again (also while
   * the first is still running, or after the client left). Keys belong to the
   * client API key that used them. Kept at least 24 hours. Also accepted as the
   * `Idempotency-Key` HTTP header. 1-255 visible ASCII characters, e.g. a UUID.
   */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  /** Language codes, e.g. ["ar", "en"] (sent comma-separated). */
  languages?: InputMaybe<Array<Scalars['String']['input']>>;
  /** The Faseeh model to clone with (see `models`). With `previewId`, defaults to the preview's model. */
  model?: InputMaybe<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  /** A preview made by `previewVoice` (not expired): its files and text are sent, so leave those three out. */
  previewId?: InputMaybe<Scalars['ID']['input']>;
  /** The original audio used for the preview (sent as reference_audio_file): an audio file. */
  referenceAudioFile?: InputMaybe<Scalars['Upload']['input']>;
  /** 0..1: higher values give more consistent output. */
  stability: Scalars['Float']['input'];
  /** The catalog's labels for the voice, e.g. ["news", "warm"]: at most 20, each 1-40 characters after normalising. Kept in the catalog, never sent to Faseeh. */
  tags?: InputMaybe<Array<Scalars['String']['input']>>;
  /** The text used to generate the preview. */
  text?: InputMaybe<Scalars['String']['input']>;
  /**
   * The generated preview audio (sent to Faseeh as voice_file): an audio file,
   * or headerless 16-bit PCM as Faseeh's preview produces it, sent as
   * `audio/raw`, `audio/L16` or `audio/pcm`, or named `*.pcm` or `*.raw`.
   */
  voiceFile?: InputMaybe<Scalars['Upload']['input']>;
};

export type CloneVoicePayload = {
  __typename?: 'CloneVoicePayload';
  /** The clone attempt that produced it (see `cloneAttempts`). */
  attemptId: Scalars['ID']['output'];
  /** True when this answers a repeated request with the same idempotency key (nothing was cloned again). */
  replayed: Scalars['Boolean']['output'];
  /** The new voice, as stored in the catalog. */
  voice: Voice;
};

export type CreatedApiKey = {
  __typename?: 'CreatedApiKey';
  apiKey: ApiKey;
  /** The secret to send as `Authorization: Bearer <key>`. Shown only in this answer: store it now. */
  key: Scalars['String']['output'];
};

/** One value of a facet and how many voices have it. */
export type FacetValue = {
  __typename?: 'FacetValue';
  count: Scalars['Int']['output'];
  value: Scalars['String']['output'];
};

/** A model Faseeh offers (its `GET /models`). */
export type Model = {
  __typename?: 'Model';
  /** What one character of text-to-speech costs, as Faseeh states it. */
  costPerCharacter?: Maybe<Scalars['Float']['output']>;
  description?: Maybe<Scalars['String']['output']>;
  /** Faseeh's record id. */
  id: Scalars['ID']['output'];
  /** The identifier to pass as `cloneVoice(input.model)` and `previewVoice(input.modelId)`. */
  modelId: Scalars['String']['output'];
  name: Scalars['String']['output'];
};

/** Faseeh's model list as the gateway holds it (cached for MODELS_CACHE_TTL_MS). */
export type ModelList = {
  __typename?: 'ModelList';
  /** When the gateway fetched this list from Faseeh. */
  fetchedAt: Scalars['DateTime']['output'];
  items: Array<Model>;
  /**
   * True when Faseeh could not be asked for a fresher list and this is the last
   * one fetched (served for at most MODELS_STALE_MAX_MS after `fetchedAt`).
   */
  stale: Scalars['Boolean']['output'];
  /** Why the list is stale: the failure of the last refresh. */
  staleReason?: Maybe<Scalars['String']['output']>;
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Hides a voice from `voices` (unless `filter.includeArchived`); `voice(id)` still finds it. Needs a `write` key. Archiving an archived voice changes nothing. */
  archiveVoice: VoicePayload;
  /**
   * Clones a voice with Faseeh and stores it in the catalog. Send as a GraphQL
   * multipart request with the header `Apollo-Require-Preflight: true`.
   * Nothing is stored when cloning fails. Once Faseeh has the whole request the
   * clone runs to its end even if the client disconnects: replay the
   * idempotency key, or look in `cloneAttempts`, to find its voice.
   */
  cloneVoice: CloneVoicePayload;
  /**
   * Creates a client key. Needs an `admin` key, or an open gateway (no key yet):
   * the first key closes the gateway at once, so it must have the ADMIN scope.
   */
  createApiKey: CreatedApiKey;
  /**
   * Sends a recording and a text to Faseeh's preview call (billed by Faseeh)
   * and keeps what it produced. Needs a `write` key; counts toward the client
   * key's preview limit (PREVIEW_RATE_LIMIT_PER_MINUTE), not the clone limit.
   * Send as a GraphQL multipart request with `Apollo-Require-Preflight: true`.
   */
  previewVoice: VoicePreview;
  /** Brings an archived voice back into `voices`. Needs a `write` key. Restoring a voice that is not archived changes nothing. */
  restoreVoice: VoicePayload;
  /**
   * Revokes a client key by its id or its prefix; it is refused from the next
   * request on. Needs an `admin` key.
   */
  revokeApiKey: ApiKey;
  /**
   * Has a catalog voice say `text` through Faseeh's text-to-speech (billed per
   * character), unless the same request was answered within SPEECH_TTL_HOURS:
   * then its kept audio answers, `cached: true`, with no call. Identical requests
   * in flight make one call. Needs a `write` key; requests not answered from
   * kept audio count toward SPEAK_RATE_LIMIT_PER_MINUTE.
   */
  speak: Speech;
  /**
   * Edits the catalog's record of a voice (needs a `write` key). Local to the
   * catalog: Faseeh's record is untouched and nothing is sent to it. With
   * `expectedUpdatedAt`, the edit is refused with CONFLICT when the voice changed
   * since that `updatedAt` (another edit, an archive or a restore).
   */
  updateVoice: VoicePayload;
};


export type MutationArchiveVoiceArgs = {
  expectedUpdatedAt?: InputMaybe<Scalars['DateTime']['input']>;
  id: Scalars['ID']['input'];
};


export type MutationCloneVoiceArgs = {
  input: CloneVoiceInput;
};


export type MutationCreateApiKeyArgs = {
  name: Scalars['String']['input'];
  scope?: ApiKeyScope;
};


export type MutationPreviewVoiceArgs = {
  input: PreviewVoiceInput;
};


export type MutationRestoreVoiceArgs = {
  expectedUpdatedAt?: InputMaybe<Scalars['DateTime']['input']>;
  id: Scalars['ID']['input'];
};


export type MutationRevokeApiKeyArgs = {
  key: Scalars['String']['input'];
};


export type MutationSpeakArgs = {
  input: SpeakInput;
};


export type MutationUpdateVoiceArgs = {
  expectedUpdatedAt?: InputMaybe<Scalars['DateTime']['input']>;
  id: Scalars['ID']['input'];
  input: UpdateVoiceInput;
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  hasPreviousPage: Scalars['Boolean']['output'];
  startCursor?: Maybe<Scalars['String']['output']>;
};

export type PreviewVoiceInput = {
  /** The recording of the voice to preview: an audio file, judged by its content. */
  file: Scalars['Upload']['input'];
  /** A Faseeh model id (see `models`). */
  modelId: Scalars['String']['input'];
  /** 0..1: how close to the recording's voice. */
  similarity: Scalars['Float']['input'];
  /** 0.7..1.2. */
  speed?: InputMaybe<Scalars['Float']['input']>;
  /** What the preview says: at least 3 words and 10 characters. A clone from the preview uses the same text. */
  text: Scalars['String']['input'];
};

export type Query = {
  __typename?: 'Query';
  /** Every client key, oldest first. Needs an `admin` key (or an open gateway). */
  apiKeys: Array<ApiKey>;
  /**
   * The caller's own clone attempts (an `admin` key sees everybody's), newest
   * first, optionally only those with one status. `first` is 1..100.
   */
  cloneAttempts: Array<CloneAttempt>;
  /**
   * The models Faseeh offers. `cloneVoice` and `previewVoice` refuse a model
   * missing from this list before anything is sent.
   */
  models: ModelList;
  /**
   * The caller's answered `speak`s (an `admin` key sees everybody's) whose audio
   * is still kept, newest first. `first` is 1..100; pass `pageInfo.endCursor` as `after`.
   */
  speeches: SpeechConnection;
  /** One voice by Faseeh's record `id` or by its `voiceId` (exactly one of them), archived or not; null when not in the catalog. */
  voice?: Maybe<Voice>;
  /** Facet counts for a filter (see `VoiceFacets`). `limit` is the most values per dimension, 1..100. */
  voiceFacets: VoiceFacets;
  /** One of the caller's previews while it is kept, with a fresh `audioUrl`; null when unknown or expired. */
  voicePreview?: Maybe<VoicePreview>;
  /**
   * Voices in the catalog (not archived ones unless `filter.includeArchived`),
   * in `sort` order. `first` is 1..100; `after` is a cursor from a previous page
   * of the same filter and sort.
   */
  voices: VoiceConnection;
};


export type QueryCloneAttemptsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<CloneAttemptStatus>;
};


export type QuerySpeechesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryVoiceArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
  voiceId?: InputMaybe<Scalars['String']['input']>;
};


export type QueryVoiceFacetsArgs = {
  filter?: InputMaybe<VoiceFilter>;
  limit?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryVoicePreviewArgs = {
  id: Scalars['ID']['input'];
};


export type QueryVoicesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<VoiceFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  sort?: InputMaybe<VoiceSort>;
};

export type SpeakInput = {
  /** A Faseeh model id (see `models`); default: the model the voice was cloned with. */
  modelId?: InputMaybe<Scalars['String']['input']>;
  /** 0.7..1.2. */
  speed?: InputMaybe<Scalars['Float']['input']>;
  /** 0..1: higher is more consistent; default: the voice's own. */
  stability?: InputMaybe<Scalars['Float']['input']>;
  /** What the voice says: 1 to SPEAK_MAX_CHARACTERS (1,000) characters, trimmed. Faseeh bills per character. */
  text: Scalars['String']['input'];
  /** Faseeh's `voiceId` of a voice in the catalog (not archived). */
  voiceId: Scalars['String']['input'];
};

/**
 * A catalog voice saying a line, through Faseeh's text-to-speech. The audio is
 * kept until `expiresAt` and answers every identical `speak` meanwhile, so the
 * same voice, text, model, stability and speed are billed once.
 */
export type Speech = {
  __typename?: 'Speech';
  /**
   * The speech as WAV, for an `<audio>` element: served by the gateway (Range
   * requests supported), signed, and valid without an Authorization header
   * until `audioUrlExpiresAt`. Query `speeches` (or send the same `speak`) for a fresh one.
   */
  audioUrl: Scalars['String']['output'];
  audioUrlExpiresAt: Scalars['DateTime']['output'];
  /** True when this answer made no call to Faseeh: the audio was kept, or being made, for the same request. */
  cached: Scalars['Boolean']['output'];
  /** Characters of `text` (Unicode code points): what Faseeh billed for the audio. */
  characters: Scalars['Int']['output'];
  /** When this `speak` was answered. */
  createdAt: Scalars['DateTime']['output'];
  /** Length of the audio. */
  durationSeconds: Scalars['Float']['output'];
  /** When the audio is removed (SPEECH_TTL_HOURS after Faseeh made it); identical requests are answered from it until then. */
  expiresAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  modelId: Scalars['String']['output'];
  speed: Scalars['Float']['output'];
  stability: Scalars['Float']['output'];
  /** The text spoken, trimmed, as Faseeh received it. */
  text: Scalars['String']['output'];
  voiceId: Scalars['String']['output'];
};

/** A page of speech, newest first. */
export type SpeechConnection = {
  __typename?: 'SpeechConnection';
  nodes: Array<Speech>;
  pageInfo: PageInfo;
};

/**
 * The catalog's metadata of a voice. Only the fields given change; `null`
 * clears an optional one (`description`, `gender`, `age`, `avatarUrl`) or empties
 * a list. Validated as `cloneVoice` validates them.
 */
export type UpdateVoiceInput = {
  age?: InputMaybe<Scalars['String']['input']>;
  /** An absolute http(s) URL of an avatar image. */
  avatarUrl?: InputMaybe<Scalars['String']['input']>;
  description?: InputMaybe<Scalars['String']['input']>;
  dialects?: InputMaybe<Array<Scalars['String']['input']>>;
  gender?: InputMaybe<Scalars['String']['input']>;
  languages?: InputMaybe<Array<Scalars['String']['input']>>;
  /** 1-100 characters, not null. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** Replaces the tags: at most 20, each 1-40 characters after normalising. */
  tags?: InputMaybe<Array<Scalars['String']['input']>>;
};

/**
 * A voice cloned through Faseeh and stored in the catalog. Its metadata can be
 * edited (`updateVoice`): the edits live in the catalog only, Faseeh's own record
 * of the voice is left as it was.
 */
export type Voice = {
  __typename?: 'Voice';
  /** Age category, lower-cased, e.g. "middle", "elderly". */
  age?: Maybe<Scalars['String']['output']>;
  /** When the voice was archived; null when it is not. */
  archivedAt?: Maybe<Scalars['DateTime']['output']>;
  avatarUrl?: Maybe<Scalars['String']['output']>;
  /** When the gateway stored the voice. */
  createdAt: Scalars['DateTime']['output'];
  description?: Maybe<Scalars['String']['output']>;
  /** Lower-cased dialects, e.g. ["najdi", "hijazi"] (Faseeh's response field `dialect`). */
  dialects: Array<Scalars['String']['output']>;
  /** Lower-cased, e.g. "male", "female". */
  gender?: Maybe<Scalars['String']['output']>;
  /** Faseeh's record id (a UUID). */
  id: Scalars['ID']['output'];
  /** Lower-cased language codes, e.g. ["ar", "en"]. */
  languages: Array<Scalars['String']['output']>;
  /** The model the clone was made with. */
  model: Scalars['String']['output'];
  name: Scalars['String']['output'];
  /** A URL of a sample of the voice. */
  sampleUrl?: Maybe<Scalars['String']['output']>;
  /** 0..1: higher is more consistent. */
  stability: Scalars['Float']['output'];
  /** The catalog's own labels, normalised (lower case, spaces as "-"); never sent to Faseeh. */
  tags: Array<Scalars['String']['output']>;
  /** Faseeh's voice type, e.g. "cloned". */
  type?: Maybe<Scalars['String']['output']>;
  /** When the catalog's record last changed (stored, edited, archived or restored): pass it as `expectedUpdatedAt` to edit safely. */
  updatedAt: Scalars['DateTime']['output'];
  /** Faseeh's voice_id: pass it to the text-to-speech endpoints. */
  voiceId: Scalars['String']['output'];
};

/** A page of voices in the requested order (Relay connection). */
export type VoiceConnection = {
  __typename?: 'VoiceConnection';
  edges: Array<VoiceEdge>;
  /** The same voices as `edges`, without cursors. */
  nodes: Array<Voice>;
  pageInfo: PageInfo;
  /**
   * How many voices match the filter in all pages (counted only when asked
   * for). Exact for filters on language, dialect, gender, age, model, at most
   * one tag and `includeArchived`. With `search`, `nameContains`, dates or
   * several tags it is exact up to CATALOG_EXACT_COUNT_LIMIT (10,000), and
   * past that the planner's estimate, with `totalCountIsEstimate: true`.
   */
  totalCount: Scalars['Int']['output'];
  /** True when `totalCount` is an estimate (see `totalCount`). */
  totalCountIsEstimate: Scalars['Boolean']['output'];
};

export type VoiceEdge = {
  __typename?: 'VoiceEdge';
  /** Opaque; pass it as `after` to continue after this voice, with the same `filter` and `sort`. */
  cursor: Scalars['String']['output'];
  node: Voice;
};

/**
 * For each dimension, the values present and how many voices have each, under
 * the filter's *other* dimensions (the filter on the dimension itself is left
 * out, so a UI can show every choice with what picking it would give). Ordered
 * by count, most first, then by value; at most `limit` per dimension.
 */
export type VoiceFacets = {
  __typename?: 'VoiceFacets';
  ages: Array<FacetValue>;
  dialects: Array<FacetValue>;
  genders: Array<FacetValue>;
  /**
   * True when the counts come from a sample of the matching voices, not all of
   * them. Filters on language, dialect, gender, age, model, tags and
   * `includeArchived` alone are always counted exactly. With `search`,
   * `nameContains` or dates, the counts are over at most
   * CATALOG_FACET_SAMPLE_LIMIT (500) of the matching voices: exact (false)
   * when no more match, else counts of the first 500 the database finds (in no
   * chosen order, not scaled up, so no count exceeds 500) and true.
   */
  isEstimate: Scalars['Boolean']['output'];
  languages: Array<FacetValue>;
  models: Array<FacetValue>;
  tags: Array<FacetValue>;
};

/**
 * Narrows `voices` and `voiceFacets`. Every given field must match (AND).
 * Codes (language, dialect, gender, age, model) and tags match ignoring case.
 */
export type VoiceFilter = {
  /** Exact match, e.g. "middle". */
  age?: InputMaybe<Scalars['String']['input']>;
  /** Voices created at or after this instant. */
  createdAfter?: InputMaybe<Scalars['DateTime']['input']>;
  /** Voices created before this instant. */
  createdBefore?: InputMaybe<Scalars['DateTime']['input']>;
  /** Voices whose dialects include this one, e.g. "najdi". */
  dialect?: InputMaybe<Scalars['String']['input']>;
  /** Exact match, e.g. "female". */
  gender?: InputMaybe<Scalars['String']['input']>;
  /** Also list archived voices (see `archiveVoice`). Default false. */
  includeArchived?: InputMaybe<Scalars['Boolean']['input']>;
  /** Voices whose languages include this code, e.g. "ar". Codes (this and the four below) are at most 64 characters. */
  language?: InputMaybe<Scalars['String']['input']>;
  /** Exact match on the model the clone was made with. */
  model?: InputMaybe<Scalars['String']['input']>;
  /** Voices whose name contains this text, ignoring case (at most 100 characters). `search` is the fuzzier, Arabic-aware alternative. */
  nameContains?: InputMaybe<Scalars['String']['input']>;
  /**
   * Words to find in the name, description and tags (at most 100 characters
   * and 8 words; every word must be found). Matching ignores case, Arabic
   * diacritics (tashkeel) and tatweel, treats أ إ آ ا as one letter, ة as ه and
   * ى as ي, finds parts of words, and forgives misspellings of words of four
   * letters or more by trigram word similarity ("Laila" finds "Layla", "ليلي"
   * finds "ليلى"). Combines with any `sort`; `sort: RELEVANCE` ranks by it.
   */
  search?: InputMaybe<Scalars['String']['input']>;
  /** Voices carrying all of these tags (normalised as tags are stored; at most 20). */
  tags?: InputMaybe<Array<Scalars['String']['input']>>;
};

export type VoicePayload = {
  __typename?: 'VoicePayload';
  voice: Voice;
};

/**
 * What Faseeh's preview call produced: listen to it (`audioUrl`), then clone it
 * with `cloneVoice(input: { previewId })`. Kept until `expiresAt`.
 */
export type VoicePreview = {
  __typename?: 'VoicePreview';
  /**
   * The preview as WAV, for an `<audio>` element: served by the gateway (Range
   * requests supported), signed, and valid without an Authorization header
   * until `audioUrlExpiresAt`. Query `voicePreview(id)` for a fresh one.
   */
  audioUrl: Scalars['String']['output'];
  audioUrlExpiresAt: Scalars['DateTime']['output'];
  createdAt: Scalars['DateTime']['output'];
  /** Length of the preview audio. */
  durationSeconds: Scalars['Float']['output'];
  /** When the preview and its audio are removed (PREVIEW_TTL_HOURS after it was made). */
  expiresAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  modelId: Scalars['String']['output'];
  similarity: Scalars['Float']['output'];
  speed: Scalars['Float']['output'];
  text: Scalars['String']['output'];
};

/** The order of `voices`. Every order pages with keyset cursors; a cursor resumes only the order and filter it came from. */
export type VoiceSort =
  /** By name, A to Z, ignoring case and Arabic diacritics (byte order of the folded name: Latin before Arabic). */
  | 'NAME_ASC'
  /** By name, Z to A. */
  | 'NAME_DESC'
  /** Newest first (the default). */
  | 'NEWEST'
  /** Oldest first. */
  | 'OLDEST'
  /**
   * Best match first: voices whose name contains every word of the search, then
   * those whose name, description or tags contain every word, then those found
   * by close spellings; newest first within each. Only with `filter.search`.
   */
  | 'RELEVANCE';



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  ApiKey: ResolverTypeWrapper<ApiKey>;
  ApiKeyScope: ApiKeyScope;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  CloneAttempt: ResolverTypeWrapper<CloneAttemptRecord>;
  CloneAttemptStatus: CloneAttemptStatus;
  CloneVoiceInput: CloneVoiceInput;
  CloneVoicePayload: ResolverTypeWrapper<CloneResult>;
  CreatedApiKey: ResolverTypeWrapper<CreatedApiKey>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  FacetValue: ResolverTypeWrapper<FacetValue>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Model: ResolverTypeWrapper<UpstreamModel>;
  ModelList: ResolverTypeWrapper<ModelListing>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  PreviewVoiceInput: PreviewVoiceInput;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  SpeakInput: SpeakInput;
  Speech: ResolverTypeWrapper<SpeechView>;
  SpeechConnection: ResolverTypeWrapper<SpeechPage>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  UpdateVoiceInput: UpdateVoiceInput;
  Upload: ResolverTypeWrapper<Scalars['Upload']['output']>;
  Voice: ResolverTypeWrapper<VoiceRecord>;
  VoiceConnection: ResolverTypeWrapper<VoicePage>;
  VoiceEdge: ResolverTypeWrapper<Omit<VoiceEdge, 'node'> & { node: ResolversTypes['Voice'] }>;
  VoiceFacets: ResolverTypeWrapper<VoiceFacets>;
  VoiceFilter: VoiceFilter;
  VoicePayload: ResolverTypeWrapper<Omit<VoicePayload, 'voice'> & { voice: ResolversTypes['Voice'] }>;
  VoicePreview: ResolverTypeWrapper<PreviewView>;
  VoiceSort: VoiceSort;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  ApiKey: ApiKey;
  Boolean: Scalars['Boolean']['output'];
  CloneAttempt: CloneAttemptRecord;
  CloneVoiceInput: CloneVoiceInput;
  CloneVoicePayload: CloneResult;
  CreatedApiKey: CreatedApiKey;
  DateTime: Scalars['DateTime']['output'];
  FacetValue: FacetValue;
  Float: Scalars['Float']['output'];
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  Model: UpstreamModel;
  ModelList: ModelListing;
  Mutation: Record<PropertyKey, never>;
  PageInfo: PageInfo;
  PreviewVoiceInput: PreviewVoiceInput;
  Query: Record<PropertyKey, never>;
  SpeakInput: SpeakInput;
  Speech: SpeechView;
  SpeechConnection: SpeechPage;
  String: Scalars['String']['output'];
  UpdateVoiceInput: UpdateVoiceInput;
  Upload: Scalars['Upload']['output'];
  Voice: VoiceRecord;
  VoiceConnection: VoicePage;
  VoiceEdge: Omit<VoiceEdge, 'node'> & { node: ResolversParentTypes['Voice'] };
  VoiceFacets: VoiceFacets;
  VoiceFilter: VoiceFilter;
  VoicePayload: Omit<VoicePayload, 'voice'> & { voice: ResolversParentTypes['Voice'] };
  VoicePreview: PreviewView;
};

export type ScopeDirectiveArgs = {
  requires: ApiKeyScope;
};

export type ScopeDirectiveResolver<Result, Parent, ContextType = GatewayContext, Args = ScopeDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type ApiKeyResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['ApiKey'] = ResolversParentTypes['ApiKey']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastUsedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  prefix?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  revokedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  scope?: Resolver<ResolversTypes['ApiKeyScope'], ParentType, ContextType>;
};

export type CloneAttemptResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['CloneAttempt'] = ResolversParentTypes['CloneAttempt']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  errorCode?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  errorMessage?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  idempotencyKey?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  model?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  resolvedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['CloneAttemptStatus'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  voice?: Resolver<Maybe<ResolversTypes['Voice']>, ParentType, ContextType>;
  voiceId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type CloneVoicePayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['CloneVoicePayload'] = ResolversParentTypes['CloneVoicePayload']> = {
  attemptId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  replayed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  voice?: Resolver<ResolversTypes['Voice'], ParentType, ContextType>;
};

export type CreatedApiKeyResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['CreatedApiKey'] = ResolversParentTypes['CreatedApiKey']> = {
  apiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType>;
  key?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type FacetValueResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['FacetValue'] = ResolversParentTypes['FacetValue']> = {
  count?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  value?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ModelResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Model'] = ResolversParentTypes['Model']> = {
  costPerCharacter?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  description?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  modelId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ModelListResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['ModelList'] = ResolversParentTypes['ModelList']> = {
  fetchedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  items?: Resolver<Array<ResolversTypes['Model']>, ParentType, ContextType>;
  stale?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  staleReason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type MutationResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  archiveVoice?: Resolver<ResolversTypes['VoicePayload'], ParentType, ContextType, RequireFields<MutationArchiveVoiceArgs, 'id'>>;
  cloneVoice?: Resolver<ResolversTypes['CloneVoicePayload'], ParentType, ContextType, RequireFields<MutationCloneVoiceArgs, 'input'>>;
  createApiKey?: Resolver<ResolversTypes['CreatedApiKey'], ParentType, ContextType, RequireFields<MutationCreateApiKeyArgs, 'name' | 'scope'>>;
  previewVoice?: Resolver<ResolversTypes['VoicePreview'], ParentType, ContextType, RequireFields<MutationPreviewVoiceArgs, 'input'>>;
  restoreVoice?: Resolver<ResolversTypes['VoicePayload'], ParentType, ContextType, RequireFields<MutationRestoreVoiceArgs, 'id'>>;
  revokeApiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType, RequireFields<MutationRevokeApiKeyArgs, 'key'>>;
  speak?: Resolver<ResolversTypes['Speech'], ParentType, ContextType, RequireFields<MutationSpeakArgs, 'input'>>;
  updateVoice?: Resolver<ResolversTypes['VoicePayload'], ParentType, ContextType, RequireFields<MutationUpdateVoiceArgs, 'id' | 'input'>>;
};

export type PageInfoResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  hasPreviousPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  startCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type QueryResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  apiKeys?: Resolver<Array<ResolversTypes['ApiKey']>, ParentType, ContextType>;
  cloneAttempts?: Resolver<Array<ResolversTypes['CloneAttempt']>, ParentType, ContextType, RequireFields<QueryCloneAttemptsArgs, 'first'>>;
  models?: Resolver<ResolversTypes['ModelList'], ParentType, ContextType>;
  speeches?: Resolver<ResolversTypes['SpeechConnection'], ParentType, ContextType, RequireFields<QuerySpeechesArgs, 'first'>>;
  voice?: Resolver<Maybe<ResolversTypes['Voice']>, ParentType, ContextType, Partial<QueryVoiceArgs>>;
  voiceFacets?: Resolver<ResolversTypes['VoiceFacets'], ParentType, ContextType, RequireFields<QueryVoiceFacetsArgs, 'limit'>>;
  voicePreview?: Resolver<Maybe<ResolversTypes['VoicePreview']>, ParentType, ContextType, RequireFields<QueryVoicePreviewArgs, 'id'>>;
  voices?: Resolver<ResolversTypes['VoiceConnection'], ParentType, ContextType, RequireFields<QueryVoicesArgs, 'first' | 'sort'>>;
};

export type SpeechResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Speech'] = ResolversParentTypes['Speech']> = {
  audioUrl?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  audioUrlExpiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  cached?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  characters?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  durationSeconds?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  modelId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  speed?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  stability?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  text?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  voiceId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type SpeechConnectionResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['SpeechConnection'] = ResolversParentTypes['SpeechConnection']> = {
  nodes?: Resolver<Array<ResolversTypes['Speech']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export interface UploadScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Upload'], any> {
  name: 'Upload';
}

export type VoiceResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Voice'] = ResolversParentTypes['Voice']> = {
  age?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  archivedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  avatarUrl?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  description?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  dialects?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  gender?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  languages?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  model?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  sampleUrl?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  stability?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  tags?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  type?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  voiceId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type VoiceConnectionResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['VoiceConnection'] = ResolversParentTypes['VoiceConnection']> = {
  edges?: Resolver<Array<ResolversTypes['VoiceEdge']>, ParentType, ContextType>;
  nodes?: Resolver<Array<ResolversTypes['Voice']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  totalCountIsEstimate?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type VoiceEdgeResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['VoiceEdge'] = ResolversParentTypes['VoiceEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Voice'], ParentType, ContextType>;
};

export type VoiceFacetsResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['VoiceFacets'] = ResolversParentTypes['VoiceFacets']> = {
  ages?: Resolver<Array<ResolversTypes['FacetValue']>, ParentType, ContextType>;
  dialects?: Resolver<Array<ResolversTypes['FacetValue']>, ParentType, ContextType>;
  genders?: Resolver<Array<ResolversTypes['FacetValue']>, ParentType, ContextType>;
  isEstimate?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  languages?: Resolver<Array<ResolversTypes['FacetValue']>, ParentType, ContextType>;
  models?: Resolver<Array<ResolversTypes['FacetValue']>, ParentType, ContextType>;
  tags?: Resolver<Array<ResolversTypes['FacetValue']>, ParentType, ContextType>;
};

export type VoicePayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['VoicePayload'] = ResolversParentTypes['VoicePayload']> = {
  voice?: Resolver<ResolversTypes['Voice'], ParentType, ContextType>;
};

export type VoicePreviewResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['VoicePreview'] = ResolversParentTypes['VoicePreview']> = {
  audioUrl?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  audioUrlExpiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  durationSeconds?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  modelId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  similarity?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  speed?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  text?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type Resolvers<ContextType = GatewayContext> = {
  ApiKey?: ApiKeyResolvers<ContextType>;
  CloneAttempt?: CloneAttemptResolvers<ContextType>;
  CloneVoicePayload?: CloneVoicePayloadResolvers<ContextType>;
  CreatedApiKey?: CreatedApiKeyResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  FacetValue?: FacetValueResolvers<ContextType>;
  Model?: ModelResolvers<ContextType>;
  ModelList?: ModelListResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Speech?: SpeechResolvers<ContextType>;
  SpeechConnection?: SpeechConnectionResolvers<ContextType>;
  Upload?: GraphQLScalarType;
  Voice?: VoiceResolvers<ContextType>;
  VoiceConnection?: VoiceConnectionResolvers<ContextType>;
  VoiceEdge?: VoiceEdgeResolvers<ContextType>;
  VoiceFacets?: VoiceFacetsResolvers<ContextType>;
  VoicePayload?: VoicePayloadResolvers<ContextType>;
  VoicePreview?: VoicePreviewResolvers<ContextType>;
};

export type DirectiveResolvers<ContextType = GatewayContext> = {
  scope?: ScopeDirectiveResolver<any, any, ContextType>;
};
