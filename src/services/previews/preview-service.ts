// Previewing a voice: Faseeh's first step of a clone, through the gateway so
// that no internal tool needs the Faseeh key. The recording streams to
// Faseeh exactly as a clone's files do (AudioUpload, the same concurrency cap
// and upstream client, so the same retries, timeouts and error mapping), and
// what Faseeh produced is kept, with the recording, until it expires: to be
// listened to through a signed URL and cloned from (`cloneVoice(previewId)`).
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { Config } from "../../config.js";
import type { PreviewVoiceInput } from "../../generated/graphql.js";
import { badUserInput, errorMessage, GatewayError, invalidInput } from "../../errors.js";
import type { Logger } from "../../logger.js";
import {
  type AudioPart,
  type AudioSource,
  type FaseehClient,
  type FileDigest,
  notConfigured,
} from "../../upstream/faseeh-client.js";
import { pcmDurationSeconds } from "../../upstream/pcm-format.js";
import { ownerOf, type Principal } from "../access/api-key-service.js";
import type { ConcurrencyLimiter } from "../access/concurrency-limiter.js";
import type { ModelCatalog } from "../models/model-catalog.js";
import type { AudioUrlSigner, SignedAudioUrl } from "../audio/audio-url-signer.js";
import type { AudioShelf } from "../audio/kept-audio.js";
import type { OpenPreviewFiles, PreviewRecord, PreviewStore } from "./preview-store.js";
import type { RateLimitService } from "../access/rate-limit-service.js";
import { UploadSession } from "../uploads/upload-session.js";

const previewFieldsSchema = z.object({
  text: z
    .string()
    .trim()
    .min(10, "must be at least 10 characters")
    .max(5000, "must be at most 5000 characters")
    .refine((text) => text.split(/\s+/).length >= 3, "must be at least 3 words"),
  similarity: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1"),
  modelId: z.string().trim().min(1, "must not be blank").max(100, "must be at most 100 characters"),
  speed: z
    .number()
    .min(0.7, "must be between 0.7 and 1.2")
    .max(1.2, "must be between 0.7 and 1.2")
    .nullish()
    .transform((speed) => speed ?? 1),
});

type PreviewFields = z.infer<typeof previewFieldsSchema>;

/** How soon a preview kept without its row is tried again (the sweeper also tries, every PREVIEW_SWEEP_INTERVAL_MS). */
const IMPORT_RETRY_MS = 5_000;

export interface PreviewServiceDeps {
  faseeh: FaseehClient;
  models: ModelCatalog;
  store: PreviewStore;
  signer: AudioUrlSigner;
  limiter: ConcurrencyLimiter;
  rateLimits: RateLimitService;
  config: Pick<Config, "uploads" | "previews">;
  logger: Logger;
}

/** A preview as the API shows it: the record, its length, and a freshly signed audio URL. */
export type PreviewView = PreviewRecord & { durationSeconds: number; audio: SignedAudioUrl };

/** A preview's files opened for one clone: its sources, and `release()` once the clone is done with them. */
export interface PreviewForClone {
  preview: PreviewRecord;
  voiceFile: AudioSource;
  referenceAudioFile: AudioSource;
  release(): Promise<void>;
}

