// Clone and preview benchmark (run by hand, loopback only):
//   node --import tsx bench/clone.ts [--sizes 1,10,100] [--runs 7] [--cpu-prof DIR]
//   node --import tsx bench/clone.ts --call preview [--text-chars 2000] [--sizes ...]
//
// `--call preview` measures previewVoice the same way: one recording of each
// size up, and Faseeh's PCM answer (0.08 s of audio per character of text at
// the fake: 2,000 characters are 7.3 MiB) streamed back down to disk.
//
// Clones the same two files of 1, 10 and 100 MiB (each) through the gateway
// (a real `src/main.ts` child process) and directly against the fake upstream
// (its own child process, as the real upstream is another machine),
// and reports the wall-time ratio gateway/direct (median of the runs) and the
// gateway's peak RSS growth per size (VmHWM from /proc, reset before each size
// through /proc/<pid>/clear_refs). Targets: ratio <= 1.15 at 10 MiB; RSS
// growth < 40 MiB at every size. Results go in BENCHMARKS.md.
import { openAsBlob } from "node:fs";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Agent, FormData, request } from "undici";
import { wav } from "../dev/audio-fixtures.js";
import { createTestDatabase } from "../dev/test-database.js";
import { spawnTs } from "../dev/spawn-ts.js";
import { CLONE_VOICE, defaultCloneInput } from "./clone-request.js";

