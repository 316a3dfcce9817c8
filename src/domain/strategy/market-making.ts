/**
 * Market making: rests a limit buy (the bid) below a reference mid and, while holding inventory, a
 * limit sell (the ask) above it, earning the spread when the price swings through both. The mid is the
 * last close, or an EMA of the closes (`reference: 'ema'`; no quotes until the EMA has `emaPeriod`
 * closes). Spot and long only, so it can only sell what it has bought: inventory runs from zero to
 * `maxInventory`.
 *
 * Quotes, on each closed candle (bps = 1/10,000):
 * - inventory ratio r = position × mid / maxInventory, capped at 1;
 * - bid = mid × (1 − (spreadBps / 2 + skewBps × r) / 10,000), rounded down to 8 decimals;
 * - ask = mid × (1 + (spreadBps / 2 − skewBps × r) / 10,000), rounded up to 8 decimals.
 * Both quotes move down as inventory grows (the skew), so the ask gets easier to hit and the bid
 * harder: selling is favoured and buying slows. At full inventory the ask sits `spreadBps / 2 −
 * skewBps` from the mid, below it when the skew is the larger. The bid spends min(orderSize,
 * maxInventory − position × mid, cash), fee included, so it stops buying at `maxInventory`; the ask
 * sells orderSize worth (quote) or, when less is held, the whole position.
 * - Requoting: each candle it cancels its tagged quotes (`mm-bid`, `mm-ask`) and places new ones, but
 *   keeps a working quote whose size is unchanged and whose price moved by at most `requoteBps`
 *   (a live order keeps its place in the queue that way). After any fill both quotes are redone.
 * - Stop-out (`stopLossPercent`): once a close is that many percent below the average cost (buy fees
 *   included), it cancels both quotes, sells everything at market (`mm-stop`) and stays out for
 *   `stopCooldown` candles.
 *
 * Parameters: orderSize (quote asset per order, required), maxInventory (quote value at the mid, default
 * 5 × orderSize), spreadBps (0–5000, default 50), skewBps (0–5000, default 25), reference (close |
 * ema, default close), emaPeriod (2–1000, default 20), requoteBps (0–1000, default 10),
 * stopLossPercent (0–99, none by default), stopCooldown (0–10000 candles, default 10).
 *
 * How the backtester fills these quotes (src/domain/backtest/backtest.ts): a quote decided on candle
 * t's close works from candle t + 1. A new quote the next open already crosses fills at that open as a
 * taker (with reference "ema" a fast move can leave the bid above the market, so it buys at once).
 * Otherwise it rests and fills in full, at its own price with the maker fee, on the first candle whose
 * low reaches the bid (low ≤ bid) or whose high reaches the ask (high ≥ ask): a touch is a fill. There
 * is no queue, no partial fill and no volume cap, and orders reached on one candle fill in the order
 * they were placed. That overstates fills against a real order book, where a quote at the touch waits
 * behind the queue and often does not fill, and where the fills that do come are mostly the ones where
 * the price runs on through the quote (adverse selection). backtest.ts has no queue model, so the
 * requote threshold changes nothing there; treat a backtest's market-making P&L as an upper bound.
 *
 * When it loses: in a trend down. The bid keeps filling and the ask never does, so it buys to
 * `maxInventory` on the way down and holds it as the price falls (the skew only slows this); the
 * stop-out turns that into a realised loss. In a trend up it sells its inventory early and then only
 * bids below a market that has left. When the spread is under twice the maker fee every round trip
 * loses; and against real queues and informed flow it earns less than a backtest shows.
 */
import { z } from 'zod';
import { EmaStream } from '../indicators/index.js';
import { D, fromBps, minDec, type Dec } from '../money.js';
import type { OpenOrderView, OrderIntent, Strategy } from './kernel.js';
import { countParam, decimalParam } from './params.js';

const bpsParam = (name: string, max: number, describe: string): z.ZodNumber =>
  z
    .number({ invalid_type_error: `${name} must be a number of basis points` })
    .min(0, `${name} must be at least 0`)
    .max(max, `${name} must be at most ${max}`)
    .describe(describe);

export const marketMakingParams = z
  .object({
    orderSize: decimalParam('orderSize', { max: '1000000000000', describe: 'Quote amount each quote trades: what a bid spends (fee included) and what an ask sells' }),
    maxInventory: decimalParam('maxInventory', { max: '1000000000000', describe: 'Most inventory to hold, as quote value at the mid; the bid stops there (default 5 × orderSize)' }).optional(),
    spreadBps: bpsParam('spreadBps', 5000, 'Distance from bid to ask, in basis points of the mid (half on each side)').default(50),
    skewBps: bpsParam('skewBps', 5000, 'How far both quotes move down at full inventory, in basis points of the mid').default(25),
    reference: z.enum(['close', 'ema'], { errorMap: () => ({ message: 'reference must be "close" or "ema"' }) }).default('close')
      .describe('The mid the quotes sit around: the last close or an EMA of the closes'),
    emaPeriod: countParam('emaPeriod', 2, 1000, 'EMA period for reference "ema", in candles').default(20),
    requoteBps: bpsParam('requoteBps', 1000, 'Keep a working quote whose price moved by at most this many basis points').default(10),
    stopLossPercent: decimalParam('stopLossPercent', { max: '99', describe: 'Sell everything at market when a close is this many percent below the average cost' }).optional(),
    stopCooldown: countParam('stopCooldown', 0, 10_000, 'Candles without quotes after a stop-out').default(10),
  })
  .strict();
