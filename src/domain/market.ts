// Markets (instruments) and symbol resolution. A market is what a venue lets you trade: its tick
// (price increment), step (quantity increment), size limits and, for perpetuals, its leverage cap.
// Canonical symbols: spot `BASE/QUOTE` (e.g. "BTC/USDT"), perpetual `BASE-PERP` (e.g. "SOL-PERP").
// Every other spelling people and models use resolves to one canonical market or to an error that
// names the closest listed markets.
import type { MarketInfo } from './ports.js';
import { dec, type Dec } from './money.js';
import { DomainErrorCode, fail, ok, type Result } from './result.js';

export const MarketKind = { spot: 'spot', perp: 'perp' } as const;
export type MarketKind = (typeof MarketKind)[keyof typeof MarketKind];

/**
 * A market as the domain uses it: the port's `MarketInfo` plus, for perpetuals, the maintenance
 * margin rate (the share of notional below which an isolated position is liquidated).
 */
export interface Market extends MarketInfo {
  maintenanceMarginRate?: Dec;
}

/** Quote assumed when only a base is given ("BTC" means BTC/USDT). */
export const DEFAULT_QUOTE = 'USDT';

/** Maintenance margin rate used when a perpetual market does not state one (0.5%). */
export const DEFAULT_MAINTENANCE_MARGIN_RATE: Dec = dec('0.005');

/** Renamed or alternative tickers: MATIC became POL; XBT is BTC at some venues. */
export const ASSET_ALIASES: Readonly<Record<string, string>> = { MATIC: 'POL', XBT: 'BTC' };

/** Longest symbol text we try to resolve; anything longer is refused without echoing it. */
export const MAX_SYMBOL_LENGTH = 40;

/** Highest leverage a market allows: 1 on spot, the venue cap (or 1 when unstated) on perpetuals. */
export function maxLeverageOf(market: MarketInfo): number {
  return market.kind === 'perp' ? Math.max(1, market.maxLeverage ?? 1) : 1;
}

export function maintenanceMarginRateOf(market: Market): Dec {
  return market.maintenanceMarginRate ?? DEFAULT_MAINTENANCE_MARGIN_RATE;
}

/** Canonical symbol for a base/quote/kind: "BTC/USDT" for spot, "BTC-PERP" for a perpetual. */
export function canonicalSymbol(base: string, quote: string, kind: MarketKind): string {
  return kind === 'perp' ? `${base.toUpperCase()}-PERP` : `${base.toUpperCase()}/${quote.toUpperCase()}`;
}

/** Exact lookup by canonical symbol (case-insensitive); no guessing. */
export function findMarket(symbol: string, markets: readonly MarketInfo[]): MarketInfo | undefined {
  const wanted = symbol.trim().toUpperCase();
  return markets.find((m) => m.symbol.toUpperCase() === wanted);
}

/**
 * The base and quote assets of a canonical symbol ("SOL/USDT", "SOL-PERP"; a perpetual settles in
 * the default quote); undefined for a spelling that is not a symbol.
 */
export function symbolAssets(symbol: string): { base: string; quote: string } | undefined {
  const p = parseSymbol(symbol, [DEFAULT_QUOTE]);
  return p.ok ? { base: p.value.base, quote: p.value.quote ?? DEFAULT_QUOTE } : undefined;
}

/** What a symbol spelling asks for, before looking it up in a market list. */
export interface ParsedSymbol {
  base: string;
  /** Undefined when the spelling did not name a quote ("BTC", "BTC-PERP"). */
  quote?: string;
  kind: MarketKind;
}

const SAFE_SYMBOL = /^[A-Z0-9/:._ -]+$/;
const SEPARATORS = /[/_ -]+/;

/**
 * Parses the spellings people use: `BTC/USDT`, `btc-usdt`, `BTC_USDT`, `BTCUSDT` (quote found by suffix
 * among `knownQuotes`), `BTC`, `BTC-PERP`, `BTCUSDT-PERP`, `BTC-USDT-PERP`, `BTC/USDT:USDT` (ccxt's
 * notation for a linear perpetual settled in USDT), `BTC-USDT-SWAP`.
 */
