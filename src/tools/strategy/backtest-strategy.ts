import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { backtestInputShape, type BacktestFillView, type BacktestView } from '../../services/backtest/backtest-service.js';
import { grouped, signed, SIMULATED_NOTE, tableBlock } from '../format.js';

const percent = (value: string | number | null, decimals = 2): string => (value === null ? '—' : `${signed(String(value), decimals)}%`);
const plainPercent = (n: number | null): string => (n === null || !Number.isFinite(n) ? '—' : `${n.toFixed(2)}%`);
const ratio = (n: number | null): string => (n === null || !Number.isFinite(n) ? '—' : n.toFixed(2));
const when = (iso: string): string => iso.slice(0, 16).replace('T', ' ');

function fillLine(label: string, f: BacktestFillView, quote: string): string {
  return `${label}: ${when(f.at)} ${f.side} ${grouped(f.quantity)} at ${grouped(f.price)} ${quote} (${f.type}, fee ${grouped(f.fee, 4)})`;
}

/** What a person reads: one summary line, the strategy beside buy-and-hold, the first and last fills. */
export function backtestText(b: Omit<BacktestView, 'series'>): string {
  const bh = b.buyAndHold;
  const q = b.quote;
  const verdict = Number(b.returnPct) > Number(bh.returnPct) ? 'beat' : Number(b.returnPct) < Number(bh.returnPct) ? 'trailed' : 'matched';
  const lines = [
    `Backtest of ${b.strategy.replaceAll('_', ' ')} on ${b.symbol} ${b.timeframe}, ${b.from.slice(0, 10)} to ${b.to.slice(0, 10)} (${b.candles.toLocaleString('en-US')} candles, ${grouped(b.initialCash, 2)} ${q}): ` +
      `${percent(b.returnPct)} (${signed(b.totalPnl)} ${q}); it ${verdict} buy-and-hold at ${percent(bh.returnPct)}.`,
    tableBlock(
      ['', 'strategy', 'buy & hold'],
      [
        ['return', percent(b.returnPct), percent(bh.returnPct)],
        [`P&L (${q})`, signed(b.totalPnl), signed(bh.pnl)],
        ['final equity', grouped(b.finalEquity, 2), grouped(bh.finalEquity, 2)],
        ['trades', String(b.trades), Number(bh.quantity) > 0 ? '1' : '0'],
        ['win rate', b.winRate === null ? '—' : plainPercent(b.winRate * 100), '—'],
        ['Sharpe', ratio(b.sharpe), ratio(bh.sharpe)],
        ['max drawdown', plainPercent(b.maxDrawdownPct), plainPercent(bh.maxDrawdownPct)],
        [`fees (${q})`, grouped(b.fees, 2), grouped(bh.fee, 2)],
      ],
    ),
  ];
  if (b.firstFill) lines.push(fillLine('First fill', b.firstFill, q));
  if (b.lastFill && b.trades > 1) lines.push(fillLine('Last fill', b.lastFill, q));
  if (!b.firstFill) lines.push('No fills: the strategy never traded in this window.');
  if (b.legs !== undefined && b.legs.length > 0) {
    const legLine = b.legs.map((l) => {
      const held = Number(l.position) === 0 ? 'flat' : `${Number(l.position) < 0 ? 'short' : 'long'} ${grouped(l.position.replace('-', ''))}`;
      const funding = l.kind !== 'perp' ? '' : Number(l.fundingPaid) === 0 ? ', no funding' : `, funding ${Number(l.fundingPaid) > 0 ? 'paid' : 'received'} ${grouped(l.fundingPaid.replace('-', ''), 4)} ${q}`;
      const liquidated = l.liquidations > 0 ? `, liquidated ${l.liquidations}×` : '';
      return `${l.symbol} ${held} at the end${funding}${liquidated}`;
    });
    const f = b.funding;
    const fundingText =
      f === undefined ? ''
        : f.source === 'history' ? ` Funding: ${f.payments.toLocaleString('en-US')} payments from ${f.simulated ? 'the simulated market\'s' : `${f.exchange}'s`} funding history.`
          : ` Funding assumed constant at ${f.bps} bp per 8 hours (${f.why === 'asked' ? 'as asked' : 'no funding history for this window'}).`;
    lines.push(`Legs: ${legLine.join('; ')}.${fundingText}`);
  }
  const extras = [
    `${b.roundTrips} round trip${b.roundTrips === 1 ? '' : 's'}`,
    `fee ${b.feeBps} bps, slippage ${b.slippageBps} bps`,
    ...(b.rejections > 0 ? [`${b.rejections} order${b.rejections === 1 ? '' : 's'} refused (cash or minimum size)`] : []),
    ...(b.openOrders > 0 ? [`${b.openOrders} still working at the end`] : []),
  ];
  lines.push(`${extras.join(' · ')}. Stored as backtest ${b.id.slice(0, 8)}. Past results do not predict future ones.`);
  if (b.simulated) lines.push(SIMULATED_NOTE);
  return lines.join('\n');
}

/** The chart's title: kind, market, timeframe and window. */
export function backtestChartTitle(b: Pick<BacktestView, 'strategy' | 'symbol' | 'timeframe' | 'from' | 'to'>): string {
  const words = b.strategy === 'dca' ? 'DCA' : b.strategy === 'sma_cross' ? 'SMA cross' : b.strategy.replaceAll('_', ' ');
  const kind = words[0]!.toUpperCase() + words.slice(1);
  return `${kind} ${b.symbol} ${b.timeframe} · ${b.from.slice(0, 10)} → ${b.to.slice(0, 10)} vs buy & hold`;
}

