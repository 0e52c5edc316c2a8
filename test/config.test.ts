// loadConfig: the one reader of the environment. Always called with an
// explicit env object, so the developer's shell never leaks into the result.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Config, ConfigError, loadConfig } from "../src/config.js";

const MiB = 1024 * 1024;

/** Runs loadConfig and returns the ConfigError it throws (fails the test if it does not). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** The variable each problem line is about (the text before the first colon). */
const problemVariables = (error: ConfigError): string[] => error.problems.map((line) => line.split(":")[0]!.trim());

describe("loadConfig defaults", () => {
  it("gives a complete, working configuration for an empty environment", () => {
    const config = loadConfig({});
    // toMatchObject: settings added later get their own tests.
    expect(config).toMatchObject({
      env: "development",
      host: undefined,
      port: 4000,
      database: { kind: "embedded", dataDir: path.resolve(process.cwd(), ".data") },
      upstream: {
        apiKey: undefined,
        baseUrl: "https://api.faseeh.ai/api/v1",
        timeoutMs: 60_000,
        connectTimeoutMs: 10_000,
      },
      uploads: { maxBytes: 20 * MiB, dir: undefined },
      shutdownGraceMs: 10_000,
      logLevel: "info",
      introspection: true,
    });
  });

  it("resolves a relative DATA_DIR against the working directory", () => {
    expect(loadConfig({ DATA_DIR: "var/catalog" }).database).toEqual({
      kind: "embedded",
      dataDir: path.resolve(process.cwd(), "var/catalog"),
    });
    expect(loadConfig({ DATA_DIR: "/srv/gateway" }).database).toEqual({ kind: "embedded", dataDir: "/srv/gateway" });
  });

  it("turns introspection off in production unless GRAPHQL_INTROSPECTION asks for it", () => {
    expect(loadConfig({ NODE_ENV: "production" }).introspection).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", GRAPHQL_INTROSPECTION: "true" }).introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: "production", GRAPHQL_INTROSPECTION: "1" }).introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: "test" }).introspection).toBe(true);
  });

  it("serves a Federation 2 subgraph only when FEDERATION turns it on", () => {
    expect(loadConfig({}).federation).toBe(false);
    expect(loadConfig({ FEDERATION: "" }).federation).toBe(false);
    expect(loadConfig({ FEDERATION: "true" }).federation).toBe(true);
    expect(loadConfig({ FEDERATION: "1" }).federation).toBe(true);
    expect(loadConfig({ FEDERATION: "false" }).federation).toBe(false);
    expect(configError({ FEDERATION: "yes" }).problems).toEqual([expect.stringMatching(/^FEDERATION: .*\(got "yes"\)$/)]);
  });

  it("keeps the response cache on unless RESPONSE_CACHE turns it off", () => {
    expect(loadConfig({}).responseCache).toEqual({ enabled: true, maxBytes: 64 * MiB });
    expect(loadConfig({ NODE_ENV: "production" }).responseCache.enabled).toBe(true);
    expect(loadConfig({ RESPONSE_CACHE: "" }).responseCache.enabled).toBe(true);
    expect(loadConfig({ RESPONSE_CACHE: "true" }).responseCache.enabled).toBe(true);
    expect(loadConfig({ RESPONSE_CACHE: "1" }).responseCache.enabled).toBe(true);
    expect(loadConfig({ RESPONSE_CACHE: "false" }).responseCache.enabled).toBe(false);
    expect(loadConfig({ RESPONSE_CACHE: "0" }).responseCache.enabled).toBe(false);
    expect(configError({ RESPONSE_CACHE: "off" }).problems).toEqual([expect.stringMatching(/^RESPONSE_CACHE: .*\(got "off"\)$/)]);
  });

  it("serves the explorer outside production, and in production only when EXPLORER asks for it", () => {
    expect(loadConfig({}).explorer).toBe(true);
    expect(loadConfig({ NODE_ENV: "test" }).explorer).toBe(true);
    expect(loadConfig({ EXPLORER: "false" }).explorer).toBe(false);
    expect(loadConfig({ NODE_ENV: "production" }).explorer).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", EXPLORER: "true" }).explorer).toBe(true);
    expect(loadConfig({ NODE_ENV: "production", EXPLORER: "1" }).explorer).toBe(true);
    expect(loadConfig({ NODE_ENV: "production", EXPLORER: "" }).explorer).toBe(false);
    expect(configError({ EXPLORER: "yes" }).problems).toEqual([expect.stringMatching(/^EXPLORER: .*\(got "yes"\)$/)]);
  });

  it("reads every variable it documents", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      HOST: "0.0.0.0",
      PORT: "8080",
      DATABASE_URL: "postgresql://gw:pw@db.internal:5432/catalog",
      DATABASE_POOL_SIZE: "3",
      FASEEH_API_KEY: "fk_live_123",
      FASEEH_BASE_URL: "http://faseeh.internal:9000/api/v1",
      UPSTREAM_TIMEOUT_MS: "1500",
      UPSTREAM_CONNECT_TIMEOUT_MS: "250",
      MAX_UPLOAD_BYTES: "1024",
      UPLOAD_DIR: "/tmp/uploads",
      SHUTDOWN_GRACE_MS: "2000",
      LOG_LEVEL: "warn",
    });
    expect(config).toMatchObject({
      env: "production",
      host: "0.0.0.0",
      port: 8080,
      database: { kind: "postgres", url: "postgresql://gw:pw@db.internal:5432/catalog", poolSize: 3 },
      upstream: { apiKey: "fk_live_123", baseUrl: "http://faseeh.internal:9000/api/v1", timeoutMs: 1500, connectTimeoutMs: 250 },
      uploads: { maxBytes: 1024, dir: "/tmp/uploads" },
      shutdownGraceMs: 2000,
      logLevel: "warn",
      introspection: false,
    });
  });

  it("reads the preview and model settings, with previews under DATA_DIR by default", () => {
    expect(loadConfig({ DATA_DIR: "/srv/gw" })).toMatchObject({
      upstream: { previewPath: "/voices/preview", modelsTimeoutMs: 5_000 },
      models: { cacheTtlMs: 600_000, staleMaxMs: 86_400_000 },
      previews: {
        dir: "/srv/gw/previews",
        ttlHours: 24,
        urlSecret: undefined,
        urlTtlSeconds: 3_600,
        rateLimitPerMinute: 20,
        maxAudioBytes: 64 * MiB,
        sweepIntervalMs: 600_000,
      },
      publicUrl: undefined,
    });
    const secret = "s".repeat(32);
    expect(
      loadConfig({
        FASEEH_PREVIEW_PATH: "/v2/voices/preview/",
        MODELS_CACHE_TTL_MS: "1000",
        MODELS_STALE_MAX_MS: "2000",
        MODELS_TIMEOUT_MS: "300",
        PREVIEW_DIR: "/data/previews",
        PREVIEW_TTL_HOURS: "2",
        PREVIEW_URL_SECRET: secret,
        PREVIEW_URL_TTL_SECONDS: "60",
        PREVIEW_RATE_LIMIT_PER_MINUTE: "5",
        PREVIEW_MAX_AUDIO_BYTES: "1024",
        PREVIEW_SWEEP_INTERVAL_MS: "5000",
        PUBLIC_URL: "https://voices.example.com/",
      }),
    ).toMatchObject({
      upstream: { previewPath: "/v2/voices/preview", modelsTimeoutMs: 300 },
      models: { cacheTtlMs: 1000, staleMaxMs: 2000 },
      previews: {
        dir: "/data/previews",
        ttlHours: 2,
        urlSecret: secret,
        urlTtlSeconds: 60,
        rateLimitPerMinute: 5,
        maxAudioBytes: 1024,
        sweepIntervalMs: 5000,
      },
      publicUrl: "https://voices.example.com",
    });
  });

  it("reads the speech settings, with a dead process's claim taken over after 30 s by default", () => {
    expect(loadConfig({}).speech).toEqual({ maxCharacters: 1_000, ttlHours: 24, rateLimitPerMinute: 30, staleClaimMs: 30_000 });
    expect(loadConfig({ SPEECH_CLAIM_STALE_MS: "2000" }).speech.staleClaimMs).toBe(2_000);
    expect(problemVariables(configError({ SPEECH_CLAIM_STALE_MS: "0" }))).toEqual(["SPEECH_CLAIM_STALE_MS"]);
  });

  it("refuses a short PREVIEW_URL_SECRET without echoing it, and a preview path or public URL that is not one", () => {
    const error = configError({
      PREVIEW_URL_SECRET: "short-secret-value",
      FASEEH_PREVIEW_PATH: "voices/preview",
      PUBLIC_URL: "voices.example.com",
    });
    expect(problemVariables(error).sort()).toEqual(["FASEEH_PREVIEW_PATH", "PREVIEW_URL_SECRET", "PUBLIC_URL"]);
    expect(error.message).not.toContain("short-secret-value");
  });

  it("reads the upload timeouts and the shutdown clone budget, which defaults to UPSTREAM_TIMEOUT_MS", () => {
    expect(loadConfig({})).toMatchObject({
      uploads: { idleTimeoutMs: 30_000, deadlineMs: 180_000 },
      shutdownCloneGraceMs: 60_000,
    });
    expect(loadConfig({ UPSTREAM_TIMEOUT_MS: "90000" }).shutdownCloneGraceMs).toBe(90_000);
    expect(
      loadConfig({ UPLOAD_IDLE_TIMEOUT_MS: "5000", UPLOAD_DEADLINE_MS: "60000", SHUTDOWN_CLONE_GRACE_MS: "15000" }),
    ).toMatchObject({ uploads: { idleTimeoutMs: 5_000, deadlineMs: 60_000 }, shutdownCloneGraceMs: 15_000 });
    expect(loadConfig({ SHUTDOWN_CLONE_GRACE_MS: "" }).shutdownCloneGraceMs).toBe(60_000);
    expect(() => loadConfig({ SHUTDOWN_CLONE_GRACE_MS: "0", UPLOAD_IDLE_TIMEOUT_MS: "soon" })).toThrow(
      /SHUTDOWN_CLONE_GRACE_MS[\s\S]*UPLOAD_IDLE_TIMEOUT_MS|UPLOAD_IDLE_TIMEOUT_MS[\s\S]*SHUTDOWN_CLONE_GRACE_MS/,
    );
  });

  it("reads the per-key share of UPSTREAM_MAX_CONCURRENCY (by default half of it, at least 1) and the minimum upload rate", () => {
    expect(loadConfig({}).upstream).toMatchObject({ maxConcurrency: 4, maxConcurrencyPerKey: 2 });
    expect(loadConfig({ UPSTREAM_MAX_CONCURRENCY: "1" }).upstream.maxConcurrencyPerKey).toBe(1);
    expect(loadConfig({ UPSTREAM_MAX_CONCURRENCY: "5" }).upstream.maxConcurrencyPerKey).toBe(2);
    expect(
      loadConfig({ UPSTREAM_MAX_CONCURRENCY: "8", UPSTREAM_MAX_CONCURRENCY_PER_KEY: "" }).upstream.maxConcurrencyPerKey,
    ).toBe(4);
    expect(
      loadConfig({ UPSTREAM_MAX_CONCURRENCY: "8", UPSTREAM_MAX_CONCURRENCY_PER_KEY: "8" }).upstream.maxConcurrencyPerKey,
    ).toBe(8);
    expect(loadConfig({}).uploads.minRate).toEqual({ bytesPerSecond: 16 * 1024, graceMs: 5_000, windowMs: 10_000 });
    expect(
      loadConfig({ UPLOAD_MIN_BYTES_PER_SECOND: "1000", UPLOAD_RATE_GRACE_MS: "200", UPLOAD_RATE_WINDOW_MS: "300" }).uploads
        .minRate,
    ).toEqual({ bytesPerSecond: 1000, graceMs: 200, windowMs: 300 });
  });

  it("refuses a per-key share above UPSTREAM_MAX_CONCURRENCY, reported with the other problems", () => {
    const error = configError({ UPSTREAM_MAX_CONCURRENCY_PER_KEY: "5", PORT: "abc", UPLOAD_MIN_BYTES_PER_SECOND: "0" });
    expect(problemVariables(error).sort()).toEqual(["PORT", "UPLOAD_MIN_BYTES_PER_SECOND", "UPSTREAM_MAX_CONCURRENCY_PER_KEY"]);
    // Its value is not echoed: the name holds "KEY", which the secret rule cannot tell from an API key's.
    expect(error.problems).toContain(
      "UPSTREAM_MAX_CONCURRENCY_PER_KEY: must be at most UPSTREAM_MAX_CONCURRENCY (4): one key cannot hold more slots than there are",
    );
    // Compared only once each is valid on its own: one problem per variable, never a comparison with nonsense.
    const invalid = configError({ UPSTREAM_MAX_CONCURRENCY: "many", UPSTREAM_MAX_CONCURRENCY_PER_KEY: "5" });
    expect(problemVariables(invalid)).toEqual(["UPSTREAM_MAX_CONCURRENCY"]);
    expect(problemVariables(configError({ UPSTREAM_MAX_CONCURRENCY_PER_KEY: "0" }))).toEqual([
      "UPSTREAM_MAX_CONCURRENCY_PER_KEY",
    ]);
  });

  it("accepts PORT=0 (an ephemeral port, used by tests)", () => {
    expect(loadConfig({ PORT: "0" }).port).toBe(0);
  });

  it("turns traces on only with OTEL_EXPORTER_OTLP_ENDPOINT, an http(s) URL, with the service name and export delay", () => {
    expect(loadConfig({ OTEL_SERVICE_NAME: "voices", OTEL_BSP_SCHEDULE_DELAY: "100" }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).tracing).toEqual({
      endpoint: "http://collector:4318",
      serviceName: "faseeh-voice-gateway",
      exportDelayMs: 5_000,
    });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com/otlp",
        OTEL_SERVICE_NAME: "voices",
        OTEL_BSP_SCHEDULE_DELAY: "250",
      }).tracing,
    ).toEqual({ endpoint: "https://otel.example.com/otlp", serviceName: "voices", exportDelayMs: 250 });
    const error = configError({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317", OTEL_BSP_SCHEDULE_DELAY: "soon" });
    expect(problemVariables(error).sort()).toEqual(["OTEL_BSP_SCHEDULE_DELAY", "OTEL_EXPORTER_OTLP_ENDPOINT"]);
  });
});

