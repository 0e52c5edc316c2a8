// The cost model on the real schema: list sizes multiply what they hold,
// COUNTs and lookups weigh what they cost, connections count their page once.
import { buildSchema, Kind, type OperationDefinitionNode, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { operationCost } from "../../src/graphql/operation-cost.js";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { subgraphTypeDefs, typeDefs } from "../../src/schema/index.js";

const schema = buildSchema(typeDefs);
const costOf = (query: string, variables?: Record<string, unknown>, on = schema) => {
  const document = parse(query);
  const operation = document.definitions.find(
    (definition) => definition.kind === Kind.OPERATION_DEFINITION,
  ) as OperationDefinitionNode;
  return operationCost(on, document, operation, variables);
};

describe("operationCost", () => {
  it("counts a connection's list fields per item of `first`, and its page info and totalCount once", () => {
    // voices 1+50; nodes 1 + 100 x 2; pageInfo 1 + 1; totalCount 1 + 1000
    expect(costOf("{ voices(first: 100) { nodes { id name } pageInfo { hasNextPage } totalCount } }")).toBe(51 + 201 + 2 + 1001);
    // The schema default (20) when `first` is not given.
    expect(costOf("{ voices { nodes { id } } }")).toBe(51 + 1 + 20);
  });

  it("reads `first` from variables, and from the variable's default", () => {
    const query = "query ($first: Int = 5) { voices(first: $first) { edges { cursor node { id } } } }";
    expect(costOf(query, { first: 50 })).toBe(51 + 1 + 50 * (1 + 1 + 1));
    expect(costOf(query)).toBe(51 + 1 + 5 * 3);
  });

  it("counts an out-of-range `first` as 1, leaving its refusal to the resolver's clearer BAD_USER_INPUT", () => {
    expect(costOf("{ voices(first: 1000) { nodes { id } } }")).toBe(51 + 1 + 1);
    expect(costOf("{ cloneAttempts(first: 0) { id } }")).toBe(51 + 1);
  });

  it("multiplies a list field's selection by its own `first`", () => {
    // cloneAttempts 1+50, each attempt: voice 1+5, id 1
    expect(costOf("{ cloneAttempts(first: 100) { voice { id } } }")).toBe(51 + 100 * 7);
  });

  it("adds up aliases and fragments", () => {
    const aliased = Array.from({ length: 15 }, (_, index) => `a${index}: cloneAttempts(first: 100) { voice { id } }`).join(" ");
    expect(costOf(`{ ${aliased} }`)).toBe(15 * 751);
    const counts = Array.from({ length: 5 }, (_, index) => `c${index}: voices { totalCount }`).join(" ");
    expect(costOf(`{ ${counts} }`)).toBe(5 * (51 + 1001));
    const withFragment = "query { voices(first: 10) { nodes { ...V } } } fragment V on Voice { id name createdAt }";
    expect(costOf(withFragment)).toBe(51 + 1 + 10 * 3);
  });

  it("ignores introspection and answers undefined when variables do not coerce", () => {
    expect(costOf("{ __schema { types { name fields { name } } } }")).toBe(0);
    expect(costOf("query ($first: Int) { voices(first: $first) { nodes { id } } }", { first: "ten" })).toBeUndefined();
  });

  it("prices federation's _entities per representation (FEDERATION=true), from a literal or a variable", () => {
    const subgraph = buildSubgraphSchema(parse(subgraphTypeDefs()));
    const references = Array.from({ length: 300 }, (_, index) => ({ __typename: "Voice", voiceId: `voice_${index}` }));
    const query = "query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Voice { id name } } }";
    // _entities 1+10, each entity: id 1, name 1 (__typename is free)
    expect(costOf(query, { r: references }, subgraph)).toBe(11 + 300 * 2);
    expect(
      costOf('{ _entities(representations: [{ __typename: "Voice", id: "x" }]) { ... on Voice { id } } }', {}, subgraph),
    ).toBe(11 + 1);
    expect(costOf("{ _service { sdl } }", {}, subgraph)).toBe(2);
    // Each reference is a lookup: it costs at least 1 even when nothing that costs is selected of it,
    // and a fragment on the _Entity union is priced through the fragments it holds.
    const bare = "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }";
    expect(costOf(bare, { r: references }, subgraph)).toBe(11 + 300);
    const throughUnion =
      "query ($r: [_Any!]!) { _entities(representations: $r) { ...E } } fragment E on _Entity { ... on _Entity { ... on Voice { id name } } }";
    expect(costOf(throughUnion, { r: references }, subgraph)).toBe(11 + 300 * 2);
  });
});
