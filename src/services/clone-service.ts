// Cloning a voice: check everything, receive both files, call Faseeh once,
// store what it created. Cloning spends the user's wallet and cannot be
// undone, so no byte goes upstream until every input is known to be valid.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FileUpload } from "graphql-upload-minimal";
import { z } from "zod";
import type { Config } from "../config.js";
import { badUserInput, GatewayError } from "../errors.js";
import type { Logger } from "../logger.js";
import { type CloneVoiceRequest, type FaseehClient, notConfigured, type SpooledFile, type UpstreamVoice } from "../upstream/faseeh-client.js";
import { type CatalogService, normaliseCodes, type VoiceRecord } from "./catalog-service.js";
import { spoolUpload } from "./upload-spool.js";

type MaybeUpload = Promise<FileUpload> | FileUpload;

export interface CloneVoiceInput {
  voiceFile: MaybeUpload;
  referenceAudioFile: MaybeUpload;
  text: string;
  stability: number;
  name: string;
  model: string;
  description?: string | null;
  gender?: string | null;
  age?: string | null;
  languages?: readonly string[] | null;
  dialects?: readonly string[] | null;
  avatarUrl?: string | null;
}

type CloneFields = Omit<CloneVoiceRequest, "voiceFile" | "referenceAudioFile">;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value ? value : undefined));

const plainWord = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z -]{0,31}$/, "must be a short plain word, e.g. \"female\" or \"middle\"")
  .nullish()
  .transform((value) => (value ? value : undefined));

const codeList = (pattern: RegExp, example: string) =>
  z
    .array(z.string().trim().toLowerCase().regex(pattern, `each entry must look like ${example}`))
    .max(20, "must have at most 20 entries")
    .nullish()
    .transform((values) => normaliseCodes(values));

const cloneFieldsSchema = z.object({
  text: z.string().trim().min(1, "must not be blank").max(5000, "must be at most 5000 characters"),
  stability: z.number().finite().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1"),
  name: z.string().trim().min(1, "must not be blank").max(100, "must be at most 100 characters"),
  model: z.string().trim().min(1, "must not be blank").max(100, "must be at most 100 characters"),
  description: optionalText(1000),
  gender: plainWord,
  age: plainWord,
  languages: codeList(/^[a-z]{2,3}(-[a-z0-9]+)*$/, "\"ar\" or \"ar-sa\""),
  dialects: codeList(/^[a-z][a-z_-]*$/, "\"najdi\" or \"gulf_saudi\""),
  avatarUrl: z
    .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
    .max(2048)
    .nullish()
    .transform((value) => value ?? undefined),
});

/** Validates and normalises the non-file fields; the first problem is reported with its field. */
export function parseCloneFields(input: CloneVoiceInput): CloneFields {
  const { voiceFile: _voice, referenceAudioFile: _reference, ...fields } = input;
  const parsed = cloneFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = `input.${issue.path.filter((part) => typeof part === "string").join(".")}`;
    throw badUserInput(field, `\`${field}\` ${issue.message}.`);
  }
  return parsed.data;
}

const STORE_RETRY_DELAYS_MS = [0, 250, 1000];

export class CloneService {
  constructor(
    private readonly faseeh: FaseehClient,
    private readonly catalog: CatalogService,
    private readonly uploads: Config["uploads"],
    private readonly logger: Logger,
  ) {}

  async cloneVoice(input: CloneVoiceInput, signal?: AbortSignal): Promise<VoiceRecord> {
    if (!this.faseeh.isConfigured) throw notConfigured();
    const fields = parseCloneFields(input);
    const dir = await this.makeRequestDir();
    try {
      const [voiceFile, referenceAudioFile] = await this.spoolBoth(input, dir);
      const voice = await this.faseeh.cloneVoice({ ...fields, voiceFile, referenceAudioFile }, signal);
      return await this.store(voice, fields.model);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Both files are read at once: the multipart body delivers them in the
   * client's order, and waiting on the second while the first is unread
   * would stall the request.
   */
  private async spoolBoth(input: CloneVoiceInput, dir: string): Promise<[SpooledFile, SpooledFile]> {
    const options = { dir, maxBytes: this.uploads.maxBytes };
    const [voice, reference] = await Promise.allSettled([
      spoolUpload(input.voiceFile, { ...options, field: "input.voiceFile" }),
      spoolUpload(input.referenceAudioFile, { ...options, field: "input.referenceAudioFile" }),
    ]);
    if (voice.status === "rejected") throw voice.reason;
    if (reference.status === "rejected") throw reference.reason;
    return [voice.value, reference.value];
  }

  private async store(voice: UpstreamVoice, model: string): Promise<VoiceRecord> {
    let lastError: unknown;
    for (const delay of STORE_RETRY_DELAYS_MS) {
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        return await this.catalog.saveVoice({ ...voice, model });
      } catch (error) {
        lastError = error;
        this.logger.warn({ voiceId: voice.voiceId, err: describe(error) }, "storing a cloned voice failed; retrying");
      }
    }
    // The voice exists upstream and the wallet was charged: keep everything an
    // operator needs to import it, and tell the client it is not lost.
    this.logger.error({ voice: { ...voice, model }, err: describe(lastError) }, "cloned voice could not be stored");
    throw new GatewayError(
      "VOICE_NOT_YET_STORED",
      `Faseeh created the voice (voiceId ${voice.voiceId}), but the catalog could not store it yet. ` +
        `It is not lost: it will appear in the catalog once the database recovers. Do not clone it again.`,
      { voiceId: voice.voiceId, id: voice.id },
      lastError,
    );
  }

  private async makeRequestDir(): Promise<string> {
    const base = this.uploads.dir ?? path.join(os.tmpdir(), "voice-gateway-uploads");
    await mkdir(base, { recursive: true });
    return mkdtemp(path.join(base, "clone-"));
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
