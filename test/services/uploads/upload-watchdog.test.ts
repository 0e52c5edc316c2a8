// Uploads must keep moving: a client that stops sending (or trickles past
// the deadline) loses its clone before Faseeh gets a complete request, and
// frees its concurrency slot for everybody else.
import { Readable } from "node:stream";
import { request } from "undici";
import { MiB, noisyWav } from "../../../dev/audio-fixtures.js";
import { cloneVoice, pacedClone } from "../../support/clone.js";
import { describe, expect, test } from "../../support/fixtures.js";
import { client, type TestGateway } from "../../support/gateway.js";
import { waitFor } from "../../support/wait.js";

test.override("gatewayOptions", {
  env: {
    UPLOAD_IDLE_TIMEOUT_MS: "600",
    UPLOAD_DEADLINE_MS: "2000",
    // One slot: a stalled upload holding it would stop all cloning.
    UPSTREAM_MAX_CONCURRENCY: "1",
    UPSTREAM_QUEUE_TIMEOUT_MS: "10000",
  },
});

const never = () => new Promise<void>(() => undefined);

interface Answer {
  body?: { errors?: Array<{ extensions?: Record<string, unknown> }> };
  headers?: Record<string, string | string[] | undefined>;
  error?: unknown;
}

/** Sends a paced clone; resolves with the GraphQL answer, or the error if the connection died first. */
async function sendPaced(gateway: TestGateway, pace: (sentBytes: number) => Promise<void>): Promise<Answer> {
  const paced = pacedClone({
    voiceFile: { content: noisyWav(3 * MiB, 41), filename: "slow.wav" },
    referenceAudioFile: { content: noisyWav(MiB, 42), filename: "ref.wav" },
  });
  try {
    const response = await request(`${gateway.url}/graphql`, {
      method: "POST",
      body: Readable.from(paced.body(pace)),
      headers: { "apollo-require-preflight": "true", "content-type": paced.contentType },
      dispatcher: client,
    });
    const body = (await response.body.json()) as Answer["body"];
    return { body, headers: response.headers };
  } catch (error) {
    return { error };
  }
}

describe("a stalled upload", () => {
  test("fails with UPLOAD_STALLED after UPLOAD_IDLE_TIMEOUT_MS, frees its slot, and never completes a request upstream", async ({
    gateway,
    upstream,
  }) => {
    const stalled = sendPaced(gateway, async (sentBytes) => {
      if (sentBytes > MiB) await never();
    });
    // The stalled clone holds the only slot, with a half-sent request upstream.
    await waitFor(() => upstream.inFlight === 1);
    const other = cloneVoice(gateway);

    // The reason tells which rule ended it: the idle timeout, not the deadline or Node's request timeout.
    const answer = await stalled;
    expect(answer.body?.errors?.[0]?.extensions, String(answer.error)).toMatchObject({
      code: "BAD_REQUEST",
      reason: "UPLOAD_STALLED",
      field: "input.voiceFile",
    });
    // Its connection is closed rather than left waiting for the rest of the body.
    expect(answer.headers?.connection).toBe("close");

    // The client that came next clones normally.
    const next = await other;
    expect(next.body.errors).toBeUndefined();
    expect(upstream.requests.map((received) => received.aborted)).toEqual([true, false]);
    expect(upstream.createdVoices).toHaveLength(1);
    const statuses = await gateway.database!.query<{ status: string; error_code: string }>(
      "SELECT status, error_code FROM clone_attempts ORDER BY created_at",
    );
    expect(statuses).toEqual([
      { status: "FAILED", error_code: "BAD_REQUEST" },
      { status: "SUCCEEDED", error_code: null },
    ]);
  });

  test("fails with UPLOAD_TOO_SLOW when the upload trickles past UPLOAD_DEADLINE_MS", async ({ gateway, upstream }) => {
    // A 64 KiB piece every 200 ms (the client's pace, not a wait) is never idle for 600 ms,
    // but 4 MiB would take 13 s: only the deadline can end it, as the reason says.
    const answer = await sendPaced(gateway, () => new Promise((resolve) => setTimeout(resolve, 200)));
    expect(answer.body?.errors?.[0]?.extensions, String(answer.error)).toMatchObject({
      code: "BAD_REQUEST",
      reason: "UPLOAD_TOO_SLOW",
    });
    await waitFor(() => upstream.inFlight === 0);
    expect(upstream.requests.every((received) => received.aborted)).toBe(true);
    expect(upstream.createdVoices).toHaveLength(0);
  });
});

describe("time the gateway itself spends", () => {
  test("never counts as idle: a clone queued behind a slow one for longer than the idle timeout still succeeds", async ({
    gateway,
    upstream,
  }) => {
    upstream.enqueue({ kind: "delay", ms: 1_500, then: { kind: "success" } });
    const slow = cloneVoice(gateway);
    await waitFor(() => upstream.inFlight === 1);
    const queued = await cloneVoice(gateway, {
      voiceFile: { content: noisyWav(2 * MiB, 43), filename: "a.wav" },
      referenceAudioFile: { content: noisyWav(2 * MiB, 44), filename: "b.wav" },
    });
    expect(queued.body.errors).toBeUndefined();
    expect((await slow).body.errors).toBeUndefined();
    expect(upstream.createdVoices).toHaveLength(2);
  });
});
