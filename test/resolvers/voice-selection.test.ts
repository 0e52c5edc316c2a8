// A catalog read fetches only the columns its selection reads (brief reads,
// src/resolvers/voice-selection.ts), and no selection can tell: for random
// sets of Voice fields, selected directly, through aliases, named fragments
// or inline fragments, under `nodes`, `edges { node }` or `voice(...)`, the
// answer equals the same fields cut from the answer of a full selection.
import fc from "fast-check";
import { Kind, parse } from "graphql";
import { pageColumnsOf, voiceColumnsOf } from "../../src/resolvers/voice-selection.js";
import { describe, expect, test } from "../support/fixtures.js";
import { hostileRuns } from "../support/hostile.js";
import { at, insertVoice } from "./catalog.scenarios.js";

const VOICE_FIELDS = [
  "id",
  "voiceId",
  "name",
  "description",
  "gender",
  "age",
  "languages",
  "dialects",
  "type",
  "sampleUrl",
  "avatarUrl",
  "stability",
  "model",
  "tags",
  "createdAt",
  "updatedAt",
  "archivedAt",
  "__typename",
] as const;
type Field = (typeof VOICE_FIELDS)[number];

/** How the fields are written: plainly, aliased, in a named fragment or in an inline fragment. */
type Shape = "plain" | "alias" | "fragment" | "inline";

function selection(fields: readonly Field[], shape: Shape): { body: string; fragment: string } {
  const plain = fields.join(" ");
  switch (shape) {
    case "plain":
      return { body: plain, fragment: "" };
    case "alias":
      return { body: fields.map((field) => `a_${field}: ${field}`).join(" "), fragment: "" };
    case "fragment":
      return { body: "...Picked", fragment: `fragment Picked on Voice { ${plain} }` };
    case "inline":
      return { body: `... on Voice { ${plain} }`, fragment: "" };
  }
}

/** The fields of a voice as the shape names them. */
function cut(voice: Record<string, unknown>, fields: readonly Field[], shape: Shape): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [shape === "alias" ? `a_${field}` : field, voice[field]]));
}

const ALL = VOICE_FIELDS.join(" ");

describe("brief catalog reads", () => {
  test("answer every selection of Voice fields as a full read does", async ({ gateway }) => {
    await insertVoice(gateway, at(1), {
      name: "Layla",
      description: "warm, clear",
      gender: "female",
      age: "adult",
      languages: ["ar"],
      dialects: ["najdi"],
      avatarUrl: "https://cdn.faseeh.test/a.png",
      tags: ["warm"],
    });
    await insertVoice(gateway, at(2), { name: "Samir", languages: ["ar", "en"] });
    const full = await gateway.graphql<{ voices: { nodes: Array<Record<string, unknown>> } }>(
      `{ voices(first: 5) { nodes { ${ALL} } } }`,
    );
    const voices = full.body.data!.voices.nodes;
    expect(voices).toHaveLength(2);

    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...VOICE_FIELDS), { minLength: 1 }),
        fc.constantFrom<Shape>("plain", "alias", "fragment", "inline"),
        fc.constantFrom("nodes", "edges", "voice"),
        async (fields, shape, where) => {
          const { body, fragment } = selection(fields, shape);
          const query =
            where === "nodes"
              ? `{ voices(first: 5) { nodes { ${body} } } } ${fragment}`
              : where === "edges"
                ? `{ voices(first: 5) { edges { node { ${body} } } } } ${fragment}`
                : `query($v: String) { voice(voiceId: $v) { ${body} } } ${fragment}`;
          const answer = await gateway.graphql(query, { v: voices[0]!.voiceId });
          expect(answer.body.errors, query).toBeUndefined();
          const expected =
            where === "nodes"
              ? { voices: { nodes: voices.map((voice) => cut(voice, fields, shape)) } }
              : where === "edges"
                ? { voices: { edges: voices.map((voice) => ({ node: cut(voice, fields, shape) })) } }
                : { voice: cut(voices[0]!, fields, shape) };
          expect(answer.body.data, query).toEqual(expected);
        },
      ),
      hostileRuns,
    );
  });

  test("are chosen only when every Voice field read is a brief one", () => {
    const infoOf = (document: string) => {
      const parsed = parse(document);
      const operation = parsed.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION)!;
      const fragments = Object.fromEntries(
        parsed.definitions.flatMap((definition) =>
          definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition]] : [],
        ),
      );
      const field = operation.selectionSet.selections[0]!;
      if (field.kind !== Kind.FIELD) throw new Error("a field first");
      return { fieldNodes: [field], fragments };
    };
    expect(pageColumnsOf(infoOf("{ voices { nodes { id name languages createdAt __typename } } }"))).toBe("brief");
    expect(pageColumnsOf(infoOf("{ voices { totalCount pageInfo { endCursor } edges { cursor node { id } } } }"))).toBe("brief");
    expect(pageColumnsOf(infoOf("{ voices { nodes { id ...F } } } fragment F on Voice { tags }"))).toBe("all");
    expect(pageColumnsOf(infoOf("{ voices { edges { node { ... on Voice { updatedAt } } } } }"))).toBe("all");
    expect(pageColumnsOf(infoOf("{ voices { ...Missing } }"))).toBe("all");
    expect(voiceColumnsOf(infoOf('{ voice(voiceId: "v") { id voiceId name } }'))).toBe("brief");
    expect(voiceColumnsOf(infoOf('{ voice(voiceId: "v") { x: description } }'))).toBe("all");
  });
});
