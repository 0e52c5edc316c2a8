// Speech memory benchmark (run by hand, loopback only):
//   node --import tsx bench/speech.ts [--sizes 0.5,4,16,48] [--warmups 3] [--heap-prof DIR] [--cpu-prof DIR]
//   node --import tsx bench/speech.ts --node-arg=--trace-gc --gateway-output /tmp/gw.log   # the gateway's GCs
//
// Issue 24: `speak` streams Faseeh's PCM to disk as it arrives and the audio
// route streams it back as WAV, so a long text must keep the gateway's memory
// flat. For each size (MiB of PCM) the bench sends one `speak` at speed 0.7
// whose text (Arabic letters) is just long enough, then downloads its
// `audioUrl` whole, and reports the gateway's peak RSS above its idle RSS
// just before (VmHWM, reset through /proc/<pid>/clear_refs, and VmRSS
// sampled every 10 ms) and its peak V8 heap and external (Buffer) memory
// above idle (its own /metrics, sampled every 100 ms). Flat: the largest
// size costs about what the smallest does. Only memory is measured, so the
// fake Faseeh runs in this process (its `speeches` give each answer's
// SHA-256): the stored PCM and the downloaded WAV's samples must match it.
// A real `src/main.ts` gateway process runs on a fresh PostgreSQL database
// with one catalog voice seeded by SQL. Exits 1 when a check fails.
import { createHash, randomBytes, randomInt, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Agent, request } from "undici";
import { fakeSpeechSamples, startFakeFaseeh } from "../dev/fake-faseeh.js";
import { spawnTs } from "../dev/spawn-ts.js";
import { createTestDatabase } from "../dev/test-database.js";

