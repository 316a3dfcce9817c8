// Risk: pre-trade checks against a user's limits and kill switches, risk metrics (VaR, drawdown,
// exposure, leverage), and which risk alerts fire.
//
// Terms:
// - An order *reduces* when it shrinks the position in its symbol without flipping it (or is
//   reduce-only). Reducing orders always pass the kill switch, daily-loss, size and exposure checks:
//   a trader must always be able to get out.
// - Position size (position_size): the size of one order — at most `maxQuantity` base units and/or
//   `maxNotional` quote value — optionally for one symbol only.
// - Symbol notional (symbol_notional): the whole exposure in one symbol after the order, at the order
//   price.
// - Gross exposure = Σ |position notional|; net exposure = Σ long − Σ short; account leverage =
//   gross exposure / equity.
import { dec, maxDec, toPlain, ZERO, type Dec } from './money.js';
import type { OrderSide } from './order.js';
import type { PositionSide } from './position.js';

export const RiskLimitType = {
  dailyLoss: 'daily_loss',
  positionSize: 'position_size',
  symbolNotional: 'symbol_notional',
  leverage: 'leverage',
  maxOpenPositions: 'max_open_positions',
  symbolAllowList: 'symbol_allow_list',
  symbolDenyList: 'symbol_deny_list',
} as const;
export type RiskLimitType = (typeof RiskLimitType)[keyof typeof RiskLimitType];

/** A user's or account's limit. Symbols in lists may be canonical ("BTC/USDT") or a base ("BTC" = every BTC market). */
export type RiskLimit =
  | { type: 'daily_loss'; maxLoss: Dec }
  | { type: 'position_size'; symbol?: string; maxQuantity?: Dec; maxNotional?: Dec }
  | { type: 'symbol_notional'; symbol: string; maxNotional: Dec }
  | { type: 'leverage'; maxLeverage: Dec }
  | { type: 'max_open_positions'; max: number }
  | { type: 'symbol_allow_list'; symbols: readonly string[] }
  | { type: 'symbol_deny_list'; symbols: readonly string[] };

/** Halts: a user-level halt stops that user everywhere, an account-level halt stops one account. */
export interface KillSwitchState {
  user?: { halted: boolean; reason?: string };
  account?: { halted: boolean; reason?: string };
}

export interface RiskOrder {
  symbol: string;
  base: string;
  quote: string;
  side: OrderSide;
  quantity: Dec;
  /** The price the order is assessed at (limit, trigger, or current price). */
  price: Dec;
  leverage: Dec;
  reduceOnly: boolean;
}

/** An open position as risk sees it, valued at its mark. */
export interface RiskPosition {
  symbol: string;
  side: PositionSide;
  quantity: Dec;
  markPrice: Dec;
}

export interface OrderRiskContext {
  order: RiskOrder;
  limits: readonly RiskLimit[];
  killSwitch?: KillSwitchState;
  positions: readonly RiskPosition[];
  /** Today's P&L so far (UTC day, realised plus change in unrealised), in the quote asset; negative is a loss. */
  dailyPnl: Dec;
  /** Account equity in the quote asset, for account leverage. */
  equity?: Dec;
}

/** One pre-trade check: its name, whether it passed, and the reason with the numbers. */
export interface RiskCheck {
  name: string;
  passed: boolean;
  detail: string;
}

function show(d: Dec, places = 2): string {
  return d.toDecimalPlaces(places).toFixed();
}

function signedQuantity(p: { side: PositionSide; quantity: Dec }): Dec {
  return p.side === 'long' ? p.quantity : p.quantity.neg();
}

function matchesSymbol(entry: string, order: RiskOrder): boolean {
  const e = entry.trim().toUpperCase();
  return e === order.symbol.toUpperCase() || e === order.base.toUpperCase();
}

/** Current signed position in the order's symbol, and the signed position if the order filled completely. */
export function positionAfterOrder(order: RiskOrder, positions: readonly RiskPosition[]): { current: Dec; after: Dec; reduces: boolean } {
  const current = positions.filter((p) => p.symbol === order.symbol).reduce<Dec>((a, p) => a.add(signedQuantity(p)), ZERO);
  const delta = order.side === 'buy' ? order.quantity : order.quantity.neg();
  const flipsTo = (after: Dec): boolean => !current.isZero() && !after.isZero() && after.isNeg() !== current.isNeg();
  let after = current.add(delta);
  // Reduce-only never opens or flips: it is clamped to flat.
  if (order.reduceOnly && (current.isZero() || flipsTo(after))) after = ZERO;
  const reduces = !current.isZero() && !flipsTo(after) && after.abs().lt(current.abs());
  return { current, after, reduces };
}

