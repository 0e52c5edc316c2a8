// The SDL files in this folder are the source of truth for the API; this
// module only concatenates them (read once at import). federation/ holds what
// FEDERATION=true adds to them (src/graphql/subgraph.ts).
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));

export const SCHEMA_FILES = readdirSync(dir)
  .filter((name) => name.endsWith(".graphql"))
  .sort();

export const typeDefs = SCHEMA_FILES.map((name) => readFileSync(new URL(name, import.meta.url), "utf8")).join("\n");

/**
 * The API as an Apollo Federation 2 subgraph: the same SDL, with the federation spec linked and
 * Voice's keys. Read when asked for (FEDERATION=true, the generator), not by every start.
 */
export const subgraphTypeDefs = (): string =>
  `${typeDefs}\n${readFileSync(new URL("federation/subgraph.graphql", import.meta.url), "utf8")}`;
