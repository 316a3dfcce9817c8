import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { getShadowShape } from '../../services/trading/schemas.js';
import { renderTable } from '../../format/table.js';

export const getShadow = defineTool({
  name: 'get-shadow',
  title: 'Live against paper shadow',
  description:
    'How a LIVE portfolio did against its paper shadow (a paper twin that receives the same orders): slippage in basis points, fees, missed or partial fills, order by order. Example: {} (your only live portfolio) or {"portfolioId":"3f9a1c2e"}.',
  permission: 'read:portfolio',
  input: getShadowShape,
  output: {
    livePortfolioId: z.string().describe('The live portfolio'),
    shadowPortfolioId: z.string().describe('Its paper shadow'),
    totals: z.object({}).passthrough().describe('Orders compared, missed or partial fills, average slippage (bps), fees live and paper'),
    pairs: z.array(z.object({}).passthrough()).describe('Each live order beside its shadow twin'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const r = await ctx.services.trading.getShadow(ctx.actor, args);
    const t = r.totals;
    const head =
      `🔴 LIVE "${r.portfolioName}" against its 📝 paper shadow, last ${t.orders} order${t.orders === 1 ? '' : 's'}: ` +
      `average slippage ${t.averageSlippageBps ?? 'n/a'} bps (positive: live paid more) · fees ${t.liveFees} live vs ${t.shadowFees} paper · ` +
      `${t.missedOrPartial} missed or partial fill${t.missedOrPartial === 1 ? '' : 's'}`;
    const table = r.pairs.length
      ? renderTable(
          ['order', 'market', 'side', 'qty', 'live', 'paper', 'slip bps', 'fee diff'],
          r.pairs.map((x) => [
            x.liveOrderId.slice(0, 8),
            x.symbol,
            x.side,
            x.quantity,
            `${x.live.filled} @ ${x.live.averagePrice ?? '-'}`,
            x.shadow ? `${x.shadow.filled} @ ${x.shadow.averagePrice ?? '-'}` : 'not mirrored',
            x.slippageBps ?? '-',
            x.feeDifference ?? '-',
          ]),
        )
      : 'No live orders yet.';
    const { portfolioName: _name, ...data } = r;
    return { text: `${head}\n${table}`, data: data as never };
  },
});
