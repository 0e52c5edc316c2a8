// The JSON body reader (src/http/json-body.ts) reads the common case itself
// and hands the rest to body-parser. Proven side by side with body-parser
// alone, behind two real servers: random bodies and content types, sent byte
// for byte, get the same status and the same parsed body from both.
import bodyParser from "body-parser";
import fc from "fast-check";
import { createHttpApp, type Middleware, sendJson } from "../../src/http/http-app.js";
import { jsonBody } from "../../src/http/json-body.js";
import { describe, expect, test } from "../support/fixtures.js";
import { hostileRuns, rawRequest } from "../support/hostile.js";
import { serveLocally } from "../support/local-server.js";
import { waitFor } from "../support/wait.js";

const LIMIT = 64;

/** An app that reads the body with `reader`, then says what it got, or the refusal's status (also kept in `refusals`). */
async function serve(reader: Middleware) {
  const refusals: unknown[] = [];
  const app = createHttpApp({ production: true, onError: () => {} });
  app.use("/graphql", reader, (req, res) => {
    sendJson(res, 200, { body: req.body ?? "(none)" });
  });
  app.useErrorHandler((error, _req, res) => {
    refusals.push((error as { status?: number }).status);
    sendJson(res, 200, { refused: (error as { status?: number }).status });
  });
  return { refusals, ...(await serveLocally(app.listener)) };
}

const CONTENT_TYPES = [
  "application/json",
  "application/JSON; charset=UTF-8",
  'application/json; charset="utf-8"',
  "application/json;charset=utf-8",
  "application/json; charset=latin1",
  "application/json; charset=utf-16",
  "application/graphql-response+json",
  "text/json",
  "application/json; boundary=x",
  "text/plain",
];

const TEXTS = [
  '{"query":"{ __typename }"}',
  '  \n{"a":[1,2,{"b":null}]}\t',
  "[]",
  '"a string"',
  "42",
  "null",
  "{",
  "{}}",
  "",
  "   ",
  '{"a":"\\u0000"}',
  '{"long":"' + "x".repeat(LIMIT) + '"}',
];

const body = fc.oneof(
  fc.constantFrom(...TEXTS).map((text) => Buffer.from(text)),
  fc.constantFrom(...TEXTS).map((text) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])),
  fc.json({ maxDepth: 2 }).map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)),
);

describe("the JSON body reader", () => {
  test("reads and refuses every body as body-parser does", async () => {
    const [ours, reference] = await Promise.all([
      serve(jsonBody({ limit: LIMIT })),
      serve(bodyParser.json({ limit: LIMIT }) as Middleware),
    ]);
    try {
      const send = (port: number, type: string | undefined, bytes: Buffer, encoding: string | undefined) =>
        rawRequest({
          port,
          headers: [...(type ? [`Content-Type: ${type}`] : []), ...(encoding ? [`Content-Encoding: ${encoding}`] : [])],
          body: bytes,
        });
      await fc.assert(
        fc.asyncProperty(
          fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
          body,
          fc.option(fc.constantFrom("identity", "br"), { nil: undefined, freq: 5 }),
          async (type, bytes, encoding) => {
            const [got, expected] = await Promise.all([
              send(ours.port, type, bytes, encoding),
              send(reference.port, type, bytes, encoding),
            ]);
            expect({ status: got.status, body: got.body }, `${type} ${bytes.toString("hex")}`).toEqual({
              status: expected.status,
              body: expected.body,
            });
          },
        ),
        hostileRuns,
      );
      // What the fast path is for, and the refusals a client meets, spelled out.
      const plain = await send(ours.port, "application/json", Buffer.from('{"query":"{ a }"}'), undefined);
      expect(JSON.parse(plain.body)).toEqual({ body: { query: "{ a }" } });
      const tooLarge = await send(ours.port, "application/json", Buffer.from(TEXTS.at(-1)!), undefined);
      expect(JSON.parse(tooLarge.body)).toEqual({ refused: 413 });
      const broken = await send(ours.port, "application/json", Buffer.from("{"), undefined);
      expect(JSON.parse(broken.body)).toEqual({ refused: 400 });
      // A client that leaves mid-body: refused as aborted (400) by both, for the request's log line.
      ours.refusals.length = reference.refusals.length = 0;
      for (const server of [ours, reference]) {
        const left = await rawRequest({
          port: server.port,
          headers: ["Content-Type: application/json"],
          body: Buffer.from('{"query":'),
          contentLength: 40,
          leaveAfterBody: true,
        });
        expect(left.status).toBeUndefined();
        await waitFor(() => server.refusals.length === 1, 10_000, "the refusal of a body cut short");
      }
      expect(ours.refusals).toEqual(reference.refusals);
      expect(ours.refusals).toEqual([400]);
    } finally {
      await Promise.all([ours.close(), reference.close()]);
    }
  });
});
