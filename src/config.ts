// The only module that reads process.env. Everything else receives a Config.
// Validation runs once at boot and reports every problem at once, naming each
// variable, so an operator fixes a deployment in one pass instead of several.
import path from "node:path";
import { z } from "zod";

const MiB = 1024 * 1024;

// Empty and blank values never reach these schemas: `loadConfig` drops them
// first, so `FOO=` in a .env file or compose means "not given" everywhere.
const optionalString = z.string().trim().optional();

const wholePositive = z.coerce
  .number<string>({ error: "must be a number" })
  .int("must be a whole number")
  .positive("must be greater than 0");

const positiveInt = (fallback: number) => z.string().trim().default(String(fallback)).pipe(wholePositive);

/** A positive whole number whose default depends on another variable (resolved after parsing). */
const optionalPositiveInt = z.string().trim().pipe(wholePositive).optional();

/** true/false/1/0; unset stays undefined, for a flag whose default depends on another variable. */
const optionalBooleanFlag = z
  .enum(["true", "false", "1", "0"])
  .optional()
  .transform((value) => (value === undefined ? undefined : value === "true" || value === "1"));

/** true/false/1/0, `fallback` when unset. */
const booleanFlag = (fallback: boolean) => optionalBooleanFlag.transform((value) => value ?? fallback);

