// Decides whether uploaded bytes are audio, from the bytes themselves:
// clients' MIME types are unreliable (Apollo Sandbox sends
// application/octet-stream for everything). file-type reads magic numbers.
import { fileTypeFromBuffer } from "file-type";
import { RAW_PCM_TYPES } from "../../upstream/pcm-format.js";

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

/** What the bytes are: an accepted audio container, some other known format (its extension), or unknown. */
export async function sniffFileType(
  head: Uint8Array,
): Promise<{ kind: "audio"; audio: AudioType } | { kind: "other"; extension: string } | { kind: "unknown" }> {
  const detected = await fileTypeFromBuffer(head);
  if (!detected) return { kind: "unknown" };
  const contentType = AUDIO_TYPES[detected.ext];
  return contentType
    ? { kind: "audio", audio: { extension: detected.ext, contentType } }
    : { kind: "other", extension: detected.ext };
}

/**
 * Headerless PCM has no magic number to sniff, so it is taken on the
 * client's word: a content type `audio/raw`, `audio/L16` or `audio/pcm`
 * (parameters allowed), or a name ending in `.pcm` or `.raw`. What Faseeh's
 * preview produces is exactly this.
 */
export function declaresRawPcm(mimetype: string | undefined, filename: string | undefined): boolean {
  const type = (mimetype ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return RAW_PCM_TYPES.has(type) || /\.(pcm|raw)$/i.test(filename ?? "");
}
