import { z } from 'zod';
import { symbolArg } from './args.js';
import { defineTool, READ_ONLY_OPEN_WORLD } from '../../mcp/tool.js';
import { grouped, SIMULATED_NOTE, tableBlock } from '../format.js';

export const getPrice = defineTool({
  name: 'get-price',
  title: 'Get price',
  description:
    'Latest price of one or many symbols: the oracle price (Pyth) with its confidence interval and age, and the venue bid/ask. ' +
    'Use before trading or when asked "what is X doing". Each result says whether it is fresh and whether it is simulated. Example: {"symbols":["BTC/USDT","SOL-PERP"]}.',
  permission: 'read:market',
  input: {
    symbols: z
      .array(symbolArg)
      .min(1, 'give at least one symbol')
      .max(20, 'at most 20 symbols per call')
      .describe('Symbols such as "BTC/USDT", "eth", "SOL-PERP" (1–20)'),
  },
  output: {
    prices: z.array(z.object({ symbol: z.string(), price: z.string().nullable(), fresh: z.boolean(), simulated: z.boolean() }).passthrough()).describe('One entry per symbol'),
  },
  annotations: READ_ONLY_OPEN_WORLD,
  async run(ctx, args) {
    const prices = await ctx.services.market.getPrices(args.symbols);
    const rows = prices.map((p) => {
      const v = 'error' in p.venue ? undefined : p.venue;
      const o = 'error' in p.oracle ? undefined : p.oracle;
      return [
        p.symbol,
        grouped(p.price, 6),
        v ? `${grouped(v.bid, 6)} / ${grouped(v.ask, 6)}` : '—',
        o ? `±${grouped(o.confidence, 6)}` : '—',
        p.fresh ? 'fresh' : 'STALE',
      ];
    });
    const notes = [...new Set(prices.flatMap((p) => p.notes))];
    const simulated = prices.some((p) => p.simulated);
    const text = [tableBlock(['symbol', 'price', 'bid / ask', 'oracle conf.', 'status'], rows), ...(simulated ? [SIMULATED_NOTE] : []), ...notes].join('\n');
    return { text, data: { prices: prices as unknown as Array<{ symbol: string; price: string | null; fresh: boolean; simulated: boolean }> } };
  },
});
