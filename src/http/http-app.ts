// The HTTP application every concern installs itself into: a route table
// over Node's own request and response objects, for the handful of paths the
// gateway has (a few GET routes and two mounts, /graphql and /explorer).
//
// It keeps the matching rules of the `router` package (what Express is built
// on), which served here before, so no URL changed meaning: paths match
// case-insensitively and with or without a trailing slash; a GET route
// answers HEAD too; a mount sees the rest of the path as `req.url`; a route's
// `:param` is one segment, percent-decoded (400 when it cannot be); an
// OPTIONS request nothing answered gets the route's `Allow`; a handler's
// throw or rejected promise goes to the error handlers; what nothing
// answered goes to `finalhandler`, as under Express.
//
// Why not the router: it tests every request against each layer's regular
// expression, and it and its helpers were about 3% of the CPU of the
// smallest GraphQL request (BENCHMARKS.md, issue 22). Why not Express: it
// swaps the prototypes of Node's request and response on every request,
// which made every later property access on them slower (488 against 235-262
// µs per request, BENCHMARKS.md, "The floor").
import type { IncomingMessage, ServerResponse } from "node:http";
import finalhandler from "finalhandler";
import parseurl from "parseurl";
import type { RequestReport } from "../context.js";

/** Node's request, plus what the route table and a body reader set. */
export type HttpRequest = IncomingMessage & {
  /** The URL as the client sent it (`req.url` is relative to a mount inside one). */
  originalUrl: string;
  /** A GET route's `:param` values, decoded. */
  params: Record<string, string>;
  /** The GET route that matched, for the request's metrics label. */
  route?: { path: string };
  body?: unknown;
};

/** What middleware leaves for later middleware on the response. */
export interface ResponseLocals {
  /** Set first of all, by request-log.ts. */
  report: RequestReport;
  /** Set by the response cache for a request whose answer it may keep. */
  responseCacheTicket?: { key: string; version: string };
}

export type HttpResponse = ServerResponse & { locals: ResponseLocals };

export type NextFunction = (error?: unknown) => void;
export type Middleware = (req: HttpRequest, res: HttpResponse, next: NextFunction) => unknown;
export type ErrorMiddleware = (error: unknown, req: HttpRequest, res: HttpResponse, next: NextFunction) => unknown;

