import { z } from 'zod';
import { textField } from '../../services/trading/input.js';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { grouped, tableBlock } from '../format.js';

export const searchMarkets = defineTool({
  name: 'search-markets',
  title: 'Search markets',
  description:
    'Finds tradable markets by name or asset, with tick size, step size, minimum order and maximum leverage. Use when a symbol is unknown or to check order size rules. Example: {"query":"sol","kind":"perp"}.',
  permission: 'read:market',
  input: {
    query: textField('query', 40).describe('Part of a symbol or asset, e.g. "sol", "BTC/"'),
    kind: z.enum(['spot', 'perp']).optional().describe('Only spot or only perpetual markets'),
    limit: z.number().int().min(1).max(100).default(20).describe('At most this many results (default 20)'),
  },
  output: {
    markets: z.array(z.object({ symbol: z.string(), kind: z.string(), tickSize: z.string(), stepSize: z.string(), minNotional: z.string() }).passthrough()).describe('Matching markets'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const markets = ctx.services.market.searchMarkets(args.query, args.kind, args.limit);
    const text = markets.length
      ? tableBlock(['symbol', 'kind', 'tick', 'step', 'min qty', 'min notional', 'max lev'], markets.map((m) => [m.symbol, m.kind, grouped(m.tickSize), grouped(m.stepSize), grouped(m.minQty), grouped(m.minNotional), `${m.maxLeverage}x`]))
      : `No market matches "${args.query}". Try a base asset such as "btc" or "eth".`;
    return { text, data: { markets } as never };
  },
});