const MiB = 1024 * 1024;
const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1,10,100" },
    call: { type: "string", default: "clone" },
    "text-chars": { type: "string", default: "2000" },
    runs: { type: "string", default: "7" },
    // Writes a V8 CPU profile of the gateway process into this directory (open it in Chrome DevTools).
    "cpu-prof": { type: "string" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const runs = Number(values.runs);
const previewing = values.call === "preview";
if (!previewing && values.call !== "clone") throw new Error(`--call is clone or preview, not ${values.call}`);
/** Arabic words repeated to the requested length: the preview's text. */
const previewText = "مرحبا بكم في فصيح "
  .repeat(Math.ceil(Number(values["text-chars"]) / 18))
  .slice(0, Number(values["text-chars"]))
  .trim();
const PREVIEW_VOICE = `mutation PreviewVoice($input: PreviewVoiceInput!) { previewVoice(input: $input) { id durationSeconds } }`;

const dispatcher = new Agent({ connections: 4 });
const fake = spawnTs("dev/fake-faseeh-server.ts", {});
const fakeReady = await fake.waitForLog((line) => line.msg === "fake upstream listening", 30_000, "the fake upstream");
const upstream = {
  baseUrl: String(fakeReady.baseUrl),
  apiKey: String(fakeReady.apiKey),
  cloneUrl: `${String(fakeReady.baseUrl)}/voices/clone`,
  previewUrl: `${String(fakeReady.baseUrl)}/voices/preview`,
};
const database = await createTestDatabase();
const work = await mkdtemp(path.join(os.tmpdir(), "bench-clone-"));
const gateway = spawnTs(
  "src/main.ts",
  {
    PORT: "0",
    NODE_ENV: "production",
    ALLOW_ANONYMOUS: "true",
    CLONE_RATE_LIMIT_PER_MINUTE: "1000000",
    PREVIEW_RATE_LIMIT_PER_MINUTE: "1000000",
    PREVIEW_DIR: path.join(work, "previews"),
    LOG_LEVEL: "info",
    DATABASE_URL: database.url,
    FASEEH_API_KEY: upstream.apiKey,
    FASEEH_BASE_URL: upstream.baseUrl,
    MAX_UPLOAD_BYTES: String(Math.max(...sizes) * MiB + MiB),
    UPLOAD_DIR: path.join(work, "uploads"),
    RECOVERY_DIR: path.join(work, "recovery"),
    UPSTREAM_TIMEOUT_MS: "300000",
  },
  [],
  { nodeArgs: values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(values["cpu-prof"])}`] : [] },
);
try {
  const listening = await gateway.waitForLog((line) => line.msg === "gateway listening", 60_000, "the gateway to listen");
  const gatewayUrl = `http://127.0.0.1:${String(listening.port)}/graphql`;
  const rows: string[] = [];

  for (const size of sizes) {
    const voicePath = path.join(work, `voice-${size}.wav`);
    const referencePath = path.join(work, `reference-${size}.wav`);
    await writeFile(voicePath, wav(size * MiB));
    await writeFile(referencePath, wav(size * MiB));
    const files = async () => ({
      voice: await openAsBlob(voicePath, { type: "audio/wav" }),
      reference: await openAsBlob(referencePath, { type: "audio/wav" }),
    });

    const direct = previewing ? previewDirect : cloneDirect;
    const viaGateway = previewing ? previewViaGateway : cloneViaGateway;
    async function cloneDirect() {
      const { voice, reference } = await files();
      const form = new FormData();
      form.append("voice_file", voice, "voice.wav");
      form.append("reference_audio_file", reference, "reference.wav");
      for (const [key, value] of Object.entries(defaultCloneInput())) form.append(key, String(value));
      const response = await request(upstream.cloneUrl, {
        method: "POST",
        body: form,
        headers: { "x-api-key": upstream.apiKey },
        dispatcher,
      });
      await response.body.json();
      if (response.statusCode !== 200) throw new Error(`direct clone answered ${response.statusCode}`);
    }
    async function cloneViaGateway() {
      const { voice, reference } = await files();
      const form = new FormData();
      form.append(
        "operations",
        JSON.stringify({
          query: CLONE_VOICE,
          variables: { input: { ...defaultCloneInput(), voiceFile: null, referenceAudioFile: null } },
        }),
      );
      form.append("map", JSON.stringify({ 0: ["variables.input.voiceFile"], 1: ["variables.input.referenceAudioFile"] }));
      form.append("0", voice, "voice.wav");
      form.append("1", reference, "reference.wav");
      await postToGateway(gatewayUrl, form, "clone");
    }
    // A tool calling Faseeh itself reads the PCM as it comes; so does the gateway, to disk.
    async function previewDirect() {
      const { voice } = await files();
      const form = new FormData();
      form.append("file", voice, "recording.wav");
      form.append("text", previewText);
      form.append("similarity", "0.8");
      form.append("model_id", "faseeh-v1");
      const response = await request(upstream.previewUrl, {
        method: "POST",
        body: form,
        headers: { "x-api-key": upstream.apiKey },
        dispatcher,
      });
      let received = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) received += chunk.length;
      if (response.statusCode !== 200 || received === 0) throw new Error(`direct preview answered ${response.statusCode}`);
    }
    async function previewViaGateway() {
      const { voice } = await files();
      const form = new FormData();
      form.append(
        "operations",
        JSON.stringify({
          query: PREVIEW_VOICE,
          variables: { input: { file: null, text: previewText, similarity: 0.8, modelId: "faseeh-v1" } },
        }),
      );
      form.append("map", JSON.stringify({ 0: ["variables.input.file"] }));
      form.append("0", voice, "recording.wav");
      await postToGateway(gatewayUrl, form, "preview");
    }

    for (let warm = 0; warm < 3; warm++) {
      // Warm-up both paths: connections, JIT, the gateway's first queries.
      await direct();
      await viaGateway();
    }
    const rssBefore = await rssKiB(gateway.pid, "VmRSS");
    await resetPeak(gateway.pid);
    const cpuBefore = await cpuTimeMs(gateway.pid);
    const directTimes: number[] = [];
    const gatewayTimes: number[] = [];
    for (let run = 0; run < runs; run++) {
      directTimes.push(await timed(direct));
      gatewayTimes.push(await timed(viaGateway));
    }
    const peak = await rssKiB(gateway.pid, "VmHWM");
    const cpuMs = (await cpuTimeMs(gateway.pid)) - cpuBefore;
    const ratio = median(gatewayTimes) / median(directTimes);
    const growthMiB = (peak - rssBefore) / 1024;
    rows.push(
      `| ${size} MiB x${previewing ? 1 : 2} | ${median(directTimes).toFixed(1)} | ${median(gatewayTimes).toFixed(1)} | ${ratio.toFixed(2)} | ${growthMiB.toFixed(1)} | ${(cpuMs / runs).toFixed(0)} |`,
    );
    console.error(`done: ${size} MiB`);
    await rm(voicePath);
    await rm(referencePath);
  }

  console.log(
    `${previewing ? `Previews (text of ${previewText.length} characters)` : "Clones"}; runs per size: ${runs} (median). ` +
      `Node ${process.version}, ${os.cpus().length} cores.\n`,
  );
  console.log(
    `| files | direct ms | gateway ms | ratio gateway/direct | gateway peak RSS growth MiB | gateway CPU ms per ${values.call} |`,
  );
  console.log("|---|---|---|---|---|---|");
  for (const row of rows) console.log(row);
} finally {
  gateway.child.kill("SIGTERM");
  await gateway.waitForExit(15_000).catch(() => gateway.kill());
  fake.child.kill("SIGTERM");
  await fake.waitForExit(10_000).catch(() => fake.kill());
  await dispatcher.close();
  await database.drop();
  await rm(work, { recursive: true, force: true });
}

/** One multipart GraphQL request to the gateway; throws when it answers errors. */
async function postToGateway(url: string, form: FormData, what: string): Promise<void> {
  const response = await request(url, {
    method: "POST",
    body: form,
    headers: { "apollo-require-preflight": "true" },
    dispatcher,
  });
  const body = (await response.body.json()) as { errors?: unknown[] };
  if (body.errors) throw new Error(`gateway ${what} failed: ${JSON.stringify(body.errors)}`);
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function rssKiB(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]);
}

/** User + system CPU time of a process, from /proc/<pid>/stat (clock ticks of 10 ms). */
async function cpuTimeMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS. */
async function resetPeak(pid: number): Promise<void> {
  const handle = await open(`/proc/${pid}/clear_refs`, "w");
  await handle.write("5");
  await handle.close();
}
