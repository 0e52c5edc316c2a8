// Boot and command failures an operator fixes outside the code (the database
// named in DATABASE_URL is missing, PostgreSQL is down or refuses the login,
// the port is taken), as one sentence that says what to do. main.ts and every
// CLI (through cli/run-cli.ts) print it instead of a stack trace; anything not
// recognised here is a bug and keeps its stack.
//
// Recognised by error codes anywhere in the error graph: pg throws the
// driver's or the socket's error as is, Prisma 7 nests it under
// `meta.driverAdapterError.cause`, pg-pool under `cause`, Node's
// happy-eyeballs connect under an AggregateError's `errors`.
import { type Config, ConfigError } from "./config.js";
import { DataDirInUseError } from "./db/data-dir-lock.js";
import { GatewayError } from "./errors.js";
import { isDatabaseUnavailable } from "./db/database-errors.js";

/** Thrown when the configuration would leave a production gateway open to anyone. */
export class UnsafeStartError extends Error {
  override name = "UnsafeStartError";

  constructor(why: string) {
    super(`Refusing to start: ${why}`);
  }
}

/**
 * The one sentence main.ts and every command print for a failure the
 * operator fixes (below, a bad configuration, a refusal to start open, the
 * embedded database in use, a command's own refusal); undefined for a bug,
 * which keeps its stack.
 */
export function operatorSentence(error: unknown, config?: Config): string | undefined {
  const known =
    error instanceof ConfigError ||
    error instanceof UnsafeStartError ||
    error instanceof DataDirInUseError ||
    error instanceof GatewayError;
  return describeStartupFailure(error, config) ?? (known ? error.message : undefined);
}

type ErrorNode = Record<string, unknown>;

/** Every object in the error graph, outermost first (bounded, cycles skipped). */
function errorGraph(error: unknown): ErrorNode[] {
  const nodes: ErrorNode[] = [];
  const seen = new Set<unknown>();
  const queue: [unknown, number][] = [[error, 0]];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [value, depth] = next;
    if (!value || typeof value !== "object" || depth > 6 || seen.has(value)) continue;
    seen.add(value);
    const node = value as ErrorNode;
    nodes.push(node);
    const inner = [node.cause, node.meta, node.driverAdapterError, node.originalError];
    if (Array.isArray(node.errors)) inner.push(...(node.errors as unknown[]));
    for (const value of inner) queue.push([value, depth + 1]);
  }
  return nodes;
}

/** The first node carrying one of `codes` as its code, original (driver) code or Prisma adapter kind. */
function findCode(nodes: ErrorNode[], ...codes: string[]): ErrorNode | undefined {
  return nodes.find((node) => [node.code, node.originalCode, node.kind].some((code) => codes.includes(code as string)));
}

/** The first message matching `pattern`, and its match. */
function findMessage(nodes: ErrorNode[], pattern: RegExp): RegExpExecArray | undefined {
  for (const node of nodes) {
    for (const text of [node.message, node.originalMessage]) {
      const match = typeof text === "string" ? pattern.exec(text) : null;
      if (match) return match;
    }
  }
  return undefined;
}

/**
 * The sentence for a failure an operator can fix, or undefined when the error
 * is not one of those (then show its stack: it is a bug). `config` is the
 * configuration the process booted with, when it got that far; it says which
 * server was tried. The password of DATABASE_URL never appears.
 */
export function describeStartupFailure(error: unknown, config?: Config): string | undefined {
  const nodes = errorGraph(error);
  const database = config?.database.kind === "postgres" ? config.database.url : undefined;
  const sentence = listenFailure(nodes) ?? (database === undefined ? undefined : databaseFailure(error, nodes, database));
  return sentence && database ? withoutPassword(sentence, database) : sentence;
}

/** The HTTP listener could not bind (only `server.listen` fails with syscall "listen"). */
function listenFailure(nodes: ErrorNode[]): string | undefined {
  const failure = nodes.find((node) => node.syscall === "listen");
  if (!failure) return undefined;
  const port = typeof failure.port === "number" ? String(failure.port) : "?";
  const address = typeof failure.address === "string" ? failure.address : undefined;
  const on = address && address !== "::" && address !== "0.0.0.0" ? ` on ${address}` : "";
  switch (failure.code) {
    case "EADDRINUSE":
      return `Port ${port}${on} is already in use by another process: stop that process, or set PORT to a free port.`;
    case "EACCES":
      return (
        `Not permitted to listen on port ${port}${on} (ports below 1024 need privileges): ` +
        "set PORT to a port above 1023, or grant node the right to bind it (CAP_NET_BIND_SERVICE)."
      );
    case "EADDRNOTAVAIL":
      return `HOST ${address ?? "?"} is not an address of this machine: set HOST to one of its addresses, or leave it unset.`;
    default:
      return undefined;
  }
}

