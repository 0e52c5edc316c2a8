// UploadWatchdog on its own, on a clock the test moves by hand: time is the
// subject here, so no test sleeps and every instant is exact. The client is
// played by the test: each read the gateway makes is a `guard`ed promise the
// test settles, followed by `touch(bytes)` as AudioUpload does per chunk.
import { describe, expect, it } from "vitest";
import type { GatewayError } from "../../../src/errors.js";
import { type MinUploadRate, UploadWatchdog, type WatchdogClock } from "../../../src/services/uploads/upload-watchdog.js";

const KiB = 1024;
const FIELD = "input.voiceFile";

/** Time that moves only when told to, running each timer at its own instant on the way. */
class ManualClock implements WatchdogClock {
  private time = 0;
  private readonly timers = new Set<{ at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  after(ms: number, callback: () => void): () => void {
    const timer = { at: this.time + ms, callback };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers.delete(due);
      this.time = due.at;
      due.callback();
    }
    this.time = end;
  }
}

const DEFAULT_RATE: MinUploadRate = { bytesPerSecond: 16 * KiB, graceMs: 5_000, windowMs: 10_000 };

function watchdogOn(clock: ManualClock, minRate: MinUploadRate | undefined = DEFAULT_RATE): UploadWatchdog {
  return new UploadWatchdog({ idleTimeoutMs: 30_000, deadlineMs: 180_000, minRate, clock });
}

/**
 * One read of the client's stream: the gateway waits `waitMs` for it, then
 * `bytes` arrive. Resolves with the watchdog's error if it ended the wait.
 */
async function read(
  clock: ManualClock,
  watchdog: UploadWatchdog,
  waitMs: number,
  bytes: number,
): Promise<GatewayError | undefined> {
  let arrive!: () => void;
  const chunk = new Promise<void>((resolve) => (arrive = resolve));
  const waited = watchdog.guard(chunk, FIELD, "chunk").then(
    () => undefined,
    (error: unknown) => error as GatewayError,
  );
  clock.advance(waitMs);
  arrive();
  const error = await waited;
  if (!error) watchdog.touch(bytes);
  return error;
}

/** A client sending `bytes` every `everyMs` until the watchdog ends it (or `untilMs` passes). */
async function trickle(
  clock: ManualClock,
  watchdog: UploadWatchdog,
  pace: { bytes: number; everyMs: number; untilMs: number },
): Promise<GatewayError | undefined> {
  let error = await read(clock, watchdog, 0, pace.bytes);
  while (!error && clock.now() < pace.untilMs) error = await read(clock, watchdog, pace.everyMs, pace.bytes);
  return error;
}

