// Market symbols as traders write them — bare tickers (sol, BTC, $PEPE), names (bitcoin), pairs
// (BTC/USDT, ETHUSDT), perpetuals (SOL-PERP, "sol perp") — normalised to MIKEY's canonical-ish form:
// `SOL/USDT` for a bare ticker with the default quote, `SOL-PERP` for a perpetual. The server
// resolves and validates them; this module only reads what was written.

/** Tickers recognised in lower case anywhere in a message. */
const TICKERS: readonly string[] = [
  'btc', 'eth', 'sol', 'doge', 'xrp', 'ada', 'avax', 'bnb', 'dot', 'matic', 'pol', 'ltc', 'bch', 'atom', 'apt', 'sui',
  'arb', 'trx', 'shib', 'pepe', 'wif', 'bonk', 'jup', 'pyth', 'jto', 'rndr', 'render', 'inj', 'tia', 'sei', 'fil',
  'etc', 'aave', 'mkr', 'xlm', 'hbar', 'icp', 'ftm', 'ldo', 'wld', 'ena', 'ondo', 'fet', 'tao', 'kas', 'xmr', 'floki',
  'popcat', 'ray', 'hnt', 'strk', 'zec', 'bome', 'mew', 'xbt',
];

/** Names that stand for a ticker. */
const NAMES: Record<string, string> = {
  bitcoin: 'BTC', ethereum: 'ETH', ether: 'ETH', solana: 'SOL', dogecoin: 'DOGE', ripple: 'XRP', cardano: 'ADA',
  avalanche: 'AVAX', polkadot: 'DOT', litecoin: 'LTC', chainlink: 'LINK', polygon: 'POL', cosmos: 'ATOM', aptos: 'APT',
  arbitrum: 'ARB', tron: 'TRX', shiba: 'SHIB', dogwifhat: 'WIF', jupiter: 'JUP', injective: 'INJ', celestia: 'TIA',
  filecoin: 'FIL', uniswap: 'UNI', monero: 'XMR', toncoin: 'TON', optimism: 'OP', xbt: 'BTC',
};

/** Quote assets a concatenated pair (ETHUSDT) may end with. */
const QUOTES: readonly string[] = ['usdt', 'usdc', 'fdusd', 'busd', 'usd', 'eur', 'dai'];
/** Quotes that are also tickers: only split off when the base is a known ticker (ETHBTC, SOLETH). */
const TICKER_QUOTES: readonly string[] = ['btc', 'eth'];

/**
 * Words written in capitals that are not tickers: indicator names, order words, chat slang. Used only
 * for the "unknown ticker in capitals" rule (FOO → FOO/USDT).
 */
const CAPS_STOPWORDS = new Set([
  'I', 'A', 'OK', 'PNL', 'RSI', 'MACD', 'EMA', 'SMA', 'WMA', 'ATR', 'ADX', 'OBV', 'VWAP', 'TWAP', 'USD', 'EUR', 'TP', 'SL',
  'ATH', 'ATL', 'DCA', 'API', 'ID', 'UUID', 'AM', 'PM', 'UTC', 'GTC', 'IOC', 'FOK', 'MA', 'BB', 'TA', 'AI', 'ETF', 'YES',
  'NO', 'PLS', 'NOW', 'BUY', 'SELL', 'LONG', 'SHORT', 'STOP', 'LIMIT', 'MARKET', 'ALL', 'MY', 'ME', 'AND', 'OR', 'IF', 'AT',
  'TO', 'THE', 'OF', 'FOR', 'ON', 'IN', 'IT', 'IS', 'HOW', 'WHAT', 'SHOW', 'PRICE', 'CHART', 'PERP', 'PERPS', 'ASAP',
  'LOL', 'GM', 'GN', 'FYI', 'NFA', 'DYOR', 'FOMO', 'HODL', 'REKT', 'PUMP', 'DUMP', 'MOON', 'KYC', 'EVERYTHING', 'SYSTEM',
  'IGNORE', 'ADMIN', 'MODE', 'CLOSE', 'CANCEL', 'ORDER', 'ORDERS', 'ALERT', 'HELP', 'PANIC', 'WHEN', 'ABOVE', 'BELOW',
  'OVER', 'UNDER', 'WITH', 'HALF', 'MIKEY', 'LINK', 'PLEASE', 'THIS', 'THAT', 'OUT', 'UP', 'DOWN', 'BE', 'DO', 'GO', 'SO',
  'NOT', 'DONT', 'AN', 'AS', 'BY', 'WE', 'US', 'YOU', 'HI', 'HEY', 'WTF', 'OMG', 'PL', 'ROI', 'VAR', 'NEW', 'SET', 'MAX',
  'MIN', 'OFF', 'BOOK', 'TPS', 'SLS', 'USDT', 'USDC',
]);

