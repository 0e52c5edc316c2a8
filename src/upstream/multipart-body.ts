// The multipart/form-data body of a call to Faseeh, streamed from its file
// sources (never held in memory): text fields, then each file counted and
// hashed as it is written, and the closing boundary only once every file
// matches what its source recorded and the caller lets it go. The caller's
// signal may stop it only until then. Text-to-speech sends JSON instead
// (startJsonUpload), through the same Upload.
import { createHash, randomBytes } from "node:crypto";

/** One file part of the multipart body, for one attempt. */
export interface AudioPart {
  filename: string;
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

/** Size and SHA-256 of a whole file. */
export interface FileDigest {
  size: number;
  sha256: string;
}

/**
 * Where a file part comes from. `open()` is called once per attempt; a
 * source that fails while being read aborts the request before it is
 * complete, so Faseeh cannot act on it. `fileDigest()` is what the source
 * itself counted and hashed as it received the file: the request's closing
 * boundary is sent only when what was written matches it.
 */
export interface AudioSource {
  open(): Promise<AudioPart>;
  fileDigest(): Promise<FileDigest>;
}

/** What one multipart body holds. */
export interface MultipartContent {
  /** Text fields in order; undefined ones are left out. */
  fields: ReadonlyArray<readonly [string, string | undefined]>;
  files: ReadonlyArray<readonly [string, AudioSource]>;
  /** The closing boundary is held back until this settles; if it rejects, the body fails (see CloneVoiceRequest.holdUntil). */
  holdUntil?: Promise<unknown> | undefined;
}

/** Raised when the bytes written for a file differ from what its upload recorded: a gateway fault. */
export class FileIntegrityError extends Error {
  override name = "FileIntegrityError";
}

/** A fresh boundary for one request's body. */
const newBoundary = (): string => `----faseeh-gateway-${randomBytes(12).toString("hex")}`;

/**
 * Streams the multipart body: text fields first (optional ones only when
 * given), then the files in the order they become available (the client's
 * upload order, so a live upload never waits on the other file).
 *
 * Every file's bytes are counted and hashed as they are written, and the
 * closing boundary is sent only when each matches what its source itself
 * recorded: a short or altered file (a replay from a wrong copy, say) aborts
 * the request while Faseeh still cannot act on it. `onComplete` runs just
 * before the closing boundary is handed over: from then on Faseeh may act.
 */
export async function* multipartBody(
  content: MultipartContent,
  boundary: string,
  onComplete: () => void,
): AsyncGenerator<Buffer> {
  for (const [name, value] of content.fields) {
    if (value === undefined) continue;
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  }
  const pending = new Map(
    content.files.map(([field, source]) => {
      const opened = source.open().then((part) => ({ field, source, part }));
      opened.catch(() => undefined); // observed below; never an unhandled rejection
      return [field, opened] as const;
    }),
  );
  while (pending.size > 0) {
    const { field, source, part } = await Promise.race(pending.values());
    pending.delete(field);
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${encodeFilename(part.filename)}"\r\n` +
        `Content-Type: ${part.contentType}\r\n\r\n`,
    );
    yield* checkedFile(field, source, part);
    yield Buffer.from("\r\n");
  }
  await content.holdUntil;
  onComplete();
  yield Buffer.from(`--${boundary}--\r\n`);
}

/** A file's bytes, counted and hashed; FileIntegrityError at its end when they differ from what its source recorded. */
async function* checkedFile(field: string, source: AudioSource, part: AudioPart): AsyncGenerator<Buffer> {
  const written = createHash("sha256");
  let size = 0;
  for await (const chunk of part.body as AsyncIterable<Buffer>) {
    written.update(chunk);
    size += chunk.length;
    yield chunk;
  }
  const recorded = await source.fileDigest();
  const sha256 = written.digest("hex");
  if (size !== recorded.size || sha256 !== recorded.sha256) {
    throw new FileIntegrityError(
      `${field}: wrote ${size} bytes (sha256 ${sha256.slice(0, 12)}…) but the upload recorded ${recorded.size} bytes ` +
        `(sha256 ${recorded.sha256.slice(0, 12)}…); the request was aborted before Faseeh could act on it`,
    );
  }
}

/** One attempt's body as it streams, and whether its last bytes have gone out yet. */
export interface Upload {
  /** The request's Content-Type (a multipart body's names its boundary). */
  contentType: string;
  body: AsyncIterable<Buffer> | Iterable<Buffer>;
  /** Aborts the request: the caller's signal, but only while the request is incomplete. */
  signal: AbortSignal;
  isComplete(): boolean;
  /** Stops following the caller's signal. */
  detach(): void;
}

/**
 * Starts one attempt's body. The caller's signal may stop the request only
 * while it is incomplete: once the closing boundary goes out, Faseeh may act.
 * `onComplete` is told just before the closing boundary is handed over.
 */
export function startUpload(content: MultipartContent, onComplete: (() => void) | undefined, signal?: AbortSignal): Upload {
  const boundary = newBoundary();
  return startBody(`multipart/form-data; boundary=${boundary}`, signal, (completing) =>
    multipartBody(content, boundary, () => {
      completing();
      onComplete?.();
    }),
  );
}

/**
 * Starts one attempt's JSON body: one write, complete as it is handed over
 * (before then, a refused connection has sent Faseeh nothing, and may be retried).
 */
export function startJsonUpload(value: unknown, signal?: AbortSignal): Upload {
  const bytes = Buffer.from(JSON.stringify(value));
  return startBody("application/json", signal, function* (completing) {
    completing();
    yield bytes;
  });
}

/**
 * An attempt's body from `write`, which calls `completing()` just before its
 * last bytes go out. Until then the caller's signal aborts the request.
 */
function startBody(
  contentType: string,
  signal: AbortSignal | undefined,
  write: (completing: () => void) => AsyncIterable<Buffer> | Iterable<Buffer>,
): Upload {
  const sent = { complete: false };
  const upload = new AbortController();
  const cancel = () => {
    if (!sent.complete) upload.abort(signal?.reason);
  };
  signal?.addEventListener("abort", cancel, { once: true });
  const body = write(() => {
    sent.complete = true;
    signal?.removeEventListener("abort", cancel);
  });
  return {
    contentType,
    body,
    signal: upload.signal,
    isComplete: () => sent.complete,
    detach: () => signal?.removeEventListener("abort", cancel),
  };
}

/** Quotes a file name for a Content-Disposition header (as browsers do: UTF-8, quotes escaped). */
const encodeFilename = (name: string) => name.replace(/[\r\n]/g, " ").replace(/"/g, "%22");
