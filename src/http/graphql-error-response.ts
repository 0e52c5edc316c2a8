// Answers a request the GraphQL layer never saw (refused before parsing, or
// failed in a body parser) in GraphQL's response shape, so every client gets
// `errors[].extensions.code` whatever refused it. Its shape and HTTP status
// (the code's own, since no operation ran) are normalizeError's.
import type { ServerResponse } from "node:http";
import { type ErrorCode, GatewayError } from "../errors.js";
import { normalizeError } from "../graphql/normalize-error.js";
import { sendJson } from "./http-app.js";

export function sendGraphQLError(res: ServerResponse, code: ErrorCode, message: string, { closeConnection = false } = {}): void {
  if (res.headersSent) return;
  // When the body may be unread, the connection must not be reused mid-body.
  if (closeConnection) res.setHeader("Connection", "close");
  const { formatted, status } = normalizeError(new GatewayError(code, message));
  sendJson(res, status, { errors: [formatted] });
}
