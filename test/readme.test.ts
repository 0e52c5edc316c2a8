// The README is the front door, so its commands are run as written: every
// shell block is either marked `<!-- readme-test: name -->` and executed here
// (through `sh`, with `npm start` really started), or listed below with the
// test or CI step that exercises it. Only what cannot work on a test machine
// is substituted: the port (a free one instead of 4000), the Faseeh key and
// base URL (the fake upstream), the data directory, and names that must be
// unique (the database, the key prefix to revoke). Blocks that run a program
// a machine with only Node may lack (curl, createdb, docker-compose) are
// skipped where it is missing, and fail under CI=true (support/host-tools.ts).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleRecording } from "./examples/examples.scenarios.js";
import { adminUrl } from "../dev/test-database.js";
import { type FakeFaseeh, filesOf, startFakeFaseeh } from "../dev/fake-faseeh.js";
import { PROJECT_ROOT } from "../dev/spawn-ts.js";
import { CURL, DOCKER_COMPOSE, POSTGRESQL_CLIENT, describeWithTools } from "./support/host-tools.js";
import { recordOutput, recordSecret } from "./support/suite-record.js";
import { waitFor } from "./support/wait.js";
import { freePort } from "../dev/free-port.js";

const BOOT_TIMEOUT_MS = 90_000;
const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");

interface Block {
  name: string | undefined;
  commands: string[];
}

/** Every ```sh block, its commands (continuation lines joined, comments dropped) and its readme-test name. */
function shellBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const pattern = /(?:<!-- readme-test: ([\w-]+) -->\n)?```sh\n([\s\S]*?)```/g;
  for (const match of text.matchAll(pattern)) {
    const commands = match[2]!
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((line) => line.replace(/\s+#\s.*$/, "").trim())
      .filter(Boolean);
    blocks.push({ name: match[1], commands });
  }
  return blocks;
}

const blocks = shellBlocks(readme);
const block = (name: string) => {
  const found = blocks.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`README has no block marked readme-test: ${name}`);
  return found.commands;
};

/** Commands the README shows that this file does not run, and what exercises them instead. */
const COVERED_ELSEWHERE: Record<string, string> = {
  "npm install": ".ci/run installs with `npm ci` from the same lockfile",
  "npm test": ".ci/run runs it",
  "npm run reconcile -- resolve <attemptId> --not-created":
    'test/services/clone/clone-recovery-service.test.ts, "operators resolve attempts"',
  "npm run reconcile -- resolve <attemptId> --voice-id <voiceId>":
    'test/services/clone/clone-recovery-service.test.ts, "operators resolve attempts"',
};
/**
 * Docker needs an engine, which test machines lack: docker-compose.test.ts validates the file and production-build.test.ts
 * the image's runtime. kubectl needs a cluster: deploy/kubernetes.test.ts validates the manifests offline.
 */
const isCoveredElsewhere = (command: string) => command in COVERED_ELSEWHERE || /^(docker compose|kubectl) /.test(command);

describe("the README's shell blocks", () => {
  it("are each run by this file or named with what exercises them", () => {
    expect(blocks.length).toBeGreaterThan(5);
    const unaccounted = blocks
      .filter((candidate) => candidate.name === undefined)
      .flatMap((candidate) => candidate.commands)
      .filter((command) => !isCoveredElsewhere(command));
    expect(unaccounted).toEqual([]);
  });
});

let upstream: FakeFaseeh;
let work: string;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  upstream = await startFakeFaseeh();
  recordSecret(upstream.apiKey);
  work = await mkdtemp(path.join(os.tmpdir(), "gw-readme-"));
  // The README's commands run from the project directory, where examples/audio/ is; the scratch
  // directory holds a copy, so what they download (heard.wav) never lands in the checkout.
  await cp(path.join(PROJECT_ROOT, "examples", "audio"), path.join(work, "examples", "audio"), { recursive: true });
});
afterAll(async () => {
  for (const child of running) if (child.pid) process.kill(-child.pid, "SIGKILL");
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed before starting it
  await upstream?.close();
  await rm(work, { recursive: true, force: true });
});

