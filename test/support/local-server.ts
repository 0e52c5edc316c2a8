// A plain HTTP server on an ephemeral port of 127.0.0.1, for tests that put
// two request listeners side by side (the route table and the JSON body
// reader against the packages they replaced).
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface LocalServer {
  port: number;
  close(): Promise<void>;
}

export async function serveLocally(listener: http.RequestListener): Promise<LocalServer> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
