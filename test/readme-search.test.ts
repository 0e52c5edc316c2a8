// The README's search-and-facets example shows real output: this sends its
// query with its variables to a gateway holding the catalog the search tests
// seed, and checks the answer is the one the README prints, so the example
// cannot drift from what the gateway does.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "./support/fixtures.js";
import { PROJECT_ROOT } from "../dev/spawn-ts.js";
import { seed } from "./resolvers/catalog-search.cases.js";

test.override("gatewayOptions", { withUpstream: false });

const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");

/** The graphql block and the two json blocks (variables, answer) after the marker. */
function example(name: string): { query: string; variables: Record<string, unknown>; answer: unknown } {
  const start = readme.indexOf(`<!-- readme-example: ${name} -->`);
  if (start < 0) throw new Error(`README has no readme-example: ${name}`);
  const blocks = [...readme.slice(start).matchAll(/```(graphql|json)\n([\s\S]*?)```/g)].slice(0, 3);
  const [query, variables, answer] = blocks.map((match) => match[2]!);
  return { query: query!, variables: JSON.parse(variables!) as Record<string, unknown>, answer: JSON.parse(answer!) };
}

describe("README: search and facets", () => {
  test("the example's answer is what the gateway returns", async ({ gateway }) => {
    await seed(gateway);
    const { query, variables, answer } = example("search-and-facets");
    const response = await gateway.graphql(query, variables);
    expect(response.body).toEqual(answer);
  });
});
