// The simulated price path of one instrument: a pure function of (seed, instrument, time).
//
// Two layers:
// - Daily checkpoints: the log-price at each UTC midnight follows a mean-reverting walk (AR(1),
//   half-life ≈ 34 days, so BTC mostly stays within about ±30% of its base level) around the
//   instrument's base price, started at 2020-01-01 and run forward and backward from there. Its
//   daily shocks mix a market factor shared by all instruments with the instrument's own, scaled by
//   a slowly varying volatility regime (also shared), so calm and wild weeks cluster market-wide.
// - Minutes within a day: GARCH(1,1) returns with intraday seasonality, occasional jumps and the same
//   market/own mix, then bridged (a constant per-minute drift) so the day ends exactly at the next
//   checkpoint. A minute needs only its own day, so any time can be computed without simulating from
//   the start.
// Within a minute the price runs open → first extreme → second extreme → close along straight lines,
// so a 1m candle's high and low are exactly the extremes of every quote inside it, and longer candles
// are exact aggregations of 1m candles. Prices are kept as whole numbers of ticks.
import type { SimInstrument } from './markets.js';
import { Random, hashNormal, hashString, hashUniform, mixSeed, valueNoise } from './random.js';

export const MINUTE_MS = 60_000;
export const MINUTES_PER_DAY = 1_440;
export const DAY_MS = 86_400_000;
/** The simulated market has history from 2000 to 2100; times outside are refused. */
export const FIRST_DAY = Date.UTC(2000, 0, 1) / DAY_MS;
export const LAST_DAY = Date.UTC(2100, 0, 1) / DAY_MS;
const ORIGIN_DAY = Date.UTC(2020, 0, 1) / DAY_MS;

/** Per-day pull back towards the base price (AR(1) coefficient of the log deviation). */
const REVERSION = 0.98;
const GARCH_ALPHA = 0.06;
const GARCH_BETA = 0.92;
const GARCH_OMEGA = 1 - GARCH_ALPHA - GARCH_BETA;
const JUMP_PROBABILITY = 0.002;
const JUMP_SCALE = 4;
const WEEKEND_VOLATILITY = 0.75;
const WEEKEND_VOLUME = 0.65;
const AVERAGE_TRADE_VALUE = 800;

const MARKET = hashString('market');
const TAG_CHECKPOINT = 1;
const TAG_REGIME_FAST = 2;
const TAG_REGIME_SLOW = 3;
const TAG_DAY = 4;
const TAG_BASIS = 5;
const TAG_VOLUME = 6;

// Volatility by UTC hour (quiet in Asia's night, busiest around the US open), normalised so its mean
// square is 1; volume follows the same shape more strongly.
const HOURLY_SHAPE = [0.8, 0.75, 0.7, 0.7, 0.7, 0.75, 0.8, 0.9, 1, 1, 1, 1, 1.05, 1.2, 1.35, 1.4, 1.3, 1.15, 1.05, 1, 0.95, 0.9, 0.85, 0.8];
const SHAPE_RMS = Math.sqrt(HOURLY_SHAPE.reduce((s, x) => s + x * x, 0) / 24);
const HOURLY_VOLATILITY = HOURLY_SHAPE.map((x) => x / SHAPE_RMS);
const VOLUME_MEAN = HOURLY_SHAPE.reduce((s, x) => s + x * x, 0) / 24;
const HOURLY_VOLUME = HOURLY_SHAPE.map((x) => (x * x) / VOLUME_MEAN);

