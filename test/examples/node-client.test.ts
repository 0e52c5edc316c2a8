// The Node example (examples/node: Apollo Client 4, apollo-upload-client, the
// client preset's typed documents) run as a user runs it, as a child process
// (`node --import tsx examples/node/<script>.ts`), against the real gateway in
// front of the fake Faseeh: what it prints, and what Faseeh received.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sha256 } from "../../dev/audio-fixtures.js";
import { filesOf } from "../../dev/fake-faseeh.js";
import { issueKey } from "../support/api-keys.js";
import { describe, expect, test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";
import { spawnTs } from "../support/process.js";
import { ARABIC_VOICES, ENGLISH_VOICES, exampleRecording, seedCatalog } from "./examples.scenarios.js";

const PREVIEW_TEXT = "مرحبا بكم في فصيح اليوم";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs examples/node/<script>.ts against the gateway, with GATEWAY_KEY when given, to its exit. */
async function runExample(gateway: TestGateway, script: string, args: string[], key?: string): Promise<Run> {
  const env = { GATEWAY_URL: `${gateway.url}/graphql`, ...(key && { GATEWAY_KEY: key }) };
  const child = spawnTs(`examples/node/${script}`, env, args);
  const exit = await child.waitForExit(60_000);
  return { code: exit.code, stdout: child.stdout(), stderr: child.stderr() };
}

describe("examples/node", () => {
  test("clone.ts clones from the example recordings, which reach Faseeh byte for byte", async ({ gateway, upstream }) => {
    const { key } = await issueKey(gateway, "node-example", "write");
    const run = await runExample(
      gateway,
      "clone.ts",
      ["--name", "Layla", "--language", "ar", "--dialect", "najdi", "--gender", "female", "--tag", "Demo"],
      key,
    );

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const voiceId = /^Cloned "Layla": voiceId (\S+) /m.exec(run.stdout)?.[1];
    expect(voiceId, run.stdout).toBe(upstream.createdVoices[0]?.voice_id);
    expect(run.stdout).toContain("languages ar, dialects najdi");
    expect(run.stdout).toContain("tags demo,");

    expect(upstream.requests).toHaveLength(1);
    const received = upstream.requests[0]!;
    expect(filesOf(received)).toEqual({
      voice_file: exampleRecording("preview.wav").digest,
      reference_audio_file: exampleRecording("original.wav").digest,
    });
    expect(received.fields).toMatchObject({ name: "Layla", text: PREVIEW_TEXT, model: "faseeh-v1", languages: "ar" });
  });

  test("preview.ts previews the example recording and saves its audio; clone.ts --preview clones that preview", async ({
    gateway,
    upstream,
  }) => {
    const { key } = await issueKey(gateway, "node-example", "write");
    const dir = await mkdtemp(path.join(os.tmpdir(), "node-example-"));
    try {
      const saved = path.join(dir, "preview.wav");
      const previewed = await runExample(gateway, "preview.ts", ["--save", saved], key);
      expect(previewed.stderr).toBe("");
      expect(previewed.code).toBe(0);
      const previewId = /^Preview (\S+): \d+\.\d\d s saying "مرحبا بكم في فصيح اليوم"$/m.exec(previewed.stdout)?.[1];
      expect(previewId, previewed.stdout).toBeDefined();
      expect(previewed.stdout).toMatch(new RegExp(`^Listen \\(until .+\\): ${gateway.url}/previews/${previewId}\\.wav\\?`, "m"));
      expect(previewed.stdout).toContain(`examples/node/clone.ts --name Layla --preview ${previewId}`);

      // Faseeh got the recording as it is on disk, and the saved WAV ends with exactly the PCM it produced.
      expect(filesOf(upstream.previewRequests[0]!)).toEqual({ file: exampleRecording("original.wav").digest });
      const pcm = upstream.previews[0]!;
      const wav = await readFile(saved);
      expect(wav.subarray(0, 4).toString("latin1")).toBe("RIFF");
      expect(sha256(wav.subarray(wav.length - pcm.size))).toBe(pcm.sha256);

      const cloned = await runExample(gateway, "clone.ts", ["--name", "Layla", "--preview", previewId!], key);
      expect(cloned.stderr).toBe("");
      expect(cloned.code).toBe(0);
      expect(cloned.stdout).toMatch(/^Cloned "Layla": voiceId \S+ /m);
      expect(filesOf(upstream.requests[0]!)).toEqual({
        voice_file: { size: pcm.size, sha256: pcm.sha256 },
        reference_audio_file: exampleRecording("original.wav").digest,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("list.ts lists the voices a filter matches, following endCursor page after page", async ({ gateway }) => {
    await seedCatalog(gateway);
    const run = await runExample(gateway, "list.ts", ["--language", "ar", "--page-size", "2"]);

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe('5 voices match {"language":"ar"}');
    expect(lines.filter((line) => line.startsWith("Page "))).toEqual(["Page 1:", "Page 2:", "Page 3:"]);
    // Newest first, each voice once, and none outside the filter.
    const listed = lines.filter((line) => line.startsWith("  ")).map((line) => line.trim().split(" ")[0]);
    expect(listed).toEqual([...ARABIC_VOICES].reverse());
    for (const name of ENGLISH_VOICES) expect(run.stdout).not.toContain(name);
    // One request a page.
    const pages = gateway.logs.filter((line) => line.msg === "request" && line.operation === "Voices");
    expect(pages).toHaveLength(3);
  });

  test("a refusal exits 1 with its extensions.code: no key on a closed gateway, a file that is not audio", async ({
    gateway,
    upstream,
  }) => {
    const { key } = await issueKey(gateway, "node-example", "write");

    const withoutKey = await runExample(gateway, "list.ts", []);
    expect(withoutKey.code).toBe(1);
    expect(withoutKey.stdout).toBe("");
    expect(withoutKey.stderr).toMatch(/^UNAUTHENTICATED: /);

    const notAudio = await runExample(gateway, "clone.ts", ["--voice-file", "package.json"], key);
    expect(notAudio.code).toBe(1);
    expect(notAudio.stdout).toBe("");
    expect(notAudio.stderr).toMatch(/^BAD_USER_INPUT \(input\.voiceFile\): /);
    expect(upstream.requests.filter((request) => !request.aborted)).toHaveLength(0);
  });
});
