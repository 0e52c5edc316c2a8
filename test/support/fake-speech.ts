// Text-to-speech calls to the fake Faseeh as the gateway makes them (undici,
// JSON body), for the fake's own tests: a valid body to vary, the call, and
// reading an audio answer to its end or its failure.
import { createHash } from "node:crypto";
import { request, type Dispatcher } from "undici";
import type { FakeFaseeh } from "../../dev/fake-faseeh.js";

/** A voice the tests add with addVoices, and a model of the default list. */
export const VOICE = "voice_known";
export const MODEL = "faseeh-v1";
export const TEXT = "مرحبا بكم في فصيح"; // 17 code points
/** 120 code points (132 UTF-16 units): 2 x 0.08 x 24000 x 120 = 460,800 bytes, several socket reads however chunked. */
export const LONG_TEXT = "مرحبا بكم في فصيح ".repeat(6).trim() + " 👋👋👋👋👋👋👋👋👋👋👋👋";
export const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

export interface SpeechCall {
  body?: unknown;
  /** Sent as is instead of `body`'s JSON. */
  rawBody?: string | Buffer;
  /** Default the fake's key; null sends none. */
  apiKey?: string | null;
  modelId?: string;
  method?: "POST" | "GET";
  signal?: AbortSignal;
}

/** A valid body (streamed, VOICE, TEXT), with `fields` replaced or added (undefined drops one from the JSON). */
export const speechBody = (fields: Record<string, unknown> = {}) => ({
  voice_id: VOICE,
  text: TEXT,
  stability: 0.5,
  streaming: true,
  ...fields,
});

export function postSpeech(fake: FakeFaseeh, dispatcher: Dispatcher, call: SpeechCall = {}) {
  const apiKey = call.apiKey === undefined ? fake.apiKey : call.apiKey;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (apiKey !== null) headers["x-api-key"] = apiKey;
  const method = call.method ?? "POST";
  return request(fake.speechUrl(call.modelId ?? MODEL), {
    method,
    headers,
    ...(method === "POST" ? { body: call.rawBody ?? JSON.stringify(call.body ?? speechBody()) } : {}),
    dispatcher,
    ...(call.signal ? { signal: call.signal } : {}),
  });
}

/** Reads a body to the end (counting the pieces it came in), or as far as it gets before the connection fails. */
export async function readBody(body: AsyncIterable<Buffer>): Promise<{ bytes: Buffer; pieces: number; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk);
    return { bytes: Buffer.concat(chunks), pieces: chunks.length, error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), pieces: chunks.length, error };
  }
}