export function parseSymbol(input: string, knownQuotes: readonly string[]): Result<ParsedSymbol> {
  const s = input.trim().toUpperCase();
  if (s.length === 0) return fail(DomainErrorCode.invalidSymbol, 'symbol is empty; give a market such as BTC/USDT or SOL-PERP');
  if (s.length > MAX_SYMBOL_LENGTH) {
    return fail(DomainErrorCode.invalidSymbol, `symbol is longer than ${MAX_SYMBOL_LENGTH} characters; give a market such as BTC/USDT`);
  }
  if (!SAFE_SYMBOL.test(s)) {
    return fail(DomainErrorCode.invalidSymbol, 'symbol may contain only letters, digits and / - _ : .; give a market such as BTC/USDT');
  }

  let body = s;
  let kind: MarketKind = 'spot';
  // ccxt: "BTC/USDT:USDT" is the USDT-settled perpetual.
  const colon = body.indexOf(':');
  if (colon >= 0) {
    kind = 'perp';
    body = body.slice(0, colon);
  }
  const perpSuffix = /(?:[/_ -]?(?:PERP|SWAP))$/;
  if (perpSuffix.test(body)) {
    kind = 'perp';
    body = body.replace(perpSuffix, '');
  }
  const parts = body.split(SEPARATORS).filter((p) => p.length > 0);
  if (parts.length === 0 || parts.length > 2) {
    return fail(DomainErrorCode.invalidSymbol, `cannot read "${s}" as a market; write it as BASE/QUOTE (BTC/USDT) or BASE-PERP (BTC-PERP)`);
  }
  const [first, second] = parts as [string, string | undefined];
  if (second !== undefined) return ok({ base: first, quote: second, kind });

  // No separator: split a known quote off the end, longest first ("ETHBTC" → ETH/BTC, "BTCUSDT" → BTC/USDT).
  const quotes = [...new Set(knownQuotes.map((q) => q.toUpperCase()))].sort((a, b) => b.length - a.length);
  for (const q of quotes) {
    if (first.length > q.length && first.endsWith(q)) return ok({ base: first.slice(0, -q.length), quote: q, kind });
  }
  return ok({ base: first, kind });
}

/**
 * Resolves any accepted spelling to one market in `markets`, or fails with `unknown_symbol` and the
 * closest listed markets ("unknown symbol SOLUSD; did you mean SOL/USDT?").
 */
export function resolveMarket(
  input: string,
  markets: readonly MarketInfo[],
  opts: { defaultQuote?: string } = {},
): Result<MarketInfo> {
  const exact = findMarket(input, markets);
  if (exact) return ok(exact);

  const parsed = parseSymbol(input, markets.map((m) => m.quote));
  if (!parsed.ok) return parsed;
  const { kind } = parsed.value;
  const defaultQuote = (opts.defaultQuote ?? DEFAULT_QUOTE).toUpperCase();

  for (const base of candidateBases(parsed.value.base)) {
    const found = markets.find((m) => {
      if (m.kind !== kind || m.base.toUpperCase() !== base) return false;
      const quote = parsed.value.quote;
      // A perpetual is named by its base; a quote given with it ("BTCUSDT-PERP") must match.
      if (kind === 'perp') return quote === undefined || m.quote.toUpperCase() === quote;
      return m.quote.toUpperCase() === (quote ?? defaultQuote);
    });
    if (found) return ok(found);
  }

  const shown = input.trim().toUpperCase();
  const suggestions = suggestMarkets(shown, markets, 3, { base: parsed.value.base, kind });
  const hint = suggestions.length > 0
    ? `did you mean ${suggestions.join(', ')}?`
    : `list the markets to see what can be traded (for example ${markets.slice(0, 3).map((m) => m.symbol).join(', ')})`;
  return fail(DomainErrorCode.unknownSymbol, `unknown symbol ${shown}; ${hint}`, { symbol: shown, suggestions });
}

function candidateBases(base: string): string[] {
  const alias = ASSET_ALIASES[base];
  return alias ? [base, alias] : [base];
}

