// A speech's audio URL in a real browser, as preview-audio.browser.test.ts
// plays a preview's: headless Debian chromium loads a page (served by the
// test, on another origin than the gateway) whose <audio> element plays
// `audioUrl`, as an internal tool's page would. Its duration must match what
// the gateway said, and seeking near the end (a Range request) must play
// through to the end.
import { SpeakDocument } from "../generated/operations.js";
import { expect, test } from "../support/fixtures.js";
import { launchBrowser, servePage } from "../support/browser.js";
import { CHROMIUM, describeWithTools } from "../support/host-tools.js";
import { voiceData } from "../support/voice-data.js";

interface AudioCheck {
  duration: number;
  endedAt: number;
}

const page = (audioUrl: string) => `<!doctype html>
<html><body>
<audio id="speech" preload="auto" src="${audioUrl.replace(/&/g, "&amp;")}"></audio>
<script>
  window.audioCheck = new Promise((resolve, reject) => {
    const audio = document.getElementById("speech");
    audio.addEventListener("error", () => reject(new Error("audio error " + (audio.error && audio.error.code))));
    audio.addEventListener("loadedmetadata", () => {
      const duration = audio.duration;
      audio.addEventListener("ended", () => resolve({ duration, endedAt: audio.currentTime }), { once: true });
      audio.currentTime = Math.max(0, duration - 0.4);
      audio.play().catch(reject);
    }, { once: true });
  });
</script>
</body></html>`;

describeWithTools("a speech in the browser", [CHROMIUM], () => {
  test("plays in an <audio> element, as long as durationSeconds says", async ({ gateway, upstream }) => {
    const voice = await gateway.container.db.prisma.voice.create({ data: voiceData() });
    upstream.addVoices(voice.voiceId);
    const made = await gateway.graphql(SpeakDocument, { input: { voiceId: voice.voiceId, text: "مرحبا بكم في فصيح" } });
    expect(made.body.errors).toBeUndefined();
    const speech = made.body.data!.speak;
    expect(speech.durationSeconds).toBeGreaterThan(1); // 17 characters of the fake's 0.08 s each
    const served = await servePage(page(speech.audioUrl));
    const browser = await launchBrowser();
    try {
      const tab = await browser.newPage();
      await tab.goto(served.url);
      const check = await tab.evaluate<AudioCheck>("window.audioCheck");
      expect(check.duration).toBeCloseTo(speech.durationSeconds, 2);
      expect(check.endedAt).toBeCloseTo(speech.durationSeconds, 1);
    } finally {
      await browser.close();
      await served.close();
    }
    // The browser fetched the audio without an Authorization header, and seeked with a Range request.
    const audioPath = new URL(speech.audioUrl).pathname;
    expect(audioPath).toMatch(/^\/speech\/[0-9a-f-]{36}\.wav$/);
    const fetched = gateway.logs.filter((line) => line.path === audioPath).map((line) => line.status);
    expect(fetched).toContain(206);
    expect(fetched.every((status) => status === 200 || status === 206)).toBe(true);
  });
});