describe("loadConfig database selection", () => {
  it.each(["postgres://u@127.0.0.1:5432/db", "postgresql://u:p@db:5432/db?sslmode=require"])(
    "DATABASE_URL=%s selects postgres with the default pool sizes and read timeout",
    (url) => {
      expect(loadConfig({ DATABASE_URL: url, DATA_DIR: "/ignored" }).database).toEqual({
        kind: "postgres",
        url,
        poolSize: 10,
        readPoolSize: 5,
        readStatementTimeoutMs: 5000,
      });
    },
  );

  it("uses the embedded database when DATABASE_URL is absent", () => {
    expect(loadConfig({ DATA_DIR: "/srv/data" }).database.kind).toBe("embedded");
  });
});

describe("loadConfig: empty strings count as unset", () => {
  it("treats empty DATABASE_URL, FASEEH_API_KEY, HOST and UPLOAD_DIR as not given", () => {
    const config = loadConfig({ DATABASE_URL: "", FASEEH_API_KEY: "", HOST: "", UPLOAD_DIR: "" });
    expect(config.database).toEqual({ kind: "embedded", dataDir: path.resolve(".data") });
    expect(config.upstream.apiKey).toBeUndefined();
    expect(config.host).toBeUndefined();
    expect(config.uploads.dir).toBeUndefined();
  });

  it("treats whitespace-only values as empty", () => {
    const config = loadConfig({ DATABASE_URL: "   ", FASEEH_API_KEY: " \t " });
    expect(config.database.kind).toBe("embedded");
    expect(config.upstream.apiKey).toBeUndefined();
  });

  it("falls back to the defaults for empty numeric variables", () => {
    const config = loadConfig({
      DATABASE_POOL_SIZE: "",
      UPSTREAM_TIMEOUT_MS: "",
      UPSTREAM_CONNECT_TIMEOUT_MS: "",
      MAX_UPLOAD_BYTES: "",
      SHUTDOWN_GRACE_MS: "",
      GRAPHQL_INTROSPECTION: "",
    });
    expect(config.upstream.timeoutMs).toBe(60_000);
    expect(config.upstream.connectTimeoutMs).toBe(10_000);
    expect(config.uploads.maxBytes).toBe(20 * MiB);
    expect(config.shutdownGraceMs).toBe(10_000);
    expect(config.introspection).toBe(true);
  });

  it("falls back to the defaults for empty FASEEH_BASE_URL, DATA_DIR, NODE_ENV and LOG_LEVEL", () => {
    expect(loadConfig({ FASEEH_BASE_URL: "", DATA_DIR: "", NODE_ENV: "", LOG_LEVEL: "" })).toMatchObject({
      env: "development",
      logLevel: "info",
      database: { kind: "embedded", dataDir: path.resolve(".data") },
      upstream: { baseUrl: "https://api.faseeh.ai/api/v1" },
    });
  });

  // `PORT=` in a .env file must mean "the default port", not "port 0" (a
  // random ephemeral port nobody can find).
  it.each(["", "  "])("PORT=%j means the default port 4000", (value) => {
    expect(loadConfig({ PORT: value }).port).toBe(4000);
  });
});

