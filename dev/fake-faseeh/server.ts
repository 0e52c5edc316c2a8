// The fake Faseeh's HTTP server: a real node:http server on 127.0.0.1 that
// hands each request to its route (routes.ts), tracks its sockets so close()
// never waits on a hanging one, and gives tests the FakeFaseeh handle: what was
// received, and the knobs that script the next answers.
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { FakeBehaviour, FakePreviewBehaviour, FakeSpeechBehaviour } from "./behaviours.js";
import { isGone, messageOf, sendJson } from "./http-answers.js";
import type { FakeModel } from "./models.js";
import type { ReceivedCloneRequest } from "./multipart-reader.js";
import type { SentPreview } from "./preview-audio.js";
import type { SentSpeech } from "./speech-audio.js";
import type { ReceivedSpeechRequest } from "./speech-route.js";
import { BASE_PATH, DEFAULT_PREVIEW_PATH, resolvePreviewPath, routeRequest } from "./routes.js";
import { createState, resetState, type FakeState } from "./state.js";
import type { FakeVoiceBody } from "./voices.js";

const DEFAULT_API_KEY = "test-upstream-key";

export interface FakeFaseeh {
  /** e.g. http://127.0.0.1:43121/api/v1 — what the gateway should use as its upstream base URL. */
  readonly baseUrl: string;
  /** Convenience: `${baseUrl}/voices/clone`. */
  readonly cloneUrl: string;
  /** Convenience: `${baseUrl}${previewPath}` (default `${baseUrl}/voices/preview`). */
  readonly previewUrl: string;
  /** Convenience: `${baseUrl}/models`. */
  readonly modelsUrl: string;
  /** Convenience: `${baseUrl}/text-to-speech/${encodeURIComponent(modelId)}`. */
  speechUrl(modelId: string): string;
  /** The key the fake accepts. */
  readonly apiKey: string;
  /** Every clone request that reached the handler, in the order their bodies finished. */
  readonly requests: ReceivedCloneRequest[];
  /** Every voice body answered with 200 by a `success` behaviour. */
  readonly createdVoices: FakeVoiceBody[];
  /** Every preview request that reached the handler, in the order their bodies finished (never in `requests`). */
  readonly previewRequests: ReceivedCloneRequest[];
  /** Size and SHA-256 of every preview PCM body sent completely (`success` or `pcm`), in the order they ended. */
  readonly previews: SentPreview[];
  /**
   * Every text-to-speech POST that reached the handler, in the order their
   * bodies finished (or were cut off: then `body` is undefined; never in `requests`).
   */
  readonly speechRequests: ReceivedSpeechRequest[];
  /** Every text-to-speech 200 audio body sent completely (`success`, `holdMidStream`, `pcm`), in the order they ended. */
  readonly speeches: SentSpeech[];
  /** Characters (code points) of every text-to-speech call Faseeh charged: complete successes and `createThen`s. */
  readonly billedCharacters: number;
  /** Text-to-speech PCM bytes handed to sockets since the last reset(), live while they stream (WAV headers left out). */
  readonly speechBytesSent: number;
  /** How many GET /models calls reached the fake since the last reset() (401s and scripted answers included). */
  readonly modelRequests: number;
  /** Sockets currently open to the fake (for connection-leak assertions). */
  readonly connections: number;
  /** Clone, preview and text-to-speech requests being handled right now, and the most seen at once since the last reset(). */
  readonly inFlight: number;
  readonly peakInFlight: number;
  /** File bytes the fake has read from clone and preview bodies since the last reset(), live while they stream. */
  readonly fileBytesReceived: number;
  /** How GET /voices answers: undefined (default) lists createdVoices; or a scripted error/raw behaviour. */
  setVoiceList(behaviour: FakeBehaviour | undefined): void;
  /** Script the next responses, in order. */
  enqueue(...behaviours: FakeBehaviour[]): void;
  /** Behaviour used once the queue is empty (initially `{ kind: "success" }`). */
  setDefault(behaviour: FakeBehaviour): void;
  /** What a `success` GET /models lists (initially DEFAULT_FAKE_MODELS). The array is copied. */
  setModels(models: FakeModel[]): void;
  /** Script the next GET /models answers, in order; then `success` (the list) again. */
  enqueueModels(...behaviours: FakeBehaviour[]): void;
  /** Script the next preview answers, in order; then `success` again. */
  enqueuePreview(...behaviours: FakePreviewBehaviour[]): void;
  /** Script the next text-to-speech answers, in order; then `success` again. */
  enqueueSpeech(...behaviours: FakeSpeechBehaviour[]): void;
  /** Voice ids text-to-speech knows besides those of createdVoices (until reset()). */
  addVoices(...voiceIds: string[]): void;
  /**
   * Back to a fresh state: clears requests, createdVoices and the queue, and
   * restores the default behaviour to success; clears previewRequests,
   * previews and the preview queue; restores the default model list, clears
   * the models queue and zeroes modelRequests; clears speechRequests, speeches,
   * the speech queue and the added voices, and zeroes billedCharacters and
   * speechBytesSent. Arrays are cleared in place.
   */
  reset(): void;
  /** Stops listening and destroys every open socket (hanging ones included). Idempotent. */
  close(): Promise<void>;
}

