// Property: no document shape crosses a scope. Documents are built at random
// from the schema itself (every Query and Mutation field, so a field added
// tomorrow is in the draw): one to three root fields, each reached plainly,
// through an alias, an inline fragment, a named fragment, nested fragments or
// a directive, sent as POST or GET, with or without a matching operationName,
// and with a read, a write and an admin key. A field the
// key's scope does not allow never returns data, nothing answers 5xx, an
// operation Apollo does not resolve (a wrong operationName, a mutation over
// GET) runs nothing, and when every field of a mutation is out of scope
// nothing happens: no key made or revoked, no voice
// changed, no attempt, preview or speech written, nothing sent to Faseeh.
import { makeExecutableSchema } from "@graphql-tools/schema";
import fc from "fast-check";
import { getNamedType, type GraphQLField, type GraphQLObjectType, isObjectType, isScalarType } from "graphql";
import { declaredScope } from "../../src/graphql/scopes.js";
import { resolvers } from "../../src/resolvers/index.js";
import { typeDefs } from "../../src/schema/index.js";
import { type Scope, scopeAllows } from "../../src/services/access/api-key-service.js";
import { bearer, issueKey } from "../support/api-keys.js";
import { describe, expect, test } from "../support/fixtures.js";
import type { TestGateway } from "../support/gateway.js";
import { hostileRuns } from "../support/hostile.js";

const schema = makeExecutableSchema({ typeDefs, resolvers });
const VOICE_ID = "6f0f4f8e-3a5c-4d0e-9b7e-2f1c1a9d4e10";
const NOWHERE = "00000000-0000-4000-8000-000000000000";

/**
 * Arguments for each root field that has required ones (a new field with
 * required arguments must be given some here: the suite says which). `$admin`
 * stands for the admin key's id, the target an attacker would pick.
 */
const ARGUMENTS: Record<string, string> = {
  "Query.voicePreview": `(id: "${NOWHERE}")`,
  "Mutation.cloneVoice": `(input: { previewId: "${NOWHERE}", name: "Stolen", stability: 0.5 })`,
  "Mutation.previewVoice": `(input: { file: null, text: "three words here", similarity: 0.5, modelId: "faseeh-v1" })`,
  "Mutation.updateVoice": `(id: "${VOICE_ID}", input: { name: "Defaced" })`,
  "Mutation.archiveVoice": `(id: "${VOICE_ID}")`,
  "Mutation.restoreVoice": `(id: "${VOICE_ID}")`,
  "Mutation.createApiKey": `(name: "backdoor", scope: ADMIN)`,
  "Mutation.revokeApiKey": `(key: "$admin")`,
  "Mutation.speak": `(input: { voiceId: "v-hostile", text: "مرحبا بكم" })`,
};

interface RootField {
  type: "Query" | "Mutation";
  name: string;
  scope: Scope;
  call: string;
}

/** A field's selection: `__typename` and its first scalar field, when it returns an object. */
function selectionOf(field: GraphQLField<unknown, unknown>): string {
  const type = getNamedType(field.type);
  if (!isObjectType(type)) return "";
  const scalar = Object.values(type.getFields()).find((inner) => isScalarType(getNamedType(inner.type)) && !inner.args.length);
  return `{ __typename ${scalar?.name ?? ""} }`;
}

const rootFields: RootField[] = (["Query", "Mutation"] as const).flatMap((typeName) => {
  const type = schema.getType(typeName) as GraphQLObjectType;
  return Object.values(type.getFields()).map((field) => {
    const key = `${typeName}.${field.name}`;
    const scope = declaredScope(type, field.name);
    if (!scope) throw new Error(`${key} declares no scope`);
    const required = field.args.some((arg) => arg.type.toString().endsWith("!") && arg.defaultValue === undefined);
    if (required && !(key in ARGUMENTS)) throw new Error(`the hostile suite needs arguments for ${key} in ARGUMENTS`);
    return { type: typeName, name: field.name, scope, call: `${field.name}${ARGUMENTS[key] ?? ""} ${selectionOf(field)}` };
  });
});

type Shape = "plain" | "alias" | "inline" | "fragment" | "nested" | "directive";
const shapes: Shape[] = ["plain", "alias", "inline", "fragment", "nested", "directive"];

