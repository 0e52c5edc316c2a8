// Where previews live: a row in `voice_previews` (what it is, whose, until
// when) and a directory under PREVIEW_DIR with two files, `audio.pcm`
// (Faseeh's answer, byte for byte) and `recording` (the upload it came from).
//
// Files, not PostgreSQL: the audio is served with Range requests and streamed
// to Faseeh, both of which a file does with a read at an offset, while a
// bytea value is read whole into memory per request. The price is that
// PREVIEW_DIR must be shared by replicas that share a database (a volume, as
// for the recovery journal); the README says so.
//
// A preview is written into a staging directory first and moved into place
// with one rename, so a reader never sees half a preview; its record
// (`preview.json`, the row as JSON) is written beside the files before the
// row, so a preview whose row cannot be stored is kept and stored later. The
// sweeper stores those, removes expired previews, except those a PENDING clone
// still uses, and directories with neither row nor record once they are old.
// What a dead process left in the staging directory goes sooner, with the
// uploads of any dead process: see abandoned-uploads.ts, run by every
// recovery pass.
import { randomUUID } from "node:crypto";
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { flushFile } from "../audio/flush-file.js";
import { errorMessage, GatewayError } from "../../errors.js";
import { guardDatabase } from "../../db/database-errors.js";
import type { PrismaClient, VoicePreview } from "../../generated/prisma/client.js";
import type { Logger } from "../../logger.js";
import type { PcmAudio } from "../../upstream/faseeh-client.js";
import type { SpooledFile } from "../uploads/audio-upload.js";

export type PreviewRecord = VoicePreview;

export interface NewPreview {
  owner: string;
  text: string;
  similarity: number;
  modelId: string;
  speed: number;
  audio: PcmAudio & { path: string };
  recording: SpooledFile;
}

/** A preview's files, open: readable by a clone even if the sweeper removes them meanwhile. */
export interface OpenPreviewFiles {
  audio: FileHandle;
  recording: FileHandle;
  close(): Promise<void>;
}

const AUDIO_FILE = "audio.pcm";
const RECORDING_FILE = "recording";
/** The preview's row as JSON, written before the row is stored (see save). */
const RECORD_FILE = "preview.json";
const STORE_RETRY_DELAYS_MS = [0, 250, 1000];
const STAGING = ".staging";
/** A directory without a row younger than this may be a preview being moved into place right now. */
const LEFTOVER_AGE_MS = 3_600_000;

