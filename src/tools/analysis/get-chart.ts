import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { Permission, hasPermission } from '../../services/api-keys.js';
import { AppError, ErrorCode } from '../../services/errors.js';
import { portfolioIdField } from '../../services/portfolio/schemas.js';
import { symbolArg, timeframeArg } from '../market/args.js';

const OVERLAYS = ['ema20', 'ema50', 'sma200', 'bollinger', 'vwap'] as const;

export const getChart = defineTool({
  name: 'get-chart',
  title: 'Get chart',
  description:
    'A chart as a PNG image: a candlestick chart with volume and indicator overlays for a symbol (kind "candles"), or the equity curve of a portfolio (kind "equity"). ' +
    'Show it to the person when they would rather look than read. Example: {"symbol":"BTC/USDT","timeframe":"1h","overlays":["ema20","bollinger"]}.',
  permission: 'read:market',
  input: {
    kind: z.enum(['candles', 'equity']).default('candles').describe('candles (a symbol) or equity (a portfolio)'),
    symbol: symbolArg.optional().describe('Symbol for a candlestick chart, e.g. "ETH/USDT"'),
    timeframe: timeframeArg.default('1h'),
    limit: z.number().int().min(20).max(500).default(200).describe('Candles to show, 20–500 (default 200)'),
    overlays: z.array(z.enum(OVERLAYS)).max(5).default(['ema20', 'ema50']).describe(`Overlays: ${OVERLAYS.join(', ')}`),
    portfolioId: portfolioIdField.optional().describe('Portfolio for an equity chart: its id or first 4+ characters (default: your default portfolio)'),
  },
  output: {
    kind: z.string().describe('candles or equity'),
    title: z.string().describe('What the chart shows'),
    width: z.number().describe('Pixels'),
    height: z.number().describe('Pixels'),
    simulated: z.boolean().describe('True when the prices are simulated'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(ctx, args) {
    if (args.kind === 'equity') {
      if (ctx.permissions !== 'all' && !hasPermission({ permissions: [...ctx.permissions] }, Permission.readPortfolio)) {
        throw new AppError(ErrorCode.forbidden, 'Permission denied: an equity chart needs "read:portfolio"', 'use a key with read:portfolio');
      }
      const series = await ctx.services.portfolio.getEquitySeries(ctx.actor, args.portfolioId ? { portfolioId: args.portfolioId } : {});
      if (series.points.length === 0) {
        throw new AppError(ErrorCode.notFound, 'No equity history yet for this portfolio', 'daily snapshots build it; trade and come back tomorrow');
      }
      const title = `Portfolio equity (${series.baseCurrency})`;
      const { renderEquityCurve } = await import('../../adapters/chart/index.js');
      const chart = renderEquityCurve({ title, points: series.points.map((p) => ({ time: new Date(p.at), equity: p.value })), currency: series.baseCurrency });
      const first = series.points[0]!;
      const last = series.points.at(-1)!;
      return {
        text: `${title}: ${first.value} → ${last.value} from ${first.date} to ${last.date} (${series.points.length} points).`,
        images: [{ data: chart.png, mimeType: 'image/png' }],
        data: { kind: 'equity', title, width: chart.width, height: chart.height, simulated: false },
      };
    }
    if (!args.symbol) throw new AppError(ErrorCode.invalidInput, 'A candlestick chart needs a symbol', 'give symbol, e.g. "BTC/USDT", or kind "equity"');
    const c = await ctx.services.analysis.getChart({ symbol: args.symbol, timeframe: args.timeframe, limit: args.limit, overlays: args.overlays });
    const title = `${c.symbol} ${c.timeframe} · ${c.candleCount} candles${c.overlays.length ? ` · ${c.overlays.join(', ')}` : ''}`;
    return {
      text: `${title} (${c.from} → ${c.to})${c.simulated ? ' — SIMULATED prices' : ''}.`,
      images: [{ data: c.png, mimeType: 'image/png' }],
      data: { kind: 'candles', title, width: c.width, height: c.height, simulated: c.simulated },
    };
  },
});
