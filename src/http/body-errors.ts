// Body-parser refusals (a JSON body too large, or not JSON) answer in
// GraphQL's shape too, instead of finalhandler's HTML error page.
import type { Config } from "../config.js";
import type { HttpApp, HttpRequest, HttpResponse, NextFunction } from "./http-app.js";
import { sendGraphQLError } from "./graphql-error-response.js";

export function installBodyErrors(app: HttpApp, { config }: { config: Config }): void {
  app.useErrorHandler((error: unknown, _req: HttpRequest, res: HttpResponse, next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (res.headersSent || typeof status !== "number" || status < 400 || status >= 500) {
      next(error);
      return;
    }
    if (status === 413) {
      sendGraphQLError(res, "PAYLOAD_TOO_LARGE", `The request body exceeds the ${config.limits.jsonBodyBytes}-byte limit.`);
    } else {
      sendGraphQLError(res, "BAD_REQUEST", "The request body is not valid JSON.");
    }
  });
}
