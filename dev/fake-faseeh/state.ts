// What one fake remembers and what its tests scripted: the requests received,
// the voices created, the audio sent and the characters billed, the queues of
// scripted answers and the counters, shared by the routes; and how reset()
// returns it to a fresh fake's state.
import type { ServerResponse } from "node:http";
import { SUCCESS, type FakeBehaviour, type FakePreviewBehaviour, type FakeSpeechBehaviour } from "./behaviours.js";
import { DEFAULT_FAKE_MODELS, type FakeModel } from "./models.js";
import type { ReceivedCloneRequest } from "./multipart-reader.js";
import type { SentPreview } from "./preview-audio.js";
import type { SentSpeech } from "./speech-audio.js";
import type { ReceivedSpeechRequest } from "./speech-route.js";
import type { FakeVoiceBody } from "./voices.js";

export interface FakeState {
  /** The key the fake accepts. */
  readonly apiKey: string;
  readonly requests: ReceivedCloneRequest[];
  readonly createdVoices: FakeVoiceBody[];
  /** Clone answers scripted by enqueue(...), taken one per request as its headers arrive. */
  readonly queue: FakeBehaviour[];
  defaultBehaviour: FakeBehaviour;
  voiceListBehaviour: FakeBehaviour | undefined;
  inFlight: number;
  peakInFlight: number;
  /** File bytes read from clone and preview bodies since the last reset, counted as they stream. */
  fileBytesReceived: number;
  readonly previewRequests: ReceivedCloneRequest[];
  readonly previews: SentPreview[];
  readonly previewQueue: FakePreviewBehaviour[];
  models: FakeModel[];
  readonly modelsQueue: FakeBehaviour[];
  modelRequests: number;
  readonly speechRequests: ReceivedSpeechRequest[];
  readonly speeches: SentSpeech[];
  readonly speechQueue: FakeSpeechBehaviour[];
  /** Voice ids text-to-speech knows besides createdVoices' (addVoices). */
  readonly addedVoiceIds: Set<string>;
  /** Characters of every text-to-speech call Faseeh would have charged for. */
  billedCharacters: number;
  /** PCM bytes of text-to-speech answers handed to sockets, counted as they stream. */
  speechBytesSent: number;
}

export function createState(apiKey: string): FakeState {
  return {
    apiKey,
    requests: [],
    createdVoices: [],
    queue: [],
    defaultBehaviour: SUCCESS,
    voiceListBehaviour: undefined,
    inFlight: 0,
    peakInFlight: 0,
    fileBytesReceived: 0,
    previewRequests: [],
    previews: [],
    previewQueue: [],
    models: [...DEFAULT_FAKE_MODELS],
    modelsQueue: [],
    modelRequests: 0,
    speechRequests: [],
    speeches: [],
    speechQueue: [],
    addedVoiceIds: new Set(),
    billedCharacters: 0,
    speechBytesSent: 0,
  };
}

/** Back to a fresh fake's state; arrays are cleared in place (tests hold them). Requests in flight stay counted. */
export function resetState(state: FakeState): void {
  state.requests.length = 0;
  state.createdVoices.length = 0;
  state.queue.length = 0;
  state.defaultBehaviour = SUCCESS;
  state.voiceListBehaviour = undefined;
  state.peakInFlight = state.inFlight;
  state.fileBytesReceived = 0;
  state.previewRequests.length = 0;
  state.previews.length = 0;
  state.previewQueue.length = 0;
  state.models = [...DEFAULT_FAKE_MODELS];
  state.modelsQueue.length = 0;
  state.modelRequests = 0;
  state.speechRequests.length = 0;
  state.speeches.length = 0;
  state.speechQueue.length = 0;
  state.addedVoiceIds.clear();
  state.billedCharacters = 0;
  state.speechBytesSent = 0;
}

/** Counts a clone, preview or text-to-speech request in inFlight until its response closes. */
export function countInFlight(state: FakeState, res: ServerResponse): void {
  state.inFlight++;
  state.peakInFlight = Math.max(state.peakInFlight, state.inFlight);
  res.once("close", () => state.inFlight--);
}