describe("loadConfig normalisation", () => {
  it.each([
    ["https://api.faseeh.ai/api/v1/", "https://api.faseeh.ai/api/v1"],
    ["http://127.0.0.1:9000/api/v1///", "http://127.0.0.1:9000/api/v1"],
    ["  https://api.faseeh.ai/api/v1  ", "https://api.faseeh.ai/api/v1"],
  ])("trims FASEEH_BASE_URL %j to %j", (given, expected) => {
    expect(loadConfig({ FASEEH_BASE_URL: given }).upstream.baseUrl).toBe(expected);
  });

  it("trims surrounding whitespace from numbers and the API key", () => {
    const config = loadConfig({ PORT: " 8080 ", FASEEH_API_KEY: "  key-1  ", MAX_UPLOAD_BYTES: " 10 " });
    expect(config.port).toBe(8080);
    expect(config.upstream.apiKey).toBe("key-1");
    expect(config.uploads.maxBytes).toBe(10);
  });
});

describe("loadConfig result is deeply frozen", () => {
  /** Every object reachable from `value`, with its path. */
  const objectsIn = (value: unknown, at = "config"): Array<[string, object]> =>
    value !== null && typeof value === "object"
      ? [[at, value], ...Object.entries(value).flatMap(([key, inner]) => objectsIn(inner, `${at}.${key}`))]
      : [];

  it.each([
    ["embedded", {}],
    ["postgres", { DATABASE_URL: "postgres://u@h/db", FASEEH_API_KEY: "k" }],
  ])("freezes the config and every nested object (%s)", (_name, env) => {
    const config: Config = loadConfig(env);
    const objects = objectsIn(config);
    expect(objects.map(([at]) => at)).toEqual(
      expect.arrayContaining(["config", "config.database", "config.upstream", "config.uploads"]),
    );
    for (const [at, object] of objects) expect(Object.isFrozen(object), at).toBe(true);
  });

  it("rejects writes (they throw in strict mode, and nothing changes)", () => {
    const config = loadConfig({ FASEEH_API_KEY: "k" });
    expect(Reflect.set(config, "port", 1)).toBe(false);
    expect(Reflect.set(config.upstream, "baseUrl", "http://evil.example")).toBe(false);
    expect(Reflect.set(config.uploads, "maxBytes", 1)).toBe(false);
    expect(Reflect.deleteProperty(config.upstream, "apiKey")).toBe(false);
    expect(() => Object.assign(config.database, { kind: "postgres" })).toThrow(TypeError);
    expect(config.port).toBe(4000);
    expect(config.upstream.baseUrl).toBe("https://api.faseeh.ai/api/v1");
    expect(config.upstream.apiKey).toBe("k");
    expect(config.uploads.maxBytes).toBe(20 * MiB);
    expect(config.database.kind).toBe("embedded");
  });

  it("returns a fresh object per call (freezing one does not affect another)", () => {
    const a = loadConfig({ PORT: "1" });
    const b = loadConfig({ PORT: "2" });
    expect(a).not.toBe(b);
    expect([a.port, b.port]).toEqual([1, 2]);
  });
});

