// Writes schema.graphql: the whole public API in one checked-in file, for
// reviewers and for client tooling (codegen, Sandbox imports) that wants a
// file rather than introspection; and subgraph.graphql: the same API as the
// Federation 2 subgraph FEDERATION=true serves (its `_service { sdl }`), for
// composition tools (`rover subgraph publish --schema subgraph.graphql`).
// Regenerate with `npm run generate`.
import { writeFileSync } from "node:fs";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { buildSchema, graphqlSync, parse, printSchema } from "graphql";
import { subgraphTypeDefs, typeDefs } from "../src/schema/index.js";

const header = "# Generated from src/schema/*.graphql by `npm run generate`. Do not edit.\n\n";
writeFileSync(new URL("../schema.graphql", import.meta.url), header + printSchema(buildSchema(typeDefs)) + "\n");

// The subgraph's SDL is made from the type definitions alone (resolvers play no part in it).
const served = graphqlSync({ schema: buildSubgraphSchema(parse(subgraphTypeDefs())), source: "{ _service { sdl } }" });
const sdl = (served.data?._service as { sdl?: unknown } | undefined)?.sdl;
if (typeof sdl !== "string") throw new Error(`No subgraph SDL: ${JSON.stringify(served.errors)}`);
const subgraphHeader =
  "# Generated from src/schema/*.graphql and src/schema/federation/ by `npm run generate`. Do not edit.\n" +
  "# The Federation 2 subgraph the gateway serves with FEDERATION=true.\n\n";
writeFileSync(new URL("../subgraph.graphql", import.meta.url), subgraphHeader + sdl + "\n");