/**
 * Runs every pre-trade check that applies to the order. The kill-switch checks are always present;
 * each limit contributes one check (limits scoped to another symbol are skipped). The order may go
 * ahead only if every check passed (`riskChecksPass`).
 */
export function checkOrderRisk(ctx: OrderRiskContext): RiskCheck[] {
  const { order, limits, positions } = ctx;
  const { after, reduces } = positionAfterOrder(order, positions);
  const notional = order.quantity.mul(order.price);
  const q = order.quote;
  const checks: RiskCheck[] = [];

  for (const level of ['user', 'account'] as const) {
    const state = ctx.killSwitch?.[level];
    const name = `kill_switch_${level}`;
    if (!state?.halted) checks.push({ name, passed: true, detail: `${level} trading is not halted` });
    else if (reduces) checks.push({ name, passed: true, detail: `${level} trading is halted, but this order only reduces a position` });
    else {
      const why = state.reason ? ` (${state.reason})` : '';
      checks.push({ name, passed: false, detail: `${level} trading is halted${why}; only orders that reduce a position are allowed until the halt is lifted` });
    }
  }

  for (const limit of limits) {
    switch (limit.type) {
      case 'daily_loss': {
        const loss = maxDec(ctx.dailyPnl.neg(), ZERO);
        const reached = loss.gte(limit.maxLoss);
        checks.push({
          name: 'daily_loss',
          passed: !reached || reduces,
          detail: !reached
            ? `today's loss ${show(loss)} ${q} is within the ${show(limit.maxLoss)} ${q} daily limit`
            : reduces
              ? `today's loss ${show(loss)} ${q} has reached the ${show(limit.maxLoss)} ${q} daily limit, but this order only reduces a position`
              : `today's loss ${show(loss)} ${q} has reached the ${show(limit.maxLoss)} ${q} daily loss limit; only orders that reduce a position are allowed until 00:00 UTC`,
        });
        break;
      }
      case 'position_size': {
        if (limit.symbol !== undefined && !matchesSymbol(limit.symbol, order)) break;
        const problems: string[] = [];
        if (limit.maxQuantity && order.quantity.gt(limit.maxQuantity)) {
          problems.push(`quantity ${toPlain(order.quantity)} ${order.base} is above the ${toPlain(limit.maxQuantity)} ${order.base} limit`);
        }
        if (limit.maxNotional && notional.gt(limit.maxNotional)) {
          problems.push(`order value ${show(notional)} ${q} is above the ${show(limit.maxNotional)} ${q} limit`);
        }
        const passed = problems.length === 0 || reduces;
        checks.push({
          name: 'position_size',
          passed,
          detail: problems.length === 0
            ? `order size ${toPlain(order.quantity)} ${order.base} (${show(notional)} ${q}) is within the position size limit`
            : reduces
              ? `${problems.join('; ')}, but this order only reduces a position`
              : `${problems.join('; ')}; reduce the size`,
        });
        break;
      }
      case 'symbol_notional': {
        if (!matchesSymbol(limit.symbol, order)) break;
        const exposure = after.abs().mul(order.price);
        const over = exposure.gt(limit.maxNotional);
        checks.push({
          name: `symbol_notional`,
          passed: !over || reduces,
          detail: !over
            ? `${order.symbol} exposure after this order ${show(exposure)} ${q} is within the ${show(limit.maxNotional)} ${q} limit`
            : `${order.symbol} exposure after this order would be ${show(exposure)} ${q}, above the ${show(limit.maxNotional)} ${q} limit${reduces ? ', but this order only reduces it' : `; use at most ${show(maxDec(limit.maxNotional.div(order.price).sub(after.abs().sub(order.quantity)), ZERO), 8)} ${order.base}`}`,
        });
        break;
      }
      case 'leverage': {
        const problems: string[] = [];
        if (order.leverage.gt(limit.maxLeverage)) problems.push(`leverage ${toPlain(order.leverage)}x is above your ${toPlain(limit.maxLeverage)}x limit`);
        let accountLeverage: Dec | undefined;
        if (ctx.equity && ctx.equity.gt(0)) {
          const others = positions.filter((p) => p.symbol !== order.symbol).reduce<Dec>((a, p) => a.add(p.quantity.mul(p.markPrice)), ZERO);
          accountLeverage = others.add(after.abs().mul(order.price)).div(ctx.equity);
          if (accountLeverage.gt(limit.maxLeverage)) {
            problems.push(`account leverage after this order would be ${show(accountLeverage)}x, above your ${toPlain(limit.maxLeverage)}x limit`);
          }
        }
        checks.push({
          name: 'leverage',
          passed: problems.length === 0 || reduces,
          detail: problems.length === 0
            ? `leverage ${toPlain(order.leverage)}x${accountLeverage ? ` (account ${show(accountLeverage)}x)` : ''} is within your ${toPlain(limit.maxLeverage)}x limit`
            : `${problems.join('; ')}${reduces ? ', but this order only reduces a position' : '; lower the leverage or the size'}`,
        });
        break;
      }
      case 'max_open_positions': {
        const open = new Set(positions.filter((p) => p.quantity.gt(0)).map((p) => p.symbol));
        const opensNew = !open.has(order.symbol) && !order.reduceOnly;
        const passed = !opensNew || open.size < limit.max;
        checks.push({
          name: 'max_open_positions',
          passed,
          detail: passed
            ? `${open.size} of ${limit.max} positions open${opensNew ? '; this order opens one more' : ''}`
            : `${open.size} positions are open, the limit is ${limit.max}; close one before opening ${order.symbol}`,
        });
        break;
      }
      case 'symbol_allow_list': {
        const passed = limit.symbols.some((s) => matchesSymbol(s, order)) || reduces;
        checks.push({
          name: 'symbol_allow_list',
          passed,
          detail: passed
            ? `${order.symbol} is allowed`
            : `${order.symbol} is not on your allowed list (${limit.symbols.join(', ')}); trade a listed symbol or change the list`,
        });
        break;
      }
      case 'symbol_deny_list': {
        const denied = limit.symbols.some((s) => matchesSymbol(s, order));
        checks.push({
          name: 'symbol_deny_list',
          passed: !denied || reduces,
          detail: !denied
            ? `${order.symbol} is not on your blocked list`
            : reduces
              ? `${order.symbol} is blocked, but this order only reduces a position`
              : `${order.symbol} is on your blocked list; remove it from the list to trade it`,
        });
        break;
      }
    }
  }
  return checks;
}

