// The rules for a voice's catalog metadata, in one place: `cloneVoice`
// validates its fields with them and `updateVoice` validates an edit with
// the same ones, so a value one accepts the other accepts too.
import { z } from "zod";
import { badUserInput } from "../../errors.js";

/** Codes (gender, age, languages, ...) are stored lower-cased and trimmed, so filters normalise the same way. */
export const normalise = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim().toLowerCase();
  return trimmed ? trimmed : undefined;
};

/** Normalised codes without blanks or repeats. */
export function normaliseCodes(values: readonly string[] | null | undefined): string[] {
  const seen = new Set<string>();
  for (const value of values ?? []) {
    const code = normalise(value);
    if (code) seen.add(code);
  }
  return [...seen];
}

export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 40;

/** What a tag is made of once normalised: letters, marks and digits, joined by "-", "_" or ".". */
const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}_.-]*$/u;

/**
 * A tag as stored and as matched: Unicode NFKC (so full-width and composed
 * forms compare equal), trimmed, lower-cased, inner whitespace as one "-".
 * "Customer  Support" becomes "customer-support".
 */
export const normaliseTag = (value: string): string => value.normalize("NFKC").trim().toLowerCase().replace(/\s+/g, "-");

/** Why a normalised tag is refused, or undefined when it is fine. */
export function tagProblem(tag: string): string | undefined {
  const length = Array.from(tag).length; // code points: a tag of 40 Arabic or CJK letters is 40
  if (length < 1 || length > MAX_TAG_LENGTH) return `must be 1-${MAX_TAG_LENGTH} characters (got ${length})`;
  if (!TAG_PATTERN.test(tag)) return 'may hold only letters, digits and "-", "_" or "." between them';
  return undefined;
}

/** Normalised, without repeats (the first spelling's place kept). */
export function normaliseTags(values: readonly string[]): string[] {
  return [...new Set(values.map(normaliseTag))];
}

export const tagList = z
  .array(
    z
      .string()
      .transform(normaliseTag)
      .superRefine((tag, context) => {
        const problem = tagProblem(tag);
        if (problem) context.addIssue({ code: "custom", message: `each tag ${problem}` });
      }),
  )
  .transform((tags) => [...new Set(tags)])
  .refine((tags) => tags.length <= MAX_TAGS, `must have at most ${MAX_TAGS} tags`);

/** Tags of a filter: normalised like stored tags, refused (naming the field) when no tag could ever match. */
export function parseFilterTags(values: readonly string[] | null | undefined, field = "filter.tags"): string[] {
  const tags = normaliseTags(values ?? []);
  if (tags.length > MAX_TAGS) throw badUserInput(field, `\`${field}\` has at most ${MAX_TAGS} tags (got ${tags.length}).`);
  for (const tag of tags) {
    const problem = tagProblem(tag);
    if (problem) throw badUserInput(field, `\`${field}\`: "${tag}" ${problem.replace(/^must/, "is not a tag: tags must")}.`);
  }
  return tags;
}

export const voiceName = z.string().trim().min(1, "must not be blank").max(100, "must be at most 100 characters");

export const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value ? value : undefined));

export const plainWord = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z -]{0,31}$/, 'must be a short plain word, e.g. "female" or "middle"')
  .nullish()
  .transform((value) => (value ? value : undefined));

const codeList = (pattern: RegExp, example: string) =>
  z
    .array(z.string().trim().toLowerCase().regex(pattern, `each entry must look like ${example}`))
    .max(20, "must have at most 20 entries")
    .nullish()
    .transform((values) => normaliseCodes(values));

export const languageList = codeList(/^[a-z]{2,3}(-[a-z0-9]+)*$/, '"ar" or "ar-sa"');
export const dialectList = codeList(/^[a-z][a-z_-]*$/, '"najdi" or "gulf_saudi"');

export const avatarUrl = z
  .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
  .max(2048)
  .nullish()
  .transform((value) => value ?? undefined);

/** The metadata fields shared by `CloneVoiceInput` and `UpdateVoiceInput`. */
export const voiceMetadataFields = {
  name: voiceName,
  description: optionalText(1000),
  gender: plainWord,
  age: plainWord,
  languages: languageList,
  dialects: dialectList,
  avatarUrl,
};
