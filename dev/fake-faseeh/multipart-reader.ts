// Reads a request as the fake records it: its headers, and its multipart body
// streamed through SHA-256 (files are never buffered), or the body drained
// unread. Tests read what was received through ReceivedCloneRequest.
import { createHash, type Hash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import busboy from "busboy";
import { messageOf } from "./http-answers.js";

/** How many leading bytes of each file are kept for magic-number assertions. */
const FIRST_BYTES = 16;

export interface ReceivedFile {
  /** Multipart part name, e.g. "voice_file". */
  field: string;
  /** Undefined when the part had no filename (busboy still treats application/octet-stream parts as files). */
  filename: string | undefined;
  mimeType: string;
  /** Bytes received (for aborted requests: bytes received before the client went away). */
  size: number;
  /** Hex SHA-256 of the bytes received, computed while streaming. */
  sha256: string;
  /** Up to the first 16 bytes, for magic-number checks (RIFF, ID3, ...). */
  firstBytes: Buffer;
}

export interface ReceivedCloneRequest {
  method: string;
  /** Request target as sent, including any query string. */
  path: string;
  /** Lower-cased header names; repeated headers are joined with ", ". */
  headers: Record<string, string>;
  apiKey: string | undefined;
  contentType: string | undefined;
  /** Text fields; if a name repeats, the last value wins (see fieldNames). */
  fields: Record<string, string>;
  /** Names of every part, text fields AND files, in the order they arrived. */
  fieldNames: string[];
  files: ReceivedFile[];
  /** True when the body was not fully received (client went away, or resetBeforeBody). */
  aborted: boolean;
}

/** Size and SHA-256 of each file a request carried, by field: what tests compare with what the client sent. */
export function filesOf(request: ReceivedCloneRequest): Record<string, { size: number; sha256: string }> {
  return Object.fromEntries(request.files.map((file) => [file.field, { size: file.size, sha256: file.sha256 }]));
}

export interface ParsedBody {
  request: ReceivedCloneRequest;
  /** Set when the body was complete but not a valid multipart form. */
  parseError: string | undefined;
}

/** Streams a file part through SHA-256, keeping only its size and first bytes. */
class FileAccumulator {
  private readonly hash: Hash = createHash("sha256");
  private size = 0;
  private head = Buffer.alloc(0);
  private digest: string | undefined;

  constructor(
    private readonly field: string,
    private readonly filename: string | undefined,
    private readonly mimeType: string,
  ) {}

  update(chunk: Buffer): void {
    // Late chunks after an abort was recorded are ignored (digest is final).
    if (this.digest !== undefined) return;
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.head.length < FIRST_BYTES) {
      // Copy, so we do not pin a whole 64 KiB chunk in memory for 16 bytes.
      this.head = Buffer.concat([this.head, chunk.subarray(0, FIRST_BYTES - this.head.length)]);
    }
  }

  finish(): ReceivedFile {
    this.digest ??= this.hash.digest("hex");
    return {
      field: this.field,
      filename: this.filename,
      mimeType: this.mimeType,
      size: this.size,
      sha256: this.digest,
      firstBytes: this.head,
    };
  }
}

/**
 * Parses the multipart body with busboy, hashing files as they stream (never
 * buffering them). Always resolves: with `aborted: true` and whatever arrived
 * if the client disconnects, or with `parseError` if the body is not a valid
 * form (the body is still drained so a 400 can be sent).
 */
export function receiveMultipart(
  req: IncomingMessage,
  onFileBytes: (count: number) => void = () => undefined,
): Promise<ParsedBody> {
  return new Promise<ParsedBody>((resolve) => {
    const fields: Record<string, string> = {};
    const fieldNames: string[] = [];
    const files: FileAccumulator[] = [];
    let settled = false;

    const finish = (aborted: boolean, parseError?: string): void => {
      if (settled) return;
      settled = true;
      resolve({
        request: { ...describeHeaders(req), fields, fieldNames, files: files.map((f) => f.finish()), aborted },
        parseError,
      });
    };

    // A client that disconnects mid-body shows up as a request closed before
    // it was complete. req.pipe() does not forward that to busboy, so this is
    // the signal we rely on.
    req.on("close", () => {
      if (!req.complete) finish(true);
    });
    // Without a listener the 'aborted' ECONNRESET error would be thrown.
    req.on("error", () => {});

    // Malformed form: stop parsing, but keep reading so we can answer 400.
    const rejectBody = (message: string): void => {
      req.resume();
      if (req.complete) finish(false, message);
      else req.once("end", () => finish(false, message));
    };

    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers });
    } catch (error) {
      // busboy throws synchronously for a missing/unsupported content-type.
      rejectBody(`Expected multipart/form-data body (${messageOf(error)})`);
      return;
    }

    parser.on("field", (name, value) => {
      fieldNames.push(name);
      fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      fieldNames.push(name);
      const file = new FileAccumulator(name, info.filename, info.mimeType);
      files.push(file);
      stream.on("data", (chunk: Buffer) => {
        file.update(chunk);
        onFileBytes(chunk.length);
      });
      // Errors here (truncated file) are also reported on the parser itself.
      stream.on("error", () => {});
    });
    // busboy only finishes after every file stream has ended, so all hashes
    // are complete here.
    parser.on("finish", () => finish(false));
    parser.on("error", (error: unknown) => {
      req.unpipe(parser);
      rejectBody(`Malformed multipart body: ${messageOf(error)}`);
    });
    req.on("close", () => {
      // Release busboy's state for aborted uploads (it never sees an end).
      if (!req.complete) parser.destroy();
    });

    req.pipe(parser);
  });
}

/** What is recorded of a request whose body was not read as a form (drained, reset, or not a form call). */
export function bodilessRequest(req: IncomingMessage, aborted: boolean): ReceivedCloneRequest {
  return { ...describeHeaders(req), fields: {}, fieldNames: [], files: [], aborted };
}

/** Reads and discards the body. Resolves false if the client went away first. */
export function drain(req: IncomingMessage): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    req.on("error", () => {});
    req.once("end", () => resolve(true));
    req.once("close", () => resolve(req.complete));
    req.resume();
  });
}

function describeHeaders(
  req: IncomingMessage,
): Pick<ReceivedCloneRequest, "method" | "path" | "headers" | "apiKey" | "contentType"> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return {
    method: req.method ?? "",
    path: req.url ?? "",
    headers,
    apiKey: headers["x-api-key"],
    contentType: headers["content-type"],
  };
}
