// The cloneVoice operation as clients send it, with sensible default input.
import { wav } from "./audio-fixtures.js";
import type { GraphQLResponse, TestGateway, UploadFile } from "./gateway.js";

export const VOICE_FIELDS = `
  id voiceId name description gender age languages dialects type sampleUrl avatarUrl stability model createdAt
`;

export const CLONE_VOICE = /* GraphQL */ `
  mutation CloneVoice($input: CloneVoiceInput!) {
    cloneVoice(input: $input) { attemptId replayed voice { ${VOICE_FIELDS} } }
  }
`;

export interface ClonedVoice {
  id: string;
  voiceId: string;
  name: string;
  description: string | null;
  gender: string | null;
  age: string | null;
  languages: string[];
  dialects: string[];
  type: string | null;
  sampleUrl: string | null;
  avatarUrl: string | null;
  stability: number;
  model: string;
  createdAt: string;
}

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

export function cloneVoice(
  gateway: TestGateway,
  options: CloneOptions = {},
): Promise<GraphQLResponse<{ cloneVoice: { attemptId: string; replayed: boolean; voice: ClonedVoice } }>> {
  const files: Record<string, UploadFile> = {};
  const voiceFile = options.voiceFile === undefined ? { content: wav(), filename: "preview.wav" } : options.voiceFile;
  const referenceAudioFile =
    options.referenceAudioFile === undefined ? { content: wav(32 * 1024), filename: "original.wav" } : options.referenceAudioFile;
  if (voiceFile) files["input.voiceFile"] = voiceFile;
  if (referenceAudioFile) files["input.referenceAudioFile"] = referenceAudioFile;
  return gateway.multipart(CLONE_VOICE, { input: { ...defaultCloneInput(), ...options.input } }, files, options.headers);
}