/** Lower-case words that are tickers only when written in capitals or as a cashtag ("LINK", "$near"). */
const AMBIGUOUS = new Set(['link', 'near', 'one', 'op', 'gas', 'ape', 'sun', 'ton', 'sand', 'uni', 'dash', 'flow', 'rose', 'mask', 'ankr', 'comp', 'ar']);

export interface SymbolContext {
  defaultQuote?: string | undefined;
  knownSymbols?: readonly string[] | undefined;
}

export interface SymbolMention {
  /** The canonical-ish symbol: `SOL/USDT`, `BTC/USDC`, `SOL-PERP`. */
  symbol: string;
  base: string;
  perp: boolean;
  /** True when the trader wrote the pair or the perpetual explicitly (not a bare ticker). */
  explicit: boolean;
  start: number;
  end: number;
}

const TOKEN = /\$?[A-Za-z][A-Za-z0-9]*(?:[/-][A-Za-z0-9]+)?(?::[A-Za-z]+)?/g;
const PERP_WORD = /^\s+(?:perps?|perpetual|perpetuals|futures?)\b/i;

const DEFAULT_KNOWN: ReadonlySet<string> = new Set(TICKERS);

function knownSet(ctx: SymbolContext): ReadonlySet<string> {
  if (!ctx.knownSymbols?.length) return DEFAULT_KNOWN;
  const s = new Set(TICKERS);
  for (const k of ctx.knownSymbols ?? []) {
    const base = k.toLowerCase().split(/[/-]/)[0];
    if (base && /^[a-z0-9]{1,15}$/.test(base)) s.add(base);
  }
  return s;
}

function quoteOf(ctx: SymbolContext): string {
  const q = (ctx.defaultQuote ?? 'USDT').trim().toUpperCase();
  return /^[A-Z0-9]{2,10}$/.test(q) ? q : 'USDT';
}

/** Recognises one token as a base ticker (no pair, no perp), or undefined. */
function baseOf(token: string, known: ReadonlySet<string>, mixedCase: boolean, afterPreposition: boolean): string | undefined {
  const cashtag = token.startsWith('$');
  const t = cashtag ? token.slice(1) : token;
  const lower = t.toLowerCase();
  if (!/^[a-z][a-z0-9]{0,14}$/.test(lower)) return undefined;
  if (cashtag && /^[a-z][a-z0-9]{1,9}$/.test(lower)) return NAMES[lower] ?? lower.toUpperCase();
  const name = NAMES[lower];
  if (name) return name;
  if (AMBIGUOUS.has(lower)) return (t === t.toUpperCase() && mixedCase) || afterPreposition ? lower.toUpperCase() : undefined;
  if (known.has(lower)) return lower.toUpperCase();
  return undefined;
}

/** An unknown ticker counts when deliberately written in capitals in an otherwise mixed-case message. */
function capsTicker(token: string, mixedCase: boolean): string | undefined {
  if (mixedCase && /^[A-Z][A-Z0-9]{1,9}$/.test(token) && /[A-Z].*[A-Z]/.test(token) && !CAPS_STOPWORDS.has(token)) return token;
  return undefined;
}

