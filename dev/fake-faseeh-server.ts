// The fake Faseeh (dev/fake-faseeh.ts) in a process of its own:
//   node --import tsx dev/fake-faseeh-server.ts [--port 8081]
// Listens on 127.0.0.1 (an ephemeral port unless --port) and prints one JSON
// line {"msg":"fake upstream listening","baseUrl",...,"apiKey"}: the gateway's
// FASEEH_BASE_URL and FASEEH_API_KEY. The benchmarks run it so the upstream
// does not share their client's event loop (the real one is another machine).
// Stops on SIGTERM or SIGINT.
import { parseArgs } from "node:util";
import { startFakeFaseeh } from "./fake-faseeh.js";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port is a port number, not ${values.port}`);

const fake = await startFakeFaseeh({ port });
process.stdout.write(`${JSON.stringify({ msg: "fake upstream listening", baseUrl: fake.baseUrl, apiKey: fake.apiKey })}\n`);
const stop = () => void fake.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
