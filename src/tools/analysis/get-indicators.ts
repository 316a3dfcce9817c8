import { z } from 'zod';
import { defineTool, READ_ONLY_OPEN_WORLD } from '../../mcp/tool.js';
import { SIMULATED_NOTE, tableBlock } from '../format.js';
import { symbolArg, timeframeArg } from '../market/args.js';
import type { IndicatorReading } from '../../services/analysis/indicators.js';

const INDICATORS = ['sma', 'ema', 'wma', 'rsi', 'macd', 'bollinger', 'atr', 'stochastic', 'obv', 'vwap', 'adx'] as const;

export const getIndicators = defineTool({
  name: 'get-indicators',
  title: 'Get indicators',
  description:
    'Latest technical indicator values for a symbol and timeframe (SMA, EMA, WMA, RSI, MACD, Bollinger Bands, ATR, Stochastic, OBV, VWAP, ADX) with a short recent series. ' +
    'Example: {"symbol":"ETH/USDT","timeframe":"1h","indicators":["rsi","macd"]}.',
  permission: 'read:market',
  input: {
    symbol: symbolArg,
    timeframe: timeframeArg.default('1h'),
    indicators: z.array(z.enum(INDICATORS)).min(1).max(11).default(['rsi', 'macd', 'ema']).describe(`Which indicators: ${INDICATORS.join(', ')}`),
    period: z.number().int().min(2).max(200).optional().describe('Period for SMA/EMA/WMA/RSI/ATR/ADX/Bollinger (defaults: 20, RSI/ATR/ADX 14)'),
  },
  output: {
    symbol: z.string().describe('Canonical symbol'),
    timeframe: z.string().describe('Timeframe'),
    price: z.string().describe('Last close'),
    simulated: z.boolean().describe('True for the simulated market'),
    indicators: z.record(z.unknown()).describe('Readings by indicator name'),
  },
  annotations: READ_ONLY_OPEN_WORLD,
  async run(ctx, args) {
    const v = await ctx.services.analysis.getIndicators(args.symbol, args.timeframe, args.indicators, args.period);
    const rows = Object.entries(v.indicators).map(([name, r]) => [name, summarise(r)]);
    const text = [`${v.symbol} ${v.timeframe} at ${v.asOf}, last ${v.price}:`, tableBlock(['indicator', 'value'], rows), ...(v.simulated ? [SIMULATED_NOTE] : [])].join('\n');
    return { text, data: v };
  },
});

function summarise(r: IndicatorReading): string {
  const params = Object.values(r.params).join('/');
  const values = Object.entries(r.latest)
    .map(([k, n]) => `${k} ${n === null ? 'warming up' : Number.isInteger(n) ? String(n) : n.toFixed(4)}`)
    .join(', ');
  return params ? `(${params}) ${values}` : values;
}
