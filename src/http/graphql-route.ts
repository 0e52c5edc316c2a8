// POST /graphql (and Sandbox on GET outside production): CORS for the
// allowed browser origins, the shutdown gate, JSON and multipart bodies, the
// response cache when enabled, then Apollo with the per-request context.
import { type ApolloServer } from "@apollo/server";
import bodyParser from "body-parser";
import cors from "cors";
import type { Container } from "../container.js";
import type { GatewayContext } from "../context.js";
import { apolloHandler } from "./apollo-handler.js";
import { contextFor } from "./graphql-context.js";
import { sendGraphQLError } from "./graphql-error-response.js";
import { graphqlUploads } from "./graphql-uploads.js";
import type { HttpApp, Middleware } from "./http-app.js";
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
    cors({
      origin: config.corsOrigins.length ? [...config.corsOrigins] : false,
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
    }),
    (_req, res, next) => {
      if (state.stopping) {
        sendGraphQLError(res, "SERVICE_UNAVAILABLE", "The gateway is shutting down.", { closeConnection: true });
        return;
      }
      next();
    },
    bodyParser.json({ limit: config.limits.jsonBodyBytes }) as Middleware,
    graphqlUploads({ maxFileBytes: config.uploads.maxBytes, maxFiles: 2 }),
    ...(cache ? [cache.serve()] : []),
    apolloHandler(apollo, { context: async (req, res) => contextFor(container, req, res), onResponse: cache?.store }),
  );
}