export interface HttpApp {
  /** Runs for every request (under `path`, when given), in the order installed. */
  use(...handlers: Middleware[]): void;
  use(path: string, ...handlers: Middleware[]): void;
  /** Runs for a failed request, in the order installed. */
  useErrorHandler(handler: ErrorMiddleware): void;
  get(path: string, handler: Middleware): void;
  /** The `http.Server` request listener. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
}

type Layer =
  | { kind: "all"; handler: Middleware }
  | { kind: "mount"; prefix: string; handler: Middleware }
  | { kind: "get"; route: RoutePattern; handler: Middleware }
  | { kind: "error"; handler: ErrorMiddleware };

/** A GET route's path: literal segments (lower-cased) and `:param` ones. */
interface RoutePattern {
  path: string;
  /** What a matching path starts with, lower-cased: most requests are told apart by it alone. */
  start: string;
  segments: Array<{ literal: string } | { param: string }>;
}

export function createHttpApp(options: { production: boolean; onError: (error: unknown) => void }): HttpApp {
  const layers: Layer[] = [];
  const finalOptions = { env: options.production ? "production" : "development", onerror: options.onError };
  return {
    use(first: string | Middleware, ...rest: Middleware[]) {
      if (typeof first !== "string") {
        for (const handler of [first, ...rest]) layers.push({ kind: "all", handler });
        return;
      }
      const prefix = first.replace(/\/+$/, "").toLowerCase();
      for (const handler of rest) layers.push({ kind: "mount", prefix, handler });
    },
    useErrorHandler(handler) {
      layers.push({ kind: "error", handler });
    },
    get(path, handler) {
      layers.push({ kind: "get", route: routePattern(path), handler });
    },
    listener(req, res) {
      dispatch(layers, req as HttpRequest, res as HttpResponse, finalOptions);
    },
  };
}

function routePattern(path: string): RoutePattern {
  const segments = path
    .split("/")
    .filter(Boolean)
    .map((segment) => (segment.startsWith(":") ? { param: segment.slice(1) } : { literal: segment.toLowerCase() }));
  const first = segments[0];
  return { path, segments, start: first && "literal" in first ? `/${first.literal}` : "/" };
}

/** Runs the layers that match, in order, as connect does: each calls `next` to go on, or answers. */
function dispatch(layers: readonly Layer[], req: HttpRequest, res: HttpResponse, finalOptions: finalhandler.Options): void {
  res.locals = {} as ResponseLocals;
  const url = req.url ?? "/";
  req.originalUrl = url;
  req.params = {};
  // As the router read it: parseurl's pathname (it also reads absolute-form targets and stops at '#').
  let pathname: string;
  try {
    pathname = parseurl(req)?.pathname ?? "/";
  } catch {
    finalhandler(req, res, finalOptions)();
    return;
  }
  const lowerPath = pathname.toLowerCase();
  const protohost = protohostOf(url);
  const getOrHead = req.method === "GET" || req.method === "HEAD";
  let allowed = false; // a GET route matched this path: an unanswered OPTIONS gets its Allow
  let index = 0;
  const next: NextFunction = (error) => {
    req.url = url; // leaving a mount
    for (let layer = layers[index]; layer !== undefined; layer = layers[++index]) {
      if (layer.kind === "error") {
        if (error === undefined) continue;
        index++;
        run(() => layer.handler(error, req, res, next), next);
        return;
      }
      if (error !== undefined) continue;
      if (layer.kind === "mount") {
        if (!underMount(layer.prefix, lowerPath)) continue;
        // The rest of the URL, as the router cut it: after the matched path's length (the prefix,
        // and its trailing slash when nothing follows), with a leading slash.
        const removed = layer.prefix.length + (lowerPath.length === layer.prefix.length + 1 ? 1 : 0);
        const rest = url.slice(protohost.length + removed);
        req.url = protohost + (protohost || rest.startsWith("/") ? rest : `/${rest}`);
      } else if (layer.kind === "get") {
        const params = lowerPath.startsWith(layer.route.start) ? routeParams(layer.route, pathname) : undefined;
        if (params === undefined) continue;
        allowed = true;
        // Decoded as the path matches, whatever the method (as the router did).
        if (params instanceof Error) {
          error = params;
          continue;
        }
        if (!getOrHead) continue;
        req.params = params;
        req.route = { path: layer.route.path };
      }
      index++;
      run(() => layer.handler(req, res, next), next);
      return;
    }
    if (error === undefined && allowed && req.method === "OPTIONS") sendAllow(res);
    else finalhandler(req, res, finalOptions)(error);
  };
  next();
}

/** Calls a handler, sending its throw or rejection to `next`, as the router did. */
function run(call: () => unknown, next: NextFunction): void {
  try {
    const result = call();
    if (result instanceof Promise) result.catch((error: unknown) => next(error ?? new Error("Rejected promise")));
  } catch (error) {
    next(error);
  }
}

/** Whether a path is the mount's or below it. */
function underMount(prefix: string, lowerPath: string): boolean {
  return lowerPath.startsWith(prefix) && (lowerPath.length === prefix.length || lowerPath[prefix.length] === "/");
}

/** "http://host" of an absolute-form target ("GET http://host/path HTTP/1.1"), else "" (the router's rule, to the letter). */
function protohostOf(url: string): string {
  if (url.startsWith("/")) return "";
  const search = url.indexOf("?");
  const scheme = url.slice(0, search === -1 ? url.length : search).indexOf("://");
  return scheme === -1 ? "" : url.substring(0, url.indexOf("/", scheme + 3));
}

/** The route's params when the path matches it (an Error for a param that cannot be decoded), else undefined. */
function routeParams(route: RoutePattern, pathname: string): Record<string, string> | Error | undefined {
  const parts = pathname.split("/");
  // "/a/b" and "/a/b/" match a route "/a/b"; anything else with an empty segment does not.
  if (parts[0] !== "") return undefined;
  if (parts.length > 2 && parts.at(-1) === "") parts.pop();
  parts.shift();
  if (route.segments.length === 0) return pathname === "/" ? {} : undefined;
  if (parts.length !== route.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = route.segments[i];
    if (segment === undefined) return undefined;
    if ("literal" in segment) {
      if (part.toLowerCase() !== segment.literal) return undefined;
    } else {
      if (part === "") return undefined;
      try {
        params[segment.param] = part.includes("%") ? decodeURIComponent(part) : part;
      } catch {
        return Object.assign(new Error(`Failed to decode param '${part}'`), { status: 400, statusCode: 400 });
      }
    }
  }
  return params;
}

/** The router's answer to an OPTIONS request that only GET routes match. */
function sendAllow(res: ServerResponse): void {
  const allow = "GET, HEAD";
  res.setHeader("Allow", allow);
  res.setHeader("Content-Length", Buffer.byteLength(allow));
  res.setHeader("Content-Type", "text/plain");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.end(allow);
}

/** A request header as one string (the first, if sent several times). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(text));
  res.end(text);
}
