// The text-to-speech call (POST /text-to-speech/{model_id}): a JSON body read
// with a bound; a `success` validates like the real API, then answers the tone
// (speech-audio.ts) streamed as PCM, or as one WAV file for `streaming: false`,
// and bills its characters once the whole answer went out.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { play, SUCCESS, type FakeBehaviour, type FakeSpeechBehaviour } from "./behaviours.js";
import { isGone, resetSocket, sendJson } from "./http-answers.js";
import { JSON_BODY_LIMIT, readJsonBody } from "./json-body.js";
import { drain } from "./multipart-reader.js";
import { chunksOf, writePcm, type PcmAnswerOptions } from "./preview-audio.js";
import {
  fakeSpeechSamples,
  speechCharacters,
  speechToneBytes,
  speechToneChunks,
  STREAMED_SPEECH_HEADERS,
  wavHeader,
  wavSpeechHeaders,
} from "./speech-audio.js";
import { countInFlight, type FakeState } from "./state.js";
import { validateSpeech, type SpeechCatalog } from "./validation.js";

/** A text-to-speech request as the fake received it. */
export interface ReceivedSpeechRequest {
  /** The path's model id, URL-decoded. */
  modelId: string;
  apiKey: string | undefined;
  /** The parsed JSON body; undefined when it was not JSON, was over 1 MiB, or did not arrive whole. */
  body: unknown;
  headers: IncomingHttpHeaders;
}

/** The fields of a body validateSpeech accepted. */
interface SpeechFields {
  text: string;
  speed?: number;
  streaming: boolean;
}

/** One 200 audio answer: its PCM, WAV or streamed, and what it is worth. */
interface SpeechAnswer {
  chunks: Iterable<Buffer>;
  /** Set for a WAV answer (its header needs the length up front); undefined streams raw PCM. */
  wavSamples?: number;
  characters: number;
  /** False when the call was already billed (createThen) or is not billed at all (pcm). */
  bill: boolean;
  pause?: PcmAnswerOptions["pause"];
}

/**
 * Receives a text-to-speech call and plays its scripted answer (taken as its
 * headers arrive). Every POST that reaches it is recorded in speechRequests
 * once its body ended (or was cut off); another method is answered 405.
 */
export async function handleSpeech(state: FakeState, modelId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "POST") {
    await drain(req);
    sendJson(res, 405, { errorCode: "40501", errorMessage: `Method not allowed: ${req.method ?? "?"}` });
    return;
  }
  // Taken at arrival so overlapping requests get behaviours in the order they were sent.
  const behaviour = state.speechQueue.shift() ?? SUCCESS;
  countInFlight(state, res);
  const apiKey = req.headers["x-api-key"];
  const received: ReceivedSpeechRequest = {
    modelId,
    apiKey: Array.isArray(apiKey) ? apiKey.join(", ") : apiKey,
    body: undefined,
    headers: { ...req.headers },
  };
  if (behaviour.kind === "resetBeforeBody") {
    state.speechRequests.push(received);
    resetSocket(req.socket);
    return;
  }
  const read = await readJsonBody(req);
  if (read.kind === "read") received.body = read.value;
  state.speechRequests.push(received);
  if (read.kind === "gone") return; // nobody left to answer
  if (read.kind === "tooLarge") {
    sendJson(res, 413, { errorCode: "41301", errorMessage: `Request body larger than ${JSON_BODY_LIMIT} bytes` });
    return;
  }
  await answerScripted(state, behaviour, received, res);
}

