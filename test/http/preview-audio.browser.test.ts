// The preview's audio URL in a real browser: headless Debian chromium loads a
// page (served by the test, on another origin than the gateway) whose
// <audio> element plays `audioUrl`, as an internal tool's page would. Its
// duration must match what the gateway said, and seeking near the end (a
// Range request) must play through to the end.
import { expect, test } from "../support/fixtures.js";
import { launchBrowser, servePage } from "../support/browser.js";
import { CHROMIUM, describeWithTools } from "../support/host-tools.js";
import { previewVoice } from "../support/preview.js";

interface AudioCheck {
  duration: number;
  endedAt: number;
}

const page = (audioUrl: string) => `<!doctype html>
<html><body>
<audio id="preview" preload="auto" src="${audioUrl.replace(/&/g, "&amp;")}"></audio>
<script>
  window.audioCheck = new Promise((resolve, reject) => {
    const audio = document.getElementById("preview");
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

describeWithTools("a preview in the browser", [CHROMIUM], () => {
  test("plays in an <audio> element, as long as durationSeconds says", async ({ gateway }) => {
    const made = await previewVoice(gateway);
    expect(made.body.errors).toBeUndefined();
    const preview = made.body.data!.previewVoice;
    const served = await servePage(page(preview.audioUrl));
    const browser = await launchBrowser();
    try {
      const tab = await browser.newPage();
      await tab.goto(served.url);
      const check = await tab.evaluate<AudioCheck>("window.audioCheck");
      expect(check.duration).toBeCloseTo(preview.durationSeconds, 2);
      expect(check.endedAt).toBeCloseTo(preview.durationSeconds, 1);
    } finally {
      await browser.close();
      await served.close();
    }
    // The browser fetched the audio without an Authorization header, and seeked with a Range request.
    const fetched = gateway.logs.filter((line) => line.path === `/previews/${preview.id}.wav`).map((line) => line.status);
    expect(fetched).toContain(206);
    expect(fetched.every((status) => status === 200 || status === 206)).toBe(true);
  });
});
