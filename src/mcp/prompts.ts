// MCP prompts: ready-made conversations a client offers its user.
import { z } from 'zod';

export interface PromptSpec {
  name: string;
  title: string;
  description: string;
  args: z.ZodRawShape;
  build(args: Record<string, string | undefined>): string;
}

export const PROMPTS: PromptSpec[] = [
  {
    name: 'daily-briefing',
    title: 'Daily briefing',
    description: 'A short briefing on my portfolio, open positions, alerts fired and the markets I hold.',
    args: {},
    build: () =>
      'Give me my daily trading briefing. Use get-portfolio, get-positions and get-performance (period "day" and "week"), list-alerts, and get-price for the symbols I hold. ' +
      'Lead with numbers: equity, P&L today and this week, biggest movers among my positions, alerts that fired, and any risk limit close to breach (get-risk-metrics). ' +
      'Say whether each account is paper or live and whether prices are simulated. Do not place or change any order.',
  },
  {
    name: 'analyze-symbol',
    title: 'Analyse a symbol',
    description: 'Technical analysis of one symbol on one timeframe, with a chart.',
    args: {
      symbol: z.string().describe('Symbol, e.g. BTC/USDT or SOL-PERP'),
      timeframe: z.string().optional().describe('Timeframe such as 1h, 4h or 1d (default 4h)'),
    },
    build: (a) =>
      `Analyse ${a.symbol ?? 'BTC/USDT'} on the ${a.timeframe ?? '4h'} timeframe. Use analyze-market, get-indicators and get-chart. ` +
      'Report trend, momentum, volatility, support and resistance, and the signal with its confidence; note if the data is simulated. Do not trade.',
  },
  {
    name: 'review-risk',
    title: 'Review my risk',
    description: 'Check exposure, leverage, drawdown and limits, and suggest changes.',
    args: {},
    build: () =>
      'Review my risk: use get-risk-metrics, get-risk-limits, get-positions and get-portfolio. Show exposure, leverage, VaR, drawdown and each limit with how close I am to it. ' +
      'Suggest limit changes or protective stops, but do not change anything unless I confirm.',
  },
];