export interface FakeFaseehOptions {
  apiKey?: string;
  port?: number;
  /** The address to listen on (default 127.0.0.1; the compose profile's container needs 0.0.0.0). baseUrl still names 127.0.0.1. */
  host?: string;
  /** Preview path, appended to /api/v1 (default "/voices/preview"). Only this path answers previews. */
  previewPath?: string;
}

export async function startFakeFaseeh(options: FakeFaseehOptions = {}): Promise<FakeFaseeh> {
  const state = createState(options.apiKey ?? DEFAULT_API_KEY);
  const previewPath = resolvePreviewPath(options.previewPath ?? DEFAULT_PREVIEW_PATH);

  const { server, sockets } = createFakeServer(state, previewPath);
  const port = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const baseUrl = `http://127.0.0.1:${port}${BASE_PATH}`;

  let closing: Promise<void> | undefined;

  return {
    baseUrl,
    cloneUrl: `${baseUrl}/voices/clone`,
    previewUrl: `http://127.0.0.1:${port}${previewPath}`,
    modelsUrl: `${baseUrl}/models`,
    speechUrl: (modelId) => `${baseUrl}/text-to-speech/${encodeURIComponent(modelId)}`,
    apiKey: state.apiKey,
    requests: state.requests,
    createdVoices: state.createdVoices,
    previewRequests: state.previewRequests,
    previews: state.previews,
    speechRequests: state.speechRequests,
    speeches: state.speeches,
    get billedCharacters() {
      return state.billedCharacters;
    },
    get speechBytesSent() {
      return state.speechBytesSent;
    },
    get modelRequests() {
      return state.modelRequests;
    },
    get connections() {
      return sockets.size;
    },
    get inFlight() {
      return state.inFlight;
    },
    get peakInFlight() {
      return state.peakInFlight;
    },
    get fileBytesReceived() {
      return state.fileBytesReceived;
    },
    enqueue(...behaviours) {
      state.queue.push(...behaviours);
    },
    setDefault(behaviour) {
      state.defaultBehaviour = behaviour;
    },
    setVoiceList(behaviour) {
      state.voiceListBehaviour = behaviour;
    },
    setModels(list) {
      state.models = [...list];
    },
    enqueueModels(...behaviours) {
      state.modelsQueue.push(...behaviours);
    },
    enqueuePreview(...behaviours) {
      state.previewQueue.push(...behaviours);
    },
    enqueueSpeech(...behaviours) {
      state.speechQueue.push(...behaviours);
    },
    addVoices(...voiceIds) {
      for (const voiceId of voiceIds) state.addedVoiceIds.add(voiceId);
    },
    reset() {
      resetState(state);
    },
    close() {
      closing ??= closeAll(server, sockets);
      return closing;
    },
  };
}

/** The HTTP server, each request handed to its route, and the set of its open sockets. */
function createFakeServer(state: FakeState, previewPath: string): { server: Server; sockets: Set<Socket> } {
  // Track sockets ourselves: server.close() alone waits for keep-alive and
  // hanging connections, which would make test teardown hang.
  const sockets = new Set<Socket>();

  const server = createServer(
    // The fake must only misbehave when scripted to; Node's default 5-minute
    // requestTimeout could otherwise cut off a slow 100 MiB benchmark upload.
    { requestTimeout: 0 },
    (req, res) => {
      routeRequest(state, previewPath, req, res).catch((error: unknown) => {
        // A bug in the fake should surface as a 500, not an unhandled rejection.
        if (!res.headersSent && !isGone(res)) {
          sendJson(res, 500, { errorCode: "50001", errorMessage: `Fake upstream failure: ${messageOf(error)}` });
        } else {
          req.socket.destroy();
        }
      });
    },
  );

  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  return { server, sockets };
}

/** Listens on `host` (`port`, or an ephemeral one if 0); resolves with the port. */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Stops listening and destroys every open socket (hanging ones included); resolves once all have closed. */
async function closeAll(server: Server, sockets: Set<Socket>): Promise<void> {
  // Subscribe before anything is destroyed: every socket still in the Set
  // has not emitted 'close' yet (the Set listener removes it on 'close').
  // Note socket.closed is no shortcut: it flips before the net 'close'
  // event fires. Waiting for the events makes `connections` exactly 0
  // once close() resolves, since our Set listener was registered first.
  const socketsClosed = [...sockets].map((socket) => new Promise<void>((resolve) => socket.once("close", () => resolve())));
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of sockets) socket.destroy();
  await Promise.all([serverClosed, ...socketsClosed]);
}
