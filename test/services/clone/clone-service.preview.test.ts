// A clone made from a preview on the paths where bytes are at stake: the
// client leaving after Faseeh has the whole request, the client leaving while
// its clone is queued, and shutdown with the answer still awaited. The
// preview is MiB-scale (2 MiB of PCM, a 3 MiB recording), and what the fake
// received is compared, size and sha256, with what the preview holds.
import { Readable } from "node:stream";
import { request } from "undici";
import { MiB, noisyWav } from "../../../dev/audio-fixtures.js";
import { cloneVoice, CLONE_VOICE } from "../../support/clone.js";
import { type FakeFaseeh, filesOf } from "../../../dev/fake-faseeh.js";
import { describe, expect, test } from "../../support/fixtures.js";
import { client, type TestGateway } from "../../support/gateway.js";
import { pacedMultipart } from "../../support/paced-multipart.js";
import { digestOf, previewRecording, previewVoice } from "../../support/preview.js";
import { waitFor } from "../../support/wait.js";

test.override("gatewayOptions", { env: { UPSTREAM_MAX_CONCURRENCY: "1", PREVIEW_RATE_LIMIT_PER_MINUTE: "100000" } });

/** A preview of 2 MiB of PCM from a 3 MiB recording, and what a clone from it must send Faseeh. */
async function bigPreview(gateway: TestGateway, upstream: FakeFaseeh) {
  const pcm = noisyWav(2 * MiB + 44, 71).subarray(44);
  const recording = previewRecording();
  upstream.enqueuePreview({ kind: "pcm", bytes: pcm });
  const response = await previewVoice(gateway, { file: { content: recording, filename: "me.wav" } });
  expect(response.body.errors).toBeUndefined();
  return {
    id: response.body.data!.previewVoice.id,
    sent: { voice_file: digestOf(pcm), reference_audio_file: digestOf(recording) },
  };
}

/** Sends cloneVoice(previewId) as a client that can leave: `leave()` aborts its connection. */
function leavingClone(gateway: TestGateway, previewId: string, idempotencyKey: string) {
  const paced = pacedMultipart(CLONE_VOICE, { input: { previewId, name: "From preview", stability: 0.5, idempotencyKey } }, {});
  const controller = new AbortController();
  const pending = request(`${gateway.url}/graphql`, {
    method: "POST",
    body: Readable.from(paced.body()),
    headers: { "apollo-require-preflight": "true", "content-type": paced.contentType },
    signal: controller.signal,
    dispatcher: client,
  }).catch((error: unknown) => error);
  return { pending, leave: () => controller.abort() };
}

const voiceNames = async (gateway: TestGateway) =>
  (await gateway.database!.query<{ name: string }>("SELECT name FROM voices ORDER BY name")).map((row) => row.name);

describe("cloneVoice(previewId) when the client leaves", () => {
  test("after Faseeh has the whole request: the clone runs to its end and stores the voice, sent whole", async ({
    gateway,
    upstream,
  }) => {
    const preview = await bigPreview(gateway, upstream);
    upstream.enqueue({ kind: "delay", ms: 1_500, then: { kind: "success" } });
    const clone = leavingClone(gateway, preview.id, "left-after-sending");
    await waitFor(() => upstream.requests.length === 1);
    expect(upstream.requests[0]!.aborted).toBe(false);
    clone.leave();
    await clone.pending;
    await waitFor(async () => (await voiceNames(gateway)).length === 1, 10_000, "the voice to be stored");
    expect(filesOf(upstream.requests[0]!)).toEqual(preview.sent);
    const [attempt] = await gateway.database!.query<{ status: string; preview_id: string }>(
      "SELECT status, preview_id::text FROM clone_attempts",
    );
    expect(attempt).toEqual({ status: "SUCCEEDED", preview_id: preview.id });
  });

  test("while its clone is queued: nothing reaches Faseeh, and a retry with the key clones it whole", async ({
    gateway,
    upstream,
  }) => {
    const preview = await bigPreview(gateway, upstream);
    // A slow clone holds the only slot.
    upstream.enqueue({ kind: "delay", ms: 1_000, then: { kind: "success" } });
    const blocker = cloneVoice(gateway);
    await waitFor(() => upstream.inFlight === 1);
    const clone = leavingClone(gateway, preview.id, "left-while-queued");
    await waitFor(
      async () => (await gateway.database!.query("SELECT 1 FROM clone_attempts WHERE preview_id IS NOT NULL")).length === 1,
    );
    clone.leave();
    await clone.pending;
    await waitFor(async () => {
      const rows = await gateway.database!.query<{ status: string }>(
        "SELECT status FROM clone_attempts WHERE preview_id IS NOT NULL",
      );
      return rows[0]?.status === "FAILED";
    });
    expect((await blocker).body.errors).toBeUndefined();
    expect(upstream.requests).toHaveLength(1); // the blocker's only

    // The same key again: the FAILED attempt is taken over and the preview sent in full.
    const retry = await gateway.multipart(
      CLONE_VOICE,
      { input: { previewId: preview.id, name: "From preview", stability: 0.5, idempotencyKey: "left-while-queued" } },
      {},
    );
    expect(retry.body.errors).toBeUndefined();
    expect(upstream.requests).toHaveLength(2);
    expect(filesOf(upstream.requests[1]!)).toEqual(preview.sent);
  });
});

describe("cloneVoice(previewId) at shutdown", () => {
  test("a clone whose whole request Faseeh has finishes within the clone budget and is stored, sent whole", async ({
    upstream,
    testDatabase: database,
    startGateway,
  }) => {
    const gateway = await startGateway({ upstream, testDatabase: database, env: { SHUTDOWN_CLONE_GRACE_MS: "10000" } });
    const preview = await bigPreview(gateway, upstream);
    upstream.enqueue({ kind: "delay", ms: 1_000, then: { kind: "success" } });
    const clone = gateway.multipart(CLONE_VOICE, { input: { previewId: preview.id, name: "At shutdown", stability: 0.5 } }, {});
    await waitFor(() => upstream.requests.length === 1);
    await gateway.stop();
    const answered = await clone;
    expect(answered.body.errors).toBeUndefined();
    expect(filesOf(upstream.requests[0]!)).toEqual(preview.sent);
    expect(await database.query("SELECT name FROM voices")).toEqual([{ name: "At shutdown" }]);
  });
});
