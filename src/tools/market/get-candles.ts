import { z } from 'zod';
import { defineTool, READ_ONLY_OPEN_WORLD } from '../../mcp/tool.js';
import { grouped, SIMULATED_NOTE, tableBlock } from '../format.js';
import { symbolArg, timeframeArg } from './args.js';

export const getCandles = defineTool({
  name: 'get-candles',
  title: 'Get candles',
  description:
    'OHLCV candles for a symbol and timeframe, oldest first, from MIKEY\'s candle store (fetched from the venue when missing). ' +
    'Use for price history questions; for indicators use get-indicators, for a picture get-chart. Example: {"symbol":"ETH/USDT","timeframe":"4h","limit":50}.',
  permission: 'read:market',
  input: {
    symbol: symbolArg,
    timeframe: timeframeArg.default('1h'),
    limit: z.number().int('limit must be a whole number').min(1).max(1000).default(100).describe('How many candles, 1–1000 (default 100)'),
    since: z.string().datetime({ offset: true, message: 'since must be an ISO date-time such as 2026-01-01T00:00:00Z' }).optional().describe('Only candles opening at or after this ISO date-time'),
  },
  output: {
    symbol: z.string().describe('Canonical symbol'),
    timeframe: z.string().describe('Timeframe'),
    simulated: z.boolean().describe('True when the data comes from the simulated market'),
    candles: z.array(z.object({ openTime: z.string(), open: z.string(), high: z.string(), low: z.string(), close: z.string(), volume: z.string() }).passthrough()).describe('Candles, oldest first'),
  },
  annotations: READ_ONLY_OPEN_WORLD,
  async run(ctx, args) {
    const s = await ctx.services.market.getCandles(args.symbol, args.timeframe, { limit: args.limit, ...(args.since ? { since: args.since } : {}) });
    const last = s.candles.slice(-10);
    const text = [
      `${s.symbol} ${s.timeframe}: ${s.candles.length} candles${s.candles.length ? ` from ${s.candles[0]!.openTime} to ${s.candles.at(-1)!.openTime}` : ''}. Last ${last.length}:`,
      tableBlock(['open time', 'open', 'high', 'low', 'close', 'volume'], last.map((c) => [c.openTime.slice(0, 16).replace('T', ' '), grouped(c.open, 6), grouped(c.high, 6), grouped(c.low, 6), grouped(c.close, 6), grouped(c.volume, 2)])),
      ...(s.simulated ? [SIMULATED_NOTE] : []),
    ].join('\n');
    return { text, data: s as never };
  },
});