export class PreviewStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: { dir: string; ttlHours: number },
    private readonly logger: Logger,
  ) {}

  /** Where a preview's upload and answer are written before they are moved into place (made by UploadSession). */
  get stagingDir(): string {
    return path.join(this.options.dir, STAGING);
  }

  /**
   * Moves the staged files into place, writes the preview's record beside
   * them, then stores the row. When the row cannot be stored, the record is
   * flushed to disk (Faseeh has billed the preview) and the files stay:
   * `importUnrecorded` stores it later, and the caller is told
   * PREVIEW_NOT_YET_STORED. As with a clone's journal entry, the flush is
   * paid only then: a row stored is the record that lasts. Only a failure
   * before the record is written removes what was moved.
   */
  async save(preview: NewPreview): Promise<PreviewRecord> {
    const made = new Date();
    const row: PreviewRecord = {
      id: randomUUID(),
      owner: preview.owner,
      text: preview.text,
      similarity: preview.similarity,
      modelId: preview.modelId,
      speed: preview.speed,
      audioContentType: preview.audio.contentType,
      sampleRate: preview.audio.sampleRate,
      channels: preview.audio.channels,
      audioBytes: BigInt(preview.audio.size),
      audioSha256: preview.audio.sha256,
      recordingFilename: preview.recording.filename,
      recordingContentType: preview.recording.contentType,
      recordingBytes: BigInt(preview.recording.size),
      recordingSha256: preview.recording.sha256,
      createdAt: made,
      expiresAt: new Date(made.getTime() + this.options.ttlHours * 3_600_000),
    };
    const dir = this.dirOf(row.id);
    await mkdir(dir, { recursive: true });
    try {
      await rename(preview.audio.path, path.join(dir, AUDIO_FILE));
      await rename(preview.recording.path, path.join(dir, RECORDING_FILE));
      await writeFile(path.join(dir, RECORD_FILE), serialiseRecord(row), { flag: "wx", mode: 0o600 });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    let lastError: unknown;
    for (const delay of STORE_RETRY_DELAYS_MS) {
      if (delay) await sleep(delay);
      try {
        return await guardDatabase(() => this.prisma.voicePreview.create({ data: row }));
      } catch (error) {
        lastError = error;
        this.logger.warn({ previewId: row.id, err: errorMessage(error) }, "storing a preview failed; retrying");
      }
    }
    await flushFile(path.join(dir, RECORD_FILE)).catch((error: unknown) =>
      this.logger.error({ previewId: row.id, err: errorMessage(error) }, "could not flush a kept preview's record"),
    );
    this.logger.error({ previewId: row.id, err: errorMessage(lastError) }, "preview kept on disk; its row is deferred");
    throw previewNotYetStored(row.id, lastError);
  }

  /**
   * Stores the rows of previews whose files and record are on disk but whose
   * row is not (the database failed after Faseeh made them, or the process
   * died in between); removes those expired meanwhile. Returns how many it stored.
   */
  importUnrecorded(): Promise<number> {
    return this.settleUnrecorded({ removeLeftovers: false });
  }

  /**
   * One pass over the preview directories without a row: each with a record is
   * stored (or removed, once expired); with `removeLeftovers`, each without one
   * is removed once older than LEFTOVER_AGE_MS (younger, it may be a preview
   * being moved into place right now).
   */
  private async settleUnrecorded({ removeLeftovers }: { removeLeftovers: boolean }): Promise<number> {
    let stored = 0;
    const cutoff = Date.now() - LEFTOVER_AGE_MS;
    for (const id of await this.unrecordedIds()) {
      const dir = this.dirOf(id);
      const record = await readRecord(path.join(dir, RECORD_FILE));
      if (record && record.expiresAt.getTime() > Date.now()) {
        await guardDatabase(() => this.prisma.voicePreview.createMany({ data: [record], skipDuplicates: true }));
        stored++;
      } else if (record || (removeLeftovers && ((await stat(dir).catch(() => undefined))?.mtimeMs ?? Infinity) < cutoff)) {
        await rm(dir, { recursive: true, force: true }).catch((error: unknown) =>
          this.logger.warn({ err: errorMessage(error) }, "could not remove a leftover preview directory"),
        );
      }
    }
    if (stored) this.logger.info({ stored }, "previews kept on disk are stored now");
    return stored;
  }

  /** Preview directories that have no row. */
  private async unrecordedIds(): Promise<string[]> {
    const ids = (await readdir(this.options.dir).catch(() => [])).filter((name) => UUID.test(name));
    if (!ids.length) return [];
    const known = await guardDatabase(() =>
      this.prisma.voicePreview.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    );
    const recorded = new Set(known.map((row) => row.id));
    return ids.filter((id) => !recorded.has(id));
  }

  /** The preview, unless it has expired; only its owner's (an `undefined` owner: anybody's). */
  async findLive(id: string, owner: string | undefined): Promise<PreviewRecord | null> {
    if (!UUID.test(id)) return null;
    const preview = await guardDatabase(() => this.prisma.voicePreview.findUnique({ where: { id } }));
    if (!preview || preview.expiresAt.getTime() <= Date.now()) return null;
    return owner === undefined || preview.owner === owner ? preview : null;
  }

  /** The audio file's path (for serving). */
  audioPath(id: string): string {
    return path.join(this.dirOf(id), AUDIO_FILE);
  }

  /** Opens both files; an open file stays readable after the sweeper unlinks it. Null when they are gone. */
  async openFiles(id: string): Promise<OpenPreviewFiles | null> {
    let audio: FileHandle | undefined;
    try {
      audio = await open(path.join(this.dirOf(id), AUDIO_FILE), "r");
      const recording = await open(path.join(this.dirOf(id), RECORDING_FILE), "r");
      const opened = audio;
      return {
        audio: opened,
        recording,
        close: async () => {
          await Promise.allSettled([opened.close(), recording.close()]);
        },
      };
    } catch (error) {
      await audio?.close().catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  /**
   * Stores previews kept on disk without a row, removes expired previews
   * (rows, then files) that no PENDING clone uses, and old leftovers. Returns
   * how many previews it removed.
   */
  async sweep(): Promise<number> {
    await this.settleUnrecorded({ removeLeftovers: true });
    const expired = await guardDatabase(
      () =>
        this.prisma.$queryRaw<Array<{ id: string }>>`
        DELETE FROM voice_previews p
        WHERE p.expires_at <= now()
          AND NOT EXISTS (SELECT 1 FROM clone_attempts a WHERE a.preview_id = p.id AND a.status = 'PENDING')
        RETURNING p.id::text AS id`,
    );
    for (const { id } of expired) await rm(this.dirOf(id), { recursive: true, force: true });
    if (expired.length) this.logger.info({ removed: expired.length }, "expired voice previews removed");
    return expired.length;
  }

  private dirOf(id: string): string {
    return path.join(this.options.dir, id);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const previewNotYetStored = (id: string, cause: unknown) =>
  new GatewayError(
    "PREVIEW_NOT_YET_STORED",
    `Faseeh made the preview (id ${id}), but the gateway could not record it yet. It is kept, not lost: once the database ` +
      "recovers it can be played and cloned with this id. Do not preview it again.",
    { id },
    cause,
  );

/** The record as JSON (bigints as strings, dates as ISO). */
const serialiseRecord = (row: PreviewRecord): string =>
  JSON.stringify(row, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));

const recordSchema = z.object({
  id: z.uuid(),
  owner: z.string(),
  text: z.string(),
  similarity: z.number(),
  modelId: z.string(),
  speed: z.number(),
  audioContentType: z.string(),
  sampleRate: z.number().int(),
  channels: z.number().int(),
  audioBytes: z.string().transform(BigInt),
  audioSha256: z.string(),
  recordingFilename: z.string(),
  recordingContentType: z.string(),
  recordingBytes: z.string().transform(BigInt),
  recordingSha256: z.string(),
  createdAt: z.coerce.date(),
  expiresAt: z.coerce.date(),
});

/** A preview's record from disk; undefined when there is none or it cannot be read (a crash mid-write). */
async function readRecord(file: string): Promise<PreviewRecord | undefined> {
  try {
    const parsed = recordSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
