// A GraphQL multipart request written by hand, so a test controls its pace:
// it can stall mid-file, trickle, or leave once the body is sent. `body`
// yields the request's bytes; `pace` (if given) decides, before each piece,
// how long to wait or whether to stop sending altogether.
import type { UploadFile } from "./gateway.js";

export interface PacedRequest {
  contentType: string;
  /** Total bytes of the body. */
  size: number;
  body(pace?: (sentBytes: number) => Promise<void>): AsyncGenerator<Buffer>;
}

const PIECE_BYTES = 64 * 1024;

/** `files` maps variable paths (e.g. "input.voiceFile") to files, sent in this order after operations and map. */
export function pacedMultipart(
  query: string,
  variables: Record<string, unknown>,
  files: Record<string, UploadFile>,
): PacedRequest {
  const boundary = `----paced-${Math.random().toString(16).slice(2)}`;
  const entries = Object.entries(files);
  const withNulls = structuredClone(variables);
  for (const [variablePath] of entries) {
    const keys = variablePath.split(".");
    let node = withNulls;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = null;
  }
  const operations = JSON.stringify({ query, variables: withNulls });
  const map = JSON.stringify(Object.fromEntries(entries.map(([variablePath], index) => [index, [`variables.${variablePath}`]])));
  const part = (name: string, file?: UploadFile) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file.filename}"` : ""}\r\n` +
        (file ? `Content-Type: ${file.type ?? "application/octet-stream"}\r\n` : "") +
        "\r\n",
    );
  const pieces = [
    part("operations"),
    Buffer.from(`${operations}\r\n`),
    part("map"),
    Buffer.from(`${map}\r\n`),
    ...entries.flatMap(([, file], index) => [part(String(index), file), file.content, Buffer.from("\r\n")]),
    Buffer.from(`--${boundary}--\r\n`),
  ];
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    size: pieces.reduce((total, piece) => total + piece.length, 0),
    async *body(pace) {
      let sent = 0;
      for (const piece of pieces) {
        for (let offset = 0; offset < piece.length; offset += PIECE_BYTES) {
          await pace?.(sent);
          const chunk = piece.subarray(offset, offset + PIECE_BYTES);
          sent += chunk.length;
          yield chunk;
        }
      }
    },
  };
}