export function riskChecksPass(checks: readonly RiskCheck[]): boolean {
  return checks.every((c) => c.passed);
}

// ---------------------------------------------------------------------------------------------------
// Metrics

/**
 * Historical value at risk as a positive fraction: the loss not exceeded in `confidence` of the
 * observed periods. With n returns sorted worst first, it is the ⌈(1 − confidence)·n⌉-th worst return
 * (no interpolation), floored at 0. Null with fewer than 2 returns.
 */
export function historicalVaR(returns: readonly number[], confidence: number): number | null {
  const clean = returns.filter((r) => Number.isFinite(r));
  if (clean.length < 2 || !(confidence > 0 && confidence < 1)) return null;
  const sorted = [...clean].sort((a, b) => a - b);
  const k = Math.max(1, Math.ceil((1 - confidence) * sorted.length - 1e-9));
  const r = sorted[k - 1] ?? 0;
  return Math.max(0, -r);
}

/** VaR in money: portfolio value × historical VaR fraction. */
export function valueAtRisk(returns: readonly number[], confidence: number, portfolioValue: Dec): Dec | null {
  const v = historicalVaR(returns, confidence);
  return v === null ? null : portfolioValue.mul(dec(v));
}

export interface Drawdown {
  /** Largest peak-to-trough fall, in money (≥ 0). */
  amount: Dec;
  /** That fall as a fraction of the peak (0 when the peak is not positive). */
  fraction: number;
  peakIndex: number;
  troughIndex: number;
}

