// A clock the test sets and moves by hand, for the services where time is the
// subject (rate limit windows, the model list's lifetime, audio URLs' expiry):
// no test sleeps to see time pass, and no real minute boundary splits a test.
import type { Clock } from "../../src/clock.js";

export class ManualClock implements Clock {
  /** Starts at `time` (default: the real time, so rows dated by the database stay in step). */
  constructor(private time = Date.now()) {}

  now(): number {
    return this.time;
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.time += ms;
  }

  /** Puts the clock at `time` (ms since the epoch). */
  set(time: number): void {
    this.time = time;
  }
}