async function answerScripted(
  state: FakeState,
  behaviour: FakeSpeechBehaviour,
  received: ReceivedSpeechRequest,
  res: ServerResponse,
): Promise<void> {
  switch (behaviour.kind) {
    case "pcm":
      await sendSpeech(state, res, { chunks: chunksOf(behaviour.bytes), characters: charactersOf(received.body), bill: false });
      return;
    case "pcmThenReset": {
      const chunks = chunksOf(speechToneBytes(behaviour.bytesBeforeReset));
      if (await writePcm(res, chunks, { headers: STREAMED_SPEECH_HEADERS, onSent: countSent(state) })) {
        resetSocket(res.socket);
      }
      return;
    }
    case "holdMidStream":
      await answerSuccess(state, received, res, {
        billed: false,
        pause: { afterBytes: behaviour.afterBytes, until: behaviour.until },
      });
      return;
    default:
      await answerSpeech(state, behaviour, received, res, false);
  }
}

/** The common behaviours; `billed` once a createThen has charged the call, so what follows does not again. */
function answerSpeech(
  state: FakeState,
  behaviour: FakeBehaviour,
  received: ReceivedSpeechRequest,
  res: ServerResponse,
  billed: boolean,
): Promise<void> {
  return play(behaviour, res, {
    success: () => answerSuccess(state, received, res, { billed }),
    async createThen(createThen) {
      const problem = validateSpeech(received, catalogOf(state));
      if (problem) {
        sendJson(res, problem.status, problem.body);
        return;
      }
      if (!billed) state.billedCharacters += charactersOf(received.body);
      await answerSpeech(state, createThen.then, received, res, true);
    },
  });
}

/** Validates, then answers the tone for the body's text, speed and format. */
async function answerSuccess(
  state: FakeState,
  received: ReceivedSpeechRequest,
  res: ServerResponse,
  options: { billed: boolean; pause?: SpeechAnswer["pause"] },
): Promise<void> {
  const problem = validateSpeech(received, catalogOf(state));
  if (problem) {
    sendJson(res, problem.status, problem.body);
    return;
  }
  const { text, speed = 1, streaming } = received.body as SpeechFields;
  const samples = fakeSpeechSamples(text, speed);
  await sendSpeech(state, res, {
    chunks: speechToneChunks(samples),
    ...(streaming ? {} : { wavSamples: samples }),
    characters: speechCharacters(text),
    bill: !options.billed,
    ...(options.pause ? { pause: options.pause } : {}),
  });
}

/** Sends a whole 200 audio answer; records it in `speeches` (and bills it) once it has ended. */
async function sendSpeech(state: FakeState, res: ServerResponse, answer: SpeechAnswer): Promise<void> {
  const wav = answer.wavSamples !== undefined;
  const sent = await writePcm(res, answer.chunks, {
    headers: wav ? wavSpeechHeaders(answer.wavSamples ?? 0) : STREAMED_SPEECH_HEADERS,
    ...(wav ? { head: wavHeader(answer.wavSamples ?? 0) } : {}),
    onSent: countSent(state),
    ...(answer.pause ? { pause: answer.pause } : {}),
    holdLast: true,
  });
  if (!sent || isGone(res)) return;
  // The last bytes go out with the end, in the same tick as the record: the
  // client cannot have seen the body's end before it is in `speeches`.
  res.end(sent.last);
  if (sent.last) countSent(state)(sent.last.length);
  state.speeches.push({ size: sent.size, sha256: sent.hash.digest("hex"), characters: answer.characters, streaming: !wav });
  if (answer.bill) state.billedCharacters += answer.characters;
}

const countSent =
  (state: FakeState) =>
  (bytes: number): void => {
    state.speechBytesSent += bytes;
  };

/** What the fake knows to exist: its models, and the voices cloned or added. */
function catalogOf(state: FakeState): SpeechCatalog {
  return {
    apiKey: state.apiKey,
    hasModel: (modelId) => state.models.some((model) => model.model_id === modelId),
    hasVoice: (voiceId) => state.addedVoiceIds.has(voiceId) || state.createdVoices.some((voice) => voice.voice_id === voiceId),
  };
}

/** The body's text in code points, 0 when it has none (a scripted answer to any request). */
function charactersOf(body: unknown): number {
  const text = typeof body === "object" && body !== null ? (body as { text?: unknown }).text : undefined;
  return typeof text === "string" ? speechCharacters(text) : 0;
}
