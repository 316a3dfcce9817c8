// `mikey data backfill SYMBOL TIMEFRAME --since YYYY-MM-DD`: loads history into the candle store with
// a progress bar on stderr; Ctrl-C stops after the page in flight (what is stored stays stored, and
// running the same command again resumes). With MIKEY_MARKET=auto and no network the market falls
// back to simulated prices; storing those as history needs `--simulated`, said out loud.
import { parseArgs } from 'node:util';
import { UsageError, type Command, type Out } from '../../cli-types.js';
import { forwardedInput } from '../../control/socket.js';
import { AppError, ErrorCode } from '../errors.js';
import { progressReporter, type ProgressSink } from './progress.js';

const stderrSink: ProgressSink = {
  write: (s) => process.stderr.write(s),
  get isTTY() {
    return process.stderr.isTTY === true;
  },
  get columns() {
    return process.stderr.columns;
  },
};

/** Progress for a caller in another process (through the holder's command socket): lines on its stderr. */
function callerSink(out: Out): ProgressSink {
  return { write: (s) => { for (const line of s.split('\n')) if (line.trim() !== '') out.error(line); }, isTTY: false };
}

export function makeBackfillCommand(ownSink: ProgressSink = stderrSink): Command {
  return async (app, args, out) => {
    // Run for another mikey process (this one holds the database): its progress and its Ctrl-C are the caller's.
    const forwarded = forwardedInput(out);
    const sink = forwarded ? callerSink(out) : ownSink;
    const { values, positionals } = parseArgs({
      args,
      options: { since: { type: 'string' }, 'page-size': { type: 'string' }, simulated: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    const [symbol, timeframe] = positionals;
    if (!symbol || !timeframe || positionals.length > 2) throw new UsageError('data backfill needs SYMBOL TIMEFRAME --since YYYY-MM-DD, e.g. data backfill BTC/USDT 1h --since 2025-01-01');
    if (values.since === undefined) throw new UsageError('data backfill needs --since YYYY-MM-DD (the first day to load)');
    const pageSize = values['page-size'] === undefined ? undefined : Number(values['page-size']);
    if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)) throw new UsageError('--page-size must be a whole number from 1 to 1000');
    const market = app.services.market;
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    if (forwarded) forwarded.signal.addEventListener('abort', onSignal, { once: true });
    else process.once('SIGINT', onSignal);
    try {
      // Refuse a bad timeframe or date before probing or loading anything.
      market.checkBackfillRequest({ timeframe, since: values.since });
      const source = await market.ready();
      if (source.simulated && app.config.MIKEY_MARKET === 'auto' && values.simulated !== true) {
        throw new AppError(
          ErrorCode.unavailable,
          'Live market data is not reachable (MIKEY_MARKET=auto fell back to the simulated market), so these candles would be simulated, not real prices. Nothing was stored',
          'check the network (and MIKEY_EXCHANGE, PYTH_HERMES_URL) and run it again, or add --simulated to store simulated candles on purpose',
        );
      }
      // A market the venue lists but the stored catalog does not know yet: load the venue's list first.
      try {
        market.resolveSymbol(symbol);
      } catch {
        await market.loadMarkets().catch(() => undefined);
      }
      sink.write(`Backfilling ${symbol.toUpperCase()} ${timeframe} from ${source.description}\n`);
      const r = await market.backfill(
        { symbol, timeframe, since: values.since },
        { onProgress: progressReporter(sink), signal: controller.signal, ...(pageSize ? { pageSize } : {}) },
      );
      const seconds = (r.durationMs / 1000).toFixed(1);
      out.log(
        `${r.symbol} ${r.timeframe} on ${r.exchange}: ${r.written} candles stored (${r.fetched} fetched in ${r.pages} pages, ${seconds} s), ` +
          `${r.resumedFrom.getTime() > r.from.getTime() ? `resumed at ${r.resumedFrom.toISOString()}, ` : ''}` +
          `covering ${r.from.toISOString()} to ${r.to.toISOString()}.${r.simulated ? ' Simulated market data, not real prices.' : ''}`,
      );
      return 0;
    } finally {
      if (forwarded) forwarded.signal.removeEventListener('abort', onSignal);
      else process.off('SIGINT', onSignal);
    }
  };
}
