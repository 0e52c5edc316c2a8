// The fake Faseeh upstream in a process of its own, for benchmarks: the real
// upstream is another machine, so it must not share the benchmark client's
// event loop. Prints one JSON line {"msg":"fake upstream listening","baseUrl",...}.
import { startFakeFaseeh } from "../dev/fake-faseeh.js";

const fake = await startFakeFaseeh();
process.stdout.write(`${JSON.stringify({ msg: "fake upstream listening", baseUrl: fake.baseUrl, apiKey: fake.apiKey })}\n`);
const stop = () => void fake.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
