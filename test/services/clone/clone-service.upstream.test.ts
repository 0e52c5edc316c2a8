// Retry rules of the Faseeh client, observed through the gateway over HTTP:
// the clone service retries only when Faseeh certainly created nothing, and
// records every attempt's outcome. (FaseehClient itself is tested directly in
// test/upstream/faseeh-client.test.ts.)
import { MiB, noisyWav, sha256 } from "../../../dev/audio-fixtures.js";
import { cloneVoice } from "../../support/clone.js";
import { filesOf, startFakeFaseeh } from "../../../dev/fake-faseeh.js";
import { describe, expect, test } from "../../support/fixtures.js";
import type { TestGateway } from "../../support/gateway.js";
import { waitFor } from "../../support/wait.js";
import { freePort } from "../../../dev/free-port.js";

test.override("gatewayOptions", {
  env: { UPSTREAM_TIMEOUT_MS: "600", UPSTREAM_RETRY_MAX_WAIT_MS: "1500", UPSTREAM_MAX_ATTEMPTS: "3" },
});

const voices = (gateway: TestGateway) => gateway.database!.query<{ voice_id: string }>("SELECT voice_id FROM voices");
const attempts = (gateway: TestGateway) => gateway.database!.query<{ status: string }>("SELECT status FROM clone_attempts");

describe("retries that cannot clone twice", () => {
  test("waits out a 429 with a short Retry-After, then succeeds with one voice", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "error", status: 429, headers: { "retry-after": "1" } });
    const response = await cloneVoice(gateway);
    expect(response.body.errors).toBeUndefined();
    // The wait the gateway took before the retry: Faseeh's second, not its own backoff.
    const retry = gateway.logs.find((line) => line.msg === "retrying upstream call that certainly created nothing");
    expect(retry?.retryInMs).toBeGreaterThanOrEqual(1000);
    expect(upstream.requests).toHaveLength(2);
    expect(upstream.createdVoices).toHaveLength(1);
    expect(await voices(gateway)).toEqual([{ voice_id: response.body.data!.cloneVoice.voice.voiceId }]);
    expect(await attempts(gateway)).toEqual([{ status: "SUCCEEDED" }]);
  });

  test("never waits out a 503 once Faseeh had the whole request, even with Retry-After: 0", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "error", status: 503, headers: { "retry-after": "0" } });
    const response = await cloneVoice(gateway);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
    expect(upstream.requests).toHaveLength(1);
    expect(await attempts(gateway)).toEqual([{ status: "UNKNOWN" }]);
  });

  test("retries a connection reset before the request was complete, resending every byte of both files", async ({
    gateway,
    upstream,
  }) => {
    const voiceFile = noisyWav(2 * MiB, 1);
    const referenceAudioFile = noisyWav(MiB + 12_345, 2);
    upstream.enqueue({ kind: "resetBeforeBody" });
    const response = await cloneVoice(gateway, {
      voiceFile: { content: voiceFile, filename: "preview.wav" },
      referenceAudioFile: { content: referenceAudioFile, filename: "original.wav" },
    });
    expect(response.body.errors).toBeUndefined();
    expect(upstream.requests.map((received) => received.aborted)).toEqual([true, false]);
    expect(filesOf(upstream.requests[1]!)).toEqual({
      voice_file: { size: voiceFile.length, sha256: sha256(voiceFile) },
      reference_audio_file: { size: referenceAudioFile.length, sha256: sha256(referenceAudioFile) },
    });
    expect(upstream.createdVoices).toHaveLength(1);
    expect(await attempts(gateway)).toEqual([{ status: "SUCCEEDED" }]);
  });

  test("stops after UPSTREAM_MAX_ATTEMPTS and reports the last answer", async ({ gateway, upstream }) => {
    const busy = { kind: "error", status: 429, headers: { "retry-after": "0" } } as const;
    upstream.enqueue(busy, busy, busy, busy);
    const response = await cloneVoice(gateway);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: 0 });
    expect(upstream.requests).toHaveLength(3);
    expect(await voices(gateway)).toHaveLength(0);
    expect(await attempts(gateway)).toEqual([{ status: "FAILED" }]);
  });

  test("hands a Retry-After beyond the bound to the client instead of waiting", async ({ gateway, upstream }) => {
    upstream.enqueue({ kind: "error", status: 429, headers: { "retry-after": "30" } });
    const response = await cloneVoice(gateway);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: 30 });
    expect(upstream.requests).toHaveLength(1);
  });

  test.for([
    ["a 503 without Retry-After", { kind: "error", status: 503 }, "UNKNOWN"],
    ["a 500", { kind: "error", status: 500 }, "UNKNOWN"],
    ["a 429 without Retry-After", { kind: "error", status: 429 }, "FAILED"],
  ] as const)("does not retry %s", async ([_name, behaviour, status], { gateway, upstream }) => {
    upstream.enqueue(behaviour);
    await cloneVoice(gateway);
    expect(upstream.requests).toHaveLength(1);
    expect(await attempts(gateway)).toEqual([{ status }]);
  });

  test.for([
    ["a reset after the body was sent", { kind: "reset" }],
    ["a timeout after the body was sent", { kind: "hang" }],
    ["a 200 outside the contract", { kind: "success", omit: ["id"] }],
  ] as const)("never retries %s, and records the outcome as UNKNOWN", async ([_name, behaviour], { gateway, upstream }) => {
    upstream.enqueue(behaviour);
    const response = await cloneVoice(gateway);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
    expect(upstream.requests).toHaveLength(1);
    expect(await voices(gateway)).toHaveLength(0);
    expect(await attempts(gateway)).toEqual([{ status: "UNKNOWN" }]);
  });

  test("retries a refused connection until upstream is listening, sending every byte of both files", async ({
    upstream,
    startGateway,
    onTestFinished,
  }) => {
    const port = await freePort();
    const late = await startGateway({
      env: {
        FASEEH_BASE_URL: `http://127.0.0.1:${port}/api/v1`,
        FASEEH_API_KEY: upstream.apiKey,
        UPSTREAM_MAX_ATTEMPTS: "8",
      },
    });
    const voiceFile = noisyWav(2 * MiB, 3);
    const referenceAudioFile = noisyWav(2 * MiB + 1, 4);
    const pending = cloneVoice(late, {
      voiceFile: { content: voiceFile, filename: "preview.wav" },
      referenceAudioFile: { content: referenceAudioFile, filename: "original.wav" },
    });
    // Upstream comes up only once the gateway was refused and is retrying, however slow the machine.
    const retrying = () => late.logs.some((line) => line.msg === "retrying upstream call that certainly created nothing");
    await waitFor(retrying, 20_000, "a refused first attempt");
    const lateUpstream = await startFakeFaseeh({ port });
    onTestFinished(() => lateUpstream.close());
    const response = await pending;
    expect(response.body.errors).toBeUndefined();
    expect(lateUpstream.requests).toHaveLength(1);
    expect(filesOf(lateUpstream.requests[0]!)).toEqual({
      voice_file: { size: voiceFile.length, sha256: sha256(voiceFile) },
      reference_audio_file: { size: referenceAudioFile.length, sha256: sha256(referenceAudioFile) },
    });
  });
});
