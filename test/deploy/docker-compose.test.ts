// Validates the container packaging without needing a Docker daemon:
// `docker-compose config` must accept docker-compose.yml (with variable
// interpolation exercised), and its normalised output must wire the gateway to
// Postgres the way the runtime expects. The Dockerfile gets plain text checks.
//
// Needs the `docker-compose` command (Debian's package, v1.29, or a Compose v2
// standalone binary): without it the docker-compose.yml tests are skipped, and
// fail under CI=true (test/support/host-tools.ts); .ci/install-docker-compose.sh
// installs it.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it, expect, beforeAll, beforeEach } from "vitest";
import { parse } from "yaml";
import { DOCKER_COMPOSE, describeWithTools } from "../support/host-tools.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const composeFile = fileURLToPath(new URL("../../docker-compose.yml", import.meta.url));
const dockerfile = fileURLToPath(new URL("../../Dockerfile", import.meta.url));

const TEST_API_KEY = "test-faseeh-key-from-env-7f3c2a";
const TIMEOUT = 30_000;

type Service = {
  image?: string;
  build?: unknown;
  ports?: unknown[];
  environment?: Record<string, string | number | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
};
type ComposeConfig = { services: Record<string, Service>; volumes?: Record<string, unknown> };

type RunResult = { code: number; stdout: string; stderr: string };

/** Runs `docker-compose -f docker-compose.yml config` with the given variables overriding the host's. */
function composeConfig(overrides: Record<string, string | undefined>, options: string[] = []): Promise<RunResult> {
  // Variables that would make compose read something other than the file under test are dropped,
  // and so is every override whose value is undefined.
  const dropped = new Set(["COMPOSE_FILE", "COMPOSE_PROJECT_NAME", ...Object.keys(overrides)]);
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !dropped.has(name)));
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) env[name] = value;
  return new Promise((resolve) => {
    execFile(
      "docker-compose",
      ["-f", composeFile, ...options, "config"],
      { cwd: root, env, timeout: TIMEOUT - 5_000, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function parseConfig(result: RunResult): ComposeConfig {
  expect(result.code, `docker-compose config failed:\n${result.stderr}`).toBe(0);
  const config = parse(result.stdout) as ComposeConfig | null;
  expect(config?.services, "normalised config has no services").toBeTypeOf("object");
  if (!config) throw new Error("docker-compose config printed nothing");
  return config;
}

/** Environment as a map, whichever form (map or KEY=VALUE list) the normaliser printed. */
function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const eq = entry.indexOf("=");
        return eq === -1 ? [entry, ""] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? "" : String(v)]));
}

/** Host address/published/target of each port; v1.29 prints "ip:host:container" strings, Compose v2 objects. */
function portsOf(service: Service): { host: string; published: number; target: number }[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === "string" || typeof port === "number") {
      const parts = String(port).split("/")[0]!.split(":");
      return {
        host: parts.length > 2 ? parts.slice(0, -2).join(":") : "0.0.0.0",
        published: Number(parts.at(-2)),
        target: Number(parts.at(-1)),
      };
    }
    const p = port as { host_ip?: string; published?: string | number; target?: string | number };
    return { host: p.host_ip ?? "0.0.0.0", published: Number(p.published), target: Number(p.target) };
  });
}

/** Compose durations: "80s", "1m30s", "500ms" (docker-compose 1.29 keeps the string; v2 may too). */
function durationMs(value: string): number {
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"];
  }
  return total;
}

function healthcheckCommand(service: Service): string {
  const test = service.healthcheck?.test;
  return Array.isArray(test) ? test.join(" ") : (test ?? "");
}