describe("UploadWatchdog: the minimum rate", () => {
  it("ends an upload slower than the minimum once the grace is over, naming both rates", async () => {
    const clock = new ManualClock();
    const watchdog = watchdogOn(clock);
    // The attacker of issue 19: 2 KiB every 5 s.
    const error = await trickle(clock, watchdog, { bytes: 2 * KiB, everyMs: 5_000, untilMs: 180_000 });
    expect(clock.now()).toBe(5_000);
    expect(error).toMatchObject({
      code: "BAD_REQUEST",
      message:
        "The upload of `input.voiceFile` was too slow: 410 bytes/s over the last 5 s the gateway waited for it, below the minimum of 16 KiB/s. Nothing complete was sent to Faseeh, so nothing was spent; send the request again.",
      extensions: { code: "BAD_REQUEST", field: FIELD, reason: "UPLOAD_TOO_SLOW" },
    });
    expect(watchdog.hasExpired).toBe(true);
    // Ended for good: a later wait fails at once, and no timer is left behind.
    await expect(watchdog.guard(new Promise(() => undefined), FIELD, "chunk")).rejects.toMatchObject({
      extensions: { reason: "UPLOAD_TOO_SLOW" },
    });
    expect(clock.pendingTimers).toBe(0);
  });

  it("keeps an upload above the minimum going, and ends one below it", async () => {
    const steady = new ManualClock();
    const fastEnough = watchdogOn(steady);
    expect(await trickle(steady, fastEnough, { bytes: 20 * KiB, everyMs: 1_000, untilMs: 120_000 })).toBeUndefined();
    expect(fastEnough.hasExpired).toBe(false);
    fastEnough.stop();
    expect(steady.pendingTimers).toBe(0);

    const slow = new ManualClock();
    const tooSlow = watchdogOn(slow);
    const error = await trickle(slow, tooSlow, { bytes: 12 * KiB, everyMs: 1_000, untilMs: 120_000 });
    expect(error?.extensions).toMatchObject({ reason: "UPLOAD_TOO_SLOW" });
    expect(error?.message).toContain(
      "was too slow: 12 KiB/s over the last 5 s the gateway waited for it, below the minimum of 16 KiB/s",
    );
    expect(slow.now()).toBe(5_000);
  });

  it("does not judge the rate during the grace", async () => {
    const clock = new ManualClock();
    const watchdog = watchdogOn(clock);
    // Nothing for 4.9 s (a client slow to start), then 1 MiB at once and a steady flow.
    expect(await read(clock, watchdog, 4_900, 1024 * KiB)).toBeUndefined();
    expect(await trickle(clock, watchdog, { bytes: 32 * KiB, everyMs: 1_000, untilMs: 60_000 })).toBeUndefined();
    watchdog.stop();
  });

  it("judges the latest window only: a fast start does not cover a trickle later", async () => {
    const clock = new ManualClock();
    const watchdog = watchdogOn(clock);
    expect(await read(clock, watchdog, 0, 10 * 1024 * KiB)).toBeUndefined();
    // 1 KiB/s from now on: the 10 MiB keep the average up only while they are in the 10 s window.
    const error = await trickle(clock, watchdog, { bytes: KiB, everyMs: 1_000, untilMs: 120_000 });
    expect(error?.message).toContain("was too slow: 1 KiB/s over the last 10 s the gateway waited for it");
    // Judged ten times per window: the burst left it between 10 and 11 s in.
    expect(clock.now()).toBeGreaterThan(10_000);
    expect(clock.now()).toBeLessThanOrEqual(11_000);
  });

  it("counts only time the gateway waits on the client", async () => {
    const clock = new ManualClock();
    const watchdog = watchdogOn(clock);
    const first = {};
    watchdog.streamStarted(first);
    // The second file's start, awaited while the first is still mid-stream: the gateway is not
    // reading the body (queued for a slot, or Faseeh reading slowly), so this never counts.
    const second = watchdog.guard(new Promise(() => undefined), "input.referenceAudioFile", "start");
    const secondFailed = second.catch((error: unknown) => error as GatewayError);
    clock.advance(60_000);
    expect(watchdog.hasExpired).toBe(false);
    // Now it waits for the first file's next chunk, and nothing comes: too slow once 5 s of that is over.
    const error = await read(clock, watchdog, 5_000, 0);
    expect(error?.message).toContain("was too slow: 0 bytes/s over the last 5 s the gateway waited for it");
    // Every wait of the request ends with it, naming its own field.
    expect(await secondFailed).toMatchObject({
      extensions: { field: "input.referenceAudioFile", reason: "UPLOAD_TOO_SLOW" },
    });
  });

  it("counts time between reads as the gateway's own, not the client's", async () => {
    const clock = new ManualClock();
    const watchdog = watchdogOn(clock);
    // Each chunk arrives 100 ms after it is asked for (160 KiB/s of waiting), but the gateway
    // asks only every 5 s (Faseeh reads slowly): 3.2 KiB/s of wall time, yet never too slow.
    for (let n = 0; n < 30; n++) {
      expect(await read(clock, watchdog, 100, 16 * KiB)).toBeUndefined();
      clock.advance(4_900);
    }
    expect(watchdog.hasExpired).toBe(false);
    watchdog.stop();
  });
});

describe("UploadWatchdog: idle timeout and deadline", () => {
  it("without a minimum rate, a trickle runs until the deadline", async () => {
    const clock = new ManualClock();
    const watchdog = new UploadWatchdog({ idleTimeoutMs: 30_000, deadlineMs: 60_000, clock });
    const error = await trickle(clock, watchdog, { bytes: 1, everyMs: 1_000, untilMs: 600_000 });
    expect(clock.now()).toBe(60_000);
    expect(error?.message).toContain("took longer than the 60 s upload deadline");
    expect(error?.extensions).toMatchObject({ reason: "UPLOAD_TOO_SLOW" });
  });

  it("a stall is UPLOAD_STALLED after the idle timeout, when that comes before the rate is judged", async () => {
    const clock = new ManualClock();
    const watchdog = new UploadWatchdog({
      idleTimeoutMs: 3_000,
      deadlineMs: 60_000,
      minRate: { bytesPerSecond: 1, graceMs: 5_000, windowMs: 5_000 },
      clock,
    });
    const error = await read(clock, watchdog, 10_000, 0);
    expect(error?.extensions).toMatchObject({ reason: "UPLOAD_STALLED" });
    expect(error?.message).toContain("stalled: no data for 3 s");
  });

  it("leaves no timer behind once stopped", () => {
    const clock = new ManualClock();
    const watchdog = watchdogOn(clock);
    expect(clock.pendingTimers).toBe(1);
    watchdog.stop();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(600_000);
    expect(watchdog.hasExpired).toBe(false);
  });
});
