// A local stand-in of Faseeh for trying the gateway without a Faseeh key:
//   npm run faseeh:local [-- --port 4010]
// The same fake the tests use (dev/fake-faseeh.ts): clone, preview (PCM
// audio), text-to-speech (PCM or WAV audio) and models, answering and
// refusing as the real API documents.
// Nothing leaves this machine and nothing is billed. It prints the one line
// that starts the gateway against it. Its key is fixed and public on purpose:
// it guards nothing (the stand-in listens on 127.0.0.1 only; `--host 0.0.0.0`
// is for the compose profile's container), and the README's commands can be
// pasted as written. Stops on Ctrl-C (SIGINT) or SIGTERM.
import { parseArgs } from "node:util";
import { startFakeFaseeh } from "./fake-faseeh.js";

const LOCAL_FASEEH_PORT = 4010;
const LOCAL_FASEEH_KEY = "faseeh-local";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: String(LOCAL_FASEEH_PORT) },
    host: { type: "string", default: "127.0.0.1" },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65_535) {
  console.error(`faseeh:local: --port takes a port number (1-65535), not "${values.port}"`);
  process.exit(2);
}

const fake = await startFakeFaseeh({ port, host: values.host, apiKey: LOCAL_FASEEH_KEY }).catch((error: unknown) => {
  const inUse = (error as { code?: unknown }).code === "EADDRINUSE";
  console.error(
    inUse
      ? `faseeh:local: ${values.host}:${port} is in use (another stand-in?); pick another port: npm run faseeh:local -- --port ${port + 1}`
      : `faseeh:local: could not start on ${values.host}:${port}: ${String(error)}`,
  );
  process.exit(1);
});
console.log(
  `Local Faseeh stand-in on ${fake.baseUrl} (clone, preview, text-to-speech, models; nothing is sent anywhere or billed).`,
);
console.log("Start the gateway against it with:");
console.log(`FASEEH_BASE_URL=${fake.baseUrl} FASEEH_API_KEY=${fake.apiKey} npm start`);
const stop = () => void fake.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