/** The environment README commands run in: a clean one, plus what the scenario sets. */
const environment = (extra: Record<string, string>) => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "",
  LANG: "C.UTF-8",
  ...extra,
});

/** Runs one README command through `sh` in the scratch directory; resolves with its output. */
function sh(command: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", command], { cwd: work, env: environment(env), timeout: 60_000 }, (error, stdout, stderr) => {
      recordOutput("readme command", `${command}\n${stdout}\n${stderr}`.replace(/fvg_[\w-]+/g, "fvg_[shown once]"));
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const STEP = "<<readme-step>>";
const VARIABLES = "<<readme-variables>>";

/**
 * Runs README commands one after another in ONE shell, as a person pasting them into a terminal
 * would, so what one line keeps in a variable (`export GATEWAY_KEY=$(…)`) the next one uses.
 * Resolves with each command's output and the exported variables at the end.
 */
async function session(commands: string[], env: Record<string, string>) {
  const script = [...commands.map((command) => `${command}\nprintf '\\n${STEP}\\n'`), `printf '${VARIABLES}\\n'; env`];
  const { code, stdout, stderr } = await sh(script.join("\n"), env);
  const [steps, variables = ""] = stdout.split(`${VARIABLES}\n`);
  const exported = Object.fromEntries(
    variables
      .split("\n")
      .flatMap((line) => (line.includes("=") ? [[line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]] : [])),
  );
  return {
    code,
    stderr,
    outputs: steps!.split(`\n${STEP}\n`).slice(0, commands.length),
    exported: exported as Record<string, string>,
  };
}

/**
 * Runs a README line in the background, as a shell would, until `ready(output)` or its end; `stop()`
 * is Ctrl-C (SIGINT to the whole foreground group) and resolves with everything it printed.
 */
async function background(command: string, env: Record<string, string>, ready: (output: string) => boolean) {
  const child = spawn("sh", ["-c", command], {
    cwd: PROJECT_ROOT,
    env: environment(env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // 'close': the output pipes end only when every process writing them (sh, npm, node) has gone.
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  await waitFor(() => ready(output) || child.exitCode !== null, BOOT_TIMEOUT_MS, `"${command}" to start`);
  return {
    output: () => output,
    async stop(): Promise<string> {
      process.kill(-child.pid!, "SIGINT");
      await exited;
      running.delete(child);
      return output;
    },
  };
}

/** Starts a README background line (`npm run faseeh:local &`) on another port; resolves with what it printed once it listens. */
async function startStandIn(command: string, port: number) {
  const standIn = await background(`${command.replace(/\s*&$/, "")} -- --port ${port}`, {}, (output) =>
    output.includes("npm start\n"),
  );
  return { printed: standIn.output(), stop: () => standIn.stop() };
}

/** Starts a README `npm start` line in the background; resolves once it listens. */
async function start(command: string, env: Record<string, string>): Promise<{ stop(): Promise<string> }> {
  const gateway = await background(command, env, (output) => output.includes('"msg":"gateway listening"'));
  expect(gateway.output(), gateway.output()).toContain('"msg":"gateway listening"');
  return {
    async stop() {
      const output = await gateway.stop();
      recordOutput("readme npm start", output);
      return output;
    },
  };
}

/** What the README's curl examples answer (the fields this test reads). */
interface ReadmeAnswer {
  data?: {
    cloneVoice?: { voice: { name: string; languages: string[]; dialects: string[] } };
    createApiKey?: { key: string };
    apiKeys?: Array<{ name: string }>;
    voices?: { totalCount: number; nodes: Array<{ name: string; gender: string }> };
    models?: { items: Array<{ modelId: string }>; stale: boolean };
    previewVoice?: { id: string; durationSeconds: number; audioUrl: string };
    speak?: { id: string; characters: number; durationSeconds: number; audioUrl: string; cached: boolean };
  } | null;
  errors?: Array<{ extensions?: { code?: string } }>;
}

const json = (stdout: string) => JSON.parse(stdout) as ReadmeAnswer;

describeWithTools("the quick start, pasted as written", [CURL], () => {
  it("runs the local Faseeh stand-in and the gateway, clones from the example files, keeps the first key and lists with it", async () => {
    const [install, standIn, gatewayLine] = block("quick-start-servers");
    expect(install).toBe("npm install"); // .ci/run installs with `npm ci`
    const [standInPort, port] = [await freePort(), await freePort()];
    const faseeh = await startStandIn(standIn!, standInPort);
    // The line it prints is the README's next one (on the port it was given): paste it and go.
    const pasted = gatewayLine!.replace("127.0.0.1:4010", `127.0.0.1:${standInPort}`);
    expect(faseeh.printed.split("\n")).toContain(pasted);
    // Public, but still the gateway's Faseeh key: the gateway must not echo it either.
    recordSecret(/FASEEH_API_KEY=(\S+)/.exec(pasted)![1]!);
    const gateway = await start(pasted, { PORT: String(port), DATA_DIR: path.join(work, "quick-start-data") });
    try {
      const tried = block("quick-start-try").map((command) => command.replaceAll("localhost:4000", `127.0.0.1:${port}`));
      const { code, stderr, outputs, exported } = await session(tried, {});
      expect(code, stderr).toBe(0);
      const [cloned, keyCreated, listed] = outputs.map((output) => output.trim());
      expect(json(cloned!).data?.cloneVoice?.voice).toMatchObject({
        name: "Layla",
        languages: ["ar", "en"],
        dialects: ["najdi"],
      });
      expect(keyCreated).toBe(""); // kept in GATEWAY_KEY, not printed
      expect(exported.GATEWAY_KEY).toMatch(/^fvg_/);
      recordSecret(exported.GATEWAY_KEY!);
      expect(json(listed!).data?.voices).toMatchObject({ totalCount: 1, nodes: [{ name: "Layla", gender: "female" }] });
      // The key closed the gateway: the same clone without it is refused.
      expect(json((await sh(tried[0]!, {})).stdout).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    } finally {
      expect(await gateway.stop()).toContain('"msg":"shutdown complete"');
      await faseeh.stop();
    }
  }, 240_000);
});

describeWithTools("the quick start's other ways, keys and the walkthrough, on the embedded database", [CURL], () => {
  it("serves without Faseeh, clones with a key, is closed by its first key, manages keys, previews, and stops", async () => {
    const port = await freePort();
    const dataDir = path.join(work, "data");
    const at = (command: string) => command.replaceAll("localhost:4000", `127.0.0.1:${port}`);
    const base = { PORT: String(port), DATA_DIR: dataDir };
    const openClone = at(block("quick-start-try")[0]!);

    // `npm start` with no Faseeh key: queries work, cloning says what is missing.
    let gateway = await start(block("quick-start")[0]!, base);
    expect(json((await sh(openClone, {})).stdout).errors?.[0]?.extensions?.code).toBe("UPSTREAM_NOT_CONFIGURED");
    await gateway.stop();

    // With a Faseeh key (the fake's), the clone example works as pasted, with no client key.
    const withKey = block("quick-start-with-key")[0]!.replace("sk-...", upstream.apiKey);
    gateway = await start(withKey, { ...base, FASEEH_BASE_URL: upstream.baseUrl });
    const cloned = await sh(openClone, {});
    expect(cloned.code, cloned.stderr).toBe(0);
    expect(json(cloned.stdout).data?.cloneVoice?.voice.name).toBe("Layla");
    const sent = filesOf(upstream.requests.at(-1)!);
    expect(sent).toEqual({
      voice_file: exampleRecording("preview.wav").digest,
      reference_audio_file: exampleRecording("original.wav").digest,
    });

    // The first key, created on the running gateway, closes it (the Client keys section shows the quick start's line).
    const [createFirst] = block("create-first-key");
    expect(createFirst).toBe(block("quick-start-try")[1]);
    const keys = await session([at(createFirst!), ...block("manage-keys").map(at)], {});
    const first = keys.exported.GATEWAY_KEY!;
    expect(first).toMatch(/^fvg_/);
    recordSecret(first);
    const tool = json(keys.outputs[1]!).data?.createApiKey;
    recordSecret(tool!.key);
    expect(json(keys.outputs[2]!).data?.apiKeys?.map((key) => key.name)).toEqual(["ops", "voice-studio"]);
    // Now the open example is refused, and the one with a key works.
    expect(json((await sh(openClone, {})).stdout).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const keyed = await sh(at(block("clone-with-key")[0]!), { GATEWAY_KEY: tool!.key });
    expect(json(keyed.stdout).data?.cloneVoice?.voice.name).toBe("Layla");

    // The walkthrough in one terminal: models, a preview kept in variables, listening to it, a clone from it;
    // then Hearing a voice: the cloned voice says a line, which is heard, and asked again from the cache.
    const speechCalls = upstream.speechRequests.length;
    const walkthrough = [
      "walkthrough-models",
      "walkthrough-preview",
      "walkthrough-listen",
      "walkthrough-clone",
      "speak",
      "speak-again",
    ].flatMap((name) => block(name).map(at));
    const walked = await session(walkthrough, { GATEWAY_KEY: tool!.key });
    expect(walked.code, walked.stderr).toBe(0);
    const [models, , previewed, , , , fromPreview] = walked.outputs.map((output) => output.trim());
    expect(models, walked.stderr).toBeDefined();
    expect(json(models!).data?.models?.items.map((model) => model.modelId)).toContain("faseeh-v1");
    expect(json(models!).data?.models?.stale).toBe(false);
    const preview = json(previewed!).data?.previewVoice;
    expect(preview?.audioUrl).toContain(`http://127.0.0.1:${port}/previews/${preview?.id}.wav?`);
    expect({ id: walked.exported.PREVIEW_ID, url: walked.exported.AUDIO_URL }).toEqual({
      id: preview?.id,
      url: preview?.audioUrl,
    });
    const heard = readFileSync(path.join(work, "heard.wav"));
    expect(heard.toString("ascii", 0, 4), heard.toString().slice(0, 300)).toBe("RIFF");
    expect(heard.length - 44).toBe(upstream.previews.at(-1)!.size);
    expect(json(fromPreview!).data?.cloneVoice?.voice.name, fromPreview).toBe("Layla");
    expect(filesOf(upstream.requests.at(-1)!).voice_file).toEqual(upstream.previews.at(-1));
    expect(filesOf(upstream.requests.at(-1)!).reference_audio_file).toEqual(exampleRecording("original.wav").digest);
    const [spokenEcho, , , askedAgain] = walked.outputs.slice(9).map((output) => output.trim());
    const spoken = json(spokenEcho!).data?.speak;
    expect(spoken, spokenEcho).toMatchObject({ characters: 22, cached: false });
    expect(spoken?.audioUrl).toContain(`http://127.0.0.1:${port}/speech/`);
    expect(walked.exported.SPEECH_URL).toBe(spoken?.audioUrl);
    const said = readFileSync(path.join(work, "spoken.wav"));
    expect(said.toString("ascii", 0, 4), said.toString().slice(0, 300)).toBe("RIFF");
    expect(said.length - 44).toBe(upstream.speeches.at(-1)!.size);
    expect(json(askedAgain!).data?.speak, askedAgain).toMatchObject({
      cached: true,
      audioUrl: expect.stringContaining(new URL(spoken!.audioUrl).pathname) as string,
    });
    expect(upstream.speechRequests.length - speechCalls).toBe(1);

    // While it runs, the command line is refused with the owner named...
    const busy = await sh(`cd ${PROJECT_ROOT} && ${block("keys-cli").find((command) => command.includes(" list"))!}`, {
      DATA_DIR: dataDir,
    });
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("is in use by pid");
    // ...and Ctrl-C stops it, after which the command line may run.
    const log = await gateway.stop();
    expect(log).toContain('"msg":"shutdown complete"');
    expect(existsSync(path.join(dataDir, "gateway.lock"))).toBe(false);

    let prefix = "";
    const revocations: string[] = [];
    for (const command of block("keys-cli")) {
      const line = command.includes(" revoke ") ? command.replace(/fvg_\S+/, prefix) : command;
      const result = await sh(`cd ${PROJECT_ROOT} && ${line}`, { DATA_DIR: dataDir });
      expect(result.code, `${line}\n${result.stderr}`).toBe(0);
      for (const key of result.stdout.match(/^fvg_\S+$/gm) ?? []) recordSecret(key);
      prefix = /(fvg_\S+)…\s+catalog-browser/.exec(result.stdout)?.[1] ?? prefix;
      if (command.includes(" revoke ")) revocations.push(result.stdout);
    }
    expect(revocations).not.toHaveLength(0);
    for (const output of revocations) expect(output).toContain("Revoked");
  }, 240_000);
});

describeWithTools("Docker Compose", [DOCKER_COMPOSE], () => {
  it("starts from the .env.example the README copies, which compose then reads", async () => {
    const [copy] = block("compose");
    expect(copy).toBe("cp .env.example .env");
    const dir = await mkdtemp(path.join(os.tmpdir(), "gw-readme-compose-"));
    try {
      await writeFile(path.join(dir, "docker-compose.yml"), readFileSync(path.join(PROJECT_ROOT, "docker-compose.yml")));
      await writeFile(path.join(dir, ".env.example"), readFileSync(path.join(PROJECT_ROOT, ".env.example")));
      const run = (command: string) =>
        new Promise<{ code: number; stderr: string }>((resolve) =>
          execFile("sh", ["-c", command], { cwd: dir, env: environment({}) }, (error, _stdout, stderr) =>
            resolve({ code: error ? 1 : 0, stderr }),
          ),
        );
      expect((await run(copy!)).code).toBe(0);
      // As copied, the key is still empty: compose says what to do.
      const empty = await run("docker-compose config -q");
      expect(empty.code).toBe(1);
      expect(empty.stderr).toContain("set FASEEH_API_KEY in .env");
      await writeFile(
        path.join(dir, ".env"),
        readFileSync(path.join(dir, ".env"))
          .toString()
          .replace(/^FASEEH_API_KEY=$/m, "FASEEH_API_KEY=from-dotenv"),
      );
      expect((await run("docker-compose config -q")).code).toBe(0);

      // The local-faseeh line, as written, with `config` for `up --build` (no engine here): the
      // stand-in is in, and the gateway points at it.
      const [local] = block("compose-local-faseeh");
      expect(local).toMatch(/ docker compose --profile local-faseeh up --build$/);
      const checked = await run(
        `${local!.replace("docker compose", "docker-compose").replace(/up --build$/, "config")} > local.yml`,
      );
      expect(checked.code, checked.stderr).toBe(0);
      const normalised = readFileSync(path.join(dir, "local.yml"), "utf8");
      expect(normalised).toContain("target: faseeh-local");
      expect(normalised).toContain("FASEEH_BASE_URL: http://faseeh-local:4010/api/v1");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeWithTools("running against a real PostgreSQL", [POSTGRESQL_CLIENT, CURL], () => {
  it("creates the database and serves from it as the README says", async () => {
    const [create, serve] = block("postgres");
    const name = `gw_readme_${randomBytes(4).toString("hex")}`;
    const port = await freePort();
    const server = new URL(adminUrl());
    const pgEnv = { PGHOST: server.hostname, PGPORT: server.port || "5432", PGUSER: server.username || "postgres" };
    expect((await sh(create!.replace("voices", name), pgEnv)).code).toBe(0);
    try {
      const gateway = await start(
        serve!.replace("/voices", `/${name}`).replace("127.0.0.1:5432", `${pgEnv.PGHOST}:${pgEnv.PGPORT}`),
        {
          PORT: String(port),
        },
      );
      const answer = await sh(
        `curl -s http://127.0.0.1:${port}/graphql -H 'content-type: application/json' -d '{"query":"{ voices { totalCount } }"}'`,
        {},
      );
      expect(json(answer.stdout).data).toEqual({ voices: { totalCount: 0 } });
      expect(await gateway.stop()).toContain('"database":"postgres"');
    } finally {
      await sh(`dropdb --if-exists ${name}`, pgEnv);
    }
  }, 120_000);
});
