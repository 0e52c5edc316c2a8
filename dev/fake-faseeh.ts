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
 * And (see /work/shared/reference/faseeh-text-to-speech.md):
 *   POST {baseUrl}/text-to-speech/{model_id} header x-api-key, a JSON body (at
 *   most 1 MiB, else 413) with voice_id, text, stability, optional speed and
 *   streaming; validated like the real API: 401 40101, then 400 40001 for the
 *   body, then an unknown model (400 40001 "Model not found: <id>", from the
 *   model list), then an unknown voice (400 40002; known voices are
 *   createdVoices' and those of addVoices(...)). 200 answers a 330 Hz tone
 *   lasting 0.08 s per code point of text divided by speed: raw PCM (s16le,
 *   24 kHz, mono, chunked) for `streaming: true`, one WAV file with its
 *   content-length for `streaming: false`. Complete answers are recorded in
 *   `speeches`, and their characters counted in `billedCharacters`.
 *
 * Tests script responses with `enqueue(...)`. Each clone request takes the next
 * queued behaviour at the moment its headers arrive (so the Nth request gets
 * the Nth behaviour, even when requests overlap); when the queue is empty the
 * default behaviour (normally "success") is used. Model-list, preview
 * and text-to-speech calls have queues of their own (`enqueueModels`,
 * `enqueuePreview`, `enqueueSpeech`), taken the same way, falling back to
 * `success`. Clone requests are recorded in `requests` only; previews in
 * `previewRequests`, text-to-speech calls in `speechRequests`, model-list
 * calls in `modelRequests`. Clones, previews and text-to-speech calls share
 * the `inFlight`/`peakInFlight` counters.
 *
 * This file is the entry that tests, benches and dev/fake-faseeh-server.ts
 * import; the parts live in dev/fake-faseeh/, one job a file: the server and
 * the handle (server.ts), routing (routes.ts), each call's route, reading
 * requests (multipart-reader.ts, json-body.ts), the scripted faults
 * (behaviours.ts), the state reset() clears (state.ts), the real API's checks,
 * voices, models, and preview and text-to-speech audio.
 */
export type { FakeBehaviour, FakePreviewBehaviour, FakeSpeechBehaviour } from "./fake-faseeh/behaviours.js";
export { DEFAULT_FAKE_MODELS, type FakeModel } from "./fake-faseeh/models.js";
export { filesOf, type ReceivedCloneRequest, type ReceivedFile } from "./fake-faseeh/multipart-reader.js";
export { fakePreviewSamples, PREVIEW_CONTENT_TYPE, type SentPreview } from "./fake-faseeh/preview-audio.js";
export { fakeSpeechSamples, SPEECH_CONTENT_TYPE, type SentSpeech } from "./fake-faseeh/speech-audio.js";
export type { ReceivedSpeechRequest } from "./fake-faseeh/speech-route.js";
export { startFakeFaseeh, type FakeFaseeh, type FakeFaseehOptions } from "./fake-faseeh/server.js";
export type { FakeVoice, FakeVoiceBody } from "./fake-faseeh/voices.js";
