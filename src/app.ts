// Builds the HTTP application from a container: Express with the GraphQL
// endpoint, health probes, metrics, upload handling, authentication and the
// cheap refusals (CORS, body size, operation limits). It never listens;
// main.ts (or a test) decides where.
import { randomUUID, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import cors from "cors";
import express, { type Request, type Response } from "express";
import type { Container } from "./container.js";
import type { GatewayContext, RequestReport } from "./context.js";
import { coercionField, errorMessage, GatewayError, isErrorCode } from "./errors.js";
import { sendGraphQLError } from "./http/graphql-error-response.js";
import { graphqlUploads } from "./http/graphql-uploads.js";
import { resolvers } from "./resolvers/index.js";
import { canWrite } from "./services/api-key-service.js";
import { typeDefs } from "./schema/index.js";

export interface Gateway {
  readonly httpServer: http.Server;
  readonly app: express.Express;
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Refuses new work, drains in-flight requests (up to the grace period), closes everything. */
  stop(): Promise<void>;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Thrown when the configuration would leave a production gateway open to anyone. */
export class UnsafeStartError extends Error {
  override name = "UnsafeStartError";
}

export async function createGateway(container: Container): Promise<Gateway> {
  const { config, logger, metrics } = container;
  const production = config.env === "production";

  // Who may call: decided before serving anything.
  const openAtBoot = !(await container.apiKeys.hasActiveKeys());
  if (openAtBoot && production && !config.auth.allowAnonymous) {
    throw new UnsafeStartError(
      "NODE_ENV=production and no client API key exists, so anyone could clone on this gateway's Faseeh key. " +
        "Create one with `npm run keys -- create --name <tool> --scope admin` (in the container image: " +
        "`node dist/cli/keys.js create --name <tool> --scope admin`), or set ALLOW_ANONYMOUS=true on purpose.",
    );
  }

  const app = express();
  const httpServer = http.createServer(app);
  let stopping = false;

  app.disable("x-powered-by");
  app.set("trust proxy", false);

  // Request id and the one log line per request, written when it finishes.
  app.use((req, res, next) => {
    const incoming = req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const report: RequestReport = { requestId, errorCodes: [] };
    res.locals.report = report;
    res.setHeader("x-request-id", requestId);
    const started = performance.now();
    res.once("close", () => {
      const seconds = (performance.now() - started) / 1000;
      const route = req.route?.path ?? (req.originalUrl.startsWith("/graphql") ? "/graphql" : "other");
      metrics.httpRequestDuration.observe({ method: req.method, route: String(route), status: String(res.statusCode) }, seconds);
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.originalUrl.split("?")[0],
          status: res.statusCode,
          operation: report.operationName,
          client: report.clientName,
          outcome: report.errorCodes.length ? report.errorCodes.join(",") : res.statusCode < 400 ? "ok" : "error",
          durationMs: Math.round(seconds * 1000),
          ...(!res.writableFinished && { aborted: true }),
        },
        "request",
      );
    });
    next();
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    if (stopping) {
      res.status(503).json({ status: "stopping" });
      return;
    }
    try {
      await container.db.ping(2_000);
      res.json({ status: "ready", database: container.db.kind });
    } catch (error) {
      logger.warn({ err: errorMessage(error) }, "readiness check failed");
      res.status(503).json({ status: "unavailable", reason: "database unreachable" });
    }
  });
  // Metrics describe traffic and errors: a scraper with METRICS_TOKEN only.
  // Without a token they are open outside production, and not served in it.
  const metricsToken = config.metricsToken ? Buffer.from(`Bearer ${config.metricsToken}`) : undefined;
  if (production && !metricsToken) logger.info("/metrics is not served: set METRICS_TOKEN to let Prometheus scrape it");
  app.get("/metrics", async (req, res) => {
    if (metricsToken) {
      const given = Buffer.from(req.header("authorization") ?? "");
      if (given.length !== metricsToken.length || !timingSafeEqual(given, metricsToken)) {
        res.status(401).set("www-authenticate", "Bearer").json({ error: "/metrics needs `Authorization: Bearer <METRICS_TOKEN>`." });
        return;
      }
    } else if (production) {
      res.status(404).json({ error: "/metrics is not served: set METRICS_TOKEN on the gateway." });
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // Operation limits, checked before execution; defaults sit far above what
  // real client queries (and Sandbox's introspection) need.
  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.depth, ignoreIntrospection: true },
    maxAliases: { n: config.limits.aliases },
    maxTokens: { n: config.limits.tokens },
    maxDirectives: { n: config.limits.directives },
    costLimit: { maxCost: config.limits.cost, ignoreIntrospection: true },
    // "Did you mean ...?" hints map the schema for an attacker; off in production.
    blockFieldSuggestion: { enabled: production },
  }).protect();

  const apollo = new ApolloServer<GatewayContext>({
    typeDefs,
    resolvers,
    introspection: config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // main.ts owns the signals: Apollo's own handlers would re-raise SIGTERM
    // and kill the process before the database is closed.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    validationRules: armor.validationRules,
    formatError: (formatted, error) => {
      const original = unwrapResolverError(error);
      if (original instanceof GatewayError) return formatted;
      const code = formatted.extensions?.code;
      if (code === "GRAPHQL_VALIDATION_FAILED" && /introspection/i.test(formatted.message) && !config.introspection) {
        // Apollo's text tells the server's author to pass an option; an operator sets a variable.
        return { ...formatted, message: "Introspection is disabled in production. Set GRAPHQL_INTROSPECTION=true on the gateway to allow it." };
      }
      if (code === "BAD_USER_INPUT" && formatted.extensions?.field === undefined) {
        // Variables that fail to coerce (a null Upload!, a map path to no field) name their path too.
        const field = coercionField(formatted.message);
        if (field) return { ...formatted, extensions: { ...formatted.extensions, field } };
      }
      if (isErrorCode(code) && code !== "INTERNAL_SERVER_ERROR") return formatted;
      // Anything unexpected is logged with the request id by the reporting
      // plugin and masked here, so internals never reach clients.
      return { message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } };
    },
    plugins: [
      // graphql-armor ships CommonJS typings of the same Apollo Server interfaces.
      ...(armor.plugins as unknown as ApolloServerPlugin<GatewayContext>[]),
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
      authorizationPlugin(),
      reportingPlugin(container),
    ],
  });
  await apollo.start();

  app.use(
    "/graphql",
    cors({
      origin: config.corsOrigins.length ? [...config.corsOrigins] : false,
      allowedHeaders: ["content-type", "authorization", "apollo-require-preflight", "x-apollo-operation-name", "idempotency-key", "x-request-id"],
      exposedHeaders: ["x-request-id"],
      maxAge: 600,
    }),
    (_req, res, next) => {
      if (stopping) {
        sendGraphQLError(res, 503, "SERVICE_UNAVAILABLE", "The gateway is shutting down.", { closeConnection: true });
        return;
      }
      next();
    },
    express.json({ limit: config.limits.jsonBodyBytes }),
    graphqlUploads({ maxFileBytes: config.uploads.maxBytes, maxFiles: 2 }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => contextFor(container, req, res),
    }),
  );

  // Body-parser refusals (too large, malformed JSON) answer in GraphQL's shape too.
  app.use((error: unknown, _req: Request, res: Response, next: (error?: unknown) => void) => {
    const status = (error as { status?: unknown }).status;
    if (res.headersSent || typeof status !== "number" || status < 400 || status >= 500) return next(error);
    if (status === 413) {
      sendGraphQLError(res, 413, "PAYLOAD_TOO_LARGE", `The request body exceeds the ${config.limits.jsonBodyBytes}-byte limit.`);
    } else {
      sendGraphQLError(res, status, "BAD_REQUEST", "The request body is not valid JSON.");
    }
  });

  return {
    httpServer,
    app,
    async listen(port, host) {
      // An open gateway (no client key yet) serves this machine only, unless
      // told otherwise: anyone on the network could spend the Faseeh wallet.
      const bind = host ?? config.host ?? (openAtBoot && !config.auth.allowAnonymous ? "127.0.0.1" : undefined);
      const address = await new Promise<AddressInfo>((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, bind, () => {
          httpServer.off("error", reject);
          resolve(httpServer.address() as AddressInfo);
        });
      });
      if (openAtBoot) {
        const reach =
          bind === undefined
            ? "on every interface (ALLOW_ANONYMOUS=true), so anyone who can reach this host"
            : host === undefined && config.host === undefined
              ? "on 127.0.0.1 only (set HOST, or ALLOW_ANONYMOUS=true, to serve the network), so anyone on this machine"
              : `on ${bind} (HOST), so anyone who can reach that address`;
        logger.warn(
          { host: bind ?? "all interfaces" },
          `no client API key exists: the gateway is OPEN to any caller. It listens ${reach} may clone on its Faseeh key. ` +
            "Create an admin key (mutation createApiKey, or `npm run keys -- create --name <tool> --scope admin`): from then on " +
            "every request needs a key, without a restart.",
        );
      }
      return address;
    },
    async stop() {
      stopping = true;
      // Clones first: those Faseeh has in full get the clone budget to finish
      // (their clients still get their answers), the others are aborted. Only
      // then are the remaining requests drained and connections closed.
      const clones = await container.cloning.shutdown(config.shutdownCloneGraceMs);
      if (clones.aborted || clones.finished || clones.abandoned) logger.info(clones, "shutdown: clones settled");
      await apollo.stop(); // closes the listener and drains in-flight requests
      await container.close();
    },
  };
}

