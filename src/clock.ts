// Time as the services read it, injected where time is the subject (a cache's
// lifetime, a URL's expiry, a rate limit's window): the system's in
// production, one the test sets and moves by hand in tests, so none waits.
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
