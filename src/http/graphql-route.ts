// POST /graphql (and Sandbox on GET outside production): CORS for the
// allowed browser origins, the shutdown gate, JSON and multipart bodies, the
// response cache when enabled, then Apollo with the per-request context.
import { type ApolloServer } from "@apollo/server";
import cors from "cors";
import type { Container } from "../container.js";
import type { GatewayContext } from "../context.js";
import { apolloHandler } from "./apollo-handler.js";
import { contextMaker } from "./graphql-context.js";
import { sendGraphQLError } from "./graphql-error-response.js";
import { graphqlUploads, MAX_FILES_PER_REQUEST } from "./graphql-uploads.js";
import type { HttpApp, Middleware } from "./http-app.js";
import { jsonBody } from "./json-body.js";
import { ResponseCache } from "./response-cache.js";
import type { ServingState } from "./serving-state.js";

export function installGraphQLRoute(
  app: HttpApp,
  container: Container,
  apollo: ApolloServer<GatewayContext>,
  state: ServingState,
): void {
  const { config } = container;
  const cache = config.responseCache.enabled
    ? new ResponseCache({ ...container, maxBytes: config.responseCache.maxBytes })
    : undefined;
  app.use(
    "/graphql",
    ...browserOrigins(config.corsOrigins),
    (_req, res, next) => {
      if (state.stopping) {
        sendGraphQLError(res, "SERVICE_UNAVAILABLE", "The gateway is shutting down.", { closeConnection: true });
        return;
      }
      next();
    },
    jsonBody({ limit: config.limits.jsonBodyBytes }),
    graphqlUploads({ maxFileBytes: config.uploads.maxBytes, maxFiles: MAX_FILES_PER_REQUEST }),
    ...(cache ? [cache.serve()] : []),
    apolloHandler(apollo, { context: contextMaker(container), onResponse: cache?.store }),
  );
}

/**
 * CORS for the allowed browser origins, applied only where it can matter: a
 * request that carries `Origin`, or a preflight. Without CORS_ORIGINS nothing
 * is installed, as `cors` itself would do nothing.
 */
function browserOrigins(origins: readonly string[]): Middleware[] {
  if (!origins.length) return [];
  const handler = cors({
    origin: [...origins],
    allowedHeaders: [
      "content-type",
      "authorization",
      "apollo-require-preflight",
      "x-apollo-operation-name",
      "idempotency-key",
      "x-request-id",
    ],
    exposedHeaders: ["x-request-id"],
    maxAge: 600,
  }) as Middleware;
  return [
    (req, res, next) => {
      if (req.headers.origin !== undefined || req.method === "OPTIONS") return handler(req, res, next);
      // What cors says to a request without Origin that a shared cache must not give to one with it.
      res.setHeader("vary", "Origin");
      next();
    },
  ];
}
