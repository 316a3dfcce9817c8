import { describe, expect, it } from 'vitest';
import {
  checkOrderRisk, decideRiskAlerts, exposure, historicalVaR, maxDrawdown, positionAfterOrder, riskChecksPass, valueAtRisk,
  type OrderRiskContext, type RiskCheck, type RiskOrder, type RiskPosition,
} from '../../src/domain/risk.js';
import { dec, type Dec } from '../../src/domain/money.js';
import { expectDec } from './trading-fixtures.js';

const BUY_BTC: RiskOrder = {
  symbol: 'BTC-PERP', base: 'BTC', quote: 'USDT', side: 'buy', quantity: dec('0.1'), price: dec(60000), leverage: dec(10), reduceOnly: false,
};
const LONG_BTC: RiskPosition = { symbol: 'BTC-PERP', side: 'long', quantity: dec('0.2'), markPrice: dec(60000) };

function ctx(extra: Partial<OrderRiskContext> = {}): OrderRiskContext {
  return { order: BUY_BTC, limits: [], positions: [], dailyPnl: dec(0), ...extra };
}

function named(checks: RiskCheck[], name: string): RiskCheck {
  const c = checks.find((x) => x.name === name);
  expect(c, `check ${name} present in ${checks.map((x) => x.name).join(', ')}`).toBeDefined();
  return c!;
}

