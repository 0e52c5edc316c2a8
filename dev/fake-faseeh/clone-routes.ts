// The clone call (POST /voices/clone) and the list of the voices it created
// (GET /voices): a `success` validates like the real API, then creates the
// voice and answers it; a scripted voice list answers as a clone would.
import type { IncomingMessage, ServerResponse } from "node:http";
import { play, type FakeBehaviour } from "./behaviours.js";
import { sendJson } from "./http-answers.js";
import { bodilessRequest, drain, type ParsedBody } from "./multipart-reader.js";
import { receiveFormCall } from "./form-call.js";
import type { FakeState } from "./state.js";
import { validate } from "./validation.js";
import { buildVoice, type FakeVoiceBody } from "./voices.js";

export async function handleClone(state: FakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const call = await receiveFormCall(
    state,
    { recorded: state.requests, next: () => state.queue.shift() ?? state.defaultBehaviour },
    req,
    res,
  );
  if (call) await answerClone(state, call.behaviour, call.received, res);
}

export async function handleVoiceList(state: FakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await drain(req);
  if (req.headers["x-api-key"] !== state.apiKey) {
    sendJson(res, 401, { errorCode: "40101", errorMessage: "Invalid API key" });
  } else if (state.voiceListBehaviour) {
    await answerClone(state, state.voiceListBehaviour, { request: bodilessRequest(req, false), parseError: undefined }, res);
  } else {
    sendJson(res, 200, state.createdVoices);
  }
}

/** Clone answers (also used by a scripted voice list). */
function answerClone(state: FakeState, behaviour: FakeBehaviour, received: ParsedBody, res: ServerResponse): Promise<void> {
  return play(behaviour, res, {
    success(success) {
      const problem = validate(received, state.apiKey);
      if (problem) {
        sendJson(res, problem.status, problem.body);
        return;
      }
      const omitted = new Set<string>(success.omit ?? []);
      const body: FakeVoiceBody = Object.fromEntries(
        Object.entries({ ...buildVoice(received.request.fields), ...success.overrides }).filter(([key]) => !omitted.has(key)),
      );
      state.createdVoices.push(body);
      sendJson(res, 200, body);
    },
    async createThen(createThen) {
      const problem = validate(received, state.apiKey);
      if (problem) {
        sendJson(res, problem.status, problem.body);
        return;
      }
      state.createdVoices.push({ ...buildVoice(received.request.fields) });
      await answerClone(state, createThen.then, received, res);
    },
  });
}
