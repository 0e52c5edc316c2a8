// The preview's audio URL in a real browser: headless Debian chromium loads a
// page (served by the test, on another origin than the gateway) whose
// <audio> element plays `audioUrl`, as an internal tool's page would. Its
// duration must match what the gateway said, and seeking near the end (a
// Range request) must play through to the end.
import { expect, test } from "../support/fixtures.js";
import { playInBrowser } from "../support/browser.js";
import { CHROMIUM, describeWithTools } from "../support/host-tools.js";
import { previewVoice } from "../support/preview.js";

describeWithTools("a preview in the browser", [CHROMIUM], () => {
  test("plays in an <audio> element, as long as durationSeconds says", async ({ gateway }) => {
    const made = await previewVoice(gateway);
    expect(made.body.errors).toBeUndefined();
    const preview = made.body.data!.previewVoice;
    const check = await playInBrowser(preview.audioUrl);
    expect(check.duration).toBeCloseTo(preview.durationSeconds, 2);
    expect(check.endedAt).toBeCloseTo(preview.durationSeconds, 1);
    // The browser fetched the audio without an Authorization header, and seeked with a Range request.
    const fetched = gateway.logs.filter((line) => line.path === `/previews/${preview.id}.wav`).map((line) => line.status);
    expect(fetched).toContain(206);
    expect(fetched.every((status) => status === 200 || status === 206)).toBe(true);
  });
});
