// Builds the HTTP application from a container: Express with the GraphQL
// endpoint, health probes and upload handling. It never listens; main.ts
// (or a test) decides where.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from "@apollo/server/plugin/landingPage/default";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type Request, type Response } from "express";
import { unwrapResolverError } from "@apollo/server/errors";
import type { Container } from "./container.js";
import type { GatewayContext } from "./context.js";
import { GatewayError, isErrorCode } from "./errors.js";
import { graphqlUploads } from "./http/graphql-uploads.js";
import { resolvers } from "./resolvers/index.js";
import { typeDefs } from "./schema/index.js";

export interface Gateway {
  readonly httpServer: http.Server;
  readonly app: express.Express;
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Refuses new work, drains in-flight requests (up to the grace period), closes everything. */
  stop(): Promise<void>;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export async function createGateway(container: Container): Promise<Gateway> {
  const { config, logger } = container;
  const app = express();
  const httpServer = http.createServer(app);
  let stopping = false;

  app.disable("x-powered-by");
  app.set("trust proxy", false);

  // Request id: honour a sane incoming one so logs join up across services.
  app.use((req, res, next) => {
    const incoming = req.header("x-request-id");
    res.locals.requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", res.locals.requestId as string);
    const started = performance.now();
    res.once("finish", () => {
      logger.info(
        {
          requestId: res.locals.requestId,
          method: req.method,
          path: req.originalUrl.split("?")[0],
          status: res.statusCode,
          operation: res.locals.operationName,
          durationMs: Math.round(performance.now() - started),
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
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, "readiness check failed");
      res.status(503).json({ status: "unavailable", reason: "database unreachable" });
    }
  });

  const apollo = new ApolloServer<GatewayContext>({
    typeDefs,
    resolvers,
    introspection: config.introspection,
    csrfPrevention: true,
    // main.ts owns the signals: Apollo's own handlers would re-raise SIGTERM
    // and kill the process before the database is closed.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => {
      const original = unwrapResolverError(error);
      if (original instanceof GatewayError) return formatted;
      const code = formatted.extensions?.code;
      if (isErrorCode(code) && code !== "INTERNAL_SERVER_ERROR") return formatted;
      // Anything unexpected is logged by the plugin below and masked here,
      // so internals (SQL, stack traces, hostnames) never reach clients.
      return { message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } };
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceMs }),
      config.env === "production"
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({
            footer: false,
            includeCookies: false,
            // Multipart requests need this header (CSRF prevention); Sandbox
            // users would otherwise have to discover it themselves.
            embed: { initialState: { sharedHeaders: { "Apollo-Require-Preflight": "true" } } },
          }),
      errorLoggingPlugin(),
    ],
  });
  await apollo.start();

  app.use(
    "/graphql",
    (_req, res, next) => {
      if (stopping) {
        res.setHeader("Connection", "close");
        res.status(503).json({ errors: [{ message: "The gateway is shutting down.", extensions: { code: "SERVICE_UNAVAILABLE" } }] });
        return;
      }
      next();
    },
    express.json({ limit: "1mb" }),
    graphqlUploads({ maxFileBytes: config.uploads.maxBytes, maxFiles: 2 }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => contextFor(container, req, res),
    }),
  );

  return {
    httpServer,
    app,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, host, () => {
          httpServer.off("error", reject);
          resolve(httpServer.address() as AddressInfo);
        });
      });
    },
    async stop() {
      stopping = true;
      await apollo.stop(); // closes the listener and drains in-flight requests
      await container.close();
    },
  };
}

function contextFor(container: Container, req: Request, res: Response): GatewayContext {
  const controller = new AbortController();
  // 'close' before the response finished means the client went away.
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new Error("client disconnected"));
  });
  const requestId = res.locals.requestId as string;
  if (typeof req.body?.operationName === "string") res.locals.operationName = req.body.operationName;
  return {
    requestId,
    logger: container.logger.child({ requestId }),
    signal: controller.signal,
    idempotencyKey: req.header("idempotency-key"),
    services: { catalog: container.catalog, cloning: container.cloning, attempts: container.attempts },
  };
}

function errorLoggingPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            if (original instanceof GatewayError) {
              contextValue.logger.info({ code: original.code, path: error.path }, original.message);
            } else if (!error.extensions?.code || error.extensions.code === "INTERNAL_SERVER_ERROR") {
              contextValue.logger.error({ err: original, path: error.path }, "unexpected error");
            }
          }
        },
      };
    },
  };
}
