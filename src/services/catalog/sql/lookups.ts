// Voices by their identity as one statement each: one by `id` or Faseeh's
// `voice_id`, the voices of a list of `voice_id`s (the catalog loaders'
// batch), or of a list of `id`s and `voice_id`s at once (a federation
// router's references, catalog-loaders.ts).
import { Parameters, type Statement, statement, VOICE_COLUMNS, type VoiceColumns, voiceColumns } from "./statement.js";

/** The voices of a list of `voiceId`s, in any order (one statement whatever the count). */
export function voicesByVoiceIdsStatement(voiceIds: readonly string[]): Statement {
  const parameters = new Parameters();
  return statement(
    `SELECT ${VOICE_COLUMNS} FROM voices WHERE voice_id = ANY(${parameters.add(voiceIds, "::text[]")})`,
    parameters,
  );
}

/** The voices whose `id` is one of `ids` or whose `voice_id` is one of `voiceIds` (one statement for both kinds of reference). */
export function voicesByIdsOrVoiceIdsStatement(ids: readonly string[], voiceIds: readonly string[]): Statement {
  const parameters = new Parameters();
  const byId = parameters.add(ids, "::uuid[]");
  const byVoiceId = parameters.add(voiceIds, "::text[]");
  return statement(`SELECT ${VOICE_COLUMNS} FROM voices WHERE id = ANY(${byId}) OR voice_id = ANY(${byVoiceId})`, parameters);
}

export function voiceByStatement(column: "id" | "voice_id", value: string, columns: VoiceColumns = "all"): Statement {
  const parameters = new Parameters();
  return statement(
    `SELECT ${voiceColumns(columns)} FROM voices WHERE ${column} = ${parameters.add(value, column === "id" ? "::uuid" : "")}`,
    parameters,
  );
}
