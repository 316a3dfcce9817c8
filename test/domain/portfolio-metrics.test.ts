import { describe, expect, it } from 'vitest';
import {
  dailyReturns, equityDrawdown, periodKey, pnlByPeriod, pnlByPeriodFromSnapshots, pnlBySymbol, portfolioExposure, sharpeRatio, tradeStats,
  valuePortfolio, type ClosedTrade,
} from '../../src/domain/portfolio-metrics.js';
import { applyFill, type Position } from '../../src/domain/position.js';
import type { Balances } from '../../src/domain/ledger.js';
import { dec, ZERO } from '../../src/domain/money.js';
import { BTC_USDT, expectDec, market, T0, unwrap } from './trading-fixtures.js';

const ETH_PERP = market('ETH-PERP');

function open(symbol: 'BTC/USDT' | 'ETH-PERP', side: 'buy' | 'sell', qty: string, price: string): Position {
  const m = symbol === 'BTC/USDT' ? BTC_USDT : ETH_PERP;
  return unwrap(applyFill(null, { symbol, side, quantity: dec(qty), price: dec(price), fee: dec(1), at: T0, leverage: dec(5) }, m)).position!;
}

const utc = (s: string): Date => new Date(`${s}Z`);

describe('valuation', () => {
  it('cash + holdings at price + perp unrealised; realised, fees and missing prices', () => {
    const balances: Balances = {
      USDT: { asset: 'USDT', free: dec(1000), locked: dec(600) },
      BTC: { asset: 'BTC', free: dec('0.5'), locked: ZERO },
      DOGE: { asset: 'DOGE', free: dec(100), locked: ZERO },
    };
    const v = valuePortfolio({
      balances,
      positions: [open('BTC/USDT', 'buy', '0.5', '50000'), open('ETH-PERP', 'sell', '2', '3000')],
      closed: [{ symbol: 'SOL/USDT', kind: 'spot', side: 'long', quantity: dec(1), entryPrice: dec(100), exitPrice: dec(110), leverage: dec(1),
        realisedPnl: dec(10), fees: dec('0.2'), funding: ZERO, netPnl: dec('9.8'), maxDrawdown: ZERO, riskConsumed: dec(100), openedAt: T0, closedAt: T0, holdingMs: 0 }],
      assetPrices: { BTC: dec(60000) },
      markPrices: { 'BTC/USDT': dec(60000), 'ETH-PERP': dec(2900) },
    });
    expectDec(v.cash, '1600', 'free + locked USDT');
    expectDec(v.holdingsValue, '30000', '0.5 BTC × 60000 (DOGE has no price)');
    expectDec(v.unrealisedPnl, '5200', 'spot +5000, short ETH +200');
    expectDec(v.value, '31800', '1600 + 30000 + 200 perp unrealised (spot gain is already in the holding value)');
    expectDec(v.realisedPnl, '10', 'from the closed trade');
    expectDec(v.fees, '2.2', 'two opening fees + the closed trade’s');
    expectDec(v.netRealisedPnl, '7.8', '10 − 2.2');
    expect(v.missingPrices).toEqual(['DOGE']);
    expect(v.positions.map((p) => p.symbol)).toEqual(['BTC/USDT', 'ETH-PERP']);
    expectDec(v.positions[1]!.liquidationPrice, '3585', '3000 × (1 + 0.2 − 0.005)');
  });
});

describe('P&L over time (UTC)', () => {
  it('period keys: day, ISO week, month', () => {
    expect(periodKey(utc('2025-03-07T12:00:00'), 'day')).toBe('2025-03-07');
    expect(periodKey(utc('2025-03-07T23:59:59.999'), 'day'), 'last ms of the UTC day').toBe('2025-03-07');
    expect(periodKey(utc('2025-03-08T00:00:00'), 'day')).toBe('2025-03-08');
    expect(periodKey(utc('2025-03-07T12:00:00'), 'week')).toBe('2025-W10');
    expect(periodKey(utc('2024-12-30T00:00:00'), 'week'), 'a late-December Monday in week 1 of next year').toBe('2025-W01');
    expect(periodKey(utc('2021-01-03T10:00:00'), 'week'), 'an early-January Sunday in week 53 of last year').toBe('2020-W53');
    expect(periodKey(utc('2025-03-07T12:00:00'), 'month')).toBe('2025-03');
  });

  const trades: ClosedTrade[] = [
    { symbol: 'BTC/USDT', closedAt: utc('2025-03-07T23:59:59'), netPnl: dec(100), fees: dec(1) },
    { symbol: 'ETH-PERP', closedAt: utc('2025-03-08T00:00:00'), netPnl: dec(-40), fees: dec(2) },
    { symbol: 'BTC/USDT', closedAt: utc('2025-03-08T10:00:00'), netPnl: dec(15) },
    { symbol: 'SOL/USDT', closedAt: utc('2025-04-01T00:00:00'), netPnl: dec(-5) },
  ];

  it('by day, week and month', () => {
    expect(pnlByPeriod(trades, 'day').map((b) => [b.period, b.pnl.toFixed(), b.trades])).toEqual([
      ['2025-03-07', '100', 1], ['2025-03-08', '-25', 2], ['2025-04-01', '-5', 1],
    ]);
    expect(pnlByPeriod(trades, 'week').map((b) => [b.period, b.pnl.toFixed()])).toEqual([['2025-W10', '75'], ['2025-W14', '-5']]);
    expect(pnlByPeriod(trades, 'month').map((b) => [b.period, b.pnl.toFixed(), b.fees.toFixed()])).toEqual([['2025-03', '75', '3'], ['2025-04', '-5', '0']]);
  });

  it('by pair, best first', () => {
    expect(pnlBySymbol(trades).map((s) => [s.symbol, s.pnl.toFixed(), s.trades, s.wins])).toEqual([
      ['BTC/USDT', '115', 2, 2], ['SOL/USDT', '-5', 1, 0], ['ETH-PERP', '-40', 1, 0],
    ]);
  });

  it('from equity snapshots, leaving deposits out', () => {
    const r = pnlByPeriodFromSnapshots([
      { at: utc('2025-03-07T08:00:00'), equity: dec(1000) },
      { at: utc('2025-03-07T20:00:00'), equity: dec(1050) },
      { at: utc('2025-03-08T08:00:00'), equity: dec(1600), netDeposits: dec(500) },
      { at: utc('2025-03-08T20:00:00'), equity: dec(1580) },
    ], 'day');
    expect(r.map((x) => [x.period, x.pnl.toFixed()])).toEqual([['2025-03-07', '50'], ['2025-03-08', '30']]);
  });
});

