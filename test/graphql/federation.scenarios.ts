// What the federation test composes the gateway with: a second, tiny
// subgraph (playlists that reference catalog voices by `voiceId`), served by
// a minimal Apollo server on 127.0.0.1, and a router (@apollo/gateway in an
// Apollo server on 127.0.0.1) over a supergraph composed from both
// subgraphs' SDL, the gateway's as it serves it (`_service { sdl }`). The
// router forwards each client's Authorization header to the subgraphs, as a
// production router is configured to, and records what it sends them.
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { request } from "undici";
import type { TestGateway } from "../support/gateway.js";

export const PLAYLISTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key"])
  type Query { playlists: [Playlist!]! }
  type Playlist { name: String! voices: [Voice]! }
  type Voice @key(fields: "voiceId", resolvable: false) { voiceId: String! }
`;

export interface Playlist {
  name: string;
  voiceIds: string[];
}

export interface Served {
  url: string;
  stop(): Promise<void>;
}

/** The second subgraph: the given playlists, each voice a reference by `voiceId` only. */
export async function servePlaylists(playlists: () => readonly Playlist[]): Promise<Served> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(PLAYLISTS_SDL),
    resolvers: {
      Query: { playlists: () => playlists() },
      Playlist: { voices: (playlist: Playlist) => playlist.voiceIds.map((voiceId) => ({ voiceId })) },
    },
  });
  const server = new ApolloServer({ schema });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  return { url, stop: () => server.stop() };
}

/** The gateway's subgraph SDL, asked over HTTP as composition tools ask for it. */
export async function servedSdl(gateway: TestGateway, authorization: string): Promise<string> {
  const response = await gateway.graphql<{ _service: { sdl: string } }>("{ _service { sdl } }", undefined, { authorization });
  const sdl = response.body.data?._service.sdl;
  if (!sdl) throw new Error(`No SDL from the gateway: ${JSON.stringify(response.body)}`);
  return sdl;
}

/** A request the router sent to a subgraph. */
export interface SentRequest {
  subgraph: string;
  query: string;
  variables: Record<string, unknown>;
}

export interface Router extends Served {
  /** Every request the router sent to a subgraph, in order. */
  readonly sent: SentRequest[];
  /** Posts a query to the router as a client would. */
  query<Data>(query: string, authorization?: string): Promise<{ status: number; body: RouterAnswer<Data> }>;
}

export interface RouterAnswer<Data> {
  data?: Data;
  errors?: RouterError[];
  extensions?: { valueCompletion?: RouterError[] };
}

export interface RouterError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string };
}

interface RouterContext {
  authorization?: string;
}

/** The supergraph of both subgraphs (composeServices), served by @apollo/gateway, offline: no Apollo uplink. */
export async function startRouter(subgraphs: Array<{ name: string; url: string; sdl: string }>): Promise<Router> {
  const composed = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (composed.errors) throw new Error(`Composition failed: ${composed.errors.map((error) => error.message).join("; ")}`);
  const sent: SentRequest[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl: composed.supergraphSdl,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource<RouterContext>({
        url,
        willSendRequest({ request: outgoing, context }) {
          sent.push({ subgraph: name, query: outgoing.query ?? "", variables: outgoing.variables ?? {} });
          // Health checks and the like carry no client context.
          const { authorization } = context as Partial<RouterContext>;
          if (authorization) outgoing.http?.headers.set("authorization", authorization);
        },
      }),
  });
  const server = new ApolloServer<RouterContext>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: "127.0.0.1" },
    context: ({ req }) => Promise.resolve({ authorization: req.headers.authorization }),
  });
  return {
    url,
    sent,
    stop: () => server.stop(),
    async query<Data>(query: string, authorization?: string) {
      const response = await request(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization && { authorization }) },
        body: JSON.stringify({ query }),
      });
      return { status: response.statusCode, body: (await response.body.json()) as RouterAnswer<Data> };
    },
  };
}
