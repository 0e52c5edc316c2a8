// The preview cleanup, on PostgreSQL and the real PREVIEW_DIR: expired
// previews go (rows and files), previews a PENDING clone uses stay until it
// is settled, and preview directories without a row go once they are old.
// (What a dead process left in the staging directory goes with the uploads of
// any dead process: test/services/uploads/abandoned-uploads.test.ts.)
import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { CloneVoiceDocument } from "../../generated/operations.js";
import { cloneVoice } from "../../support/clone.js";
import { type FakeFaseeh, filesOf } from "../../../dev/fake-faseeh.js";
import { describe, expect, test } from "../../support/fixtures.js";
import type { TestGateway } from "../../support/gateway.js";
import { digestOf, fetchAudio, previewRecording, previewVoice } from "../../support/preview.js";
import { waitFor } from "../../support/wait.js";

// One slot to Faseeh, so a test can keep a clone queued while it sweeps.
test.override("gatewayOptions", { env: { UPSTREAM_MAX_CONCURRENCY: "1", PREVIEW_RATE_LIMIT_PER_MINUTE: "100000" } });

const ids = async (gateway: TestGateway) =>
  (await gateway.database!.query<{ id: string }>("SELECT id::text FROM voice_previews ORDER BY created_at")).map((row) => row.id);
const expire = (gateway: TestGateway, id: string) =>
  gateway.database!.query("UPDATE voice_previews SET expires_at = now() - interval '1 second' WHERE id = $1", [id]);
const dirs = async (gateway: TestGateway) =>
  (await readdir(gateway.container.config.previews.dir)).filter((name) => name !== ".staging").sort();

/**
 * A preview, then a slow clone that takes the only slot, and a clone from the
 * preview queued behind it, its attempt recorded PENDING (resolves once that
 * attempt is written). `sent`: what Faseeh must receive from that clone.
 */
async function previewThenQueuedClone(gateway: TestGateway, upstream: FakeFaseeh) {
  const recording = previewRecording();
  const preview = await makePreview(gateway, recording);
  const sent = { voice_file: upstream.previews[0]!, reference_audio_file: digestOf(recording) };
  upstream.enqueue({ kind: "delay", ms: 1_500, then: { kind: "success" } });
  const blocker = cloneVoice(gateway);
  await waitFor(() => upstream.inFlight === 1);
  const fromPreview = gateway.multipart(
    CloneVoiceDocument,
    { input: { previewId: preview.id, name: "Queued", stability: 0.5 } },
    {},
  );
  await waitFor(
    async () => (await gateway.database!.query("SELECT 1 FROM clone_attempts WHERE preview_id IS NOT NULL")).length === 1,
  );
  return { preview, sent, blocker, fromPreview };
}

async function makePreview(gateway: TestGateway, file = previewRecording()) {
  const response = await previewVoice(gateway, { file: { content: file, filename: "me.wav" } });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.previewVoice;
}

describe("PreviewStore.sweep", () => {
  test("removes expired previews, rows and files, and keeps the others", async ({ gateway }) => {
    const old = await makePreview(gateway);
    const young = await makePreview(gateway);
    await expire(gateway, old.id);
    expect(await gateway.container.previews.sweep()).toBe(1);
    expect(await ids(gateway)).toEqual([young.id]);
    expect(await dirs(gateway)).toEqual([young.id]);
    expect((await fetchAudio(old.audioUrl)).status).toBe(404);
    expect((await fetchAudio(young.audioUrl)).status).toBe(200);
  });

  test("keeps an expired preview while a clone made from it is PENDING, and sends its exact bytes", async ({
    gateway,
    upstream,
  }) => {
    const { preview, sent, blocker, fromPreview } = await previewThenQueuedClone(gateway, upstream);

    await expire(gateway, preview.id);
    expect(await gateway.container.previews.sweep()).toBe(0);
    expect(await ids(gateway)).toEqual([preview.id]);

    expect((await blocker).body.errors).toBeUndefined();
    const cloned = await fromPreview;
    expect(cloned.body.errors).toBeUndefined();
    expect(filesOf(upstream.requests[1]!)).toEqual(sent);

    // Settled: now it goes.
    expect(await gateway.container.previews.sweep()).toBe(1);
    expect(await ids(gateway)).toEqual([]);
    expect(await dirs(gateway)).toEqual([]);
  });

  test("a clone that opened the preview's files still sends them whole if they are deleted under it", async ({
    gateway,
    upstream,
  }) => {
    const { preview, sent, blocker, fromPreview } = await previewThenQueuedClone(gateway, upstream);
    // What an operator's cleanup or another replica's sweep could do.
    await rm(path.join(gateway.container.config.previews.dir, preview.id), { recursive: true, force: true });
    await blocker;
    expect((await fromPreview).body.errors).toBeUndefined();
    expect(filesOf(upstream.requests[1]!)).toEqual(sent);
  });

  test("removes old directories without a row, and leaves young ones alone", async ({ gateway }) => {
    const root = gateway.container.config.previews.dir;
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    const oldOrphan = path.join(root, randomUUID());
    const youngOrphan = path.join(root, randomUUID());
    for (const dir of [oldOrphan, youngOrphan]) {
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "audio.pcm"), Buffer.alloc(10));
    }
    await utimes(oldOrphan, twoHoursAgo, twoHoursAgo);
    const kept = await makePreview(gateway);
    await utimes(path.join(root, kept.id), twoHoursAgo, twoHoursAgo); // old, but it has its row

    await gateway.container.previews.sweep();
    expect(await dirs(gateway)).toEqual([kept.id, path.basename(youngOrphan)].sort());
  });
});
