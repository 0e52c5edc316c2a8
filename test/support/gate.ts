// Work a test finishes by hand, for the modules that schedule work (the
// concurrency limiter): a test sees whether it started, then ends it. And a
// promise a test releases by hand (the fake Faseeh's `hold` answer).

/** A piece of work the test finishes by hand, and whether it has started. */
export interface Gate {
  started: boolean;
  work: () => Promise<string>;
  finish(value: string): void;
  fail(error: Error): void;
}

export function gate(): Gate {
  let finish!: (value: string) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const state: Gate = {
    started: false,
    work: () => {
      state.started = true;
      return promise;
    },
    finish,
    fail,
  };
  return state;
}

/** Lets every already-settled promise run its callbacks. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A promise the test settles by hand, e.g. for the fake Faseeh's `hold` answer: `until` resolves once `release()` is called. */
export function releasable(): { until: Promise<void>; release: () => void } {
  let resolve!: () => void;
  const until = new Promise<void>((done) => (resolve = done));
  return { until, release: () => resolve() };
}
