// The cloneVoice operation as clients send it, with sensible default input.
import { print } from "graphql";
import { CloneVoiceDocument, type CloneVoiceMutation } from "../generated/operations.js";
import { MiB, noisyWav, sha256, wav } from "../../dev/audio-fixtures.js";
import type { GraphQLResponse, TestGateway, UploadFile } from "./gateway.js";
import { pacedMultipart, type PacedRequest } from "./paced-multipart.js";

/** The CloneVoice operation's text (test/support/operations.graphql), for requests written by hand. */
export const CLONE_VOICE = print(CloneVoiceDocument);

export const defaultCloneInput = (): Record<string, unknown> => ({
  text: "مرحبا بكم في فصيح",
  stability: 0.5,
  name: "Layla",
  model: "faseeh-v1",
});

export interface CloneOptions {
  input?: Record<string, unknown>;
  voiceFile?: UploadFile | null;
  referenceAudioFile?: UploadFile | null;
  headers?: Record<string, string>;
}

export function cloneVoice(gateway: TestGateway, options: CloneOptions = {}): Promise<GraphQLResponse<CloneVoiceMutation>> {
  const files: Record<string, UploadFile> = {};
  const voiceFile = options.voiceFile === undefined ? { content: wav(), filename: "preview.wav" } : options.voiceFile;
  const referenceAudioFile =
    options.referenceAudioFile === undefined ? { content: wav(32 * 1024), filename: "original.wav" } : options.referenceAudioFile;
  if (voiceFile) files["input.voiceFile"] = voiceFile;
  if (referenceAudioFile) files["input.referenceAudioFile"] = referenceAudioFile;
  return gateway.multipart(CloneVoiceDocument, { input: { ...defaultCloneInput(), ...options.input } }, files, options.headers);
}

/**
 * A clone with files that span many stream chunks (2 and 3 MiB), and what
 * Faseeh must have received of each part (size and sha256), to compare with
 * `filesOf(upstream.requests[i])`.
 */
export async function cloneWithLargeFiles(
  gateway: TestGateway,
  input: Record<string, unknown> = {},
): Promise<{ response: GraphQLResponse<CloneVoiceMutation>; sent: Record<string, { size: number; sha256: string }> }> {
  const voiceFile = noisyWav(2 * MiB, 7);
  const referenceAudioFile = noisyWav(3 * MiB, 8);
  const response = await cloneVoice(gateway, {
    input,
    voiceFile: { content: voiceFile, filename: "preview.wav" },
    referenceAudioFile: { content: referenceAudioFile, filename: "original.wav" },
  });
  return {
    response,
    sent: {
      voice_file: { size: voiceFile.length, sha256: sha256(voiceFile) },
      reference_audio_file: { size: referenceAudioFile.length, sha256: sha256(referenceAudioFile) },
    },
  };
}

/** A cloneVoice multipart request written by hand, so a test controls its pace (see pacedMultipart). */
export function pacedClone(options: {
  input?: Record<string, unknown>;
  voiceFile: UploadFile;
  referenceAudioFile: UploadFile;
}): PacedRequest {
  return pacedMultipart(
    CLONE_VOICE,
    { input: { ...defaultCloneInput(), ...options.input } },
    { "input.voiceFile": options.voiceFile, "input.referenceAudioFile": options.referenceAudioFile },
  );
}
