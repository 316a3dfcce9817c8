import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { backtestInputShape, compareBacktestsShape, getBacktestShape, type BacktestComparisonView, type BacktestDetailView, type BacktestSummaryView } from '../../services/backtest/backtest-service.js';
import { grouped, signed, SIMULATED_NOTE, tableBlock } from '../format.js';

const pct = (v: string | null): string => (v === null ? '—' : `${signed(v, 2)}%`);
const when = (iso: string | null): string => (iso === null ? '—' : iso.slice(0, 16).replace('T', ' '));

/** The person's backtests as a table: short id, name, kind, market, return, P&L, trades, when. */
export function backtestListText(rows: readonly BacktestSummaryView[], filter = ''): string {
  if (rows.length === 0) return filter ? `No backtests ${filter} yet.` : 'No backtests yet. Try: backtest a BTC grid from 60k to 80k over the last 90 days.';
  return [
    `Your last ${rows.length} backtest${rows.length === 1 ? '' : 's'}${filter ? ` ${filter}` : ''}, newest first:`,
    tableBlock(
      ['id', 'name', 'market', 'return', 'P&L', 'fills', 'run'],
      rows.map((r) => [r.id.slice(0, 8), r.name.length > 40 ? `${r.name.slice(0, 39)}…` : r.name, `${r.symbol ?? '—'} ${r.timeframe ?? ''}`.trim(), pct(r.returnPct), signed(r.totalPnl, 2), String(r.tradeCount), when(r.createdAt)]),
    ),
    'get-backtest with an id shows its fills.',
  ].join('\n');
}

/** One backtest's figures and a page of its fills as a trades table. */
export function backtestDetailText(b: BacktestDetailView): string {
  const lines = [
    `${b.name} (${b.id.slice(0, 8)}): ${pct(b.returnPct)} (${signed(b.totalPnl, 2)}) against buy-and-hold ${pct(b.buyAndHoldReturnPct)}, ${b.fillCount} fill${b.fillCount === 1 ? '' : 's'}.`,
  ];
  if (b.fills.length === 0) {
    lines.push(b.fillCount === 0 ? 'The strategy never traded in this window.' : `No fills after number ${b.offset}; there are ${b.fillCount}.`);
  } else {
    lines.push(
      tableBlock(
        ['#', 'time', 'side', 'type', 'quantity', 'price', 'fee', 'tag'],
        b.fills.map((f) => [String(f.seq), when(f.at), f.side, f.type, grouped(f.quantity), grouped(f.price), grouped(f.fee, 4), f.tag ?? '']),
      ),
    );
    const shownTo = b.offset + b.fills.length;
    if (shownTo < b.fillCount) lines.push(`Fills ${b.offset + 1}–${shownTo} of ${b.fillCount}; ask with offset ${shownTo} for the next.`);
  }
  if (b.simulated) lines.push(SIMULATED_NOTE);
  return lines.join('\n');
}

export const listBacktests = defineTool({
  name: 'list-backtests',
  title: 'List your backtests',
  description: 'Your stored backtests, newest first: short id, name, market and timeframe, return, P&L, fills and when it ran.',
  permission: 'read:portfolio',
  input: {
    limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20).describe('How many, newest first (1–100, default 20)'),
    symbol: z
      .string()
      .regex(/^[A-Za-z0-9]{1,15}(?:[/-][A-Za-z0-9]{1,15})?$/, 'must be a market like BTC/USDT or BTC-PERP, or an asset like BTC')
      .optional()
      .describe('Only backtests of this market ("BTC/USDT"), or of any market of this asset ("BTC")'),
    strategy: backtestInputShape.strategy.optional().describe('Only backtests of this strategy kind'),
  },
  output: {
    backtests: z.array(z.object({ id: z.string(), name: z.string(), symbol: z.string().nullable(), returnPct: z.string().nullable(), totalPnl: z.string(), tradeCount: z.number() })).describe('Newest first'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const backtests = await ctx.services.backtest.listBacktests(ctx.actor, { limit: args.limit, ...(args.symbol ? { symbol: args.symbol } : {}), ...(args.strategy ? { strategy: args.strategy } : {}) });
    const filter = `${args.strategy ? ` of ${args.strategy.replaceAll('_', ' ')}` : ''}${args.symbol ? ` on ${args.symbol.toUpperCase()}` : ''}`.trim();
    return { text: backtestListText(backtests, filter), data: { backtests } };
  },
});

