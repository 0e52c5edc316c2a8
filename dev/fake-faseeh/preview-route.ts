// The preview call (POST {previewPath}): a `success` validates like the real
// API, then streams the tone (preview-audio.ts); `pcm` and `pcmThenReset`
// answer given bytes, or the tone cut by a reset, whatever the request was.
import type { IncomingMessage, ServerResponse } from "node:http";
import { play, SUCCESS, type FakeBehaviour } from "./behaviours.js";
import { isGone, resetSocket, sendJson } from "./http-answers.js";
import type { ParsedBody } from "./multipart-reader.js";
import { receiveFormCall } from "./form-call.js";
import { chunksOf, fakePreviewSamples, toneBytes, toneChunks, writePcm } from "./preview-audio.js";
import type { FakeState } from "./state.js";
import { validatePreview } from "./validation.js";

export async function handlePreview(state: FakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const call = await receiveFormCall(
    state,
    { recorded: state.previewRequests, next: () => state.previewQueue.shift() ?? SUCCESS },
    req,
    res,
  );
  if (!call) return;
  const { behaviour, received } = call;
  switch (behaviour.kind) {
    case "pcm":
      await sendPreview(state, res, chunksOf(behaviour.bytes));
      return;
    case "pcmThenReset": {
      const bytes = toneBytes(behaviour.bytesBeforeReset);
      if (await writePcm(res, chunksOf(bytes))) resetSocket(res.socket);
      return;
    }
    default:
      await answerPreview(state, behaviour, received, res);
  }
}

function answerPreview(state: FakeState, behaviour: FakeBehaviour, received: ParsedBody, res: ServerResponse): Promise<void> {
  return play(behaviour, res, {
    async success() {
      const problem = validatePreview(received, state.apiKey);
      if (problem) {
        sendJson(res, problem.status, problem.body);
        return;
      }
      const { text = "", speed } = received.request.fields;
      await sendPreview(state, res, toneChunks(fakePreviewSamples(text, speed === undefined ? 1 : Number(speed))));
    },
    async createThen(createThen) {
      const problem = validatePreview(received, state.apiKey);
      if (problem) {
        sendJson(res, problem.status, problem.body);
        return;
      }
      await answerPreview(state, createThen.then, received, res);
    },
  });
}

/** Streams a whole 200 PCM answer; records it in `previews` once it has ended. */
async function sendPreview(state: FakeState, res: ServerResponse, chunks: Iterable<Buffer>): Promise<void> {
  const sent = await writePcm(res, chunks);
  if (!sent || isGone(res)) return;
  res.end();
  // Recorded in the same tick as end(): the client cannot have seen the
  // body's end before it is in `previews`.
  state.previews.push({ size: sent.size, sha256: sent.hash.digest("hex") });
}
