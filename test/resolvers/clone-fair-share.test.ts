// One client key's share of Faseeh over real HTTP (issue 19): a key holding
// UPSTREAM_MAX_CONCURRENCY_PER_KEY slots with stalled uploads cannot take the
// rest; another key's clone still runs at once, and the first key's extra
// clone waits, then gets RATE_LIMITED with reason KEY_CONCURRENCY_LIMIT.
import { Readable } from "node:stream";
import { request } from "undici";
import { bearer, issueKey } from "../support/api-keys.js";
import { MiB, noisyWav } from "../../dev/audio-fixtures.js";
import { cloneVoice, pacedClone } from "../support/clone.js";
import { describe, expect, test } from "../support/fixtures.js";
import { client } from "../support/gateway.js";
import { waitFor } from "../support/wait.js";

test.override("gatewayOptions", {
  env: {
    // Two slots, so one key's share is one (half of them, the default).
    UPSTREAM_MAX_CONCURRENCY: "2",
    UPSTREAM_QUEUE_TIMEOUT_MS: "3000",
    // The stalled upload must outlast the test: no idle timeout, deadline or rate ends it here.
    UPLOAD_IDLE_TIMEOUT_MS: "600000",
    UPLOAD_DEADLINE_MS: "600000",
    UPLOAD_RATE_GRACE_MS: "600000",
  },
});

describe("one key's share of UPSTREAM_MAX_CONCURRENCY", () => {
  test("a key at its share waits (then KEY_CONCURRENCY_LIMIT) while another key's clone runs", async ({ gateway, upstream }) => {
    const greedy = await issueKey(gateway, "greedy-tool", "write");
    const other = await issueKey(gateway, "other-tool", "write");
    const { limiter } = gateway.container;

    // The greedy key's first clone sends 1 MiB, then stalls until the test lets it go.
    let letGo!: (error: Error) => void;
    const stalled = new Promise<never>((_, reject) => (letGo = reject));
    stalled.catch(() => undefined);
    const paced = pacedClone({
      voiceFile: { content: noisyWav(3 * MiB, 61), filename: "stalled.wav" },
      referenceAudioFile: { content: noisyWav(MiB, 62), filename: "ref.wav" },
    });
    const holding = request(`${gateway.url}/graphql`, {
      method: "POST",
      body: Readable.from(
        paced.body(async (sentBytes) => {
          if (sentBytes > MiB) await stalled;
        }),
      ),
      headers: { ...bearer(greedy.key), "apollo-require-preflight": "true", "content-type": paced.contentType },
      dispatcher: client,
    }).then(
      (response) => response.body.dump(),
      () => undefined, // the test ends it by breaking off its body
    );
    await waitFor(() => limiter.running === 1 && upstream.inFlight === 1, 10_000, "the stalled clone holding a slot");

    // Its second clone waits, though a slot is free: the key holds its share.
    const extra = cloneVoice(gateway, { headers: bearer(greedy.key) });
    await waitFor(() => limiter.waiting === 1, 10_000, "the greedy key's second clone queued");
    expect({ running: limiter.running, heldByGreedy: limiter.heldBy(greedy.id) }).toEqual({ running: 1, heldByGreedy: 1 });

    // Another key's clone takes the free slot at once and succeeds.
    const fair = await cloneVoice(gateway, { headers: bearer(other.key) });
    expect(fair.body.errors).toBeUndefined();
    expect(fair.body.data?.cloneVoice.voice.voiceId).toEqual(expect.any(String));

    // The greedy key's extra clone gets no slot within UPSTREAM_QUEUE_TIMEOUT_MS, and says why.
    const refused = await extra;
    const error = refused.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: "RATE_LIMITED", reason: "KEY_CONCURRENCY_LIMIT" });
    expect(error?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error?.message).toBe(
      "This client key already runs 1 call against Faseeh at once, the most one key may (of the gateway's 2), and none finished within 3000 ms. Retry when one of them has finished.",
    );

    // The stalled client breaks off: its slot is freed, and nothing is left running or waiting.
    letGo(new Error("the client gave up"));
    await holding;
    await waitFor(() => limiter.running === 0 && upstream.inFlight === 0, 10_000, "every slot free");
    expect({ waiting: limiter.waiting, heldByGreedy: limiter.heldBy(greedy.id) }).toEqual({ waiting: 0, heldByGreedy: 0 });
    // Faseeh created only the other key's voice; the stalled request never completed.
    expect(upstream.createdVoices).toHaveLength(1);
    expect(upstream.requests.map((received) => received.aborted).sort()).toEqual([false, true]);
    expect(upstream.peakInFlight).toBe(2);
  });
});
