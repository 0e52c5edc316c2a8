// Postgres LISTEN on one channel, on a connection of its own that comes back
// by itself. `live` says whether a notification sent now will arrive: callers
// that cache (the client-key cache) trust their cache only while it is true,
// and forget everything when it changes, since notifications sent while the
// connection was down are lost.
import pg from "pg";
import type { Logger } from "../logger.js";

export interface NotificationHandlers {
  onMessage(payload: string): void;
  /** The connection came up or went down: whatever was learnt meanwhile may be stale. */
  onReset(): void;
}

export interface NotificationListener {
  readonly live: boolean;
  close(): Promise<void>;
}

const RETRY_MS = { first: 500, max: 10_000 };

export function listenOnPostgres(
  url: string,
  channel: string,
  handlers: NotificationHandlers,
  logger: Logger,
): NotificationListener {
  let live = false;
  let closed = false;
  let client: pg.Client | undefined;
  let retryMs = RETRY_MS.first;
  let timer: NodeJS.Timeout | undefined;

  const lost = (reason: string) => {
    if (client === undefined) return;
    void discard(client);
    client = undefined;
    if (live) logger.warn({ channel, reason }, "notification listener lost; client-key cache off until it is back");
    live = false;
    handlers.onReset();
    if (!closed) {
      timer = setTimeout(connect, retryMs);
      timer.unref();
      retryMs = Math.min(retryMs * 2, RETRY_MS.max);
    }
  };

  const connect = () => {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, keepAlive: true });
    client = next;
    next.on("error", (error) => lost(error.message));
    next.on("end", () => lost("connection ended"));
    next.on("notification", (message) => {
      if (message.channel === channel && message.payload !== undefined) handlers.onMessage(message.payload);
    });
    next
      .connect()
      .then(() => next.query(`LISTEN ${pg.escapeIdentifier(channel)}`))
      .then(() => {
        if (client !== next || closed) return;
        live = true;
        retryMs = RETRY_MS.first;
        handlers.onReset();
      })
      .catch((error: unknown) => lost(error instanceof Error ? error.message : String(error)));
  };

  connect();
  return {
    get live() {
      return live;
    },
    async close() {
      closed = true;
      live = false;
      clearTimeout(timer);
      const current = client;
      client = undefined;
      if (current) await discard(current);
    },
  };
}

/** Ends a client whose events no longer matter (a late error must not crash the process). */
async function discard(client: pg.Client): Promise<void> {
  client.removeAllListeners();
  client.on("error", () => undefined);
  await client.end().catch(() => undefined);
}

/** The embedded database has one process (its data-dir lock): what it changes, it knows at once. */
export const localOnlyListener: NotificationListener = { live: true, close: () => Promise.resolve() };