/** Recognises a token as a symbol (with `nextText` after it, for "sol perp"). */
function symbolOf(token: string, nextText: string, known: ReadonlySet<string>, mixedCase: boolean, ctx: SymbolContext, afterPreposition = false): { symbol: string; base: string; perp: boolean; explicit: boolean; consumedPerpWord: number } | undefined {
  const quote = quoteOf(ctx);
  const lower = token.toLowerCase().replace(/^\$/, '');
  const perpWord = PERP_WORD.exec(nextText);
  // Pairs: BTC/USDT, sol-perp, SOL/USDT:USDT (ccxt's perpetual notation).
  const pair = /^([a-z][a-z0-9]{0,14})[/-]([a-z0-9]{2,10})(?::([a-z]{2,10}))?$/.exec(lower);
  if (pair) {
    const a = pair[1] ?? '';
    const b = pair[2] ?? '';
    const aBase = NAMES[a] ?? a.toUpperCase();
    if (b === 'perp' || b === 'perps') return { symbol: `${aBase}-PERP`, base: aBase, perp: true, explicit: true, consumedPerpWord: 0 };
    const baseKnown = known.has(a) || NAMES[a] !== undefined || AMBIGUOUS.has(a) || token.toUpperCase() === token;
    if (!baseKnown || !(QUOTES.includes(b) || TICKER_QUOTES.includes(b) || known.has(b))) return undefined;
    if (pair[3]) return { symbol: `${aBase}-PERP`, base: aBase, perp: true, explicit: true, consumedPerpWord: 0 };
    return { symbol: `${aBase}/${b.toUpperCase()}`, base: aBase, perp: false, explicit: true, consumedPerpWord: 0 };
  }
  const perpConcat = /^([a-z][a-z0-9]{1,14})perp$/.exec(lower);
  if (perpConcat) {
    const b = perpConcat[1] ?? '';
    if (known.has(b) || NAMES[b] || token === token.toUpperCase()) {
      const base = NAMES[b] ?? b.toUpperCase();
      return { symbol: `${base}-PERP`, base, perp: true, explicit: true, consumedPerpWord: 0 };
    }
  }
  const base = baseOf(token, known, mixedCase, afterPreposition);
  if (base) {
    if (perpWord) return { symbol: `${base}-PERP`, base, perp: true, explicit: true, consumedPerpWord: perpWord[0].length };
    return { symbol: `${base}/${quote}`, base, perp: false, explicit: false, consumedPerpWord: 0 };
  }
  // Concatenated pairs: ETHUSDT, solusdc, ETHBTC (ticker quotes only after a known base).
  for (const q of [...QUOTES, ...TICKER_QUOTES]) {
    if (lower.length <= q.length + 1 || !lower.endsWith(q)) continue;
    const b = lower.slice(0, -q.length);
    const isKnown = known.has(b) || NAMES[b] !== undefined;
    if (isKnown || (QUOTES.includes(q) && token === token.toUpperCase() && /^[a-z][a-z0-9]{1,9}$/.test(b))) {
      const baseName = NAMES[b] ?? b.toUpperCase();
      return { symbol: `${baseName}/${q.toUpperCase()}`, base: baseName, perp: false, explicit: true, consumedPerpWord: 0 };
    }
  }
  const caps = capsTicker(token, mixedCase);
  if (caps) {
    if (perpWord) return { symbol: `${caps}-PERP`, base: caps, perp: true, explicit: true, consumedPerpWord: perpWord[0].length };
    return { symbol: `${caps}/${quote}`, base: caps, perp: false, explicit: false, consumedPerpWord: 0 };
  }
  return undefined;
}

/** What may follow a coin at the end of a request: a window or a timeframe, nothing else. */
const WINDOW_TAIL = /^\s+(?:(?:over|for|during|in)\s+)?(?:the\s+)?(?:last|past|since)\b[\w\s-]{0,20}$|^\s+(?:over|for)\s+\d{1,4}\s*(?:days?|weeks?|months?|years?)$|^\s+(?:on\s+the\s+)?\d{1,2}\s*[mhdw]$/i;

/** A later mention of a symbol already found (`index` into the mentions): "buy eth if …, 1 eth". */
export interface SymbolRepeat {
  index: number;
  start: number;
  end: number;
}

/**
 * Every symbol mentioned in `text`, in order, without repeats (collected in `repeats` when given). `text` keeps the trader's casing:
 * capitals mark deliberate tickers in a mixed-case message.
 */
export function findSymbols(text: string, ctx: SymbolContext = {}, repeats?: SymbolRepeat[]): SymbolMention[] {
  const known = knownSet(ctx);
  const mixedCase = /[a-z]/.test(text) && /[A-Z]/.test(text);
  const out: SymbolMention[] = [];
  const seen = new Set<string>();
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(text)) !== null) {
    const token = m[0];
    const start = m.index;
    // A token glued to a digit or a word is not a ticker ("3x", "sma200" are handled elsewhere).
    if (start > 0 && /[\w.]/.test(text[start - 1] ?? '')) continue;
    const end = start + token.length;
    // An ambiguous word ("link", "near") that ends the message after "on/of/for/about", or ends a
    // list of coins ("avax, link"), names the coin.
    const before = text.slice(Math.max(0, start - 7), start);
    // So does one after "on/of/for" that only a window or a timeframe follows ("… on link over 3 months").
    const tail = text.slice(end);
    const endsHere = end === text.length || WINDOW_TAIL.test(tail);
    // And so does one that a forecast is asked of ("link forecast 1 hour out", "near prediction 4h").
    const afterPreposition = (endsHere && /\b(?:on|of|for|about)\s+$/i.test(before)) || (end === text.length && out.length > 0 && /(?:,|\band|&)\s*$/i.test(before)) || /^\s+(?:forecasts?|predictions?)\b/i.test(tail);
    const found = symbolOf(token, text.slice(end, end + 16), known, mixedCase, ctx, afterPreposition);
    if (!found) continue;
    const realEnd = end + found.consumedPerpWord;
    TOKEN.lastIndex = realEnd;
    if (seen.has(found.symbol)) {
      repeats?.push({ index: out.findIndex((o) => o.symbol === found.symbol), start, end: realEnd });
      continue;
    }
    seen.add(found.symbol);
    out.push({ symbol: found.symbol, base: found.base, perp: found.perp, explicit: found.explicit, start, end: realEnd });
  }
  return out;
}

/** The perpetual for a mention (`SOL/USDT` → `SOL-PERP`). */
export function perpOf(mention: SymbolMention): string {
  return mention.perp ? mention.symbol : `${mention.base}-PERP`;
}
