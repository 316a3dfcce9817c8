import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { tableBlock } from '../format.js';
import { symbolArg } from '../market/args.js';

export const listAnalyses = defineTool({
  name: 'list-analyses',
  title: 'List analyses',
  description: 'MIKEY\'s stored analyses (newest first) with recommendation, confidence and whether they have expired. Example: {"symbol":"BTC/USDT","limit":5}.',
  permission: 'read:market',
  input: {
    symbol: symbolArg.optional().describe('Only analyses of this symbol'),
    limit: z.number().int().min(1).max(100).default(10).describe('At most this many (default 10)'),
  },
  output: { analyses: z.array(z.object({ id: z.string(), recommendation: z.string(), confidence: z.string() }).passthrough()).describe('Stored analyses') },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const analyses = await ctx.services.analysis.listAnalyses(ctx.actor, { ...(args.symbol ? { symbol: args.symbol } : {}), limit: args.limit });
    const text = analyses.length
      ? tableBlock(['when', 'symbol', 'tf', 'call', 'conf.', 'price', 'status'], analyses.map((a) => [a.createdAt.slice(0, 16).replace('T', ' '), a.symbol ?? '—', a.timeframe ?? '—', a.signal ?? a.recommendation, a.confidence, a.price ?? '—', a.expired ? 'expired' : 'current']))
      : 'No analyses yet. Ask for one with analyze-market.';
    return { text, data: { analyses } as never };
  },
});
