import { z } from 'zod';
import { defineTool, READ_ONLY_OPEN_WORLD } from '../../mcp/tool.js';
import { SIMULATED_NOTE } from '../format.js';
import { symbolArg } from './args.js';

export const getFundingRate = defineTool({
  name: 'get-funding-rate',
  title: 'Get funding rate',
  description:
    'Current funding rate of a perpetual (per interval and annualised) and the next funding time. Positive means longs pay shorts. Example: {"symbol":"BTC-PERP"}.',
  permission: 'read:market',
  input: { symbol: symbolArg.describe('A perpetual such as "BTC-PERP"') },
  output: {
    symbol: z.string().describe('Canonical symbol'),
    rate: z.string().describe('Rate per interval as a fraction'),
    ratePercent: z.string().describe('Rate per interval in percent'),
    intervalHours: z.number().describe('Funding interval in hours'),
    annualizedPercent: z.string().describe('Annualised rate in percent'),
    simulated: z.boolean().describe('True for the simulated market'),
  },
  annotations: READ_ONLY_OPEN_WORLD,
  async run(ctx, args) {
    const f = await ctx.services.market.getFundingRate(args.symbol);
    const text = `${f.symbol} funding ${f.ratePercent}% per ${f.intervalHours}h (≈ ${f.annualizedPercent}% a year)${f.nextFundingTime ? `, next at ${f.nextFundingTime}` : ''}.${f.simulated ? ' ' + SIMULATED_NOTE : ''}`;
    return { text, data: f };
  },
});
