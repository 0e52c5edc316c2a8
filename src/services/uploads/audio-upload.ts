// One uploaded audio file on its way to Faseeh.
//
// The first time it is opened, if nobody has read past its first bytes, it
// streams live: bytes go to Faseeh as they arrive from the client, while
// being hashed, counted and copied to a temp file ("tee"). Before a single
// byte is passed on, the first few KiB are checked to be audio (by content,
// not by the client's MIME type). If the file turns out too large midway, the
// stream fails, the upstream request is aborted before its closing boundary,
// and Faseeh never sees a complete request, so it cannot create (or charge
// for) a voice. Every other open (a retry, or a first send after the file was
// received in full, as an idempotent retake does) waits for the whole file
// and replays the complete copy from disk; `fileDigest()` gives the size and
// SHA-256 the client's bytes had, which the sender checks before completing
// the request. Measured: streaming keeps gateway latency near a direct call;
// spooling first doubled it (BENCHMARKS.md).
//
// Multipart quirks handled here:
// - at its size limit busboy truncates the stream silently: the stream is
//   read by iteration and `truncated` is checked;
// - an unconsumed file stream stalls the whole request: `settle()` always
//   reads to the end, even when the file is already known to be rejected.
import { createHash, type Hash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { badUserInput, errorMessage, GatewayError } from "../../errors.js";
import type { AudioPart, AudioSource, FileDigest } from "../../upstream/faseeh-client.js";
import { formatBytes } from "./byte-size.js";
import { type FileUpload, UploadFailure } from "./file-upload.js";
import { FASEEH_PCM_CONTENT_TYPE } from "../../upstream/pcm-format.js";
import { ACCEPTED_AUDIO_FORMATS, declaresRawPcm, SNIFF_BYTES, sniffFileType } from "./audio-type.js";
import type { UploadWatchdog } from "./upload-watchdog.js";

/** A file received in full, checked, and copied to local disk. */
export interface SpooledFile {
  path: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

export interface AudioUploadOptions {
  /** Directory for the temp copy (one per request, removed by the caller). */
  dir: string;
  maxBytes: number;
  /** GraphQL path of the argument, e.g. "input.voiceFile", for error messages. */
  field: string;
  /** Shared by the request's uploads: fails a wait for the client's bytes once they stop coming. */
  watchdog: UploadWatchdog;
  /**
   * Accept headerless PCM when the client declares it (see declaresRawPcm):
   * relayed unchanged, and refused at its end if its byte count is odd.
   */
  allowRawPcm?: boolean;
}

type BusboyStream = Readable & { truncated?: boolean };

/** The file as it arrives: the client's stream, read by iteration, and its copy on disk. */
interface Receiving {
  stream: BusboyStream;
  chunks: AsyncIterator<Buffer>;
  copy: WriteStream;
}

/** What the first bytes told: the name and type to send, and the bytes read to tell it. */
interface Head {
  filename: string;
  contentType: string;
  buffered: Buffer[];
}

/** How much of the disk copy may wait in memory before the live stream waits for the disk. */
const COPY_BUFFER_BYTES = 1024 * 1024;

export class AudioUpload implements AudioSource {
  private receiving: Receiving | undefined;
  private copyError: Error | undefined;
  private readonly hash: Hash = createHash("sha256");
  private size = 0;
  private ended = false;
  private failure: GatewayError | undefined;
  private arrived = false;
  private starting: Promise<FileUpload> | undefined;
  private opening: Promise<Head> | undefined;
  /** Whether something read past the sniffed head (a live send, or settle()): the live path is then spent. */
  private liveTaken = false;
  private settled: Promise<SpooledFile> | undefined;
  private readonly target: string;
  /** Set when the file was accepted as headerless PCM: it must end on a whole 16-bit sample. */
  private rawPcm = false;

  constructor(
    private readonly upload: Promise<FileUpload> | FileUpload,
    private readonly options: AudioUploadOptions,
  ) {
    this.target = path.join(options.dir, options.field.replace(/\W+/g, "_"));
    Promise.resolve(upload).then(
      () => (this.arrived = true),
      () => (this.arrived = true),
    );
  }

  /** Whether the file has begun to arrive (or is known to be missing), without waiting. */
  get hasArrived(): boolean {
    return this.arrived;
  }

  /**
   * Opens the file for one upstream attempt: live if nothing has read past
   * its head yet, otherwise (once received in full) from the copy on disk.
   */
  async open(): Promise<AudioPart> {
    if (this.liveTaken) {
      const file = await this.settle();
      if (this.copyError) {
        throw new GatewayError(
          "INTERNAL_SERVER_ERROR",
          `The copy of \`${this.options.field}\` could not be kept (${this.copyError.message}).`,
        );
      }
      return {
        filename: file.filename,
        contentType: file.contentType,
        body: createReadStream(file.path, { highWaterMark: 256 * 1024 }),
      };
    }
    this.liveTaken = true;
    const head = await this.sniff();
    return { filename: head.filename, contentType: head.contentType, body: this.live(head.buffered) };
  }

  /** Size and SHA-256 of the whole file as the client sent it (waits until it has arrived). */
  async fileDigest(): Promise<FileDigest> {
    const { size, sha256 } = await this.settle();
    return { size, sha256 };
  }

  /**
   * Reads the rest of the upload (completing the copy on disk), then returns
   * the complete, validated file or throws why it is not acceptable.
   */
  settle(): Promise<SpooledFile> {
    this.liveTaken = true;
    this.settled ??= (async () => {
      let head: Head;
      try {
        head = await this.sniff();
        while (!this.ended) await this.next();
      } catch (error) {
        // Whatever went wrong, the client's request body must still be read to
        // its end (once failed, nothing more is kept), or the request stalls.
        while (this.receiving && !this.ended) await this.next().catch(() => undefined);
        throw error;
      } finally {
        await this.closeCopy();
      }
      if (this.failure) throw this.failure;
      return {
        path: this.target,
        filename: head.filename,
        contentType: head.contentType,
        size: this.size,
        sha256: this.hash.digest("hex"),
      };
    })();
    return this.settled;
  }

  /**
   * Resolves (with this upload) once the file has begun to arrive. Files
   * arrive in the order of the request body, so the first of two uploads to
   * start is the first file the client sent.
   */
  started(): Promise<this> {
    return this.start().then(() => this);
  }

  /** The upload, once its file has begun to arrive and its stream and disk copy are set up. */
  private start(): Promise<FileUpload> {
    this.starting ??= (async () => {
      const { field } = this.options;
      let file: FileUpload;
      try {
        file = await this.options.watchdog.guard(Promise.resolve(this.upload), field, "start");
      } catch (error) {
        if (error instanceof GatewayError) throw this.fail(error);
        throw this.fail(
          uploadFailure(field, error) ??
            badUserInput(field, `\`${field}\` is missing from the multipart request (${errorMessage(error)}).`),
        );
      }
      let stream: BusboyStream;
      try {
        stream = file.createReadStream();
      } catch (error) {
        this.ended = true;
        throw this.fail(uploadFailure(field, error) ?? interrupted(field, error));
      }
      this.options.watchdog.streamStarted(this);
      // A deep buffer so the copy rarely holds up the live stream: with the
      // default 16 KiB, nearly every chunk waited for its own disk write.
      const copy = createWriteStream(this.target, { flags: "wx", mode: 0o600, highWaterMark: COPY_BUFFER_BYTES });
      copy.on("error", (error) => {
        this.copyError ??= error;
      });
      this.receiving = { stream, chunks: (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator](), copy };
      return file;
    })();
    return this.starting;
  }

  /** Resolves once the file has started arriving and its first bytes were checked to be audio. */
  async ready(): Promise<void> {
    await this.sniff();
  }

  /** The file's head: its first bytes, checked to be audio, and the name and type to send it with. */
  private sniff(): Promise<Head> {
    this.opening ??= (async () => {
      const { field } = this.options;
      const file = await this.start();
      const buffered: Buffer[] = [];
      let bytes = 0;
      while (!this.ended && bytes < SNIFF_BYTES) {
        const chunk = await this.next();
        if (chunk) {
          buffered.push(chunk);
          bytes += chunk.length;
        }
      }
      if (this.failure) throw this.failure;
      if (this.size === 0) throw this.fail(badUserInput(field, `\`${field}\` is empty.`));
      const sniffed = await sniffFileType(Buffer.concat(buffered).subarray(0, SNIFF_BYTES));
      const name = field.split(".").pop() ?? "file";
      if (sniffed.kind === "audio") {
        const fallback = `${name}.${sniffed.audio.extension}`;
        return { filename: safeFilename(file.filename, fallback), contentType: sniffed.audio.contentType, buffered };
      }
      const declaredRaw = this.options.allowRawPcm === true && declaresRawPcm(file.mimetype, file.filename);
      if (declaredRaw && sniffed.kind === "unknown") {
        this.rawPcm = true;
        // A small file may have ended while its head was read: its end is checked here, then.
        const oddEnd = this.ended ? this.checkPcmEnd() : undefined;
        if (oddEnd) throw oddEnd;
        // The multipart parser keeps only `type/subtype` of a part's content type, so a client's
        // `;rate=` cannot be seen: headerless PCM is taken to be what Faseeh's preview produces.
        return { filename: safeFilename(file.filename, `${name}.pcm`), contentType: FASEEH_PCM_CONTENT_TYPE, buffered };
      }
      const rawHint = this.options.allowRawPcm
        ? "; headerless PCM is accepted when sent as audio/raw, audio/L16 or audio/pcm, or named *.pcm or *.raw"
        : "";
      const found = sniffed.kind === "other" ? ` Its content is ${sniffed.extension.toUpperCase()}, not audio.` : "";
      throw this.fail(
        badUserInput(
          field,
          `\`${field}\` is not a supported audio file (expected ${ACCEPTED_AUDIO_FORMATS}; judged by its content${rawHint}).${found}`,
        ),
      );
    })();
    return this.opening;
  }

  /** The live body: what was read while sniffing, then the rest as it arrives. */
  private async *live(buffered: Buffer[]): AsyncGenerator<Buffer> {
    yield* buffered;
    while (!this.ended) {
      const chunk = await this.next();
      if (this.failure) throw this.failure;
      if (chunk) yield chunk;
    }
    if (this.failure) throw this.failure;
  }

  /** Reads one chunk from the client: counts, hashes and copies it while the file is acceptable. */
  private async next(): Promise<Buffer | undefined> {
    const receiving = this.receiving;
    if (!receiving) throw new Error(`${this.options.field}: read before the file started`);
    let result: IteratorResult<Buffer>;
    try {
      result = await this.options.watchdog.guard(receiving.chunks.next(), this.options.field, "chunk");
    } catch (error) {
      this.end();
      if (this.options.watchdog.hasExpired && error instanceof GatewayError) {
        // The client stopped sending: stop waiting for it (its connection is closed after the answer).
        receiving.stream.destroy();
        throw this.fail(error);
      }
      throw this.fail(uploadFailure(this.options.field, error) ?? interrupted(this.options.field, error));
    }
    if (result.done) {
      this.end();
      if (receiving.stream.truncated) this.tooLarge();
      else this.checkPcmEnd();
      return undefined;
    }
    const chunk = result.value;
    this.options.watchdog.touch(chunk.length);
    this.size += chunk.length;
    if (this.size > this.options.maxBytes || receiving.stream.truncated) this.tooLarge();
    if (this.failure) return undefined; // drain without keeping
    this.hash.update(chunk);
    // The disk copy must not slow the live stream: wait only on backpressure.
    if (!this.copyError && !receiving.copy.write(chunk)) await once(receiving.copy, "drain").catch(() => undefined);
    return chunk;
  }

  private end(): void {
    this.ended = true;
    this.options.watchdog.streamEnded(this);
  }

  private async closeCopy(): Promise<void> {
    const copy = this.receiving?.copy;
    if (!copy || copy.closed) return;
    await new Promise<void>((resolve) => {
      copy.once("close", resolve);
      copy.end();
    });
  }

  /** Headerless PCM must end on a whole 16-bit sample: an odd count is cut short, or not PCM at all. */
  private checkPcmEnd(): GatewayError | undefined {
    if (!this.rawPcm || this.size % 2 === 0) return undefined;
    const { field } = this.options;
    return this.fail(
      badUserInput(
        field,
        `\`${field}\` is headerless 16-bit PCM but has an odd number of bytes (${this.size}): it is cut short or not PCM.`,
      ),
    );
  }

  private tooLarge(): void {
    const { field, maxBytes } = this.options;
    this.fail(badUserInput(field, `\`${field}\` is larger than the ${formatBytes(maxBytes)} limit per file.`));
  }

  private fail(error: GatewayError): GatewayError {
    this.failure ??= error;
    return this.failure;
  }
}

const interrupted = (field: string, error: unknown) =>
  new GatewayError("BAD_REQUEST", `The upload of \`${field}\` was interrupted (${errorMessage(error)}).`, { field });

/**
 * What the multipart reader says of a file it could not deliver (see
 * UploadFailure), in the client's terms; undefined for anything else.
 */
function uploadFailure(field: string, error: unknown): GatewayError | undefined {
  if (!(error instanceof UploadFailure)) return undefined;
  switch (error.reason) {
    case "too-many-files":
      return new GatewayError("PAYLOAD_TOO_LARGE", error.message);
    case "disconnected":
      return new GatewayError("BAD_REQUEST", `The client went away while \`${field}\` was uploading.`, { field });
    case "malformed":
      return new GatewayError("BAD_REQUEST", `The request broke off while \`${field}\` was uploading: ${error.message}`, {
        field,
      });
    case "missing":
      return badUserInput(field, `\`${field}\` is missing from the multipart request (its file part never came).`);
  }
}

/** Keeps the client's file name for upstream, minus paths and control characters. */
export function safeFilename(name: string | undefined, fallback: string): string {
  const base = (name ?? "").split(/[\\/]/).pop() ?? "";
  const cleaned = base
    // eslint-disable-next-line no-control-regex -- removing control characters is this regex's whole purpose
    .replace(/[\u0000-\u001f\u007f"]/g, "")
    .trim()
    .slice(0, 200);
  return cleaned || fallback;
}
