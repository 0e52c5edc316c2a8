// The cost limit over HTTP: the abuse shapes a read key could send are
// refused before anything runs, with COST_LIMIT_EXCEEDED and the figures;
// ordinary pages pass.
import { expect, test } from "../../support/fixtures.js";

test.override("gatewayOptions", { withUpstream: false });

const aliases = (count: number, field: string) => Array.from({ length: count }, (_, index) => `a${index}: ${field}`).join("\n");

test.for([
  [
    "fifteen aliases of cloneAttempts(first: 100) { voice { id } }",
    `{ ${aliases(15, "cloneAttempts(first: 100) { voice { id } }")} }`,
    11265,
  ],
  ["totalCount repeated under five aliases", `{ ${aliases(5, "voices { totalCount }")} }`, 5260],
  [
    "three full pages of 100 with totalCount each",
    `{ ${aliases(3, "voices(first: 100) { nodes { id name description gender age languages dialects model createdAt } edges { cursor node { id } } totalCount }")} }`,
    3 * (51 + 901 + 301 + 1001),
  ],
] as const)("refuses %s with COST_LIMIT_EXCEEDED, before it runs", async ([, query, cost], { gateway }) => {
  const response = await gateway.graphql(query);
  expect(response.status).toBe(400);
  expect(response.body.data).toBeUndefined();
  expect(response.body.errors).toHaveLength(1);
  expect(response.body.errors![0]!.extensions).toMatchObject({ code: "COST_LIMIT_EXCEEDED", cost, maxCost: 5000 });
  expect(response.body.errors![0]!.message).toContain(`cost ${cost}, over the limit of 5000`);
});

test("passes a full page of 100 voices with its edges, page info and totalCount", async ({ gateway }) => {
  const response = await gateway.graphql(
    "{ voices(first: 100) { nodes { id name languages } edges { cursor node { id } } pageInfo { hasNextPage endCursor } totalCount } }",
  );
  expect(response.status).toBe(200);
  expect(response.body.errors).toBeUndefined();
  expect(response.body.data).toEqual({
    voices: { nodes: [], edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 },
  });
});

test("judges each request of one document by its own variables", async ({ gateway }) => {
  const query = `query Attempts($n: Int) { ${aliases(15, "cloneAttempts(first: $n) { voice { id } }")} }`;
  const small = await gateway.graphql(query, { n: 10 });
  expect(small.body.errors).toBeUndefined();
  const large = await gateway.graphql(query, { n: 100 });
  expect(large.body.errors?.[0]?.extensions).toMatchObject({ code: "COST_LIMIT_EXCEEDED", cost: 11265 });
  const smallAgain = await gateway.graphql(query, { n: 10 });
  expect(smallAgain.body.errors).toBeUndefined();
});

test("refuses a document with fixed list sizes on every request, not only the first", async ({ gateway }) => {
  const query = `{ ${aliases(5, "voices { totalCount }")} }`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const response = await gateway.graphql(query);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "COST_LIMIT_EXCEEDED", cost: 5260 });
  }
});
