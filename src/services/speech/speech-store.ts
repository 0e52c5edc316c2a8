// Where speech lives: a `speech_audio` row per distinct request (claimed
// while a process calls Faseeh for it, READY once its audio is kept) and the
// audio beside previews, `$PREVIEW_DIR/speech/<id>.pcm` (Faseeh's PCM, byte
// for byte), with `<id>.json` (what the audio is) written before the row is
// marked READY. So audio Faseeh produced and billed is never lost to a
// database failure or a dead process: whoever finds its claim stale (no
// longer renewed) imports the kept audio instead of calling Faseeh again.
// Each answered `speak` is a `speeches` row of its client key.
//
// Files, not PostgreSQL, for the reasons previews are files (preview-store.ts):
// Range reads at an offset, never a whole bytea in memory.
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { flushFile } from "../audio/flush-file.js";
import { guardDatabase } from "../../db/database-errors.js";
import { errorMessage, GatewayError } from "../../errors.js";
import { Prisma, type PrismaClient, type Speech, type SpeechAudio } from "../../generated/prisma/client.js";
import type { Logger } from "../../logger.js";
import type { PcmAudio } from "../../upstream/faseeh-client.js";
import type { KeptAudio } from "../audio/kept-audio.js";
import { characterCount, type SpeechRequest } from "./speech-input.js";

export type SpeechAudioRecord = SpeechAudio;
/** An answered `speak` with the audio it answered with. */
export type SpeechRecord = Speech & { audio: SpeechAudio };

export interface SpeechStoreOptions {
  /** PREVIEW_DIR: speech is kept under its `speech/`. */
  dir: string;
  ttlHours: number;
  /** A PENDING claim not renewed for this long is taken over (its process died). */
  staleClaimMs: number;
}

const STORE_RETRY_DELAYS_MS = [0, 250, 1000];
/** A file without a row younger than this may be audio being kept right now. */
const LEFTOVER_AGE_MS = 3_600_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLAIMANT = `${os.hostname()}:${process.pid}`;

