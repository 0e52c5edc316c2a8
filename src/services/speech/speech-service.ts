// Hearing a catalog voice say a line: `speak`, through Faseeh's
// text-to-speech, paid once per distinct request. Everything a refusal needs
// (the input, the voice in the catalog and not archived, the model) is
// checked before Faseeh is contacted. Then:
//   - audio kept for the same request (speech-input.ts's hash) answers at
//     once, `cached: true`, with no call and no rate limit counted;
//   - otherwise identical requests in this process share one production, and
//     across processes PostgreSQL decides (the unique request hash,
//     speech-store.ts): one claims and calls, the others wait for its audio;
//   - the call shares the Faseeh concurrency cap and per-key share with
//     clones and previews, streams PCM to disk (flat memory), and runs to its
//     end whoever is still waiting: audio Faseeh produced and billed is kept
//     for the next identical request, even if its client left.
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../../config.js";
import { errorMessage, GatewayError, isErrorCode } from "../../errors.js";
import type { SpeakInput } from "../../generated/graphql.js";
import type { Logger } from "../../logger.js";
import type { Metrics } from "../../metrics.js";
import { type FaseehClient, notConfigured } from "../../upstream/faseeh-client.js";
import { pcmDurationSeconds } from "../../upstream/pcm-format.js";
import { ownerOf, type Principal } from "../access/api-key-service.js";
import type { ConcurrencyLimiter } from "../access/concurrency-limiter.js";
import type { RateLimitService } from "../access/rate-limit-service.js";
import type { AudioUrlSigner, SignedAudioUrl } from "../audio/audio-url-signer.js";
import type { AudioShelf } from "../audio/kept-audio.js";
import type { CatalogService } from "../catalog/catalog-service.js";
import type { ModelCatalog } from "../models/model-catalog.js";
import { decodeSpeechCursor, encodeSpeechCursor, parseSpeechPageSize } from "./speech-cursor.js";
import { characterCount, parseSpeakInput, type SpeechRequest, speechRequestHash } from "./speech-input.js";
import { readyAudio, type SpeechAudioRecord, type SpeechRecord, type SpeechStore } from "./speech-store.js";

/** How often a process waiting on another's call looks again. */
const POLL_MS = 150;
/** How often a running call renews its claim: well within the stale bound. */
const RENEW_FRACTION = 3;

export interface SpeechServiceDeps {
  faseeh: FaseehClient;
  catalog: Pick<CatalogService, "getVoice">;
  models: Pick<ModelCatalog, "checkModel">;
  store: SpeechStore;
  signer: AudioUrlSigner;
  limiter: ConcurrencyLimiter;
  rateLimits: RateLimitService;
  metrics: Pick<Metrics, "speechCalls" | "speechCacheHits" | "speechCharacters">;
  config: Pick<Config, "speech" | "previews" | "upstream">;
  logger: Logger;
}

/** A speech as the API shows it: the answer, its audio, its length and a freshly signed URL. */
export interface SpeechView {
  id: string;
  voiceId: string;
  text: string;
  modelId: string;
  stability: number;
  speed: number;
  characters: number;
  durationSeconds: number;
  audio: SignedAudioUrl;
  expiresAt: Date;
  cached: boolean;
  createdAt: Date;
  cursor: string;
}

export interface SpeechPage {
  nodes: SpeechView[];
  hasNextPage: boolean;
}

/** What one production gave: the READY audio, and whether this process called Faseeh for it. */
interface Produced {
  audio: SpeechAudioRecord;
  called: boolean;
}

