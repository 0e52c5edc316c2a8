// Executes operations with graphql-jit instead of graphql-js, behind Apollo
// Server's documented executor seam (the `gateway` option, whose `load()`
// returns `{ executor }`; apollographql/apollo-server#7981). Apollo still
// parses, validates (armor rules included), runs every plugin hook and formats
// the errors; only execution changes. graphql-jit compiles each operation to
// a JavaScript function once, so the per-field work graphql-js repeats on
// every request (resolving field definitions, checking types, building paths)
// is paid once per document. Measured in BENCHMARKS.md ("graphql-jit").
//
// Compiled operations are kept per parsed document: Apollo's document store
// hands back the same DocumentNode for a query it has seen, so a repeated
// query is compiled once, and a document Apollo evicts is released with it.
import type { ApolloServerOptionsWithGateway } from "@apollo/server";
import {
  type DocumentNode,
  type ExecutionResult,
  getVariableValues,
  GraphQLError,
  type GraphQLSchema,
  printSchema,
} from "graphql";
import { type CompiledQuery, compileQuery, isCompiledQuery } from "graphql-jit";
import type { GatewayContext } from "../context.js";

type GatewayInterface = ApolloServerOptionsWithGateway<GatewayContext>["gateway"];

export function jitExecutor(schema: GraphQLSchema): GatewayInterface {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | ExecutionResult>>();

  function compiledFor(document: DocumentNode, operationName: string | null): CompiledQuery | ExecutionResult {
    let byOperation = compiled.get(document);
    if (!byOperation) compiled.set(document, (byOperation = new Map<string, CompiledQuery | ExecutionResult>()));
    const key = operationName ?? "";
    let entry = byOperation.get(key);
    if (!entry) {
      entry = compileQuery(schema, document, operationName ?? undefined);
      byOperation.set(key, entry);
    }
    return entry;
  }

  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    load() {
      return Promise.resolve({
        async executor({ document, operation, operationName, request, context }) {
          // Variables are checked by graphql-js first, so a bad variable fails with graphql-js's own
          // errors, which Apollo recognises and answers as BAD_USER_INPUT (HTTP 400). graphql-jit then
          // coerces the raw values itself: coercing twice would hand the Upload scalar its own output.
          const raw = request.variables ?? {};
          const checked = getVariableValues(schema, operation.variableDefinitions ?? [], raw, { maxErrors: 50 });
          if (checked.errors) return { errors: checked.errors };
          const query = compiledFor(document, operationName);
          // A document graphql-jit cannot compile answers with the compiler's errors, as graphql-js would.
          if (!isCompiledQuery(query)) return query;
          const result = await query.query(undefined, context, raw);
          return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
        },
      });
    },
    async stop() {},
  };
}

/**
 * graphql-jit's errors have a read-only `message`; Apollo's plugins (armor's
 * suggestion blocking, the request report's masking) rewrite messages, so
 * each error is re-made as graphql-js's own, keeping path, locations,
 * extensions and the original error (which the error codes come from).
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
}
