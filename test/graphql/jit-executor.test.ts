// graphql-jit behind Apollo's executor seam, without HTTP: a document is
// compiled once and then reused, bad variables fail with graphql-js's own
// errors (which Apollo answers as BAD_USER_INPUT), and resolver errors come
// back as graphql-js errors that plugins may rewrite, with their cause kept.
import { makeExecutableSchema } from "@graphql-tools/schema";
import { type DocumentNode, GraphQLError, Kind, type OperationDefinitionNode, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors.js";
import { jitExecutor } from "../../src/graphql/jit-executor.js";

let resolved = 0;
const schema = makeExecutableSchema({
  typeDefs: /* GraphQL */ `
    type Query {
      greet(name: String!, times: Int = 1): String!
      broken: String
      list(first: Int!): [Int!]!
    }
  `,
  resolvers: {
    Query: {
      greet: (_: unknown, args: { name: string; times: number }) => {
        resolved += 1;
        return `hello ${args.name}`.repeat(args.times);
      },
      broken: () => {
        throw new GatewayError("BAD_USER_INPUT", "no such thing");
      },
      list: (_: unknown, { first }: { first: number }) => Array.from({ length: first }, (_v, index) => index),
    },
  },
});

async function executorOf() {
  const gateway = jitExecutor(schema);
  let apiSchema: unknown;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: loaded }) => (apiSchema = loaded));
  const { executor } = await gateway.load({ apollo: {} });
  expect(apiSchema).toBe(schema);
  return (document: DocumentNode, variables: Record<string, unknown> = {}) =>
    executor!({
      document,
      operation: document.definitions[0] as OperationDefinitionNode,
      operationName: null,
      request: { variables },
      context: {},
    } as never);
}

describe("jitExecutor", () => {
  it("runs a document, and the same document again with other variables", async () => {
    const execute = await executorOf();
    const document = parse("query ($name: String!, $times: Int) { greet(name: $name, times: $times) list(first: 3) }");
    expect(await execute(document, { name: "Layla" })).toEqual({ data: { greet: "hello Layla", list: [0, 1, 2] } });
    expect(await execute(document, { name: "Omar", times: 2 })).toEqual({
      data: { greet: "hello Omarhello Omar", list: [0, 1, 2] },
    });
    // Parsed anew, an equal text is another document: still right.
    expect(await execute(parse('{ greet(name: "Nour") }'))).toEqual({ data: { greet: "hello Nour" } });
  });

  it("refuses bad variables with graphql-js's errors, before any resolver runs", async () => {
    const execute = await executorOf();
    const document = parse("query ($name: String!, $times: Int) { greet(name: $name, times: $times) }");
    const before = resolved;
    const result = await execute(document, { times: "ten" });
    expect(result.data).toBeUndefined();
    expect(result.errors?.map((error) => error.message)).toEqual([
      'Variable "$name" of required type "String!" was not provided.',
      'Variable "$times" got invalid value "ten"; Int cannot represent non-integer value: "ten"',
    ]);
    // What Apollo checks to answer BAD_USER_INPUT: one node, the variable's definition.
    expect(result.errors?.every((error) => error.nodes?.length === 1 && error.nodes[0]!.kind === Kind.VARIABLE_DEFINITION)).toBe(
      true,
    );
    expect(resolved).toBe(before);
  });

  it("returns resolver errors as graphql-js errors with a rewritable message and the original error", async () => {
    const execute = await executorOf();
    const result = await execute(parse('{ broken greet(name: "x") }'));
    expect(result.data).toEqual({ broken: null, greet: "hello x" });
    const [error] = result.errors ?? [];
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error!.path).toEqual(["broken"]);
    expect(error!.originalError).toBeInstanceOf(GatewayError);
    (error as { message: string }).message = "masked";
    expect(error!.message).toBe("masked");
  });
});
