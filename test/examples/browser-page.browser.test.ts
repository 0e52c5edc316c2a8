// The browser example (examples/browser/index.html, fetch and FormData, no
// build step) in headless Chromium, served from an origin of its own as a user
// serves it, against a real gateway in front of the fake Faseeh: the page
// previews, plays, clones and lists when the gateway's CORS_ORIGINS names its
// origin, and says what to set when it does not.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { PROJECT_ROOT } from "../../dev/spawn-ts.js";
import { filesOf } from "../../dev/fake-faseeh.js";
import { issueKey } from "../support/api-keys.js";
import { launchBrowser, servePage, type ServedPage } from "../support/browser.js";
import { expect, testWithoutGateway as test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";
import { exampleRecording } from "./examples.scenarios.js";
import { CHROMIUM, describeWithTools } from "../support/host-tools.js";

const PAGE = readFileSync(path.join(PROJECT_ROOT, "examples", "browser", "index.html"), "utf8");

/** Clicks a button, waits for the page to finish what it started, and returns the status it shows. */
async function click(tab: Page, button: string): Promise<{ text: string; isError: boolean }> {
  await tab.click(button);
  await tab.waitForFunction('document.getElementById("status").textContent !== "Working…"');
  const text = (await tab.textContent("#status")) ?? "";
  const isError = (await tab.getAttribute("#status", "class")) === "error";
  return { text, isError };
}

/** The example page in a fresh Chromium, pointed at `gateway`; closed after `use`. */
async function withPage(served: ServedPage, gateway: TestGateway, use: (tab: Page) => Promise<void>): Promise<void> {
  const browser = await launchBrowser();
  try {
    const tab = await browser.newPage();
    await tab.goto(served.url);
    await tab.fill("#gateway-url", `${gateway.url}/graphql`);
    await use(tab);
  } finally {
    await browser.close();
  }
}

describeWithTools("examples/browser/index.html", [CHROMIUM], () => {
  test("with its origin in CORS_ORIGINS: previews a recording and plays it, clones, lists", async ({
    upstream,
    startGateway,
  }) => {
    const served = await servePage(PAGE);
    try {
      const gateway = await startGateway({ upstream, env: { CORS_ORIGINS: new URL(served.url).origin } });
      const { key } = await issueKey(gateway, "browser-example", "write");
      await withPage(served, gateway, async (tab) => {
        // Without the key, the gateway's refusal reaches the page (its CORS headers are on errors too).
        const refused = await click(tab, "#list");
        expect(refused.isError).toBe(true);
        expect(refused.text).toMatch(/^UNAUTHENTICATED: /);
        await tab.fill("#gateway-key", key);

        await tab.setInputFiles("#recording", exampleRecording("original.wav").path);
        expect(await click(tab, "#preview")).toEqual({ text: "Preview ready: press play.", isError: false });
        expect(filesOf(upstream.previewRequests[0]!)).toEqual({ file: exampleRecording("original.wav").digest });
        const shown = /^Preview \S+: (\d+\.\d\d) s/.exec((await tab.textContent("#preview-result")) ?? "")?.[1];
        expect(shown).toBeDefined();

        // The signed audio URL plays in the <audio> element, no key needed.
        await tab.evaluate('document.getElementById("preview-audio").play()');
        await tab.waitForFunction('document.getElementById("preview-audio").currentTime > 0.1');
        const duration = await tab.evaluate<number>('document.getElementById("preview-audio").duration');
        expect(duration).toBeCloseTo(Number(shown), 1);

        expect(await click(tab, "#clone-preview")).toEqual({ text: "Cloned Layla.", isError: false });
        const pcm = upstream.previews[0]!;
        expect(filesOf(upstream.requests[0]!)).toEqual({
          voice_file: { size: pcm.size, sha256: pcm.sha256 },
          reference_audio_file: exampleRecording("original.wav").digest,
        });

        await tab.setInputFiles("#voice-file", exampleRecording("preview.wav").path);
        await tab.setInputFiles("#reference-file", exampleRecording("original.wav").path);
        expect(await click(tab, "#clone-files")).toEqual({ text: "Cloned Omar.", isError: false });
        expect(await tab.textContent("#cloned")).toBe(`Cloned Omar: voiceId ${upstream.createdVoices[1]!.voice_id}`);
        expect(filesOf(upstream.requests[1]!)).toEqual({
          voice_file: exampleRecording("preview.wav").digest,
          reference_audio_file: exampleRecording("original.wav").digest,
        });

        expect(await click(tab, "#list")).toEqual({ text: "2 voices match; showing 2.", isError: false });
        const listed = await tab.locator("#voices li").allTextContents();
        expect(listed.map((item) => item.split(" ")[0])).toEqual(["Omar", "Layla"]);
        await tab.fill("#filter-search", "layla");
        expect(await click(tab, "#list")).toEqual({ text: "1 voice matches; showing 1.", isError: false });
      });
    } finally {
      await served.close();
    }
  });

  test("without CORS_ORIGINS: the browser sends nothing, and the page says which setting to add", async ({
    upstream,
    startGateway,
  }) => {
    const served = await servePage(PAGE);
    try {
      const gateway = await startGateway({ upstream });
      const origin = new URL(served.url).origin;
      await withPage(served, gateway, async (tab) => {
        await tab.setInputFiles("#recording", exampleRecording("original.wav").path);
        const status = await click(tab, "#preview");
        expect(status.isError).toBe(true);
        expect(status.text).toContain(`is this page's origin in its CORS_ORIGINS (e.g. CORS_ORIGINS=${origin} npm start)?`);
      });
      // Only the preflight reached the gateway, and nothing reached Faseeh.
      expect(gateway.logs.filter((line) => line.msg === "request" && line.method === "POST")).toEqual([]);
      expect(upstream.previewRequests).toHaveLength(0);
    } finally {
      await served.close();
    }
  });
});
