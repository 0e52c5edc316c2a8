// Which call a request is, by its path: the real API's paths under /api/v1
// (text-to-speech with its model id in the path), the preview's own (an
// option, as Faseeh's reference does not name it), and 404 for anything else.
import type { IncomingMessage, ServerResponse } from "node:http";
import { handleClone, handleVoiceList } from "./clone-routes.js";
import { sendJson } from "./http-answers.js";
import { handleModels } from "./models-route.js";
import { drain } from "./multipart-reader.js";
import { handlePreview } from "./preview-route.js";
import { handleSpeech } from "./speech-route.js";
import type { FakeState } from "./state.js";

/** Path prefix of the real API; `baseUrl` ends with it. */
export const BASE_PATH = "/api/v1";
const CLONE_PATH = `${BASE_PATH}/voices/clone`;
const VOICES_PATH = `${BASE_PATH}/voices`;
const MODELS_PATH = `${BASE_PATH}/models`;
/** Followed by the model id, one path segment. */
const SPEECH_PATH_PREFIX = `${BASE_PATH}/text-to-speech/`;
/** Appended to BASE_PATH; Faseeh's reference does not name the path, so it is an option. */
export const DEFAULT_PREVIEW_PATH = "/voices/preview";

/** BASE_PATH + the option, normalised like incoming paths; refuses the paths other calls use. */
export function resolvePreviewPath(option: string): string {
  if (!option.startsWith("/")) throw new Error(`previewPath must start with "/": ${option}`);
  const path = new URL(`${BASE_PATH}${option}`, "http://fake.invalid").pathname;
  if ([CLONE_PATH, VOICES_PATH, MODELS_PATH].includes(path) || path.startsWith(SPEECH_PATH_PREFIX)) {
    throw new Error(`previewPath collides with ${path}`);
  }
  return path;
}

/** Hands the request to its call's handler; `previewPath` is resolvePreviewPath's. */
export async function routeRequest(
  state: FakeState,
  previewPath: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = req.url ?? "/";
  const pathname = new URL(path, "http://fake.invalid").pathname;

  if (pathname === VOICES_PATH && req.method === "GET") {
    await handleVoiceList(state, req, res);
    return;
  }

  if (pathname === MODELS_PATH && req.method === "GET") {
    await handleModels(state, req, res);
    return;
  }

  const modelId = speechModelId(pathname);
  if (modelId !== undefined) {
    await handleSpeech(state, modelId, req, res);
    return;
  }

  if (pathname === previewPath) {
    await handlePreview(state, req, res);
    return;
  }

  if (pathname !== CLONE_PATH) {
    // Drain before answering so the client is not cut off mid-upload.
    await drain(req);
    sendJson(res, 404, { errorCode: "40401", errorMessage: `Not found: ${req.method ?? "?"} ${pathname}` });
    return;
  }

  await handleClone(state, req, res);
}

/** The model id of a text-to-speech path (URL-decoded), or undefined for any other path. */
function speechModelId(pathname: string): string | undefined {
  if (!pathname.startsWith(SPEECH_PATH_PREFIX)) return undefined;
  const segment = pathname.slice(SPEECH_PATH_PREFIX.length);
  if (segment === "" || segment.includes("/")) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed escapes: the id as sent, which no model has
  }
}
