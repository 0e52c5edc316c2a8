// What the hostile-input suite (test/hostile/) shares: its fast-check
// settings, a raw HTTP/1.1 client that sends exactly the bytes it is given
// (undici refuses header values an attacker would send, and cannot leave
// mid-body), and the secret-free facts about a response the properties check.
//
// CI runs every property with a fixed seed, so a failure there is repeatable.
// A longer, randomly seeded run, e.g. before a release:
//   HOSTILE_RUNS=2000 HOSTILE_SEED=random npx vitest run test/hostile
// A failing run prints its seed and the shrunk counterexample; rerun it with
// HOSTILE_SEED=<seed>.
import { connect } from "node:net";

const seedSetting = process.env.HOSTILE_SEED ?? "19";

/** fast-check's parameters for every property of the suite. */
export const hostileRuns = {
  seed: seedSetting === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(seedSetting),
  numRuns: Number(process.env.HOSTILE_RUNS ?? 60),
} as const;

export interface RawResponse {
  /** The status line's code; undefined when the server closed without answering. */
  status: number | undefined;
  /** The status line and header lines, as sent. */
  head: string;
  body: string;
}

export interface RawRequest {
  port: number;
  /** The request line's method and target, sent as given (default POST /graphql). */
  method?: string;
  target?: string;
  /** Header lines after the request line, each without its CRLF. */
  headers: string[];
  body: Buffer;
  /** Declared Content-Length; defaults to the body's. A larger one with `leaveAfterBody` makes a client that leaves mid-body. */
  contentLength?: number;
  /** Close the socket right after writing the body, without waiting for an answer. */
  leaveAfterBody?: boolean;
}

/** Sends one request (POST /graphql unless told) over a fresh socket with `Connection: close`; resolves with the answer (or none, for a client that leaves). */
export function rawRequest(request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(request.port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      const split = text.indexOf("\r\n\r\n");
      resolve({
        status: status ? Number(status) : undefined,
        head: split === -1 ? text : text.slice(0, split),
        body: text.slice(split + 4),
      });
    });
    const head =
      `${request.method ?? "POST"} ${request.target ?? "/graphql"} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
      request.headers.map((line) => `${line}\r\n`).join("") +
      `Content-Length: ${request.contentLength ?? request.body.length}\r\n\r\n`;
    socket.write(head);
    socket.write(request.body, () => {
      if (request.leaveAfterBody) socket.destroy();
    });
  });
}

/** The codes of a GraphQL answer's errors; undefined when the body is not GraphQL JSON. */
export function errorCodes(body: string): string[] | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ extensions?: { code?: unknown } }> };
    return (parsed.errors ?? []).map((error) => String(error.extensions?.code));
  } catch {
    return undefined;
  }
}
