// graphql-jit's compiled serialiser (fast-json-stringify from the operation's
// selection, `customJSONSerializer`) against JSON.stringify, on the shared
// catalog bench's answers: W1/W2's page of 20 voices and W3's one voice.
// Run by hand: node --import tsx bench/answer-serializer.ts
// A selection with a custom scalar (W1/W2's `createdAt: DateTime`) cannot be
// compiled: graphql-jit 0.8's JSON schema knows the built-in scalars only.
// Prints µs per answer for each, alternating in rounds, and whether the bytes
// are the same (they must be: the response cache keeps answers byte for byte).
import { makeExecutableSchema } from "@graphql-tools/schema";
import { parse } from "graphql";
import { compileQuery, isCompiledQuery } from "graphql-jit";
import { resolvers } from "../src/resolvers/index.js";
import { typeDefs } from "../src/schema/index.js";

const schema = makeExecutableSchema({ typeDefs, resolvers });
const LIST =
  "query($f: VoiceFilter){ voices(filter:$f, first:20){ nodes{ id voiceId name languages dialects gender createdAt } pageInfo{hasNextPage endCursor} } }";
const ONE = "query($v:String){ voice(voiceId:$v){ id voiceId name } }";

const voice = (i: number) => ({
  id: `0b6f3c1e-5d2a-4c8e-9f7a-${String(100000000000 + i)}`,
  voiceId: `v_${(1e6 + i).toString(36)}`,
  name: `Layla Warm ${i}`,
  languages: ["ar", "en"],
  dialects: ["najdi"],
  gender: "female",
  createdAt: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
});
const answers = {
  "W1/W2 (20 voices)": {
    query: LIST,
    result: {
      data: {
        voices: {
          nodes: Array.from({ length: 20 }, (_, i) => voice(i)),
          pageInfo: {
            hasNextPage: true,
            endCursor:
              "eyJzIjoiTkVXRVNUIiwiZiI6ImFiY2RlZmdoaWprbG1ub3AiLCJrIjpbIjIwMjYtMTEtMDFUMDA6MDA6MTkuMDAwWiIsIjBiNmYzYzFlIl19",
          },
        },
      },
    },
  },
  "W3 (one voice)": {
    query: ONE,
    result: { data: { voice: { id: voice(1).id, voiceId: voice(1).voiceId, name: voice(1).name } } },
  },
};

const ROUNDS = 5;
const N = 50_000;
function time(fn: () => string): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn();
  return Number(process.hrtime.bigint() - started) / N / 1000;
}

for (const [name, { query, result }] of Object.entries(answers)) {
  const compiled = compileQuery(schema, parse(query), undefined, { customJSONSerializer: true });
  if (!isCompiledQuery(compiled)) {
    console.log(`${name}: graphql-jit cannot compile a serialiser: ${compiled.errors?.map((error) => error.message).join("; ")}`);
    continue;
  }
  const same = compiled.stringify(result) === JSON.stringify(result);
  const plain: number[] = [];
  const fast: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(time(() => JSON.stringify(result)));
    fast.push(time(() => compiled.stringify(result)));
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!.toFixed(2);
  console.log(`${name}: JSON.stringify ${median(plain)} µs, graphql-jit stringify ${median(fast)} µs, same bytes: ${same}`);
}
