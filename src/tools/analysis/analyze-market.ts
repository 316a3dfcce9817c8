import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { SIMULATED_NOTE } from '../format.js';
import { symbolArg, timeframeArg } from '../market/args.js';

export const analyzeMarket = defineTool({
  name: 'analyze-market',
  title: 'Analyse market',
  description:
    'Technical summary of a symbol on a timeframe: trend, momentum, volatility, support and resistance, volume, and a signal (strong_buy … strong_sell) with strength and confidence and the reasons. ' +
    'The analysis is stored (with an expiry) so it can be scored later and explained. Example: {"symbol":"SOL/USDT","timeframe":"4h"}.',
  permission: 'read:market',
  input: { symbol: symbolArg, timeframe: timeframeArg.default('4h') },
  output: {
    analysisId: z.string().describe('Stored analysis id'),
    symbol: z.string().describe('Canonical symbol'),
    timeframe: z.string().describe('Timeframe'),
    signal: z.string().describe('strong_buy, buy, neutral, sell or strong_sell'),
    strength: z.number().describe('0–1'),
    confidence: z.number().describe('0–1'),
    price: z.string().describe('Last close'),
    reasons: z.array(z.string()).describe('Why, in plain words'),
    expiresAt: z.string().describe('When this analysis stops being current'),
    simulated: z.boolean().describe('True for the simulated market'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run(ctx, args) {
    const a = await ctx.services.analysis.analyzeMarket(ctx.actor, args.symbol, args.timeframe);
    const lv = a.summary.levels;
    const fmt = (xs: ReadonlyArray<{ price: number }>): string => xs.map((l) => l.price.toPrecision(6)).join(', ') || '—';
    const text = [
      `${a.symbol} ${a.timeframe}: ${a.signal.replace('_', ' ').toUpperCase()} (strength ${(a.strength * 100).toFixed(0)}%, confidence ${(a.confidence * 100).toFixed(0)}%) at ${a.price}`,
      a.headline,
      ...a.reasons.map((r) => `• ${r}`),
      `Support: ${fmt(lv.support)} · Resistance: ${fmt(lv.resistance)}`,
      ...(a.whaleBiasLine ? [a.whaleBiasLine] : []),
      `Valid until ${a.expiresAt}. Not financial advice.`,
      ...(a.simulated ? [SIMULATED_NOTE] : []),
    ].join('\n');
    return { text, data: a };
  },
});