async function contextFor(container: Container, req: Request, res: Response): Promise<GatewayContext> {
  const report = res.locals.report as RequestReport;
  const controller = new AbortController();
  // 'close' before the response finished means the client went away.
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new Error("client disconnected"));
  });
  // Throws UNAUTHENTICATED (HTTP 401) for a missing or bad key when one is needed.
  const principal = await container.apiKeys.authenticate(req.header("authorization")).catch((error: unknown) => {
    throw contextFailure(container, report, error);
  });
  report.clientName = principal.kind === "key" ? principal.name : "anonymous";
  return {
    requestId: report.requestId,
    logger: container.logger.child({ requestId: report.requestId }),
    signal: controller.signal,
    idempotencyKey: req.header("idempotency-key"),
    principal,
    report,
    services: { catalog: container.catalog, cloning: container.cloning, attempts: container.attempts, apiKeys: container.apiKeys },
  };
}

/**
 * An error while building the context never reaches Apollo's plugins, so it
 * is counted, logged and given its HTTP status here: 401 for a bad key, 503
 * while the database is out of reach, and a masked 500 (with the request id,
 * and the real error in the log) for anything else.
 */
function contextFailure(container: Container, report: RequestReport, error: unknown): GatewayError {
  let failure: GatewayError;
  if (error instanceof GatewayError) {
    failure = error;
  } else {
    container.logger.error({ err: error, requestId: report.requestId }, "unexpected error");
    failure = new GatewayError("INTERNAL_SERVER_ERROR", `Internal server error (request id ${report.requestId}).`, {
      requestId: report.requestId,
    });
  }
  const status = { UNAUTHENTICATED: 401, DATABASE_UNAVAILABLE: 503, INTERNAL_SERVER_ERROR: 500 }[failure.code as string];
  if (status && !failure.extensions.http) failure.extensions.http = { status };
  report.errorCodes.push(failure.code);
  container.metrics.errors.inc({ code: failure.code });
  return failure;
}

