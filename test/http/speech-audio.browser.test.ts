// A speech's audio URL in a real browser, as preview-audio.browser.test.ts
// plays a preview's: headless Debian chromium loads a page (served by the
// test, on another origin than the gateway) whose <audio> element plays
// `audioUrl`, as an internal tool's page would. Its duration must match what
// the gateway said, and seeking near the end (a Range request) must play
// through to the end.
import { SpeakDocument } from "../generated/operations.js";
import { expect, test } from "../support/fixtures.js";
import { playInBrowser } from "../support/browser.js";
import { CHROMIUM, describeWithTools } from "../support/host-tools.js";
import { voiceData } from "../support/voice-data.js";

describeWithTools("a speech in the browser", [CHROMIUM], () => {
  test("plays in an <audio> element, as long as durationSeconds says", async ({ gateway, upstream }) => {
    const voice = await gateway.container.db.prisma.voice.create({ data: voiceData() });
    upstream.addVoices(voice.voiceId);
    const made = await gateway.graphql(SpeakDocument, { input: { voiceId: voice.voiceId, text: "مرحبا بكم في فصيح" } });
    expect(made.body.errors).toBeUndefined();
    const speech = made.body.data!.speak;
    expect(speech.durationSeconds).toBeGreaterThan(1); // 17 characters of the fake's 0.08 s each
    const check = await playInBrowser(speech.audioUrl);
    expect(check.duration).toBeCloseTo(speech.durationSeconds, 2);
    expect(check.endedAt).toBeCloseTo(speech.durationSeconds, 1);
    // The browser fetched the audio without an Authorization header, and seeked with a Range request.
    const audioPath = new URL(speech.audioUrl).pathname;
    expect(audioPath).toMatch(/^\/speech\/[0-9a-f-]{36}\.wav$/);
    const fetched = gateway.logs.filter((line) => line.path === audioPath).map((line) => line.status);
    expect(fetched).toContain(206);
    expect(fetched.every((status) => status === 200 || status === 206)).toBe(true);
  });
});
