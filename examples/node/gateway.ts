// What the examples share: an Apollo Client for the gateway, configured from
// the environment, whose link (apollo-upload-client) sends any operation with
// a File or Blob in its variables as a GraphQL multipart request; the example
// recordings as Files; and one way to report a failure.
//
//   GATEWAY_URL  the gateway's GraphQL endpoint (default http://localhost:4000/graphql)
//   GATEWAY_KEY  a client key, once the gateway has keys (`write` to clone and preview, `read` to list)
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ApolloClient, InMemoryCache } from "@apollo/client";
import { CombinedGraphQLErrors, ServerError } from "@apollo/client/errors";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";

export const GATEWAY_URL = process.env.GATEWAY_URL ?? "http://localhost:4000/graphql";

export function gatewayClient(): ApolloClient {
  const key = process.env.GATEWAY_KEY;
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: new UploadHttpLink({
      uri: GATEWAY_URL,
      headers: {
        // The gateway's CSRF prevention refuses a multipart request without this header (any
        // non-empty value); apollo-upload-client does not add it by itself.
        "Apollo-Require-Preflight": "true",
        ...(key ? { Authorization: `Bearer ${key}` } : {}),
      },
    }),
  });
}

/** One of the committed example recordings (examples/audio/), wherever the script is run from. */
export const exampleAudio = (name: "preview.wav" | "original.wav"): string =>
  fileURLToPath(new URL(`../audio/${name}`, import.meta.url));

/** A file on disk as a File, which the upload link sends as a multipart part of the same name and type. */
export async function fileFrom(filePath: string, type = "audio/wav"): Promise<File> {
  return new File([await readFile(filePath)], path.basename(filePath), { type });
}

interface GatewayError {
  message: string;
  extensions?: { code?: unknown; field?: unknown };
}

/** `CODE (field): message` for each error, as the gateway's `extensions` give them. */
const linesOf = (errors: readonly GatewayError[]): string[] =>
  errors.map(({ message, extensions }) => {
    const code = typeof extensions?.code === "string" ? extensions.code : "ERROR";
    const field = typeof extensions?.field === "string" ? ` (${extensions.field})` : "";
    return `${code}${field}: ${message}`;
  });

/**
 * The failure's lines. A refusal the gateway answers with a 4xx status (no key, a
 * malformed request) reaches Apollo Client as a ServerError holding the body; errors
 * of an operation that ran (status 200) arrive as CombinedGraphQLErrors.
 */
function failureLines(error: unknown): string[] {
  if (CombinedGraphQLErrors.is(error)) return linesOf(error.errors);
  if (ServerError.is(error)) {
    try {
      const body = JSON.parse(error.bodyText) as { errors?: GatewayError[] };
      if (body.errors?.length) return linesOf(body.errors);
    } catch {
      // Not JSON (a proxy's error page, say): the status says what there is to say.
    }
    return [`HTTP ${error.statusCode} from ${GATEWAY_URL}`];
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return [`Could not call ${GATEWAY_URL}: ${error.message}${cause}`];
  }
  return [String(error)];
}

/** Runs an example: its failure is printed on stderr, one line per error, and the exit status is 1. */
export async function run(example: () => Promise<void>): Promise<void> {
  try {
    await example();
  } catch (error) {
    for (const line of failureLines(error)) console.error(line);
    process.exitCode = 1;
  }
}
