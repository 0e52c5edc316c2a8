// Reads a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec)
// with busboy, streaming: the promise resolves with the operations as soon as
// `operations` and `map` are read, each file arriving later settles its
// Upload (src/services/uploads/file-upload.ts).
//
// Written here rather than taken from graphql-upload-minimal because the body
// is read before anyone is authenticated, so its parser must never throw past
// the request: that library listened for the parser's error once, and its own
// `destroy()` made busboy emit a second, unhandled one, which stopped the
// process (a NUL in a part header was enough). Here every error of the
// parser, the request and each file stream has a listener for the life of the
// request, and the first failure decides the answer:
// - before the operations are known, the promise rejects with BAD_REQUEST
//   (malformed framing, a mistake in the parts, named in the client's terms)
//   or PAYLOAD_TOO_LARGE (a field over its limit, too many file parts);
// - afterwards, the operation is already running: the files not yet read fail
//   with an UploadFailure, which the service reading them reports.
// The last file the map names does not end until the whole body has been read
// and found well-formed: a body that breaks after its files (a third file
// part, trailing garbage, no closing boundary, a client leaving) fails that
// file instead, so Faseeh never gets a complete request from a broken body.
import type { IncomingMessage } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import busboy from "busboy";
import { GatewayError } from "../errors.js";
import { type FileUpload, Upload, UploadFailure } from "../services/uploads/file-upload.js";

export interface MultipartLimits {
  /** Bytes per file; a longer file's stream ends early, marked `truncated`. */
  maxFileBytes: number;
  /** File parts per request. */
  maxFiles: number;
  /** Bytes of `operations` and of `map`. */
  maxFieldBytes: number;
}

export interface MultipartRequest {
  /** The `operations` JSON with each mapped file's Upload in place. */
  operations: Record<string, unknown>;
  uploads: Upload[];
}

/** A part as it came, for explaining a misordered request. */
interface PartSeen {
  name: string;
  isFile: boolean;
}

const ORDER_HINT = "Send `operations` first, then `map`, then the files (curl: -F operations='{…}' -F map='{…}' -F 0=@file).";
/** Path segments that would reach an object's prototype instead of a variable. */
const UNSAFE_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);

export function readMultipartRequest(req: IncomingMessage, limits: MultipartLimits): Promise<MultipartRequest> {
  return new Promise((resolve, reject) => new MultipartReader(req, limits, resolve, reject).start());
}

