// A gateway as a real process (`node --import tsx src/main.ts`, as `npm start`
// and the container run it), for tests of what only separate processes show:
// boot, signals, and several replicas on one database. Started through
// process.ts, so its output goes to the secret scan and killAllSpawned ends it.
import type { LogLine, TsProcess } from "../../dev/spawn-ts.js";
import { spawnTs } from "./process.js";

/** Booting compiles TypeScript (and, for the embedded database, runs PGlite's initdb); several boot at once on a shared machine. */
export const BOOT_TIMEOUT_MS = 90_000;

export interface GatewayProcess {
  readonly url: string;
  readonly port: number;
  readonly proc: TsProcess;
}

export const isMsg = (text: string) => (line: LogLine) => line.msg === text;

/** Waits for the process's "gateway listening" line; its port and base URL. */
export async function listening(proc: TsProcess, timeoutMs = BOOT_TIMEOUT_MS): Promise<GatewayProcess> {
  const line = await proc.waitForLog(isMsg("gateway listening"), timeoutMs, '"gateway listening"');
  const port = Number(line.port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`"gateway listening" without a port: ${JSON.stringify(line)}`);
  return { url: `http://127.0.0.1:${port}`, port, proc };
}

/** Spawns src/main.ts with exactly `env` (plus PATH/HOME) and waits until it listens. */
export function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  return listening(spawnTs("src/main.ts", env));
}

/** The log line a gateway process wrote for the request with this `x-request-id`, once written. */
export function requestLine(proc: TsProcess, requestId: string, timeoutMs = 10_000): Promise<LogLine> {
  return proc.waitForLog(
    (entry) => entry.msg === "request" && entry.requestId === requestId,
    timeoutMs,
    `the log line of request ${requestId}`,
  );
}
