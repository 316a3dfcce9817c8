// Canonical MIKEY symbols ↔ ccxt unified symbols.
//
//   spot       "BTC/USDT"  ↔ "BTC/USDT"
//   perpetual  "BTC-PERP"  ↔ "BTC/USDT:USDT"   (linear swap settled in the perp quote, USDT by default)
//
// Perpetuals settled in anything but the perp quote (BTC/USDC:USDC, inverse BTC/USD:BTC) and dated
// futures and options have no canonical name and are not listed.
import { canonicalSymbol } from '../../domain/market.js';
import type { CcxtMarket } from './ccxt-schema.js';

export const DEFAULT_PERP_QUOTE = 'USDT';

/** The canonical symbol of a ccxt market, or undefined when MIKEY does not trade that kind. */
export function canonicalFromCcxtMarket(m: CcxtMarket, perpQuote = DEFAULT_PERP_QUOTE): { symbol: string; kind: 'spot' | 'perp' } | undefined {
  if (m.spot === true || m.type === 'spot') return { symbol: canonicalSymbol(m.base, m.quote, 'spot'), kind: 'spot' };
  const isSwap = m.swap === true || m.type === 'swap';
  if (isSwap && m.linear === true && m.quote.toUpperCase() === perpQuote && (m.settle ?? '').toUpperCase() === perpQuote) {
    return { symbol: canonicalSymbol(m.base, m.quote, 'perp'), kind: 'perp' };
  }
  return undefined;
}

/** The ccxt unified symbol for a canonical one ("BTC-PERP" → "BTC/USDT:USDT"). */
export function ccxtSymbolFor(canonical: string, perpQuote = DEFAULT_PERP_QUOTE): string {
  const s = canonical.trim().toUpperCase();
  if (s.endsWith('-PERP')) {
    const base = s.slice(0, -'-PERP'.length);
    return `${base}/${perpQuote}:${perpQuote}`;
  }
  return s;
}
