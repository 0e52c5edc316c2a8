// A round-robin TCP load balancer in front of several gateway processes, as a
// deployment puts one in front of its replicas: each new client connection
// goes to the next backend in turn and stays there (HTTP keep-alive included).
// It records which backend each connection went to, and a backend can be taken
// out of the rotation, as an orchestrator does with a replica that is shutting
// down (its /readyz answers 503) before it closes its port.
import net from "node:net";
import { splice } from "./tcp-proxy.js";

export interface Backend {
  name: string;
  port: number;
}

export interface RoundRobinProxy {
  readonly url: string;
  /** The backend of every connection accepted so far, in order. */
  readonly chosen: readonly string[];
  /** The backend the next connection goes to. */
  readonly next: string;
  /** Adds a backend to the rotation (a replica that became ready), after the others. */
  add(backend: Backend): void;
  /** Takes a backend out of the rotation; its open connections stay until they end. */
  remove(name: string): void;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(initial: readonly Backend[]): Promise<RoundRobinProxy> {
  const backends: Backend[] = [...initial];
  const chosen: string[] = [];
  const sockets = new Set<net.Socket>();
  let turn = 0;
  const pick = (): Backend => {
    if (backends.length === 0) throw new Error("no backend in the rotation");
    const backend = backends[turn % backends.length]!;
    turn += 1;
    return backend;
  };

  const server = net.createServer((client) => {
    const backend = pick();
    chosen.push(backend.name);
    splice(client, net.connect(backend.port, "127.0.0.1"), sockets);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    chosen,
    get next() {
      return backends[turn % backends.length]?.name ?? "none";
    },
    add(backend) {
      backends.push(backend);
    },
    remove(name) {
      const index = backends.findIndex((backend) => backend.name === name);
      if (index < 0) return;
      backends.splice(index, 1);
      turn = 0; // the rotation starts again from the first backend left
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
