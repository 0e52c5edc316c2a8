// The billed calls the client makes to Faseeh, each as what it sends (the
// body, the path and Accept) and how its 2xx answer is read: the clone
// (faseeh-voice-clone.txt) and the preview (faseeh-preview-and-models.md),
// multipart; text-to-speech (faseeh-text-to-speech.md), JSON.
import type { Readable } from "node:stream";
import { readCloneAnswer, type UpstreamVoice } from "./faseeh-contract.js";
import { type AudioSource, type MultipartContent, startJsonUpload, startUpload, type Upload } from "./multipart-body.js";
import { type PcmAudio, writePcmAnswer } from "./pcm-answer.js";

/** The calls this client makes, as named in logs and the upstream metric. */
export type UpstreamOperation = "cloneVoice" | "previewVoice" | "speak" | "listModels" | "listVoices";

/**
 * What Faseeh's clone call receives, and only that: the gateway's own fields
 * (the catalog's `tags`) are never part of it.
 */
export interface CloneVoiceRequest {
  voiceFile: AudioSource;
  referenceAudioFile: AudioSource;
  text: string;
  stability: number;
  name: string;
  model: string;
  description?: string | undefined;
  gender?: string | undefined;
  age?: string | undefined;
  languages?: readonly string[] | undefined;
  dialects?: readonly string[] | undefined;
  avatarUrl?: string | undefined;
  /**
   * The closing boundary is held back until this settles; if it rejects, the
   * request is aborted. Lets the caller do work Faseeh must not act before
   * (recording the attempt) while the files already stream.
   */
  holdUntil?: Promise<unknown> | undefined;
  /** Told the moment the closing boundary is handed to the socket: from then on Faseeh may act. */
  onComplete?: (() => void) | undefined;
}

export interface PreviewVoiceRequest {
  /** The recording to preview (sent as `file`). */
  file: AudioSource;
  text: string;
  similarity: number;
  modelId: string;
  speed: number;
  /** Where the answer's PCM is written as it arrives (created; must not exist). */
  audioPath: string;
  /** An answer longer than this is refused (and the call's outcome is unknown: Faseeh produced it). */
  maxAudioBytes: number;
}

/** What Faseeh's text-to-speech receives (JSON), and where its streamed PCM is written. */
export interface SpeakRequest {
  voiceId: string;
  text: string;
  modelId: string;
  stability: number;
  speed: number;
  /** Where the answer's PCM is written as it arrives (created; must not exist). */
  audioPath: string;
  /** An answer longer than this is refused (the call's outcome is then unknown: Faseeh produced it). */
  maxAudioBytes: number;
}

export type AnswerHeaders = Record<string, string | string[] | undefined>;

/** One billed POST to Faseeh: what it sends, and how its 2xx answer is read. */
export interface UpstreamCall<T> {
  operation: UpstreamOperation;
  /** Under the base URL, e.g. "/voices/clone". */
  path: string;
  accept: string;
  /** Starts one attempt's body; the caller's signal may stop it only until it is complete. */
  start(signal: AbortSignal | undefined): Upload;
  /** Reads a 2xx answer; throws ContractViolation when it is not what the contract says. */
  readAnswer(body: Readable, headers: AnswerHeaders): Promise<T>;
}

/** POST /voices/clone: the contract's fields (lists comma-separated, optional ones only when given) and both files. */
export const cloneVoiceCall = (input: CloneVoiceRequest): UpstreamCall<UpstreamVoice> => ({
  operation: "cloneVoice",
  path: "/voices/clone",
  accept: "application/json",
  start: (signal) => startUpload(cloneContent(input), input.onComplete, signal),
  readAnswer: readCloneAnswer,
});

const cloneContent = (input: CloneVoiceRequest): MultipartContent => ({
  fields: [
    ["text", input.text],
    ["stability", String(input.stability)],
    ["name", input.name],
    ["model", input.model],
    ["description", input.description],
    ["gender", input.gender],
    ["age", input.age],
    ["languages", input.languages?.length ? input.languages.join(",") : undefined],
    ["dialects", input.dialects?.length ? input.dialects.join(",") : undefined],
    ["avatar_url", input.avatarUrl],
  ],
  files: [
    ["voice_file", input.voiceFile],
    ["reference_audio_file", input.referenceAudioFile],
  ],
  holdUntil: input.holdUntil,
});

/** The preview at `path` (FASEEH_PREVIEW_PATH): the recording and text in, raw PCM written to `input.audioPath` out. */
export const previewVoiceCall = (input: PreviewVoiceRequest, path: string): UpstreamCall<PcmAudio> => ({
  operation: "previewVoice",
  path,
  accept: "audio/raw, application/json",
  start: (signal) =>
    startUpload(
      {
        fields: [
          ["text", input.text],
          ["similarity", String(input.similarity)],
          ["model_id", input.modelId],
          ["speed", String(input.speed)],
        ],
        files: [["file", input.file]],
      },
      undefined,
      signal,
    ),
  readAnswer: (body, headers) => writePcmAnswer(body, headers, input.audioPath, input.maxAudioBytes, "preview"),
});

/**
 * POST /text-to-speech/{model_id}, streaming: the JSON request in, raw PCM
 * written to `input.audioPath` as it arrives out (never held in memory).
 */
export const speakCall = (input: SpeakRequest): UpstreamCall<PcmAudio> => ({
  operation: "speak",
  path: `/text-to-speech/${encodeURIComponent(input.modelId)}`,
  accept: "audio/raw, application/json",
  start: (signal) =>
    startJsonUpload(
      { voice_id: input.voiceId, text: input.text, stability: input.stability, speed: input.speed, streaming: true },
      signal,
    ),
  readAnswer: (body, headers) => writePcmAnswer(body, headers, input.audioPath, input.maxAudioBytes, "speech"),
});
