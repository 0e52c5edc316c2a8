// Headerless PCM, the format of Faseeh's preview answer
// (`audio/raw;codec=pcm16;rate=24000;channels=1`: signed 16-bit
// little-endian samples, no header). One home for what counts as PCM, for
// the client reading Faseeh's answer and for uploads that declare it.

/** Content types of headerless PCM: what Faseeh's preview answers, and what clients may call it. */
export const RAW_PCM_TYPES: ReadonlySet<string> = new Set(["audio/raw", "audio/l16", "audio/pcm"]);

/** Faseeh's own description of its preview audio. */
export const FASEEH_PCM_CONTENT_TYPE = "audio/raw;codec=pcm16;rate=24000;channels=1";

export interface PcmFormat {
  sampleRate: number;
  channels: number;
}

/** The rate and channels of a raw 16-bit PCM content type (defaults: Faseeh's 24 kHz mono), or undefined when it is not one. */
export function parsePcmContentType(value: string): PcmFormat | undefined {
  const [type, ...parameters] = value.split(";").map((part) => part.trim().toLowerCase());
  if (!type || !RAW_PCM_TYPES.has(type)) return undefined;
  const parameter = (name: string) => parameters.find((part) => part.startsWith(`${name}=`))?.slice(name.length + 1);
  const codec = parameter("codec");
  if (codec !== undefined && codec !== "pcm16" && codec !== "pcm_s16le") return undefined;
  const sampleRate = Number(parameter("rate") ?? 24_000);
  const channels = Number(parameter("channels") ?? 1);
  if (!Number.isInteger(sampleRate) || sampleRate < 8_000 || sampleRate > 192_000) return undefined;
  if (!Number.isInteger(channels) || channels < 1 || channels > 8) return undefined;
  return { sampleRate, channels };
}

/** Seconds of audio in `bytes` of 16-bit PCM. */
export const pcmDurationSeconds = (bytes: number, format: PcmFormat): number => bytes / (2 * format.channels * format.sampleRate);
