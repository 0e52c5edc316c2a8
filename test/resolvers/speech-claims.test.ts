// Claims under stress: what a process calling Faseeh for a request does when
// the others' view of its claim differs from its own. A claim it made is judged
// by PostgreSQL's clock, whatever its own says; and audio it kept that another
// process imported meanwhile (or that its own lost answer already marked) is
// answered, never removed from under its READY row.
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { sha256 } from "../../dev/audio-fixtures.js";
import { describe, expect, test, vi } from "../support/fixtures.js";
import { fetchAudio } from "../support/preview.js";
import {
  audioIdOf,
  seedVoice,
  speak,
  speaksCounted,
  SPEECH_TEXT,
  speechAudioRows,
  speechDir,
  speechFiles,
} from "../support/speech.js";
import { waitFor } from "../support/wait.js";

// Renewed every third of this: never during a test, so only the test decides when a claim looks stale.
test.override("gatewayOptions", { env: { SPEAK_RATE_LIMIT_PER_MINUTE: "100000", SPEECH_CLAIM_STALE_MS: "600000" } });

/** A held call to Faseeh and the release that lets it answer. */
function heldCall(upstream: { enqueueSpeech(behaviour: unknown): void }): () => void {
  let release!: () => void;
  upstream.enqueueSpeech({ kind: "hold", until: new Promise<void>((resolve) => (release = resolve)), then: { kind: "success" } });
  return () => release();
}

