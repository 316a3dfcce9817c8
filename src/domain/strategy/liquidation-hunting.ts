/**
 * Liquidation hunting: fades a liquidation cascade — a forced-selling flush that overshoots — by
 * buying after it and selling into the bounce. This kernel has no liquidation feed and no open
 * interest, so a cascade is inferred from price and volume alone, on closed candles: a *shock* is a
 * candle whose close-to-close fall (previous close − close) exceeds `dropAtr` × ATR and whose volume is
 * at least `volumeMultiple` × the average volume. ATR (Wilder, `atrPeriod`) and the average volume
 * (simple, `volumePeriod`) are taken over the candles before the shock, so the shock does not raise
 * its own bar. A big fall on ordinary volume is not a shock, nor is a volume spike without a fall.
 *
 * After a shock, with nothing held and not cooling down, it buys with `allocation` of the cash (fee
 * included): at market (the next open), or, with `entryDiscountPercent`, a limit that far below the
 * shock's close, cancelled if unfilled after `entryWait` candles. Once bought it rests two exits for
 * the whole position: a stop sell triggered at the shock's low less `stopBufferPercent`, and a
 * take-profit limit sell at shock close + `takeProfitRetrace` × (pre-shock close − shock close), a
 * partial retracement of the fall. After `maxHoldCandles` candles from the entry fill it cancels both
 * and sells at market (the time stop). One position at a time; after an exit it ignores shocks for
 * `cooldown` candles.
 *
 * The backtester fills the stop at its trigger (or the open when the candle gaps through it) and the
 * take-profit at its price once the high reaches it. The stop is placed before the take-profit, so on
 * a candle that reaches both the stop fills (the pessimistic reading of an unknown intra-candle path)
 * and the take-profit is refused for want of a position. The exits are placed on the close of the
 * candle the entry filled in, so that candle itself is unprotected.
 *
 * Parameters: atrPeriod (1–500, default 14), dropAtr (0–50, default 3), volumePeriod (1–1000, default
 * 20), volumeMultiple (0–100, default 3), entryDiscountPercent (0–50, none = market entry), entryWait
 * (1–1000 candles, default 3), takeProfitRetrace (0–1, default 0.5), stopBufferPercent (0–50, default
 * 0.5), maxHoldCandles (1–10000, default 24), cooldown (0–10000 candles, default 12), allocation (0–1,
 * default 1).
 *
 * When it loses: when the flush is not forced selling but news — the price keeps falling, the stop
 * below the shock low is hit, often with a gap and slippage. Price-and-volume shocks are a noisy proxy
 * for liquidations: many are ordinary sell-offs, and in a real cascade the second leg down often comes
 * after the first candle, taking the stop. In a grinding bear market it buys every flush and is
 * stopped out repeatedly; the time stop sells bounces that never came at a loss.
 */
import { z } from 'zod';
import { AtrStream, SmaStream } from '../indicators/index.js';
import type { Dec } from '../money.js';
import type { OrderIntent, Strategy } from './kernel.js';
import { countParam, decimalParam, ratioParam } from './params.js';

export const liquidationHuntingParams = z
  .object({
    atrPeriod: countParam('atrPeriod', 1, 500, 'ATR period the fall is measured against, in candles').default(14),
    dropAtr: ratioParam('dropAtr', 0, 50, 'A shock falls more than this many ATRs from the previous close').default(3),
    volumePeriod: countParam('volumePeriod', 1, 1000, 'Candles in the average volume').default(20),
    volumeMultiple: ratioParam('volumeMultiple', 0, 100, 'A shock trades at least this many times the average volume').default(3),
    entryDiscountPercent: decimalParam('entryDiscountPercent', { max: '50', describe: 'Buy with a limit this many percent below the shock close instead of at market' }).optional(),
    entryWait: countParam('entryWait', 1, 1000, 'Candles a limit entry waits before it is cancelled').default(3),
    takeProfitRetrace: decimalParam('takeProfitRetrace', { max: '1', describe: 'Take profit once this fraction of the fall is retraced (1 = back to the pre-shock close)' }).default('0.5'),
    stopBufferPercent: decimalParam('stopBufferPercent', { max: '50', describe: 'Stop this many percent below the shock low' }).default('0.5'),
    maxHoldCandles: countParam('maxHoldCandles', 1, 10_000, 'Sell at market after holding this many candles').default(24),
    cooldown: countParam('cooldown', 0, 10_000, 'Candles after an exit in which shocks are ignored').default(12),
    allocation: decimalParam('allocation', { max: '1', describe: 'Share of the cash an entry spends, fee included (1 = all)' }).default('1'),
  })
  .strict();
export type LiquidationHuntingParams = z.infer<typeof liquidationHuntingParams>;

/** The shock candle a trade fades. */
export interface Shock {
  preShockClose: Dec;
  close: Dec;
  low: Dec;
}

export interface LiquidationHuntingState {
  atr: AtrStream;
  volume: SmaStream;
  /** watching: looking for a shock; entering: the entry is working; holding: bought, exits working. */
  phase: 'watching' | 'entering' | 'holding';
  shock: Shock | null;
  /** Index of the candle the entry was decided on / filled in. */
  enteredAt: number;
  filledAt: number;
  /** Last candle index of the cool-down after an exit; -1 when none. */
  coolingThrough: number;
}

export const LH_ENTRY = 'lh-entry';
export const LH_STOP = 'lh-stop';
export const LH_TAKE_PROFIT = 'lh-take-profit';
export const LH_TIME_STOP = 'lh-time-stop';
const PRICE_DECIMALS = 8;

