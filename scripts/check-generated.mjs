// CI guard: regenerates the checked-in artifacts (schema.graphql, subgraph.graphql, resolver
// types, the tests' typed operations, the Node example's client-preset output,
// the example recordings) and fails if they differ from what is committed, so nobody ships an
// SDL change without its generated counterpart.
import { execSync } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";

const artifacts = [
  "schema.graphql",
  "subgraph.graphql",
  "src/generated/graphql.ts",
  "test/generated/operations.ts",
  "examples/node/gql/gql.ts",
  "examples/node/gql/graphql.ts",
  "examples/node/gql/index.ts",
  "examples/audio/preview.wav",
  "examples/audio/original.wav",
];
// base64: the example recordings are binary.
const read = (file) => (existsSync(file) ? readFileSync(file).toString("base64") : null);
const before = Object.fromEntries(artifacts.map((file) => [file, read(file)]));
execSync("npm run --silent generate", { stdio: ["ignore", "ignore", "inherit"] });
const stale = artifacts.filter((file) => read(file) !== before[file]);
if (stale.length > 0) {
  console.error(`Generated files were stale: ${stale.join(", ")}. Run \`npm run generate\` and commit the result.`);
  process.exit(1);
}
console.log(`Generated files are fresh: ${artifacts.join(", ")}`);
