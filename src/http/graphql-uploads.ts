// Express middleware for the GraphQL multipart request spec, wrapping
// graphql-upload-minimal's processRequest with the safety it lacks:
// - a multipart request without a CSRF preflight header is refused before a
//   single byte of its body is parsed (Apollo's CSRF prevention would refuse
//   it anyway, but only after the files were received);
// - parse failures answer as GraphQL errors with a stable code and a message
//   naming the mistake (see multipart-parts.ts);
// - once the response is sent, any file stream a resolver did not read is
//   drained, because an unread stream stalls the request and its connection.
import { processRequest, Upload } from "graphql-upload-minimal";
import typeis from "type-is";
import { sendGraphQLError } from "./graphql-error-response.js";
import { headerOf, type HttpRequest, type HttpResponse, type Middleware, type NextFunction } from "./http-app.js";
import { MultipartParts } from "./multipart-parts.js";

export const MULTIPART_PREFLIGHT_HEADERS = ["apollo-require-preflight", "x-apollo-operation-name"] as const;

export interface GraphqlUploadOptions {
  maxFileBytes: number;
  maxFiles: number;
}

export function graphqlUploads(options: GraphqlUploadOptions): Middleware {
  return async (req: HttpRequest, res: HttpResponse, next: NextFunction) => {
    if (!typeis(req, ["multipart/form-data"])) {
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
    const boundary = MultipartParts.boundaryOf(headerOf(req, "content-type"));
    const parts = boundary ? new MultipartParts(req, boundary) : undefined;
    try {
      const body = await processRequest(req, res, {
        maxFileSize: options.maxFileBytes,
        maxFiles: options.maxFiles,
        maxFieldSize: 1024 * 1024,
      });
      parts?.stop();
      res.once("close", () => drainUploads(body));
      req.body = body;
      next();
    } catch (error) {
      parts?.stop();
      if ((error as { status?: unknown }).status === 413) {
        sendGraphQLError(res, "PAYLOAD_TOO_LARGE", tooLarge(error, options.maxFiles), { closeConnection: true });
        return;
      }
      const said = error instanceof Error ? error.message : "Invalid multipart request.";
      sendGraphQLError(res, "BAD_REQUEST", parts?.explain() ?? said, { closeConnection: true });
    }
  };
}

/** The library's 413s, in the client's terms. */
function tooLarge(error: unknown, maxFiles: number): string {
  const said = error instanceof Error ? error.message : "";
  if (/max file uploads exceeded/.test(said)) {
    return `This request carries more file parts than it may: at most ${maxFiles} files (voiceFile and referenceAudioFile).`;
  }
  return said || "A part of the request exceeds its size limit.";
}

/** Reads to the end every file stream that nobody consumed. */
function drainUploads(value: unknown, seen = new Set<unknown>()): void {
  if (!value || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Upload) {
    value.promise.then(
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
    return;
  }
  for (const inner of Object.values(value)) drainUploads(inner, seen);
}
