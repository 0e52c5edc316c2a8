// What a test of `speak` needs around it: a catalog voice the fake Faseeh
// also knows, the mutation as clients send it (or as a client that leaves
// mid-call sends it), the rows and files the gateway keeps, and the audio's
// id as its URL names it.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import { request } from "undici";
import type { FakeFaseeh } from "../../dev/fake-faseeh.js";
import type { NewVoice } from "../../src/services/catalog/voice-writes.js";
import { type SpeakInput, SpeakDocument, type SpeakMutation } from "../generated/operations.js";
import { client, type GraphQLResponse, operationText, type TestGateway } from "./gateway.js";
import { voiceData } from "./voice-data.js";

/** 17 code points of Arabic. */
export const SPEECH_TEXT = "مرحبا بكم في فصيح";

/** `count` code points of Arabic with diacritics (a letter and its haraka are two, as Faseeh bills them). */
export function diacritisedText(count: number): string {
  const unit = "بَ"; // two code points, one grapheme
  const text = unit.repeat(Math.ceil(count / 2));
  return Array.from(text).slice(0, count).join("");
}

/** A voice in the catalog, known to the fake's text-to-speech too (reset() forgets it). */
export async function seedVoice(gateway: TestGateway, upstream: FakeFaseeh | undefined, overrides: Partial<NewVoice> = {}) {
  const voice = await gateway.container.db.prisma.voice.create({ data: voiceData(overrides) });
  upstream?.addVoices(voice.voiceId);
  return voice;
}

export function speak(
  gateway: TestGateway,
  input: SpeakInput,
  headers?: Record<string, string>,
): Promise<GraphQLResponse<SpeakMutation>> {
  return gateway.graphql(SpeakDocument, { input }, headers);
}

/** `speak` that succeeded: its answer (the test fails with the errors otherwise). */
export async function spoken(gateway: TestGateway, input: SpeakInput, headers?: Record<string, string>) {
  const response = await speak(gateway, input, headers);
  if (!response.body.data?.speak) throw new Error(`speak failed: ${JSON.stringify(response.body.errors)}`);
  return response.body.data.speak;
}

/** `speak` sent by a client that may leave: the HTTP request is aborted with `signal`. */
export async function speakLeaving(gateway: TestGateway, input: SpeakInput, signal: AbortSignal): Promise<unknown> {
  const response = await request(`${gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: operationText(SpeakDocument), variables: { input } }),
    dispatcher: client,
    signal,
  });
  return response.body.json();
}

/** The kept audio's id, as the speech's audioUrl names it (`/speech/<id>.wav`). */
export function audioIdOf(audioUrl: string): string {
  const id = /^\/speech\/([0-9a-f-]{36})\.wav$/.exec(new URL(audioUrl).pathname)?.[1];
  if (!id) throw new Error(`not a speech audio URL: ${audioUrl}`);
  return id;
}

export const speechDir = (gateway: TestGateway): string => path.join(gateway.container.config.previews.dir, "speech");

/** Files under $PREVIEW_DIR/speech, sorted. */
export async function speechFiles(gateway: TestGateway): Promise<string[]> {
  return (await readdir(speechDir(gateway)).catch(() => [])).sort();
}

export interface SpeechAudioRow extends Record<string, unknown> {
  id: string;
  request_hash: string;
  status: string;
  audio_bytes: string | null;
  audio_sha256: string | null;
}

export const speechAudioRows = (gateway: TestGateway) =>
  gateway.database!.query<SpeechAudioRow>(
    "SELECT id::text, request_hash, status, audio_bytes::text, audio_sha256 FROM speech_audio ORDER BY created_at",
  );

/** What a failed call leaves: no audio, no answers, and only the FAILED record its waiters read (`code`), if any. */
export async function expectNothingKept(gateway: TestGateway, code: string): Promise<void> {
  const rows = await gateway.database!.query<{ status: string; audio_bytes: string | null; failure_code: string | null }>(
    "SELECT status, audio_bytes::text, failure_code FROM speech_audio",
  );
  expect(rows).toEqual([{ status: "FAILED", audio_bytes: null, failure_code: code }]);
  expect(await speechRows(gateway)).toEqual([]);
  expect(await speechFiles(gateway)).toEqual([]);
}

export const speechRows = (gateway: TestGateway) =>
  gateway.database!.query<{ id: string; owner: string; audio_id: string; cached: boolean }>(
    "SELECT id::text, owner, audio_id::text, cached FROM speeches ORDER BY created_at, id",
  );

/** A counter's value in /metrics (0 when it has no sample yet). */
export async function metricValue(gateway: TestGateway, name: string, labels = ""): Promise<number> {
  const text = await (await request(`${gateway.url}/metrics`, { dispatcher: client })).body.text();
  const escaped = `${name}${labels}`.replace(/[{}"=]/g, (character) => `\\${character}`);
  const match = new RegExp(`^${escaped} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * `speak`s of `owner` counted by the rate limit this minute: each is past its
 * checks and its kept-audio lookup, the last step before it joins (or makes)
 * the call for its request. How a test knows its requests are all waiting.
 */
export async function speaksCounted(gateway: TestGateway, owner = "anonymous"): Promise<number> {
  const rows = await gateway.database!.query<{ count: number }>("SELECT count FROM rate_limit_windows WHERE bucket = $1", [
    `speak:${owner}`,
  ]);
  return rows.reduce((sum, row) => sum + row.count, 0);
}
