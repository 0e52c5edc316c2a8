/**
 * A fake Faseeh upstream for integration tests and benchmarks.
 *
 * It is a REAL HTTP server (node:http on 127.0.0.1, ephemeral port) rather than
 * an in-process interceptor, so the gateway under test exercises its actual
 * socket code: multipart streaming, keep-alive pooling, timeouts, aborts and
 * connection resets all behave as they would against the real API.
 *
 * Contract implemented (see /work/shared/reference/faseeh-voice-clone.txt):
 *   POST {baseUrl}/voices/clone   (baseUrl ends in /api/v1)
 *   header x-api-key, multipart/form-data with files voice_file and
 *   reference_audio_file plus text fields; 200 answers a voice JSON, errors
 *   answer {"errorCode": "...", "errorMessage": "..."}.
 *   GET {baseUrl}/voices          the voices created so far, as a JSON array
 *   (undocumented upstream; see faseeh-preview-and-models.md).
 *
 * And (see /work/shared/reference/faseeh-preview-and-models.md):
 *   GET {baseUrl}/models          header x-api-key; 200 answers a JSON array of
 *   models (DEFAULT_FAKE_MODELS unless setModels(...)), 401 on a bad key.
 *   POST {baseUrl}/voices/preview (the path is an option: previewPath) header
 *   x-api-key, multipart/form-data with the file `file` and the text fields
 *   text, similarity, model_id and optional speed; validated like the real
 *   API (401 40101, then 400 40001 with its documented messages). 200 streams
 *   raw PCM (s16le, 24 kHz, mono, chunked, no content-length): a 440 Hz tone
 *   lasting 0.08 s per character of text divided by speed.
 *
 * Tests script responses with `enqueue(...)`. Each clone request takes the next
 * queued behaviour at the moment its headers arrive (so the Nth request gets
 * the Nth behaviour, even when requests overlap); when the queue is empty the
 * default behaviour (normally "success") is used. Model-list and preview calls
 * have queues of their own (`enqueueModels`, `enqueuePreview`), taken the same
 * way, falling back to `success`. Clone requests are recorded in `requests`
 * only; previews in `previewRequests`, model-list calls in `modelRequests`.
 * Clones and previews share the `inFlight`/`peakInFlight` counters.
 *
 * This file is the entry that tests, benches and dev/fake-faseeh-server.ts
 * import; the parts live in dev/fake-faseeh/, one job a file: the server and
 * the handle (server.ts), routing (routes.ts), each call's route, reading
 * requests (multipart-reader.ts), the scripted faults (behaviours.ts), the
 * state reset() clears (state.ts), the real API's checks, voices, models and
 * preview audio.
 */
export type { FakeBehaviour, FakePreviewBehaviour } from "./fake-faseeh/behaviours.js";
export { DEFAULT_FAKE_MODELS, type FakeModel } from "./fake-faseeh/models.js";
export { filesOf, type ReceivedCloneRequest, type ReceivedFile } from "./fake-faseeh/multipart-reader.js";
export { fakePreviewSamples, PREVIEW_CONTENT_TYPE, type SentPreview } from "./fake-faseeh/preview-audio.js";
export { startFakeFaseeh, type FakeFaseeh, type FakeFaseehOptions } from "./fake-faseeh/server.js";
export type { FakeVoice, FakeVoiceBody } from "./fake-faseeh/voices.js";
