// Decides whether uploaded bytes are audio, from the bytes themselves:
// clients' MIME types are unreliable (Apollo Sandbox sends
// application/octet-stream for everything). file-type reads magic numbers.
import { fileTypeFromBuffer } from "file-type";

/** How many leading bytes the detector needs (file-type's own sample size). */
export const SNIFF_BYTES = 4100;

/** Accepted containers, by file-type's extension, and the content type sent upstream. */
const AUDIO_TYPES: Readonly<Record<string, string>> = {
  wav: "audio/wav",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  opus: "audio/ogg",
  flac: "audio/flac",
  m4a: "audio/mp4",
  mp4: "audio/mp4", // M4A files branded "isom"/"mp42" are detected as mp4
  aac: "audio/aac",
  webm: "audio/webm", // file-type cannot tell audio-only WebM from video
  weba: "audio/webm",
};

export const ACCEPTED_AUDIO_FORMATS = "WAV, MP3, OGG/Opus, FLAC, M4A/AAC or WebM";

export interface AudioType {
  extension: string;
  contentType: string;
}

export async function detectAudioType(head: Uint8Array): Promise<AudioType | undefined> {
  const detected = await fileTypeFromBuffer(head);
  if (!detected) return undefined;
  const contentType = AUDIO_TYPES[detected.ext];
  return contentType ? { extension: detected.ext, contentType } : undefined;
}