const httpUrl = z
  .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
  .transform((value) => value.replace(/\/+$/, ""));

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z
    .string()
    .trim()
    .default("4000")
    .pipe(
      z.coerce
        .number<string>({ error: "must be a number" })
        .int("must be a whole number")
        .min(0, "must be a port number (0-65535)")
        .max(65535, "must be a port number (0-65535)"),
    ),
  HOST: optionalString,
  DATABASE_URL: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" }))
    .optional(),
  DATA_DIR: z.string().trim().min(1).default("./.data"),
  DATABASE_POOL_SIZE: positiveInt(10),
  DATABASE_READ_POOL_SIZE: positiveInt(5),
  READ_STATEMENT_TIMEOUT_MS: positiveInt(5_000),
  FASEEH_API_KEY: optionalString,
  FASEEH_BASE_URL: z.string().trim().default("https://api.faseeh.ai/api/v1").pipe(httpUrl),
  FASEEH_PREVIEW_PATH: z
    .string()
    .trim()
    .default("/voices/preview")
    .pipe(z.string().regex(/^\/[\w./-]*$/, 'must be a path under FASEEH_BASE_URL, e.g. "/voices/preview"')),
  MODELS_CACHE_TTL_MS: positiveInt(10 * 60_000),
  MODELS_STALE_MAX_MS: positiveInt(24 * 3_600_000),
  MODELS_TIMEOUT_MS: positiveInt(5_000),
  UPSTREAM_TIMEOUT_MS: positiveInt(60_000),
  UPSTREAM_CONNECT_TIMEOUT_MS: positiveInt(10_000),
  UPSTREAM_MAX_ATTEMPTS: positiveInt(3),
  UPSTREAM_RETRY_MAX_WAIT_MS: positiveInt(10_000),
  UPSTREAM_MAX_CONCURRENCY: positiveInt(4),
  UPSTREAM_MAX_CONCURRENCY_PER_KEY: optionalPositiveInt,
  UPSTREAM_QUEUE_TIMEOUT_MS: positiveInt(30_000),
  MAX_UPLOAD_BYTES: positiveInt(20 * MiB),
  RECOVERY_DIR: optionalString,
  RECOVERY_INTERVAL_MS: positiveInt(30_000),
  IDEMPOTENCY_TTL_HOURS: positiveInt(24),
  PREVIEW_DIR: optionalString,
  PREVIEW_TTL_HOURS: positiveInt(24),
  PREVIEW_URL_SECRET: z.string().trim().min(32, "must be at least 32 characters (e.g. openssl rand -hex 32)").optional(),
  PREVIEW_URL_TTL_SECONDS: positiveInt(3_600),
  PREVIEW_RATE_LIMIT_PER_MINUTE: positiveInt(20),
  PREVIEW_MAX_AUDIO_BYTES: positiveInt(64 * MiB),
  PREVIEW_SWEEP_INTERVAL_MS: positiveInt(10 * 60_000),
  SPEAK_MAX_CHARACTERS: positiveInt(1_000).pipe(z.number().max(10_000, "must be at most 10000")),
  SPEECH_TTL_HOURS: positiveInt(24),
  SPEAK_RATE_LIMIT_PER_MINUTE: positiveInt(30),
  SPEECH_CLAIM_STALE_MS: positiveInt(30_000),
  PUBLIC_URL: httpUrl.optional(),
  UPLOAD_DIR: optionalString,
  UPLOAD_IDLE_TIMEOUT_MS: positiveInt(30_000),
  UPLOAD_DEADLINE_MS: positiveInt(180_000),
  UPLOAD_MIN_BYTES_PER_SECOND: positiveInt(16 * 1024),
  UPLOAD_RATE_GRACE_MS: positiveInt(5_000),
  UPLOAD_RATE_WINDOW_MS: positiveInt(10_000),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  SHUTDOWN_CLONE_GRACE_MS: optionalPositiveInt,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  GRAPHQL_INTROSPECTION: booleanFlag(false),
  ALLOW_ANONYMOUS: booleanFlag(false),
  CLONE_RATE_LIMIT_PER_MINUTE: positiveInt(10),
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
  CORS_ORIGINS: optionalString,
  EXPLORER: optionalBooleanFlag,
  METRICS_TOKEN: z.string().trim().min(16, "must be at least 16 characters (e.g. openssl rand -hex 32)").optional(),
  MAX_JSON_BODY_BYTES: positiveInt(1024 * 1024),
  GRAPHQL_MAX_DEPTH: positiveInt(8),
  GRAPHQL_MAX_ALIASES: positiveInt(15),
  GRAPHQL_MAX_TOKENS: positiveInt(2000),
  GRAPHQL_MAX_DIRECTIVES: positiveInt(10),
  GRAPHQL_MAX_COST: positiveInt(5_000),
  RESPONSE_CACHE: booleanFlag(true),
  RESPONSE_CACHE_MAX_BYTES: positiveInt(64 * MiB),
  CATALOG_EXACT_COUNT_LIMIT: positiveInt(10_000),
  CATALOG_FACET_SAMPLE_LIMIT: positiveInt(500),
  FEDERATION: booleanFlag(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_SERVICE_NAME: z.string().trim().default("faseeh-voice-gateway"),
  OTEL_BSP_SCHEDULE_DELAY: positiveInt(5_000),
});

/** Every variable the gateway reads, for deployment files to be checked against (test/deploy/kubernetes.test.ts). */
export const CONFIG_VARIABLES: ReadonlySet<string> = new Set(Object.keys(envSchema.shape));

/** Rules between variables, checked once each variable they involve is valid on its own. */
const SHARE_VARIABLES = new Set<PropertyKey>(["UPSTREAM_MAX_CONCURRENCY", "UPSTREAM_MAX_CONCURRENCY_PER_KEY"]);
const checkedEnvSchema = envSchema.superRefine(
  (e, ctx) => {
    const share = e.UPSTREAM_MAX_CONCURRENCY_PER_KEY;
    if (share !== undefined && share > e.UPSTREAM_MAX_CONCURRENCY) {
      ctx.addIssue({
        code: "custom",
        path: ["UPSTREAM_MAX_CONCURRENCY_PER_KEY"],
        message: `must be at most UPSTREAM_MAX_CONCURRENCY (${e.UPSTREAM_MAX_CONCURRENCY}): one key cannot hold more slots than there are`,
      });
    }
  },
  { when: ({ issues }) => !issues.some((issue) => SHARE_VARIABLES.has(issue.path?.[0] ?? "")) },
);

