// The model list (GET /models): a `success` answers the models of the moment
// (setModels) to the right key, 401 to any other; scripted answers as queued.
import type { IncomingMessage, ServerResponse } from "node:http";
import { play, SUCCESS, type FakeBehaviour } from "./behaviours.js";
import { resetSocket, sendJson } from "./http-answers.js";
import { drain } from "./multipart-reader.js";
import type { FakeState } from "./state.js";

export async function handleModels(state: FakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  state.modelRequests++;
  const behaviour = state.modelsQueue.shift() ?? SUCCESS;
  if (behaviour.kind === "resetBeforeBody") {
    resetSocket(req.socket);
    return;
  }
  if (!(await drain(req))) return;
  const answerModels = async (next: FakeBehaviour): Promise<void> =>
    play(next, res, {
      success() {
        if (req.headers["x-api-key"] !== state.apiKey) {
          sendJson(res, 401, { errorCode: "40101", errorMessage: "Invalid API key" });
        } else {
          sendJson(res, 200, state.models);
        }
      },
      // Nothing to create: the answer is simply `then`.
      createThen: (createThen) => answerModels(createThen.then),
    });
  await answerModels(behaviour);
}
