// The SDL files in this folder are the source of truth for the API; this
// module only concatenates them (read once at import).
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));

export const SCHEMA_FILES = readdirSync(dir)
  .filter((name) => name.endsWith(".graphql"))
  .sort();

export const typeDefs = SCHEMA_FILES.map((name) => readFileSync(new URL(name, import.meta.url), "utf8")).join("\n");
