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
// with one rename, so a reader never sees half a preview. The sweeper removes
// expired previews, except those a PENDING clone still uses, and leftovers
// (staging directories, directories without a row) once they are old.
import { randomUUID } from "node:crypto";
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { errorMessage, guardDatabase } from "../errors.js";
import type { PrismaClient, VoicePreview } from "../generated/prisma/client.js";
import type { Logger } from "../logger.js";
import type { PreviewAudio } from "../upstream/faseeh-client.js";
import type { SpooledFile } from "./audio-upload.js";

export type PreviewRecord = VoicePreview;

export interface NewPreview {
  owner: string;
  text: string;
  similarity: number;
  modelId: string;
  speed: number;
  audio: PreviewAudio & { path: string };
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
const STAGING = ".staging";
/** Leftovers younger than this may belong to a preview being written right now. */
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

  /** Moves the staged files into place and records the preview; nothing is left behind when that fails. */
  async save(preview: NewPreview): Promise<PreviewRecord> {
    const id = randomUUID();
    const made = new Date();
    const dir = this.dirOf(id);
    await mkdir(dir, { recursive: true });
    try {
      await rename(preview.audio.path, path.join(dir, AUDIO_FILE));
      await rename(preview.recording.path, path.join(dir, RECORDING_FILE));
      return await guardDatabase(() =>
        this.prisma.voicePreview.create({
          data: {
            id,
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
          },
        }),
      );
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
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
   * Removes expired previews (rows, then files) that no PENDING clone uses,
   * and old leftovers. Returns how many previews it removed.
   */
  async sweep(): Promise<number> {
    const expired = await guardDatabase(
      () =>
        this.prisma.$queryRaw<Array<{ id: string }>>`
        DELETE FROM voice_previews p
        WHERE p.expires_at <= now()
          AND NOT EXISTS (SELECT 1 FROM clone_attempts a WHERE a.preview_id = p.id AND a.status = 'PENDING')
        RETURNING p.id::text AS id`,
    );
    for (const { id } of expired) await rm(this.dirOf(id), { recursive: true, force: true });
    await this.removeLeftovers();
    if (expired.length) this.logger.info({ removed: expired.length }, "expired voice previews removed");
    return expired.length;
  }

  /** Staging directories and preview directories without a row, once older than LEFTOVER_AGE_MS. */
  private async removeLeftovers(): Promise<void> {
    const cutoff = Date.now() - LEFTOVER_AGE_MS;
    const old = async (dir: string) => (await stat(dir).catch(() => undefined))?.mtimeMs ?? Infinity;
    const staging = this.stagingDir;
    for (const name of await readdir(staging).catch(() => [])) {
      if ((await old(path.join(staging, name))) < cutoff) await rm(path.join(staging, name), { recursive: true, force: true });
    }
    const ids = (await readdir(this.options.dir).catch(() => [])).filter((name) => UUID.test(name));
    if (!ids.length) return;
    const known = new Set(
      (await guardDatabase(() => this.prisma.voicePreview.findMany({ where: { id: { in: ids } }, select: { id: true } }))).map(
        (row) => row.id,
      ),
    );
    for (const id of ids) {
      if (known.has(id) || (await old(this.dirOf(id))) >= cutoff) continue;
      await rm(this.dirOf(id), { recursive: true, force: true }).catch((error: unknown) =>
        this.logger.warn({ err: errorMessage(error) }, "could not remove a leftover preview directory"),
      );
    }
  }

  private dirOf(id: string): string {
    return path.join(this.options.dir, id);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
