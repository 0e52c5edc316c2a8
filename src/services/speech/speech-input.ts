// `speak`'s input, checked, and "the same request" as a digest. Pure:
// nothing here reads the catalog, the model list or the database. The
// voice's own settings fill in what the input leaves out (speech-service.ts
// looks the voice up first).
import { createHash } from "node:crypto";
import { z } from "zod";
import { invalidInput } from "../../errors.js";
import type { SpeakInput } from "../../generated/graphql.js";

/** The input's own checks, before the voice is known. */
export interface SpeakFields {
  voiceId: string;
  /** Trimmed: the text Faseeh receives and the request hash counts. */
  text: string;
  modelId: string | undefined;
  stability: number | undefined;
  speed: number;
}

/** A request ready for Faseeh: every setting decided. */
export type SpeechRequest = Required<{ [K in keyof SpeakFields]: NonNullable<SpeakFields[K]> }>;

/**
 * Characters as Faseeh bills them, counted as Unicode code points: an Arabic
 * letter and each of its diacritics are one each, as the API counts a
 * string's characters (not UTF-16 units, not grapheme clusters).
 */
export const characterCount = (text: string): number => Array.from(text).length;

const SPEAKABLE = /[\p{L}\p{N}]/u;

const speakSchema = (maxCharacters: number) =>
  z.object({
    voiceId: z.string().trim().min(1, "must not be blank").max(200, "must be at most 200 characters"),
    text: z
      .string()
      .trim()
      .min(1, "must not be blank")
      // Only marks, controls or format characters (an RTL mark, say) would be billed and say nothing.
      .refine((text) => SPEAKABLE.test(text), "must contain a letter or a digit to say")
      .refine((text) => characterCount(text) <= maxCharacters, `must be at most ${maxCharacters} characters`),
    modelId: z
      .string()
      .trim()
      .min(1, "must not be blank")
      .max(100, "must be at most 100 characters")
      .nullish()
      .transform((value) => value ?? undefined),
    stability: z
      .number()
      .min(0, "must be between 0 and 1")
      .max(1, "must be between 0 and 1")
      .nullish()
      .transform((value) => value ?? undefined),
    speed: z
      .number()
      .min(0.7, "must be between 0.7 and 1.2")
      .max(1.2, "must be between 0.7 and 1.2")
      .nullish()
      .transform((value) => value ?? 1),
  });

/** Validates and normalises the input; the first problem is reported with its field (`input.text`, ...). */
export function parseSpeakInput(input: SpeakInput, maxCharacters: number): SpeakFields {
  const parsed = speakSchema(maxCharacters).safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error.issues);
  return parsed.data;
}

/**
 * "The same request": voice, text (trimmed, as every text the gateway hashes),
 * model, stability and speed. Equal digests are answered with the same audio.
 */
export function speechRequestHash(request: SpeechRequest): string {
  const canonical = JSON.stringify([request.voiceId, request.text, request.modelId, request.stability, request.speed]);
  return createHash("sha256").update(canonical).digest("hex");
}