export type Config = Readonly<{
  env: "development" | "production" | "test";
  host: string | undefined;
  port: number;
  database: Readonly<
    | { kind: "postgres"; url: string; poolSize: number; readPoolSize: number; readStatementTimeoutMs: number }
    | { kind: "embedded"; dataDir: string }
  >;
  upstream: Readonly<{
    apiKey: string | undefined;
    baseUrl: string;
    timeoutMs: number;
    connectTimeoutMs: number;
    /** Total tries for a call that upstream certainly did not act on. */
    maxAttempts: number;
    /** A Retry-After longer than this is returned to the client instead of waited out. */
    retryMaxWaitMs: number;
    maxConcurrency: number;
    /** Of those, the most one client key may hold (an open gateway's anonymous callers may hold all). */
    maxConcurrencyPerKey: number;
    queueTimeoutMs: number;
    /** Faseeh's preview call, under baseUrl (not in our copy of the reference, so configurable). */
    previewPath: string;
    /** The whole `GET /models` call, answer included. */
    modelsTimeoutMs: number;
  }>;
  /** Faseeh's model list (`GET /models`), cached in-process (src/services/models/model-catalog.ts). */
  models: Readonly<{
    cacheTtlMs: number;
    /** After a failed refresh, a list at most this old is still served, marked stale. */
    staleMaxMs: number;
  }>;
  /** Voice previews (src/services/previews/preview-service.ts): kept on disk, served by a signed URL. */
  previews: Readonly<{
    dir: string;
    ttlHours: number;
    /** HMAC key of the audio URLs' tokens; undefined: a random one per process (URLs die with it). */
    urlSecret: string | undefined;
    urlTtlSeconds: number;
    rateLimitPerMinute: number;
    /** Faseeh's preview answer is refused beyond this many bytes. */
    maxAudioBytes: number;
    sweepIntervalMs: number;
  }>;
  /** Speech (src/services/speech/): its audio kept beside previews, signed and served like theirs. */
  speech: Readonly<{
    /** `speak`'s text is refused beyond this many characters (Unicode code points). */
    maxCharacters: number;
    ttlHours: number;
    /** `speak`s per client key per minute not answered from kept audio. */
    rateLimitPerMinute: number;
    /** A call's claim not renewed for this long is taken over by another request (its process died). */
    staleClaimMs: number;
  }>;
  /** The gateway's public origin for URLs it hands out; undefined: taken from each request's Host. */
  publicUrl: string | undefined;
  recovery: Readonly<{ dir: string; intervalMs: number }>;
  idempotencyTtlHours: number;
  uploads: Readonly<{
    maxBytes: number;
    dir: string | undefined;
    /** A request's uploads fail after this long without a byte. */
    idleTimeoutMs: number;
    /** ... or when they are not complete this long after the clone started. */
    deadlineMs: number;
    /** ... or when, past a grace, the bytes they sent over a window of waiting for them average less. */
    minRate: Readonly<{ bytesPerSecond: number; graceMs: number; windowMs: number }>;
  }>;
  /** How long SIGTERM waits for in-flight HTTP requests once clones are settled. */
  shutdownGraceMs: number;
  /** How long SIGTERM waits for clones whose whole request Faseeh already has. */
  shutdownCloneGraceMs: number;
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  introspection: boolean;
  auth: Readonly<{ allowAnonymous: boolean; cloneRateLimitPerMinute: number; keyCacheTtlMs: number }>;
  /** Bearer token /metrics requires. Unset: /metrics is open outside production and not served in production. */
  metricsToken: string | undefined;
  /** Browser origins allowed by CORS; empty: no cross-origin browser access. */
  corsOrigins: readonly string[];
  /** Serve the offline GraphQL explorer (Altair) at /explorer; default: outside production only. */
  explorer: boolean;
  limits: Readonly<{ jsonBodyBytes: number; depth: number; aliases: number; tokens: number; directives: number; cost: number }>;
  /**
   * The cache of catalog read responses (src/http/response-cache.ts), on
   * unless RESPONSE_CACHE=false, keyed by the request and the catalog's
   * version in PostgreSQL.
   */
  responseCache: Readonly<{ enabled: boolean; maxBytes: number }>;
  /**
   * `totalCount` under filters the facet rollups cannot answer (search, name, dates, several tags) is exact up
   * to this many voices, then estimated; `voiceFacets` under those counts at most `facetSampleLimit` voices.
   */
  catalog: Readonly<{ exactCountLimit: number; facetSampleLimit: number }>;
  /** Serve the schema as an Apollo Federation 2 subgraph (src/graphql/subgraph.ts); off unless FEDERATION=true. */
  federation: boolean;
  /**
   * OpenTelemetry traces over OTLP/HTTP (src/observability/tracing.ts), only
   * when OTEL_EXPORTER_OTLP_ENDPOINT is set; undefined: no SDK is loaded.
   */
  tracing: Readonly<{ endpoint: string; serviceName: string; exportDelayMs: number }> | undefined;
}>;