/** A URL part as written when it is not valid percent-encoding (decodeURIComponent would throw). */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Where DATABASE_URL points, as the operator wrote it (pg's defaults filled in). */
function postgresTarget(url: string) {
  const parsed = new URL(url);
  const host = parsed.hostname || parsed.searchParams.get("host") || "localhost";
  const port = parsed.port || parsed.searchParams.get("port") || "5432";
  const user = decoded(parsed.username);
  return {
    at: `${host}:${port}`,
    createdb: `createdb -h ${host.replace(/^\[(.*)\]$/, "$1")} -p ${port}${user ? ` -U ${user}` : ""}`,
    database: decoded(parsed.pathname.slice(1)) || user,
    user,
  };
}

/** The database server refused, or could not be reached. */
function databaseFailure(error: unknown, nodes: ErrorNode[], url: string): string | undefined {
  const target = postgresTarget(url);
  const { at } = target;
  if (findCode(nodes, "3D000", "P1003", "DatabaseDoesNotExist")) {
    return (
      `The database "${target.database}" named in DATABASE_URL does not exist on the PostgreSQL server at ${at}: ` +
      `create it (\`${target.createdb} ${target.database}\`) or correct DATABASE_URL.`
    );
  }
  if (findCode(nodes, "28P01", "P1000", "AuthenticationFailed")) {
    const of = target.user ? ` of user "${target.user}"` : "";
    return `PostgreSQL at ${at} refused the password${of}: correct the user or password in DATABASE_URL.`;
  }
  if (findCode(nodes, "28000", "P1010", "DatabaseAccessDenied")) {
    const said = findMessage(nodes, /^(role "[^"]*" does not exist|no pg_hba\.conf entry|.*not permitted to log in)/)?.[1];
    return (
      `PostgreSQL at ${at} refused the login${said ? ` (${said})` : ""}: correct the user in DATABASE_URL, ` +
      "or let it in on the server (create the role, or allow it in pg_hba.conf)."
    );
  }
  const phase = findMessage(
    nodes,
    /the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/,
  );
  if (phase || findCode(nodes, "57P03")) {
    return `PostgreSQL at ${at} is not accepting connections yet (${phase?.[0] ?? "cannot connect now"}): retry once it is up.`;
  }
  if (findCode(nodes, "ENOTFOUND", "EAI_AGAIN")) {
    return `The PostgreSQL host in DATABASE_URL (${at}) cannot be resolved: correct the host in DATABASE_URL.`;
  }
  if (findCode(nodes, "ECONNREFUSED", "DatabaseNotReachable", "P1001")) {
    return `Nothing accepts connections at ${at}, where DATABASE_URL points: start PostgreSQL there, or correct the host and port in DATABASE_URL.`;
  }
  if (findCode(nodes, "53300", "TooManyConnections")) {
    return `PostgreSQL at ${at} has no connection left (too many connections): raise its max_connections, or lower DATABASE_POOL_SIZE.`;
  }
  if (!isDatabaseUnavailable(error)) return undefined;
  const timedOut = findCode(nodes, "ETIMEDOUT", "SocketTimeout", "P1002") ?? findMessage(nodes, /timeout/i);
  return (
    `PostgreSQL at ${at} could not be reached (${timedOut ? "no answer in time" : "the connection was closed"}): ` +
    "check that it runs and that this machine can reach it, or correct the host and port in DATABASE_URL."
  );
}

/**
 * Belt and braces: the sentence is built from the URL's other parts and the
 * server's messages, so the password can only appear by coincidence (a user
 * named like it). Masked where it stands as a word of its own, so a short
 * password does not mangle every word that contains it.
 */
function withoutPassword(sentence: string, url: string): string {
  const { password } = new URL(url);
  if (!password) return sentence;
  return [password, decoded(password)].reduce((text, secret) => {
    const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return text.replace(new RegExp(`(?<!\\w)${escaped}(?!\\w)`, "g"), "***");
  }, sentence);
}
