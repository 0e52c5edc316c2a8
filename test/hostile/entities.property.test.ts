// Property: a federation router's `_entities` (FEDERATION=true) is a client
// input like any other. Random representations (any JSON, references of every
// shape, hostile strings as values and as keys), sent as the variable or
// written in the document:
// - a string PostgreSQL cannot store (a NUL, an unpaired surrogate, longer
//   than any field) anywhere in them: 400 BAD_USER_INPUT
//   (GRAPHQL_PARSE_FAILED for a surrogate written in the document), and no
//   SQL statement runs;
// - anything else: never a 5xx, never INTERNAL_SERVER_ERROR, only codes of
//   ERROR_CODES, and no error-level log line;
// - whatever the representations, reading them writes nothing.
import fc from "fast-check";
import type { MockInstance } from "vitest";
import { ERROR_CODES } from "../../src/errors.js";
import { bearer, issueKey } from "../support/api-keys.js";
import { describe, expect, test as base, vi } from "../support/base-fixtures.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { hostileRuns } from "../support/hostile.js";
import { voiceData } from "../support/voice-data.js";

const test = base
  // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
  .extend("subgraph", { scope: "file" }, async ({}, { onCleanup }): Promise<TestGateway> => {
    const gateway = await startTestGateway({ env: { FEDERATION: "true" } });
    onCleanup(() => gateway.stop());
    return gateway;
  });

const around = fc.string({ maxLength: 12 });
const hostileText = fc.oneof(
  fc.tuple(around, around).map(([before, after]) => `${before}\u0000${after}`),
  fc.tuple(around, fc.integer({ min: 0xd800, max: 0xdfff })).map(([before, half]) => `${before}${String.fromCharCode(half)}`),
  fc.integer({ min: 10_001, max: 30_000 }).map((length) => "ل".repeat(length)),
);

/** A value written in the document: JSON's escapes are GraphQL's. */
function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (value && typeof value === "object") {
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${key}: ${literal(item)}`)
      .join(", ")} }`;
  }
  return JSON.stringify(value);
}

/** An object's keys in a written document must be names: other keys are dropped, recursively. */
function writable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(writable);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(key))
        .map(([key, item]) => [key, writable(item)]),
    );
  }
  return value;
}

describe("random representations sent to _entities", () => {
  test("hostile strings: BAD_USER_INPUT and no SQL; anything else: never a 5xx; nothing written", async ({ subgraph }) => {
    const stored = await subgraph.container.db.prisma.voice.create({ data: voiceData({ name: "Layla" }) });
    const { key } = await issueKey(subgraph, "router", "read");
    const reference = fc.record(
      {
        __typename: fc.oneof(fc.constantFrom("Voice", "Query", "_Service", "CloneAttempt"), fc.string(), fc.jsonValue()),
        id: fc.oneof(fc.constant(stored.id), fc.uuid(), fc.string({ unit: "binary" }), fc.jsonValue()),
        voiceId: fc.oneof(fc.constant(stored.voiceId), fc.string({ unit: "binary" }), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    // `[_Any!]!`: a null item is refused by validation, before any value is looked at.
    const item = fc.oneof(
      reference,
      fc.jsonValue().filter((value) => value !== null),
      fc.dictionary(fc.string(), fc.jsonValue()),
    );
    const representations = fc.array(item, {
      maxLength: 8,
    });
    // One hostile string put somewhere in otherwise random representations: a reference's key
    // field, its type name, a value nested in a list, or (in variables only) an object's key.
    const withHostile = fc
      .tuple(
        representations,
        hostileText,
        fc.nat(),
        fc.constantFrom("id", "voiceId", "__typename", "nested", "key"),
        fc.boolean(),
      )
      .map(([value, hostile, at, where, written]) => {
        const place = written && where === "key" ? "id" : where;
        const item =
          place === "nested"
            ? { __typename: "Voice", id: [1, { deep: hostile }] }
            : place === "key"
              ? { __typename: "Voice", [hostile]: "x" }
              : { __typename: "Voice", [place]: hostile };
        const index = at % (value.length + 1);
        return { value: [...value.slice(0, index), item, ...value.slice(index)], hostile, written };
      });
    const statements: MockInstance = vi.spyOn(subgraph.container.db, "query");
    const voices = () => subgraph.container.db.prisma.voice.findMany({ orderBy: { id: "asc" } });
    const before = await voices();

    const send = (value: unknown[], written: boolean) =>
      written
        ? subgraph.graphql(
            `{ _entities(representations: ${literal(writable(value))}) { ... on Voice { id name } } }`,
            {},
            bearer(key),
          )
        : subgraph.graphql(
            `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Voice { id name } } }`,
            { r: value },
            bearer(key),
          );

    await fc.assert(
      fc.asyncProperty(withHostile, async ({ value, hostile, written }) => {
        statements.mockClear();
        const response = await send(value, written);
        expect(response.status, JSON.stringify(response.body)).toBe(400);
        // The grammar itself refuses an unpaired surrogate written in the document (text.property.test.ts).
        const parseRefusal = written && !hostile.isWellFormed();
        expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual([
          parseRefusal ? "GRAPHQL_PARSE_FAILED" : "BAD_USER_INPUT",
        ]);
        expect(statements).not.toHaveBeenCalled();
      }),
      hostileRuns,
    );

    await fc.assert(
      fc.asyncProperty(representations, fc.boolean(), async (value, written) => {
        const response = await send(value, written);
        expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
        for (const error of response.body.errors ?? []) {
          expect(error.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
          expect(Object.keys(ERROR_CODES)).toContain(error.extensions?.code);
        }
      }),
      hostileRuns,
    );

    statements.mockRestore();
    expect(await voices()).toEqual(before);
    expect(subgraph.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  }, 300_000);
});