/** Thrown when the environment is invalid; `problems` has one line per variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((line) => `  - ${line}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const e = parseEnv(env);
  const config: Config = {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    database: databaseConfig(e),
    upstream: upstreamConfig(e),
    models: { cacheTtlMs: e.MODELS_CACHE_TTL_MS, staleMaxMs: e.MODELS_STALE_MAX_MS },
    previews: previewsConfig(e),
    speech: {
      maxCharacters: e.SPEAK_MAX_CHARACTERS,
      ttlHours: e.SPEECH_TTL_HOURS,
      rateLimitPerMinute: e.SPEAK_RATE_LIMIT_PER_MINUTE,
      staleClaimMs: e.SPEECH_CLAIM_STALE_MS,
    },
    publicUrl: e.PUBLIC_URL,
    recovery: {
      dir: path.resolve(e.RECOVERY_DIR ?? path.join(e.DATA_DIR, "recovery")),
      intervalMs: e.RECOVERY_INTERVAL_MS,
    },
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    uploads: {
      maxBytes: e.MAX_UPLOAD_BYTES,
      dir: e.UPLOAD_DIR,
      idleTimeoutMs: e.UPLOAD_IDLE_TIMEOUT_MS,
      deadlineMs: e.UPLOAD_DEADLINE_MS,
      minRate: {
        bytesPerSecond: e.UPLOAD_MIN_BYTES_PER_SECOND,
        graceMs: e.UPLOAD_RATE_GRACE_MS,
        windowMs: e.UPLOAD_RATE_WINDOW_MS,
      },
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    shutdownCloneGraceMs: e.SHUTDOWN_CLONE_GRACE_MS ?? e.UPSTREAM_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    introspection: e.GRAPHQL_INTROSPECTION || e.NODE_ENV !== "production",
    auth: {
      allowAnonymous: e.ALLOW_ANONYMOUS,
      cloneRateLimitPerMinute: e.CLONE_RATE_LIMIT_PER_MINUTE,
      keyCacheTtlMs: e.API_KEY_CACHE_TTL_MS,
    },
    metricsToken: e.METRICS_TOKEN,
    corsOrigins: originsOf(e.CORS_ORIGINS),
    explorer: e.EXPLORER ?? e.NODE_ENV !== "production",
    limits: limitsConfig(e),
    responseCache: { enabled: e.RESPONSE_CACHE, maxBytes: e.RESPONSE_CACHE_MAX_BYTES },
    catalog: { exactCountLimit: e.CATALOG_EXACT_COUNT_LIMIT, facetSampleLimit: e.CATALOG_FACET_SAMPLE_LIMIT },
    federation: e.FEDERATION,
    tracing: tracingConfig(e),
  };
  return deepFreeze(config);
}

type Env = z.output<typeof checkedEnvSchema>;

function limitsConfig(e: Env): Config["limits"] {
  return {
    jsonBodyBytes: e.MAX_JSON_BODY_BYTES,
    depth: e.GRAPHQL_MAX_DEPTH,
    aliases: e.GRAPHQL_MAX_ALIASES,
    tokens: e.GRAPHQL_MAX_TOKENS,
    directives: e.GRAPHQL_MAX_DIRECTIVES,
    cost: e.GRAPHQL_MAX_COST,
  };
}

/** The environment, checked: every problem at once, one line per variable. */
function parseEnv(env: Record<string, string | undefined>): Env {
  // `FOO=` (in a .env file, compose, or a shell) means "not set": use the default.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""));
  const parsed = checkedEnvSchema.safeParse(given);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path.join(".");
    // Echo the offending value only where it cannot be a secret.
    const secret = /KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL/.test(name);
    const value = env[name];
    const shown = secret || value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
    return `${name}: ${issue.message}${shown}`;
  });
  throw new ConfigError(problems);
}

