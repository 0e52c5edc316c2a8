// GET /previews/<id>.wav over real HTTP, as an <audio> element asks for it:
// the signed URL (good, expired, tampered, for another preview), the WAV
// made of Faseeh's PCM behind a 44-byte header, and Range requests.
import { createHmac, randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { VoicePreviewDocument } from "../generated/operations.js";
import { bearer, createKey } from "../support/api-keys.js";
import { sha256 } from "../../dev/audio-fixtures.js";
import { ManualClock } from "../support/clock.js";
import { describe, expect, test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";
import { recordSecret } from "../support/suite-record.js";
import { fetchAudio, previewVoice } from "../support/preview.js";
import { waitFor } from "../support/wait.js";

const SECRET = "preview-url-secret-for-tests-0123456789";
// The suite's secret scan then checks that it appears in no log line or response.
recordSecret(SECRET);
// URLs are signed and checked on a clock the tests move: no test waits for one to expire.
const clock = new ManualClock();
test.override("gatewayOptions", { clock, env: { PREVIEW_URL_SECRET: SECRET, PREVIEW_RATE_LIMIT_PER_MINUTE: "100000" } });

/** A URL signed the way the gateway signs them, for any id and expiry. */
function signedUrl(gateway: TestGateway, id: string, expires: number, secret = SECRET): string {
  const token = createHmac("sha256", secret).update(`preview-audio\n${id}\n${expires}`).digest("base64url");
  return `${gateway.url}/previews/${id}.wav?expires=${expires}&token=${token}`;
}

async function makePreview(gateway: TestGateway) {
  const response = await previewVoice(gateway);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.previewVoice;
}

describe("GET /previews/<id>.wav", () => {
  test("serves Faseeh's PCM, unchanged, behind a WAV header that describes it", async ({ gateway, upstream }) => {
    const preview = await makePreview(gateway);
    expect(preview.audioUrl.startsWith(`${gateway.url}/previews/${preview.id}.wav?`)).toBe(true);
    const { status, headers, body } = await fetchAudio(preview.audioUrl);
    expect(status).toBe(200);
    expect(headers["content-type"]).toBe("audio/wav");
    expect(headers["accept-ranges"]).toBe("bytes");
    const pcm = upstream.previews[0]!;
    expect(Number(headers["content-length"])).toBe(44 + pcm.size);
    expect(body.length).toBe(44 + pcm.size);
    expect(sha256(body.subarray(44))).toBe(pcm.sha256);
    // RIFF/WAVE, PCM, mono, 24 kHz, 16-bit, and the data chunk's size.
    expect(body.toString("ascii", 0, 4)).toBe("RIFF");
    expect(body.readUInt32LE(4)).toBe(36 + pcm.size);
    expect(body.toString("ascii", 8, 16)).toBe("WAVEfmt ");
    expect([body.readUInt16LE(20), body.readUInt16LE(22), body.readUInt32LE(24), body.readUInt16LE(34)]).toEqual([
      1, 1, 24_000, 16,
    ]);
    expect(body.toString("ascii", 36, 40)).toBe("data");
    expect(body.readUInt32LE(40)).toBe(pcm.size);
    expect(pcm.size / 48_000).toBeCloseTo(preview.durationSeconds, 6);
  });

  test("serves a preview a client key made to a request without any key: the URL is the permission", async ({ gateway }) => {
    const writer = await createKey(gateway.database!, "studio", "write");
    const response = await previewVoice(gateway, { headers: bearer(writer.key) });
    expect(response.body.errors).toBeUndefined();
    const audio = await fetchAudio(response.body.data!.previewVoice.audioUrl);
    expect(audio.status).toBe(200);
    expect(audio.body.toString("ascii", 0, 4)).toBe("RIFF");
  });

  test("serves byte ranges across the header and the data", async ({ gateway }) => {
    const preview = await makePreview(gateway);
    const whole = (await fetchAudio(preview.audioUrl)).body;
    const total = whole.length;
    for (const [range, start, end] of [
      ["bytes=0-99", 0, 99],
      ["bytes=40-50", 40, 50],
      ["bytes=44-", 44, total - 1],
      ["bytes=1000-1999", 1000, 1999],
      ["bytes=-500", total - 500, total - 1],
      [`bytes=${total - 10}-${total + 100}`, total - 10, total - 1],
    ] as const) {
      const part = await fetchAudio(preview.audioUrl, { range });
      expect(part.status, range).toBe(206);
      expect(part.headers["content-range"], range).toBe(`bytes ${start}-${end}/${total}`);
      expect(Number(part.headers["content-length"]), range).toBe(end - start + 1);
      expect(part.body.equals(whole.subarray(start, end + 1)), range).toBe(true);
    }
  });

  test("answers 416 to a range past the end, and the whole file to a malformed one", async ({ gateway }) => {
    const preview = await makePreview(gateway);
    const whole = (await fetchAudio(preview.audioUrl)).body;
    const past = await fetchAudio(preview.audioUrl, { range: `bytes=${whole.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers["content-range"]).toBe(`bytes */${whole.length}`);
    const malformed = await fetchAudio(preview.audioUrl, { range: "pages=1-2" });
    expect(malformed.status).toBe(200);
    expect(malformed.body.equals(whole)).toBe(true);
  });

  test("answers HEAD with the headers only", async ({ gateway, upstream }) => {
    const preview = await makePreview(gateway);
    const head = await fetchAudio(preview.audioUrl, {}, "HEAD");
    expect(head.status).toBe(200);
    expect(Number(head.headers["content-length"])).toBe(44 + upstream.previews[0]!.size);
    expect(head.body.length).toBe(0);
  });

  test("refuses a tampered, expired, unsigned or borrowed URL with 403, before looking anything up", async ({ gateway }) => {
    const preview = await makePreview(gateway);
    const url = new URL(preview.audioUrl);
    const expires = Number(url.searchParams.get("expires"));
    const token = url.searchParams.get("token")!;
    const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    const refused = {
      "a changed token": `${gateway.url}/previews/${preview.id}.wav?expires=${expires}&token=${flipped}`,
      "a later expiry with the old token": `${gateway.url}/previews/${preview.id}.wav?expires=${expires + 3600}&token=${token}`,
      "another preview's id with this token": `${gateway.url}/previews/${randomUUID()}.wav?expires=${expires}&token=${token}`,
      "no token": `${gateway.url}/previews/${preview.id}.wav`,
      "an expired, correctly signed URL": signedUrl(gateway, preview.id, Math.floor(clock.now() / 1000) - 5),
      "a URL signed with another secret": signedUrl(gateway, preview.id, expires, "another-secret-another-secret-0000"),
    };
    for (const [what, target] of Object.entries(refused)) {
      const response = await fetchAudio(target);
      expect(response.status, what).toBe(403);
      expect(response.headers["content-type"], what).toContain("application/json");
      expect(response.body.toString(), what).not.toContain("RIFF");
    }
    // A well-signed URL for an id that does not exist is 404: the signature is what is checked first.
    expect((await fetchAudio(signedUrl(gateway, randomUUID(), expires))).status).toBe(404);
  });

  test("a URL lives PREVIEW_URL_TTL_SECONDS, then voicePreview hands out a fresh one", async ({ gateway, upstream }) => {
    const preview = await makePreview(gateway);
    const expires = Number(new URL(preview.audioUrl).searchParams.get("expires"));
    expect(expires * 1000).toBe(new Date(preview.audioUrlExpiresAt).getTime());
    clock.set(expires * 1000 - 1);
    expect((await fetchAudio(preview.audioUrl)).status).toBe(200);
    clock.set(expires * 1000);
    expect((await fetchAudio(preview.audioUrl)).status).toBe(403);
    const fresh = await gateway.graphql(VoicePreviewDocument, { id: preview.id });
    const again = await fetchAudio(fresh.body.data!.voicePreview!.audioUrl);
    expect(again.status).toBe(200);
    expect(sha256(again.body.subarray(44))).toBe(upstream.previews.at(-1)!.sha256);
  });

  test("by default a URL lives an hour", async ({ gateway }) => {
    const preview = await makePreview(gateway);
    const lifetime = new Date(preview.audioUrlExpiresAt).getTime() - clock.now();
    expect(lifetime).toBeGreaterThan(3_590_000);
    expect(lifetime).toBeLessThanOrEqual(3_600_000);
  });

  test("answers 404 once the preview has expired or its audio is gone", async ({ gateway }) => {
    const preview = await makePreview(gateway);
    await rm(path.join(gateway.container.config.previews.dir, preview.id, "audio.pcm"));
    expect((await fetchAudio(preview.audioUrl)).status).toBe(404);

    const expired = await makePreview(gateway);
    await gateway.database!.query("UPDATE voice_previews SET expires_at = now() - interval '1 second' WHERE id = $1", [
      expired.id,
    ]);
    expect((await fetchAudio(expired.audioUrl)).status).toBe(404);
  });

  test("keeps the token out of the access log", async ({ gateway }) => {
    const preview = await makePreview(gateway);
    await fetchAudio(preview.audioUrl);
    const token = new URL(preview.audioUrl).searchParams.get("token")!;
    const served = () => gateway.logs.find((entry) => entry.path === `/previews/${preview.id}.wav`);
    await waitFor(() => served() !== undefined, 5_000, "the access log line");
    expect(served()).toMatchObject({ status: 200 });
    expect(JSON.stringify(gateway.logs)).not.toContain(token);
  });
});