export class SpeechService {
  /** This process's productions by request hash: identical requests here share one. */
  private readonly productions = new Map<string, Promise<Produced>>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SpeechServiceDeps) {}

  /** Checks, then answers from kept audio or has Faseeh speak (once for every identical request). */
  async speak(input: SpeakInput, principal: Principal | undefined): Promise<SpeechRecord> {
    const { faseeh, store, rateLimits, config, metrics } = this.deps;
    if (!faseeh.isConfigured) throw notConfigured();
    const request = await this.decide(input);
    const hash = speechRequestHash(request);
    const owner = ownerOf(principal);
    const kept = await store.findByHash(hash);
    if (kept && isLive(kept) && (await store.hasAudio(kept))) {
      metrics.speechCacheHits.inc();
      return store.recordAnswer(owner, kept, true);
    }
    // Requests not answered from kept audio count against the key's limit (joining a call in flight too:
    // whether one is in flight is known only later, on another replica).
    await rateLimits.consume(`speak:${owner}`, config.speech.rateLimitPerMinute, 60_000, "speech requests");
    const joined = this.productions.get(hash);
    const production = joined ?? this.startProduction(request, hash, owner, kept);
    const { audio, called } = await production;
    const cached = joined !== undefined || !called;
    if (cached) metrics.speechCacheHits.inc();
    return store.recordAnswer(owner, audio, cached);
  }

  /** The input checked, and every setting decided: the voice's own model and stability unless given. */
  private async decide(input: SpeakInput): Promise<SpeechRequest> {
    const fields = parseSpeakInput(input, this.deps.config.speech.maxCharacters);
    const voice = await this.deps.catalog.getVoice({ voiceId: fields.voiceId });
    if (!voice) {
      throw new GatewayError(
        "NOT_FOUND",
        `No voice with voiceId ${JSON.stringify(fields.voiceId)} is in the catalog (see \`voices\`).`,
        { field: "input.voiceId" },
      );
    }
    if (voice.archivedAt) {
      throw new GatewayError(
        "VOICE_ARCHIVED",
        `The voice ${JSON.stringify(voice.name)} (voiceId ${JSON.stringify(voice.voiceId)}) is archived; ` +
          "restore it with `restoreVoice` to speak with it. Nothing was sent to Faseeh.",
        { field: "input.voiceId", archivedAt: voice.archivedAt.toISOString() },
      );
    }
    const modelId = fields.modelId ?? voice.model;
    await this.deps.models.checkModel("input.modelId", modelId);
    return { ...fields, voiceId: voice.voiceId, modelId, stability: fields.stability ?? voice.stability };
  }

  /** One production for `hash` in this process, left once settled; it runs to its end whoever still waits. */
  private startProduction(
    request: SpeechRequest,
    hash: string,
    owner: string,
    seen: SpeechAudioRecord | null,
  ): Promise<Produced> {
    const production = this.obtain(request, hash, owner, seen).finally(() => this.productions.delete(hash));
    this.productions.set(hash, production);
    return production;
  }

  /**
   * The READY audio for `hash`: kept already, made by another process (waited
   * for), or made here after claiming the request. A row in the way (expired,
   * or a dead process's claim) is settled first. `seen` is the row `speak`
   * just read, looked at first rather than read again.
   */
  private async obtain(request: SpeechRequest, hash: string, owner: string, seen: SpeechAudioRecord | null): Promise<Produced> {
    const { store, config } = this.deps;
    const deadline = Date.now() + config.upstream.queueTimeoutMs + config.upstream.timeoutMs * config.upstream.maxAttempts;
    // Set once this process called Faseeh but lost its claim to another (see SpeechStore.keep).
    let called = false;
    // The claim this request waits on: should its call fail, its error is this request's answer too.
    let waitedOn: string | undefined;
    for (let row = seen; ; row = await store.findByHash(hash)) {
      if (row?.status === "FAILED" && row.id === waitedOn) throw failureOf(row);
      if (row && isLive(row)) {
        if (await store.hasAudio(row)) return { audio: row, called };
        // Its audio is gone from disk (PREVIEW_DIR lost): only a new call answers this request now.
        await store.dropLost(row);
        continue;
      }
      if (!row) {
        const claimed = await store.claim(request, hash);
        if (!claimed) continue;
        const made = await this.produce(claimed, request, owner);
        if (made) return { audio: made, called: true };
        called = true;
        continue;
      }
      if (await store.settle(row)) continue;
      if (Date.now() > deadline) throw stillRunning();
      waitedOn = row.id;
      await sleep(POLL_MS);
    }
  }

  /** Calls Faseeh for a claimed request (renewing the claim meanwhile) and keeps its audio; a failure keeps nothing. */
  private async produce(id: string, request: SpeechRequest, owner: string): Promise<SpeechAudioRecord | null> {
    const { faseeh, limiter, store, config, metrics, logger } = this.deps;
    const renew = setInterval(
      () =>
        void store
          .renewClaim(id)
          .catch((error: unknown) => logger.warn({ err: errorMessage(error) }, "renewing a speech claim failed")),
      this.deps.config.speech.staleClaimMs / RENEW_FRACTION,
    );
    renew.unref();
    const characters = characterCount(request.text);
    try {
      const audio = await limiter
        .run(() => faseeh.speak({ ...request, audioPath: store.partPath(id), maxAudioBytes: config.previews.maxAudioBytes }), {
          owner,
        })
        .catch(async (error: unknown) => {
          const unknown = error instanceof GatewayError && error.upstreamOutcome === "unknown";
          metrics.speechCalls.inc({ outcome: unknown ? "unknown" : "failed" });
          // Faseeh may have billed a call whose outcome is unknown.
          if (unknown) metrics.speechCharacters.inc(characters);
          await store
            .releaseClaim(id, recordedFailure(error))
            .catch((cause: unknown) =>
              logger.warn({ err: errorMessage(cause) }, "releasing a failed speech claim failed; it goes stale instead"),
            );
          throw error;
        });
      metrics.speechCalls.inc({ outcome: "succeeded" });
      metrics.speechCharacters.inc(characters);
      return await store.keep(id, audio);
    } finally {
      clearInterval(renew);
    }
  }

  /** The caller's answered speech (an admin key: everybody's), newest first, while its audio is kept. */
  async list(
    args: { first?: number | null; after?: string | null },
    principal: Principal | undefined,
    origin: string,
  ): Promise<SpeechPage> {
    const first = parseSpeechPageSize(args.first);
    const after = args.after == null ? undefined : decodeSpeechCursor(args.after);
    const owner = principal?.scope === "admin" ? undefined : ownerOf(principal);
    const rows = await this.deps.store.list(owner, first + 1, after);
    return { nodes: rows.slice(0, first).map((row) => this.view(row, origin)), hasNextPage: rows.length > first };
  }

  /** The speech as the API shows it, with a fresh signed URL of its audio as WAV under `origin`. */
  view(speech: SpeechRecord, origin: string): SpeechView {
    const { audio } = speech;
    const format = readyAudio(audio);
    if (!format) throw new Error(`speech ${speech.id} answers with audio that is not kept`);
    return {
      id: speech.id,
      voiceId: audio.voiceId,
      text: audio.text,
      modelId: audio.modelId,
      stability: audio.stability,
      speed: audio.speed,
      characters: audio.characters,
      durationSeconds: pcmDurationSeconds(format.bytes, format),
      audio: this.deps.signer.sign(origin, "speech", audio.id, audio.expiresAt),
      expiresAt: audio.expiresAt,
      cached: speech.cached,
      createdAt: speech.createdAt,
      cursor: encodeSpeechCursor(speech),
    };
  }

  /** Kept speech audio for the audio route, whose signed URL is the permission. */
  readonly shelf: AudioShelf = {
    find: (id) => this.deps.store.findKept(id),
    goneMessage: "This speech has expired or was removed; send the same `speak` again for new audio.",
  };

  /** Waits for this process's calls to Faseeh, up to `budgetMs`: their audio is billed, so worth keeping. */
  async settle(budgetMs: number): Promise<{ running: number }> {
    const running = [...this.productions.values()];
    if (!running.length) return { running: 0 };
    const timer = sleep(budgetMs, undefined, { ref: false });
    await Promise.race([Promise.allSettled(running), timer]);
    return { running: this.productions.size };
  }

  /** Removes expired speech, settles dead processes' claims and removes old leftovers; how many speeches it removed. */
  sweep(): Promise<number> {
    return this.deps.store.sweep();
  }

  /** Sweeps now and every PREVIEW_SWEEP_INTERVAL_MS. */
  start(): void {
    const sweep = () =>
      void this.sweep().catch((error: unknown) => this.deps.logger.warn({ err: errorMessage(error) }, "speech sweep failed"));
    sweep();
    this.sweeper = setInterval(sweep, this.deps.config.previews.sweepIntervalMs);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}

const isLive = (row: SpeechAudioRecord): boolean => row.status === "READY" && row.expiresAt.getTime() > Date.now();

/** What a failed call's waiters are told: its error's code and message (an unexpected one's, masked). */
const recordedFailure = (error: unknown): { code: string; message: string } =>
  error instanceof GatewayError
    ? { code: error.code, message: error.message }
    : { code: "INTERNAL_SERVER_ERROR", message: "The speech call failed unexpectedly; retry." };

/** The error of the call a request waited on, as that call's own client got it. */
const failureOf = (row: SpeechAudioRecord): GatewayError =>
  new GatewayError(
    isErrorCode(row.failureCode) ? row.failureCode : "INTERNAL_SERVER_ERROR",
    row.failureMessage ?? "The speech call this request waited on failed; retry.",
    { sharedFailure: true },
  );

const stillRunning = () =>
  new GatewayError(
    "IDEMPOTENCY_IN_PROGRESS",
    "An identical `speak` is still being made (on this or another replica). Retry shortly: it will be answered from its audio, not billed again.",
  );
