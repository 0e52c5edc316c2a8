// A local, fsync'd record of voices Faseeh created but the catalog has not
// stored yet. Written before the database insert and removed after it, so a
// voice survives the database (or the process) failing at that moment; the
// recovery service imports whatever is left.
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { errorMessage } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { upstreamVoiceSchema } from "../../upstream/faseeh-client.js";

const entrySchema = z.object({
  attemptId: z.uuid(),
  model: z.string(),
  /** The clone request's hash, so an imported attempt still refuses a different request with its key (absent in old entries). */
  requestHash: z.string().optional(),
  /** The request's catalog tags, normalised when the clone was validated (absent in entries from before tags). */
  tags: z.array(z.string()).optional(),
  recordedAt: z.string(),
  voice: upstreamVoiceSchema,
});

export type JournalEntry = z.infer<typeof entrySchema>;

export class VoiceJournal {
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Records an entry: written to a temp file and renamed into place, so a
   * reader never sees half an entry. With `sync`, also fsync'd (file and
   * directory) to survive power loss, not only a process crash; the hot path
   * skips that while the database is expected to take the voice at once.
   */
  async record(entry: Omit<JournalEntry, "recordedAt">, { sync = true } = {}): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const final = this.fileFor(entry.attemptId);
    const temp = `${final}.tmp`;
    const handle = await open(temp, "w", 0o600);
    try {
      await handle.writeFile(JSON.stringify({ ...entry, recordedAt: new Date().toISOString() }));
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, final);
    if (sync) await this.syncDir();
  }

  async remove(attemptId: string): Promise<void> {
    await rm(this.fileFor(attemptId), { force: true });
  }

  async list(): Promise<JournalEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const entries: JournalEntry[] = [];
    for (const name of names.filter((file) => file.endsWith(".json")).sort()) {
      let text: string;
      try {
        text = await readFile(path.join(this.dir, name), "utf8");
      } catch (error) {
        // Removed between listing and reading: its clone stored the voice meanwhile.
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      try {
        entries.push(entrySchema.parse(JSON.parse(text)));
      } catch (error) {
        // Keep it for a human rather than lose a paid-for voice; don't retry it forever.
        this.logger.error({ file: name, err: errorMessage(error) }, "unreadable recovery journal entry; moved aside");
        await rename(path.join(this.dir, name), path.join(this.dir, `${name}.corrupt`)).catch(() => undefined);
      }
    }
    return entries;
  }

  private fileFor(attemptId: string): string {
    return path.join(this.dir, `${attemptId}.json`);
  }

  private async syncDir(): Promise<void> {
    const handle = await open(this.dir, "r");
    try {
      await handle.sync();
    } catch {
      // Some filesystems refuse fsync on directories; the rename is still atomic.
    } finally {
      await handle.close();
    }
  }
}
