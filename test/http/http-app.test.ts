// The route table (src/http/http-app.ts) keeps the matching rules of the
// `router` package that served before it, so no URL changed meaning. Proven
// side by side: the same routes installed in both, behind two real servers,
// answer every request target alike (which handler, what it saw as `req.url`,
// its params), for random targets and methods sent byte for byte.
import fc from "fast-check";
import finalhandler from "finalhandler";
import Router from "router";
import { createHttpApp, type HttpApp, type Middleware, sendJson } from "../../src/http/http-app.js";
import { describe, expect, test } from "../support/fixtures.js";
import { hostileRuns, rawRequest } from "../support/hostile.js";
import { serveLocally } from "../support/local-server.js";

/** Answers which handler ran and what it saw; `name` says which. */
const answer =
  (name: string): Middleware =>
  (req, res) => {
    sendJson(res, 200, { name, url: req.url, params: req.params });
  };

/** The gateway's routes, in its order: a log-like layer, GET routes, two mounts, an error handler. */
function install(app: Pick<HttpApp, "use" | "get" | "useErrorHandler">): void {
  app.use((_req, res, next) => {
    res.setHeader("x-seen", "1");
    next();
  });
  app.get("/healthz", answer("healthz"));
  app.get("/readyz", async (_req, res) => {
    await Promise.resolve();
    sendJson(res, 200, { name: "readyz" });
  });
  app.get("/previews/:file", answer("previews"));
  app.get("/fails", () => {
    throw Object.assign(new Error("thrown"), { status: 418 });
  });
  app.get("/rejects", async () => {
    await Promise.resolve();
    throw Object.assign(new Error("rejected"), { status: 419 });
  });
  app.use(
    "/graphql",
    (req, _res, next) => {
      req.headers["x-first"] = req.url;
      next();
    },
    (req, res) => {
      sendJson(res, 200, { name: "graphql", url: req.url, first: req.headers["x-first"] });
    },
  );
  app.use("/explorer", (req, res, next) => {
    if (req.url?.startsWith("/next")) next();
    else answer("explorer")(req, res, next);
  });
  app.useErrorHandler((error, _req, res, next) => {
    const status = (error as { status?: number }).status;
    if (typeof status !== "number") {
      next(error);
      return;
    }
    sendJson(res, 200, { name: "error", status });
  });
}

/** The reference: the router package with finalhandler, as the gateway ran before. */
function referenceApp(): HttpApp {
  const router = Router();
  const app: Pick<HttpApp, "use" | "get" | "useErrorHandler"> = {
    use: (first: unknown, ...rest: unknown[]) => (router.use as (...args: unknown[]) => void)(first, ...rest),
    get: (path, handler) => router.get(path, handler as unknown as Router.RequestHandler),
    useErrorHandler: (handler) => router.use(handler as unknown as Router.ErrorRequestHandler),
  };
  install(app);
  return {
    ...app,
    listener(req, res) {
      (res as unknown as { locals: object }).locals = {};
      router(req, res, finalhandler(req, res, { env: "production", onerror: () => {} }));
    },
  };
}

const PREFIXES = [
  "/",
  "/healthz",
  "/HealthZ/",
  "/readyz",
  "/previews/",
  "/PREVIEWS/",
  "/graphql",
  "/GraphQL/",
  "/explorer",
  "/explorer/",
  "/fails",
  "/rejects",
  "/nowhere",
];
const PIECES = [
  "http://h",
  "http://h/graphql",
  "",
  "/",
  "//",
  "a",
  "x.wav",
  "%20",
  "%2F",
  "%",
  "%zz",
  "%E0%A4%A",
  "é",
  "?",
  "?q=/a",
  "#",
  "..",
  "next",
  ";",
  "\\",
];
const target = fc
  .tuple(fc.constantFrom(...PREFIXES), fc.array(fc.constantFrom(...PIECES), { maxLength: 4 }))
  .map(([prefix, pieces]) => `${prefix}${pieces.join("")}`);

describe("the route table", () => {
  test("answers every target and method as the router package did", async () => {
    const ours = createHttpApp({ production: true, onError: () => {} });
    install(ours);
    const [mine, reference] = await Promise.all([serveLocally(ours.listener), serveLocally(referenceApp().listener)]);
    try {
      const send = (port: number, method: string, path: string) =>
        rawRequest({ port, method, target: path, headers: [], body: Buffer.alloc(0) });
      await fc.assert(
        fc.asyncProperty(target, fc.constantFrom("GET", "HEAD", "POST", "OPTIONS", "DELETE"), async (path, method) => {
          const [got, expected] = await Promise.all([send(mine.port, method, path), send(reference.port, method, path)]);
          expect({ status: got.status, body: got.body }, `${method} ${path}`).toEqual({
            status: expected.status,
            body: expected.body,
          });
        }),
        hostileRuns,
      );
      // The cases the property is there for, spelled out.
      const cases = [
        "/HEALTHZ/",
        "/previews/a%20b.wav",
        "/previews/%zz",
        "/graphql/x?y=1",
        "/fails",
        "/rejects",
        "/explorer/next",
      ];
      for (const path of cases) {
        const [got, expected] = await Promise.all([send(mine.port, "GET", path), send(reference.port, "GET", path)]);
        expect(got.body, path).toBe(expected.body);
      }
      const allow = await send(mine.port, "OPTIONS", "/healthz");
      expect(allow.body).toBe("GET, HEAD");
    } finally {
      await Promise.all([mine.close(), reference.close()]);
    }
  });
});