function databaseConfig(e: Env): Config["database"] {
  return e.DATABASE_URL
    ? {
        kind: "postgres",
        url: e.DATABASE_URL,
        poolSize: e.DATABASE_POOL_SIZE,
        readPoolSize: e.DATABASE_READ_POOL_SIZE,
        readStatementTimeoutMs: e.READ_STATEMENT_TIMEOUT_MS,
      }
    : { kind: "embedded", dataDir: path.resolve(e.DATA_DIR) };
}

function previewsConfig(e: Env): Config["previews"] {
  return {
    dir: path.resolve(e.PREVIEW_DIR ?? path.join(e.DATA_DIR, "previews")),
    ttlHours: e.PREVIEW_TTL_HOURS,
    urlSecret: e.PREVIEW_URL_SECRET,
    urlTtlSeconds: e.PREVIEW_URL_TTL_SECONDS,
    rateLimitPerMinute: e.PREVIEW_RATE_LIMIT_PER_MINUTE,
    maxAudioBytes: e.PREVIEW_MAX_AUDIO_BYTES,
    sweepIntervalMs: e.PREVIEW_SWEEP_INTERVAL_MS,
  };
}

/** Traces only when an OTLP endpoint is given: no endpoint, no SDK (see main.ts). */
function tracingConfig(e: Env): Config["tracing"] {
  if (!e.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME, exportDelayMs: e.OTEL_BSP_SCHEDULE_DELAY };
}

function upstreamConfig(e: Env): Config["upstream"] {
  return {
    apiKey: e.FASEEH_API_KEY,
    baseUrl: e.FASEEH_BASE_URL,
    timeoutMs: e.UPSTREAM_TIMEOUT_MS,
    connectTimeoutMs: e.UPSTREAM_CONNECT_TIMEOUT_MS,
    maxAttempts: e.UPSTREAM_MAX_ATTEMPTS,
    retryMaxWaitMs: e.UPSTREAM_RETRY_MAX_WAIT_MS,
    maxConcurrency: e.UPSTREAM_MAX_CONCURRENCY,
    maxConcurrencyPerKey: e.UPSTREAM_MAX_CONCURRENCY_PER_KEY ?? Math.max(1, Math.floor(e.UPSTREAM_MAX_CONCURRENCY / 2)),
    queueTimeoutMs: e.UPSTREAM_QUEUE_TIMEOUT_MS,
    previewPath: e.FASEEH_PREVIEW_PATH.replace(/\/+$/, ""),
    modelsTimeoutMs: e.MODELS_TIMEOUT_MS,
  };
}

/** CORS_ORIGINS, comma-separated, each without a trailing slash (as browsers send Origin). */
const originsOf = (list: string | undefined): string[] =>
  (list ?? "")
    .split(",")
    .map((origin) => origin.trim().replace(/\/+$/, ""))
    .filter(Boolean);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
