import { z } from 'zod';
import { defineTool, READ_ONLY, untrusted } from '../../mcp/tool.js';
import { getRiskMetricsShape } from '../../services/risk/schemas.js';
import { grouped, pct, signed, tableBlock } from '../format.js';

export const getRiskMetrics = defineTool({
  name: 'get-risk-metrics',
  title: 'Get risk metrics',
  description:
    'Risk of a portfolio now: historical VaR 95/99, max and current drawdown, long/short/gross/net exposure, leverage, margin used, today\'s P&L, each position\'s share of equity and distance to liquidation, limits and halts. Example: {}.',
  permission: 'read:portfolio',
  input: getRiskMetricsShape,
  output: {
    portfolioId: z.string().describe('Portfolio id'),
    equity: z.string().describe('Equity in the base currency'),
    leverage: z.number().nullable().describe('Gross exposure / equity'),
    exposure: z.object({ gross: z.string(), net: z.string() }).passthrough().describe('Exposure'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const m = await ctx.services.risk.getRiskMetrics(ctx.actor, args);
    const text = [
      `Equity ${grouped(m.equity, 2)} ${m.baseCurrency} · today ${signed(m.dailyPnl)} · leverage ${m.leverage?.toFixed(2) ?? '—'}x · margin ${grouped(m.marginUsed, 2)}`,
      `VaR 95% ${m.valueAtRisk95 ? `${grouped(m.valueAtRisk95.amount, 2)} (${pct(m.valueAtRisk95.fraction)})` : '— (not enough history)'} · VaR 99% ${m.valueAtRisk99 ? grouped(m.valueAtRisk99.amount, 2) : '—'} · ${m.returnsObserved} daily returns`,
      `Drawdown now ${m.currentDrawdown.percent.toFixed(2)}% · max ${m.maxDrawdown.percent.toFixed(2)}% · exposure gross ${grouped(m.exposure.gross, 2)}, net ${signed(m.exposure.net)}`,
      ...(m.halted.user || m.halted.portfolio ? [`TRADING HALTED${m.halted.reason ? ` (reason: ${untrusted('halt reason', m.halted.reason)})` : ''}`] : []),
      ...(m.positions.length
        ? [tableBlock(['symbol', 'side', 'notional', 'of equity', 'liq.', 'to liq.'], m.positions.map((p) => [p.symbol, p.side, grouped(p.notional, 2), pct(p.shareOfEquity), grouped(p.liquidationPrice, 2), p.distanceToLiquidationPercent === null ? '—' : `${p.distanceToLiquidationPercent.toFixed(1)}%`]))]
        : []),
    ].join('\n');
    return { text, data: m };
  },
});