describeWithTools("docker-compose.yml", [DOCKER_COMPOSE], () => {
  const raw = readFileSync(composeFile, "utf8");
  let withKey: ComposeConfig;
  let withoutKey: RunResult;
  // A failure here is re-thrown by every test, so each one FAILS with the
  // explanation instead of being reported as skipped.
  let setupError: unknown;

  beforeAll(async () => {
    try {
      const [a, b] = await Promise.all([
        composeConfig({ FASEEH_API_KEY: TEST_API_KEY, FASEEH_BASE_URL: undefined }),
        composeConfig({ FASEEH_API_KEY: undefined, FASEEH_BASE_URL: undefined }),
      ]);
      withKey = parseConfig(a);
      withoutKey = b;
    } catch (error) {
      setupError = error;
    }
  }, TIMEOUT);

  beforeEach(() => {
    if (setupError !== undefined)
      throw setupError instanceof Error ? setupError : new Error("docker-compose setup failed", { cause: setupError });
  });

  it("is accepted by `docker-compose config` and defines postgres and gateway", () => {
    // docker-compose 1.29 lists services of every profile; Compose v2 only the active ones.
    const unprofiled = Object.entries(withKey.services).filter(([, service]) => !("profiles" in service));
    expect(unprofiled.map(([name]) => name).sort()).toEqual(["gateway", "postgres"]);
  });

  it("runs the local stand-in of Faseeh only under --profile local-faseeh, unpublished, from the image's faseeh-local stage", async () => {
    const local = parseConfig(
      await composeConfig({ FASEEH_API_KEY: "faseeh-local", FASEEH_BASE_URL: "http://faseeh-local:4010/api/v1" }, [
        "--profile",
        "local-faseeh",
      ]),
    );
    const standIn = local.services["faseeh-local"] as Service & { profiles?: string[] };
    expect(standIn.profiles).toEqual(["local-faseeh"]);
    expect(standIn.build).toMatchObject({ target: "faseeh-local" });
    expect(standIn.ports ?? []).toEqual([]);
    // The README's command points the gateway at it by the service's name and the stand-in's fixed key.
    expect(envOf(local.services.gateway!)).toMatchObject({
      FASEEH_BASE_URL: "http://faseeh-local:4010/api/v1",
      FASEEH_API_KEY: "faseeh-local",
    });
  });

  it("uses the compose spec without the obsolete top-level `version:` key", () => {
    expect(raw).not.toMatch(/^version\s*:/m);
  });

  it("runs Postgres 16 with a pg_isready healthcheck and a named data volume", () => {
    const pg = withKey.services.postgres!;
    expect(pg.image).toMatch(/^(docker\.io\/)?(library\/)?postgres:16([.-]|$)/);
    const env = envOf(pg);
    expect(env.POSTGRES_DB).toBe("gateway");
    expect(env.POSTGRES_USER).toBeTruthy();
    expect(env.POSTGRES_PASSWORD).toBeTruthy();
    expect(pg.healthcheck?.disable).not.toBe(true);
    expect(healthcheckCommand(pg)).toContain("pg_isready -U postgres -d gateway");
    expect(Object.keys(withKey.volumes ?? {}).sort()).toEqual(["gateway-data", "pgdata"]);
    expect(JSON.stringify(pg)).toContain("pgdata:/var/lib/postgresql/data");
  });

  it("builds the gateway from this directory and publishes port 4000 on this host's loopback only, unless told", async () => {
    const gw = withKey.services.gateway!;
    expect(gw.build).toBeDefined();
    expect(portsOf(gw)).toContainEqual({ host: "127.0.0.1", published: 4000, target: 4000 });
    expect(envOf(gw).PORT).toBe("4000");
    expect(envOf(gw).HOST).toBe("0.0.0.0");
    expect(envOf(gw).NODE_ENV).toBe("production");
    const published = parseConfig(await composeConfig({ FASEEH_API_KEY: TEST_API_KEY, GATEWAY_PUBLISH: "0.0.0.0:8080" }));
    expect(portsOf(published.services.gateway!)).toContainEqual({ host: "0.0.0.0", published: 8080, target: 4000 });
  });

  it("passes METRICS_TOKEN through, from the environment or .env only", () => {
    expect(raw).toMatch(/^\s*METRICS_TOKEN:\s*\$\{METRICS_TOKEN:-\}\s*$/m);
    expect(readFileSync(path.join(root, ".env.example"), "utf8")).toMatch(/^METRICS_TOKEN=$/m);
  });

  it("points DATABASE_URL at the postgres service", () => {
    const url = new URL(envOf(withKey.services.gateway!).DATABASE_URL!);
    expect(url.protocol).toMatch(/^postgres(ql)?:$/);
    expect(url.hostname).toBe("postgres");
    expect(url.port || "5432").toBe("5432");
    expect(url.pathname).toBe("/gateway");
  });

  it("starts the gateway only once postgres is healthy", () => {
    const dependsOn = withKey.services.gateway!.depends_on;
    expect(Array.isArray(dependsOn)).toBe(false);
    expect((dependsOn as Record<string, { condition?: string }>).postgres?.condition).toBe("service_healthy");
  });

  it("health-checks the gateway's /readyz with node (no curl in slim images)", () => {
    const gw = withKey.services.gateway!;
    expect(gw.healthcheck?.disable).not.toBe(true);
    const command = healthcheckCommand(gw);
    expect(command).toMatch(/^(CMD|CMD-SHELL) node /);
    expect(command).toContain("/readyz");
  });

  it("requires FASEEH_API_KEY from the environment or .env, and never hard-codes it", () => {
    expect(envOf(withKey.services.gateway!).FASEEH_API_KEY).toBe(TEST_API_KEY);
    // Unset: compose refuses, naming the variable and the file, instead of
    // recreating the gateway with cloning disabled.
    expect(withoutKey.code).not.toBe(0);
    expect(withoutKey.stderr).toContain("set FASEEH_API_KEY in .env");
    // Quietly: one line, not the gateway's whole environment (what 1.29 prints when the check is inside it).
    expect(withoutKey.stderr.trim().split("\n")).toHaveLength(1);
    expect(withoutKey.stderr).not.toContain("DATABASE_URL");
    expect(raw).toMatch(/^\s*x-requires-faseeh-key:\s*\$\{FASEEH_API_KEY:\?[^}]+\}\s*$/m);
    expect(raw).toMatch(/^\s*FASEEH_API_KEY:\s*\$\{FASEEH_API_KEY\}\s*$/m);
    expect(readFileSync(path.join(root, ".env.example"), "utf8")).toMatch(/^FASEEH_API_KEY=$/m);
    expect(raw).not.toContain(TEST_API_KEY);
    // No other literal credential for the upstream API.
    const credentialLines = raw.split("\n").filter((line) => !/^\s*#/.test(line) && /(API_?KEY|TOKEN|SECRET)\s*[:=]/i.test(line));
    expect(credentialLines.filter((line) => !/\$\{[A-Z_]+(:?-|:\?[^}]*)?\}\s*$/.test(line))).toEqual([]);
  });

  it("defaults FASEEH_BASE_URL to the public API, overridable from the environment", () => {
    expect(envOf(withKey.services.gateway!).FASEEH_BASE_URL).toBe("https://api.faseeh.ai/api/v1");
    expect(raw).toContain("${FASEEH_BASE_URL:-https://api.faseeh.ai/api/v1}");
  });

  it("gives SIGTERM time for the clone budget and the request grace before Docker kills the gateway", () => {
    const gateway = withKey.services.gateway! as Service & { stop_grace_period?: string };
    const env = envOf(gateway);
    const budgetMs = Number(env.SHUTDOWN_CLONE_GRACE_MS ?? env.UPSTREAM_TIMEOUT_MS ?? 60_000);
    const graceMs = Number(env.SHUTDOWN_GRACE_MS ?? 10_000);
    expect(budgetMs).toBeGreaterThanOrEqual(Number(env.UPSTREAM_TIMEOUT_MS));
    const stopGraceMs = durationMs(gateway.stop_grace_period ?? "10s");
    expect(stopGraceMs).toBeGreaterThan(budgetMs + graceMs);
  });

  it("restarts both services unless stopped", () => {
    expect(withKey.services.gateway).toMatchObject({ restart: "unless-stopped" });
    expect(withKey.services.postgres).toMatchObject({ restart: "unless-stopped" });
  });
});

