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

/** A clock that moves only when told: tests drive the sender through time independent of machine speed. */
export interface ManualSenderClock extends SenderClock {
  /** Moves time to the earliest pending timer and fires it; false when no timer is pending. */
  fireNext(): boolean;
  /** Timers not yet fired or cancelled. */
  pendingTimers(): number;
}

export function manualSenderClock(start = 0): ManualSenderClock {
  let now = start;
  let seq = 0;
  const timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  return {
    now: () => now,
    setTimer(ms, fn) {
      const timer = { at: now + Math.max(0, ms), seq: seq++, fn };
      timers.push(timer);
      return () => {
        const i = timers.indexOf(timer);
        if (i >= 0) timers.splice(i, 1);
      };
    },
    fireNext() {
      if (timers.length === 0) return false;
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = timers.shift()!;
      now = Math.max(now, next.at);
      next.fn();
      return true;
    },
    pendingTimers: () => timers.length,
  };
}
