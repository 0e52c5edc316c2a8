// Everything the gateway needs, built once at boot from a Config. Tests build
// the very same container with another Config (a fresh database, a fake
// upstream), so what they exercise is what runs in production. It starts no
// background work (main.ts does, background-work.ts); each piece registers
// its stop step in the shutdown registry.
import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { type Database, openDatabase } from "./db/database.js";
import { migrate } from "./db/migrator.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, type Metrics, registerGauge } from "./metrics.js";
import { ANONYMOUS_OWNER, ApiKeyService, KEY_REVOKED_CHANNEL } from "./services/access/api-key-service.js";
import { CatalogService } from "./services/catalog/catalog-service.js";
import { CatalogVersion } from "./services/catalog/catalog-version.js";
import { CloneAttemptStore } from "./services/clone/clone-attempt-store.js";
import { CloneRecoveryService } from "./services/clone/clone-recovery-service.js";
import { CloneService } from "./services/clone/clone-service.js";
import { ConcurrencyLimiter } from "./services/access/concurrency-limiter.js";
import { ModelCatalog } from "./services/models/model-catalog.js";
import { PreviewService } from "./services/previews/preview-service.js";
import { PreviewStore } from "./services/previews/preview-store.js";
import { AudioUrlSigner } from "./services/audio/audio-url-signer.js";
import type { AudioShelves } from "./services/audio/kept-audio.js";
import { SpeechService } from "./services/speech/speech-service.js";
import { SpeechStore } from "./services/speech/speech-store.js";
import { RateLimitService } from "./services/access/rate-limit-service.js";
import { AbandonedUploadSweeper, sessionAgeBoundMs } from "./services/uploads/abandoned-uploads.js";
import { uploadsBaseDir } from "./services/uploads/upload-session.js";
import { VoiceCurationService } from "./services/catalog/voice-curation-service.js";
import { VoiceJournal } from "./services/clone/voice-journal.js";
import { ShutdownRegistry } from "./shutdown-registry.js";
import { FaseehClient } from "./upstream/faseeh-client.js";

export interface Container {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly faseeh: FaseehClient;
  readonly catalog: CatalogService;
  readonly catalogVersion: CatalogVersion;
  readonly curation: VoiceCurationService;
  readonly cloning: CloneService;
  readonly models: ModelCatalog;
  readonly previews: PreviewService;
  readonly speech: SpeechService;
  /** Signs and checks the URLs of every kind of kept audio (previews, speech). */
  readonly audioUrls: AudioUrlSigner;
  /** Each kind's kept audio, for the one audio route. */
  readonly audioShelves: AudioShelves;
  readonly attempts: CloneAttemptStore;
  readonly recovery: CloneRecoveryService;
  readonly limiter: ConcurrencyLimiter;
  readonly apiKeys: ApiKeyService;
  readonly rateLimits: RateLimitService;
  readonly metrics: Metrics;
  /** Where the app and the services register their stop steps; close() runs them. */
  readonly shutdown: ShutdownRegistry;
  /** Runs the shutdown registry (every registered step, in SHUTDOWN_ORDER), once. */
  close(): Promise<void>;
}

export interface ContainerOptions {
  logger?: Logger;
  /** Who opens the database (named to a process refused the embedded one): "gateway" or the command. */
  role?: string;
  /** What the services read the time from (default: the system's); tests pass one they move. */
  clock?: Clock;
}

/** Opens the database, applies pending migrations, and wires the services. */
export async function createContainer(config: Config, options: ContainerOptions = {}): Promise<Container> {
  const logger = options.logger ?? createLogger(config);
  const db = await openMigratedDatabase(config, logger, options.role ?? "gateway");
  const metrics = createMetrics();
  const faseeh = new FaseehClient(config.upstream, logger, metrics);
  const catalog = new CatalogService(db, config.catalog);
  const catalogVersion = new CatalogVersion(db);
  // Edits are writes: they go through Prisma's pool, not the catalog's read pool and its statement timeout.
  const curation = new VoiceCurationService(db.prisma);
  const { apiKeys, revocations } = wireApiKeys(config, db, logger);
  const services = wireServices({ config, logger, db, metrics, faseeh, catalog, clock: options.clock ?? systemClock });
  const { limiter, previews, speech, recovery } = services;
  registerGauge(metrics, "gateway_database_pool_connections", "Database connections by state.", () => db.poolStats());
  registerGauge(metrics, "gateway_clone_queue", "Clone calls running against Faseeh and waiting for a slot.", () => ({
    running: limiter.running,
    waiting: limiter.waiting,
  }));

  const shutdown = new ShutdownRegistry(logger);
  shutdown.register("preview timers", () => {
    previews.stop();
    speech.stop();
  });
  shutdown.register("recovery passes", () => recovery.stop());
  shutdown.register("key revocations", () => revocations.close());
  shutdown.register("upstream pool", () => faseeh.close(), { warnOnFailure: "closing upstream pool failed" });
  shutdown.register("database", () => db.close());
  return {
    config,
    logger,
    db,
    faseeh,
    catalog,
    catalogVersion,
    curation,
    apiKeys,
    metrics,
    ...services,
    shutdown,
    close: () => shutdown.run(),
  };
}