export type MarketMakingParams = z.infer<typeof marketMakingParams>;

export interface MarketMakingState {
  /** The EMA of the closes (reference "ema" only). */
  ema: EmaStream | null;
  /** Index of the last candle on which no quotes are made after a stop-out; -1 when none. */
  pausedThrough: number;
  /** Whether the bid was withheld at max inventory on the previous candle (for the note). */
  atMaxInventory: boolean;
}

export const MM_BID = 'mm-bid';
export const MM_ASK = 'mm-ask';
export const MM_STOP = 'mm-stop';
const QUOTE_DECIMALS = 8;

/** Whether a working quote is close enough to the new one to keep (same size, price within requoteBps). */
function keep(existing: OpenOrderView | undefined, wanted: OrderIntent, requoteBps: number): boolean {
  if (existing === undefined || existing.price === undefined || wanted.price === undefined) return false;
  const sameSize = wanted.quantity !== undefined
    ? existing.quantity !== undefined && existing.quantity.eq(wanted.quantity)
    : existing.quoteAmount !== undefined && wanted.quoteAmount !== undefined && existing.quoteAmount.eq(wanted.quoteAmount);
  return sameSize && wanted.price.sub(existing.price).abs().lte(existing.price.mul(fromBps(requoteBps)));
}

export const marketMakingStrategy: Strategy<MarketMakingParams, MarketMakingState> = {
  kind: 'market_making',
  summary: 'quotes a bid below and an ask above the mid, skewed down as inventory grows, and earns the spread in a range',
  params: marketMakingParams,
  init(p) {
    return { ema: p.reference === 'ema' ? new EmaStream(p.emaPeriod) : null, pausedThrough: -1, atMaxInventory: false };
  },
  onCandle({ params, state, candles, portfolio }) {
    const index = candles.length - 1;
    const close = candles.last().close;
    const emaValue = state.ema?.update(close.toNumber());
    const quoteTags = [MM_BID, MM_ASK];
    const working = new Map(portfolio.openOrders.map((o) => [o.tag, o]));
    const notes: string[] = [];

    if (working.has(MM_STOP)) return {};
    const average = portfolio.averageCost;
    if (params.stopLossPercent !== undefined && portfolio.position.gt(0) && average !== null) {
      const stopPrice = average.mul(params.stopLossPercent.div(100).neg().add(1));
      if (close.lte(stopPrice)) {
        state.pausedThrough = index + params.stopCooldown;
        notes.push(`close ${close.toFixed()} is ${params.stopLossPercent.toFixed()}% or more below the average cost ${average.toDecimalPlaces(QUOTE_DECIMALS).toFixed()}: selling the inventory and pausing ${params.stopCooldown} candles`);
        return { cancelTags: quoteTags, orders: [{ side: 'sell', type: 'market', quantity: portfolio.position, tag: MM_STOP }], notes };
      }
    }
    if (index <= state.pausedThrough) return working.size > 0 ? { cancelTags: quoteTags } : {};

    let mid: Dec;
    if (state.ema === null) mid = close;
    else if (emaValue === undefined) return {};
    else mid = new D(emaValue).toDecimalPlaces(QUOTE_DECIMALS);

    const maxInventory = params.maxInventory ?? params.orderSize.mul(5);
    const inventory = portfolio.position.mul(mid);
    const ratio = minDec(inventory.div(maxInventory), new D(1));
    const skew = ratio.mul(params.skewBps);
    const half = new D(params.spreadBps).div(2);
    const bid = mid.mul(fromBps(half.add(skew)).neg().add(1)).toDecimalPlaces(QUOTE_DECIMALS, D.ROUND_DOWN);
    const ask = mid.mul(fromBps(half.sub(skew)).add(1)).toDecimalPlaces(QUOTE_DECIMALS, D.ROUND_UP);

    const wanted: OrderIntent[] = [];
    const bidSize = minDec(minDec(params.orderSize, maxInventory.sub(inventory)), portfolio.cash);
    if (bidSize.gt(0)) {
      wanted.push({ side: 'buy', type: 'limit', price: bid, quoteAmount: bidSize, tag: MM_BID });
      state.atMaxInventory = false;
    } else if (!state.atMaxInventory) {
      state.atMaxInventory = inventory.gte(maxInventory);
      if (state.atMaxInventory) notes.push(`inventory ${inventory.toDecimalPlaces(2).toFixed()} is at the maximum ${maxInventory.toFixed()}: not buying until some is sold`);
    }
    if (portfolio.position.gt(0)) {
      const askSize: Pick<OrderIntent, 'quantity' | 'quoteAmount'> = portfolio.position.mul(ask).gte(params.orderSize) ? { quoteAmount: params.orderSize } : { quantity: portfolio.position };
      wanted.push({ side: 'sell', type: 'limit', price: ask, ...askSize, tag: MM_ASK });
    }

    // Without a fill since the last candle, a quote that barely moved keeps its place; otherwise all are redone.
    const refresh = portfolio.newFills.length > 0;
    const cancelTags: string[] = [];
    const orders: OrderIntent[] = [];
    for (const tag of quoteTags) {
      const want = wanted.find((o) => o.tag === tag);
      const have = working.get(tag);
      if (!refresh && want !== undefined && keep(have, want, params.requoteBps)) continue;
      if (have !== undefined) cancelTags.push(tag);
      if (want !== undefined) orders.push(want);
    }
    return { ...(cancelTags.length > 0 ? { cancelTags } : {}), orders, notes };
  },
};
