// `npm run faseeh:local` (dev/faseeh-local.ts), the stand-in people try the gateway with: it
// answers as Faseeh with its fixed key, and a port it cannot have is one sentence, not a stack.
import { execFile, spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../dev/spawn-ts.js";
import { startFakeFaseeh } from "../../dev/fake-faseeh.js";
import { freePort } from "../../dev/free-port.js";
import { waitFor } from "../support/wait.js";

function runStandIn(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "dev/faseeh-local.ts", ...args],
      { cwd: PROJECT_ROOT, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("npm run faseeh:local", () => {
  it("says in one line that its port is taken, and which to try instead", async () => {
    const taken = await startFakeFaseeh();
    const port = Number(new URL(taken.baseUrl).port);
    try {
      const { code, stdout, stderr } = await runStandIn("--port", String(port));
      expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
      expect(stderr.trim()).toBe(
        `faseeh:local: 127.0.0.1:${port} is in use (another stand-in?); pick another port: npm run faseeh:local -- --port ${port + 1}`,
      );
    } finally {
      await taken.close();
    }
  });

  it("refuses a --port that is not a port number", async () => {
    const { code, stderr } = await runStandIn("--port", "4o10");
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('faseeh:local: --port takes a port number (1-65535), not "4o10"');
  });

  it("answers as Faseeh with its fixed key, on the port and address it is given, and stops on SIGTERM", async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "dev/faseeh-local.ts", "--port", String(port), "--host", "0.0.0.0"],
      {
        cwd: PROJECT_ROOT,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let printed = "";
    child.stdout.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await waitFor(() => printed.includes("npm start\n") || child.exitCode !== null, 30_000, "the stand-in to listen");
      const baseUrl = `http://127.0.0.1:${port}/api/v1`;
      expect(printed.split("\n")).toContain(`FASEEH_BASE_URL=${baseUrl} FASEEH_API_KEY=faseeh-local npm start`);
      expect(printed.split("\n")[0]).toBe(
        `Local Faseeh stand-in on ${baseUrl} (clone, preview, text-to-speech, models; nothing is sent anywhere or billed).`,
      );
      const models = await fetch(`${baseUrl}/models`, { headers: { "x-api-key": "faseeh-local" } });
      expect(models.status).toBe(200);
      expect(((await models.json()) as unknown[]).length).toBeGreaterThan(0);
      const refused = await fetch(`${baseUrl}/models`, { headers: { "x-api-key": "sk-real" } });
      expect(refused.status).toBe(401);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
