// The Apollo server: schema, operation limits, error normalizing and the
// plugins, each in its own file. Started here; routed by http/graphql-route.ts.
import http from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import { makeExecutableSchema } from "@graphql-tools/schema";
import type { Container } from "../container.js";
import type { GatewayContext } from "../context.js";
import { resolvers } from "../resolvers/index.js";
import { typeDefs } from "../schema/index.js";
import { jitExecutor } from "./jit-executor.js";
import { normalizeError } from "./normalize-error.js";
import { enforceScopes } from "./scopes.js";
import { SupportedOperationTypesRule } from "./supported-operations.js";
import { ApolloPluginCostLimit } from "./plugins/cost-limit.js";
import { ApolloPluginHttpStatus } from "./plugins/http-status.js";
import { ApolloPluginRequestReport } from "./plugins/request-report.js";
import { ApolloPluginResponseCachePolicy } from "./plugins/response-cache-policy.js";
import { ApolloPluginStorableInput } from "./plugins/storable-input.js";

export async function startApolloServer(container: Container, httpServer: http.Server): Promise<ApolloServer<GatewayContext>> {
  const { config, metrics } = container;
  const production = config.env === "production";

  // Operation limits, checked before execution; defaults sit far above what
  // real client queries (and Sandbox's introspection) need.
  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.depth, ignoreIntrospection: true },
    maxAliases: { n: config.limits.aliases },
    maxDirectives: { n: config.limits.directives },
    // graphql-js's parser counts tokens itself (`parseOptions` below), so going over is a parse
    // failure (400). Armor's counter parsed in a plugin hook, where any throw, a plain syntax error
    // included, became Apollo's unexpected-error path (500).
    maxTokens: { enabled: false },
    // Cost is ours (plugins/cost-limit.ts): armor's counts each field once, whatever the list sizes.
    costLimit: { enabled: false },
    // Suggestions are removed from every message in one place, normalize-error.ts: armor's rule
    // missed those of enum values and of variables.
    blockFieldSuggestion: { enabled: false },
  }).protect();

  // Loaded only with FEDERATION=true: @apollo/subgraph and its federation internals take about
  // 0.4 s and 6 MB of heap to load, which the default single process does without.
  const subgraph = config.federation ? await import("./subgraph.js") : undefined;

  const apollo = new ApolloServer<GatewayContext>({
    // graphql-jit runs the operations; Apollo does everything around them (jit-executor.ts). Each
    // root field checks its client key scope as it resolves (scopes.ts). FEDERATION=true serves the
    // same schema as a Federation 2 subgraph (subgraph.ts).
    gateway: jitExecutor(subgraph ? subgraph.subgraphSchema() : enforceScopes(makeExecutableSchema({ typeDefs, resolvers })), {
      operationSpans: config.tracing !== undefined,
    }),
    introspection: config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // main.ts owns the signals: Apollo's own handlers would re-raise SIGTERM
    // and kill the process before the database is closed.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    validationRules: [
      ...armor.validationRules,
      SupportedOperationTypesRule,
      ...(subgraph && !config.introspection ? [subgraph.ServiceSdlFollowsIntrospectionRule] : []),
    ],
    parseOptions: { maxLexicalTokens: config.limits.tokens },
    // The request id is not known here: request-report.ts adds it to masked errors.
    formatError: (formatted, error) =>
      normalizeError(error, { formatted, introspection: config.introspection, production }).formatted,
    // Compact JSON: Apollo's default pretty-prints every response (two-space
    // indent), which costs CPU and bytes on each catalog read; clients and
    // Sandbox format it themselves (BENCHMARKS.md, "Catalog reads").
    stringifyResult: (result) => JSON.stringify(result),
    plugins: [
      // graphql-armor ships CommonJS typings of the same Apollo Server interfaces.
      ...(armor.plugins as unknown as ApolloServerPlugin<GatewayContext>[]),
      // Apollo installs its cache-control plugin unless told not to. Its per-field hook makes Apollo
      // wrap every resolver of the schema, which cost about 3% of a catalog read's CPU, for hints
      // this schema never declares (@cacheControl); the one header it set, `no-store`, is set by
      // plugins/http-status.ts.
      ApolloServerPluginCacheControlDisabled(),
      // Apollo turns on federated inline tracing for a subgraph schema (FEDERATION=true): a request
      // with `apollo-federation-include-trace: ftv1` would make it wrap every resolver of the schema
      // for good, as above, and answer per-field timings, for GraphOS reporting this gateway does not do.
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceMs }),
      // Sandbox needs introspection: off in production unless GRAPHQL_INTROSPECTION=true.
      !config.introspection
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({
            footer: false,
            includeCookies: false,
            // Multipart requests need this header (CSRF prevention); Sandbox
            // users would otherwise have to discover it themselves.
            embed: { initialState: { sharedHeaders: { "Apollo-Require-Preflight": "true" } } },
          }),
      ApolloPluginStorableInput(),
      ApolloPluginCostLimit({ maxCost: config.limits.cost }),
      ApolloPluginRequestReport({ metrics }),
      ApolloPluginHttpStatus(),
      ...(config.responseCache.enabled ? [ApolloPluginResponseCachePolicy()] : []),
    ],
  });
  await apollo.start();
  return apollo;
}