export const backtestStrategy = defineTool({
  name: 'backtest-strategy',
  title: 'Backtest a strategy',
  description:
    'Runs a strategy (grid, dca, momentum, mean_reversion, sma_cross, market_making, liquidation_hunting, prediction_following, whale_following, statistical_arbitrage, yield_optimisation) over the stored candles of a spot market, loading what is missing, with fees and slippage on the paper matching rules, ' +
    'and answers with return, P&L, trades, win rate, Sharpe and max drawdown beside buy-and-hold of the same market, and a PNG chart of both equity curves with their drawdowns. The result is stored as one of your backtests; no order is placed. ' +
    'Parameters: grid {lower, upper, levels, quotePerLevel}; dca {quoteAmount, every, dipPercent, takeProfitPercent}; momentum {fast, slow, atrPeriod, atrMultiplier, allocation}; ' +
    'mean_reversion {period, entryZ, exitZ, allocation}; sma_cross {fast, slow, allocation}; ' +
    'market_making {orderSize, maxInventory, spreadBps, skewBps, reference (close|ema), emaPeriod, requoteBps, stopLossPercent, stopCooldown}; ' +
    'liquidation_hunting {atrPeriod, dropAtr, volumePeriod, volumeMultiple, entryDiscountPercent, entryWait, takeProfitRetrace, stopBufferPercent, maxHoldCandles, cooldown, allocation}; ' +
    'prediction_following {model (logistic_regression|gradient_boosted_trees), horizon, trainWindow, minSamples, retrainEvery, entryProbability, exitProbability, stopLoss, allocation}; ' +
    'whale_following {minCredibility (0–10), minNotionalUsd, credibilityWindow (1h|4h|24h), lookback, entryFlowUsd, quoteAmount, exitOnOpposite, stopLossPercent, takeProfitPercent, maxBarsHeld} (follows stored wallet events in the base asset); ' +
    'statistical_arbitrage {pair, lookback, entryZ, exitZ, stopZ, allocation, leverage} (trades the perpetuals of symbol\'s asset and pair); ' +
    'yield_optimisation {entryApr, exitApr, allocation, leverage} (spot long + its perpetual short while funding pays). Perpetual legs pay the funding the market\'s history shows for each funding time (or fundingBps per 8 hours, constant, when given or when there is no history). Example: {"strategy":"grid","symbol":"BTC/USDT","timeframe":"1h","days":90,"params":{"lower":"60000","upper":"80000","levels":10,"quotePerLevel":"500"}}.',
  permission: 'read:market',
  input: backtestInputShape,
  output: {
    id: z.string().describe('Stored backtest id'),
    strategy: z.string().describe('Strategy kind'),
    symbol: z.string().describe('Canonical symbol'),
    timeframe: z.string().describe('Timeframe'),
    from: z.string().describe('Open time of the first candle'),
    to: z.string().describe('Close time of the last candle'),
    candles: z.number().describe('Candles run over'),
    totalPnl: z.string().describe('Net P&L in the quote currency'),
    returnPct: z.string().describe('Return in percent of the initial cash'),
    trades: z.number().describe('Fills'),
    winRate: z.number().nullable().describe('Winning sells / sells, 0–1'),
    sharpe: z.number().nullable().describe('Annualised Sharpe ratio'),
    maxDrawdown: z.string().describe('Largest fall of equity from a peak, in the quote currency'),
    buyAndHold: z
      .object({
        entryPrice: z.string(),
        quantity: z.string(),
        fee: z.string(),
        finalEquity: z.string(),
        pnl: z.string(),
        returnPct: z.string(),
        maxDrawdown: z.string(),
        maxDrawdownPct: z.number(),
        sharpe: z.number().nullable(),
      })
      .describe('Buy-and-hold of the same market over the same window'),
    simulated: z.boolean().describe('True for the simulated market'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run(ctx, args) {
    const { series, ...b } = await ctx.services.backtest.runBacktest(ctx.actor, args, ctx.progress ? { onProgress: ctx.progress } : {});
    const text = backtestText(b);
    // The equity curves go out as a picture, not as data: a run holds up to 20,000 points.
    const { backtestChart } = await import('../../adapters/chart/index.js');
    const chart = backtestChart({
      title: backtestChartTitle(b),
      // Both curves start from the initial cash at the first open, as the figures do.
      points: [
        { time: new Date(b.from), equity: b.initialCash, buyAndHold: b.initialCash },
        ...series.map((p) => ({ time: new Date(p.at), equity: p.equity, buyAndHold: p.buyAndHold })),
      ],
      currency: b.quote,
      figures: {
        strategy: { returnPct: b.returnPct, maxDrawdownPct: b.maxDrawdownPct },
        buyAndHold: { returnPct: b.buyAndHold.returnPct, maxDrawdownPct: b.buyAndHold.maxDrawdownPct },
      },
      ...(b.simulated ? { badge: 'SIMULATED' } : {}),
    });
    return { text, images: [{ data: chart.png, mimeType: 'image/png' }], data: b };
  },
});