const MiB = 1024 * 1024;
const SPEED = 0.7;
const VOICE_ID = "voice_bench_speech";
/** The WAV header the audio route puts before the PCM. */
const WAV_HEADER_BYTES = 44;
/** Long enough after a request for timers, sockets and GC to settle before the next idle reading. */
const IDLE_MS = 1500;
const SPEAK = `mutation Speak($input: SpeakInput!) { speak(input: $input) { id characters durationSeconds audioUrl cached } }`;

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "0.5,4,16,48" },
    warmups: { type: "string", default: "3" },
    // V8 profiles of the gateway process, written into these directories when it exits.
    "heap-prof": { type: "string" },
    "cpu-prof": { type: "string" },
    // More flags for the gateway's node (e.g. --trace-gc, --max-semi-space-size=1), and a file for what it printed.
    "node-arg": { type: "string", multiple: true, default: [] },
    "gateway-output": { type: "string" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const nodeArgs = [
  ...(values["heap-prof"] ? ["--heap-prof", `--heap-prof-dir=${path.resolve(values["heap-prof"])}`] : []),
  ...(values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(values["cpu-prof"])}`] : []),
  ...values["node-arg"],
];

/** Arabic letters (no spaces, so trimming changes nothing): what the voice says. */
const ARABIC_LETTERS = Array.from("ابتثجحخدذرزسشصضطظعغفقكلمنهوي");
/** A fresh random text whose speech at SPEED is at least `bytes` of PCM: distinct, so each calls Faseeh. */
function textFor(bytes: number): string {
  const bytesPerCharacter = (2 * fakeSpeechSamples("ا".repeat(1000), SPEED)) / 1000;
  const characters = Math.ceil(bytes / bytesPerCharacter);
  return Array.from({ length: characters }, () => ARABIC_LETTERS[randomInt(ARABIC_LETTERS.length)]).join("");
}

interface Memory {
  rssKiB: number;
  heapUsed: number;
  external: number;
}

interface SizeResult {
  size: number;
  pcmBytes: number;
  characters: number;
  idle: Memory;
  /** VmHWM at the end of each step, the peak reset just before it. */
  hwmKiB: { speak: number; download: number };
  /** Highest of the samples taken meanwhile. */
  peak: Memory;
  checks: string[];
}

const fake = await startFakeFaseeh();
fake.addVoices(VOICE_ID);
const database = await createTestDatabase();
const work = await mkdtemp(path.join(os.tmpdir(), "bench-speech-"));
const previewDir = path.join(work, "previews");
const metricsToken = randomBytes(16).toString("hex");
const dispatcher = new Agent({ connections: 4 });
const gateway = spawnTs(
  "src/main.ts",
  {
    PORT: "0",
    HOST: "127.0.0.1",
    NODE_ENV: "production",
    ALLOW_ANONYMOUS: "true",
    LOG_LEVEL: "info",
    DATABASE_URL: database.url,
    FASEEH_API_KEY: fake.apiKey,
    FASEEH_BASE_URL: fake.baseUrl,
    PREVIEW_DIR: previewDir,
    UPLOAD_DIR: path.join(work, "uploads"),
    RECOVERY_DIR: path.join(work, "recovery"),
    SPEAK_MAX_CHARACTERS: "10000",
    SPEAK_RATE_LIMIT_PER_MINUTE: "1000000",
    METRICS_TOKEN: metricsToken,
    UPSTREAM_TIMEOUT_MS: "300000",
  },
  [],
  { nodeArgs },
);

let failed: boolean;
try {
  const listening = await gateway.waitForLog((line) => line.msg === "gateway listening", 60_000, "the gateway to listen");
  const base = `http://127.0.0.1:${String(listening.port)}`;
  // The catalog voice `speak` needs (the gateway has applied the migrations by now).
  await database.query(
    `INSERT INTO voices (id, voice_id, name, gender, languages, dialects, type, stability, model)
     VALUES ($1, $2, 'Bench voice', 'female', '{ar}', '{najdi}', 'cloned', 0.5, 'faseeh-v1')`,
    [randomUUID(), VOICE_ID],
  );
  // Warm-up: JIT, pools, the first queries and file writes, so the sizes measure the audio only.
  for (let warm = 0; warm < Number(values.warmups); warm++) await speakAndDownload(base, textFor(MiB));
  const results: SizeResult[] = [];
  for (const size of sizes) {
    results.push(await measureSize(base, size));
    console.error(`done: ${size} MiB`);
  }
  failed = report(results);
} finally {
  gateway.child.kill("SIGTERM");
  await gateway.waitForExit(30_000).catch(() => gateway.kill());
  if (values["gateway-output"]) await writeFile(values["gateway-output"], gateway.stdout());
  await fake.close();
  await dispatcher.close();
  await database.drop();
  await rm(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

/** One size: idle readings, then speak and download under sampling, then the checks of its audio. */
async function measureSize(base: string, size: number): Promise<SizeResult> {
  await sleep(IDLE_MS);
  const idle = await readMemory(base);
  const sampler = startSampling(base);
  const text = textFor(size * MiB);
  const speechesBefore = fake.speeches.length;
  let spoken: Awaited<ReturnType<typeof speak>>;
  let downloaded: Awaited<ReturnType<typeof download>>;
  const hwmKiB = { speak: 0, download: 0 };
  try {
    await resetPeak(gateway.pid);
    spoken = await speak(base, text);
    hwmKiB.speak = await procKiB(gateway.pid, "VmHWM");
    await resetPeak(gateway.pid);
    downloaded = await download(spoken.audioUrl);
    hwmKiB.download = await procKiB(gateway.pid, "VmHWM");
  } finally {
    await sampler.stop();
  }
  const expectedBytes = 2 * fakeSpeechSamples(text, SPEED);
  const sent = fake.speeches[speechesBefore];
  const stored = await sha256OfFile(path.join(previewDir, "speech", `${spoken.audioId}.pcm`));
  const checks: string[] = [];
  if (fake.speeches.length !== speechesBefore + 1) checks.push(`Faseeh answered ${fake.speeches.length - speechesBefore} times`);
  if (spoken.cached) checks.push("answered cached: Faseeh was not called");
  if (sent?.size !== expectedBytes) checks.push(`Faseeh sent ${sent?.size} bytes, not ${expectedBytes}`);
  if (stored.size !== expectedBytes || stored.sha256 !== sent?.sha256) checks.push("stored PCM differs from Faseeh's");
  if (downloaded.pcmBytes !== expectedBytes || downloaded.pcmSha256 !== sent?.sha256)
    checks.push("downloaded WAV's samples differ");
  return { size, pcmBytes: expectedBytes, characters: spoken.characters, idle, hwmKiB, peak: sampler.peak, checks };
}

async function speakAndDownload(base: string, text: string): Promise<void> {
  await download((await speak(base, text)).audioUrl);
}

/** `speak` at SPEED with the bench voice; throws on GraphQL errors. */
async function speak(base: string, text: string) {
  const response = await request(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: SPEAK, variables: { input: { voiceId: VOICE_ID, text, speed: SPEED } } }),
    dispatcher,
  });
  const body = (await response.body.json()) as {
    data?: { speak: { characters: number; audioUrl: string; cached: boolean } };
    errors?: unknown[];
  };
  if (!body.data || body.errors) throw new Error(`speak failed: ${JSON.stringify(body.errors)}`);
  const { audioUrl, cached, characters } = body.data.speak;
  const audioId = /\/speech\/([0-9a-f-]+)\.wav/.exec(audioUrl)?.[1];
  if (!audioId) throw new Error(`audioUrl ${audioUrl} names no speech`);
  return { audioId, audioUrl, cached, characters };
}