describe('pre-trade checks', () => {
  it('the kill switch checks are always there and pass when nothing is halted', () => {
    const checks = checkOrderRisk(ctx());
    expect(checks.map((c) => c.name)).toEqual(['kill_switch_user', 'kill_switch_account']);
    expect(riskChecksPass(checks)).toBe(true);
  });

  it('a user or account halt blocks new risk, naming the reason', () => {
    const user = named(checkOrderRisk(ctx({ killSwitch: { user: { halted: true, reason: 'daily review' } } })), 'kill_switch_user');
    expect(user.passed).toBe(false);
    expect(user.detail).toBe('user trading is halted (daily review); only orders that reduce a position are allowed until the halt is lifted');
    const checks = checkOrderRisk(ctx({ killSwitch: { account: { halted: true } } }));
    expect(named(checks, 'kill_switch_account').passed, 'account halt blocks').toBe(false);
    expect(riskChecksPass(checks)).toBe(false);
  });

  it('a halt still lets a trader reduce a position', () => {
    const sell: RiskOrder = { ...BUY_BTC, side: 'sell', quantity: dec('0.1') };
    const checks = checkOrderRisk(ctx({ order: sell, positions: [LONG_BTC], killSwitch: { user: { halted: true }, account: { halted: true } } }));
    expect(riskChecksPass(checks), 'selling part of a long is allowed under a halt').toBe(true);
    expect(named(checks, 'kill_switch_user').detail).toMatch(/only reduces a position/);
    const flip: RiskOrder = { ...BUY_BTC, side: 'sell', quantity: dec('0.5') };
    expect(riskChecksPass(checkOrderRisk(ctx({ order: flip, positions: [LONG_BTC], killSwitch: { user: { halted: true } } }))), 'a flip adds new risk').toBe(false);
  });

  it('daily loss limit', () => {
    const limits = [{ type: 'daily_loss' as const, maxLoss: dec(500) }];
    const over = named(checkOrderRisk(ctx({ limits, dailyPnl: dec(-520) })), 'daily_loss');
    expect(over.passed).toBe(false);
    expect(over.detail).toBe("today's loss 520 USDT has reached the 500 USDT daily loss limit; only orders that reduce a position are allowed until 00:00 UTC");
    const within = named(checkOrderRisk(ctx({ limits, dailyPnl: dec(-100) })), 'daily_loss');
    expect(within.passed).toBe(true);
    expect(within.detail).toBe("today's loss 100 USDT is within the 500 USDT daily limit");
    expect(named(checkOrderRisk(ctx({ limits, dailyPnl: dec(300) })), 'daily_loss').passed, 'a profitable day').toBe(true);
    const reducing = named(checkOrderRisk(ctx({ limits, dailyPnl: dec(-900), order: { ...BUY_BTC, side: 'sell' }, positions: [LONG_BTC] })), 'daily_loss');
    expect(reducing.passed, 'reducing is allowed after the limit').toBe(true);
  });

  it('position size: per-order quantity and value, optionally for one symbol', () => {
    const byValue = named(checkOrderRisk(ctx({ limits: [{ type: 'position_size', maxNotional: dec(5000) }] })), 'position_size');
    expect(byValue.passed).toBe(false);
    expect(byValue.detail).toBe('order value 6000 USDT is above the 5000 USDT limit; reduce the size');
    const byQty = named(checkOrderRisk(ctx({ limits: [{ type: 'position_size', symbol: 'BTC', maxQuantity: dec('0.05') }] })), 'position_size');
    expect(byQty.detail).toBe('quantity 0.1 BTC is above the 0.05 BTC limit; reduce the size');
    const ok = named(checkOrderRisk(ctx({ limits: [{ type: 'position_size', maxQuantity: dec(1), maxNotional: dec(10000) }] })), 'position_size');
    expect(ok.passed).toBe(true);
    expect(checkOrderRisk(ctx({ limits: [{ type: 'position_size', symbol: 'ETH-PERP', maxQuantity: dec('0.01') }] })).map((c) => c.name), 'another symbol’s limit does not apply')
      .not.toContain('position_size');
  });

  it('symbol notional: the whole exposure after the order, with the size that would fit', () => {
    const c = named(checkOrderRisk(ctx({ limits: [{ type: 'symbol_notional', symbol: 'BTC-PERP', maxNotional: dec(15000) }], positions: [LONG_BTC] })), 'symbol_notional');
    expect(c.passed).toBe(false);
    expect(c.detail).toBe('BTC-PERP exposure after this order would be 18000 USDT, above the 15000 USDT limit; use at most 0.05 BTC');
    const fits = named(checkOrderRisk(ctx({ limits: [{ type: 'symbol_notional', symbol: 'BTC-PERP', maxNotional: dec(20000) }], positions: [LONG_BTC] })), 'symbol_notional');
    expect(fits.passed).toBe(true);
  });

  it('leverage: the order’s and the account’s after the order', () => {
    const order = named(checkOrderRisk(ctx({ limits: [{ type: 'leverage', maxLeverage: dec(5) }] })), 'leverage');
    expect(order.passed).toBe(false);
    expect(order.detail).toBe('leverage 10x is above your 5x limit; lower the leverage or the size');
    const account = named(checkOrderRisk(ctx({
      order: { ...BUY_BTC, leverage: dec(2) }, limits: [{ type: 'leverage', maxLeverage: dec(3) }], positions: [LONG_BTC], equity: dec(5000),
    })), 'leverage');
    expect(account.passed).toBe(false);
    expect(account.detail).toBe('account leverage after this order would be 3.6x, above your 3x limit; lower the leverage or the size');
  });

  it('max open positions counts only new symbols', () => {
    const positions: RiskPosition[] = ['ETH-PERP', 'SOL-PERP', 'SOL/USDT'].map((symbol) => ({ symbol, side: 'long', quantity: dec(1), markPrice: dec(100) }));
    const c = named(checkOrderRisk(ctx({ limits: [{ type: 'max_open_positions', max: 3 }], positions })), 'max_open_positions');
    expect(c.passed).toBe(false);
    expect(c.detail).toBe('3 positions are open, the limit is 3; close one before opening BTC-PERP');
    const adding = named(checkOrderRisk(ctx({ limits: [{ type: 'max_open_positions', max: 3 }], positions: [...positions.slice(0, 2), LONG_BTC] })), 'max_open_positions');
    expect(adding.passed, 'adding to an open position opens nothing new').toBe(true);
  });

  it('allow and deny lists match canonical symbols or bases', () => {
    expect(named(checkOrderRisk(ctx({ limits: [{ type: 'symbol_allow_list', symbols: ['BTC', 'ETH/USDT'] }] })), 'symbol_allow_list').passed, 'BTC covers BTC-PERP').toBe(true);
    const notAllowed = named(checkOrderRisk(ctx({ limits: [{ type: 'symbol_allow_list', symbols: ['ETH/USDT'] }] })), 'symbol_allow_list');
    expect(notAllowed.passed).toBe(false);
    expect(notAllowed.detail).toBe('BTC-PERP is not on your allowed list (ETH/USDT); trade a listed symbol or change the list');
    const denied = named(checkOrderRisk(ctx({ limits: [{ type: 'symbol_deny_list', symbols: ['btc-perp'] }] })), 'symbol_deny_list');
    expect(denied.passed, 'deny list is case-insensitive').toBe(false);
    expect(denied.detail).toBe('BTC-PERP is on your blocked list; remove it from the list to trade it');
  });

  it('positionAfterOrder: reduce-only never opens or flips', () => {
    const ro = positionAfterOrder({ ...BUY_BTC, side: 'sell', quantity: dec(1), reduceOnly: true }, [LONG_BTC]);
    expectDec(ro.after, '0', 'clamped to flat');
    expect(ro.reduces).toBe(true);
    const none = positionAfterOrder({ ...BUY_BTC, reduceOnly: true }, []);
    expectDec(none.after, '0', 'nothing to reduce');
    expect(none.reduces).toBe(false);
    expect(positionAfterOrder({ ...BUY_BTC, side: 'sell', quantity: dec('0.3') }, [LONG_BTC]).reduces, 'a flip is not a reduction').toBe(false);
  });
});

