// Middleware for the GraphQL multipart request spec (multipart-request.ts
// reads the body):
// - a multipart request without a CSRF preflight header is refused before a
//   single byte of its body is parsed (Apollo's CSRF prevention would refuse
//   it anyway, but only after the files were received);
// - a body that cannot be read answers BAD_REQUEST or PAYLOAD_TOO_LARGE with a
//   message naming the mistake, and closes the connection;
// - once the response is sent, any file stream a resolver did not read is
//   drained, because an unread stream stalls the request and its connection.
import typeis from "type-is";
import { GatewayError } from "../errors.js";
import type { Upload } from "../services/uploads/file-upload.js";
import { sendGraphQLError } from "./graphql-error-response.js";
import { headerOf, type HttpRequest, type HttpResponse, type Middleware, type NextFunction } from "./http-app.js";
import { readMultipartRequest } from "./multipart-request.js";

export const MULTIPART_PREFLIGHT_HEADERS = ["apollo-require-preflight", "x-apollo-operation-name"] as const;

export interface GraphqlUploadOptions {
  maxFileBytes: number;
  maxFiles: number;
}

/** `operations` and `map` together stay far below this; it only bounds what a client can make the gateway parse. */
export const MAX_FIELD_BYTES = 1024 * 1024;

/** A clone's two files: `voiceFile` and `referenceAudioFile`. */
export const MAX_FILES_PER_REQUEST = 2;

export function graphqlUploads(options: GraphqlUploadOptions): Middleware {
  return async (req: HttpRequest, res: HttpResponse, next: NextFunction) => {
    // The substring first: type-is parses the header, which a JSON request need not pay for.
    if (!req.headers["content-type"]?.toLowerCase().includes("multipart") || !typeis(req, ["multipart/form-data"])) {
      next();
      return;
    }
    if (!MULTIPART_PREFLIGHT_HEADERS.some((name) => headerOf(req, name)?.trim())) {
      sendGraphQLError(
        res,
        "BAD_REQUEST",
        "This multipart request was blocked as a potential cross-site request forgery (CSRF). " +
          "Add the header `Apollo-Require-Preflight: true` (or a non-empty `x-apollo-operation-name`).",
        { closeConnection: true },
      );
      return;
    }
    try {
      const { operations, uploads } = await readMultipartRequest(req, {
        maxFileBytes: options.maxFileBytes,
        maxFiles: options.maxFiles,
        maxFieldBytes: MAX_FIELD_BYTES,
      });
      res.once("close", () => drainUploads(uploads));
      req.body = operations;
      next();
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      sendGraphQLError(res, error.code, error.message, { closeConnection: true });
    }
  };
}

/** Reads to the end every file stream that nobody consumed. */
function drainUploads(uploads: readonly Upload[]): void {
  for (const upload of uploads) {
    upload.promise.then(
      (file) => {
        try {
          const stream = file.createReadStream();
          stream.on("error", () => undefined);
          stream.resume();
        } catch {
          // Already consumed by a resolver: nothing to drain.
        }
      },
      () => undefined,
    );
  }
}