/** Compact form for similarity: letters and digits only ("BTC/USDT" → "BTCUSDT", "SOL-PERP" → "SOLPERP"). */
function compact(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/**
 * Up to `limit` canonical symbols closest to `input`, by the smallest edit distance between the
 * input and a market's compact forms (symbol, base, base+quote); a form the input is the start of
 * counts as distance ½, and a market whose base equals the parsed base (`hint.base`) as ¼. Matches
 * farther than a third of the input's length (minimum 2) are dropped. Ties prefer the kind the input
 * asked for (spot unless it said perp), then the default quote, then alphabetical order.
 */
export function suggestMarkets(
  input: string,
  markets: readonly MarketInfo[],
  limit = 3,
  hint: { base?: string; kind?: MarketKind } = {},
): string[] {
  const target = compact(input);
  if (target.length === 0) return [];
  const maxDistance = Math.max(2, Math.floor(target.length / 3));
  const wantedKind = hint.kind ?? 'spot';
  const scored: Array<{ symbol: string; score: number; rank: number }> = [];
  for (const m of markets) {
    let best = Number.POSITIVE_INFINITY;
    if (hint.base !== undefined && candidateBases(hint.base.toUpperCase()).includes(m.base.toUpperCase())) best = 0.25;
    for (const f of [compact(m.symbol), compact(m.base), compact(`${m.base}${m.quote}`)]) {
      const d = f.startsWith(target) && f !== target ? 0.5 : editDistance(f, target);
      best = Math.min(best, d);
    }
    const rank = (m.kind === wantedKind ? 0 : 2) + (m.quote.toUpperCase() === DEFAULT_QUOTE ? 0 : 1);
    if (best <= maxDistance) scored.push({ symbol: m.symbol, score: best, rank });
  }
  scored.sort((a, b) => a.score - b.score || a.rank - b.rank || a.symbol.localeCompare(b.symbol));
  return scored.slice(0, limit).map((s) => s.symbol);
}

/** Levenshtein distance (insert, delete, substitute each cost 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, sub));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** Exchange name of the offline / simulated setup. */
export const SIM_EXCHANGE = 'sim';

function spot(base: string, tick: string, step: string, maxQty: string, minNotional = '5'): Market {
  return {
    symbol: `${base}/USDT`, base, quote: 'USDT', kind: 'spot', exchange: SIM_EXCHANGE,
    tickSize: dec(tick), stepSize: dec(step), minQty: dec(step), maxQty: dec(maxQty), minNotional: dec(minNotional),
  };
}

function perp(base: string, tick: string, step: string, maxQty: string, maxLeverage: number, mmr: string): Market {
  return {
    symbol: `${base}-PERP`, base, quote: 'USDT', kind: 'perp', exchange: SIM_EXCHANGE,
    tickSize: dec(tick), stepSize: dec(step), minQty: dec(step), maxQty: dec(maxQty), minNotional: dec('5'),
    maxLeverage, maintenanceMarginRate: dec(mmr),
  };
}

/**
 * Markets of the offline / simulated setup: major coins against USDT plus BTC, ETH and SOL
 * perpetuals. Ticks, steps and minimum order values follow the large USDT venues (min notional 5 USDT).
 * Every perpetual's maintenance margin rate is below 1 / maxLeverage, so the highest leverage still
 * leaves a gap between entry and liquidation.
 */
export const DEFAULT_MARKETS: readonly Market[] = Object.freeze([
  spot('BTC', '0.01', '0.00001', '9000'),
  spot('ETH', '0.01', '0.0001', '9000'),
  spot('SOL', '0.01', '0.001', '90000'),
  spot('BNB', '0.01', '0.001', '90000'),
  spot('XRP', '0.0001', '0.1', '9000000'),
  spot('DOGE', '0.00001', '1', '90000000'),
  spot('ADA', '0.0001', '0.1', '9000000'),
  spot('AVAX', '0.01', '0.01', '900000'),
  spot('LINK', '0.01', '0.01', '900000'),
  spot('DOT', '0.001', '0.01', '900000'),
  spot('POL', '0.0001', '0.1', '9000000'),
  spot('LTC', '0.01', '0.001', '90000'),
  spot('TRX', '0.0001', '0.1', '9000000'),
  spot('ATOM', '0.001', '0.01', '900000'),
  spot('NEAR', '0.001', '0.1', '900000'),
  {
    symbol: 'ETH/BTC', base: 'ETH', quote: 'BTC', kind: 'spot', exchange: SIM_EXCHANGE,
    tickSize: dec('0.00001'), stepSize: dec('0.0001'), minQty: dec('0.0001'), maxQty: dec('100000'), minNotional: dec('0.0001'),
  },
  perp('BTC', '0.1', '0.001', '1000', 125, '0.004'),
  perp('ETH', '0.01', '0.001', '10000', 100, '0.005'),
  perp('SOL', '0.01', '0.01', '100000', 50, '0.01'),
]);
