// Reads a JSON request body (text-to-speech) with a bound on its size: what
// arrived, parsed, or why there is nothing to parse.
import type { IncomingMessage } from "node:http";

/** Bodies larger than this are refused with a 413 (and discarded as they arrive, never kept). */
export const JSON_BODY_LIMIT = 1024 * 1024;

export type JsonBody =
  /** The whole body arrived; `value` is undefined when it was not JSON (or empty). */
  | { kind: "read"; value: unknown }
  /** The whole body arrived but was over JSON_BODY_LIMIT bytes. */
  | { kind: "tooLarge" }
  /** The client went away before the body's end. */
  | { kind: "gone" };

/** Reads the body to its end, keeping at most JSON_BODY_LIMIT bytes; always resolves. */
export function readJsonBody(req: IncomingMessage): Promise<JsonBody> {
  return new Promise<JsonBody>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Without a listener the 'aborted' ECONNRESET error would be thrown.
    req.on("error", () => {});
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      // Past the bound the rest is read and dropped, so the 413 reaches a client still sending.
      if (size <= JSON_BODY_LIMIT) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.once("end", () => {
      if (size > JSON_BODY_LIMIT) resolve({ kind: "tooLarge" });
      else resolve({ kind: "read", value: parseJson(Buffer.concat(chunks).toString("utf8")) });
    });
    req.once("close", () => {
      if (!req.complete) resolve({ kind: "gone" });
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