function isWeekend(day: number): boolean {
  const weekday = (day + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  return weekday === 0 || weekday === 6;
}

/** One UTC day of minutes, prices in ticks, volume in step units. */
export interface DayMinutes {
  day: number;
  /** Open of the first minute (= close of the previous day's last minute). */
  firstOpen: number;
  close: Float64Array;
  high: Float64Array;
  low: Float64Array;
  volume: Float64Array;
  trades: Int32Array;
  /** Where in the minute the first and second extremes are reached. */
  firstTurn: Float32Array;
  secondTurn: Float32Array;
  /** 1 when the high comes before the low. */
  highFirst: Uint8Array;
  /** The minute's return standard deviation (log units), for spreads. */
  sigma: Float32Array;
}

/** Open/high/low/close in ticks, volume in step units, trade count, Σ typical price × volume. */
export interface TickBar {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
  priceVolume: number;
}

/** A bounded least-recently-used cache shared by all paths of a market. */
export class DayCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, DayMinutes>();

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  get(key: string): DayMinutes | undefined {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: DayMinutes): void {
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}

function mergeInto(target: TickBar | undefined, bar: TickBar): TickBar {
  if (!target) return { ...bar };
  target.high = Math.max(target.high, bar.high);
  target.low = Math.min(target.low, bar.low);
  target.close = bar.close;
  target.volume += bar.volume;
  target.trades += bar.trades;
  target.priceVolume += bar.priceVolume;
  return target;
}

export class PricePath {
  readonly instrument: SimInstrument;
  readonly tick: number;
  readonly step: number;
  readonly #seed: number;
  readonly #pathKey: number;
  readonly #symbolKey: number;
  readonly #ticksAtBase: number;
  readonly #unitsPerMinute: number;
  readonly #cache: DayCache;
  /** Checkpoints from the origin forward (index d - ORIGIN_DAY) and backward (ORIGIN_DAY - d). */
  readonly #forward: number[] = [0];
  readonly #backward: number[] = [0];
  readonly #summaries = new Map<number, TickBar>();

  constructor(seed: number, instrument: SimInstrument, cache: DayCache) {
    this.instrument = instrument;
    this.tick = Number(instrument.tickSize);
    this.step = Number(instrument.stepSize);
    this.#seed = seed | 0;
    // Spot and perpetual of the same base share one underlying path.
    this.#pathKey = hashString(instrument.base);
    this.#symbolKey = hashString(instrument.symbol);
    this.#ticksAtBase = instrument.basePrice / this.tick;
    this.#unitsPerMinute = instrument.dailyQuoteVolume / MINUTES_PER_DAY / instrument.basePrice / this.step;
    this.#cache = cache;
  }

  /** Volatility regime of a day, shared by the market: ~1 on average, 0.5–2 in calm/wild spells. */
  #regime(day: number): number {
    const fast = valueNoise(day / 7, this.#seed, MARKET, TAG_REGIME_FAST);
    const slow = valueNoise(day / 40, this.#seed, MARKET, TAG_REGIME_SLOW);
    return Math.exp(0.3 * fast + 0.2 * slow - 0.065);
  }

  /** The day's return standard deviation (log units). */
  #dailySigma(day: number): number {
    return this.instrument.dailyVolatility * this.#regime(day) * (isWeekend(day) ? WEEKEND_VOLATILITY : 1);
  }

  #dailyShock(day: number, direction: number): number {
    const beta = this.instrument.marketBeta;
    const market = hashNormal(this.#seed, MARKET, TAG_CHECKPOINT, direction, day);
    const own = hashNormal(this.#seed, this.#pathKey, TAG_CHECKPOINT, direction, day);
    return beta * market + Math.sqrt(1 - beta * beta) * own;
  }

  /** Log deviation from the base price at the start (00:00 UTC) of `day`. */
  checkpoint(day: number): number {
    if (day < FIRST_DAY || day > LAST_DAY + 1) throw new RangeError('the simulated market covers 2000–2100 only');
    if (day >= ORIGIN_DAY) {
      const forward = this.#forward;
      while (forward.length <= day - ORIGIN_DAY) {
        const d = ORIGIN_DAY + forward.length - 1;
        forward.push(REVERSION * forward[forward.length - 1]! + this.#dailySigma(d) * this.#dailyShock(d, 1));
      }
      return forward[day - ORIGIN_DAY]!;
    }
    const backward = this.#backward;
    while (backward.length <= ORIGIN_DAY - day) {
      const d = ORIGIN_DAY - backward.length;
      backward.push(REVERSION * backward[backward.length - 1]! + this.#dailySigma(d) * this.#dailyShock(d, -1));
    }
    return backward[ORIGIN_DAY - day]!;
  }

  /** Perpetual basis over spot (log units) for an absolute minute; 0 for spot. */
  #basis(minute: number): number {
    if (this.instrument.kind !== 'perp') return 0;
    return 0.0001 + 0.0004 * valueNoise(minute / 720, this.#seed, this.#symbolKey, TAG_BASIS);
  }

  /** Basis at an absolute minute, exposed for funding rates. */
  basisAt(minute: number): number {
    return this.#basis(minute);
  }

  #toTicks(logDeviation: number): number {
    return Math.max(1, Math.round(this.#ticksAtBase * Math.exp(logDeviation)));
  }

  #dayKey(day: number): string {
    return `${this.instrument.symbol}|${day}`;
  }

  /** All minutes of a UTC day (cached). */
  day(day: number): DayMinutes {
    const key = this.#dayKey(day);
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const computed = this.#simulateDay(day);
    this.#cache.set(key, computed);
    return computed;
  }

  #simulateDay(day: number): DayMinutes {
    const n = MINUTES_PER_DAY;
    const start = this.checkpoint(day);
    const end = this.checkpoint(day + 1);
    const minuteSigma = this.#dailySigma(day) / Math.sqrt(n);
    const beta = this.instrument.marketBeta;
    const own = Math.sqrt(1 - beta * beta);
    // The market's intraday shocks are shared by every instrument; the path's own by its spot and perp.
    const market = new Random(mixSeed(this.#seed, MARKET, TAG_DAY, day));
    const path = new Random(mixSeed(this.#seed, this.#pathKey, TAG_DAY, day));
    const details = new Random(mixSeed(this.#seed, this.#symbolKey, TAG_VOLUME, day));
    const logs = new Float64Array(n);
    const sigma = new Float32Array(n);
    const shocks = new Float64Array(n);
    let h = 1;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let z = beta * market.normal() + own * path.normal();
      if (path.next() < JUMP_PROBABILITY) z *= JUMP_SCALE;
      const scale = minuteSigma * HOURLY_VOLATILITY[Math.floor(i / 60)]!;
      const e = Math.sqrt(h) * z;
      sigma[i] = scale * Math.sqrt(h);
      shocks[i] = e;
      sum += scale * e;
      logs[i] = sum;
      h = GARCH_OMEGA + GARCH_ALPHA * e * e + GARCH_BETA * h;
    }
    // Bridge: spread the gap to the next checkpoint evenly, so the last minute closes on it.
    const drift = (end - start - sum) / n;
    const firstMinute = day * n;
    const out: DayMinutes = {
      day,
      firstOpen: this.#toTicks(start + this.#basis(firstMinute - 1)),
      close: new Float64Array(n),
      high: new Float64Array(n),
      low: new Float64Array(n),
      volume: new Float64Array(n),
      trades: new Int32Array(n),
      firstTurn: new Float32Array(n),
      secondTurn: new Float32Array(n),
      highFirst: new Uint8Array(n),
      sigma,
    };
    const volumeScale = this.#unitsPerMinute * (isWeekend(day) ? WEEKEND_VOLUME : 1);
    const tradeValue = this.step * this.instrument.basePrice / AVERAGE_TRADE_VALUE;
    let open = out.firstOpen;
    for (let i = 0; i < n; i++) {
      const close = i === n - 1 ? this.#toTicks(end + this.#basis(firstMinute + i)) : this.#toTicks(start + logs[i]! + drift * (i + 1) + this.#basis(firstMinute + i));
      const top = Math.max(open, close);
      const bottom = Math.min(open, close);
      const wickUp = Math.abs(details.normal()) * 0.4 * sigma[i]!;
      const wickDown = Math.abs(details.normal()) * 0.4 * sigma[i]!;
      out.close[i] = close;
      // Wicks are a fraction of a percent: a second-order exp is exact to well under a tick's worth.
      out.high[i] = Math.max(top, Math.round(top * (1 + wickUp * (1 + wickUp / 2))));
      out.low[i] = Math.min(bottom, Math.max(1, Math.round(bottom * (1 - wickDown * (1 - wickDown / 2)))));
      const activity = 0.6 + 0.4 * Math.abs(shocks[i]!);
      const units = Math.round(volumeScale * HOURLY_VOLUME[Math.floor(i / 60)]! * activity * Math.exp(0.45 * details.normal() - 0.1));
      out.volume[i] = units;
      out.trades[i] = units === 0 ? 0 : Math.max(1, Math.round(units * tradeValue));
      out.firstTurn[i] = 0.1 + 0.35 * details.next();
      out.secondTurn[i] = 0.55 + 0.35 * details.next();
      // A rising minute more often dips first, a falling one more often spikes first.
      out.highFirst[i] = details.next() < (close >= open ? 0.35 : 0.65) ? 1 : 0;
      open = close;
    }
    return out;
  }

  /** Open/high/low/close/volume of a whole day (cached: days are immutable). */
  #daySummary(day: number): TickBar {
    const hit = this.#summaries.get(day);
    if (hit) return hit;
    // Long scans (daily/weekly candles over years) keep only summaries, not every day's minutes.
    const minutes = this.#cache.get(this.#dayKey(day)) ?? this.#simulateDay(day);
    const bar = this.#minutesBar(minutes, 0, MINUTES_PER_DAY)!;
    this.#summaries.set(day, bar);
    return bar;
  }

  #minutesBar(d: DayMinutes, from: number, to: number): TickBar | undefined {
    if (to <= from) return undefined;
    let high = -Infinity;
    let low = Infinity;
    let volume = 0;
    let trades = 0;
    let priceVolume = 0;
    for (let i = from; i < to; i++) {
      const h = d.high[i]!;
      const l = d.low[i]!;
      if (h > high) high = h;
      if (l < low) low = l;
      const v = d.volume[i]!;
      volume += v;
      trades += d.trades[i]!;
      priceVolume += ((h + l + d.close[i]!) / 3) * v;
    }
    return { open: from === 0 ? d.firstOpen : d.close[from - 1]!, high, low, close: d.close[to - 1]!, volume, trades, priceVolume };
  }

  /** Ticks along minute `i` of `d` at `fraction` (0 = open, 1 = close), and its extremes so far. */
  #withinMinute(d: DayMinutes, i: number, fraction: number): { price: number; high: number; low: number } {
    const open = i === 0 ? d.firstOpen : d.close[i - 1]!;
    const first = d.highFirst[i] ? d.high[i]! : d.low[i]!;
    const second = d.highFirst[i] ? d.low[i]! : d.high[i]!;
    const t1 = d.firstTurn[i]!;
    const t2 = d.secondTurn[i]!;
    let price: number;
    if (fraction <= t1) price = open + ((first - open) * fraction) / t1;
    else if (fraction <= t2) price = first + ((second - first) * (fraction - t1)) / (t2 - t1);
    else price = second + ((d.close[i]! - second) * (fraction - t2)) / (1 - t2);
    price = Math.round(price);
    let high = Math.max(open, price);
    let low = Math.min(open, price);
    if (fraction > t1) {
      high = Math.max(high, first);
      low = Math.min(low, first);
    }
    if (fraction > t2) {
      high = Math.max(high, second);
      low = Math.min(low, second);
    }
    return { price, high, low };
  }

  /** Price in ticks at epoch ms `time`. */
  ticksAt(time: number): number {
    const minute = Math.floor(time / MINUTE_MS);
    const day = Math.floor(minute / MINUTES_PER_DAY);
    return this.#withinMinute(this.day(day), minute - day * MINUTES_PER_DAY, (time - minute * MINUTE_MS) / MINUTE_MS).price;
  }

  /** The return standard deviation of the minute containing `time`. */
  sigmaAt(time: number): number {
    const minute = Math.floor(time / MINUTE_MS);
    const day = Math.floor(minute / MINUTES_PER_DAY);
    return this.day(day).sigma[minute - day * MINUTES_PER_DAY]!;
  }

  /**
   * The bar over [fromMs, toMs) (both whole minutes) as seen at `nowMs`: minutes that ended by `nowMs`
   * count in full, the minute containing `nowMs` counts up to that moment (its volume pro rata), later
   * minutes not at all. Undefined when the bar starts after `nowMs`.
   */
  bar(fromMs: number, toMs: number, nowMs: number): TickBar | undefined {
    if (fromMs > nowMs) return undefined;
    const fromMinute = fromMs / MINUTE_MS;
    const toMinute = toMs / MINUTE_MS;
    const nowMinute = Math.floor(nowMs / MINUTE_MS);
    const fullEnd = Math.min(toMinute, nowMinute);
    let bar: TickBar | undefined;
    let minute = fromMinute;
    while (minute < fullEnd) {
      const day = Math.floor(minute / MINUTES_PER_DAY);
      const dayStart = day * MINUTES_PER_DAY;
      const dayEnd = dayStart + MINUTES_PER_DAY;
      const stop = Math.min(dayEnd, fullEnd);
      const part = minute === dayStart && stop === dayEnd ? this.#daySummary(day) : this.#minutesBar(this.day(day), minute - dayStart, stop - dayStart);
      if (part) bar = mergeInto(bar, part);
      minute = stop;
    }
    if (nowMinute < toMinute) {
      const day = Math.floor(nowMinute / MINUTES_PER_DAY);
      const d = this.day(day);
      const i = nowMinute - day * MINUTES_PER_DAY;
      const fraction = (nowMs - nowMinute * MINUTE_MS) / MINUTE_MS;
      const inside = this.#withinMinute(d, i, fraction);
      const volume = Math.floor(d.volume[i]! * fraction);
      const open = i === 0 ? d.firstOpen : d.close[i - 1]!;
      bar = mergeInto(bar, {
        open,
        high: inside.high,
        low: inside.low,
        close: inside.price,
        volume,
        trades: Math.floor(d.trades[i]! * fraction),
        priceVolume: ((inside.high + inside.low + inside.price) / 3) * volume,
      });
    }
    return bar;
  }

  /** A uniform in [0, 1) for order-book sizes and the like, determined by this instrument and `parts`. */
  uniform(...parts: number[]): number {
    return hashUniform(this.#seed, this.#symbolKey, ...parts);
  }
}
