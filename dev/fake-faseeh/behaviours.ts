// Fault injection: the answers a test can script (FakeBehaviour for every call,
// FakePreviewBehaviour for previews, FakeSpeechBehaviour for text-to-speech)
// and how one is played on a response. What
// "success" and "createThen" do depends on the call: each route passes its own.
import type { ServerResponse } from "node:http";
import { isGone, resetSocket, send, sendJson, sleepUnlessGone, waitUnlessGone } from "./http-answers.js";
import type { FakeVoice, FakeVoiceBody } from "./voices.js";

/** Scripted response for one clone request. */
export type FakeBehaviour =
  /**
   * Behave like the real API: validate the key and the form (401/400 on
   * failure), otherwise answer 200 with a voice built from the received
   * fields. `overrides` replaces/adds response keys; `omit` drops keys (use
   * it to produce contract-violating 200s, e.g. without `id`).
   */
  | { kind: "success"; overrides?: FakeVoiceBody; omit?: ReadonlyArray<keyof FakeVoice> }
  /**
   * Answer an error JSON regardless of the request's validity (the upstream is
   * the one failing). `errorCode` defaults to `${status}01`, `errorMessage` to
   * a generic text for the status. `headers` e.g. `{ "Retry-After": "3" }`.
   */
  | {
      kind: "error";
      status: number;
      errorCode?: string;
      errorMessage?: string;
      headers?: Record<string, string>;
    }
  /** Non-JSON body `<html>not json` as text/html; status defaults to 200. */
  | { kind: "garbage"; status?: number }
  /** Arbitrary body; contentType defaults to application/json. */
  | { kind: "raw"; status: number; body: string; contentType?: string }
  /**
   * Wait `ms` after the body has arrived, then apply `then`. If the client
   * disconnects (or the fake is closed) meanwhile, nothing is sent.
   */
  | { kind: "delay"; ms: number; then: FakeBehaviour }
  /**
   * Hold the answer after the body has arrived until `until` settles (a test
   * releases it when it has done what must happen meanwhile, e.g. sent a
   * signal), then apply `then`. If the client disconnects (or the fake is
   * closed) meanwhile, nothing is sent.
   */
  | { kind: "hold"; until: Promise<unknown>; then: FakeBehaviour }
  /**
   * Create the voice as `success` would (it appears in createdVoices and the
   * voice list), then answer with `then` instead: Faseeh acted, but its
   * answer was lost (a 502 from a proxy, a reset, a hang).
   */
  | { kind: "createThen"; then: FakeBehaviour }
  /** Read the whole body, then reset the connection without answering. */
  | { kind: "reset" }
  /** Read the whole body and never answer; close() destroys the socket. */
  | { kind: "hang" }
  /**
   * Reset the connection as soon as the request headers arrive, before
   * reading the body. Only meaningful as a top-level behaviour: nested inside
   * `delay` the body has already been read, so it acts like `reset`.
   */
  | { kind: "resetBeforeBody" };

/**
 * Scripted response for one preview request. `success` validates like the
 * real API, then streams the tone. `error`, `garbage`, `raw`, `delay`,
 * `reset`, `hang` and `resetBeforeBody` behave as for clones (`success`
 * ignores `overrides`/`omit`). `createThen` validates (401/400 as `success`
 * would), then answers with `then`: Faseeh generated (and billed) the preview
 * but the answer was lost. `pcm` and `pcmThenReset` answer whatever the
 * request was, without validating it (like `error`), and cannot be nested
 * inside `delay`.
 */
export type FakePreviewBehaviour =
  | FakeBehaviour
  /** 200 with exactly these bytes as the PCM body, streamed in chunks like a real preview. */
  | { kind: "pcm"; bytes: Buffer }
  /** 200 headers and the first `bytesBeforeReset` bytes of the tone, then a connection reset. */
  | { kind: "pcmThenReset"; bytesBeforeReset: number };

/**
 * Scripted response for one text-to-speech request. `success` validates like
 * the real API (401, 400), then answers the tone (streamed PCM, or a WAV for
 * `streaming: false`) and bills its characters once the whole body went out.
 * `createThen` validates, bills, then answers with `then`: Faseeh generated
 * (and charged) the speech but the answer was lost. The other FakeBehaviours
 * behave as for clones. `pcm` and `pcmThenReset` answer whatever the request
 * was, without validating it or billing (like `error`).
 */
export type FakeSpeechBehaviour =
  | FakePreviewBehaviour
  /**
   * Validate like `success`, start answering the tone, pause once at least
   * `afterBytes` PCM bytes went out until `until` settles, then send the rest
   * and end. Recorded and billed as a success if the whole body went out.
   */
  | { kind: "holdMidStream"; afterBytes: number; until: Promise<unknown> };

export const SUCCESS: FakeBehaviour = { kind: "success" };

const DEFAULT_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  400: "Bad request",
  401: "Invalid API key",
  402: "Insufficient wallet balance",
  403: "Forbidden",
  404: "Not found",
  429: "Too many requests",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};

type Scripted<K extends FakeBehaviour["kind"]> = Extract<FakeBehaviour, { kind: K }>;

/** How an endpoint answers the behaviours that depend on it; everything else is common. */
interface Playbook {
  success(behaviour: Scripted<"success">): Promise<void> | void;
  createThen(behaviour: Scripted<"createThen">): Promise<void>;
}

/** Plays a scripted behaviour: error/garbage/raw/delay/reset/hang the same everywhere. */
export async function play(behaviour: FakeBehaviour, res: ServerResponse, playbook: Playbook): Promise<void> {
  if (isGone(res)) return;
  switch (behaviour.kind) {
    case "success":
      await playbook.success(behaviour);
      return;
    case "error":
      sendJson(
        res,
        behaviour.status,
        {
          errorCode: behaviour.errorCode ?? `${behaviour.status}01`,
          errorMessage: behaviour.errorMessage ?? DEFAULT_ERROR_MESSAGES[behaviour.status] ?? "Upstream error",
        },
        behaviour.headers,
      );
      return;
    case "garbage":
      send(res, behaviour.status ?? 200, "text/html", "<html>not json");
      return;
    case "raw":
      send(res, behaviour.status, behaviour.contentType ?? "application/json", behaviour.body);
      return;
    case "delay":
      if (await sleepUnlessGone(behaviour.ms, res)) await play(behaviour.then, res, playbook);
      return;
    case "hold":
      if (await waitUnlessGone(behaviour.until, res)) await play(behaviour.then, res, playbook);
      return;
    case "createThen":
      await playbook.createThen(behaviour);
      return;
    case "reset":
    case "resetBeforeBody":
      resetSocket(res.socket);
      return;
    case "hang":
      // Deliberately nothing: the socket stays open until the client gives
      // up or close() destroys it.
      return;
  }
}
