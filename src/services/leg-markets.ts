// The market each leg of a multi-market strategy trades (`Strategy.legs`): the same resolution for a
// backtest (services/backtest) and for a bot (services/bots), so a bot trades the markets its
// backtest ran on. A leg names an asset (null = the primary's base) and a kind: a perpetual is
// BASE-PERP, a spot leg BASE/QUOTE, both in the primary market's quote.
import type { Market } from '../domain/market.js';
import type { LegSpec, StrategyKind } from '../domain/strategy/index.js';
import { AppError, ErrorCode } from './errors.js';

/** The market of `spec`, or an error a person can act on (unlisted asset, no perpetual, another quote). */
export function legMarket(resolveSymbol: (symbol: string) => Market, kind: StrategyKind, primary: Market, spec: LegSpec): Market {
  const what = kind.replaceAll('_', ' ');
  let base = primary.base;
  if (spec.asset !== null) {
    try {
      base = resolveSymbol(spec.asset).base;
    } catch {
      throw new AppError(ErrorCode.invalidInput, `${what}: no market lists the asset "${spec.asset.slice(0, 20)}"`, 'give an asset the market lists, e.g. "ETH"');
    }
  }
  const symbol = spec.kind === 'perp' ? `${base}-PERP` : `${base}/${primary.quote}`;
  let leg: Market;
  try {
    leg = resolveSymbol(symbol);
  } catch {
    throw new AppError(ErrorCode.invalidInput, `${what} trades ${symbol} (its ${spec.id} leg), which is not listed`, spec.kind === 'perp' ? 'choose an asset that has a perpetual (search-markets with kind perp lists them)' : 'choose an asset with a spot market');
  }
  if (leg.kind !== spec.kind || leg.quote !== primary.quote) {
    throw new AppError(ErrorCode.invalidInput, `${what} needs a ${spec.kind === 'perp' ? 'perpetual' : 'spot market'} of ${base} in ${primary.quote}; ${leg.symbol} is ${leg.kind} in ${leg.quote}`, `choose a ${leg.quote} market for the run, e.g. ${base}/${leg.quote}`);
  }
  return leg;
}

/** Each leg of `specs` with its market; two legs on one market are refused. */
export function legMarkets(resolveSymbol: (symbol: string) => Market, kind: StrategyKind, primary: Market, specs: readonly LegSpec[]): Array<{ id: string; spec: LegSpec; market: Market }> {
  const out = specs.map((spec) => ({ id: spec.id, spec, market: legMarket(resolveSymbol, kind, primary, spec) }));
  for (const [k, leg] of out.entries()) {
    if (out.some((other, j) => j < k && other.market.symbol === leg.market.symbol)) {
      throw new AppError(ErrorCode.invalidInput, `${kind.replaceAll('_', ' ')} needs two different assets; both legs resolve to ${leg.market.symbol}`, 'choose a pair asset other than the market the backtest runs on');
    }
  }
  return out;
}
