// The previewVoice operation as clients send it, with sensible default input,
// and what a test needs around a preview: its audio URL fetched as a browser
// would, and the sizes and digests to compare with what the fake received.
import { request } from "undici";
import { PreviewVoiceDocument, type PreviewVoiceMutation } from "../generated/operations.js";
import { MiB, noisyWav, sha256 } from "../../dev/audio-fixtures.js";
import { client, type GraphQLResponse, type TestGateway, type UploadFile } from "./gateway.js";

/** Four words, 24 characters: long enough for Faseeh's preview (3 words, 10 characters). */
export const PREVIEW_TEXT = "مرحبا بكم في فصيح اليوم";

export const defaultPreviewInput = (): Record<string, unknown> => ({
  text: PREVIEW_TEXT,
  similarity: 0.8,
  modelId: "faseeh-v1",
});

export interface PreviewOptions {
  input?: Record<string, unknown>;
  /** The recording; null sends none. Default: a 3 MiB WAV (many stream chunks). */
  file?: UploadFile | null;
  headers?: Record<string, string>;
}

/** The default recording: 3 MiB of noisy WAV. */
export const previewRecording = (): Buffer => noisyWav(3 * MiB, 11);

export function previewVoice(gateway: TestGateway, options: PreviewOptions = {}): Promise<GraphQLResponse<PreviewVoiceMutation>> {
  const file = options.file === undefined ? { content: previewRecording(), filename: "recording.wav" } : options.file;
  return gateway.multipart(
    PreviewVoiceDocument,
    { input: { ...defaultPreviewInput(), ...options.input } },
    file ? { "input.file": file } : {},
    options.headers,
  );
}

export const digestOf = (content: Buffer): { size: number; sha256: string } => ({
  size: content.length,
  sha256: sha256(content),
});

/** GETs a URL the way an `<audio>` element does: no Authorization header, maybe a Range. */
export async function fetchAudio(
  url: string,
  headers: Record<string, string> = {},
  method: "GET" | "HEAD" = "GET",
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const response = await request(url, { method, headers, dispatcher: client });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body };
}
