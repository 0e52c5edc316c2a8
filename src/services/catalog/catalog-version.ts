// The catalog's version as PostgreSQL has it (the `catalog_version` row, which
// a trigger rewrites in every transaction that changes `voices`). It is what
// makes a cached response stale on every replica at the moment a voice is
// stored, edited or removed anywhere, with no message to wait for.
//
// Each read is linearizable: the version returned was read by a query that
// began after `read()` was called, so a change committed before a request
// arrived is always seen. Reads are coalesced so a burst of requests costs
// one query (plus one queued behind it), not one each: a caller arriving
// while a query is in flight cannot use that query's answer (it may have
// been read before the caller arrived), so it waits for the next one, which
// every later caller shares until it starts.
//
// It is read on the main pool, not the catalog's read pool: every request the
// cache sees waits for it (mutations and key management too, until their
// text is known not to be cacheable), so it must not queue behind slow
// catalog reads holding every read connection.
import type { Database } from "../../db/database.js";

const VERSION_STATEMENT = {
  name: "catalog_version",
  text: "SELECT version::text AS version FROM catalog_version",
  values: [],
};

export class CatalogVersion {
  private running: Promise<string | null> | undefined;
  private queued: Promise<string | null> | undefined;

  constructor(private readonly db: Pick<Database, "queryOnMainPool">) {}

  /** The current version, or null when the row is missing (the cache is then bypassed). Rejects when the database does. */
  read(): Promise<string | null> {
    if (this.queued) return this.queued; // not started yet: it will start after this call
    if (!this.running) return this.start();
    const ignore = () => undefined;
    this.queued = this.running.then(ignore, ignore).then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<string | null> {
    const run: Promise<string | null> = this.db
      .queryOnMainPool<{ version: string }>(VERSION_STATEMENT)
      .then((rows) => rows[0]?.version ?? null)
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    this.running = run;
    return run;
  }
}
