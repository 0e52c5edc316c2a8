// The HTTP application every concern installs itself into: the `router`
// package (the router Express 5 is built on, kept by the same team) over
// Node's own request and response objects, without Express itself.
//
// Why not Express: on every request Express swaps the prototypes of Node's
// request and response for its own (`Object.setPrototypeOf`), which makes
// every later property access on them, in Node's HTTP code as much as ours,
// slower. Measured with bench/graphql-floor (the smallest operation there
// is), the same Apollo server and middleware cost 488 µs per request under
// Express and 235–262 µs under this router (BENCHMARKS.md, "The floor").
// What Express added that we used is a handful of helpers, here.
import type { IncomingMessage, ServerResponse } from "node:http";
import finalhandler from "finalhandler";
import Router from "router";
import type { RequestReport } from "../context.js";

/** Node's request, as the router passes it, plus the body a parser set. */
export type HttpRequest = Router.Request & { body?: unknown };

/** What middleware leaves for later middleware on the response. */
export interface ResponseLocals {
  /** Set first of all, by request-log.ts. */
  report: RequestReport;
  /** Set by the response cache for a request whose answer it may keep. */
  responseCacheTicket?: { key: string; version: string };
}

export type HttpResponse = Router.Response & { locals: ResponseLocals };

export type NextFunction = (error?: unknown) => void;
export type Middleware = (req: HttpRequest, res: HttpResponse, next: NextFunction) => unknown;
export type ErrorMiddleware = (error: unknown, req: HttpRequest, res: HttpResponse, next: NextFunction) => unknown;

export interface HttpApp {
  /** Runs for every request (under `path`, when given), in the order installed. */
  use(...handlers: Middleware[]): void;
  use(path: string, ...handlers: Middleware[]): void;
  /** Runs for a failed request; must take four parameters (connect's convention). */
  useErrorHandler(handler: ErrorMiddleware): void;
  get(path: string, handler: Middleware): void;
  /** The `http.Server` request listener. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
}

export function createHttpApp(options: { production: boolean; onError: (error: unknown) => void }): HttpApp {
  const router = Router();
  // Our handlers take Node's objects with the few fields http-app adds; the router's types do not know them.
  const handlers = (list: Middleware[]) => list as unknown as [Router.RequestHandler, ...Router.RequestHandler[]];
  return {
    use(first: string | Middleware, ...rest: Middleware[]) {
      if (typeof first === "string") router.use(first, ...handlers(rest));
      else router.use(...handlers([first, ...rest]));
    },
    useErrorHandler(handler) {
      router.use(handler as unknown as Router.ErrorRequestHandler);
    },
    get(path, handler) {
      router.get(path, ...handlers([handler]));
    },
    listener(req, res) {
      (res as HttpResponse).locals = {} as ResponseLocals;
      // What nothing answered: 404, or the error's status, as Express would (Express uses finalhandler too).
      const done = finalhandler(req, res, { env: options.production ? "production" : "development", onerror: options.onError });
      router(req, res, done);
    },
  };
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
