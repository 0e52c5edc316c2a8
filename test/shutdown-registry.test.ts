// The shutdown's one order: steps run in SHUTDOWN_ORDER whoever registered
// first, a step marked warnOnFailure (the upstream pool) is logged and passed
// over, any other failure stops the shutdown there, and it runs once.
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { SHUTDOWN_ORDER, ShutdownRegistry } from "../src/shutdown-registry.js";

function registryWithLog() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    { logLevel: "info" },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { registry: new ShutdownRegistry(logger), lines };
}

describe("ShutdownRegistry", () => {
  it("runs the steps in SHUTDOWN_ORDER, not in the order they were registered", async () => {
    const { registry } = registryWithLog();
    const ran: string[] = [];
    for (const name of [...SHUTDOWN_ORDER].reverse()) registry.register(name, () => ran.push(name));
    await registry.run();
    expect(ran).toEqual([...SHUTDOWN_ORDER]);
  });

  it("logs a warnOnFailure step's failure at warn and still runs the later steps", async () => {
    const { registry, lines } = registryWithLog();
    const ran: string[] = [];
    registry.register("database", () => ran.push("database"));
    registry.register("upstream pool", () => Promise.reject(new Error("pool stuck")), {
      warnOnFailure: "closing upstream pool failed",
    });
    await registry.run();
    expect(ran).toEqual(["database"]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, err: "pool stuck", msg: "closing upstream pool failed" }));
  });

  it("stops at any other failing step, which the shutdown rejects with", async () => {
    const { registry } = registryWithLog();
    const ran: string[] = [];
    registry.register("drain requests", () => Promise.reject(new Error("drain failed")));
    registry.register("database", () => ran.push("database"));
    await expect(registry.run()).rejects.toThrow("drain failed");
    expect(ran).toEqual([]);
  });

  it("runs once: a second run is the same shutdown, and a step is registered once", async () => {
    const { registry } = registryWithLog();
    let stops = 0;
    registry.register("database", () => stops++);
    expect(() => registry.register("database", () => undefined)).toThrow(/registered twice/);
    await Promise.all([registry.run(), registry.run()]);
    expect(stops).toBe(1);
  });
});
