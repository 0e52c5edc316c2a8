// Answers a request the GraphQL layer never saw (refused before parsing, or
// failed in a body parser) in GraphQL's response shape, so every client gets
// `errors[].extensions.code` whatever refused it.
import type { Response } from "express";
import type { ErrorCode } from "../errors.js";

export function sendGraphQLError(
  res: Response,
  status: number,
  code: ErrorCode,
  message: string,
  { closeConnection = false } = {},
): void {
  if (res.headersSent) return;
  // When the body may be unread, the connection must not be reused mid-body.
  if (closeConnection) res.setHeader("Connection", "close");
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}