/** The document (its operation named `Op` when `named`), and the response key each field answers under. */
function documentOf(
  type: "Query" | "Mutation",
  picks: Array<{ field: RootField; shape: Shape }>,
  adminId: string,
  named: boolean,
) {
  const selections: string[] = [];
  const fragments: string[] = [];
  const answers = picks.map(({ field, shape }, at) => {
    const call = field.call.replace("$admin", adminId);
    const responseKey = shape === "alias" ? `a${at}` : field.name;
    const fragment = `f${at}`;
    switch (shape) {
      case "plain":
        selections.push(call);
        break;
      case "alias":
        selections.push(`${responseKey}: ${call}`);
        break;
      case "inline":
        selections.push(`... on ${type} { ${call} }`);
        break;
      case "fragment":
        selections.push(`...${fragment}`);
        fragments.push(`fragment ${fragment} on ${type} { ${call} }`);
        break;
      case "nested":
        selections.push(`...${fragment}`);
        fragments.push(
          `fragment ${fragment} on ${type} { ...${fragment}i }`,
          `fragment ${fragment}i on ${type} { ... on ${type} { ${call} } }`,
        );
        break;
      case "directive":
        selections.push(call.replace(/ \{/, " @include(if: true) {"));
        break;
    }
    return { field, responseKey };
  });
  const operation = type === "Query" ? "query" : "mutation";
  return { document: `${operation}${named ? " Op" : ""} { ${selections.join(" ")} } ${fragments.join(" ")}`, answers };
}

const draw = fc.constantFrom<"Query" | "Mutation">("Query", "Mutation").chain((type) =>
  fc.record({
    type: fc.constant(type),
    picks: fc.uniqueArray(
      fc.record({
        field: fc.constantFrom(...rootFields.filter((field) => field.type === type)),
        shape: fc.constantFrom(...shapes),
      }),
      { minLength: 1, maxLength: 3, selector: (pick) => pick.field.name },
    ),
    scope: fc.constantFrom<Scope>("read", "write", "admin"),
    named: fc.boolean(),
    /** The request's operationName: none, the operation's, or one the document does not have. */
    operationName: fc.constantFrom(undefined, "Op", "Other"),
    transport: fc.oneof(
      { arbitrary: fc.constant("POST" as const), weight: 3 },
      { arbitrary: fc.constant("GET" as const), weight: 1 },
    ),
  }),
);

type Draw = typeof draw extends fc.Arbitrary<infer T> ? T : never;

/** Sends the document as the draw says (POST with JSON, or GET with a query string). */
async function send(gateway: TestGateway, document: string, draw: Draw, key: string) {
  if (draw.transport === "POST") {
    const body = { query: document, ...(draw.operationName && { operationName: draw.operationName }) };
    const response = await fetch(`${gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(key) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown> | null } };
  }
  const search = new URLSearchParams({ query: document, ...(draw.operationName && { operationName: draw.operationName }) });
  const response = await fetch(`${gateway.url}/graphql?${search.toString()}`, {
    headers: { "apollo-require-preflight": "true", ...bearer(key) },
  });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown> | null } };
}

/** Everything a refused mutation could have changed. */
async function sideEffects(
  gateway: TestGateway,
  upstream: { requests: unknown[]; previewRequests: unknown[]; speechRequests: unknown[] },
) {
  const [state] = await gateway.database!.query(`
    SELECT (SELECT count(*) FROM api_keys)::int AS keys,
           (SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL)::int AS revoked,
           (SELECT count(*) FROM clone_attempts)::int AS attempts,
           (SELECT count(*) FROM voice_previews)::int AS previews,
           (SELECT count(*) FROM speech_audio)::int AS speechAudio,
           (SELECT count(*) FROM speeches)::int AS speeches,
           (SELECT name || coalesce(archived_at::text, '') || updated_at::text FROM voices WHERE id = '${VOICE_ID}') AS voice`);
  return {
    ...state,
    clones: upstream.requests.length,
    previewCalls: upstream.previewRequests.length,
    speechCalls: upstream.speechRequests.length,
  };
}

describe("random documents from the schema, with each scope", () => {
  test("no field outside the key's scope returns data, and refused mutations change nothing", async ({ gateway, upstream }) => {
    await gateway.database!.query(
      `INSERT INTO voices (id, voice_id, name, stability, model) VALUES ('${VOICE_ID}', 'v-hostile', 'Layla', 0.5, 'faseeh-v1')`,
    );
    upstream.addVoices("v-hostile"); // so a speak in scope reaches Faseeh and is answered, as in production
    const admin = await issueKey(gateway, "ops", "admin");
    const keys: Record<Scope, string> = {
      admin: admin.key,
      write: (await issueKey(gateway, "voice-studio", "write")).key,
      read: (await issueKey(gateway, "catalog-browser", "read")).key,
    };
    await fc.assert(
      fc.asyncProperty(draw, async (drawn) => {
        const { type, picks, scope } = drawn;
        const { document, answers } = documentOf(type, picks, admin.id, drawn.named);
        // Apollo runs the operation only when the operationName resolves, and a mutation never over GET.
        const resolves = drawn.operationName === undefined || (drawn.operationName === "Op" && drawn.named);
        const runs = resolves && !(drawn.transport === "GET" && type === "Mutation");
        const refusedAll = answers.every(({ field }) => !scopeAllows(scope, field.scope));
        const before = type === "Mutation" && (refusedAll || !runs) ? await sideEffects(gateway, upstream) : undefined;
        const response = await send(gateway, document, drawn, keys[scope]);
        const said = `${drawn.transport} ${document} (${String(drawn.operationName)}) with ${scope}: ${JSON.stringify(response.body)}`;
        expect(response.status, said).toBeLessThan(500);
        const data = response.body.data;
        if (!runs) expect(data, said).toBeUndefined();
        for (const { field, responseKey } of answers) {
          if (scopeAllows(scope, field.scope)) continue;
          expect(data?.[responseKey] ?? null, said).toBeNull();
        }
        if (before) expect(await sideEffects(gateway, upstream), said).toEqual(before);
      }),
      hostileRuns,
    );
  }, 240_000);
});
