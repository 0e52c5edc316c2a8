// A TCP proxy in front of the test PostgreSQL server that a test can cut and
// restore: "the database went down" without stopping the server other test
// files share. Cutting destroys every open connection and refuses new ones.
import net from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Destroys open connections and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let down = false;
  const pairs = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    splice(client, net.connect(targetPort, targetHost), pairs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      down = true;
      for (const socket of pairs) socket.resetAndDestroy();
      pairs.clear();
    },
    restore() {
      down = false;
    },
    async close() {
      for (const socket of pairs) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Pipes a client's connection to its upstream both ways, both kept in `open` until either
 * ends; an error or close on one side destroys the other (what a proxy does).
 */
export function splice(client: net.Socket, upstream: net.Socket, open: Set<net.Socket>): void {
  open.add(client).add(upstream);
  const drop = () => {
    open.delete(client);
    open.delete(upstream);
    client.destroy();
    upstream.destroy();
  };
  client.on("error", drop).on("close", drop);
  upstream.on("error", drop).on("close", drop);
  client.pipe(upstream).pipe(client);
}

/** The same database URL, routed through the proxy. */
export function throughProxy(databaseUrl: string, proxy: TcpProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  return url.toString();
}
