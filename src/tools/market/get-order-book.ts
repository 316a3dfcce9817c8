import { z } from 'zod';
import { defineTool, READ_ONLY_OPEN_WORLD } from '../../mcp/tool.js';
import { grouped, SIMULATED_NOTE, tableBlock } from '../format.js';
import { symbolArg } from './args.js';

export const getOrderBook = defineTool({
  name: 'get-order-book',
  title: 'Get order book',
  description:
    'The venue\'s order book for a symbol: best bids and asks with sizes, spread and mid. Use to judge liquidity before a large order. Example: {"symbol":"BTC/USDT","depth":10}.',
  permission: 'read:market',
  input: {
    symbol: symbolArg,
    depth: z.number().int('depth must be a whole number').min(1).max(100).default(10).describe('Levels per side, 1–100 (default 10)'),
  },
  output: {
    symbol: z.string().describe('Canonical symbol'),
    bids: z.array(z.tuple([z.string(), z.string()])).describe('Bids best first: [price, size]'),
    asks: z.array(z.tuple([z.string(), z.string()])).describe('Asks best first: [price, size]'),
    spread: z.string().nullable().describe('Best ask minus best bid'),
    simulated: z.boolean().describe('True for the simulated market'),
  },
  annotations: READ_ONLY_OPEN_WORLD,
  async run(ctx, args) {
    const b = await ctx.services.market.getOrderBook(args.symbol, args.depth);
    const n = Math.max(b.bids.length, b.asks.length);
    const rows = Array.from({ length: n }, (_, i) => [grouped(b.bids[i]?.[1], 6), grouped(b.bids[i]?.[0], 6), grouped(b.asks[i]?.[0], 6), grouped(b.asks[i]?.[1], 6)]);
    const text = [`${b.symbol} on ${b.exchange}: spread ${grouped(b.spread, 6)}, mid ${grouped(b.mid, 6)}`, tableBlock(['bid size', 'bid', 'ask', 'ask size'], rows), ...(b.simulated ? [SIMULATED_NOTE] : [])].join('\n');
    return { text, data: b };
  },
});