/** The database, with pending migrations applied; closed again if they fail. */
async function openMigratedDatabase(config: Config, logger: Logger, role: string): Promise<Database> {
  const db = await openDatabase(config, logger, { role });
  try {
    await migrate(db, logger);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}

/** Client keys, and the connection that tells this process of revocations anywhere. */
function wireApiKeys(config: Config, db: Database, logger: Logger) {
  // Verified client keys are trusted from memory only while revocations reach this process: a
  // revocation anywhere is announced on KEY_REVOKED_CHANNEL and forgotten here at once.
  const revocations = db.listen(KEY_REVOKED_CHANNEL, {
    onMessage: (id) => {
      apiKeys.forget(id);
      // The key's id (never the key): an operator, or a test, sees the revocation reach each replica.
      logger.info({ keyId: id }, "client key revoked: no longer trusted here");
    },
    onReset: () => apiKeys.forgetAll(),
  });
  const apiKeys: ApiKeyService = new ApiKeyService(db.prisma, {
    production: config.env === "production",
    allowAnonymous: config.auth.allowAnonymous,
    cacheTtlMs: config.auth.keyCacheTtlMs,
    revocationsLive: () => revocations.live,
    keysCommandWhileServing: db.kind === "postgres",
  });
  return { apiKeys, revocations };
}

interface WiringBase {
  config: Config;
  logger: Logger;
  db: Database;
  metrics: Metrics;
  faseeh: FaseehClient;
  catalog: CatalogService;
  clock: Clock;
}

/** Cloning, previews, the model list and recovery, with the limits they share. */
function wireServices({ config, logger, db, metrics, faseeh, catalog, clock }: WiringBase) {
  const rateLimits = new RateLimitService(db.prisma, clock);
  const attempts = new CloneAttemptStore(db.prisma);
  const journal = new VoiceJournal(config.recovery.dir, logger);
  const previewStore = new PreviewStore(db.prisma, config.previews, logger);
  // A process killed mid-upload leaves its uploads' directories: each recovery pass removes them.
  const abandonedUploads = new AbandonedUploadSweeper([uploadsBaseDir(config.uploads), previewStore.stagingDir], {
    maxSessionAgeMs: sessionAgeBoundMs(config),
    logger,
  });
  const recovery = new CloneRecoveryService(journal, attempts, faseeh, config, logger, abandonedUploads);
  // One cap on the calls Faseeh bills, clones and previews alike, and a share of it per client key.
  // Anonymous callers exist only while the gateway is open, when no key does: no other key to be fair to.
  const { maxConcurrency, queueTimeoutMs, maxConcurrencyPerKey } = config.upstream;
  const limiter = new ConcurrencyLimiter(maxConcurrency, queueTimeoutMs, (owner) =>
    owner === ANONYMOUS_OWNER ? maxConcurrency : maxConcurrencyPerKey,
  );
  const models = new ModelCatalog(faseeh, config.models, logger, clock);
  if (!config.previews.urlSecret && config.env === "production") {
    logger.warn("PREVIEW_URL_SECRET is not set: preview audio URLs stop working at a restart and on other replicas");
  }
  const audioUrls = new AudioUrlSigner(config.previews.urlSecret, config.previews.urlTtlSeconds, clock);
  const previews = new PreviewService({
    faseeh,
    models,
    store: previewStore,
    signer: audioUrls,
    limiter,
    rateLimits,
    config,
    logger,
  });
  const cloning = new CloneService({
    faseeh,
    catalog,
    attempts,
    journal,
    recovery,
    models,
    previews,
    limiter,
    rateLimits,
    metrics,
    config,
    logger,
  });
  const speech = wireSpeech({ config, logger, db, metrics, faseeh, catalog, models, audioUrls, limiter, rateLimits });
  const audioShelves: AudioShelves = { previews: previews.shelf, speech: speech.shelf };
  return { rateLimits, attempts, recovery, limiter, models, previews, speech, audioUrls, audioShelves, cloning };
}

/** Speech, beside previews: the same directory, signer, concurrency cap and upstream client. */
function wireSpeech(
  deps: Omit<WiringBase, "clock"> & {
    models: ModelCatalog;
    audioUrls: AudioUrlSigner;
    limiter: ConcurrencyLimiter;
    rateLimits: RateLimitService;
  },
): SpeechService {
  const { config, db, logger } = deps;
  // Renewed every third of it while the call runs (speech-service.ts).
  const { staleClaimMs } = config.speech;
  const store = new SpeechStore(db.prisma, { dir: config.previews.dir, ttlHours: config.speech.ttlHours, staleClaimMs }, logger);
  return new SpeechService({ ...deps, store, signer: deps.audioUrls });
}
