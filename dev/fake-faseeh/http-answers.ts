// How the fake answers on the wire: a whole body with its length, JSON, a TCP
// reset, and the checks that a client is still there to answer (the scripted
// faults in behaviours.ts and every route use them).
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** True when there is no longer anyone to answer (client disconnected or fake closed). */
export function isGone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || res.socket === null || res.socket.destroyed;
}

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (isGone(res)) return;
  const payload = Buffer.from(body, "utf8");
  // Scripted headers go last so a test can even override content-type.
  res.writeHead(status, { "content-type": contentType, "content-length": String(payload.length), ...headers });
  res.end(payload);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  send(res, status, "application/json", JSON.stringify(body), headers);
}

/** Resolves true after `ms`, or false as soon as the client/socket goes away. */
export function sleepUnlessGone(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(!isGone(res));
    }, ms);
    res.once("close", onClose);
  });
}

/** Resolves true once `until` settles, or false as soon as the client/socket goes away. */
export function waitUnlessGone(until: Promise<unknown>, res: ServerResponse): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const onClose = (): void => resolve(false);
    res.once("close", onClose);
    const settled = (): void => {
      res.off("close", onClose);
      resolve(!isGone(res));
    };
    until.then(settled, settled);
  });
}

/** Sends a TCP RST (ECONNRESET on the client), the closest thing to a crashed upstream. */
export function resetSocket(socket: Socket | null): void {
  if (!socket || socket.destroyed) return;
  socket.resetAndDestroy();
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
