// /explorer over HTTP: where it is served, what it is served with (its
// security policy, caching), and that production leaves it off unless asked.
// What it does in a browser is explorer.browser.test.ts.
import { readdir } from "node:fs/promises";
import { getDistDirectory } from "altair-static";
import { request } from "undici";
import { describe, expect, test } from "../support/fixtures.js";
import { rawRequest } from "../support/hostile.js";

test.override("gatewayOptions", { withUpstream: false });

const get = async (url: string, method: "GET" | "HEAD" | "POST" = "GET") => {
  const response = await request(url, { method, headers: { accept: "text/html,*/*" } });
  const body = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body };
};

/** The Content-Security-Policy header, directive by directive. */
const policyOf = (headers: Record<string, string | string[] | undefined>): Record<string, string> =>
  Object.fromEntries(
    String(headers["content-security-policy"])
      .split(";")
      .map((directive) => directive.trim().split(/\s+/))
      .map(([name = "", ...sources]) => [name, sources.join(" ")] as const),
  );

/** A content-hashed chunk of Altair's build, whatever this version names it. */
const someChunk = async (): Promise<string> => {
  const chunk = (await readdir(getDistDirectory())).find((name) => /^chunk-[A-Z0-9]{8}\.js$/.test(name));
  if (!chunk) throw new Error("altair-static ships no chunk-*.js: has its build layout changed?");
  return chunk;
};

describe("outside production", () => {
  test("an absolute-form target (GET http://host/explorer/) gets the same page and policy as a path", async ({ gateway }) => {
    const port = Number(new URL(gateway.url).port);
    const viaPath = await rawRequest({ port, method: "GET", target: "/explorer/index.html", headers: [], body: Buffer.alloc(0) });
    for (const target of ["http://gateway.test/explorer/", "http://gateway.test/explorer/index.html"]) {
      const answer = await rawRequest({ port, method: "GET", target, headers: [], body: Buffer.alloc(0) });
      expect(answer.status, target).toBe(200);
      expect(answer.body, target).toBe(viaPath.body);
      expect(answer.head, target).toMatch(/^content-security-policy: default-src 'self'/im);
    }
  });

  test("/explorer sends the browser to /explorer/, keeping the query", async ({ gateway }) => {
    const bare = await get(`${gateway.url}/explorer?tab=1`);
    expect(bare.status).toBe(308);
    expect(new URL(String(bare.headers.location), `${gateway.url}/explorer?tab=1`).href).toBe(`${gateway.url}/explorer/?tab=1`);
  });

  test("/explorer/ is Altair's page with no inline script, under a policy that keeps it on this origin", async ({ gateway }) => {
    const page = await get(`${gateway.url}/explorer/`);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["cache-control"]).toBe("no-cache");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(policyOf(page.headers)).toMatchObject({
      "default-src": "'self'",
      "script-src": "'self'",
      "connect-src": "'self'",
      "img-src": "'self' data:",
      "font-src": "'self' data:",
      "object-src": "'none'",
      "frame-ancestors": "'none'",
    });
    // Every <script> has a src (the page's options included): nothing inline for the policy to allow.
    const scripts = [...page.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map(([, attributes]) => /\bsrc="([^"]+)"/.exec(attributes!)?.[1])).toEqual([
      "polyfills.js",
      "main.js",
      "initial_options.js",
    ]);
    expect(scripts.every(([, , content]) => content!.trim() === "")).toBe(true);
    expect(page.body).toContain('<base href="./">');
    expect(page.body).not.toMatch(/https?:\/\//);
  });

  test("its options point at /graphql with the upload header, with plugins and the account off", async ({ gateway }) => {
    const options = await get(`${gateway.url}/explorer/initial_options.js`);
    expect(options.status).toBe(200);
    expect(options.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(options.body).toContain("AltairGraphQL.init(");
    expect(options.body).toContain("endpointURL: `/graphql`");
    expect(options.body).toMatch(/initialHeaders: \{\s*'Apollo-Require-Preflight': `true`\s*\}/);
    expect(options.body).toContain("disableAccount: true");
    expect(options.body).toContain("'plugin.list': []");
    expect(options.body).toContain("'alert.disableUpdateNotification': true");
  });

  test("serves Altair's files: hashed chunks cached for good, the rest revalidated", async ({ gateway }) => {
    const chunk = await get(`${gateway.url}/explorer/${await someChunk()}`);
    expect(chunk.status).toBe(200);
    expect(chunk.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(chunk.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const main = await get(`${gateway.url}/explorer/main.js`);
    expect(main.status).toBe(200);
    expect(main.headers["cache-control"]).toBe("no-cache");
    expect(main.headers.etag).toBeTruthy();
    const revalidated = await request(`${gateway.url}/explorer/main.js`, {
      headers: { "if-none-match": String(main.headers.etag) },
    });
    await revalidated.body.dump();
    expect(revalidated.statusCode).toBe(304);
  });

  test("serves the frame Altair runs request scripts in under its own policy: eval, this origin only", async ({ gateway }) => {
    const frame = await get(`${gateway.url}/explorer/iframe-sandbox/index.html`);
    expect(frame.status).toBe(200);
    expect(policyOf(frame.headers)).toMatchObject({
      "default-src": "'self'",
      "script-src": "'self' 'unsafe-eval'",
      "connect-src": "'self'",
      "frame-ancestors": "'self'",
    });
  });

  test("answers 404 for a file Altair does not ship, and for anything but GET and HEAD", async ({ gateway }) => {
    expect((await get(`${gateway.url}/explorer/no-such-file.js`)).status).toBe(404);
    expect((await get(`${gateway.url}/explorer/../package.json`)).status).toBe(404);
    expect((await get(`${gateway.url}/explorer/%2e%2e/%2e%2e/package.json`)).status).toBe(404);
    expect((await get(`${gateway.url}/explorer/`, "POST")).status).toBe(404);
    const head = await get(`${gateway.url}/explorer/`, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
  });

  test("its requests are timed under their own route, /explorer", async ({ gateway }) => {
    expect((await get(`${gateway.url}/explorer/main.js`)).status).toBe(200);
    const metrics = await get(`${gateway.url}/metrics`);
    expect(metrics.body).toMatch(
      /^gateway_http_request_duration_seconds_count\{method="GET",route="\/explorer",status="200"\} \d+$/m,
    );
  });

  test("EXPLORER=false turns it off", async ({ startGateway }) => {
    const off = await startGateway({ env: { EXPLORER: "false" } });
    const page = await get(`${off.url}/explorer/`);
    expect(page.status).toBe(404);
    expect(JSON.parse(page.body)).toEqual({
      error: "The explorer is not served: set EXPLORER=true on the gateway to serve it.",
    });
  });
});

describe("in production", () => {
  test("it is not served", async ({ productionGateway }) => {
    for (const path of ["/explorer", "/explorer/", "/explorer/main.js", "/explorer/initial_options.js"]) {
      const answer = await get(`${productionGateway.url}${path}`);
      expect(answer.status, path).toBe(404);
      expect(JSON.parse(answer.body), path).toEqual({
        error: "The explorer is not served: set EXPLORER=true on the gateway to serve it.",
      });
    }
  });

  test("EXPLORER=true serves it", async ({ startGateway }) => {
    const on = await startGateway({ env: { NODE_ENV: "production", ALLOW_ANONYMOUS: "true", EXPLORER: "true" } });
    const page = await get(`${on.url}/explorer/`);
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("connect-src 'self'");
    expect((await get(`${on.url}/explorer/main.js`)).status).toBe(200);
  });
});
