// `speeches`' paging: newest first, by (createdAt, id), resumed after a cursor
// that names both. A cursor's values are checked before they reach SQL.
import { z } from "zod";
import { badUserInput } from "../../errors.js";
import { MAX_PAGE_SIZE } from "../catalog/catalog-service.js";
import { instantProblem, STORED_UUID } from "../storable-values.js";

export const DEFAULT_SPEECH_PAGE_SIZE = 20;

const cursorSchema = z.tuple([z.iso.datetime().refine((value) => !instantProblem(new Date(value))), STORED_UUID]);

export function encodeSpeechCursor(speech: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([speech.createdAt.toISOString(), speech.id])).toString("base64url");
}

/** Where a page resumes; BAD_USER_INPUT naming `after` when the cursor is not one of ours. */
export function decodeSpeechCursor(cursor: string): { createdAt: Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const checked = cursorSchema.safeParse(parsed);
  if (!checked.success)
    throw badUserInput("after", "`after` is not a cursor from `speeches`; pass a `pageInfo.endCursor` as given.");
  const [createdAt, id] = checked.data;
  return { createdAt: new Date(createdAt), id: id.toLowerCase() };
}

/** `first`, 1..MAX_PAGE_SIZE (default 20). */
export function parseSpeechPageSize(first: number | null | undefined): number {
  if (first == null) return DEFAULT_SPEECH_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badUserInput("first", `\`first\` must be between 1 and ${MAX_PAGE_SIZE}.`);
  }
  return first;
}