describe('risk metrics', () => {
  const returns = Array.from({ length: 100 }, (_, i) => i / 1000 - 0.05);

  it('historical VaR at 95% and 99%', () => {
    expect(historicalVaR(returns, 0.95), '5th worst of 100 is −4.6%').toBeCloseTo(0.046, 12);
    expect(historicalVaR(returns, 0.99), 'the worst of 100 is −5%').toBeCloseTo(0.05, 12);
    expect(historicalVaR([0.01, 0.02, 0.03], 0.95), 'no losses: zero VaR').toBe(0);
    expect(historicalVaR([0.01], 0.95), 'one observation is not enough').toBeNull();
    expect(historicalVaR(returns, 1), 'confidence must be below 1').toBeNull();
    expectDec(valueAtRisk(returns, 0.95, dec(10000)), '460', '4.6% of 10,000');
  });

  it('max drawdown: deepest fall from a running peak', () => {
    const dd = maxDrawdown([100, 120, 90, 130, 65, 80].map((n) => dec(n)));
    expectDec(dd.amount, '65', '130 → 65');
    expect(dd.fraction).toBe(0.5);
    expect([dd.peakIndex, dd.troughIndex]).toEqual([3, 4]);
    expectDec(maxDrawdown([1, 2, 3].map((n) => dec(n))).amount, '0', 'rising equity has no drawdown');
    expectDec(maxDrawdown([]).amount, '0', 'no data, no drawdown');
  });

  it('gross and net exposure, leverage', () => {
    const e = exposure([LONG_BTC, { symbol: 'ETH-PERP', side: 'short', quantity: dec(10), markPrice: dec(3000) }], dec(45000));
    expectDec(e.long, '12000', '0.2 × 60000');
    expectDec(e.short, '30000', '10 × 3000');
    expectDec(e.gross, '42000', 'long + short');
    expectDec(e.net, '-18000', 'long − short');
    expect(e.leverage).toBeCloseTo(42000 / 45000, 12);
    expect(exposure([], dec(0)).leverage, 'no equity, no leverage figure').toBeNull();
  });
});

describe('risk alerts', () => {
  const rules = [
    { id: 'dl', metric: 'daily_loss' as const, threshold: dec(500), rearmBelow: dec(450) },
    { id: 'dd', metric: 'drawdown' as const, threshold: dec('0.1') },
  ];
  const m = (dailyLoss?: number, drawdown?: string): Partial<Record<'daily_loss' | 'drawdown', Dec>> => ({
    ...(dailyLoss !== undefined ? { daily_loss: dec(dailyLoss) } : {}),
    ...(drawdown !== undefined ? { drawdown: dec(drawdown) } : {}),
  });

  it('fires once on breach, stays quiet while breached, re-arms below the re-arm level', () => {
    const first = decideRiskAlerts(rules, m(600, '0.12'), []);
    expect(first.fire.map((a) => a.ruleId)).toEqual(['dl', 'dd']);
    expect(first.fire[0]!.message).toBe("today's loss is 600, at or above your alert level 500");
    expect(first.fire[1]!.message).toBe('drawdown is 12%, at or above your alert level 10%');
    const again = decideRiskAlerts(rules, m(700, '0.15'), first.breached);
    expect(again.fire, 'no repeat while still breached').toEqual([]);
    const hovering = decideRiskAlerts(rules, m(470), again.breached);
    expect(hovering.cleared, 'between re-arm level and threshold stays breached').toEqual([]);
    expect(hovering.breached, 'a missing metric keeps its state').toEqual(['dl', 'dd']);
    const recovered = decideRiskAlerts(rules, m(400, '0.05'), hovering.breached);
    expect(recovered.cleared).toEqual(['dl', 'dd']);
    expect(decideRiskAlerts(rules, m(510), recovered.breached).fire.map((a) => a.ruleId), 'fires again after re-arming').toEqual(['dl']);
  });
});