describe('trade statistics', () => {
  it('win rate, profit factor, averages, expectancy', () => {
    const s = tradeStats([100, -50, 0, 200, -25].map((n) => ({ netPnl: dec(n) })));
    expect([s.trades, s.wins, s.losses, s.breakeven]).toEqual([5, 2, 2, 1]);
    expect(s.winRate, 'breakevens count as trades, not wins').toBe(0.4);
    expect(s.profitFactor, '300 / 75').toBe(4);
    expectDec(s.averageWin, '150', '300 / 2');
    expectDec(s.averageLoss, '37.5', '75 / 2');
    expectDec(s.expectancy, '45', '225 / 5');
    expectDec(s.largestWin, '200', 'largest win');
    expectDec(s.largestLoss, '50', 'largest loss, positive');
  });

  it('undefined ratios are null, not Infinity or NaN', () => {
    const noLoss = tradeStats([{ netPnl: dec(10) }]);
    expect(noLoss.profitFactor, 'no losses: profit factor undefined').toBeNull();
    const none = tradeStats([]);
    expect([none.winRate, none.profitFactor, none.averageWin, none.averageLoss, none.expectancy]).toEqual([null, null, null, null, null]);
  });

  it('Sharpe from daily returns, annualised with √365', () => {
    expect(sharpeRatio([0.01, 0.03]), 'mean 0.02 / sd 0.01414 × √365').toBeCloseTo((0.02 / Math.SQRT2 / 0.01) * Math.sqrt(365), 9);
    expect(sharpeRatio([0.01, 0.01, 0.01]), 'no variation: undefined').toBeNull();
    expect(sharpeRatio([0.01]), 'one day: undefined').toBeNull();
    expect(sharpeRatio([0.02, 0.04], 0.01), 'excess over the risk-free rate').toBeCloseTo((0.02 / Math.SQRT2 / 0.01) * Math.sqrt(365), 9);
  });

  it('daily returns use each UTC day’s last equity and strip deposits', () => {
    const r = dailyReturns([
      { at: utc('2025-03-07T08:00:00'), equity: dec(900) },
      { at: utc('2025-03-07T20:00:00'), equity: dec(1000) },
      { at: utc('2025-03-08T09:00:00'), equity: dec(1500), netDeposits: dec(500) },
      { at: utc('2025-03-08T20:00:00'), equity: dec(1550) },
      { at: utc('2025-03-09T20:00:00'), equity: dec(1395) },
    ]);
    expect(r[0], '(1550 − 500) / 1000 − 1').toBeCloseTo(0.05, 12);
    expect(r[1], '1395 / 1550 − 1').toBeCloseTo(-0.1, 12);
    expect(r).toHaveLength(2);
  });

  it('max drawdown of an equity series with its dates', () => {
    const dd = equityDrawdown([
      { at: utc('2025-03-09T00:00:00'), equity: dec(900) },
      { at: utc('2025-03-07T00:00:00'), equity: dec(1000) },
      { at: utc('2025-03-08T00:00:00'), equity: dec(1200) },
      { at: utc('2025-03-10T00:00:00'), equity: dec(1100) },
    ]);
    expectDec(dd.amount, '300', '1200 → 900 (series sorted by time)');
    expect(dd.fraction).toBe(0.25);
    expect(dd.peakAt).toEqual(utc('2025-03-08T00:00:00'));
    expect(dd.troughAt).toEqual(utc('2025-03-09T00:00:00'));
  });

  it('exposure of open positions at their marks', () => {
    const e = portfolioExposure([open('BTC/USDT', 'buy', '0.5', '50000'), open('ETH-PERP', 'sell', '2', '3000')], { 'BTC/USDT': dec(60000), 'ETH-PERP': dec(2900) }, dec(40000));
    expectDec(e.gross, '35800', '30000 + 5800');
    expectDec(e.net, '24200', '30000 − 5800');
    expect(e.leverage).toBeCloseTo(0.895, 12);
  });
});
