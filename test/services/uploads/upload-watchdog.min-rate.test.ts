// The minimum upload rate over real HTTP (issue 19): a client that keeps a
// clone's upload alive with a little every so often is ended with
// UPLOAD_TOO_SLOW long before UPLOAD_DEADLINE_MS, Faseeh never gets a
// complete request from it, and its slot goes to the next client.
import { Readable } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { request } from "undici";
import { bearer, issueKey } from "../../support/api-keys.js";
import { MiB, noisyWav } from "../../../dev/audio-fixtures.js";
import { cloneVoice, pacedClone } from "../../support/clone.js";
import { describe, expect, test } from "../../support/fixtures.js";
import { client } from "../../support/gateway.js";
import { waitFor } from "../../support/wait.js";

test.override("gatewayOptions", {
  env: {
    // One slot: the slow upload holding it stops all cloning until it is ended.
    UPSTREAM_MAX_CONCURRENCY: "1",
    UPSTREAM_QUEUE_TIMEOUT_MS: "20000",
    // Far beyond the test's own timeout: only the rate can end the upload here.
    UPLOAD_IDLE_TIMEOUT_MS: "60000",
    UPLOAD_DEADLINE_MS: "600000",
    // The default minimum (16 KiB/s), judged over 1 s of waiting after 1 s.
    UPLOAD_RATE_GRACE_MS: "1000",
    UPLOAD_RATE_WINDOW_MS: "1000",
  },
});

/**
 * The request's bytes, re-cut: 32 KiB every 50 ms (640 KiB/s) until
 * `slow()` says otherwise, then 1 KiB every 100 ms (10 KiB/s), like the
 * attacker of issue 19 (2 KiB every 5 s) but quicker to tell.
 */
async function* attackerBody(bytes: AsyncIterable<Buffer>, slow: () => boolean): AsyncGenerator<Buffer> {
  for await (const piece of bytes) {
    for (let offset = 0; offset < piece.length;) {
      const size = slow() ? 1024 : 32 * 1024;
      await delay(slow() ? 100 : 50);
      yield piece.subarray(offset, offset + size);
      offset += size;
    }
  }
}

describe("an upload slower than UPLOAD_MIN_BYTES_PER_SECOND", () => {
  test("is ended with UPLOAD_TOO_SLOW, never completes a request upstream, and frees its slot for another key", async ({
    gateway,
    upstream,
  }) => {
    const db = gateway.database!;
    const attacker = await issueKey(gateway, "trickler", "write");
    const other = await issueKey(gateway, "other-tool", "write");
    const { limiter } = gateway.container;

    const paced = pacedClone({
      // Enough for 12 s at the fast pace; under MAX_UPLOAD_BYTES, so only the rate stops it.
      voiceFile: { content: noisyWav(8 * MiB, 51), filename: "slow.wav" },
      referenceAudioFile: { content: noisyWav(MiB, 52), filename: "ref.wav" },
    });
    let trickling = false;
    const slow = request(`${gateway.url}/graphql`, {
      method: "POST",
      body: Readable.from(attackerBody(paced.body(), () => trickling)),
      headers: { ...bearer(attacker.key), "apollo-require-preflight": "true", "content-type": paced.contentType },
      dispatcher: client,
    }).then(
      async (response) => ({
        headers: response.headers,
        body: (await response.body.json()) as { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> },
      }),
      (error: unknown) => ({ error, headers: undefined, body: undefined }),
    );

    // It holds the only slot, streaming to Faseeh; the other key's clone waits for it.
    await waitFor(() => limiter.running === 1 && upstream.inFlight === 1, 10_000, "the slow upload holding the slot");
    const next = cloneVoice(gateway, { headers: bearer(other.key) });
    await waitFor(() => limiter.waiting === 1, 10_000, "the other clone queued");
    // Now it slows to a trickle.
    trickling = true;

    const answer = await slow;
    const error = answer.body?.errors?.[0];
    expect(error?.extensions, String("error" in answer ? answer.error : "")).toMatchObject({
      code: "BAD_REQUEST",
      reason: "UPLOAD_TOO_SLOW",
      field: "input.voiceFile",
    });
    // The rate ended it (the deadline is ten minutes away), and the message says by how much.
    expect(error?.message).toMatch(
      /^The upload of `input\.voiceFile` was too slow: .+\/s over the last .+ s the gateway waited for it, below the minimum of 16 KiB\/s\./,
    );
    expect(answer.headers?.connection).toBe("close");

    // The slot went to the other key's clone, which succeeds.
    const cloned = await next;
    expect(cloned.body.errors).toBeUndefined();
    await waitFor(() => limiter.running === 0 && upstream.inFlight === 0, 10_000, "every slot free");
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 0, waiting: 0 });
    // Faseeh got the slow request only in part, and created only the other key's voice.
    expect(upstream.requests.map((received) => received.aborted)).toEqual([true, false]);
    expect(upstream.createdVoices).toHaveLength(1);
    // Not upstream.peakInFlight: the fake learns that the cut connection is gone a moment after the
    // gateway has handed the slot on, so under load it can count both at once. The one slot is shown
    // above by the limiter, which queued the other clone until the slow one ended.
    const attempts = await db.query<{ status: string; error_code: string | null }>(
      "SELECT status, error_code FROM clone_attempts ORDER BY created_at",
    );
    expect(attempts).toEqual([
      { status: "FAILED", error_code: "BAD_REQUEST" },
      { status: "SUCCEEDED", error_code: null },
    ]);
  });
});
