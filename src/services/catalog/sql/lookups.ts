// Voices by their identity as one statement each: one by `id` or Faseeh's
// `voice_id`, or the voices of a list of `voice_id`s (the catalog loaders'
// batch).
import { Parameters, type Statement, statement, VOICE_COLUMNS, type VoiceColumns, voiceColumns } from "./statement.js";

/** The voices of a list of `voiceId`s, in any order (one statement whatever the count). */
export function voicesByVoiceIdsStatement(voiceIds: readonly string[]): Statement {
  const parameters = new Parameters();
  return statement(
    `SELECT ${VOICE_COLUMNS} FROM voices WHERE voice_id = ANY(${parameters.add(voiceIds, "::text[]")})`,
    parameters,
  );
}

export function voiceByStatement(column: "id" | "voice_id", value: string, columns: VoiceColumns = "all"): Statement {
  const parameters = new Parameters();
  return statement(
    `SELECT ${voiceColumns(columns)} FROM voices WHERE ${column} = ${parameters.add(value, column === "id" ? "::uuid" : "")}`,
    parameters,
  );
}
