// What every resolver receives. Built once per request by app.ts and never
// mutated by resolvers.
import type { Logger } from "./logger.js";
import type { CatalogService } from "./services/catalog-service.js";
import type { CloneAttemptStore } from "./services/clone-attempt-store.js";
import type { CloneService } from "./services/clone-service.js";

export interface GatewayContext {
  readonly requestId: string;
  readonly logger: Logger;
  /** Aborted when the client disconnects, so upstream work stops with it. */
  readonly signal: AbortSignal;
  /** The `Idempotency-Key` request header, if any. */
  readonly idempotencyKey: string | undefined;
  readonly services: {
    readonly catalog: CatalogService;
    readonly cloning: CloneService;
    readonly attempts: CloneAttemptStore;
  };
}