describe("a claim's call that another process sees differently", () => {
  test("audio another process imports just before its own process marks it stays kept and plays", async ({
    gateway,
    upstream,
  }) => {
    const voice = await seedVoice(gateway, upstream);
    const release = heldCall(upstream);
    const answer = speak(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT });
    await waitFor(() => upstream.speechRequests.length === 1, 10_000, "the call reaching Faseeh");
    const [claim] = await speechAudioRows(gateway);
    expect(claim).toMatchObject({ status: "PENDING" });
    const id = claim!.id;

    // Another process, finding the claim stale, imports its kept audio (as SpeechStore.settle does);
    // it holds the row while the claimant finishes, so the claimant marks it just after.
    const other = new pg.Client({ connectionString: gateway.database!.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT id FROM speech_audio WHERE id = $1 FOR UPDATE", [id]);
      release();
      await waitFor(
        async () =>
          (
            await gateway.database!.query<{ waiting: number }>(
              "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
          )[0]!.waiting === 1,
        10_000,
        "the claimant marking its row READY, behind the importer",
      );
      const record = JSON.parse(await readFile(path.join(speechDir(gateway), `${id}.json`), "utf8")) as Record<string, unknown>;
      await other.query(
        `UPDATE speech_audio SET status = 'READY', claimed_by = NULL, claimed_at = NULL, audio_content_type = $2,
           sample_rate = $3, channels = $4, audio_bytes = $5, audio_sha256 = $6 WHERE id = $1 AND status = 'PENDING'`,
        [id, record.contentType, record.sampleRate, record.channels, record.size, record.sha256],
      );
      await other.query("COMMIT");
    } finally {
      await other.end();
    }

    const speech = (await answer).body.data!.speak;
    expect(audioIdOf(speech.audioUrl)).toBe(id);
    expect(await speechFiles(gateway)).toEqual([`${id}.json`, `${id}.pcm`]);
    const audio = await fetchAudio(speech.audioUrl);
    expect(audio.status).toBe(200);
    expect(sha256(audio.body.subarray(44))).toBe(upstream.speeches[0]!.sha256);
    expect(upstream.speechRequests).toHaveLength(1);
  });

  test("a claim of a process whose clock runs behind PostgreSQL's is not taken over while its call runs", async ({
    gateway,
    upstream,
  }) => {
    const voice = await seedVoice(gateway, upstream);
    // This process's clock 20 minutes behind the database's: past this file's stale bound (10 minutes), as
    // 31 seconds would be past the default's.
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    try {
      vi.setSystemTime(Date.now() - 20 * 60_000);
      const release = heldCall(upstream);
      const answer = speak(gateway, { voiceId: voice.voiceId, text: SPEECH_TEXT });
      await waitFor(() => upstream.speechRequests.length === 1, 10_000, "the call reaching Faseeh");
      // The sweeper of any replica, on its interval, while the call runs.
      await gateway.container.speech.sweep();
      release();
      const speech = (await answer).body.data!.speak;
      expect(speech.cached).toBe(false);
      // Faseeh was called (and billed) once: the claim was not taken for a dead process's.
      expect(upstream.speechRequests).toHaveLength(1);
      expect(await speechAudioRows(gateway)).toEqual([
        expect.objectContaining({ id: audioIdOf(speech.audioUrl), status: "READY" }),
      ]);
      expect((await fetchAudio(speech.audioUrl)).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});

test("a speech whose audio is gone from PREVIEW_DIR is made again, not answered with a URL that 404s", async ({
  gateway,
  upstream,
}) => {
  const voice = await seedVoice(gateway, upstream);
  const input = { voiceId: voice.voiceId, text: SPEECH_TEXT };
  const first = (await speak(gateway, input)).body.data!.speak;
  const lost = audioIdOf(first.audioUrl);
  // The volume lost or restored without it: the row is READY and live, its files are not there.
  for (const file of await speechFiles(gateway)) await rm(path.join(speechDir(gateway), file));
  expect((await fetchAudio(first.audioUrl)).status).toBe(404); // "send the same `speak` again for new audio"

  const again = (await speak(gateway, input)).body.data!.speak;
  expect(again.cached).toBe(false);
  expect(upstream.speechRequests).toHaveLength(2);
  expect(audioIdOf(again.audioUrl)).not.toBe(lost);
  const audio = await fetchAudio(again.audioUrl);
  expect(audio.status).toBe(200);
  expect(sha256(audio.body.subarray(44))).toBe(upstream.speeches[1]!.sha256);
  expect(await speechAudioRows(gateway)).toEqual([expect.objectContaining({ id: audioIdOf(again.audioUrl), status: "READY" })]);
});

test("a failed call is the answer of the identical requests waiting on it in another process: one call, the same error", async ({
  gateway,
  upstream,
  startGateway,
}) => {
  // A second replica on the same database and PREVIEW_DIR.
  const other = await startGateway({
    upstream,
    testDatabase: gateway.database!,
    env: {
      SPEAK_RATE_LIMIT_PER_MINUTE: "100000",
      SPEECH_CLAIM_STALE_MS: "600000",
      PREVIEW_DIR: gateway.container.config.previews.dir,
    },
  });
  const voice = await seedVoice(gateway, upstream);
  const input = { voiceId: voice.voiceId, text: SPEECH_TEXT };
  let release!: () => void;
  upstream.enqueueSpeech({
    kind: "hold",
    until: new Promise<void>((resolve) => (release = resolve)),
    then: { kind: "error", status: 500, errorMessage: "generation failed" },
  });
  const first = speak(gateway, input);
  await waitFor(() => upstream.speechRequests.length === 1, 10_000, "the call reaching Faseeh");
  const waiting = speak(other, input);
  // Both requests counted: the second has looked for kept audio and is waiting on the first's claim.
  await waitFor(async () => (await speaksCounted(gateway)) === 2, 10_000, "the other replica's request to wait");
  release();

  const [failed, waited] = await Promise.all([first, waiting]);
  expect(failed.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
  expect(waited.body.errors?.[0]?.extensions).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", sharedFailure: true });
  expect(waited.body.errors?.[0]?.message).toBe(failed.body.errors?.[0]?.message);
  expect(upstream.speechRequests).toHaveLength(1);
  expect(await speechFiles(gateway)).toEqual([]);

  // Kept nothing: the next request (on either replica) calls Faseeh again, and is answered.
  const again = await speak(other, input);
  expect(again.body.errors).toBeUndefined();
  expect(again.body.data?.speak.cached).toBe(false);
  expect(upstream.speechRequests).toHaveLength(2);
  expect((await speechAudioRows(gateway)).map((row) => row.status)).toEqual(["READY"]);
});
