// Receives one GraphQL upload into a temporary file while counting, hashing
// and sniffing it, so that nothing is sent upstream (and no wallet is spent)
// until both files are known to be complete, within the size limit and audio.
// Spooling keeps memory flat whatever the size; the file is then streamed
// from disk to upstream.
//
// graphql-upload-minimal quirks handled here:
// - at its size limit busboy truncates the stream silently (and the library
//   unpipes it, which would stall a pipe()): we read with async iteration and
//   check `truncated`.
// - an unconsumed file stream stalls the whole request: we always read to the
//   end, even when the file is already known to be rejected.
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { FileUpload } from "graphql-upload-minimal";
import { badUserInput, GatewayError } from "../errors.js";
import type { SpooledFile } from "../upstream/faseeh-client.js";
import { ACCEPTED_AUDIO_FORMATS, detectAudioType, SNIFF_BYTES } from "./audio-type.js";

export interface SpoolOptions {
  /** Directory the file is written into (one per request, removed by the caller). */
  dir: string;
  maxBytes: number;
  /** GraphQL path of the argument, e.g. "input.voiceFile", for error messages. */
  field: string;
}

export async function spoolUpload(upload: Promise<FileUpload> | FileUpload, options: SpoolOptions): Promise<SpooledFile> {
  const { field, maxBytes } = options;
  let file: FileUpload;
  try {
    file = await upload;
  } catch (error) {
    throw badUserInput(field, `\`${field}\` is missing from the multipart request (${describe(error)}).`);
  }
  const stream = file.createReadStream() as Readable & { truncated?: boolean };
  const target = path.join(options.dir, field.replace(/\W+/g, "_"));
  const hash = createHash("sha256");
  const head: Buffer[] = [];
  let headBytes = 0;
  let size = 0;
  const handle = await open(target, "wx", 0o600);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes || stream.truncated) continue; // drain without keeping
      hash.update(chunk);
      if (headBytes < SNIFF_BYTES) {
        head.push(chunk.subarray(0, SNIFF_BYTES - headBytes));
        headBytes += Math.min(chunk.length, SNIFF_BYTES - headBytes);
      }
      await handle.write(chunk);
    }
  } catch (error) {
    throw new GatewayError("BAD_REQUEST", `The upload of \`${field}\` was interrupted (${describe(error)}).`, { field });
  } finally {
    await handle.close();
  }
  if (stream.truncated || size > maxBytes) {
    throw badUserInput(field, `\`${field}\` is larger than the ${formatBytes(maxBytes)} limit per file.`);
  }
  if (size === 0) throw badUserInput(field, `\`${field}\` is empty.`);
  const audio = await detectAudioType(Buffer.concat(head));
  if (!audio) {
    throw badUserInput(field, `\`${field}\` is not a supported audio file (expected ${ACCEPTED_AUDIO_FORMATS}; judged by its content).`);
  }
  return {
    path: target,
    filename: safeFilename(file.filename, `${field.split(".").pop()}.${audio.extension}`),
    contentType: audio.contentType,
    size,
    sha256: hash.digest("hex"),
  };
}

/** Keeps the client's file name for upstream, minus paths and control characters. */
export function safeFilename(name: string | undefined, fallback: string): string {
  const base = (name ?? "").split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f"]/g, "").trim().slice(0, 200);
  return cleaned || fallback;
}

export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
