// The backfill progress display on stderr: a redrawn bar on a terminal, plain lines (every 10% or
// 5 s) when stderr is a file or a pipe, so logs stay readable.
import type { BackfillProgress } from './backfill.js';

export interface ProgressSink {
  write(text: string): void;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '--:--';
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

/** One line of text for a progress report (no bar). */
export function progressLine(p: BackfillProgress): string {
  return `${p.symbol} ${p.timeframe} ${p.percent.toFixed(1)}%  ${grouped(p.fetched)} candles  ${grouped(p.rate)}/s  ETA ${formatDuration(p.etaMs)}  at ${p.cursor.toISOString().slice(0, 16)}Z`;
}

/** Returns the `onProgress` callback that draws on `sink`. */
export function progressReporter(sink: ProgressSink, now: () => number = Date.now): (p: BackfillProgress) => void {
  let lastPercent = -100;
  let lastAt = 0;
  let lastDraw = 0;
  return (p) => {
    const t = now();
    if (sink.isTTY) {
      if (!p.done && t - lastDraw < 100) return;
      lastDraw = t;
      const width = Math.max(10, Math.min(40, (sink.columns ?? 80) - 70));
      const filled = Math.round((p.percent / 100) * width);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
      sink.write(`\r\x1b[2K${bar} ${progressLine(p)}${p.done ? '\n' : ''}`);
      return;
    }
    if (p.done || p.percent - lastPercent >= 10 || t - lastAt >= 5_000) {
      lastPercent = p.percent;
      lastAt = t;
      sink.write(`${progressLine(p)}\n`);
    }
  };
}