/** `read` keys may query; mutations (cloning spends the wallet) need `write` or `admin`. */
function authorizationPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (operation?.operation === "mutation" && !canWrite(contextValue.principal.scope)) {
            throw new GatewayError("FORBIDDEN", "This client API key has the `read` scope; cloning needs a `write` key.", {
              http: { status: 403 },
            });
          }
        },
      };
    },
  };
}

/**
 * Fills the request's log line (operation, error codes), counts operations
 * and errors, logs unexpected errors with the request id, and tells clients
 * that id in masked errors so support can find the log line.
 */
function reportingPlugin(container: Container): ApolloServerPlugin<GatewayContext> {
  const { metrics } = container;
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async didResolveOperation({ operationName, operation }) {
          contextValue.report.operationName = operationName ?? "anonymous";
          contextValue.report.operationType = operation?.operation;
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            if (original instanceof GatewayError) {
              contextValue.logger.info({ code: original.code, path: error.path }, original.message);
            } else if (!isErrorCode(error.extensions?.code) || error.extensions.code === "INTERNAL_SERVER_ERROR") {
              contextValue.logger.error({ err: original, path: error.path }, "unexpected error");
            }
          }
        },
        async willSendResponse({ response }) {
          const { report } = contextValue;
          if (response.body.kind === "single") {
            for (const error of response.body.singleResult.errors ?? []) {
              if (error.extensions?.code === "INTERNAL_SERVER_ERROR") {
                error.extensions.requestId = report.requestId;
                (error as { message: string }).message = `Internal server error (request id ${report.requestId}).`;
              }
              const code = String(error.extensions?.code ?? "INTERNAL_SERVER_ERROR");
              report.errorCodes.push(code);
              metrics.errors.inc({ code });
            }
          }
          metrics.operationDuration.observe(
            { operation: report.operationName ?? "unknown", type: report.operationType ?? "unknown" },
            (performance.now() - started) / 1000,
          );
        },
      };
    },
  };
}
