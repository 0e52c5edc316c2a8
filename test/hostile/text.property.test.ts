// Property: every text argument refuses what it cannot store, and nothing a
// client types answers 5xx. The targets are drawn from the schema itself:
// every String and ID argument and input field (lists included) of every
// Query and Mutation field, so a field added tomorrow is in the draw. Each
// case puts one random string there, in the variables or written in the
// document, with an admin key (every field reachable) and otherwise valid
// arguments:
// - hostile strings (a NUL, an unpaired surrogate, longer than any field):
//   400 BAD_USER_INPUT (GRAPHQL_PARSE_FAILED for a surrogate written in the
//   document, which the grammar refuses), no upstream call, nothing written;
// - any other string (RTL marks, Arabic, emoji, controls): never a 5xx, never
//   INTERNAL_SERVER_ERROR, only codes of ERROR_CODES.
import { makeExecutableSchema } from "@graphql-tools/schema";
import fc from "fast-check";
import {
  getNamedType,
  type GraphQLInputType,
  type GraphQLObjectType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from "graphql";
import { ERROR_CODES } from "../../src/errors.js";
import { resolvers } from "../../src/resolvers/index.js";
import { typeDefs } from "../../src/schema/index.js";
import { textProblem } from "../../src/services/storable-values.js";
import { bearer, issueKey } from "../support/api-keys.js";
import { describe, expect, test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";
import { hostileRuns } from "../support/hostile.js";
import { previewVoice } from "../support/preview.js";

const schema = makeExecutableSchema({ typeDefs, resolvers });
const VOICE_ID = "6f0f4f8e-3a5c-4d0e-9b7e-2f1c1a9d4e10";

/** Valid arguments per root field ("$preview" is a real preview's id); a target's string replaces one value. */
const BASE: Record<string, Record<string, unknown>> = {
  "Query.voice": { voiceId: "v-hostile" },
  "Query.voicePreview": { id: "$preview" },
  "Mutation.cloneVoice": { input: { previewId: "$preview", name: "Layla", stability: 0.5 } },
  "Mutation.previewVoice": { input: { file: null, text: "three words here", similarity: 0.5, modelId: "faseeh-v1" } },
  "Mutation.updateVoice": { id: VOICE_ID, input: { name: "Layla" } },
  "Mutation.archiveVoice": { id: VOICE_ID },
  "Mutation.restoreVoice": { id: VOICE_ID },
  "Mutation.createApiKey": { name: "tool", scope: "READ" },
  "Mutation.revokeApiKey": { key: "fvg_nothing" },
  "Mutation.speak": { input: { voiceId: "v-hostile", text: "مرحبا بكم" } },
};

interface Target {
  type: "Query" | "Mutation";
  field: string;
  /** Whether an argument holds an Upload, which only a variable can carry (the document cannot write one). */
  takesUpload: boolean;
  /** Argument name, then input fields (and 0 for a list's first item). */
  path: Array<string | number>;
  /** The argument types, for the operation's variable definitions. */
  argumentTypes: Record<string, string>;
  selection: string;
}

/** Whether an Upload is somewhere in `type`. */
function holdsUpload(type: GraphQLInputType, depth = 0): boolean {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return holdsUpload(inner.ofType, depth);
  if (isScalarType(inner)) return inner.name === "Upload";
  return (
    isInputObjectType(inner) && depth < 3 && Object.values(inner.getFields()).some((field) => holdsUpload(field.type, depth + 1))
  );
}

/** Every place a string goes below `type`, as paths. */
function stringPaths(type: GraphQLInputType, path: Array<string | number>, depth = 0): Array<Array<string | number>> {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return stringPaths(inner.ofType, [...path, 0], depth);
  if (isScalarType(inner)) return inner.name === "String" || inner.name === "ID" ? [path] : [];
  if (isInputObjectType(inner) && depth < 3) {
    return Object.values(inner.getFields()).flatMap((field) => stringPaths(field.type, [...path, field.name], depth + 1));
  }
  return [];
}

const targets: Target[] = (["Query", "Mutation"] as const).flatMap((typeName) =>
  Object.values((schema.getType(typeName) as GraphQLObjectType).getFields()).flatMap((field) => {
    const named = getNamedType(field.type);
    const scalar = isObjectType(named)
      ? Object.values(named.getFields()).find((inner) => isScalarType(getNamedType(inner.type)) && !inner.args.length)
      : undefined;
    const selection = isObjectType(named) ? `{ __typename ${scalar?.name ?? ""} }` : "";
    const argumentTypes = Object.fromEntries(field.args.map((arg) => [arg.name, arg.type.toString()]));
    const takesUpload = field.args.some((arg) => holdsUpload(arg.type));
    return field.args.flatMap((arg) =>
      stringPaths(arg.type, [arg.name]).map((path) => ({
        type: typeName,
        field: field.name,
        takesUpload,
        path,
        argumentTypes,
        selection,
      })),
    );
  }),
);

/** The target's arguments with `text` put at its path. */
function argumentsWith(target: Target, text: string, previewId: string): Record<string, unknown> {
  const base = structuredClone(BASE[`${target.type}.${target.field}`] ?? {});
  const filled = JSON.parse(JSON.stringify(base).replaceAll('"$preview"', JSON.stringify(previewId))) as Record<string, unknown>;
  let node: Record<string | number, unknown> = filled;
  for (const [at, key] of target.path.entries()) {
    if (at === target.path.length - 1) {
      node[key] = text;
    } else {
      node[key] ??= typeof target.path[at + 1] === "number" ? [] : {};
      node = node[key] as Record<string | number, unknown>;
    }
  }
  return filled;
}

/** A value written in the document (strings JSON-escaped, which GraphQL's grammar shares). */
function literal(value: unknown, enumArgument = false): string {
  if (typeof value === "string") return enumArgument ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => literal(item)).join(", ")}]`;
  if (value && typeof value === "object") {
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${key}: ${literal(item)}`)
      .join(", ")} }`;
  }
  return String(value);
}

/** The operation for a target, with its arguments as variables or written in the document. */
function operationOf(target: Target, args: Record<string, unknown>, written: boolean) {
  const operation = target.type === "Query" ? "query" : "mutation";
  const names = Object.keys(args);
  if (written) {
    const list = names.map(
      (name) => `${name}: ${literal(args[name], target.argumentTypes[name]?.startsWith("ApiKeyScope") ?? false)}`,
    );
    return {
      query: `${operation} { ${target.field}${list.length ? `(${list.join(", ")})` : ""} ${target.selection} }`,
      variables: {},
    };
  }
  const definitions = names.map((name) => `$${name}: ${target.argumentTypes[name] ?? "String"}`);
  const uses = names.map((name) => `${name}: $${name}`);
  return {
    query: `${operation}${definitions.length ? `(${definitions.join(", ")})` : ""} { ${target.field}${uses.length ? `(${uses.join(", ")})` : ""} ${target.selection} }`,
    variables: args,
  };
}

const around = fc.string({ maxLength: 12 });
const hostile = fc.oneof(
  fc.tuple(around, around).map(([before, after]) => `${before}\u0000${after}`),
  fc.tuple(around, fc.integer({ min: 0xd800, max: 0xdfff })).map(([before, half]) => `${before}${String.fromCharCode(half)}`),
  fc.integer({ min: 10_001, max: 100_000 }).map((length) => "ل".repeat(length)),
);
const benign = fc
  .oneof(
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom(
      "\u200fليلى\u200f",
      "\u202eevil\u202c",
      "مـــحمد 🎙️",
      " ",
      "",
      "a\tb\r\nc",
      "\u0001\u001f",
      "x".repeat(10_000),
    ),
  )
  .filter((text) => textProblem(text) === undefined);

async function writes(
  gateway: TestGateway,
  upstream: { requests: unknown[]; previewRequests: unknown[]; speechRequests: unknown[] },
) {
  const [state] = await gateway.database!.query(`
    SELECT (SELECT count(*) FROM api_keys)::int AS keys,
           (SELECT count(*) FROM clone_attempts)::int AS attempts,
           (SELECT count(*) FROM voice_previews)::int AS previews,
           (SELECT count(*) FROM speech_audio)::int AS speechAudio,
           (SELECT count(*) FROM speeches)::int AS speeches,
           (SELECT name || coalesce(description, '') || updated_at::text FROM voices WHERE id = '${VOICE_ID}') AS voice`);
  return {
    ...state,
    clones: upstream.requests.length,
    previewCalls: upstream.previewRequests.length,
    speechCalls: upstream.speechRequests.length,
  };
}

describe("random strings in every String argument and input field", () => {
  test("hostile ones: BAD_USER_INPUT, no upstream call, nothing written; others: never a 5xx", async ({ gateway, upstream }) => {
    expect(targets.length).toBeGreaterThan(20);
    await gateway.database!.query(
      `INSERT INTO voices (id, voice_id, name, stability, model) VALUES ('${VOICE_ID}', 'v-hostile', 'Layla', 0.5, 'faseeh-v1')`,
    );
    upstream.addVoices("v-hostile"); // so a benign speak reaches Faseeh and is answered
    const admin = await issueKey(gateway, "ops", "admin");
    const preview = await previewVoice(gateway, { headers: bearer(admin.key) });
    const previewId = preview.body.data!.previewVoice.id;
    const send = (target: Target, text: string, written: boolean) => {
      const { query, variables } = operationOf(target, argumentsWith(target, text, previewId), written && !target.takesUpload);
      return gateway.graphql(query, variables, bearer(admin.key));
    };

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), hostile, fc.boolean(), async (target, text, written) => {
        const before = await writes(gateway, upstream);
        const response = await send(target, text, written);
        const codes = response.body.errors?.map((error) => error.extensions?.code);
        expect(response.status, `${target.field} ${target.path.join(".")}`).toBe(400);
        const inDocument = written && !target.takesUpload;
        expect(codes).toEqual([inDocument && !text.isWellFormed() ? "GRAPHQL_PARSE_FAILED" : "BAD_USER_INPUT"]);
        expect(await writes(gateway, upstream)).toEqual(before);
      }),
      hostileRuns,
    );

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), benign, fc.boolean(), async (target, text, written) => {
        const response = await send(target, text, written);
        expect(response.status, `${target.field} ${target.path.join(".")} ${JSON.stringify(response.body)}`).toBeLessThan(500);
        for (const error of response.body.errors ?? []) {
          expect(error.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
          expect(Object.keys(ERROR_CODES)).toContain(error.extensions?.code);
        }
      }),
      hostileRuns,
    );
    expect(gateway.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  }, 300_000);
});