/** What `<id>.json` says of the kept audio: enough to mark its row READY without Faseeh. */
const keptRecordSchema = z.object({
  contentType: z.string(),
  sampleRate: z.number().int(),
  channels: z.number().int(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
});

export class SpeechStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: SpeechStoreOptions,
    private readonly logger: Logger,
  ) {}

  get dir(): string {
    return path.join(this.options.dir, "speech");
  }

  /** Where the call writes the PCM as it arrives; moved to pcmPath once whole. */
  partPath(id: string): string {
    return path.join(this.dir, `${id}.part`);
  }

  pcmPath(id: string): string {
    return path.join(this.dir, `${id}.pcm`);
  }

  private recordPath(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  findByHash(requestHash: string): Promise<SpeechAudioRecord | null> {
    return guardDatabase(() => this.prisma.speechAudio.findUnique({ where: { requestHash } }));
  }

  /**
   * Claims the request for this process (its PENDING row); the new row's id, or null when another holds it.
   * `claimed_at` is PostgreSQL's now(), as renewals and the stale checks read it: a process whose own clock
   * runs behind the database's would otherwise claim already stale, and see its live call taken over.
   */
  async claim(request: SpeechRequest, requestHash: string): Promise<string | null> {
    await mkdir(this.dir, { recursive: true });
    const id = randomUUID();
    const { voiceId, text, modelId, stability, speed } = request;
    const count = await guardDatabase(
      () => this.prisma.$executeRaw`
        INSERT INTO speech_audio (id, request_hash, voice_id, text, model_id, stability, speed, characters, status,
          claimed_by, claimed_at, created_at, expires_at)
        VALUES (${id}::uuid, ${requestHash}, ${voiceId}, ${text}, ${modelId}, ${stability}::float8, ${speed}::float8,
          ${characterCount(text)}::int, 'PENDING', ${CLAIMANT}, now(), now(),
          now() + make_interval(hours => ${this.options.ttlHours}::int))
        ON CONFLICT (request_hash) DO NOTHING`,
    );
    return count === 1 ? id : null;
  }

  /** Tells the other processes this claim's call still runs. */
  async renewClaim(id: string): Promise<void> {
    await guardDatabase(
      () => this.prisma.$executeRaw`
      UPDATE speech_audio SET claimed_at = now() WHERE id = ${id}::uuid AND status = 'PENDING'`,
    );
  }

  /**
   * A failed call keeps nothing: its partial audio goes, and its claim becomes
   * FAILED with the error, for the requests waiting on it (any replica) to
   * answer; a new request removes it and calls again (see settle).
   */
  async releaseClaim(id: string, failure: { code: string; message: string }): Promise<void> {
    await this.removeFiles(id);
    await guardDatabase(
      () => this.prisma.$executeRaw`
        UPDATE speech_audio SET status = 'FAILED', claimed_by = NULL, claimed_at = NULL, failure_code = ${failure.code},
          failure_message = ${failure.message}, expires_at = now() + make_interval(secs => ${this.options.staleClaimMs / 1000})
        WHERE id = ${id}::uuid AND status = 'PENDING'`,
    );
  }

  /**
   * Keeps what the call wrote: moved into place, described in `<id>.json`,
   * then the row marked READY. When the row cannot be marked, the record is
   * flushed to disk and SPEECH_NOT_YET_STORED thrown: the claim goes stale
   * and whoever finds it imports the audio (no second call to Faseeh).
   * Null when the claim was taken over meanwhile (this process was too slow
   * to renew it, and thought dead): the audio is dropped, the other's answers.
   * A row already READY with this audio (imported by another) answers as is.
   */
  async keep(id: string, audio: PcmAudio): Promise<SpeechAudioRecord | null> {
    try {
      await rename(this.partPath(id), this.pcmPath(id));
    } catch (error) {
      // Whoever took the claim over removed the files of the row it settled.
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && !(await this.holdsClaim(id))) return null;
      throw error;
    }
    const record: z.infer<typeof keptRecordSchema> = {
      contentType: audio.contentType,
      sampleRate: audio.sampleRate,
      channels: audio.channels,
      size: audio.size,
      sha256: audio.sha256,
    };
    await writeFile(this.recordPath(id), JSON.stringify(record), { mode: 0o600 });
    let lastError: unknown;
    for (const delay of STORE_RETRY_DELAYS_MS) {
      if (delay) await sleep(delay);
      try {
        const ready = (await this.markReady(id, record)) ?? (await this.findReady(id));
        if (ready) return ready;
        await this.removeFiles(id);
        this.logger.warn({ speechId: id }, "a speech claim was taken over while its call ran; the other process answers");
        return null;
      } catch (error) {
        lastError = error;
        this.logger.warn({ speechId: id, err: errorMessage(error) }, "storing a speech failed; retrying");
      }
    }
    await flushFile(this.recordPath(id)).catch(() => undefined);
    this.logger.error({ speechId: id, err: errorMessage(lastError) }, "speech kept on disk; its row is deferred");
    throw speechNotYetStored(id, lastError);
  }

  /** Marks a claim READY with its kept audio; null when no PENDING row of that id is left. */
  private async markReady(id: string, record: z.infer<typeof keptRecordSchema>): Promise<SpeechAudioRecord | null> {
    const data: Prisma.SpeechAudioUpdateManyMutationInput = {
      status: "READY",
      claimedBy: null,
      claimedAt: null,
      audioContentType: record.contentType,
      sampleRate: record.sampleRate,
      channels: record.channels,
      audioBytes: BigInt(record.size),
      audioSha256: record.sha256,
      expiresAt: this.expiryFrom(new Date()),
    };
    return guardDatabase(async () => {
      const { count } = await this.prisma.speechAudio.updateMany({ where: { id, status: "PENDING" }, data });
      return count === 1 ? this.prisma.speechAudio.findUnique({ where: { id } }) : null;
    });
  }

  /**
   * Settles a row in the way of a new claim: expired audio and a failed call's
   * record are removed; a stale claim (its process died, or could not mark it)
   * is imported when its audio was kept whole, else removed. True when the row changed.
   */
  async settle(row: SpeechAudioRecord): Promise<boolean> {
    if (row.status === "PENDING") {
      const record = await this.readKeptRecord(row.id);
      if (record && (await this.isStale(row.id)) && (await this.markReady(row.id, record))) {
        this.logger.info({ speechId: row.id }, "speech kept on disk by a stale claim is stored now");
        return true;
      }
    }
    const removed = await guardDatabase(
      () => this.prisma.$queryRaw<Array<{ id: string }>>`
        DELETE FROM speech_audio
        WHERE id = ${row.id}::uuid
          AND ((status = 'READY' AND expires_at <= now()) OR status = 'FAILED'
            OR (status = 'PENDING' AND claimed_at < ${this.staleBefore()}))
        RETURNING id::text AS id`,
    );
    if (removed.length) await this.removeFiles(row.id);
    return removed.length > 0;
  }

  /**
   * This id's row when it is READY although this process did not mark it: another process imported the
   * audio kept here (settle), or an earlier attempt's update went through but its answer was lost. Its
   * files are the row's audio, never to be removed as a taken-over claim's.
   */
  private findReady(id: string): Promise<SpeechAudioRecord | null> {
    return guardDatabase(() => this.prisma.speechAudio.findFirst({ where: { id, status: "READY" } }));
  }

  /** Whether a READY row's audio is on disk whole: a row is marked only after its file is in place. */
  async hasAudio(row: SpeechAudioRecord): Promise<boolean> {
    const size = (await stat(this.pcmPath(row.id)).catch(() => undefined))?.size;
    return row.audioBytes !== null && size === Number(row.audioBytes);
  }

  /** Removes a READY row whose audio is gone (and the answers it gave), so its request is made again. */
  async dropLost(row: SpeechAudioRecord): Promise<void> {
    this.logger.warn(
      { speechId: row.id, dir: this.dir },
      "speech audio is missing from disk (is PREVIEW_DIR shared by every replica?); it is made again",
    );
    await guardDatabase(() => this.prisma.speechAudio.deleteMany({ where: { id: row.id, status: "READY" } }));
    await this.removeFiles(row.id);
  }

  /** Whether this claim is still a PENDING row (not taken over). */
  private async holdsClaim(id: string): Promise<boolean> {
    const row = await guardDatabase(() => this.prisma.speechAudio.findUnique({ where: { id }, select: { status: true } }));
    return row?.status === "PENDING";
  }

  /** Claims renewed before this are stale: by PostgreSQL's clock, whatever this process's says (see claim). */
  private staleBefore(): Prisma.Sql {
    return Prisma.sql`now() - make_interval(secs => ${this.options.staleClaimMs / 1000})`;
  }

  private async isStale(id: string): Promise<boolean> {
    const rows = await guardDatabase(
      () => this.prisma.$queryRaw<Array<{ stale: boolean }>>`
        SELECT claimed_at < ${this.staleBefore()} AS stale
        FROM speech_audio WHERE id = ${id}::uuid AND status = 'PENDING'`,
    );
    return rows[0]?.stale === true;
  }

  /** One answered `speak` of `owner`. */
  recordAnswer(owner: string, audio: SpeechAudioRecord, cached: boolean): Promise<SpeechRecord> {
    return guardDatabase(async () => {
      const speech = await this.prisma.speech.create({ data: { id: randomUUID(), owner, audioId: audio.id, cached } });
      return { ...speech, audio };
    });
  }

  /** Answered `speak`s, newest first, whose audio is still kept: `owner`'s (undefined: everybody's), after the cursor's. */
  list(owner: string | undefined, take: number, after?: { createdAt: Date; id: string }): Promise<SpeechRecord[]> {
    const where: Prisma.SpeechWhereInput = {
      ...(owner !== undefined && { owner }),
      audio: { expiresAt: { gt: new Date() } },
      ...(after && {
        OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
      }),
    };
    return guardDatabase(() =>
      this.prisma.speech.findMany({ where, include: { audio: true }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take }),
    );
  }

  /** The audio of `id` while it is kept (READY, not expired), for the audio route. */
  async findKept(id: string): Promise<KeptAudio | null> {
    if (!UUID.test(id)) return null;
    const row = await guardDatabase(() => this.prisma.speechAudio.findUnique({ where: { id } }));
    const ready = row && readyAudio(row);
    if (!ready || row.expiresAt.getTime() <= Date.now()) return null;
    return { path: this.pcmPath(id), ...ready };
  }

  /**
   * Removes expired speech (rows, then files), settles stale claims, and
   * removes files no row names once they are old. Returns how many expired
   * speeches it removed.
   */
  async sweep(): Promise<number> {
    const expired = await guardDatabase(
      () => this.prisma.$queryRaw<Array<{ id: string }>>`
        DELETE FROM speech_audio WHERE status IN ('READY', 'FAILED') AND expires_at <= now() RETURNING id::text AS id`,
    );
    for (const { id } of expired) await this.removeFiles(id);
    const stale = await guardDatabase(
      () => this.prisma.$queryRaw<SpeechAudioRecord[]>`
        SELECT id::text AS id, status FROM speech_audio
        WHERE status = 'PENDING' AND claimed_at < ${this.staleBefore()}`,
    );
    for (const row of stale) await this.settle(row);
    await this.removeLeftovers();
    if (expired.length) this.logger.info({ removed: expired.length }, "expired speech removed");
    return expired.length;
  }

  /** Files whose id has no row, older than LEFTOVER_AGE_MS (a claim taken over, a crash before the row). */
  private async removeLeftovers(): Promise<void> {
    const names = await readdir(this.dir).catch(() => []);
    const ids = [...new Set(names.map((name) => name.split(".")[0] ?? "").filter((id) => UUID.test(id)))];
    if (!ids.length) return;
    const known = await guardDatabase(() =>
      this.prisma.speechAudio.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    );
    const recorded = new Set(known.map((row) => row.id));
    const cutoff = Date.now() - LEFTOVER_AGE_MS;
    for (const name of names) {
      const id = name.split(".")[0] ?? "";
      if (!UUID.test(id) || recorded.has(id)) continue;
      const modified = (await stat(path.join(this.dir, name)).catch(() => undefined))?.mtimeMs ?? Infinity;
      if (modified < cutoff) await rm(path.join(this.dir, name), { force: true });
    }
  }

  private async readKeptRecord(id: string): Promise<z.infer<typeof keptRecordSchema> | undefined> {
    try {
      const parsed = keptRecordSchema.safeParse(JSON.parse(await readFile(this.recordPath(id), "utf8")));
      if (!parsed.success) return undefined;
      const size = (await stat(this.pcmPath(id))).size;
      return size === parsed.data.size ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  private async removeFiles(id: string): Promise<void> {
    await Promise.all(
      [this.partPath(id), this.pcmPath(id), this.recordPath(id)].map((file) =>
        rm(file, { force: true }).catch((error: unknown) =>
          this.logger.warn({ err: errorMessage(error) }, "could not remove a speech file"),
        ),
      ),
    );
  }

  private expiryFrom(now: Date): Date {
    return new Date(now.getTime() + this.options.ttlHours * 3_600_000);
  }
}

/** A READY row's audio description; undefined for a claim. */
export function readyAudio(row: SpeechAudioRecord): Omit<KeptAudio, "path"> | undefined {
  const { status, audioBytes, audioSha256, sampleRate, channels } = row;
  if (status !== "READY" || audioBytes === null || audioSha256 === null || sampleRate === null || channels === null) {
    return undefined;
  }
  return { bytes: Number(audioBytes), sha256: audioSha256, sampleRate, channels };
}

const speechNotYetStored = (id: string, cause: unknown) =>
  new GatewayError(
    "SPEECH_NOT_YET_STORED",
    `Faseeh made the speech (id ${id}), but the gateway could not record it yet. It is kept, not lost: once the ` +
      "database recovers, the same `speak` answers it without calling Faseeh again.",
    { id },
    cause,
  );
