// A preview Faseeh made (and billed) is never lost to a storage failure: when
// its row cannot be stored, the client is told PREVIEW_NOT_YET_STORED with the
// preview's id, its audio and recording stay on disk with their record, and
// the gateway stores the row once the database takes it: then the preview
// plays and clones, byte for byte what Faseeh sent.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { CloneVoiceDocument, VoicePreviewDocument } from "../generated/operations.js";
import { sha256 } from "../../dev/audio-fixtures.js";
import { filesOf } from "../../dev/fake-faseeh.js";
import { expect, test } from "../support/fixtures.js";
import { digestOf, fetchAudio, previewRecording, previewVoice } from "../support/preview.js";
import { waitFor } from "../support/wait.js";

const REFUSE_PREVIEWS = `
  CREATE FUNCTION refuse_previews() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'the disk is full'; END $$;
  CREATE TRIGGER refuse_previews BEFORE INSERT ON voice_previews FOR EACH ROW EXECUTE FUNCTION refuse_previews();`;
const ACCEPT_PREVIEWS = "DROP TRIGGER refuse_previews ON voice_previews; DROP FUNCTION refuse_previews();";

test("a preview whose row cannot be stored is kept, then stored, played and cloned", async ({ gateway, upstream }) => {
  const recording = previewRecording(); // 3 MiB: many stream chunks
  await gateway.database!.query(REFUSE_PREVIEWS);
  let accepting = false;
  try {
    const response = await previewVoice(gateway, { file: { content: recording, filename: "voice.wav" } });
    const error = response.body.errors?.[0];
    expect(error?.extensions?.code).toBe("PREVIEW_NOT_YET_STORED");
    expect(error?.message).toContain("It is kept, not lost");
    const id = String(error?.extensions?.id);

    // Faseeh got the recording whole, once; what it produced is on disk with its record.
    expect(upstream.previewRequests.map(filesOf)).toEqual([{ file: digestOf(recording) }]);
    const dir = path.join(gateway.container.config.previews.dir, id);
    expect((await readdir(dir)).sort()).toEqual(["audio.pcm", "preview.json", "recording"]);
    expect(sha256(await readFile(path.join(dir, "audio.pcm")))).toBe(upstream.previews[0]!.sha256);
    expect(sha256(await readFile(path.join(dir, "recording")))).toBe(sha256(recording));
    expect((await gateway.graphql(VoicePreviewDocument, { id })).body.data?.voicePreview).toBeNull();
    // A sweep while the database still refuses keeps it.
    await gateway.container.previews.sweep().catch(() => undefined);
    expect((await readdir(dir)).sort()).toEqual(["audio.pcm", "preview.json", "recording"]);

    await gateway.database!.query(ACCEPT_PREVIEWS);
    accepting = true;
    // Stored by the gateway's own retry, without another request.
    await waitFor(
      async () => (await gateway.graphql(VoicePreviewDocument, { id })).body.data?.voicePreview != null,
      20_000,
      "the kept preview being stored",
    );
    const preview = (await gateway.graphql(VoicePreviewDocument, { id })).body.data!.voicePreview!;
    const audio = await fetchAudio(preview.audioUrl);
    expect(audio.status).toBe(200);
    expect(sha256(audio.body.subarray(44))).toBe(upstream.previews[0]!.sha256);

    const clone = await gateway.multipart(CloneVoiceDocument, { input: { previewId: id, name: "Layla", stability: 0.5 } }, {});
    expect(clone.body.errors).toBeUndefined();
    expect(filesOf(upstream.requests[0]!)).toEqual({
      voice_file: { size: upstream.previews[0]!.size, sha256: upstream.previews[0]!.sha256 },
      reference_audio_file: digestOf(recording),
    });
    expect(upstream.previewRequests).toHaveLength(1); // never previewed again
  } finally {
    if (!accepting) await gateway.database!.query(ACCEPT_PREVIEWS);
  }
}, 60_000);
