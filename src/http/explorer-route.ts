// GET /explorer/: Altair, a GraphQL explorer that sends multipart uploads,
// served from the files the altair-static package ships, so it works with no
// network but the gateway's: it loads nothing from another host, and its
// plugins, account and update checks are off. Apollo Sandbox stays at
// GET /graphql; it needs Apollo's CDN.
//
// The page's options are a script of their own (initial_options.js) rather
// than inline, so the Content-Security-Policy allows scripts from this origin
// only. Every request the page makes goes to this origin (connect-src
// 'self'): a pasted client key cannot leave it.
//
// On by default outside production, off in production unless EXPLORER=true.
import { getDistDirectory, isSandboxFrame, renderAltair, renderInitSnippet, type RenderOptions } from "altair-static";
import parseurl from "parseurl";
import serveStatic from "serve-static";
import type { Container } from "../container.js";
import { type HttpApp, type HttpRequest, type HttpResponse, sendJson } from "./http-app.js";

/** Where the page's options live, beside its assets. */
const OPTIONS_SCRIPT = "initial_options.js";

/** What both of the explorer's documents may load: this origin's files and nothing else. */
const THIS_ORIGIN_ONLY = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
];

/**
 * The page's policy. Styles may be inline because Altair's editors and themes
 * write them at run time; with images, fonts and connections held to this
 * origin, an injected style has nowhere to send anything. No eval: zod, in
 * Altair's bundle, probes for it and does without.
 */
export const EXPLORER_CSP = [
  ...THIS_ORIGIN_ONLY,
  "script-src 'self'",
  "script-src-attr 'none'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * The frame in which Altair runs pre- and post-request scripts
 * (iframe-sandbox/): it evaluates the script's text, so it needs eval, and
 * only the explorer may frame it. Altair opens it same-origin (its postMessage
 * checks the frame's origin); the sandbox policy altair-static suggests
 * (`sandbox allow-scripts`) would make that origin opaque and every script
 * would hang, so the frame gets this policy instead: whatever a script does,
 * it can reach no other host either.
 */
export const SCRIPT_FRAME_CSP = [...THIS_ORIGIN_ONLY, "script-src 'self' 'unsafe-eval'", "frame-ancestors 'self'"].join("; ");

/** esbuild's chunk names and Vite's asset names carry a hash of their content: cached for good. */
const CONTENT_HASHED = /(?:^|[/\\])(?:(?:chunk|worker)-[A-Z0-9]{8}\.js|index-[\w-]{8}\.(?:js|css))$/;

/** What the page starts with: this gateway's endpoint, the header uploads need, and nothing that calls out. */
const EXPLORER_OPTIONS: RenderOptions = {
  // Altair resolves a path against the page's origin: the gateway that served it.
  endpointURL: "/graphql",
  // Multipart requests need it (CSRF prevention); harmless on the others.
  initialHeaders: { "Apollo-Require-Preflight": "true" },
  // Client keys are bearer tokens: the Auth tab starts on Bearer, so a key is pasted there (an empty one sends nothing).
  initialAuthorization: { type: "bearer", data: { token: "" } },
  disableAccount: true,
  instanceStorageNamespace: "faseeh_gateway_explorer_",
  // Applied over whatever settings the browser kept, at every load: no plugin (they load from a CDN), no update checks.
  persistedSettings: {
    "plugin.list": [],
    "alert.disableUpdateNotification": true,
    "banners.disable": true,
    disablePushNotification: true,
  },
  initialSettings: { "schema.reloadOnStart": true },
};

export function installExplorerRoute(app: HttpApp, { config }: Pick<Container, "config">): void {
  if (!config.explorer) {
    app.use("/explorer", (_req, res) => {
      sendJson(res, 404, { error: "The explorer is not served: set EXPLORER=true on the gateway to serve it." });
    });
    return;
  }
  // Rendered once: the options are the same for every request.
  const page = renderAltair({ ...EXPLORER_OPTIONS, serveInitialOptionsInSeperateRequest: OPTIONS_SCRIPT });
  const optionsScript = renderInitSnippet(EXPLORER_OPTIONS);
  const assets = serveStatic(getDistDirectory(), {
    index: false,
    redirect: false,
    setHeaders: (res: HttpResponse, file: string) => {
      res.setHeader("cache-control", CONTENT_HASHED.test(file) ? "public, max-age=31536000, immutable" : "no-cache");
      if (isSandboxFrame(file)) res.setHeader("content-security-policy", SCRIPT_FRAME_CSP);
    },
  });
  app.use("/explorer", (req, res, next) => {
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("referrer-policy", "no-referrer");
    // parseurl, as serve-static reads it: an absolute-form target ("GET http://host/explorer/") too.
    const pathname = parseurl(req)?.pathname ?? "/";
    if (req.method !== "GET" && req.method !== "HEAD") next();
    else if (pathname === "/" || pathname === "/index.html") sendPage(req, res, page);
    else if (pathname === `/${OPTIONS_SCRIPT}`) sendText(req, res, "text/javascript; charset=utf-8", optionsScript);
    else assets(req, res, next);
  });
}

/** The page, at /explorer/ (a trailing slash, so its relative asset URLs resolve under /explorer/). */
function sendPage(req: HttpRequest, res: HttpResponse, page: string): void {
  const queryAt = req.originalUrl.indexOf("?");
  const path = queryAt < 0 ? req.originalUrl : req.originalUrl.slice(0, queryAt);
  if (!path.endsWith("/") && !path.endsWith("/index.html")) {
    // Relative, so it holds behind a proxy that serves the gateway under a path.
    res.statusCode = 308;
    res.setHeader("location", `explorer/${queryAt < 0 ? "" : req.originalUrl.slice(queryAt)}`);
    res.end();
    return;
  }
  res.setHeader("content-security-policy", EXPLORER_CSP);
  sendText(req, res, "text/html; charset=utf-8", page);
}

function sendText(req: HttpRequest, res: HttpResponse, type: string, text: string): void {
  res.statusCode = 200;
  res.setHeader("content-type", type);
  res.setHeader("cache-control", "no-cache");
  res.setHeader("content-length", Buffer.byteLength(text));
  res.end(req.method === "HEAD" ? undefined : text);
}
