// The real API's checks on a clone, a preview and a text-to-speech call, in
// its order: the key (401 40101), then the request (400 40001 with its
// documented messages; an unknown voice is 40002).
import type { ParsedBody } from "./multipart-reader.js";

const REQUIRED_FIELDS = ["text", "stability", "name", "model"] as const;
const REQUIRED_FILES = ["voice_file", "reference_audio_file"] as const;

/** A failed check's answer: its status and Faseeh's error JSON. */
interface Problem {
  status: number;
  body: { errorCode: string; errorMessage: string };
}

const badRequest = (errorMessage: string): Problem => ({ status: 400, body: { errorCode: "40001", errorMessage } });

/** What every call checks first: the key (401), then that the body was a readable form (400). */
function checkKeyAndForm({ request, parseError }: ParsedBody, apiKey: string): Problem | undefined {
  if (request.apiKey !== apiKey) {
    return { status: 401, body: { errorCode: "40101", errorMessage: "Invalid API key" } };
  }
  if (parseError !== undefined) return badRequest(parseError);
  return undefined;
}

/** Mirrors the real API's checks: key first (401), then the form (400). */
export function validate(received: ParsedBody, apiKey: string): Problem | undefined {
  const problem = checkKeyAndForm(received, apiKey);
  if (problem) return problem;
  const { request } = received;
  for (const field of REQUIRED_FIELDS) {
    const value = request.fields[field];
    if (value === undefined || value.trim() === "") return badRequest(`Missing required field: ${field}`);
  }
  for (const field of REQUIRED_FILES) {
    if (!request.files.some((file) => file.field === field)) return badRequest(`Missing required file: ${field}`);
  }
  if (parseStability(request.fields.stability) === undefined) {
    return badRequest("Invalid field: stability must be a number between 0 and 1");
  }
  return undefined;
}

export function parseStability(raw: string | undefined): number | undefined {
  return parseNumberIn(raw, 0, 1);
}

function parseNumberIn(raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined; // Number("") would be 0
  const value = Number(raw);
  return Number.isFinite(value) && value >= min && value <= max ? value : undefined;
}

/** The preview's checks, in the real API's order: key (401), then the form (400 40001). */
export function validatePreview(received: ParsedBody, apiKey: string): Problem | undefined {
  const problem = checkKeyAndForm(received, apiKey);
  if (problem) return problem;
  const { request } = received;
  const { text, similarity, model_id: modelId, speed } = request.fields;
  if (text === undefined || text.trim() === "") return badRequest("text is required");
  const words = text.split(/\s+/).filter((word) => word !== "");
  if (words.length < 3 || text.trim().length < 10) {
    return badRequest("text must be at least 3 words and 10 characters");
  }
  if (parseNumberIn(similarity, 0, 1) === undefined) return badRequest("similarity must be a number between 0 and 1");
  if (modelId === undefined || modelId.trim() === "") return badRequest("model_id is required");
  if (speed !== undefined && parseNumberIn(speed, 0.7, 1.2) === undefined) {
    return badRequest("speed must be a number between 0.7 and 1.2");
  }
  const file = request.files.find((candidate) => candidate.field === "file");
  if (!file || !isAudio(file.firstBytes)) return badRequest("file is required and must be of audio type");
  return undefined;
}

/** Recognises audio containers by their magic numbers (12 bytes suffice). */
function isAudio(head: Buffer): boolean {
  const ascii = (start: number, text: string): boolean => head.toString("latin1", start, start + text.length) === text;
  return (
    (ascii(0, "RIFF") && ascii(8, "WAVE")) ||
    ascii(0, "ID3") ||
    (head.length >= 2 && head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0) || // MPEG audio frame sync
    ascii(0, "OggS") ||
    ascii(0, "fLaC") ||
    ascii(4, "ftyp") || // MP4/M4A
    (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) // EBML: WebM/Matroska
  );
}

/** What the text-to-speech checks look up: the key, and which models and voices exist. */
export interface SpeechCatalog {
  apiKey: string;
  hasModel(modelId: string): boolean;
  hasVoice(voiceId: string): boolean;
}

/**
 * Text-to-speech's checks, in the real API's order: the key (401 40101), the
 * JSON body's fields (400 40001), the model (400 40001), then the voice
 * (400 40002). `body` is the parsed JSON, undefined when it was not JSON.
 */
export function validateSpeech(
  call: { modelId: string; apiKey: string | undefined; body: unknown },
  catalog: SpeechCatalog,
): Problem | undefined {
  if (call.apiKey !== catalog.apiKey) {
    return { status: 401, body: { errorCode: "40101", errorMessage: "Invalid API key" } };
  }
  const { body } = call;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return badRequest("Request body must be a JSON object");
  }
  const fields = body as Record<string, unknown>;
  const problem = checkSpeechFields(fields);
  if (problem) return problem;
  if (!catalog.hasModel(call.modelId)) return badRequest(`Model not found: ${call.modelId}`);
  const voiceId = fields.voice_id as string;
  if (!catalog.hasVoice(voiceId)) {
    return { status: 400, body: { errorCode: "40002", errorMessage: `Voice not found: ${voiceId}` } };
  }
  return undefined;
}

function checkSpeechFields(fields: Record<string, unknown>): Problem | undefined {
  if (!isFilledString(fields.voice_id)) return badRequest("voice_id is required");
  if (!isFilledString(fields.text)) return badRequest("text is required");
  if (!isNumberIn(fields.stability, 0, 1)) return badRequest("stability must be a number between 0 and 1");
  if (fields.speed !== undefined && !isNumberIn(fields.speed, 0.7, 1.2)) {
    return badRequest("speed must be a number between 0.7 and 1.2");
  }
  if (typeof fields.streaming !== "boolean") return badRequest("streaming must be a boolean");
  return undefined;
}

const isFilledString = (value: unknown): value is string => typeof value === "string" && value.trim() !== "";

/** JSON numbers only: the body is JSON, so "0.5" (a string) is not a number. */
const isNumberIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= min && value <= max;