class MultipartReader {
  private readonly seen: PartSeen[] = [];
  private operations: Record<string, unknown> | undefined;
  private mapBeforeOperations = false;
  private uploads: Map<string, Upload> | undefined;
  private readonly streams = new Set<Readable>();
  /** The last mapped file, as its reader sees it: ended only once the body ended well-formed. */
  private held: PassThrough | undefined;
  private arrivedFiles = 0;
  private failed = false;
  private resolved = false;
  private parser: busboy.Busboy | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limits: MultipartLimits,
    private readonly resolve: (request: MultipartRequest) => void,
    private readonly reject: (error: GatewayError) => void,
  ) {}

  start(): void {
    const { req, limits } = this;
    // For the request's whole life: a late error (the client leaving mid-file) must still find a listener.
    req.on("error", () => this.disconnected());
    req.on("close", () => {
      if (!req.readableEnded) this.disconnected();
    });
    try {
      this.parser = busboy({
        headers: req.headers,
        defParamCharset: "utf8",
        limits: { fieldSize: limits.maxFieldBytes, fileSize: limits.maxFileBytes, files: limits.maxFiles },
      });
    } catch (error) {
      this.fail(malformed(`its Content-Type cannot be read (${(error as Error).message})`));
      return;
    }
    const parser = this.parser;
    parser.on("error", (error: Error) => this.fail(malformed(error.message)));
    parser.on("field", (name, value, info) => this.onField(name, value, info.valueTruncated));
    parser.on("file", (name, stream, info) => this.onFile(name, stream, info));
    parser.on("filesLimit", () => this.fail(tooManyFiles(limits.maxFiles)));
    parser.on("close", () => this.onEnd());
    req.pipe(parser);
  }

  private onField(name: string, value: string, truncated: boolean): void {
    this.seen.push({ name, isFile: false });
    if (this.failed) return;
    const problem = this.readField(name, value, truncated);
    if (problem) this.fail(problem);
  }

  /** Takes in `operations` or `map`; what is wrong with the field, if anything. */
  private readField(name: string, value: string, truncated: boolean): GatewayError | undefined {
    if (truncated) {
      return new GatewayError("PAYLOAD_TOO_LARGE", `The \`${name}\` field exceeds its ${this.limits.maxFieldBytes}-byte limit.`);
    }
    if (name === "operations") {
      if (this.operations !== undefined) return badRequest("`operations` is sent twice.");
      if (this.mapBeforeOperations) return badRequest(`\`operations\` must come first, before \`map\`. ${ORDER_HINT}`);
      const operations = parseJson(value);
      if (operations === NOT_JSON) return badRequest("`operations` is not valid JSON.");
      if (!isPlainObject(operations)) {
        return badRequest("`operations` must be a JSON object (one operation; batched requests are not accepted).");
      }
      this.operations = operations;
      return undefined;
    }
    if (name === "map") {
      if (this.uploads) return badRequest("`map` is sent twice.");
      if (this.operations === undefined) {
        this.mapBeforeOperations = true;
        return undefined;
      }
      return this.placeUploads(this.operations, value);
    }
    return badRequest(
      `Unexpected field \`${name.slice(0, 100)}\`: the only fields are \`operations\` and \`map\`. ${ORDER_HINT}`,
    );
  }

  /** Reads `map` and puts an Upload at each path it names; the operation can start from here on. */
  private placeUploads(operations: Record<string, unknown>, text: string): GatewayError | undefined {
    const map = parseJson(text);
    if (map === NOT_JSON) return badRequest("`map` is not valid JSON.");
    if (!isPlainObject(map))
      return badRequest(`\`map\` must be a JSON object of file part names to variable paths. ${ORDER_HINT}`);
    const entries = Object.entries(map);
    if (entries.length > this.limits.maxFiles) return tooManyFiles(this.limits.maxFiles);
    const uploads = new Map<string, Upload>();
    for (const [part, paths] of entries) {
      if (!Array.isArray(paths) || paths.length === 0) {
        return badRequest(
          `\`map\` entry ${JSON.stringify(part)} must be a non-empty list of paths, e.g. ["variables.input.voiceFile"].`,
        );
      }
      const upload = new Upload();
      uploads.set(part, upload);
      for (const path of paths) {
        const problem = placeAt(operations, path, upload);
        if (problem) return badRequest(`\`map\` entry ${JSON.stringify(part)}: ${problem}`);
      }
    }
    this.uploads = uploads;
    this.resolved = true;
    this.resolve({ operations, uploads: [...uploads.values()] });
    return undefined;
  }

  private onFile(name: string, stream: Readable, info: busboy.FileInfo): void {
    this.seen.push({ name, isFile: true });
    this.streams.add(stream);
    // Every stream keeps a listener: the parser destroys an unfinished one with an error.
    stream.on("error", () => undefined);
    stream.once("end", () => this.streams.delete(stream));
    const upload = this.failed ? undefined : this.uploads?.get(name);
    if (!upload) {
      if (!this.failed && !this.uploads) this.fail(badRequest(this.explain()));
      // A part the map does not name (or any part after a failure) is read and dropped.
      stream.resume();
      return;
    }
    const last = ++this.arrivedFiles === this.uploads?.size;
    const readable = last ? this.holdEnd(stream) : stream;
    let taken = false;
    const file: FileUpload = {
      filename: info.filename ?? "",
      mimetype: info.mimeType,
      encoding: info.encoding,
      createReadStream: () => {
        if (taken) throw new Error("this file's stream was already read");
        taken = true;
        return readable;
      },
    };
    upload.resolve(file);
  }

  /** The file's bytes as they come, but its end only once the body has ended well-formed (see above). */
  private holdEnd(stream: Readable): Readable {
    const held = Object.defineProperty(new PassThrough({ highWaterMark: stream.readableHighWaterMark }), "truncated", {
      get: () => (stream as Readable & { truncated?: boolean }).truncated,
    });
    held.on("error", () => undefined);
    stream.pipe(held, { end: false });
    this.held = held;
    return held;
  }

  private onEnd(): void {
    if (this.failed) return;
    if (!this.uploads) {
      this.fail(badRequest(this.explain()));
      return;
    }
    for (const upload of this.uploads.values()) {
      if (!upload.file) upload.reject(new UploadFailure("missing", "File missing in the request."));
    }
    this.held?.end();
  }

  private disconnected(): void {
    this.fail(
      badRequest("The client went away before the request was read."),
      new UploadFailure("disconnected", "the client went away"),
    );
  }

  /**
   * The first failure ends the request's parsing: the promise (if still
   * pending) rejects with `error`, files not yet arrived fail with
   * `uploadError`, and the rest of the body is read and dropped so the answer
   * can be sent. Later failures change nothing.
   */
  private fail(error: GatewayError, uploadError = uploadFailureOf(error)): void {
    if (this.failed) return;
    this.failed = true;
    if (!this.resolved) this.reject(error);
    for (const upload of this.uploads?.values() ?? []) if (!upload.file) upload.reject(uploadError);
    for (const stream of this.streams) if (!stream.readableEnded) stream.destroy(uploadError);
    if (this.held && !this.held.writableEnded) this.held.destroy(uploadError);
    const { req, parser } = this;
    if (parser) {
      req.unpipe(parser);
      parser.destroy();
    }
    // Resumed on the next turn: a body paused by the unpipe must flow for the answer to be sent.
    setImmediate(() => req.resume());
  }

  /** What is wrong with the parts so far, in the client's terms (no `operations` or `map` where they belong). */
  private explain(): string {
    const asFile = this.seen.find((part) => part.isFile && (part.name === "operations" || part.name === "map"));
    if (asFile) {
      return (
        `\`${asFile.name}\` must be a plain form field, not a file: send its JSON as the value ` +
        `(curl: -F ${asFile.name}='{…}', or -F ${asFile.name}='<${asFile.name}.json' to read it from a file; not @${asFile.name}.json).`
      );
    }
    if (this.operations === undefined) return `The \`operations\` field is missing. ${ORDER_HINT}`;
    return `The \`map\` field is missing: it says which file part fills which variable. ${ORDER_HINT}`;
  }
}

