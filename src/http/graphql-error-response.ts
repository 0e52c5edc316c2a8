// Answers a request the GraphQL layer never saw (refused before parsing, or
// failed in a body parser) in GraphQL's response shape, so every client gets
// `errors[].extensions.code` whatever refused it. Its HTTP status is the
// code's own (errors.ts), since no operation ran.
import type { ServerResponse } from "node:http";
import { type ErrorCode, httpStatusOf } from "../errors.js";
import { sendJson } from "./http-app.js";

export function sendGraphQLError(res: ServerResponse, code: ErrorCode, message: string, { closeConnection = false } = {}): void {
  if (res.headersSent) return;
  // When the body may be unread, the connection must not be reused mid-body.
  if (closeConnection) res.setHeader("Connection", "close");
  sendJson(res, httpStatusOf(code, { executed: false }), { errors: [{ message, extensions: { code } }] });
}
