import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { getPerformanceShape } from '../../services/portfolio/schemas.js';
import { dailyClosedPerformance } from '../../services/portfolio/position-insights.js';
import { grouped, signed, tableBlock } from '../format.js';
import { dailyPerformanceTable } from './position-insights-text.js';

export const getPerformance = defineTool({
  name: 'get-performance',
  title: 'Get performance',
  description:
    'How you did over a period (day, week, month, all): P&L and return, realised/unrealised, fees, win rate, profit factor, Sharpe, max drawdown, and P&L per pair and per day. Example: {"period":"week"}.',
  permission: 'read:portfolio',
  input: getPerformanceShape,
  output: {
    period: z.string().describe('day, week, month or all'),
    pnl: z.string().describe('P&L over the period'),
    returnPercent: z.string().nullable().describe('Return in percent'),
    winRate: z.number().nullable().describe('Share of winning closed trades, 0–1'),
    sharpeRatio: z.number().nullable().describe('Annualised Sharpe from daily returns'),
    byPair: z.array(z.object({ symbol: z.string(), pnl: z.string() }).passthrough()).describe('P&L per pair'),
    closedByDay: z
      .array(
        z.object({
          date: z.string(),
          trades: z.number(),
          winRate: z.number().nullable(),
          totalPnl: z.string(),
          bestTrade: z.string().nullable(),
          worstTrade: z.string().nullable(),
          averageHoldingSeconds: z.number().nullable(),
        }),
      )
      .describe('Closed positions per whole UTC day from the first day of the period: count, win rate (0–1), realised P&L before fees, best and worst, average holding time'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const p = await ctx.services.portfolio.getPerformance(ctx.actor, args);
    const closedByDay = await dailyClosedPerformance(ctx.services.db, ctx.actor.userId, p.portfolioId, new Date(p.from));
    const dayTable = dailyPerformanceTable(closedByDay);
    const text = [
      `${p.period === 'all' ? 'All time' : `This ${p.period}`}: ${signed(p.pnl)}${p.returnPercent ? ` (${signed(p.returnPercent)}%)` : ''} · equity ${grouped(p.equityStart, 2)} → ${grouped(p.equityEnd, 2)}`,
      `Realised ${signed(p.realizedPnl)} · unrealised ${signed(p.unrealizedPnl)} · fees ${grouped(p.fees, 2)} · funding ${signed(p.funding)}`,
      `${p.closedTrades} closed trade(s): win rate ${p.winRate === null ? '—' : `${(p.winRate * 100).toFixed(0)}%`} · profit factor ${p.profitFactor?.toFixed(2) ?? '—'} · Sharpe ${p.sharpeRatio?.toFixed(2) ?? '—'} · max drawdown ${p.maxDrawdown.percent.toFixed(2)}%`,
      ...(p.byPair.length ? [tableBlock(['pair', 'P&L', 'trades', 'wins'], p.byPair.map((x) => [x.symbol, signed(x.pnl), String(x.trades), String(x.wins)]))] : []),
      ...(dayTable ? [dayTable] : []),
    ].join('\n');
    return { text, data: { ...p, closedByDay } };
  },
});