/**
 * Puts `value` at `path` ("variables.input.voiceFile") in `operations`; why
 * not, when it cannot. The path runs through the request's own JSON only
 * (plain objects and arrays, never a file already placed), and ends at a
 * null (the spec's placeholder) or, in an object, a name not given yet: a
 * path can never reach into an Upload, an array's length or a prototype.
 */
function placeAt(operations: Record<string, unknown>, path: unknown, value: Upload): string | undefined {
  if (typeof path !== "string" || !path.startsWith("variables.")) {
    return `${JSON.stringify(path)} is not a path into \`variables\` (e.g. "variables.input.voiceFile").`;
  }
  const segments = path.split(".");
  const last = segments.pop() ?? "";
  const invalid = `${JSON.stringify(path)} names no null variable of \`operations\` to put a file in.`;
  let node: unknown = operations;
  for (const segment of segments) {
    node = isJsonContainer(node) && holds(node, segment) ? (node as Record<string, unknown>)[segment] : undefined;
    if (!isJsonContainer(node)) return invalid;
  }
  const parent = node as Record<string, unknown>;
  if (Array.isArray(parent) ? !holds(parent, last) : UNSAFE_SEGMENTS.has(last)) return invalid;
  if (Object.hasOwn(parent, last) && parent[last] !== null) return invalid;
  parent[last] = value;
  return undefined;
}

/** A plain object or array of the parsed JSON (an Upload placed earlier is neither). */
const isJsonContainer = (node: unknown): node is object =>
  Array.isArray(node) || (typeof node === "object" && node !== null && Object.getPrototypeOf(node) === Object.prototype);

/** Whether `key` names an own entry: an object's property, or an array's index (never `length`). */
function holds(node: object, key: string): boolean {
  if (Array.isArray(node)) return /^(0|[1-9]\d{0,8})$/.test(key) && Number(key) < node.length;
  return !UNSAFE_SEGMENTS.has(key) && Object.hasOwn(node, key);
}

const NOT_JSON = Symbol("not JSON");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const badRequest = (message: string) => new GatewayError("BAD_REQUEST", message);

const malformed = (detail: string) =>
  badRequest(`The multipart body is malformed (${detail}); send it as a GraphQL multipart request. ${ORDER_HINT}`);

const tooManyFiles = (maxFiles: number) =>
  new GatewayError(
    "PAYLOAD_TOO_LARGE",
    `This request carries more file parts than it may: at most ${maxFiles} files (voiceFile and referenceAudioFile).`,
  );

/** What a file still awaited learns when the request fails for `error`. */
function uploadFailureOf(error: GatewayError): UploadFailure {
  if (error.code === "PAYLOAD_TOO_LARGE") return new UploadFailure("too-many-files", error.message);
  return new UploadFailure("malformed", error.message);
}
