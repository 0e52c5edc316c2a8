// What Faseeh's answers must look like (contracts: shared/reference/
// faseeh-voice-clone.txt and faseeh-preview-and-models.md), as zod schemas
// that also rename them into our naming, and how an answer's body is read
// within its size bound. Nothing here sends a request.
import type { Readable } from "node:stream";
import { z } from "zod";

/** A model in Faseeh's list, in our naming. */
export interface UpstreamModel {
  id: string;
  modelId: string;
  name: string;
  costPerCharacter: number | null;
  description: string | null;
}

/** An element of `GET /models`; one without `model_id` does not match. */
export const modelSchema = z
  .object({
    id: z.string().min(1),
    model_id: z.string().trim().min(1),
    model_name: z.string().nullish(),
    cost: z.number().nullish(),
    description: z.string().nullish(),
  })
  .transform((model): UpstreamModel => ({
    id: model.id,
    modelId: model.model_id,
    name: model.model_name ?? model.model_id,
    costPerCharacter: model.cost ?? null,
    description: model.description ?? null,
  }));

/** A voice as upstream returned it, in our naming (also the recovery journal's format). */
export const upstreamVoiceSchema = z.object({
  id: z.uuid(),
  voiceId: z.string().min(1),
  name: z.string(),
  description: z.string().nullable(),
  gender: z.string().nullable(),
  age: z.string().nullable(),
  languages: z.array(z.string()),
  dialects: z.array(z.string()),
  type: z.string().nullable(),
  sampleUrl: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  stability: z.number(),
});

export type UpstreamVoice = z.infer<typeof upstreamVoiceSchema>;

const nullableString = z
  .string()
  .nullish()
  .transform((value) => value ?? null);
const stringList = z
  .array(z.string())
  .nullish()
  .transform((value) => value ?? []);

/** The 200 response. Absent `languages`/`dialect` become empty lists; identity fields are required. */
const cloneResponseSchema = z
  .object({
    id: z.uuid(),
    voice_id: z.string().min(1),
    name: z.string(),
    description: nullableString,
    gender: nullableString,
    age: nullableString,
    languages: stringList,
    dialect: stringList,
    type: nullableString,
    sample_url: nullableString,
    avatar_url: nullableString,
    stability: z.number(),
  })
  .transform((body): UpstreamVoice => ({
    id: body.id,
    voiceId: body.voice_id,
    name: body.name,
    description: body.description,
    gender: body.gender,
    age: body.age,
    languages: body.languages,
    dialects: body.dialect,
    type: body.type,
    sampleUrl: body.sample_url,
    avatarUrl: body.avatar_url,
    stability: body.stability,
  }));

/** Faseeh's documented error body. Only this shape, with a documented status, proves a refusal. */
const errorBodySchema = z.object({
  errorCode: z.union([z.string(), z.number()]).transform(String),
  errorMessage: z.string(),
});

export type FaseehErrorBody = z.infer<typeof errorBodySchema>;

/** A voice in Faseeh's voice list (`GET /voices`): undocumented, so read defensively. */
export const listedVoiceSchema = z.looseObject({
  id: z.uuid().optional().catch(undefined),
  voice_id: z.string().min(1),
  name: z.string().optional().catch(undefined),
  description: z.string().nullish().catch(undefined),
  gender: z.string().nullish().catch(undefined),
  age: z.string().nullish().catch(undefined),
  languages: z.array(z.string()).optional().catch(undefined),
  dialect: z.array(z.string()).optional().catch(undefined),
  type: z.string().nullish().catch(undefined),
  sample_url: z.string().nullish().catch(undefined),
  avatar_url: z.string().nullish().catch(undefined),
  stability: z.number().optional().catch(undefined),
});

export type ListedVoice = z.infer<typeof listedVoiceSchema>;

/** The models of a `GET /models` array that match the contract; `onSkipped` hears of each that does not. */
export function readModelList(items: unknown[], onSkipped: () => void): UpstreamModel[] {
  const models: UpstreamModel[] = [];
  for (const item of items) {
    const parsed = modelSchema.safeParse(item);
    if (parsed.success) models.push(parsed.data);
    else onSkipped();
  }
  return models;
}

/** The array of a `GET /voices` answer (bare, or under `voices` or `data`); undefined when there is none. */
export const voiceListOf = (json: unknown): unknown[] | undefined =>
  Array.isArray(json)
    ? json
    : [(json as { voices?: unknown } | null)?.voices, (json as { data?: unknown } | null)?.data].find(Array.isArray);

/** The listed voice with `voiceId`, or null. */
export function findListedVoice(list: unknown[], voiceId: string): ListedVoice | null {
  for (const item of list) {
    const parsed = listedVoiceSchema.safeParse(item);
    if (parsed.success && parsed.data.voice_id === voiceId) return parsed.data;
  }
  return null;
}

/** Upstream answers are small JSON; anything bigger is not the contract. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
/** The voice list may be long; still bounded. */
export const MAX_LIST_BYTES = 16 * 1024 * 1024;

/** Faseeh's 2xx answer broke its contract: it acted, but we cannot use what it said. */
export class ContractViolation extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
  }
}

/** An answer over its size bound: not the contract, and not read further. */
export class ResponseTooLargeError extends Error {}

/** The whole body as text, or ResponseTooLargeError (the body destroyed) past `limit` bytes. */
export async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new ResponseTooLargeError(`response exceeds ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The parsed JSON, or undefined when the text is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Faseeh's documented error body in an answer's text, or undefined when the text is anything else. */
export function parseErrorBody(text: string): FaseehErrorBody | undefined {
  const parsed = errorBodySchema.safeParse(parseJson(text));
  return parsed.success ? parsed.data : undefined;
}

/** A clone's 2xx answer as the voice it created, or ContractViolation when it is not what the contract says. */
export async function readCloneAnswer(body: Readable): Promise<UpstreamVoice> {
  const parsed = cloneResponseSchema.safeParse(parseJson(await readLimited(body, MAX_RESPONSE_BYTES)));
  if (!parsed.success) {
    throw new ContractViolation(
      "whose body does not match the voice-clone contract",
      parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    );
  }
  return parsed.data;
}
