// ConcurrencyLimiter: one client key's share of the slots (UPSTREAM_MAX_CONCURRENCY_PER_KEY).
// A key at its share waits even while slots are free, other keys go past it,
// a freed slot goes to the first waiter under its share, and a waiter held
// back by its own key's share times out with its own reason. Queue timeouts
// run on Vitest's fake clock, so no test waits.
import { afterEach, describe, expect, it, vi } from "vitest";
import { GatewayError } from "../../../src/errors.js";
import { ConcurrencyLimiter } from "../../../src/services/access/concurrency-limiter.js";
import { gate, settle } from "../../support/gate.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("ConcurrencyLimiter: one key's share", () => {
  /** Work for `owner` that the test finishes by hand, with a label for the order of starts. */
  function call(limiter: ConcurrencyLimiter, owner: string, label: string, started: string[], signal?: AbortSignal) {
    const g = gate();
    const result = limiter.run(
      () => {
        started.push(label);
        return g.work();
      },
      { owner, signal },
    );
    return { ...g, result };
  }

  it("holds each owner to its own share: one whose share is the whole cap may take every slot", async () => {
    // As the container sets it: an open gateway's anonymous callers are the only ones there are.
    const limiter = new ConcurrencyLimiter(2, 60_000, (owner) => (owner === "anonymous" ? 2 : 1));
    const started: string[] = [];
    const calls = [call(limiter, "anonymous", "n1", started), call(limiter, "anonymous", "n2", started)];
    await settle();
    expect(started).toEqual(["n1", "n2"]);
    expect(limiter.heldBy("anonymous")).toBe(2);
    for (const c of calls) c.finish("done");
    await Promise.all(calls.map((c) => c.result));
    expect(limiter.running).toBe(0);
  });

  it("holds a key at its share even while slots are free", async () => {
    const limiter = new ConcurrencyLimiter(4, 60_000, () => 2);
    const started: string[] = [];
    const calls = ["a1", "a2", "a3"].map((label) => call(limiter, "A", label, started));
    await settle();
    expect(started).toEqual(["a1", "a2"]);
    expect({ running: limiter.running, waiting: limiter.waiting, heldByA: limiter.heldBy("A") }).toEqual({
      running: 2,
      waiting: 1,
      heldByA: 2,
    });
    calls[0]!.finish("a1");
    await settle();
    expect(started).toEqual(["a1", "a2", "a3"]);
    expect(limiter.heldBy("A")).toBe(2);
    calls[1]!.finish("a2");
    calls[2]!.finish("a3");
    await expect(Promise.all(calls.map((c) => c.result))).resolves.toEqual(["a1", "a2", "a3"]);
    expect({ running: limiter.running, waiting: limiter.waiting, heldByA: limiter.heldBy("A") }).toEqual({
      running: 0,
      waiting: 0,
      heldByA: 0,
    });
  });

  it("lets another key take a free slot at once, past a waiter held back by its share", async () => {
    const limiter = new ConcurrencyLimiter(2, 60_000, () => 1);
    const started: string[] = [];
    const a1 = call(limiter, "A", "a1", started);
    const a2 = call(limiter, "A", "a2", started);
    await settle();
    expect(started).toEqual(["a1"]);
    const b1 = call(limiter, "B", "b1", started);
    await settle();
    expect(started).toEqual(["a1", "b1"]);
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 2, waiting: 1 });
    for (const c of [a1, a2, b1]) c.finish("done");
    await settle();
    await Promise.all([a1.result, a2.result, b1.result]);
    expect(started).toEqual(["a1", "b1", "a2"]);
  });

  it("gives a freed slot to the first waiter under its share, in arrival order among those", async () => {
    const limiter = new ConcurrencyLimiter(2, 60_000, () => 1);
    const started: string[] = [];
    const a1 = call(limiter, "A", "a1", started);
    const c1 = call(limiter, "C", "c1", started);
    // Queue: a2, a3 (held back by A's share), then b1, then b2.
    const a2 = call(limiter, "A", "a2", started);
    const a3 = call(limiter, "A", "a3", started);
    const b1 = call(limiter, "B", "b1", started);
    const b2 = call(limiter, "B", "b2", started);
    await settle();
    expect(limiter.waiting).toBe(4);

    // C's slot passes a2 and a3 (A holds its share) and goes to b1; b2 is then held back by B's.
    c1.finish("c1");
    await settle();
    expect(started).toEqual(["a1", "c1", "b1"]);
    // A's own slot goes to A's first waiter, ahead of b2.
    a1.finish("a1");
    await settle();
    expect(started).toEqual(["a1", "c1", "b1", "a2"]);
    b1.finish("b1");
    await settle();
    expect(started).toEqual(["a1", "c1", "b1", "a2", "b2"]);
    a2.finish("a2");
    await settle();
    expect(started).toEqual(["a1", "c1", "b1", "a2", "b2", "a3"]);
    a3.finish("a3");
    b2.finish("b2");
    await Promise.all([a1, c1, a2, a3, b1, b2].map((c) => c.result));
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 0, waiting: 0 });
  });

  it("frees the slot without handing it on when every waiter's key is at its share", async () => {
    const limiter = new ConcurrencyLimiter(3, 60_000, () => 1);
    const started: string[] = [];
    const a1 = call(limiter, "A", "a1", started);
    const b1 = call(limiter, "B", "b1", started);
    const a2 = call(limiter, "A", "a2", started);
    await settle();
    b1.finish("b1");
    await b1.result;
    expect(started).toEqual(["a1", "b1"]);
    expect({ running: limiter.running, waiting: limiter.waiting, heldByB: limiter.heldBy("B") }).toEqual({
      running: 1,
      waiting: 1,
      heldByB: 0,
    });
    a1.finish("a1");
    await settle();
    expect(started).toEqual(["a1", "b1", "a2"]);
    expect({ running: limiter.running, heldByA: limiter.heldBy("A") }).toEqual({ running: 1, heldByA: 1 });
    a2.finish("a2");
    await a2.result;
    expect({ running: limiter.running, heldByA: limiter.heldBy("A") }).toEqual({ running: 0, heldByA: 0 });
  });

  it("answers RATE_LIMITED (KEY_CONCURRENCY_LIMIT) to a waiter held back by its own key's share, and never runs it", async () => {
    vi.useFakeTimers();
    const limiter = new ConcurrencyLimiter(4, 8_000, () => 2);
    const started: string[] = [];
    const held = [call(limiter, "A", "a1", started), call(limiter, "A", "a2", started)];
    const extra = call(limiter, "A", "a3", started);
    const outcome = extra.result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(8_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      code: "RATE_LIMITED",
      message:
        "This client key already runs 2 calls against Faseeh at once, the most one key may (of the gateway's 4), and none finished within 8000 ms. Retry when one of them has finished.",
      extensions: { code: "RATE_LIMITED", reason: "KEY_CONCURRENCY_LIMIT", retryAfterSeconds: 2 },
    });
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 2, waiting: 0 });
    for (const c of held) c.finish("done");
    await Promise.all(held.map((c) => c.result));
    expect(started).toEqual(["a1", "a2"]);
    expect({ running: limiter.running, heldByA: limiter.heldBy("A") }).toEqual({ running: 0, heldByA: 0 });
  });

  it("says which limit held a waiter back when both do: its key's share, else the full gateway", async () => {
    vi.useFakeTimers();
    const limiter = new ConcurrencyLimiter(2, 1_000, () => 1);
    const started: string[] = [];
    const a1 = call(limiter, "A", "a1", started);
    const b1 = call(limiter, "B", "b1", started);
    // The gateway is full: A is also at its share, C is not.
    const a2 = call(limiter, "A", "a2", started).result.catch((error: unknown) => error);
    const c1 = call(limiter, "C", "c1", started).result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await a2).toMatchObject({
      code: "RATE_LIMITED",
      message: expect.stringMatching(/^This client key already runs 1 call against Faseeh at once/) as string,
      extensions: { reason: "KEY_CONCURRENCY_LIMIT", retryAfterSeconds: 1 },
    });
    expect(await c1).toMatchObject({
      code: "RATE_LIMITED",
      message: "The gateway is already running 2 clones and none finished within 1000 ms. Retry shortly.",
      extensions: { reason: "GATEWAY_QUEUE_FULL", retryAfterSeconds: 1 },
    });
    a1.finish("a1");
    b1.finish("b1");
    await Promise.all([a1.result, b1.result]);
    expect(started).toEqual(["a1", "b1"]);
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 0, waiting: 0 });
  });

  it("takes a waiter held back by its share out of the queue when its client goes away", async () => {
    const limiter = new ConcurrencyLimiter(2, 60_000, () => 1);
    const started: string[] = [];
    const a1 = call(limiter, "A", "a1", started);
    const controller = new AbortController();
    const a2 = call(limiter, "A", "a2", started, controller.signal);
    await settle();
    expect(limiter.waiting).toBe(1);
    controller.abort();
    await expect(a2.result).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect({ running: limiter.running, waiting: limiter.waiting, heldByA: limiter.heldBy("A") }).toEqual({
      running: 1,
      waiting: 0,
      heldByA: 1,
    });
    a1.finish("a1");
    await a1.result;
    expect(started).toEqual(["a1"]);
    expect({ running: limiter.running, heldByA: limiter.heldBy("A") }).toEqual({ running: 0, heldByA: 0 });
  });

  it("never exceeds the cap or a share, and leaks no slot, through many mixed calls", async () => {
    vi.useFakeTimers();
    const cap = 3;
    const share = 2;
    const limiter = new ConcurrencyLimiter(cap, 300, () => share);
    const owners = ["A", "B", "C", "D"];
    const running = new Map<string, number>();
    let peak = 0;
    let peakPerOwner = 0;
    // A fixed pseudo-random sequence (mulberry32), so a failure replays exactly.
    let seed = 19;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
    };
    const outcomes = new Map<string, number>();
    const tally = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const results: Array<Promise<unknown>> = [];
    for (let step = 0; step < 300; step++) {
      const owner = owners[random(owners.length)]!;
      const controller = new AbortController();
      const holdMs = 10 * (1 + random(20));
      results.push(
        limiter
          .run(
            async () => {
              running.set(owner, (running.get(owner) ?? 0) + 1);
              peak = Math.max(peak, limiter.running);
              peakPerOwner = Math.max(peakPerOwner, running.get(owner)!);
              try {
                await new Promise((resolve, reject) =>
                  setTimeout(() => (random(5) === 0 ? reject(new Error("failed")) : resolve(undefined)), holdMs),
                );
              } finally {
                running.set(owner, running.get(owner)! - 1);
              }
            },
            { owner, signal: controller.signal },
          )
          .then(
            () => tally("finished"),
            (error: unknown) => {
              const reason = error instanceof GatewayError ? error.extensions.reason : undefined;
              tally(typeof reason === "string" ? reason : error instanceof GatewayError ? error.code : "failed");
            },
          ),
      );
      if (random(8) === 0) setTimeout(() => controller.abort(), 10 * random(40));
      await vi.advanceTimersByTimeAsync(random(40));
      expect(limiter.running).toBeLessThanOrEqual(cap);
      expect(limiter.running).toBe([...running.values()].reduce((total, n) => total + n, 0));
    }
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all(results);
    expect({ peak, peakPerOwner }).toEqual({ peak: cap, peakPerOwner: share });
    // Every way out of the limiter happened, so each was checked for leaks.
    expect([...outcomes.keys()].sort()).toEqual([
      "BAD_REQUEST",
      "GATEWAY_QUEUE_FULL",
      "KEY_CONCURRENCY_LIMIT",
      "failed",
      "finished",
    ]);
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 0, waiting: 0 });
    for (const owner of owners) expect(limiter.heldBy(owner)).toBe(0);
  });
});
