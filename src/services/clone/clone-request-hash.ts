// "The same request", as a digest: what an idempotency key is bound to, so a
// retry with the key replays its attempt and a different request with it is
// refused. Both files' contents count, so the hash is known only once both
// have arrived in full.
import { createHash } from "node:crypto";
import type { AudioSource } from "../../upstream/faseeh-client.js";
import type { CloneFields } from "./clone-input.js";

/** A clone's two files, however they reach the gateway (uploads, or a stored preview). */
export type CloneFiles = { voiceFile: AudioSource; referenceAudioFile: AudioSource };

/**
 * Stored as an attempt's hash until its files have arrived in full (a
 * streamed clone is recorded before that). Its value is kept as it was, for
 * the attempts already stored with it; it is never a status.
 */
export const HASH_NOT_YET_KNOWN = "pending";

/** Stored as the hash of a call refused before it had an attempt: it holds no key, so nothing compares it. */
export const HASH_OF_REFUSED_CALL = "refused";

/**
 * Identifies "the same request": normalised fields and both files' contents
 * (not their names). Tags count as a set (their order is not the request's
 * meaning), and no tags hash as before tags existed, so a key used just
 * before an upgrade still replays. Waits for both files to arrive in full.
 */
export async function hashRequest(fields: CloneFields, files: CloneFiles): Promise<string> {
  const [voice, reference] = await Promise.allSettled([files.voiceFile.fileDigest(), files.referenceAudioFile.fileDigest()]);
  if (voice.status === "rejected") throw voice.reason;
  if (reference.status === "rejected") throw reference.reason;
  const { tags, ...rest } = fields;
  const hashed = tags.length ? { ...rest, tags: [...tags].sort() } : rest;
  const canonical = JSON.stringify({
    ...Object.fromEntries(Object.entries(hashed).sort(([a], [b]) => a.localeCompare(b))),
    voiceFile: voice.value.sha256,
    referenceAudioFile: reference.value.sha256,
  });
  return createHash("sha256").update(canonical).digest("hex");
}