describe("loadConfig validation", () => {
  const SECRET_KEY = "fk_live_SUPER-secret-key-7f3c";
  const SECRET_DB_URL = "mysql://admin:hunter2-db-password@db.internal:3306/catalog";

  it("reports every bad variable in ONE ConfigError", () => {
    const error = configError({
      PORT: "abc",
      FASEEH_BASE_URL: "not-a-url",
      DATABASE_URL: "mysql://x",
      MAX_UPLOAD_BYTES: "0",
      UPSTREAM_TIMEOUT_MS: "1.5",
    });
    expect(error.name).toBe("ConfigError");
    expect(error).toBeInstanceOf(Error);
    expect(problemVariables(error).sort()).toEqual(
      ["DATABASE_URL", "FASEEH_BASE_URL", "MAX_UPLOAD_BYTES", "PORT", "UPSTREAM_TIMEOUT_MS"].sort(),
    );
    // One line each, saying what is wrong.
    const line = (name: string) => error.problems.find((problem) => problem.startsWith(`${name}:`));
    expect(line("PORT")).toContain("must be a number");
    expect(line("FASEEH_BASE_URL")).toContain("http(s) URL");
    expect(line("DATABASE_URL")).toContain("postgres");
    expect(line("MAX_UPLOAD_BYTES")).toContain("greater than 0");
    expect(line("UPSTREAM_TIMEOUT_MS")).toContain("whole number");
    // The message lists them all too, one per line.
    expect(error.message.split("\n")[0]).toBe("Invalid configuration:");
    for (const problem of error.problems) expect(error.message).toContain(`  - ${problem}`);
    expect(error.message.split("\n")).toHaveLength(1 + error.problems.length);
  });

  it("echoes non-secret values so the operator sees what was given", () => {
    const error = configError({ PORT: "abc", FASEEH_BASE_URL: "not-a-url", MAX_UPLOAD_BYTES: "0" });
    expect(error.message).toContain('"abc"');
    expect(error.message).toContain('"not-a-url"');
    expect(error.message).toContain('"0"');
  });

  it("never echoes DATABASE_URL or FASEEH_API_KEY, even when the configuration is invalid", () => {
    const error = configError({
      DATABASE_URL: SECRET_DB_URL,
      FASEEH_API_KEY: SECRET_KEY,
      PORT: "70000",
      FASEEH_BASE_URL: "ftp://files.example",
    });
    expect(problemVariables(error).sort()).toEqual(["DATABASE_URL", "FASEEH_BASE_URL", "PORT"]);
    const everything = [error.message, ...error.problems, String(error.stack)].join("\n");
    expect(everything).not.toContain(SECRET_DB_URL);
    expect(everything).not.toContain("hunter2-db-password");
    expect(everything).not.toContain("db.internal");
    expect(everything).not.toContain(SECRET_KEY);
    expect(everything).toContain("70000");
  });

  it("hides an invalid DATABASE_URL that is not even a URL", () => {
    const error = configError({ DATABASE_URL: "host=db password=hunter2 user=gw" });
    expect(problemVariables(error)).toEqual(["DATABASE_URL"]);
    expect(error.message).not.toContain("hunter2");
  });

  it.each([
    ["PORT", "65536"],
    ["PORT", "-1"],
    ["PORT", "80.5"],
    ["DATABASE_POOL_SIZE", "0"],
    ["UPSTREAM_CONNECT_TIMEOUT_MS", "-5"],
    ["SHUTDOWN_GRACE_MS", "soon"],
    ["MAX_UPLOAD_BYTES", "20MB"],
    ["FASEEH_BASE_URL", "api.faseeh.ai/api/v1"],
    ["FASEEH_BASE_URL", "ftp://api.faseeh.ai"],
    ["DATABASE_URL", "http://db:5432/catalog"],
    ["NODE_ENV", "staging"],
    ["LOG_LEVEL", "verbose"],
    ["GRAPHQL_INTROSPECTION", "yes"],
  ])("rejects %s=%j naming the variable", (name, value) => {
    const error = configError({ [name]: value });
    expect(problemVariables(error)).toContain(name);
    expect(error.problems.every((problem) => problem.startsWith(`${name}:`))).toBe(true);
  });
});
