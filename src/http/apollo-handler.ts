// Apollo Server on our HTTP app (http-app.ts): translates the request for
// `executeHTTPGraphQLRequest` and writes its answer. This is what
// @as-integrations/express5's `expressMiddleware` does, written here (it is
// about thirty lines) because the gateway does not run on Express, and the
// response cache needs the answer's status, headers and body as sent
// (`onResponse`). A complete answer is written with `res.end` and a
// Content-Length (Express's `res.send` also hashed every body into an ETag
// that no POST can use).
import { type ApolloServer, type ContextFunction, HeaderMap, type HTTPGraphQLResponse } from "@apollo/server";
import type { GatewayContext } from "../context.js";
import type { HttpRequest, HttpResponse, Middleware, NextFunction } from "./http-app.js";

/** A complete answer as written to the client. */
export interface WrittenResponse {
  status: number;
  headers: HTTPGraphQLResponse["headers"];
  body: string;
}

export interface ApolloHandlerOptions {
  context: ContextFunction<[HttpRequest, HttpResponse], GatewayContext>;
  /** Called after a complete (non-streamed) answer is written. */
  onResponse?: (req: HttpRequest, res: HttpResponse, response: WrittenResponse) => void;
}

export function apolloHandler(apollo: ApolloServer<GatewayContext>, options: ApolloHandlerOptions): Middleware {
  apollo.assertStarted("apolloHandler()");
  return async (req: HttpRequest, res: HttpResponse, next: NextFunction) => {
    try {
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const url = req.url ?? "";
      const query = url.indexOf("?");
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: (req.method ?? "GET").toUpperCase(),
          headers,
          search: query === -1 ? "" : url.slice(query),
          body: req.body,
        },
        context: () => options.context(req, res),
      });
      for (const [name, value] of response.headers) res.setHeader(name, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === "complete") {
        const body = response.body.string;
        res.setHeader("content-length", Buffer.byteLength(body));
        res.end(body);
        options.onResponse?.(req, res, { status: res.statusCode, headers: response.headers, body });
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      next(error);
    }
  };
}
