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
import { inSpan, markFailed } from "../observability/spans.js";

type GatewayInterface = ApolloServerOptionsWithGateway<GatewayContext>["gateway"];
type Executor = NonNullable<Awaited<ReturnType<GatewayInterface["load"]>>["executor"]>;

export interface JitExecutorOptions {
  /**
   * One span per operation, named by its type and name (`mutation CloneVoice`), the parent of
   * its SQL and Faseeh calls: graphql-jit never calls graphql-js's `execute`,
   * which OpenTelemetry's GraphQL instrumentation would wrap. On when traces are.
   */
  operationSpans?: boolean;
}

export function jitExecutor(schema: GraphQLSchema, options: JitExecutorOptions = {}): GatewayInterface {
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
      const executor: Executor = async ({ document, operation, operationName, request, context }) => {
        // Apollo found no operation by this name (or none unnamed): it asks execution for graphql-js's
        // refusal (OPERATION_RESOLUTION_FAILURE). graphql-jit would run the document's only operation
        // instead, past every check made on the resolved one (GET's queries only, the cost limit).
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- undefined at run time despite Apollo's type
        if (!operation) return { errors: [unresolvedOperation(operationName)] };
        const raw = request.variables ?? {};
        const query = compiledFor(document, operationName);
        // A document graphql-jit cannot compile answers with the compiler's errors, as graphql-js would.
        if (!isCompiledQuery(query)) return { ...query, errors: query.errors?.map(asGraphQLError) };
        const result = await query.query(undefined, context, raw);
        // graphql-jit answers without `data` only when it refused the variables. Its messages differ
        // from graphql-js's, which Apollo recognises and answers as BAD_USER_INPUT (HTTP 400), so
        // the refusal is worded by graphql-js. Only on this path: a valid request coerces its
        // variables once (twice would also hand the Upload scalar its own output).
        if (result.data === undefined && result.errors) {
          const checked = getVariableValues(schema, operation.variableDefinitions ?? [], raw, { maxErrors: 50 });
          if (checked.errors) return { errors: checked.errors };
        }
        return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
      };
      return Promise.resolve({ executor: options.operationSpans ? withOperationSpan(executor) : executor });
    },
    async stop() {},
  };
}

/** Runs each operation inside its span: `<type> <name>`, its errors counted, failed when it has any. */
function withOperationSpan(executor: Executor): Executor {
  return (request) => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- undefined at run time despite Apollo's type
    if (!request.operation) return executor(request);
    const type = request.operation.operation;
    const name = request.operation.name?.value;
    const attributes = { "graphql.operation.type": type, ...(name !== undefined && { "graphql.operation.name": name }) };
    return inSpan(name === undefined ? type : `${type} ${name}`, { attributes }, async (span) => {
      const result = await executor(request);
      // An incremental answer (never made here: no @defer) carries no errors yet.
      const errors = "errors" in result ? result.errors : undefined;
      if (errors?.length) {
        span.setAttribute("graphql.error_count", errors.length);
        markFailed(span, "GraphQL errors");
      }
      return result;
    });
  };
}

/** graphql-js's words when `operationName` names no operation of the document. */
const unresolvedOperation = (operationName: string | null): GraphQLError =>
  new GraphQLError(
    operationName
      ? `Unknown operation named "${operationName}".`
      : "Must provide operation name if query contains multiple operations.",
  );

/**
 * graphql-jit's errors have a read-only `message`; Apollo's plugins (armor's
 * suggestion blocking, the request report's masking) rewrite messages, so
 * each error is re-made as graphql-js's own, keeping path, locations,
 * extensions and the original error (which the error codes come from).
 */
function asGraphQLError(error: GraphQLError | Error): GraphQLError {
  if (!(error instanceof GraphQLError)) return new GraphQLError(error.message, { originalError: error });
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
}
