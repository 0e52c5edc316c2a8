// The database's failures as the gateway's errors: whether a failure means
// "the database is out of reach" (DATABASE_UNAVAILABLE, retry shortly) rather
// than "this query is wrong", and a catalog read past its time budget
// (QUERY_TIMEOUT). Services wrap their database work in guardDatabase.
import { GatewayError } from "../errors.js";

const CONNECTION_FAILURE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EPIPE|Connection terminated|Can't reach database|connection (?:is )?closed|terminating connection|the database system is (?:starting up|shutting down|in recovery mode|not (?:yet )?accepting connections)|Client has encountered a connection error|timeout exceeded when trying to connect|Connection ended|server closed the connection|socket hang up/i;

/** Driver-adapter error kinds (Prisma 7) that mean the server is out of reach. */
const UNREACHABLE_KINDS = new Set([
  "ConnectionClosed",
  "DatabaseNotReachable",
  "SocketTimeout",
  "TooManyConnections",
  "TlsConnectionError",
]);

/** Our own mapped code, Prisma codes and PostgreSQL SQLSTATEs (admin shutdown, cannot connect now, connection exceptions, too many connections). */
const UNREACHABLE_CODES = /^(DATABASE_UNAVAILABLE|P1001|P1002|P1008|P1017|P2024|57P01|57P02|57P03|08\d{3}|53300)$/;

/**
 * Whether an error means "the database is not reachable" rather than "this
 * query is wrong". Prisma 7 surfaces driver-adapter failures in several
 * shapes (P1xxx codes, DriverAdapterError with a `kind`, raw pg errors with a
 * SQLSTATE), wrapped at various depths, so the whole error graph is searched.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): boolean => {
    if (!value || typeof value !== "object" || depth > 6 || seen.has(value)) return false;
    seen.add(value);
    const { code, originalCode, kind, message, name, cause, meta, driverAdapterError, originalError } = value as Record<
      string,
      unknown
    >;
    if (typeof code === "string" && UNREACHABLE_CODES.test(code)) return true;
    if (typeof originalCode === "string" && UNREACHABLE_CODES.test(originalCode)) return true;
    if (typeof kind === "string" && UNREACHABLE_KINDS.has(kind)) return true;
    if (name === "PrismaClientInitializationError") return true;
    if (typeof message === "string" && CONNECTION_FAILURE.test(message)) return true;
    return [cause, meta, driverAdapterError, originalError].some((inner) => visit(inner, depth + 1));
  };
  return visit(error, 0);
}

export const readTimeout = (timeoutMs: number, cause?: unknown): GatewayError =>
  new GatewayError(
    "QUERY_TIMEOUT",
    `The catalog read took longer than ${timeoutMs} ms and was cancelled. Narrow the filter or retry shortly.`,
    {},
    cause,
  );

export const databaseUnavailable = (cause?: unknown): GatewayError =>
  new GatewayError("DATABASE_UNAVAILABLE", "The voice catalog database is unavailable. Try again shortly.", {}, cause);

/** Re-throws database connection failures as DATABASE_UNAVAILABLE; anything else unchanged. */
export function mapDatabaseError(error: unknown): never {
  if (error instanceof GatewayError) throw error;
  if (isDatabaseUnavailable(error)) throw databaseUnavailable(error);
  throw error;
}

/** Runs database work, turning an unreachable database into DATABASE_UNAVAILABLE. */
export async function guardDatabase<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    return mapDatabaseError(error);
  }
}