describe("Dockerfile", () => {
  const text = readFileSync(dockerfile, "utf8");
  // Instructions only: drop comments and join continuation lines.
  const instructions = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  // Stages, each starting with its FROM line.
  const stages: string[][] = [];
  for (const line of instructions) {
    if (/^FROM\s/i.test(line)) stages.push([line]);
    else stages.at(-1)?.push(line);
  }
  const stageName = (stage: string[]) => /\sAS\s+(\S+)\s*$/i.exec(stage[0]!)?.[1];
  const lastStage = stages.at(-1) ?? [];
  const buildStages = stages.slice(0, -1);
  const indexOf = (stage: string[], pattern: RegExp) => stage.findIndex((line) => pattern.test(line));

  it("builds on node:20-bookworm-slim", () => {
    expect(stages.length).toBeGreaterThan(0);
    // Each stage starts from the image, or from an earlier stage of this file.
    const earlier = (index: number) => stages.slice(0, index).map(stageName);
    for (const [index, stage] of stages.entries()) {
      const from = /^FROM\s+(\S+)/i.exec(stage[0]!)![1]!;
      expect(from === "node:20-bookworm-slim" || earlier(index).includes(from), stage[0]).toBe(true);
    }
  });

  it("has a faseeh-local stage for the compose profile, built on the build stage and never the default image", () => {
    const standIn = stages.find((stage) => stageName(stage) === "faseeh-local");
    expect(standIn?.[0]).toMatch(/^FROM\s+build\s+AS\s+faseeh-local$/i);
    expect(standIn?.join("\n")).toContain('CMD ["node", "--import", "tsx", "dev/faseeh-local.ts", "--host", "0.0.0.0"]');
    expect(stageName(lastStage)).toBe("runtime");
  });

  it("is multi-stage: a build stage compiles, the runtime stage takes only dist/ from it", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const names = buildStages.map(stageName);
    const copiesFrom = lastStage.map((line) => /^COPY\s+--from=(\S+)\s+(.*)$/i.exec(line)).filter((match) => match !== null);
    expect(copiesFrom.length).toBeGreaterThan(0);
    for (const [, from, rest] of copiesFrom) {
      expect(names).toContain(from);
      // Only the compiled output: never node_modules (dev dependencies) or the sources.
      expect(rest).toMatch(/^\S*\/dist\/?\s+\S+$/);
    }
  });

  it("compiles in the build stage: npm ci, then prisma generate (with tsconfig.json), then the sources and npm run build", () => {
    const build = buildStages.find((stage) => indexOf(stage, /^RUN\s.*npm run build\b/) !== -1);
    expect(build, "no build stage runs `npm run build`").toBeDefined();
    const npmCi = indexOf(build!, /^RUN\s.*npm ci\b/);
    const generate = indexOf(build!, /^RUN\s.*prisma-generate\.mjs/);
    const tsconfig = indexOf(build!, /^COPY\s+(\S+\s+)*tsconfig\.json\s/);
    const copySrc = indexOf(build!, /^COPY\s+(\S+\s+)*src\s/);
    const runBuild = indexOf(build!, /^RUN\s.*npm run build\b/);
    expect(npmCi).toBeGreaterThan(-1);
    expect(build![npmCi]).not.toMatch(/--omit=dev|--production/);
    // prisma generate picks the client's import suffixes (.js) from tsconfig.json.
    expect(tsconfig).toBeGreaterThan(-1);
    expect(generate).toBeGreaterThanOrEqual(npmCi);
    expect(generate).toBeGreaterThan(tsconfig);
    // Sources come after the install, so editing them does not invalidate the npm ci layer.
    expect(copySrc).toBeGreaterThan(npmCi);
    expect(runBuild).toBeGreaterThan(copySrc);
  });

  it("installs production dependencies only in the runtime stage, without install scripts", () => {
    const installs = lastStage.filter((line) => /^RUN\s.*npm ci\b/.test(line));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/\s--omit=dev\b/);
    expect(installs[0]).toMatch(/\s--ignore-scripts\b/);
    // No sources, toolchain or TypeScript loader in the runtime stage.
    expect(lastStage.filter((line) => /^COPY\s+(\S+\s+)*(\.\/)?src\/?\s/.test(line))).toEqual([]);
    expect(lastStage.join("\n")).not.toMatch(/\btsx\b|prisma-generate|npm run build|\.ts["\s]/);
  });

  it("copies the SQL migrations the gateway applies at boot", () => {
    expect(lastStage).toContainEqual(expect.stringMatching(/^COPY\s+prisma\/migrations\/?\s+(\.\/)?prisma\/migrations\/?$/));
  });

  it("exposes port 4000", () => {
    expect(lastStage).toContainEqual(expect.stringMatching(/^EXPOSE\s+(.*\s)?4000(\/tcp)?(\s|$)/i));
  });

  it("has a HEALTHCHECK probing /healthz with node", () => {
    const healthcheck = lastStage.find((l) => /^HEALTHCHECK\s/i.test(l));
    expect(healthcheck).toBeDefined();
    expect(healthcheck).not.toMatch(/^HEALTHCHECK\s+NONE/i);
    expect(healthcheck).toMatch(/CMD.*node.*\/healthz/);
  });

  it("runs as a non-root user", () => {
    const users = lastStage.filter((l) => /^USER\s/i.test(l));
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER\s+(root|0)(:|\s|$)/i);
  });

  it("starts the compiled server with node directly (signals reach it), production settings, all interfaces", () => {
    expect(lastStage).toContainEqual(expect.stringMatching(/^ENV\s.*NODE_ENV=production/));
    expect(lastStage).toContainEqual(expect.stringMatching(/^ENV\s.*PORT=4000/));
    // The gateway binds 127.0.0.1 by default while no client key exists; in a
    // container it must listen on every interface, set explicitly.
    expect(lastStage).toContainEqual(expect.stringMatching(/^ENV\s(.*\s)?HOST=0\.0\.0\.0(\s|$)/));
    const cmd = lastStage.filter((l) => /^CMD\s/i.test(l)).at(-1);
    expect(cmd).toBe('CMD ["node", "dist/main.js"]');
    expect(lastStage.some((l) => /^ENTRYPOINT\s/i.test(l))).toBe(false);
  });
});

describe(".dockerignore", () => {
  it("keeps local state and build output out of the build context", () => {
    const entries = readFileSync(fileURLToPath(new URL("../../.dockerignore", import.meta.url)), "utf8")
      .split(/\r?\n/)
      .map((line) => line.trim().replace(/\/$/, ""));
    for (const entry of ["node_modules", "dist", ".data", ".git", "coverage", "src/generated/prisma"]) {
      expect(entries).toContain(entry);
    }
  });
});
