// A file of a GraphQL multipart request (the spec's "Upload"), as resolvers
// and services see it: the HTTP layer (src/http/multipart-request.ts) makes
// one `Upload` per file the request's `map` names, puts it where the map
// says in the variables, and settles it when the file's part arrives (or
// never will). The `Upload` scalar hands resolvers its promise.
import type { Readable } from "node:stream";

/** One file part, arrived: its stream may be read once. */
export interface FileUpload {
  filename: string;
  /** The part's content type as the client declared it (`type/subtype` only). */
  mimetype: string;
  encoding: string;
  /**
   * The file's bytes as they arrive; readable once. At the size limit the
   * stream ends early with `truncated: true` rather than failing.
   */
  createReadStream(): Readable & { truncated?: boolean };
}

/**
 * Why a promised file cannot be read, as the HTTP layer saw it; the service
 * reading it says so in the client's terms, naming the field.
 * - missing: the body ended without the file's part;
 * - disconnected: the client went away before the file had arrived;
 * - malformed: the body's framing broke before or during the file;
 * - too-many-files: the body carries more file parts than allowed.
 */
export class UploadFailure extends Error {
  override name = "UploadFailure";

  constructor(
    readonly reason: "missing" | "disconnected" | "malformed" | "too-many-files",
    message: string,
  ) {
    super(message);
  }
}

/** A file the request promised in its `map`: settled when its part arrives, or when it cannot. */
export class Upload {
  readonly promise: Promise<FileUpload>;
  file: FileUpload | undefined;
  private settle!: { resolve(file: FileUpload): void; reject(error: Error): void };

  constructor() {
    this.promise = new Promise<FileUpload>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Nobody may ever read an upload (the operation failed first): its rejection is not a crash.
    this.promise.catch(() => undefined);
  }

  resolve(file: FileUpload): void {
    this.file ??= file;
    this.settle.resolve(file);
  }

  reject(error: Error): void {
    this.settle.reject(error);
  }
}
