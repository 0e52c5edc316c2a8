// Faseeh's model list, kept in memory: its reference recommends caching it,
// since models change rarely, and every clone and preview checks its model
// against it before anything is spent.
//
// - Fresh for MODELS_CACHE_TTL_MS; then the next reader refreshes it (one
//   call however many readers wait).
// - A refresh that fails keeps the last list, served marked stale, for up to
//   MODELS_STALE_MAX_MS after it was fetched; after that the failure is the
//   answer. A failure is remembered for a few seconds, so that a Faseeh that
//   is down is not asked again by every clone.
// - The check (`checkModel`) refuses an id missing from a list it has; when
//   no list can be had it lets the call go ahead, as before the check existed.
import { type Clock, systemClock } from "../../clock.js";
import type { Config } from "../../config.js";
import { badUserInput, errorMessage, GatewayError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { FaseehClient, UpstreamModel } from "../../upstream/faseeh-client.js";

export interface ModelListing {
  models: readonly UpstreamModel[];
  fetchedAt: Date;
  /** True when this is the last list fetched and a refresh has failed since (`staleReason` says why). */
  stale: boolean;
  staleReason: string | undefined;
}

/** How long a failed refresh is remembered before Faseeh is asked again. */
const FAILURE_MEMORY_MS = 5_000;

export class ModelCatalog {
  private cached: { models: readonly UpstreamModel[]; fetchedAt: number } | undefined;
  private failure: { error: GatewayError; at: number } | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly faseeh: Pick<FaseehClient, "listModels" | "isConfigured">,
    private readonly config: Config["models"],
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The list, fresh or (after a failed refresh, within the bound) stale; throws when neither can be had. */
  async list(): Promise<ModelListing> {
    const now = this.clock.now();
    if (!this.isFresh(now) && !this.failedRecently(now)) await this.refresh();
    const cached = this.cached;
    if (cached && this.isFresh(this.clock.now())) {
      return { models: cached.models, fetchedAt: new Date(cached.fetchedAt), stale: false, staleReason: undefined };
    }
    if (cached && this.clock.now() - cached.fetchedAt <= this.config.staleMaxMs) {
      return {
        models: cached.models,
        fetchedAt: new Date(cached.fetchedAt),
        stale: true,
        staleReason: this.failure?.error.message ?? "the list is past its time to live and could not be refreshed",
      };
    }
    throw this.failure?.error ?? new GatewayError("UPSTREAM_UNAVAILABLE", "Faseeh's model list could not be read.");
  }

  /**
   * Refuses `modelId` with BAD_USER_INPUT (naming the valid ids) when a list
   * is available and lacks it. Never throws for want of a list.
   */
  async checkModel(field: string, modelId: string): Promise<void> {
    if (!this.faseeh.isConfigured) return;
    let listing: ModelListing;
    try {
      listing = await this.list();
    } catch (error) {
      this.logger.warn({ err: errorMessage(error) }, "model list unavailable; the model is not checked");
      return;
    }
    if (listing.models.length === 0 || listing.models.some((model) => model.modelId === modelId)) return;
    const valid = listing.models.map((model) => model.modelId).join(", ");
    throw badUserInput(field, `\`${field}\` ${JSON.stringify(modelId)} is not a Faseeh model. Valid ids: ${valid}.`);
  }

  /** Forgets the list and any failure (tests reset their fake Faseeh's models with this). */
  clear(): void {
    this.cached = undefined;
    this.failure = undefined;
  }

  private isFresh(now: number): boolean {
    return this.cached !== undefined && now - this.cached.fetchedAt < this.config.cacheTtlMs;
  }

  private failedRecently(now: number): boolean {
    return this.failure !== undefined && now - this.failure.at < FAILURE_MEMORY_MS;
  }

  /** One call to Faseeh for every reader waiting; never throws (the failure is kept for `list`). */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const models = await this.faseeh.listModels();
        this.cached = { models, fetchedAt: this.clock.now() };
        this.failure = undefined;
      } catch (error) {
        const failure = error instanceof GatewayError ? error : new GatewayError("UPSTREAM_UNAVAILABLE", errorMessage(error));
        this.failure = { error: failure, at: this.clock.now() };
        this.logger.warn({ err: failure.message, code: failure.code }, "could not refresh Faseeh's model list");
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
