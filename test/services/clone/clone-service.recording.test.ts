// A clone whose attempt cannot be recorded (the record runs beside the
// upload, and Faseeh gets the request's end only once it is written): the
// failure is the gateway's, so the upstream request is aborted once, never
// resent, and Faseeh never has a complete request, while a clone that is
// recorded sends both MiB files whole, byte for byte.
import { MiB, noisyWav, sha256 } from "../../../dev/audio-fixtures.js";
import { cloneVoice } from "../../support/clone.js";
import { filesOf } from "../../../dev/fake-faseeh.js";
import { expect, test } from "../../support/fixtures.js";
import { waitFor } from "../../support/wait.js";

const REFUSE_ATTEMPTS = `
  CREATE FUNCTION refuse_attempts() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'the disk is full'; END $$;
  CREATE TRIGGER refuse_attempts BEFORE INSERT ON clone_attempts FOR EACH ROW EXECUTE FUNCTION refuse_attempts();`;
const ACCEPT_ATTEMPTS = "DROP TRIGGER refuse_attempts ON clone_attempts; DROP FUNCTION refuse_attempts();";

test("an attempt that cannot be recorded aborts the one upstream request, and is not Faseeh's failure", async ({
  gateway,
  upstream,
}) => {
  const voiceFile = { content: noisyWav(2 * MiB, 21), filename: "preview.wav" };
  const referenceAudioFile = { content: noisyWav(MiB + 333, 22), filename: "original.wav" };
  await gateway.database!.query(REFUSE_ATTEMPTS);
  try {
    const refused = await cloneVoice(gateway, { voiceFile, referenceAudioFile });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(JSON.stringify(refused.body)).not.toMatch(/disk is full|prisma/i);
    await waitFor(() => upstream.inFlight === 0, 10_000, "the aborted upstream request to end");
    // Sent once and cut before its end: not resent as if Faseeh had failed.
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.aborted).toBe(true);
    expect(upstream.createdVoices).toEqual([]);
    expect(gateway.logs.some((line) => line.msg === "could not record a clone attempt; the upstream request was aborted")).toBe(
      true,
    );
  } finally {
    await gateway.database!.query(ACCEPT_ATTEMPTS);
  }

  upstream.reset();
  const cloned = await cloneVoice(gateway, { voiceFile, referenceAudioFile });
  expect(cloned.body.errors).toBeUndefined();
  expect(upstream.requests.map(filesOf)).toEqual([
    {
      voice_file: { size: voiceFile.content.length, sha256: sha256(voiceFile.content) },
      reference_audio_file: { size: referenceAudioFile.content.length, sha256: sha256(referenceAudioFile.content) },
    },
  ]);
});
