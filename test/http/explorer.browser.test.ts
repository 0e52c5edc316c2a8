// The explorer in a real browser with the network cut off: headless Debian
// chromium loads /explorer with every request to a host other than loopback
// refused (and recorded), then a person's steps are taken in Altair's own
// UI: a query is written and run, a cloneVoice is run with two files picked
// for its variables, a client key is pasted, a pre-request script runs. The
// answers must show on the page, Faseeh (the fake) must have received exactly
// the bytes picked, and nothing the page did may have tried to leave the
// machine or been refused by its own policy.
import type { Locator, Page } from "playwright-core";
import { filesOf } from "../../dev/fake-faseeh.js";
import { noisyWav } from "../../dev/audio-fixtures.js";
import { issueKey } from "../support/api-keys.js";
import { launchBrowser } from "../support/browser.js";
import { expect, test } from "../support/fixtures.js";
import { CHROMIUM, describeWithTools } from "../support/host-tools.js";
import { digestOf } from "../support/preview.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The one refusal the page's policy makes, and why it is harmless: zod (in
 * Altair's bundle) probes whether it may compile its parsers with
 * `new Function("")` inside a try/catch, and parses without compiling when
 * refused. The page's policy keeps `script-src 'self'`, without 'unsafe-eval'.
 */
const ZOD_EVAL_PROBE = "script-src eval";

/**
 * Opens the explorer in a fresh headless chromium whose every request to a
 * host other than loopback fails as with no network, runs `use`, then checks
 * that the page tried no other host and that its policy refused nothing.
 */
async function inOfflineExplorer(gatewayUrl: string, use: (page: Page) => Promise<void>): Promise<void> {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext();
    const blocked: string[] = [];
    await context.route("**/*", async (route) => {
      const url = new URL(route.request().url());
      if (LOOPBACK.has(url.hostname)) return route.continue();
      blocked.push(url.href);
      return route.abort("internetdisconnected");
    });
    // What the page's Content-Security-Policy refuses never reaches the network, so it is recorded apart.
    await context.addInitScript({
      content: `window.cspViolations = [];
        document.addEventListener("securitypolicyviolation", (event) => {
          window.cspViolations.push(event.effectiveDirective + " " + event.blockedURI);
        });`,
    });
    // The cut is real: a page of another host fails as with no network, and is recorded.
    const probe = await context.newPage();
    await expect(probe.goto("http://faseeh.example/")).rejects.toThrow(/ERR_INTERNET_DISCONNECTED/);
    await probe.close();
    expect(blocked.splice(0)).toEqual(["http://faseeh.example/"]);

    const page = await context.newPage();

    await openExplorer(page, gatewayUrl);
    await use(page);

    expect(blocked).toEqual([]);
    const violations = await page.evaluate<string[]>("window.cspViolations");
    expect(violations.filter((violation) => violation !== ZOD_EVAL_PROBE)).toEqual([]);
  } finally {
    await browser.close();
  }
}

const MODELS = "{ models { items { modelId name } } }";

const CLONE_VOICE = `mutation CloneFromExplorer($input: CloneVoiceInput!) {
  cloneVoice(input: $input) { replayed voice { name voiceId } }
}`;

const cloneVariables = {
  input: {
    voiceFile: null,
    referenceAudioFile: null,
    text: "مرحبا بكم",
    stability: 0.5,
    name: "Explorer Layla",
    model: "faseeh-v1",
  },
};

// A browser, Altair's 6 MB of scripts and a few round trips each: room for a busy CI machine.
const BROWSER_TIME = { timeout: 90_000 };

