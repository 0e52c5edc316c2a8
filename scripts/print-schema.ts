// Writes schema.graphql: the whole public API in one checked-in file, for
// reviewers and for client tooling (codegen, Sandbox imports) that wants a
// file rather than introspection. Regenerate with `npm run generate`.
import { writeFileSync } from "node:fs";
import { buildSchema, printSchema } from "graphql";
import { typeDefs } from "../src/schema/index.js";

const header = "# Generated from src/schema/*.graphql by `npm run generate`. Do not edit.\n\n";
writeFileSync(new URL("../schema.graphql", import.meta.url), header + printSchema(buildSchema(typeDefs)) + "\n");