export const getBacktest = defineTool({
  name: 'get-backtest',
  title: 'Show a backtest and its fills',
  description: 'One of your stored backtests by id (or its first characters): its return beside buy-and-hold and its fills in order as a trades table, a page at a time (offset, limit up to 500).',
  permission: 'read:portfolio',
  input: getBacktestShape,
  output: {
    id: z.string(),
    name: z.string(),
    returnPct: z.string().nullable(),
    buyAndHoldReturnPct: z.string().nullable(),
    fillCount: z.number().describe('Every fill stored for the run'),
    fills: z.array(z.object({ seq: z.number(), at: z.string(), side: z.string(), type: z.string(), price: z.string(), quantity: z.string(), fee: z.string(), tag: z.string().nullable() })).describe('The page asked for, in order'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const detail = await ctx.services.backtest.getBacktest(ctx.actor, args);
    return { text: backtestDetailText(detail), data: detail };
  },
});

/** Two backtests side by side: a table of their figures, which is better on each, and whether they compare like for like. */
export function backtestComparisonText(c: BacktestComparisonView): string {
  const { first: a, second: b } = c;
  const label = (x: typeof a): string => `${x.id.slice(0, 8)} ${x.name.length > 28 ? `${x.name.slice(0, 27)}…` : x.name}`;
  const num = (v: number | null, digits: number, suffix = ''): string => (v === null ? '—' : `${v.toFixed(digits)}${suffix}`);
  const window = (x: typeof a): string => `${x.from?.slice(0, 10) ?? '—'} to ${x.to?.slice(0, 10) ?? '—'}`;
  const rows: string[][] = [
    ['strategy', a.strategy ?? '—', b.strategy ?? '—'],
    ['market', `${a.symbol ?? '—'} ${a.timeframe ?? ''}`.trim(), `${b.symbol ?? '—'} ${b.timeframe ?? ''}`.trim()],
    ['window', window(a), window(b)],
    ['return', pct(a.returnPct), pct(b.returnPct)],
    ['P&L', signed(a.totalPnl, 2), signed(b.totalPnl, 2)],
    ['Sharpe', num(a.sharpe, 2), num(b.sharpe, 2)],
    ['max drawdown', num(a.maxDrawdownPct, 2, '%'), num(b.maxDrawdownPct, 2, '%')],
    ['win rate', a.winRate === null ? '—' : `${(a.winRate * 100).toFixed(0)}%`, b.winRate === null ? '—' : `${(b.winRate * 100).toFixed(0)}%`],
    ['fills', String(a.trades), String(b.trades)],
    ['buy & hold', pct(a.buyAndHoldReturnPct), pct(b.buyAndHoldReturnPct)],
  ];
  const name = (w: 'first' | 'second'): string => (w === 'first' ? a : b).id.slice(0, 8);
  const verdicts: string[] = [];
  if (c.better.returnPct) verdicts.push(`${name(c.better.returnPct)} returned more`);
  if (c.better.sharpe) verdicts.push(`${name(c.better.sharpe)} had the better return for its risk (Sharpe)`);
  if (c.better.maxDrawdownPct) verdicts.push(`${name(c.better.maxDrawdownPct)} fell less from its peak`);
  const lines = [`Backtests compared, ${label(a)} and ${label(b)}:`, tableBlock(['', label(a), label(b)], rows)];
  if (verdicts.length > 0) lines.push(`${verdicts.join('; ')}.`);
  if (!c.sameMarket || !c.sameWindow) {
    lines.push(`Not like for like: ${!c.sameMarket ? 'different markets or timeframes' : ''}${!c.sameMarket && !c.sameWindow ? ' and ' : ''}${!c.sameWindow ? 'different windows' : ''}, so each is best read against its own buy-and-hold.`);
  }
  if (a.simulated || b.simulated) lines.push(SIMULATED_NOTE);
  return lines.join('\n');
}

export const compareBacktests = defineTool({
  name: 'compare-backtests',
  title: 'Compare two backtests',
  description:
    'Two of your stored backtests side by side (default: your two most recent): return, P&L, Sharpe, max drawdown, win rate, fills and buy-and-hold, which is better on each, and whether they ran on the same market and window. ' +
    'Example: {"backtestIds":["1a2b3c4d","5e6f7a8b"]}.',
  permission: 'read:portfolio',
  input: compareBacktestsShape,
  output: {
    first: z.object({ id: z.string(), name: z.string(), returnPct: z.string().nullable(), sharpe: z.number().nullable(), maxDrawdownPct: z.number().nullable() }).passthrough(),
    second: z.object({ id: z.string(), name: z.string(), returnPct: z.string().nullable(), sharpe: z.number().nullable(), maxDrawdownPct: z.number().nullable() }).passthrough(),
    sameMarket: z.boolean(),
    sameWindow: z.boolean(),
    better: z.object({ returnPct: z.enum(['first', 'second']).nullable(), sharpe: z.enum(['first', 'second']).nullable(), maxDrawdownPct: z.enum(['first', 'second']).nullable() }).describe('Which of the two is better on each measure; null on a tie'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const c = await ctx.services.backtest.compareBacktests(ctx.actor, args);
    return { text: backtestComparisonText(c), data: c };
  },
});