describeWithTools("the explorer, offline", [CHROMIUM], () => {
  test("runs a query, then a cloneVoice with two files picked for its variables", BROWSER_TIME, async ({ gateway, upstream }) => {
    const voiceFile = noisyWav(48 * 1024, 21);
    const referenceAudioFile = noisyWav(96 * 1024, 22);
    await inOfflineExplorer(gateway.url, async (page) => {
      await run(page, { query: MODELS });
      await expect.poll(() => resultText(page)).toContain('"faseeh-v1"');

      await run(page, {
        query: CLONE_VOICE,
        variables: cloneVariables,
        files: {
          "input.voiceFile": { name: "preview.wav", mimeType: "audio/wav", buffer: voiceFile },
          "input.referenceAudioFile": { name: "original.wav", mimeType: "audio/wav", buffer: referenceAudioFile },
        },
      });
      await expect.poll(() => resultText(page)).toContain('"Explorer Layla"');
      expect(await resultText(page)).toContain('"replayed": false');
    });
    // A multipart request, so Altair sent Apollo-Require-Preflight (without it the gateway reads no file).
    expect(upstream.requests).toHaveLength(1);
    expect(filesOf(upstream.requests[0]!)).toEqual({
      voice_file: digestOf(voiceFile),
      reference_audio_file: digestOf(referenceAudioFile),
    });
  });

  test("sends the client key pasted into its Auth tab", BROWSER_TIME, async ({ gateway }) => {
    const { key } = await issueKey(gateway, "explorer-reader", "read");
    await inOfflineExplorer(gateway.url, async (page) => {
      await run(page, { query: MODELS });
      await expect.poll(() => resultText(page)).toContain('"UNAUTHENTICATED"');

      await run(page, { query: MODELS, authorization: key });
      await expect.poll(() => resultText(page)).toContain('"faseeh-v1"');
    });
  });

  test("runs a pre-request script in Altair's script frame", BROWSER_TIME, async ({ gateway }) => {
    await inOfflineExplorer(gateway.url, async (page) => {
      await page.getByRole("tab", { name: "Pre-request" }).click();
      await page.getByText("Enable pre-request script").click();
      await replaceEditorText(page.locator("app-pre-request-editor .cm-content"), 'altair.log("computed " + 6 * 7);');
      await page.getByRole("tab", { name: "Query" }).click();

      await run(page, { query: MODELS });
      await expect.poll(() => resultText(page)).toContain('"faseeh-v1"');
      await page.getByRole("tab", { name: "Logs" }).click();
      await expect.poll(() => page.locator("app-query-result").innerText()).toContain('"computed 42"');
    });
  });
});

interface PickedFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

interface Run {
  query: string;
  variables?: Record<string, unknown>;
  /** Files by the variable path they fill, e.g. "input.voiceFile". */
  files?: Record<string, PickedFile>;
  /** A client key, pasted into the Auth tab. */
  authorization?: string;
}

async function openExplorer(page: Page, gatewayUrl: string): Promise<void> {
  // A step that cannot happen fails with what it waited for, well within the test's time.
  page.setDefaultTimeout(20_000);
  await page.goto(`${gatewayUrl}/explorer`);
  await page.locator(".query-editor__input .cm-content").waitFor();
}

async function run(page: Page, { query, variables, files, authorization }: Run): Promise<void> {
  await replaceEditorText(page.locator(".query-editor__input .cm-content"), query);
  if (variables) {
    await openVariables(page);
    await replaceEditorText(page.locator("app-variables-editor .cm-content"), JSON.stringify(variables, null, 2));
  }
  for (const [path, file] of Object.entries(files ?? {})) await pickFile(page, path, file);
  if (authorization !== undefined) await pasteBearerToken(page, authorization);
  await page.getByRole("button", { name: "Send Request" }).click();
}

/** Selects everything in a CodeMirror editor and types `text` over it, as a paste would. */
async function replaceEditorText(editor: Locator, text: string): Promise<void> {
  await editor.click();
  await editor.press("ControlOrMeta+A");
  await editor.press("Delete");
  await editor.page().keyboard.insertText(text);
}

async function openVariables(page: Page): Promise<void> {
  if (await page.locator("app-variables-editor").isVisible()) return;
  await page.locator('[track-id="toggle_variables"]').click();
  await page.locator("app-variables-editor .cm-content").waitFor();
}

/** "Add files", the variable path in its name field, the file through its file input. */
async function pickFile(page: Page, path: string, file: PickedFile): Promise<void> {
  await openVariables(page);
  const before = await page.locator(".variables-file-item").count();
  await page.locator('[track-id="add_file_variable"]').click();
  const item = page.locator(".variables-file-item").nth(before);
  await item.locator('[data-tid="file_name"]').fill(path);
  await item.locator('input[type="file"]').setInputFiles(file);
  await expect.poll(() => item.locator(".variables-file-item-selected-total").innerText()).toContain("1 file(s)");
}

/** The Auth tab, where Bearer Token is already chosen: the key goes in its one field. */
async function pasteBearerToken(page: Page, token: string): Promise<void> {
  await page.getByRole("tab", { name: "Auth" }).click();
  await replaceEditorText(page.locator("app-authorization-bearer .cm-content"), token);
  await page.getByRole("tab", { name: "Query" }).click();
}

async function resultText(page: Page): Promise<string> {
  return (await page.locator("app-query-result .cm-content").allInnerTexts()).join("\n");
}
