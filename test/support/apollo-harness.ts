// Runs Apollo plugins the way Apollo's own plugin tests run them: a real
// ApolloServer, one operation through `executeOperation` (the whole request
// pipeline: parsing, validation, operation resolution, execution, each hook
// in its order), without HTTP. A plugin sees only what a real server hands
// it; a document a real server refuses first never reaches its later hooks.
// The schema is small, with fields that fail on demand: `failing(code)`
// throws a GraphQL error with that code, `broken` throws a plain Error.
import { ApolloServer, type ApolloServerOptions, type ApolloServerPlugin, type GraphQLResponse } from "@apollo/server";
import { makeExecutableSchema } from "@graphql-tools/schema";
import { GraphQLError } from "graphql";
import type { GatewayContext } from "../../src/context.js";

const schema = makeExecutableSchema({
  typeDefs: "type Query { voices: Int, failing(code: String!): Int, broken: Int }",
  resolvers: {
    Query: {
      voices: () => 0,
      failing: (_: unknown, { code }: { code: string }) => {
        throw new GraphQLError(`failing with ${code}`, { extensions: { code } });
      },
      broken: () => {
        throw new Error("boom: something inside broke");
      },
    },
  },
});

export interface PluginRun {
  plugins: ApolloServerPlugin<GatewayContext>[];
  /** The server's formatError, when what the plugin does depends on it (src/graphql/normalize-error.ts). */
  formatError?: ApolloServerOptions<GatewayContext>["formatError"];
  /** What the plugins read of the request's context; the HTTP layer builds the rest (src/http/graphql-context.ts). */
  contextValue?: Partial<GatewayContext>;
}

/** One request through a fresh server with `plugins`; the response as Apollo would write it (`http.status` included). */
export async function executeWithPlugins(
  { plugins, formatError, contextValue = {} }: PluginRun,
  request: { query: string; variables?: Record<string, unknown>; operationName?: string },
): Promise<GraphQLResponse> {
  const server = new ApolloServer<GatewayContext>({ schema, plugins, formatError, includeStacktraceInErrorResponses: false });
  await server.start();
  try {
    return await server.executeOperation(request, { contextValue: contextValue as GatewayContext });
  } finally {
    await server.stop();
  }
}
