// A port of 127.0.0.1 that nothing listens on: bound by the system, then
// released, for a server that must be told its port before it starts (a child
// process, PostgreSQL, a README command). Used by tests, benches and dev tools.
import net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
