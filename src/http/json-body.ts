// The JSON body of a GraphQL request. The common case, what every GraphQL
// client sends (`Content-Type: application/json`, optionally with
// `charset=utf-8`, no Content-Encoding, a Content-Length within the limit),
// is read here in a few lines; anything else goes to body-parser, which
// decides it as before (chunked or compressed bodies, other charsets, bodies
// declared over the limit). Both refuse the same way (status 400 or 413,
// answered by body-errors.ts), so a client cannot tell which one read it.
//
// Why: body-parser with raw-body, type-is, content-type and iconv-lite was
// about 6% of the CPU of the smallest GraphQL request (BENCHMARKS.md, issue 22).
import bodyParser from "body-parser";
import type { HttpRequest, HttpResponse, Middleware, NextFunction } from "./http-app.js";

const PLAIN_JSON = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/** An error body-errors.ts answers in GraphQL's shape, as it does body-parser's. */
class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

export function jsonBody(options: { limit: number }): Middleware {
  const general = bodyParser.json({ limit: options.limit }) as Middleware;
  return (req: HttpRequest, res: HttpResponse, next: NextFunction) => {
    const type = req.headers["content-type"];
    if (type === undefined || !/json/i.test(type)) {
      next(); // not JSON: the multipart reader or Apollo decide
      return;
    }
    const length = Number(req.headers["content-length"]);
    const plain =
      PLAIN_JSON.test(type) &&
      req.headers["content-encoding"] === undefined &&
      req.headers["transfer-encoding"] === undefined &&
      Number.isInteger(length) &&
      length > 0 &&
      length <= options.limit;
    if (!plain) return general(req, res, next);
    readPlainJson(req, length, next);
  };
}

/** Reads exactly `length` bytes (Node's parser stops the body there) and parses them as strict JSON. */
function readPlainJson(req: HttpRequest, length: number, next: NextFunction): void {
  const chunks: Buffer[] = [];
  let received = 0;
  req.on("data", (chunk: Buffer) => {
    received += chunk.length;
    chunks.push(chunk);
  });
  let ended = false;
  // A client that leaves mid-body is refused as raw-body refuses it (400, "request aborted"), so
  // its log line and metrics say so; nobody reads the answer.
  req.once("close", () => {
    if (!ended) next(new BodyError(400, "request aborted"));
  });
  req.once("end", () => {
    ended = true;
    if (received !== length) {
      next(new BodyError(400, "request size did not match content length"));
      return;
    }
    let text = Buffer.concat(chunks, received).toString("utf8");
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM, as iconv-lite drops it
    if (text === "") {
      req.body = {}; // body-parser's answer to a body with nothing after its BOM
      next();
      return;
    }
    // Strict, like body-parser: only an object or an array at the top.
    const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
    if (first !== "{" && first !== "[") {
      next(new BodyError(400, "the body is not a JSON object or array"));
      return;
    }
    try {
      req.body = JSON.parse(text) as unknown;
    } catch {
      next(new BodyError(400, "the body is not valid JSON"));
      return;
    }
    next();
  });
  req.once("error", () => undefined); // 'close' follows
}
