// What every resolver receives. Built once per request by
// http/graphql-context.ts; resolvers never mutate it (only the HTTP layer and
// Apollo plugins fill in its report).
import type { Logger } from "./logger.js";
import type { ApiKeyService, Principal } from "./services/access/api-key-service.js";
import type { CatalogLoaders } from "./services/catalog/catalog-loaders.js";
import type { CatalogService } from "./services/catalog/catalog-service.js";
import type { CloneAttemptStore } from "./services/clone/clone-attempt-store.js";
import type { CloneService } from "./services/clone/clone-service.js";
import type { ModelCatalog } from "./services/models/model-catalog.js";
import type { PreviewService } from "./services/previews/preview-service.js";
import type { SpeechService } from "./services/speech/speech-service.js";
import type { VoiceCurationService } from "./services/catalog/voice-curation-service.js";

/** What the request's log line says; filled by the HTTP layer and Apollo plugins only. */
export interface RequestReport {
  requestId: string;
  clientName?: string;
  operationName?: string;
  operationType?: string;
  errorCodes: string[];
  /**
   * Set by the response-cache policy plugin: "store" when the answer may be
   * served again to any caller until the catalog changes, "skip" when not
   * this one (it has errors), "never" when the operation is not a catalog read.
   */
  cachePolicy?: "store" | "skip" | "never";
  /** How the response cache took part: served from it, or executed and stored. */
  cache?: "hit" | "stored";
}

export interface GatewayContext {
  readonly requestId: string;
  readonly logger: Logger;
  /**
   * Aborted when the client disconnects. Work may stop with it only while
   * nothing is spent: a clone whose whole request Faseeh has runs to its end.
   */
  readonly signal: AbortSignal;
  /** Where this gateway is reached (PUBLIC_URL, or the request's own origin): the base of URLs it hands out. */
  readonly origin: string;
  /** The `Idempotency-Key` request header, if any. */
  readonly idempotencyKey: string | undefined;
  /** Who is calling: a client API key, or anonymous while the gateway is open. */
  readonly principal: Principal;
  readonly report: RequestReport;
  /** Batched lookups for this request only (DataLoader). */
  readonly loaders: CatalogLoaders;
  readonly services: {
    readonly catalog: CatalogService;
    readonly curation: VoiceCurationService;
    readonly cloning: CloneService;
    readonly previews: PreviewService;
    readonly speech: SpeechService;
    readonly models: ModelCatalog;
    readonly attempts: CloneAttemptStore;
    readonly apiKeys: ApiKeyService;
  };
}