export class PreviewService {
  private sweeper: NodeJS.Timeout | undefined;
  private importer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: PreviewServiceDeps) {}

  /** Validates, calls Faseeh's preview, keeps its audio and the recording. */
  async previewVoice(
    input: PreviewVoiceInput,
    options: { signal?: AbortSignal | undefined; principal?: Principal | undefined } = {},
  ): Promise<PreviewRecord> {
    const { faseeh, models, store, limiter, rateLimits, config } = this.deps;
    if (!faseeh.isConfigured) throw notConfigured();
    const fields = parsePreviewFields(input);
    await models.checkModel("input.modelId", fields.modelId);
    const owner = ownerOf(options.principal);
    await rateLimits.consume(`preview:${owner}`, config.previews.rateLimitPerMinute, 60_000, "previews");
    const signal = options.signal ?? new AbortController().signal;
    const session = await UploadSession.open({
      baseDir: store.stagingDir,
      prefix: "preview-",
      limits: config.uploads,
      signal,
    });
    try {
      const file = session.file(input.file, "input.file");
      // The recording is checked to be audio before Faseeh is contacted.
      await file.ready();
      const audioPath = path.join(session.dir, "preview.pcm");
      const audio = await limiter.run(
        () => faseeh.previewVoice({ file, ...fields, audioPath, maxAudioBytes: config.previews.maxAudioBytes }, signal),
        { owner, signal },
      );
      const recording = await file.settle();
      return await store.save({ owner, ...fields, audio: { ...audio, path: audioPath }, recording });
    } catch (error) {
      // Kept on disk, its row deferred: stored as soon as the database takes it, not only at the next sweep.
      if (error instanceof GatewayError && error.code === "PREVIEW_NOT_YET_STORED") this.importSoon();
      throw error;
    } finally {
      await session.close();
    }
  }

  /** The caller's preview (an admin key: anybody's), unless unknown or expired. */
  getPreview(id: string, principal: Principal | undefined): Promise<PreviewRecord | null> {
    return this.deps.store.findLive(id, principal?.scope === "admin" ? undefined : ownerOf(principal));
  }

  /** Any live preview's audio, whoever made it: for the audio route, whose signed URL is the permission. */
  readonly shelf: AudioShelf = {
    find: async (id) => {
      const preview = await this.deps.store.findLive(id, undefined);
      if (!preview) return null;
      const { audioBytes, audioSha256, sampleRate, channels } = preview;
      return { path: this.deps.store.audioPath(id), bytes: Number(audioBytes), sha256: audioSha256, sampleRate, channels };
    },
    goneMessage: "This preview has expired or was removed; make a new one with `previewVoice`.",
  };

  /** The preview as the API shows it, with a fresh signed URL of its audio as WAV under `origin`. */
  view(preview: PreviewRecord, origin: string): PreviewView {
    return {
      ...preview,
      durationSeconds: pcmDurationSeconds(Number(preview.audioBytes), preview),
      audio: this.deps.signer.sign(origin, "previews", preview.id, preview.expiresAt),
    };
  }

  /**
   * The preview a clone is made from, its files opened: they stay readable
   * until `release()`, even if the preview expires and is swept meanwhile.
   * An unknown, expired or someone else's preview is BAD_USER_INPUT.
   */
  async openForClone(id: string, owner: string): Promise<PreviewForClone> {
    const { store } = this.deps;
    const gone = () =>
      badUserInput(
        "input.previewId",
        `\`input.previewId\` ${JSON.stringify(id)} is not a preview of this client key that is still kept ` +
          "(previews expire after PREVIEW_TTL_HOURS). Make a new one with `previewVoice`.",
      );
    const preview = await store.findLive(id, owner);
    if (!preview) throw gone();
    const files = await store.openFiles(preview.id);
    if (!files) throw gone();
    return {
      preview,
      voiceFile: new StoredFileSource(files, "audio", {
        filename: "preview.pcm",
        contentType: preview.audioContentType,
        size: Number(preview.audioBytes),
        sha256: preview.audioSha256,
      }),
      referenceAudioFile: new StoredFileSource(files, "recording", {
        filename: preview.recordingFilename,
        contentType: preview.recordingContentType,
        size: Number(preview.recordingBytes),
        sha256: preview.recordingSha256,
      }),
      release: () => files.close(),
    };
  }

  /** Removes expired previews no PENDING clone uses, and old leftovers; how many previews it removed. */
  sweep(): Promise<number> {
    return this.deps.store.sweep();
  }

  /** Sweeps now and every PREVIEW_SWEEP_INTERVAL_MS. */
  start(): void {
    const sweep = () =>
      void this.sweep().catch((error: unknown) => this.deps.logger.warn({ err: errorMessage(error) }, "preview sweep failed"));
    sweep();
    this.sweeper = setInterval(sweep, this.deps.config.previews.sweepIntervalMs);
    this.sweeper.unref();
  }

  /** Tries to store the previews kept without a row every IMPORT_RETRY_MS until it succeeds. */
  private importSoon(): void {
    this.importer ??= setTimeout(() => {
      this.importer = undefined;
      this.deps.store.importUnrecorded().catch((error: unknown) => {
        this.deps.logger.warn({ err: errorMessage(error) }, "storing previews kept on disk failed; retrying");
        this.importSoon();
      });
    }, IMPORT_RETRY_MS).unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
    clearTimeout(this.importer);
  }
}

/** Validates and normalises the preview's fields; the first problem is reported with its field. */
function parsePreviewFields(input: PreviewVoiceInput): PreviewFields {
  const { file: _file, ...fields } = input;
  const parsed = previewFieldsSchema.safeParse(fields);
  if (!parsed.success) throw invalidInput(parsed.error.issues);
  return parsed.data;
}

/**
 * The whole file, by positional reads: each attempt reads from the start, and
 * an attempt that stops half-way leaves the handle open for the next (a read
 * stream over a FileHandle closes it when destroyed).
 */
async function* readAll(handle: FileHandle): AsyncGenerator<Buffer> {
  for (let position = 0; ;) {
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield chunk.subarray(0, bytesRead);
  }
}

const READ_CHUNK_BYTES = 256 * 1024;

/** One of a stored preview's files as a clone's source: read from its open handle, from the start, for each attempt. */
class StoredFileSource implements AudioSource {
  constructor(
    private readonly files: OpenPreviewFiles,
    private readonly which: "audio" | "recording",
    private readonly file: { filename: string; contentType: string } & FileDigest,
  ) {}

  open(): Promise<AudioPart> {
    return Promise.resolve({
      filename: this.file.filename,
      contentType: this.file.contentType,
      body: readAll(this.files[this.which]),
    });
  }

  fileDigest(): Promise<FileDigest> {
    return Promise.resolve({ size: this.file.size, sha256: this.file.sha256 });
  }
}
