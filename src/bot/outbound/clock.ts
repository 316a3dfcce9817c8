// Time for the outbound sender. Injected so tests and benchmarks can run the real pacing logic on a
// faster clock: a scaled clock keeps every ratio (1 s per chat, 30 per second, retry_after) and only
// shrinks the wall time, so behaviour under test is the behaviour in production.

export interface SenderClock {
  /** Milliseconds on this clock's time line. */
  now(): number;
  /** Calls `fn` after `ms` of this clock's time; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Real time. Timers are unref'd: a pending retry never keeps the process alive on its own. */
export const systemSenderClock: SenderClock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return () => clearTimeout(t);
  },
};

/**
 * A clock that runs `speedup` times faster than real time: `now()` advances `speedup` ms per real
 * ms and a timer of `ms` fires after `ms / speedup` real ms.
 */
export function scaledSenderClock(speedup: number): SenderClock {
  if (!(speedup > 0) || !Number.isFinite(speedup)) throw new RangeError('speedup must be a positive number');
  const origin = performance.now();
  return {
    now: () => (performance.now() - origin) * speedup,
    setTimer(ms, fn) {
      const t = setTimeout(fn, Math.max(0, ms / speedup));
      return () => clearTimeout(t);
    },
  };
}