/** The audio URL's WAV, downloaded whole; its samples (after the header) counted and hashed as they come. */
async function download(audioUrl: string): Promise<{ pcmBytes: number; pcmSha256: string }> {
  const audio = await request(audioUrl, { dispatcher });
  if (audio.statusCode !== 200) throw new Error(`audioUrl answered ${audio.statusCode}`);
  const hash = createHash("sha256");
  let received = 0;
  for await (const chunk of audio.body as AsyncIterable<Buffer>) {
    hash.update(chunk.subarray(Math.max(0, WAV_HEADER_BYTES - received)));
    received += chunk.length;
  }
  return { pcmBytes: received - WAV_HEADER_BYTES, pcmSha256: hash.digest("hex") };
}

/**
 * Samples the gateway's RSS every 10 ms (from /proc: costs the gateway
 * nothing) and its heap and external memory every 100 ms (its /metrics),
 * keeping the highest of each until stop().
 */
function startSampling(base: string) {
  const peak: Memory = { rssKiB: 0, heapUsed: 0, external: 0 };
  const rssTimer = setInterval(() => {
    void procKiB(gateway.pid, "VmRSS").then((kiB) => (peak.rssKiB = Math.max(peak.rssKiB, kiB)));
  }, 10);
  let scraping: Promise<void> | undefined;
  const heapTimer = setInterval(() => {
    scraping ??= scrapeMemory(base)
      .then(({ heapUsed, external }) => {
        peak.heapUsed = Math.max(peak.heapUsed, heapUsed);
        peak.external = Math.max(peak.external, external);
      })
      .finally(() => (scraping = undefined));
  }, 100);
  return {
    peak,
    async stop() {
      clearInterval(rssTimer);
      clearInterval(heapTimer);
      await scraping;
      // The end of the download is part of the size: one last reading of each.
      const last = await readMemory(base);
      peak.rssKiB = Math.max(peak.rssKiB, last.rssKiB);
      peak.heapUsed = Math.max(peak.heapUsed, last.heapUsed);
      peak.external = Math.max(peak.external, last.external);
    },
  };
}

async function readMemory(base: string): Promise<Memory> {
  const rssKiB = await procKiB(gateway.pid, "VmRSS");
  return { rssKiB, ...(await scrapeMemory(base)) };
}

/** V8's used heap and external (Buffer) memory, in bytes, from the gateway's /metrics. */
async function scrapeMemory(base: string): Promise<{ heapUsed: number; external: number }> {
  const response = await request(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` }, dispatcher });
  const text = await response.body.text();
  const metric = (name: string) => {
    const match = new RegExp(`^${name} (\\S+)`, "m").exec(text);
    if (!match) throw new Error(`/metrics has no ${name}`);
    return Number(match[1]);
  };
  return { heapUsed: metric("nodejs_heap_size_used_bytes"), external: metric("nodejs_external_memory_bytes") };
}

async function procKiB(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]);
}

/** Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS. */
async function resetPeak(pid: number): Promise<void> {
  const handle = await open(`/proc/${pid}/clear_refs`, "w");
  await handle.write("5");
  await handle.close();
}

async function sha256OfFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { size, sha256: hash.digest("hex") };
}

/** Prints the table; true when a check failed. */
function report(results: SizeResult[]): boolean {
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  const overKiB = (kiB: number, idleKiB: number) => ((kiB - idleKiB) / 1024).toFixed(1);
  const firstIdleKiB = results[0]?.idle.rssKiB ?? 0;
  console.log(
    `speak at speed ${SPEED} then its audioUrl downloaded whole, one per size. ` +
      `Node ${process.version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / MiB / 1024)} GiB.\n`,
  );
  console.log(
    "| PCM MiB (bytes) | characters | idle RSS MiB | peak RSS delta MiB: speak / download | sampled RSS delta MiB | " +
      "peak RSS over the first idle MiB | heap used delta MiB (idle) | external delta MiB (idle) | PCM SHA-256 (stored, downloaded) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    const idleKiB = r.idle.rssKiB;
    console.log(
      `| ${r.size} (${r.pcmBytes}) | ${r.characters} | ${(idleKiB / 1024).toFixed(1)} | ` +
        `${overKiB(r.hwmKiB.speak, idleKiB)} / ${overKiB(r.hwmKiB.download, idleKiB)} | ${overKiB(r.peak.rssKiB, idleKiB)} | ` +
        `${overKiB(Math.max(r.hwmKiB.speak, r.hwmKiB.download), firstIdleKiB)} | ` +
        `${mib(r.peak.heapUsed - r.idle.heapUsed)} (${mib(r.idle.heapUsed)}) | ` +
        `${mib(r.peak.external - r.idle.external)} (${mib(r.idle.external)}) | ` +
        `${r.checks.length ? r.checks.join("; ") : "match"} |`,
    );
  }
  return results.some((r) => r.checks.length > 0);
}
