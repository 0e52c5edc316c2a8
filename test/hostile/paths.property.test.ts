// Property: no request target answers 5xx or hurts the process. The paths the
// gateway serves files under (the offline explorer's /explorer/, the kept
// audio's /previews/ and /speech/) and the rest of the route table get random
// targets, sent byte for byte over a raw socket (clients normalise what an
// attacker would not): dot segments, encoded and doubled slashes, backslashes, broken
// and overlong percent escapes, NUL, non-ASCII bytes, query strings, with
// every method. No answer is 5xx (or missing); afterwards the process answers
// /healthz and has logged no error.
import fc from "fast-check";
import { describe, expect, test } from "../support/fixtures.js";
import { hostileRuns, rawRequest } from "../support/hostile.js";

const PREFIXES = ["/explorer/", "/explorer", "/previews/", "/speech/", "/", "/graphql/", "/metrics/", "/healthz/"];
const PIECES = [
  "..",
  ".",
  "/",
  "//",
  "%2e",
  "%2f",
  "%2F",
  "%5c",
  "\\",
  "%00",
  "%",
  "%zz",
  "%E0%A4%A",
  "%ff",
  "?",
  "#",
  ";",
  "~",
  "index.html",
  "assets",
  "initial_options.js",
  "iframe-sandbox",
  "package.json",
  "etc",
  "passwd",
  "é",
  "؟",
];

/** A request target: a prefix, then random pieces and raw characters; bytes above 0x7f go out as UTF-8, as an attacker's client would send them. */
const target = fc
  .tuple(
    fc.constantFrom(...PREFIXES),
    fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: "grapheme", maxLength: 6 })), { maxLength: 12 }),
  )
  // A request line holds no space, CR or LF; anything else goes.
  .map(([prefix, pieces]) => `${prefix}${pieces.join("")}`.replace(/[\s]/g, "_"));

describe("any request target, for any method", () => {
  test("never answers 5xx, and the process stays well", async ({ gateway }) => {
    const port = Number(new URL(gateway.url).port);
    await fc.assert(
      fc.asyncProperty(target, fc.constantFrom("GET", "HEAD", "POST", "OPTIONS", "DELETE"), async (path, method) => {
        const answer = await rawRequest({ port, method, target: path, headers: [], body: Buffer.alloc(0) });
        expect(answer.status, `${method} ${path}`).toBeDefined();
        expect(answer.status!, `${method} ${path}: ${answer.body.slice(0, 200)}`).toBeLessThan(500);
      }),
      hostileRuns,
    );
    const health = await rawRequest({ port, method: "GET", target: "/healthz", headers: [], body: Buffer.alloc(0) });
    expect(health.status).toBe(200);
    expect(gateway.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
