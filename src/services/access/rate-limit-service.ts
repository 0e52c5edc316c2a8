// Fixed-window rate limits kept in PostgreSQL, so every replica counts
// against the same budget. One upsert per check.
import { type Clock, systemClock } from "../../clock.js";
import { GatewayError } from "../../errors.js";
import { guardDatabase } from "../../db/database-errors.js";
import type { PrismaClient } from "../../generated/prisma/client.js";

export class RateLimitService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Counts one event in `bucket`; throws RATE_LIMITED beyond `limit` per `windowMs`. */
  async consume(bucket: string, limit: number, windowMs: number, what: string): Promise<void> {
    const now = this.clock.now();
    const windowStart = new Date(now - (now % windowMs));
    // A counter lost in a database crash costs nothing, so this commit does
    // not wait for the WAL flush: the check stays cheap on the request path.
    const [, rows] = await guardDatabase(() =>
      this.prisma.$transaction([
        this.prisma.$executeRaw`SET LOCAL synchronous_commit = off`,
        this.prisma.$queryRaw<Array<{ count: number | bigint }>>`
          INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES (${bucket}, ${windowStart}, 1)
          ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_windows.count + 1
          RETURNING count`,
      ]),
    );
    // A count comes back as bigint or number depending on the driver adapter.
    const count = Number(rows[0]?.count ?? 1);
    // Old windows are useless; sweeping now and then, off the request's path, keeps the table tiny.
    if (Math.random() < 0.02) {
      this.prisma.rateLimitWindow
        .deleteMany({ where: { windowStart: { lt: new Date(now - 10 * windowMs) } } })
        .catch(() => undefined);
    }
    if (count > limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((windowStart.getTime() + windowMs - now) / 1000));
      throw new GatewayError(
        "RATE_LIMITED",
        `Too many ${what}: at most ${limit} per ${Math.round(windowMs / 1000)} s for this client key. Retry in ${retryAfterSeconds} s.`,
        { reason: "CLIENT_RATE_LIMIT", retryAfterSeconds },
      );
    }
  }
}