/** Maximum drawdown of an equity series: the deepest fall from a running peak. */
export function maxDrawdown(equity: readonly Dec[]): Drawdown {
  let best: Drawdown = { amount: ZERO, fraction: 0, peakIndex: 0, troughIndex: 0 };
  let peak = equity[0];
  let peakIndex = 0;
  equity.forEach((v, i) => {
    if (peak === undefined || v.gt(peak)) {
      peak = v;
      peakIndex = i;
      return;
    }
    const fall = peak.sub(v);
    if (fall.gt(best.amount)) {
      best = { amount: fall, fraction: peak.gt(0) ? fall.div(peak).toNumber() : 0, peakIndex, troughIndex: i };
    }
  });
  return best;
}

export interface Exposure {
  long: Dec;
  short: Dec;
  gross: Dec;
  net: Dec;
  /** gross / equity; null without positive equity. */
  leverage: number | null;
}

export function exposure(positions: readonly RiskPosition[], equity?: Dec): Exposure {
  let long = ZERO;
  let short = ZERO;
  for (const p of positions) {
    const v = p.quantity.mul(p.markPrice);
    if (p.side === 'long') long = long.add(v);
    else short = short.add(v);
  }
  const gross = long.add(short);
  return { long, short, gross, net: long.sub(short), leverage: equity && equity.gt(0) ? gross.div(equity).toNumber() : null };
}

// ---------------------------------------------------------------------------------------------------
// Risk alerts

export const RiskMetric = {
  dailyLoss: 'daily_loss',
  drawdown: 'drawdown',
  leverage: 'leverage',
  var95: 'var_95',
  grossExposure: 'gross_exposure',
} as const;
export type RiskMetric = (typeof RiskMetric)[keyof typeof RiskMetric];

const METRIC_LABEL: Record<RiskMetric, string> = {
  daily_loss: "today's loss",
  drawdown: 'drawdown',
  leverage: 'account leverage',
  var_95: '1-day 95% value at risk',
  gross_exposure: 'gross exposure',
};

/**
 * Fires when `metric` reaches `threshold`; fires once per breach and re-arms only after the metric
 * falls below `rearmBelow` (default: the threshold), so a value hovering at the line does not spam.
 * Daily loss and VaR are positive money amounts; drawdown is a fraction (0.1 = 10%); leverage a ratio.
 */
export interface RiskAlertRule {
  id: string;
  metric: RiskMetric;
  threshold: Dec;
  rearmBelow?: Dec;
}

export interface RiskAlert {
  ruleId: string;
  metric: RiskMetric;
  value: Dec;
  threshold: Dec;
  message: string;
}

/**
 * Decides which alerts fire now, given the current metrics and the rules already in breach (already
 * notified). Returns the alerts to send, the rules in breach afterwards (store it for next time) and
 * the rules that re-armed. A metric missing from `metrics` leaves its rules as they were.
 */
export function decideRiskAlerts(
  rules: readonly RiskAlertRule[],
  metrics: Partial<Record<RiskMetric, Dec>>,
  breachedBefore: readonly string[],
): { fire: RiskAlert[]; breached: string[]; cleared: string[] } {
  const was = new Set(breachedBefore);
  const fire: RiskAlert[] = [];
  const breached: string[] = [];
  const cleared: string[] = [];
  for (const rule of rules) {
    const value = metrics[rule.metric];
    if (value === undefined) {
      if (was.has(rule.id)) breached.push(rule.id);
      continue;
    }
    const rearm = rule.rearmBelow ?? rule.threshold;
    if (was.has(rule.id)) {
      if (value.lt(rearm)) cleared.push(rule.id);
      else breached.push(rule.id);
      continue;
    }
    if (value.gte(rule.threshold)) {
      breached.push(rule.id);
      const label = METRIC_LABEL[rule.metric];
      const fmt = (d: Dec): string => (rule.metric === 'drawdown' ? `${show(d.mul(100))}%` : rule.metric === 'leverage' ? `${show(d)}x` : show(d));
      fire.push({ ruleId: rule.id, metric: rule.metric, value, threshold: rule.threshold, message: `${label} is ${fmt(value)}, at or above your alert level ${fmt(rule.threshold)}` });
    }
  }
  return { fire, breached, cleared };
}
