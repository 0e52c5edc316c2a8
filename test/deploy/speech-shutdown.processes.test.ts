// SIGTERM to a replica while Faseeh streams a speech to it: the call runs to
// its end inside the shutdown's budget, its client gets the answer, and the
// audio is kept byte for byte, so the other replica answers the same `speak`
// from it without paying again (counted at the fake: calls, size, SHA-256).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { sha256 } from "../../dev/audio-fixtures.js";
import { CloneVoiceDocument, SpeakDocument } from "../generated/operations.js";
import { defaultCloneInput } from "../support/clone.js";
import { releasable } from "../support/gate.js";
import { isMsg } from "../support/gateway-process.js";
import { bigFiles, expect, otherThan, replicaTest } from "../support/replica-fixtures.js";
import { waitFor } from "../support/wait.js";

const TEST_TIMEOUT_MS = 180_000;
const test = replicaTest();

/** 600 characters at speed 0.7: about 3.3 MiB of PCM, hundreds of stream chunks. */
const LONG_TEXT = "مرحبا بكم في فصيح ".repeat(34).slice(0, 600).trim();
const PAUSE_AFTER_BYTES = 512 * 1024;

test(
  "SIGTERM mid-speech: the call completes, its client is answered, the audio is kept and the other replica answers it from the cache",
  { timeout: TEST_TIMEOUT_MS },
  async ({ cluster, keys }) => {
    const { upstream } = cluster;
    const cloned = await cluster.multipart<{ cloneVoice: { voice: { voiceId: string } } }>(
      CloneVoiceDocument,
      { input: { ...defaultCloneInput(), name: "Rasha" } },
      bigFiles(61).files,
      keys.write,
    );
    expect(cloned.json.errors).toBeUndefined();
    const voiceId = cloned.json.data!.cloneVoice.voice.voiceId;
    const input = { voiceId, text: LONG_TEXT, speed: 0.7 };

    const stream = releasable();
    upstream.enqueueSpeech({ kind: "holdMidStream", afterBytes: PAUSE_AFTER_BYTES, until: stream.until });
    const victimName = cluster.proxy.next;
    const victim = cluster.replicas.get(victimName)!;
    const inFlight = cluster.graphql(SpeakDocument, { input }, keys.write);
    await waitFor(() => upstream.speechBytesSent >= PAUSE_AFTER_BYTES, 60_000, "Faseeh to be streaming the speech");

    victim.proc.child.kill("SIGTERM");
    await victim.proc.waitForLog(isMsg("shutting down: draining in-flight requests"), 10_000, "the shutdown to begin");
    cluster.proxy.remove(victimName);
    stream.release();

    const answer = await inFlight;
    expect(answer.servedBy).toBe(victimName);
    expect(answer.json.errors).toBeUndefined();
    const spoken = answer.json.data!.speak;
    expect(spoken.cached).toBe(false);
    expect(await victim.proc.waitForExit(30_000)).toEqual({ code: 0, signal: null });

    // Kept as Faseeh sent it: the file has the size and SHA-256 of the stream the fake finished.
    expect(upstream.speeches).toHaveLength(1);
    const audioId = /\/speech\/([0-9a-f-]{36})\.wav/.exec(spoken.audioUrl)![1]!;
    const kept = await readFile(path.join(cluster.previewDir, "speech", `${audioId}.pcm`));
    expect({ size: kept.length, sha256: sha256(kept) }).toEqual({
      size: upstream.speeches[0]!.size,
      sha256: upstream.speeches[0]!.sha256,
    });

    // The other replica answers the same request from what was kept: no second call.
    const again = await cluster.graphql(SpeakDocument, { input }, keys.write);
    expect(again.servedBy).toBe(otherThan(cluster, victimName));
    expect(again.json.errors).toBeUndefined();
    expect(again.json.data!.speak).toMatchObject({ cached: true, id: expect.not.stringMatching(spoken.id) as string });
    expect(new URL(again.json.data!.speak.audioUrl).pathname).toBe(new URL(spoken.audioUrl).pathname);
    expect(upstream.speechRequests).toHaveLength(1);
    const played = await cluster.send(
      new URL(again.json.data!.speak.audioUrl).pathname + new URL(again.json.data!.speak.audioUrl).search,
    );
    expect(played.status).toBe(200);
    expect(sha256(played.body.subarray(44))).toBe(upstream.speeches[0]!.sha256);
  },
);
