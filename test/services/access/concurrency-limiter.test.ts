// ConcurrencyLimiter on its own: at most `maxConcurrent` pieces of work at
// once, the rest queued in arrival order for a bounded time, and a waiter
// that leaves (timeout, abort) never run. One key's share of the slots has
// its own file (concurrency-limiter.share.test.ts).
// Queue timeouts run on Vitest's fake clock, so no test waits.
import { afterEach, describe, expect, it, vi } from "vitest";
import { GatewayError } from "../../../src/errors.js";
import { ConcurrencyLimiter } from "../../../src/services/access/concurrency-limiter.js";
import { gate, settle } from "../../support/gate.js";

/** One client key: what the tests of the overall cap run as (its share is the whole cap). */
const ONE = "key-one";
const AS_ONE = { owner: ONE };

afterEach(() => {
  vi.useRealTimers();
});

describe("ConcurrencyLimiter", () => {
  it("runs up to maxConcurrent at once and queues the rest", async () => {
    const limiter = new ConcurrencyLimiter(2, 60_000);
    const gates = [gate(), gate(), gate(), gate()];
    const runs = gates.map((g) => limiter.run(g.work, AS_ONE));
    await settle();
    expect(gates.map((g) => g.started)).toEqual([true, true, false, false]);
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 2, waiting: 2 });

    gates[0]!.finish("a");
    await settle();
    expect(gates.map((g) => g.started)).toEqual([true, true, true, false]);
    // The slot passed straight to the next waiter: never more than two running.
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 2, waiting: 1 });

    gates[1]!.finish("b");
    gates[2]!.finish("c");
    await settle();
    expect(gates[3]!.started).toBe(true);
    gates[3]!.finish("d");
    await expect(Promise.all(runs)).resolves.toEqual(["a", "b", "c", "d"]);
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 0, waiting: 0 });
  });

  it("grants freed slots to waiters in arrival order", async () => {
    const limiter = new ConcurrencyLimiter(1, 60_000);
    const order: number[] = [];
    const first = gate();
    const running = limiter.run(first.work, AS_ONE);
    const queued = [1, 2, 3].map((n) =>
      limiter.run(() => {
        order.push(n);
        return Promise.resolve(n);
      }, AS_ONE),
    );
    await settle();
    expect(order).toEqual([]);
    first.finish("first");
    await expect(Promise.all([running, ...queued])).resolves.toEqual(["first", 1, 2, 3]);
    expect(order).toEqual([1, 2, 3]);
  });

  it("frees the slot when the work fails, and passes the failure on unchanged", async () => {
    const limiter = new ConcurrencyLimiter(1, 60_000);
    const failing = gate();
    const boom = new Error("upstream exploded");
    const failed = limiter.run(failing.work, AS_ONE);
    const next = gate();
    const nextRun = limiter.run(next.work, AS_ONE);
    await settle();
    expect(next.started).toBe(false);
    failing.fail(boom);
    await expect(failed).rejects.toBe(boom);
    await settle();
    expect(next.started).toBe(true);
    next.finish("ok");
    await expect(nextRun).resolves.toBe("ok");
    expect(limiter.running).toBe(0);
  });

  it("frees the slot when the work throws synchronously", async () => {
    const limiter = new ConcurrencyLimiter(1, 60_000);
    await expect(
      limiter.run(() => {
        throw new Error("sync failure");
      }, AS_ONE),
    ).rejects.toThrow("sync failure");
    expect(limiter.running).toBe(0);
    await expect(limiter.run(() => Promise.resolve("after"), AS_ONE)).resolves.toBe("after");
  });

  it("answers RATE_LIMITED (GATEWAY_QUEUE_FULL) to a waiter that got no slot within the queue timeout, and never runs it", async () => {
    vi.useFakeTimers();
    const limiter = new ConcurrencyLimiter(1, 10_000);
    const busy = gate();
    const running = limiter.run(busy.work, AS_ONE);
    const late = vi.fn(() => Promise.resolve("late"));
    const queued = limiter.run(late, AS_ONE);
    const outcome = queued.catch((error: unknown) => error);

    await vi.advanceTimersByTimeAsync(9_999);
    expect(limiter.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      code: "RATE_LIMITED",
      message: "The gateway is already running 1 clones and none finished within 10000 ms. Retry shortly.",
      // A quarter of the queue timeout, in whole seconds.
      extensions: { code: "RATE_LIMITED", reason: "GATEWAY_QUEUE_FULL", retryAfterSeconds: 3 },
    });
    expect(limiter.waiting).toBe(0);

    // The slot, once freed, is not handed to the waiter that left.
    busy.finish("done");
    await expect(running).resolves.toBe("done");
    expect(late).not.toHaveBeenCalled();
    expect(limiter.running).toBe(0);
  });

  it("suggests retrying after at least one second, however short the queue timeout", async () => {
    vi.useFakeTimers();
    const limiter = new ConcurrencyLimiter(1, 200);
    const busy = gate();
    void limiter.run(busy.work, AS_ONE);
    const outcome = limiter.run(() => Promise.resolve("never"), AS_ONE).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(200);
    expect(await outcome).toMatchObject({ code: "RATE_LIMITED", extensions: { retryAfterSeconds: 1 } });
    busy.finish("done");
  });

  it("does not time out a waiter that got its slot in time", async () => {
    vi.useFakeTimers();
    const limiter = new ConcurrencyLimiter(1, 1_000);
    const busy = gate();
    const running = limiter.run(busy.work, AS_ONE);
    const slow = gate();
    const queued = limiter.run(slow.work, AS_ONE);
    await vi.advanceTimersByTimeAsync(500);
    busy.finish("first");
    await vi.advanceTimersByTimeAsync(0);
    expect(slow.started).toBe(true);
    // Long past the queue timeout: the work itself is not limited by it.
    await vi.advanceTimersByTimeAsync(5_000);
    slow.finish("second");
    await expect(Promise.all([running, queued])).resolves.toEqual(["first", "second"]);
  });

  it("refuses at once, without running the work or taking a slot, when the signal is already aborted", async () => {
    const limiter = new ConcurrencyLimiter(1, 60_000);
    const controller = new AbortController();
    controller.abort();
    const work = vi.fn(() => Promise.resolve("never"));
    await expect(limiter.run(work, { owner: ONE, signal: controller.signal })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "The client went away while its clone was queued.",
    });
    expect(work).not.toHaveBeenCalled();
    expect(limiter.running).toBe(0);
  });

  it("takes a waiter out of the queue when its client goes away, and gives the slot to the next one", async () => {
    const limiter = new ConcurrencyLimiter(1, 60_000);
    const busy = gate();
    const running = limiter.run(busy.work, AS_ONE);
    const controller = new AbortController();
    const leaver = vi.fn(() => Promise.resolve("never"));
    const left = limiter.run(leaver, { owner: ONE, signal: controller.signal });
    const stayer = gate();
    const stayed = limiter.run(stayer.work, AS_ONE);
    await settle();
    expect(limiter.waiting).toBe(2);

    controller.abort();
    await expect(left).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "The client went away while its clone was queued.",
    });
    expect(limiter.waiting).toBe(1);

    busy.finish("busy");
    await settle();
    expect(stayer.started).toBe(true);
    stayer.finish("stayer");
    await expect(Promise.all([running, stayed])).resolves.toEqual(["busy", "stayer"]);
    expect(leaver).not.toHaveBeenCalled();
    expect(limiter.running).toBe(0);
  });

  it("answers with the abort's own reason when it is a GatewayError (shutdown)", async () => {
    const limiter = new ConcurrencyLimiter(1, 60_000);
    const busy = gate();
    void limiter.run(busy.work, AS_ONE);
    const controller = new AbortController();
    const queued = limiter.run(() => Promise.resolve("never"), { owner: ONE, signal: controller.signal });
    const shutdown = new GatewayError("SERVICE_UNAVAILABLE", "The gateway is shutting down.");
    controller.abort(shutdown);
    await expect(queued).rejects.toBe(shutdown);

    const already = new AbortController();
    already.abort(shutdown);
    await expect(limiter.run(() => Promise.resolve("never"), { owner: ONE, signal: already.signal })).rejects.toBe(shutdown);
    busy.finish("done");
  });

  it("ignores an abort once the work has its slot: the work itself decides what the signal means", async () => {
    const limiter = new ConcurrencyLimiter(1, 60_000);
    const controller = new AbortController();
    const work = gate();
    const running = limiter.run(work.work, { owner: ONE, signal: controller.signal });
    await settle();
    controller.abort();
    work.finish("finished anyway");
    await expect(running).resolves.toBe("finished anyway");
    expect(limiter.running).toBe(0);
  });

  it("ignores an abort that comes after the waiter was granted its slot", async () => {
    const limiter = new ConcurrencyLimiter(1, 60_000);
    const busy = gate();
    const running = limiter.run(busy.work, AS_ONE);
    const controller = new AbortController();
    const granted = gate();
    const queued = limiter.run(granted.work, { owner: ONE, signal: controller.signal });
    busy.finish("busy");
    await settle();
    expect(granted.started).toBe(true);
    controller.abort();
    granted.finish("granted");
    await expect(Promise.all([running, queued])).resolves.toEqual(["busy", "granted"]);
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 0, waiting: 0 });
  });
});