export const liquidationHuntingStrategy: Strategy<LiquidationHuntingParams, LiquidationHuntingState> = {
  kind: 'liquidation_hunting',
  summary: 'buys after a high-volume flush far beyond the ATR and sells a partial rebound, with a stop under the low and a time stop',
  params: liquidationHuntingParams,
  init(p) {
    return { atr: new AtrStream(p.atrPeriod), volume: new SmaStream(p.volumePeriod), phase: 'watching', shock: null, enteredAt: -1, filledAt: -1, coolingThrough: -1 };
  },
  onCandle({ params, state, candles, portfolio }) {
    const index = candles.length - 1;
    const candle = candles.last();
    const previous = candles.ago(1);
    // The bars before this candle: read them before this candle is added.
    const atr = state.atr.value;
    const averageVolume = state.volume.value;
    state.atr.update({ high: candle.high.toNumber(), low: candle.low.toNumber(), close: candle.close.toNumber() });
    state.volume.update(candle.volume.toNumber());
    const notes: string[] = [];
    const working = new Set(portfolio.openOrders.map((o) => o.tag));

    if (state.phase === 'entering') {
      if (portfolio.position.gt(0) && state.shock !== null) {
        const shock = state.shock;
        const fill = portfolio.newFills.find((f) => f.tag === LH_ENTRY);
        const stop = shock.low.mul(params.stopBufferPercent.div(100).neg().add(1)).toDecimalPlaces(PRICE_DECIMALS);
        const target = shock.close.add(shock.preShockClose.sub(shock.close).mul(params.takeProfitRetrace)).toDecimalPlaces(PRICE_DECIMALS);
        state.phase = 'holding';
        state.filledAt = index;
        notes.push(`bought ${portfolio.position.toFixed()}${fill ? ` at ${fill.price.toFixed()}` : ''}; take-profit ${target.toFixed()}, stop ${stop.toFixed()}, time stop after ${params.maxHoldCandles} candles`);
        return {
          orders: [
            { side: 'sell', type: 'stop', triggerPrice: stop, quantity: portfolio.position, tag: LH_STOP },
            { side: 'sell', type: 'limit', price: target, quantity: portfolio.position, tag: LH_TAKE_PROFIT },
          ],
          notes,
        };
      }
      if (!working.has(LH_ENTRY)) {
        state.phase = 'watching';
        state.shock = null;
      } else if (index - state.enteredAt >= params.entryWait) {
        state.phase = 'watching';
        state.shock = null;
        return { cancelTags: [LH_ENTRY], notes: [`entry not filled within ${params.entryWait} candles: cancelled`] };
      } else {
        return {};
      }
    }

    if (state.phase === 'holding') {
      if (portfolio.position.isZero()) {
        const exit = portfolio.newFills.find((f) => f.side === 'sell');
        const how = exit?.tag === LH_TAKE_PROFIT ? 'take-profit' : exit?.tag === LH_STOP ? 'stopped out' : 'time stop';
        state.phase = 'watching';
        state.shock = null;
        state.coolingThrough = index + params.cooldown;
        notes.push(`${how}${exit ? ` at ${exit.price.toFixed()}` : ''}; ignoring shocks for ${params.cooldown} candles`);
        const leftover = [LH_STOP, LH_TAKE_PROFIT].filter((t) => working.has(t));
        return { ...(leftover.length > 0 ? { cancelTags: leftover } : {}), notes };
      }
      if (index - state.filledAt >= params.maxHoldCandles && !working.has(LH_TIME_STOP)) {
        notes.push(`held ${params.maxHoldCandles} candles without an exit: selling at market`);
        return { cancelTags: [LH_STOP, LH_TAKE_PROFIT], orders: [{ side: 'sell', type: 'market', quantity: portfolio.position, tag: LH_TIME_STOP }], notes };
      }
      return {};
    }

    // Watching.
    if (index <= state.coolingThrough || previous === undefined || atr === undefined || averageVolume === undefined) return {};
    if (portfolio.position.gt(0) || working.size > 0) return {};
    const drop = previous.close.sub(candle.close);
    const volume = candle.volume.toNumber();
    const dropNumber = drop.toNumber();
    if (!(dropNumber > 0 && dropNumber > params.dropAtr * atr && averageVolume > 0 && volume >= params.volumeMultiple * averageVolume)) return {};

    const spend = portfolio.cash.mul(params.allocation);
    if (spend.lte(0)) return {};
    state.phase = 'entering';
    state.enteredAt = index;
    state.shock = { preShockClose: previous.close, close: candle.close, low: candle.low };
    const entry: OrderIntent = params.entryDiscountPercent === undefined
      ? { side: 'buy', type: 'market', quoteAmount: spend, tag: LH_ENTRY }
      : { side: 'buy', type: 'limit', price: candle.close.mul(params.entryDiscountPercent.div(100).neg().add(1)).toDecimalPlaces(PRICE_DECIMALS), quoteAmount: spend, tag: LH_ENTRY };
    notes.push(
      `shock: close fell ${drop.toFixed()} (${atr > 0 ? `${(dropNumber / atr).toFixed(1)} ATR` : 'after flat candles'}) on ${(volume / averageVolume).toFixed(1)}× the average volume: ` +
        (entry.type === 'market' ? 'buying at market' : `bidding ${entry.price!.toFixed()}`),
    );
    return { orders: [entry], notes };
  },
};
