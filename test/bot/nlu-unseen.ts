// A held-out set of trader phrasings for the offline understanding, written from how traders write
// in Telegram bots and trading groups (freqtrade / Hummingbot commands, slang, typos, emojis, "k"/"m"
// amounts, $TICKERs) and kept apart from the grammar's own phrasebook: no entry is a phrasebook
// example. Each expected outcome was written from what the trader means, before running understand().
//
// An outcome is a tool call (`tool` plus the arguments that matter, compared key by key) or `clarify`
// (a question back). Where two answers serve the trader equally (e.g. "is ETH overbought?" → RSI or
// an analysis), the entry lists both. `trade` marks phrasings that ask to move money: those must be
// answered with a trade card (preview-order, close-position, close-all-positions) or a question.
import type { Intent, ToolName } from '../../src/bot/nlu/index.js';

export type Outcome = { tool: ToolName; args?: Record<string, unknown> } | 'clarify';

export interface UnseenCase {
  text: string;
  expect: Outcome[];
  trade: boolean;
  /**
   * 1: written first; its misses guided the work on the understanding. 2 and 3: each written
   * afterwards and first run only once the work before it was done, so its first rate measures how
   * the understanding generalises to phrasings it was not tuned on. 4: questions about a live
   * portfolio against its paper shadow (get-shadow), and messages near them that are not, written
   * before the understanding knew get-shadow and first run once its shadow rule was written from the
   * phrasebook's examples. 5: backtests asked for in chat (backtest-strategy), and messages near them
   * that are not, written before the understanding knew backtest-strategy and first run once its
   * backtest rule was written from the phrasebook's examples. 6: predictions, their record and
   * retraining (get-prediction, list-predictions, get-model-scorecard, retrain-model), and messages
   * near them that are not, written before the understanding knew those tools and run once before
   * the prediction rule was written (5 of 22 right: the old analysis and price answers), then used,
   * with its misses, to shape that rule (22 of 22 after). 7: more of the same, written after the rule
   * and first run once it was done (8 of 10 right; "any good" was then added to the record words, an
   * ambiguous coin word before "forecast" or "prediction" was then read as the coin, for "link
   * forecast 1 hour out").
   */
  batch: 1 | 2 | 3 | 4 | 5 | 6 | 7;
}

const ORDER = 'a3f9c2d1';
const ALERT = '7be41c09';
const POSITION = '5d2e8f10';

const cases: UnseenCase[] = [];
let batch: 1 | 2 | 3 | 4 | 5 | 6 | 7 = 1;
const call = (tool: ToolName, args?: Record<string, unknown>): Outcome => (args ? { tool, args } : { tool });
/** A read or a setting: one expected call. */
function r(text: string, tool: ToolName, args?: Record<string, unknown>): void {
  cases.push({ text, expect: [call(tool, args)], trade: false, batch });
}
/** An order the trader means: preview-order with these arguments. */
function o(text: string, args: Record<string, unknown>): void {
  cases.push({ text, expect: [call('preview-order', args)], trade: true, batch });
}
/** A market order. */
function m(text: string, symbol: string, side: 'buy' | 'sell', size: { quantity?: string; quoteQuantity?: string }, extra: Record<string, unknown> = {}): void {
  o(text, { symbol, side, type: 'market', ...size, ...extra });
}
/** Closing (part of) a position: a trade card. */
function close(text: string, args: Record<string, unknown>): void {
  cases.push({ text, expect: [call('close-position', args)], trade: true, batch });
}
function closeAll(text: string): void {
  cases.push({ text, expect: [call('close-all-positions')], trade: true, batch });
}
/** A question back is the right answer. */
function q(text: string, trade: boolean): void {
  cases.push({ text, expect: ['clarify'], trade, batch });
}
/** Any of these answers serves the trader. */
function either(text: string, trade: boolean, ...expect: Outcome[]): void {
  cases.push({ text, expect, trade, batch });
}
const price = (text: string, ...symbols: string[]): void => r(text, 'get-price', { symbols });
const analyse = (text: string, symbol: string, timeframe?: string): void => r(text, 'analyze-market', timeframe ? { symbol, timeframe } : { symbol });
const ind = (text: string, args: Record<string, unknown>): void => r(text, 'get-indicators', args);
const alert = (text: string, condition: Record<string, unknown>, extra: Record<string, unknown> = {}): void => r(text, 'create-alert', { condition, ...extra });

// ─── Prices ───────────────────────────────────────────────────────────────────────────────────
price('btc?', 'BTC/USDT');
price('$SOL', 'SOL/USDT');
price('eth px', 'ETH/USDT');
price('wheres btc at', 'BTC/USDT');
price("how's eth holding up", 'ETH/USDT');
price('sol pumping?', 'SOL/USDT');
price('is doge dumping', 'DOGE/USDT');
price("what's btc trading at rn", 'BTC/USDT');
price('ETH price pls', 'ETH/USDT');
price('price check on avax', 'AVAX/USDT');
price('LINK price', 'LINK/USDT');
price('chainlink price', 'LINK/USDT');
price("what's bitcoin at", 'BTC/USDT');
price('current price of ethereum?', 'ETH/USDT');
price('sol eth btc', 'SOL/USDT', 'ETH/USDT', 'BTC/USDT');
price('\u{1F680} sol price', 'SOL/USDT');
price('PEPE', 'PEPE/USDT');
price('quote me eth', 'ETH/USDT');
price('how much is 1 btc', 'BTC/USDT');
price('btc/usdt last price', 'BTC/USDT');
price('ethbtc', 'ETH/BTC');
price("where's sol perp trading", 'SOL-PERP');
price('price of wif, bonk and pepe', 'WIF/USDT', 'BONK/USDT', 'PEPE/USDT');
price('whats the price on ada', 'ADA/USDT');
price('xrp doing anything?', 'XRP/USDT');
price('tia price?', 'TIA/USDT');
price("how's $JUP", 'JUP/USDT');
price('sui going up?', 'SUI/USDT');
price('what is eth worth right now', 'ETH/USDT');
price('avax \u{1F440}', 'AVAX/USDT');
price('gm, where is btc', 'BTC/USDT');
price('/price ETH/USDT', 'ETH/USDT');
price('/p sol-perp', 'SOL-PERP');
price('ticker BTC-USDT', 'BTC/USDT');
price('last price for doge', 'DOGE/USDT');
price('sol vs eth', 'SOL/USDT', 'ETH/USDT');
price('how much for a bitcoin', 'BTC/USDT');
price('btc price now', 'BTC/USDT');
price('etherium price', 'ETH/USDT');
price('bitcoin price?? \u{1F914}', 'BTC/USDT');
price('solana?', 'SOL/USDT');
price('price of Ethereum and Solana', 'ETH/USDT', 'SOL/USDT');
price('sol rn', 'SOL/USDT');
price('pirce of btc', 'BTC/USDT');
price('what are btc and eth at', 'BTC/USDT', 'ETH/USDT');
price('ltc price please', 'LTC/USDT');
price('how is arb moving today', 'ARB/USDT');
price('$BONK price check', 'BONK/USDT');
price('xmr quote', 'XMR/USDT');
price('what is the price of 1 sol', 'SOL/USDT');
price('btc usd price', 'BTC/USDT');
price('/price sol eth', 'SOL/USDT', 'ETH/USDT');
price('ONDO?', 'ONDO/USDT');
price('how high is eth right now', 'ETH/USDT');

// ─── Analysis and outlook ─────────────────────────────────────────────────────────────────────
either('is eth overbought?', false, call('get-indicators', { symbol: 'ETH/USDT' }), call('analyze-market', { symbol: 'ETH/USDT' }));
either('is sol oversold on the 4h', false, call('get-indicators', { symbol: 'SOL/USDT', timeframe: '4h' }), call('analyze-market', { symbol: 'SOL/USDT', timeframe: '4h' }));
either('BTC overbought on the daily?', false, call('get-indicators', { symbol: 'BTC/USDT', timeframe: '1d' }), call('analyze-market', { symbol: 'BTC/USDT', timeframe: '1d' }));
either('is doge oversold', false, call('get-indicators', { symbol: 'DOGE/USDT' }), call('analyze-market', { symbol: 'DOGE/USDT' }));
analyse("what's the outlook for btc", 'BTC/USDT');
analyse('btc outlook', 'BTC/USDT');
analyse('thoughts on ETH?', 'ETH/USDT');
either('should I buy sol?', false, call('analyze-market', { symbol: 'SOL/USDT' }), 'clarify');
either('is now a good time to buy btc', false, call('analyze-market', { symbol: 'BTC/USDT' }), 'clarify');
either('should i sell my eth?', false, call('analyze-market', { symbol: 'ETH/USDT' }), 'clarify');
analyse('bull or bear on doge', 'DOGE/USDT');
analyse('eth looking bullish or bearish on the daily', 'ETH/USDT', '1d');
analyse('ta btc 4h', 'BTC/USDT', '4h');
analyse('run an analysis on avax 1h', 'AVAX/USDT', '1h');
analyse('analyse $WIF', 'WIF/USDT');
analyse("what's your read on sol", 'SOL/USDT');
analyse('where do you see eth going', 'ETH/USDT');
analyse('any setups on btc?', 'BTC/USDT');
analyse('is btc going to dump', 'BTC/USDT');
either('is sol a buy here', false, call('analyze-market', { symbol: 'SOL/USDT' }), 'clarify');
analyse('eth trend 1d', 'ETH/USDT', '1d');
analyse('support and resistance for btc', 'BTC/USDT');
analyse('sentiment on pepe', 'PEPE/USDT');
analyse('analyze etherium on the 4 hour', 'ETH/USDT', '4h');
analyse('anaylze btc', 'BTC/USDT');
analyse('/ta sol 15m', 'SOL/USDT', '15m');
analyse('btc prediction', 'BTC/USDT');
analyse('forecast for eth', 'ETH/USDT');
analyse('what do you make of ada here', 'ADA/USDT');
analyse('give me your take on link', 'LINK/USDT');
analyse('is xrp bearish on the weekly', 'XRP/USDT', '1w');
analyse('outlook on sol perp', 'SOL-PERP');
analyse('what is the outlook for bitcoin this week', 'BTC/USDT');
analyse('how does eth look technically', 'ETH/USDT');
analyse('analysis pls: doge 4h', 'DOGE/USDT', '4h');
analyse('is the btc uptrend over?', 'BTC/USDT');
r('previous analyses for eth', 'list-analyses', { symbol: 'ETH/USDT' });
r('show my old analyses', 'list-analyses');

// ─── Indicators ───────────────────────────────────────────────────────────────────────────────
ind('rsi btc', { symbol: 'BTC/USDT', indicators: ['rsi'] });
ind("what's the 4h rsi on eth", { symbol: 'ETH/USDT', timeframe: '4h', indicators: ['rsi'] });
ind('eth macd daily', { symbol: 'ETH/USDT', timeframe: '1d', indicators: ['macd'] });
ind('200 ema on btc', { symbol: 'BTC/USDT', indicators: ['ema'], period: 200 });
ind('vwap on sol 15m', { symbol: 'SOL/USDT', timeframe: '15m', indicators: ['vwap'] });
ind('atr for eth', { symbol: 'ETH/USDT', indicators: ['atr'] });
ind('bollinger on doge 1h', { symbol: 'DOGE/USDT', timeframe: '1h', indicators: ['bollinger'] });
ind('adx eth 4h', { symbol: 'ETH/USDT', timeframe: '4h', indicators: ['adx'] });
ind('obv btc', { symbol: 'BTC/USDT', indicators: ['obv'] });
ind('rsi(7) on sol 5m', { symbol: 'SOL/USDT', timeframe: '5m', indicators: ['rsi'], period: 7 });
ind('show me rsi and macd for avax', { symbol: 'AVAX/USDT', indicators: ['rsi', 'macd'] });
ind('what are the indicators saying on eth 1h', { symbol: 'ETH/USDT', timeframe: '1h' });
ind('ema 21 sol 4h', { symbol: 'SOL/USDT', timeframe: '4h', indicators: ['ema'], period: 21 });
ind('btc rsi on the weekly', { symbol: 'BTC/USDT', timeframe: '1w', indicators: ['rsi'] });
ind('stochastic on btc 15 min', { symbol: 'BTC/USDT', timeframe: '15m', indicators: ['stochastic'] });
ind('wma 30 eth', { symbol: 'ETH/USDT', indicators: ['wma'], period: 30 });
ind('macd on $SOL', { symbol: 'SOL/USDT', indicators: ['macd'] });
ind('what is rsi on bitcoin hourly', { symbol: 'BTC/USDT', timeframe: '1h', indicators: ['rsi'] });
ind('sma 100 avax daily', { symbol: 'AVAX/USDT', timeframe: '1d', indicators: ['sma'], period: 100 });
ind('rsi for eth and its atr', { symbol: 'ETH/USDT', indicators: ['rsi', 'atr'] });

// ─── Charts, candles, order book, funding, search ────────────────────────────────────────────
r('chart eth', 'get-chart', { symbol: 'ETH/USDT' });
r('show me the btc 4h chart', 'get-chart', { symbol: 'BTC/USDT', timeframe: '4h' });
r('sol chart with bb', 'get-chart', { symbol: 'SOL/USDT', overlays: ['bollinger'] });
r('pull up a doge chart daily', 'get-chart', { symbol: 'DOGE/USDT', timeframe: '1d' });
r('graph my equity', 'get-chart', { kind: 'equity' });
r('plot btc 1h with ema 50', 'get-chart', { symbol: 'BTC/USDT', timeframe: '1h', overlays: ['ema50'] });
r('chart $PEPE 15m', 'get-chart', { symbol: 'PEPE/USDT', timeframe: '15m' });
r('chrat sol 1h', 'get-chart', { symbol: 'SOL/USDT', timeframe: '1h' });
r('/chart btc', 'get-chart', { symbol: 'BTC/USDT' });
r('eth candles 15m', 'get-candles', { symbol: 'ETH/USDT', timeframe: '15m' });
r('last 20 candles btc 1h', 'get-candles', { symbol: 'BTC/USDT', timeframe: '1h', limit: 20 });
r('ohlc sol daily', 'get-candles', { symbol: 'SOL/USDT', timeframe: '1d' });
r('btc orderbook', 'get-order-book', { symbol: 'BTC/USDT' });
r('order book for eth perp', 'get-order-book', { symbol: 'ETH-PERP' });
r('bids and asks on sol', 'get-order-book', { symbol: 'SOL/USDT' });
r('show the book on doge, top 10', 'get-order-book', { symbol: 'DOGE/USDT', depth: 10 });
r('funding btc', 'get-funding-rate', { symbol: 'BTC-PERP' });
r("what's funding on eth perps", 'get-funding-rate', { symbol: 'ETH-PERP' });
r('are longs paying shorts on sol', 'get-funding-rate', { symbol: 'SOL-PERP' });
r('funding rates for $WIF', 'get-funding-rate', { symbol: 'WIF-PERP' });
r('search for bonk', 'search-markets', { query: 'bonk' });
r('do you have jto perps', 'search-markets', { query: 'jto', kind: 'perp' });
r('what pairs do you have for wif', 'search-markets', { query: 'wif' });
r('find markets for arb', 'search-markets', { query: 'arb' });
r('look up tao markets', 'search-markets', { query: 'tao' });

// ─── Buying: market orders, sizes in base or quote ───────────────────────────────────────────
m('buy 1 eth', 'ETH/USDT', 'buy', { quantity: '1' });
m('ape 500 into sol', 'SOL/USDT', 'buy', { quoteQuantity: '500' });
m('ape $1k into pepe', 'PEPE/USDT', 'buy', { quoteQuantity: '1000' });
m('get me 0.3 btc', 'BTC/USDT', 'buy', { quantity: '0.3' });
m('grab 10 sol', 'SOL/USDT', 'buy', { quantity: '10' });
m('pick up 5 avax', 'AVAX/USDT', 'buy', { quantity: '5' });
m('scoop 1000 doge', 'DOGE/USDT', 'buy', { quantity: '1000' });
m('load up on 3 eth', 'ETH/USDT', 'buy', { quantity: '3' });
m('buy 250 bucks of sol', 'SOL/USDT', 'buy', { quoteQuantity: '250' });
m('get me 50 dollars worth of btc', 'BTC/USDT', 'buy', { quoteQuantity: '50' });
m('i want 200 dollars worth of sol', 'SOL/USDT', 'buy', { quoteQuantity: '200' });
m('put 300 dollars in eth', 'ETH/USDT', 'buy', { quoteQuantity: '300' });
m('buy eth with 500 usdt', 'ETH/USDT', 'buy', { quoteQuantity: '500' });
m('buy 0.05 BTC', 'BTC/USDT', 'buy', { quantity: '0.05' });
m('BUY 2 ETH', 'ETH/USDT', 'buy', { quantity: '2' });
m('buy 2 eth \u{1F680}\u{1F680}', 'ETH/USDT', 'buy', { quantity: '2' });
m('buy 1k usdc of sol', 'SOL/USDT', 'buy', { quoteQuantity: '1000' });
m('buy $2.5k of eth', 'ETH/USDT', 'buy', { quoteQuantity: '2500' });
m('buy 1.2m pepe', 'PEPE/USDT', 'buy', { quantity: '1200000' });
m('buy 10m bonk', 'BONK/USDT', 'buy', { quantity: '10000000' });
m('market buy 0.1 btc', 'BTC/USDT', 'buy', { quantity: '0.1' });
m('buy btc 0.02', 'BTC/USDT', 'buy', { quantity: '0.02' });
m('buy 3 sol now', 'SOL/USDT', 'buy', { quantity: '3' });
m('purchase 0.5 ether', 'ETH/USDT', 'buy', { quantity: '0.5' });
m('buy 100k sats', 'BTC/USDT', 'buy', { quantity: '0.001' });
m('stack 50k sats', 'BTC/USDT', 'buy', { quantity: '0.0005' });
m('buy 2 etherium', 'ETH/USDT', 'buy', { quantity: '2' });
m('buy 0.1 bitcoin', 'BTC/USDT', 'buy', { quantity: '0.1' });
m('buyy 5 sol', 'SOL/USDT', 'buy', { quantity: '5' });
m('by 1 eth', 'ETH/USDT', 'buy', { quantity: '1' });
m('buy $SOL 3', 'SOL/USDT', 'buy', { quantity: '3' });
m('buy 3 $SOL', 'SOL/USDT', 'buy', { quantity: '3' });
m('get 50 usdt of doge', 'DOGE/USDT', 'buy', { quoteQuantity: '50' });
m('long btc with 100 usdt', 'BTC/USDT', 'buy', { quoteQuantity: '100' });
m('go long eth 0.5', 'ETH/USDT', 'buy', { quantity: '0.5' });
m('buy $75 worth of avax', 'AVAX/USDT', 'buy', { quoteQuantity: '75' });
m('buy 20 dollars of xrp', 'XRP/USDT', 'buy', { quoteQuantity: '20' });
m('market buy $500 eth', 'ETH/USDT', 'buy', { quoteQuantity: '500' });
m('buy 5k doge', 'DOGE/USDT', 'buy', { quantity: '5000' });
m('buy 0.25 eth at market', 'ETH/USDT', 'buy', { quantity: '0.25' });
m('buy 1 eth at market price', 'ETH/USDT', 'buy', { quantity: '1' });
m('yo buy me 2 sol', 'SOL/USDT', 'buy', { quantity: '2' });
m('throw $200 at sol', 'SOL/USDT', 'buy', { quoteQuantity: '200' });
m('invest 1000 usdt in btc', 'BTC/USDT', 'buy', { quoteQuantity: '1000' });
m('ape into wif with $300', 'WIF/USDT', 'buy', { quoteQuantity: '300' });
m('aping 0.5 eth', 'ETH/USDT', 'buy', { quantity: '0.5' });
m('add 2 sol to my bag', 'SOL/USDT', 'buy', { quantity: '2' });
m('buy another 0.1 btc', 'BTC/USDT', 'buy', { quantity: '0.1' });
m('i want to buy 4 avax', 'AVAX/USDT', 'buy', { quantity: '4' });
m('lets buy 1.5 eth', 'ETH/USDT', 'buy', { quantity: '1.5' });
m('buy 1 ETH/USDC', 'ETH/USDC', 'buy', { quantity: '1' });
m('buy 0.5 ETHUSDT', 'ETH/USDT', 'buy', { quantity: '0.5' });
m('/buy sol 10', 'SOL/USDT', 'buy', { quantity: '10' });
m('/buy $50 btc', 'BTC/USDT', 'buy', { quoteQuantity: '50' });
m('buy 0.5 eth pls \u{1F64F}', 'ETH/USDT', 'buy', { quantity: '0.5' });
m('dca $100 into btc', 'BTC/USDT', 'buy', { quoteQuantity: '100' });
m('buy 100 usd of eth', 'ETH/USDT', 'buy', { quoteQuantity: '100' });
m('buy 2.5k worth of sol', 'SOL/USDT', 'buy', { quoteQuantity: '2500' });
m('buy 1 solana', 'SOL/USDT', 'buy', { quantity: '1' });

// ─── Selling and shorting ────────────────────────────────────────────────────────────────────
m('sell 0.5 eth', 'ETH/USDT', 'sell', { quantity: '0.5' });
m('dump 3 sol', 'SOL/USDT', 'sell', { quantity: '3' });
m('sell 2k doge', 'DOGE/USDT', 'sell', { quantity: '2000' });
m('sell 1.5m shib', 'SHIB/USDT', 'sell', { quantity: '1500000' });
m('market sell 0.1 btc', 'BTC/USDT', 'sell', { quantity: '0.1' });
m('sell $200 of eth', 'ETH/USDT', 'sell', { quoteQuantity: '200' });
m('sel 2 sol', 'SOL/USDT', 'sell', { quantity: '2' });
m('offload 500 doge', 'DOGE/USDT', 'sell', { quantity: '500' });
m('sell 10 avax \u{1F4C9}', 'AVAX/USDT', 'sell', { quantity: '10' });
m('/sell eth 0.3', 'ETH/USDT', 'sell', { quantity: '0.3' });
m('short 1 eth', 'ETH-PERP', 'sell', { quantity: '1' });
o('open a short on eth, 1 eth, 3x leverage', { symbol: 'ETH-PERP', side: 'sell', type: 'market', quantity: '1', leverage: '3' });
o('open a short on btc, $500, 10x', { symbol: 'BTC-PERP', side: 'sell', type: 'market', quoteQuantity: '500', leverage: '10' });
o('open a long on sol 5x $200', { symbol: 'SOL-PERP', side: 'buy', type: 'market', quoteQuantity: '200', leverage: '5' });
o('short eth 0.5 at 3500', { symbol: 'ETH-PERP', side: 'sell', type: 'limit', quantity: '0.5', price: '3500' });
o('short 1000 doge 3x', { symbol: 'DOGE-PERP', side: 'sell', type: 'market', quantity: '1000', leverage: '3' });
o('20x long btc 0.01', { symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.01', leverage: '20' });
o('long sol 10x 50 usd', { symbol: 'SOL-PERP', side: 'buy', type: 'market', quoteQuantity: '50', leverage: '10' });
either('long $eth 3x with 1k', true, call('preview-order', { symbol: 'ETH-PERP', side: 'buy', quoteQuantity: '1000', leverage: '3' }), 'clarify');
o('short pepe 2x 300 usdt', { symbol: 'PEPE-PERP', side: 'sell', type: 'market', quoteQuantity: '300', leverage: '2' });
o('fade this btc pump, short 0.1', { symbol: 'BTC-PERP', side: 'sell', type: 'market', quantity: '0.1' });
o('short sol-perp 5 with 4x', { symbol: 'SOL-PERP', side: 'sell', type: 'market', quantity: '5', leverage: '4' });
o('go short on eth $1k 5x', { symbol: 'ETH-PERP', side: 'sell', type: 'market', quoteQuantity: '1000', leverage: '5' });
o('open long btc perp 0.05 leverage 10', { symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.05', leverage: '10' });
o('shorting 2 sol at 180', { symbol: 'SOL-PERP', side: 'sell', type: 'limit', quantity: '2', price: '180' });
o('long avax 3x, 100 dollars', { symbol: 'AVAX-PERP', side: 'buy', type: 'market', quoteQuantity: '100', leverage: '3' });
o('x5 long eth 0.2', { symbol: 'ETH-PERP', side: 'buy', type: 'market', quantity: '0.2', leverage: '5' });
o('short $500 of btc', { symbol: 'BTC-PERP', side: 'sell', type: 'market', quoteQuantity: '500' });
o('long 0.5 eth 2x with stop 2800', { symbol: 'ETH-PERP', side: 'buy', type: 'market', quantity: '0.5', leverage: '2', stopLoss: '2800' });
o('short btc 0.02 sl 72k tp 65k', { symbol: 'BTC-PERP', side: 'sell', type: 'market', quantity: '0.02', stopLoss: '72000', takeProfits: [{ price: '65000', fraction: '1' }] });
o('/short btc 0.01 10x', { symbol: 'BTC-PERP', side: 'sell', type: 'market', quantity: '0.01', leverage: '10' });
o('/long eth 1 3x', { symbol: 'ETH-PERP', side: 'buy', type: 'market', quantity: '1', leverage: '3' });
o('leverage long sol 3x 2 sol', { symbol: 'SOL-PERP', side: 'buy', type: 'market', quantity: '2', leverage: '3' });
o('short 3 sol \u{1F43B}', { symbol: 'SOL-PERP', side: 'sell', type: 'market', quantity: '3' });

// ─── Limit, stop and conditional orders ──────────────────────────────────────────────────────
o('place a limit buy for 2 eth at 3000', { symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '2', price: '3000' });
o('place a limit sell for 1 btc at 75k', { symbol: 'BTC/USDT', side: 'sell', type: 'limit', quantity: '1', price: '75000' });
o('limit buy 500 doge @ 0.15', { symbol: 'DOGE/USDT', side: 'buy', type: 'limit', quantity: '500', price: '0.15' });
o('bid 1 eth at 2950', { symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '1', price: '2950' });
o('put in a bid for 0.1 btc at 60k', { symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.1', price: '60000' });
o('buy 1 sol at 140 limit', { symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '1', price: '140' });
o('set a limit order to buy 3 sol at 125', { symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '3', price: '125' });
o('set a stop to sell 1 eth at 2800', { symbol: 'ETH/USDT', side: 'sell', type: 'stop', quantity: '1', stopPrice: '2800' });
o('buy eth if it drops to 2800, 1 eth', { symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '1', price: '2800' });
o('if btc hits 60k buy 0.1', { symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.1', price: '60000' });
o('when sol dips to 130 buy 5', { symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '5', price: '130' });
o('buy 2 sol on a break above 200', { symbol: 'SOL/USDT', side: 'buy', type: 'stop', quantity: '2', stopPrice: '200' });
o('buy 0.5 eth stop 3600 limit 3620', { symbol: 'ETH/USDT', side: 'buy', type: 'stop_limit', quantity: '0.5', stopPrice: '3600', price: '3620' });
o('sell 1 btc if it falls under 58k', { symbol: 'BTC/USDT', side: 'sell', type: 'stop', quantity: '1', stopPrice: '58000' });
o('stop sell 2 sol at 120', { symbol: 'SOL/USDT', side: 'sell', type: 'stop', quantity: '2', stopPrice: '120' });
o('sell stop 1 eth 2700', { symbol: 'ETH/USDT', side: 'sell', type: 'stop', quantity: '1', stopPrice: '2700' });
o('limit buy eth 1 @ 2900', { symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '1', price: '2900' });
o('buy 0.2 btc at 61,500', { symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.2', price: '61500' });
o('sell 3 sol at 210 post only', { symbol: 'SOL/USDT', side: 'sell', type: 'limit', quantity: '3', price: '210', postOnly: true });
o('buy 1 eth with sl 2800', { symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '1', stopLoss: '2800' });
o('long 2 sol sl 120 tp 180', { symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '2', stopLoss: '120', takeProfits: [{ price: '180', fraction: '1' }] });
o('buy 0.1 btc, stop 58k, tp 70k 75k', { symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.1', stopLoss: '58000', takeProfits: [{ price: '70000', fraction: '0.5' }, { price: '75000', fraction: '0.5' }] });
o('long eth 3x 0.5 stop 2700 target 3400', { symbol: 'ETH-PERP', side: 'buy', type: 'market', quantity: '0.5', leverage: '3', stopLoss: '2700', takeProfits: [{ price: '3400', fraction: '1' }] });
o('sell 500 doge at 0.2', { symbol: 'DOGE/USDT', side: 'sell', type: 'limit', quantity: '500', price: '0.2' });
o('limit sell 2 eth 4k', { symbol: 'ETH/USDT', side: 'sell', type: 'limit', quantity: '2', price: '4000' });
o('buy 1 eth limit at 2950', { symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '1', price: '2950' });
o('place a buy order for 5 sol at 130', { symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '5', price: '130' });
o('place a sell order 0.5 eth @ 3900', { symbol: 'ETH/USDT', side: 'sell', type: 'limit', quantity: '0.5', price: '3900' });
o('buy $300 of sol at 135', { symbol: 'SOL/USDT', side: 'buy', type: 'limit', quoteQuantity: '300', price: '135' });
o('buy 1 btc when it breaks 70k', { symbol: 'BTC/USDT', side: 'buy', type: 'stop', quantity: '1', stopPrice: '70000' });
o('sell 2 eth trailing 3%', { symbol: 'ETH/USDT', side: 'sell', type: 'trailing_stop', quantity: '2', trailingPercent: '3' });
o('set a trailing stop on 1 btc of 500', { symbol: 'BTC/USDT', side: 'sell', type: 'trailing_stop', quantity: '1', trailingAmount: '500' });
o('buy 2 avax at 30 gtc', { symbol: 'AVAX/USDT', side: 'buy', type: 'limit', quantity: '2', price: '30', timeInForce: 'gtc' });
o('twap 20 sol over 2 hours', { symbol: 'SOL/USDT', side: 'buy', type: 'twap', quantity: '20', durationMinutes: 120 });
o('buy 0.3 eth with take profit 3500 and stop loss 2900', { symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '0.3', stopLoss: '2900', takeProfits: [{ price: '3500', fraction: '1' }] });
o('buy 1 sol if it goes below 120', { symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '1', price: '120' });
o('sell 1 sol if it pumps to 250', { symbol: 'SOL/USDT', side: 'sell', type: 'limit', quantity: '1', price: '250' });
o('limit long 1 eth-perp at 2900 5x', { symbol: 'ETH-PERP', side: 'buy', type: 'limit', quantity: '1', price: '2900', leverage: '5' });

// ─── Closing positions ───────────────────────────────────────────────────────────────────────
close('dump all my eth', { symbol: 'ETH', fraction: '1' });
either('dump my bags', true, call('close-all-positions'), 'clarify');
close('dump half my sol', { symbol: 'SOL', fraction: '0.5' });
either('take profit on half my eth', true, call('close-position', { symbol: 'ETH', fraction: '0.5' }), 'clarify');
either('tp half my sol', true, call('close-position', { symbol: 'SOL', fraction: '0.5' }), 'clarify');
close('exit eth', { symbol: 'ETH', fraction: '1' });
close('exit my sol long', { symbol: 'SOL', fraction: '1' });
close('close my eth short', { symbol: 'ETH', fraction: '1' });
close('flatten my btc', { symbol: 'BTC', fraction: '1' });
close('flatten btc-perp', { symbol: 'BTC-PERP', fraction: '1' });
close('cut my losses on doge', { symbol: 'DOGE', fraction: '1' });
close('get out of sol', { symbol: 'SOL', fraction: '1' });
close('close 50% of my eth', { symbol: 'ETH', fraction: '0.5' });
close('trim 25% of my btc', { symbol: 'BTC', fraction: '0.25' });
close('take some profit on eth, sell 25%', { symbol: 'ETH', fraction: '0.25' });
close('sell 10% of my avax', { symbol: 'AVAX', fraction: '0.1' });
close('sell all of my doge', { symbol: 'DOGE', fraction: '1' });
close(`close position ${POSITION}`, { positionId: POSITION, fraction: '1' });
close(`close half of position ${POSITION}`, { positionId: POSITION, fraction: '0.5' });
close('close the sol trade', { symbol: 'SOL', fraction: '1' });
close('close out my eth', { symbol: 'ETH', fraction: '1' });
close('dump my pepe', { symbol: 'PEPE', fraction: '1' });
close('market out of my wif', { symbol: 'WIF', fraction: '1' });
close('close my sol perp position', { symbol: 'SOL-PERP', fraction: '1' });
close('close 75% of btc', { symbol: 'BTC', fraction: '0.75' });
close('sell my whole eth bag', { symbol: 'ETH', fraction: '1' });
close('close half my btc long', { symbol: 'BTC', fraction: '0.5' });
close('get me out of my doge position', { symbol: 'DOGE', fraction: '1' });
close('take profit on my avax', { symbol: 'AVAX', fraction: '1' });
close('liquidate my sol', { symbol: 'SOL', fraction: '1' });
close('unload my eth', { symbol: 'ETH', fraction: '1' });
close('close eth', { symbol: 'ETH', fraction: '1' });
close('reduce my btc by half', { symbol: 'BTC', fraction: '0.5' });
close('sell half of my $SOL', { symbol: 'SOL', fraction: '0.5' });
close('cloes my eth position', { symbol: 'ETH', fraction: '1' });
close('exit 20% of sol', { symbol: 'SOL', fraction: '0.2' });
close('/close eth 25%', { symbol: 'ETH', fraction: '0.25' });
closeAll('get me out of all positions');
closeAll('flatten all');
closeAll('close all trades');
closeAll('/forceexit all');
closeAll('/forcesell all');
closeAll('/fx all');
closeAll('exit all positions');
closeAll('sell all positions now');
closeAll('panic sell');
closeAll('nuke all positions');
closeAll('close every position');
closeAll('flatten everything now \u{1F6A8}');
closeAll('close all my positions asap');
closeAll('get flat');

// ─── Stop-loss and take-profit on positions ──────────────────────────────────────────────────
r('set a stop on my eth at 2800', 'set-stop-loss', { symbol: 'ETH', price: '2800' });
r('set a stop to sell my eth at 2800', 'set-stop-loss', { symbol: 'ETH', price: '2800' });
r('sl on sol 125', 'set-stop-loss', { symbol: 'SOL', price: '125' });
r('move my btc stop to 62k', 'set-stop-loss', { symbol: 'BTC', price: '62000' });
r('stop loss for eth perp at 3100', 'set-stop-loss', { symbol: 'ETH-PERP', price: '3100' });
r('put a stop at 130 on sol', 'set-stop-loss', { symbol: 'SOL', price: '130' });
r('set tp on eth 3800', 'set-take-profits', { symbol: 'ETH', targets: [{ price: '3800', fraction: '1' }] });
r('take profit btc at 80k and 85k', 'set-take-profits', { symbol: 'BTC', targets: [{ price: '80000', fraction: '0.5' }, { price: '85000', fraction: '0.5' }] });
r('tp for sol at 190', 'set-take-profits', { symbol: 'SOL', targets: [{ price: '190', fraction: '1' }] });
r('set take profit 4200 on my eth', 'set-take-profits', { symbol: 'ETH', targets: [{ price: '4200', fraction: '1' }] });
r(`set stop loss on position ${POSITION} at 2800`, 'set-stop-loss', { positionId: POSITION, price: '2800' });
r('stoploss btc 59000', 'set-stop-loss', { symbol: 'BTC', price: '59000' });
r('add a stop loss to my sol at 118', 'set-stop-loss', { symbol: 'SOL', price: '118' });
r('raise my eth stop to 3050', 'set-stop-loss', { symbol: 'ETH', price: '3050' });
r('targets for my btc 75k 80k 90k', 'set-take-profits', { symbol: 'BTC', targets: [{ price: '75000', fraction: '0.33' }, { price: '80000', fraction: '0.33' }, { price: '90000', fraction: '0.34' }] });
r('sell my doge if it drops below 0.1', 'set-stop-loss', { symbol: 'DOGE', price: '0.1' });
r('/sl eth 2850', 'set-stop-loss', { symbol: 'ETH', price: '2850' });
r('/tp sol 200', 'set-take-profits', { symbol: 'SOL', targets: [{ price: '200', fraction: '1' }] });

// ─── Orders: list, cancel, amend, look up ────────────────────────────────────────────────────
either('kill the eth order', false, call('list-orders', { symbol: 'ETH/USDT' }), 'clarify');
r(`kill order ${ORDER}`, 'cancel-order', { orderId: ORDER });
r(`cancel ${ORDER}`, 'cancel-order', { orderId: ORDER });
either('pull my sol bid', false, call('list-orders', { symbol: 'SOL/USDT' }), 'clarify');
either('cancel my limit order on btc', false, call('list-orders', { symbol: 'BTC/USDT' }), 'clarify');
r('cancel all my orders', 'list-orders', { status: 'open' });
r('cancel every open order', 'list-orders', { status: 'open' });
r(`scrap order ${ORDER}`, 'cancel-order', { orderId: ORDER });
r(`/cancel ${ORDER}`, 'cancel-order', { orderId: ORDER });
r(`cancle order ${ORDER}`, 'cancel-order', { orderId: ORDER });
r('any open orders?', 'list-orders', { status: 'open' });
r('what orders do i have', 'list-orders');
r('pending orders', 'list-orders', { status: 'open' });
r('show my order history', 'list-orders', { status: 'all' });
r('open orders on eth', 'list-orders', { status: 'open', symbol: 'ETH/USDT' });
r(`bump order ${ORDER} to 2950`, 'amend-order', { orderId: ORDER, price: '2950' });
r(`change the price of order ${ORDER} to 3010`, 'amend-order', { orderId: ORDER, price: '3010' });
r(`order ${ORDER} status`, 'get-order', { orderId: ORDER });
r(`did order ${ORDER} fill?`, 'get-order', { orderId: ORDER });
r(`why was order ${ORDER} placed`, 'explain-order', { orderId: ORDER });
r(`details on order ${ORDER}`, 'get-order', { orderId: ORDER });
r(`kill ${ORDER}`, 'cancel-order', { orderId: ORDER });
r('did my eth order fill?', 'list-orders', { symbol: 'ETH/USDT' });
r('/orders open', 'list-orders', { status: 'open' });
r('filled orders today', 'list-orders', { status: 'filled' });

// ─── Positions, balances, portfolio, trades, accounts ────────────────────────────────────────
r('am I long anything?', 'get-positions');
r('am i short anything', 'get-positions');
r('what am I holding', 'get-positions');
r('show my bags', 'get-positions');
r('my bags', 'get-positions');
r('what positions do i have open', 'get-positions', { status: 'open' });
r('any open positions', 'get-positions', { status: 'open' });
r('am i in sol?', 'get-positions', { symbol: 'SOL/USDT' });
r("how's my eth position", 'get-positions', { symbol: 'ETH/USDT' });
r('/status', 'get-positions');
r('/status table', 'get-positions');
r('/count', 'get-positions');
r('postions', 'get-positions');
r('positons?', 'get-positions');
r('what am i long', 'get-positions');
r('do i have any shorts open', 'get-positions', { status: 'open' });
r('my open trades', 'get-positions', { status: 'open' });
r('how much eth do i have', 'get-balances');
r('how much usdt do i have', 'get-balances');
r('wallet balance', 'get-balances');
r("what's my buying power", 'get-balances');
r('show balances', 'get-balances');
r('balanace', 'get-balances');
r('bal', 'get-balances');
r('\u{1F4B0} balance?', 'get-balances');
r('how much money do i have left', 'get-balances');
r('portfolio value', 'get-portfolio');
r("what's my account worth", 'get-portfolio');
r('net worth?', 'get-portfolio');
r('protfolio', 'get-portfolio');
r('show me my portfolio', 'get-portfolio');
r('my equity', 'get-portfolio');
r('my trades today', 'get-trades');
r('recent fills', 'get-trades');
r('what did i trade yesterday', 'get-trades');
r('/trades', 'get-trades');
r('history', 'get-trades');
r('my sol trades', 'get-trades', { symbol: 'SOL/USDT' });
r('which account is this', 'whoami');
r('list my accounts', 'list-portfolios');
r('make a paper account called degen with 10k', 'create-paper-portfolio', { name: 'degen', startingCash: '10000' });

// ─── Performance and reports ─────────────────────────────────────────────────────────────────
r('/profit', 'get-performance');
either('/daily', false, call('get-performance', { period: 'day' }), call('get-report', { period: 'day' }));
r('/weekly', 'get-performance', { period: 'week' });
r('/monthly', 'get-performance', { period: 'month' });
r('/stats', 'get-performance');
r('/perf week', 'get-performance', { period: 'week' });
r('which pair made me the most money', 'get-performance');
r('best performing pair', 'get-performance');
r('what was my best trade this month', 'get-performance', { period: 'month' });
r('how much did i make today', 'get-performance', { period: 'day' });
r('am i up this month', 'get-performance', { period: 'month' });
r('pnl?', 'get-performance');
r('weekly pnl', 'get-performance', { period: 'week' });
r('total profit', 'get-performance', { period: 'all' });
r('how much have i lost this week', 'get-performance', { period: 'week' });
r("what's my realized pnl", 'get-performance');
r('pnl 30d', 'get-performance', { period: 'month' });
r('how am i doing overall', 'get-performance', { period: 'all' });
r('win rate this week?', 'get-performance', { period: 'week' });
r('did i make money this week', 'get-performance', { period: 'week' });
r('profit and loss today', 'get-performance', { period: 'day' });
r('what pair am i losing the most on', 'get-performance');
either('daily summary', false, call('get-report', { period: 'day' }), call('get-performance', { period: 'day' }));
r('give me the daily recap', 'get-report', { period: 'day' });
r('morning briefing', 'get-report');
r('4 hour report', 'get-report', { period: '4h' });
either('summary of today', false, call('get-report', { period: 'day' }), call('get-performance', { period: 'day' }));
r('send me a recap', 'get-report');
either('how was my day', false, call('get-performance', { period: 'day' }), call('get-report', { period: 'day' }));
either('daily', false, call('get-performance', { period: 'day' }), call('get-report', { period: 'day' }));
r('end of day report', 'get-report', { period: 'day' });

// ─── Alerts ──────────────────────────────────────────────────────────────────────────────────
either('ping me if eth hits 4k', false, 'clarify', call('create-alert'));
alert('notify me when sol breaks 200', { type: 'price_above', symbol: 'SOL/USDT', price: '200' });
alert('let me know if btc dumps below 60k', { type: 'price_below', symbol: 'BTC/USDT', price: '60000' });
alert('set alert eth > 3500', { type: 'price_above', symbol: 'ETH/USDT', price: '3500' });
alert('ping me when doge > 0.25', { type: 'price_above', symbol: 'DOGE/USDT', price: '0.25' });
alert('alert me if sol drops under 120', { type: 'price_below', symbol: 'SOL/USDT', price: '120' });
alert('wake me up if eth tanks 10% in an hour', { type: 'percent_move', symbol: 'ETH/USDT', percent: 10, windowMinutes: 60, direction: 'down' });
alert('alert if avax pumps 5% in 30 minutes', { type: 'percent_move', symbol: 'AVAX/USDT', percent: 5, windowMinutes: 30, direction: 'up' });
alert('alert when rsi on btc 4h goes over 70', { type: 'rsi_above', symbol: 'BTC/USDT', timeframe: '4h', period: 14, value: 70 });
alert('notify me when eth 1h rsi is below 25', { type: 'rsi_below', symbol: 'ETH/USDT', timeframe: '1h', period: 14, value: 25 });
alert('ping me on a bearish macd cross on sol 1h', { type: 'macd_cross', symbol: 'SOL/USDT', timeframe: '1h', direction: 'bearish' });
alert('alert when btc hits the upper band 4h', { type: 'band_touch', symbol: 'BTC/USDT', timeframe: '4h', band: 'upper' });
alert('buzz me if btc falls below 58k', { type: 'price_below', symbol: 'BTC/USDT', price: '58000' });
alert('alert me when $PEPE goes above 0.00002', { type: 'price_above', symbol: 'PEPE/USDT', price: '0.00002' });
alert('\u{1F6A8} alert eth < 2500', { type: 'price_below', symbol: 'ETH/USDT', price: '2500' });
alert('alert me every time sol goes above 200', { type: 'price_above', symbol: 'SOL/USDT', price: '200' }, { mode: 'repeat' });
alert('remind me if btc goes under 55k', { type: 'price_below', symbol: 'BTC/USDT', price: '55000' });
alert('aleart me when btc goes above 80k', { type: 'price_above', symbol: 'BTC/USDT', price: '80000' });
alert('tell me when eth is over 4k', { type: 'price_above', symbol: 'ETH/USDT', price: '4000' });
alert('alert: sol below 100', { type: 'price_below', symbol: 'SOL/USDT', price: '100' });
alert('set a price alert for btc above 100k', { type: 'price_above', symbol: 'BTC/USDT', price: '100000' });
alert('notify me if doge moves 8% in 4 hours', { type: 'percent_move', symbol: 'DOGE/USDT', percent: 8, windowMinutes: 240, direction: 'either' });
alert('ping me when sol rsi 15m above 80', { type: 'rsi_above', symbol: 'SOL/USDT', timeframe: '15m', period: 14, value: 80 });
alert('alert me if eth gets above 3.8k', { type: 'price_above', symbol: 'ETH/USDT', price: '3800' });
alert('let me know when bitcoin is back above 70k', { type: 'price_above', symbol: 'BTC/USDT', price: '70000' });
alert('/alert sol > 250', { type: 'price_above', symbol: 'SOL/USDT', price: '250' });
alert('dm me if avax drops below 25', { type: 'price_below', symbol: 'AVAX/USDT', price: '25' });
r('list alerts', 'list-alerts');
r('what alerts are set', 'list-alerts');
r('active alerts', 'list-alerts');
r('show triggered alerts', 'list-alerts', { includeFired: true });
r('any alerts?', 'list-alerts');
either('delete my btc alert', false, call('list-alerts'), 'clarify');
either('remove the eth alert', false, call('list-alerts'), 'clarify');
either('stop the sol alert', false, call('list-alerts'), 'clarify');
either('clear all alerts', false, call('list-alerts'), 'clarify');
r(`kill alert ${ALERT}`, 'delete-alert', { alertId: ALERT });
r(`cancel alert ${ALERT}`, 'delete-alert', { alertId: ALERT });
r(`remove the alert ${ALERT}`, 'delete-alert', { alertId: ALERT });
r(`/delalert ${ALERT}`, 'delete-alert', { alertId: ALERT });

// ─── Risk, halt, resume ──────────────────────────────────────────────────────────────────────
r('set max leverage to 10', 'set-risk-limit', { type: 'leverage', value: '10' });
r('daily loss limit 500', 'set-risk-limit', { type: 'daily_loss', value: '500' });
r('limit my daily loss to 300', 'set-risk-limit', { type: 'daily_loss', value: '300' });
r('cap leverage at 3x', 'set-risk-limit', { type: 'leverage', value: '3' });
r('no more than 5 positions', 'set-risk-limit', { type: 'max_open_positions', value: '5' });
r('what are my risk limits', 'get-risk-limits');
r('how exposed am i', 'get-risk-metrics');
r("what's my var", 'get-risk-metrics');
r('max drawdown?', 'get-risk-metrics');
r('stop all trading now', 'halt-trading');
r('pause trading', 'halt-trading');
r('emergency stop', 'halt-trading');
either('/stopbuy', false, call('halt-trading'), 'clarify');
either('/stopentry', false, call('halt-trading'), 'clarify');
r('/stop', 'halt-trading');
r("i'm tilted, stop me trading", 'halt-trading');
r('resume', 'resume-trading');
r('unpause trading', 'resume-trading');
r('turn trading on', 'resume-trading');
r('never let me trade shib', 'set-risk-limit', { type: 'symbol_deny', value: 'SHIB/USDT' });
r('max 2 open positions', 'set-risk-limit', { type: 'max_open_positions', value: '2' });
r('set position size limit to 2000', 'set-risk-limit', { type: 'position_size', value: '2000' });
r('max leverage 3x', 'set-risk-limit', { type: 'leverage', value: '3' });

// ─── Trade-like messages that need a question back ───────────────────────────────────────────
q('buy eth', true);
q('short btc', true);
q('sell sol', true);
q('long sol 5x', true);
q('ape into pepe', true);
q('buy eth 3000', true);
q('buy btc and eth 0.1 each', true);
q('buy some sol at 140', true);
q('go short', true);
q('buy', true);
q('limit buy 2 sol', true);
q('sell', true);
q('/forcebuy ETH/USDT', true);
q('/forcelong BTC/USDT', true);
q('/forceshort ETH/USDT', true);
q('buy the dip on btc', true);
q('i want to buy sol', true);
q('buy some eth', true);
q('long', true);
q('get me some btc', true);
q('ape', true);
q('short it', true);
q('buy more', true);
q('buy 2', true);
q('sell 100', true);
q('open a long', true);
q('stop buy eth at 3800', true);
q('place a limit buy for eth at 3000', true);
q('dump it', true);
q('close it', true);
q('sell 5 at 200', true);
q('buy 1 eth at', true);

// ═══ Batch 2 ═══════════════════════════════════════════════════════════════════════════════════
batch = 2;
price('eth??', 'ETH/USDT');
price('how much is solana right now', 'SOL/USDT');
price('price on $TIA', 'TIA/USDT');
price('btc and sol px', 'BTC/USDT', 'SOL/USDT');
price('wat is doge at', 'DOGE/USDT');
price('what is avax trading at', 'AVAX/USDT');
price('ETH-USDT price', 'ETH/USDT');
price('how is bitcoin doing today', 'BTC/USDT');
price('price pls: sui', 'SUI/USDT');
price('SOL/USDC?', 'SOL/USDC');
price('inj', 'INJ/USDT');
price('whats pepe doing', 'PEPE/USDT');
analyse('any thoughts on avax', 'AVAX/USDT');
analyse('is eth bullish on the 1h', 'ETH/USDT', '1h');
analyse('technicals on sol 4h', 'SOL/USDT', '4h');
analyse('quick ta on doge', 'DOGE/USDT');
analyse('what is the trend on btc daily', 'BTC/USDT', '1d');
analyse('is sol going to pump', 'SOL/USDT');
either('should i long eth here?', false, call('analyze-market', { symbol: 'ETH/USDT' }), 'clarify');
either('is btc overbought on the 1h', false, call('get-indicators', { symbol: 'BTC/USDT', timeframe: '1h' }), call('analyze-market', { symbol: 'BTC/USDT', timeframe: '1h' }));
analyse('analyse solana weekly', 'SOL/USDT', '1w');
ind('rsi on avax 15m', { symbol: 'AVAX/USDT', timeframe: '15m', indicators: ['rsi'] });
ind('macd btc 1h', { symbol: 'BTC/USDT', timeframe: '1h', indicators: ['macd'] });
ind('50 ema eth daily', { symbol: 'ETH/USDT', timeframe: '1d', indicators: ['ema'], period: 50 });
ind('atr on sol', { symbol: 'SOL/USDT', indicators: ['atr'] });
r('chart avax 1d', 'get-chart', { symbol: 'AVAX/USDT', timeframe: '1d' });
r('show me eth on the 15m chart', 'get-chart', { symbol: 'ETH/USDT', timeframe: '15m' });
r('btc chart please', 'get-chart', { symbol: 'BTC/USDT' });
r('funding rate on doge', 'get-funding-rate', { symbol: 'DOGE-PERP' });
r('orderbook sol', 'get-order-book', { symbol: 'SOL/USDT' });
r('candles for eth 1h', 'get-candles', { symbol: 'ETH/USDT', timeframe: '1h' });
r('search pepe perps', 'search-markets', { query: 'pepe', kind: 'perp' });
m('buy 0.75 eth', 'ETH/USDT', 'buy', { quantity: '0.75' });
m('grab me 3 avax', 'AVAX/USDT', 'buy', { quantity: '3' });
m('get 0.01 btc', 'BTC/USDT', 'buy', { quantity: '0.01' });
m('buy $40 of doge', 'DOGE/USDT', 'buy', { quoteQuantity: '40' });
m('buy 500 usdt worth of sol', 'SOL/USDT', 'buy', { quoteQuantity: '500' });
m('spend 250 on eth', 'ETH/USDT', 'buy', { quoteQuantity: '250' });
m('buy 3k shib', 'SHIB/USDT', 'buy', { quantity: '3000' });
m('ape 1k into bonk', 'BONK/USDT', 'buy', { quoteQuantity: '1000' });
m('buy 25 dollars of btc', 'BTC/USDT', 'buy', { quoteQuantity: '25' });
m('i want 1 sol', 'SOL/USDT', 'buy', { quantity: '1' });
m('buy 0.5 etherum', 'ETH/USDT', 'buy', { quantity: '0.5' });
m('sell 0.2 btc', 'BTC/USDT', 'sell', { quantity: '0.2' });
m('sell $150 worth of sol', 'SOL/USDT', 'sell', { quoteQuantity: '150' });
m('dump 1000 shib', 'SHIB/USDT', 'sell', { quantity: '1000' });
m('market sell 4 avax', 'AVAX/USDT', 'sell', { quantity: '4' });
o('short 0.3 eth 4x', { symbol: 'ETH-PERP', side: 'sell', type: 'market', quantity: '0.3', leverage: '4' });
o('long btc 0.01 with 5x', { symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.01', leverage: '5' });
o('open a 3x long on eth with $300', { symbol: 'ETH-PERP', side: 'buy', type: 'market', quoteQuantity: '300', leverage: '3' });
o('short avax $200 2x', { symbol: 'AVAX-PERP', side: 'sell', type: 'market', quoteQuantity: '200', leverage: '2' });
o('go short sol 2 at 190', { symbol: 'SOL-PERP', side: 'sell', type: 'limit', quantity: '2', price: '190' });
o('limit buy 2 sol at 128', { symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '2', price: '128' });
o('place a limit order to sell 0.5 eth at 3900', { symbol: 'ETH/USDT', side: 'sell', type: 'limit', quantity: '0.5', price: '3900' });
o('buy 1 avax at 28.5', { symbol: 'AVAX/USDT', side: 'buy', type: 'limit', quantity: '1', price: '28.5' });
o('sell 0.1 btc at 80k', { symbol: 'BTC/USDT', side: 'sell', type: 'limit', quantity: '0.1', price: '80000' });
o('buy 2 eth if it dips to 2700', { symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '2', price: '2700' });
o('if sol breaks above 220 buy 3', { symbol: 'SOL/USDT', side: 'buy', type: 'stop', quantity: '3', stopPrice: '220' });
o('sell 1 eth if it drops below 2600', { symbol: 'ETH/USDT', side: 'sell', type: 'stop', quantity: '1', stopPrice: '2600' });
o('buy 0.5 eth sl 2800 tp 3500', { symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '0.5', stopLoss: '2800', takeProfits: [{ price: '3500', fraction: '1' }] });
o('long sol 5x 1 sol stop 140', { symbol: 'SOL-PERP', side: 'buy', type: 'market', quantity: '1', leverage: '5', stopLoss: '140' });
o('bid 500 doge at 0.12', { symbol: 'DOGE/USDT', side: 'buy', type: 'limit', quantity: '500', price: '0.12' });
close('close my avax', { symbol: 'AVAX', fraction: '1' });
close('dump half my eth', { symbol: 'ETH', fraction: '0.5' });
close('sell all my btc', { symbol: 'BTC', fraction: '1' });
close('exit my eth position', { symbol: 'ETH', fraction: '1' });
close('close a quarter of my sol', { symbol: 'SOL', fraction: '0.25' });
close('take profit on my sol', { symbol: 'SOL', fraction: '1' });
close('get out of my pepe', { symbol: 'PEPE', fraction: '1' });
close('flatten my eth short', { symbol: 'ETH', fraction: '1' });
closeAll('close all');
closeAll('exit everything');
closeAll('sell all my positions');
r('set stop loss for my btc at 60k', 'set-stop-loss', { symbol: 'BTC', price: '60000' });
r('sl eth 2750', 'set-stop-loss', { symbol: 'ETH', price: '2750' });
r('move my sol stop to 150', 'set-stop-loss', { symbol: 'SOL', price: '150' });
r('tp on btc at 75k', 'set-take-profits', { symbol: 'BTC', targets: [{ price: '75000', fraction: '1' }] });
r('take profit eth 3600 3800', 'set-take-profits', { symbol: 'ETH', targets: [{ price: '3600', fraction: '0.5' }, { price: '3800', fraction: '0.5' }] });
r(`cancel order ${ORDER.slice(0, 6)}`, 'cancel-order', { orderId: ORDER.slice(0, 6) });
r(`kill order ${ORDER} please`, 'cancel-order', { orderId: ORDER });
r('show open orders', 'list-orders', { status: 'open' });
either('cancel my eth order', false, call('list-orders', { symbol: 'ETH/USDT' }), 'clarify');
r(`what happened to order ${ORDER}`, 'get-order', { orderId: ORDER });
r('my positions pls', 'get-positions');
r('what am i in right now', 'get-positions');
r('am i long eth', 'get-positions', { symbol: 'ETH/USDT' });
r('do i have a position in sol', 'get-positions', { symbol: 'SOL/USDT' });
r('how much usdc have i got', 'get-balances');
r('my balance?', 'get-balances');
r('account value', 'get-portfolio');
r('my trade history', 'get-trades');
r('pnl this week', 'get-performance', { period: 'week' });
r('how much did i make this month', 'get-performance', { period: 'month' });
r('how did i do yesterday', 'get-performance', { period: 'day' });
r('which coin made me the most', 'get-performance');
r('daily report pls', 'get-report', { period: 'day' });
alert('alert me if eth goes above 3800', { type: 'price_above', symbol: 'ETH/USDT', price: '3800' });
alert('ping me when btc drops below 62k', { type: 'price_below', symbol: 'BTC/USDT', price: '62000' });
alert('notify me if sol rsi 4h goes below 30', { type: 'rsi_below', symbol: 'SOL/USDT', timeframe: '4h', period: 14, value: 30 });
alert('tell me if doge pumps 10% in an hour', { type: 'percent_move', symbol: 'DOGE/USDT', percent: 10, windowMinutes: 60, direction: 'up' });
alert('alert when avax < 20', { type: 'price_below', symbol: 'AVAX/USDT', price: '20' });
r('show my alerts', 'list-alerts');
r(`delete alert ${ALERT.slice(0, 5)}`, 'delete-alert', { alertId: ALERT.slice(0, 5) });
either('delete the doge alert', false, call('list-alerts'), 'clarify');
r('set max leverage 5x', 'set-risk-limit', { type: 'leverage', value: '5' });
r('max daily loss 250', 'set-risk-limit', { type: 'daily_loss', value: '250' });
r('halt all trading', 'halt-trading');
r('resume trading please', 'resume-trading');
r('what are my limits', 'get-risk-limits');
q('buy sol', true);
q('sell some eth', true);
q('short eth 10x', true);
q('long doge', true);
q('buy more btc', true);
q('buy sol at 150', true);
q('sell 2 at 3000', true);
q('/forcebuy SOL/USDT 140', true);

// ═══ Batch 3 ═══════════════════════════════════════════════════════════════════════════════════
batch = 3;
price('where is sol trading rn', 'SOL/USDT');
price('hows btc', 'BTC/USDT');
price('eth price?? \u{1F62C}', 'ETH/USDT');
price('price: avax, link', 'AVAX/USDT', 'LINK/USDT');
price('bitcoin', 'BTC/USDT');
price('what is the current btc price', 'BTC/USDT');
price('$WIF px', 'WIF/USDT');
price('how much is one eth', 'ETH/USDT');
analyse('is eth about to break out', 'ETH/USDT');
analyse('sol looks weak, what do you think', 'SOL/USDT');
analyse('gimme an analysis on btc 1h', 'BTC/USDT', '1h');
analyse('bearish on doge?', 'DOGE/USDT');
either('good entry on sol here?', false, call('analyze-market', { symbol: 'SOL/USDT' }), 'clarify');
ind('eth rsi 4 hour', { symbol: 'ETH/USDT', timeframe: '4h', indicators: ['rsi'] });
ind('bollinger bands btc 1d', { symbol: 'BTC/USDT', timeframe: '1d', indicators: ['bollinger'] });
either('is avax oversold on the 1h', false, call('get-indicators', { symbol: 'AVAX/USDT', timeframe: '1h' }), call('analyze-market', { symbol: 'AVAX/USDT', timeframe: '1h' }));
r('sol 4h chart', 'get-chart', { symbol: 'SOL/USDT', timeframe: '4h' });
r('funding on btc perp', 'get-funding-rate', { symbol: 'BTC-PERP' });
r('book for eth', 'get-order-book', { symbol: 'ETH/USDT' });
m('buy me 0.2 eth', 'ETH/USDT', 'buy', { quantity: '0.2' });
m('get me $100 of sol', 'SOL/USDT', 'buy', { quoteQuantity: '100' });
m('scoop up 2k doge', 'DOGE/USDT', 'buy', { quantity: '2000' });
m('buy 1.5 avax \u{1F4AA}', 'AVAX/USDT', 'buy', { quantity: '1.5' });
m('ape $250 into eth', 'ETH/USDT', 'buy', { quoteQuantity: '250' });
m('buy 300 usdt of bitcoin', 'BTC/USDT', 'buy', { quoteQuantity: '300' });
m('buy 0.02 btc now', 'BTC/USDT', 'buy', { quantity: '0.02' });
m('purchase $60 of ada', 'ADA/USDT', 'buy', { quoteQuantity: '60' });
m('sell 4 sol', 'SOL/USDT', 'sell', { quantity: '4' });
m('offload 2 eth', 'ETH/USDT', 'sell', { quantity: '2' });
m('sell 100 dollars of avax', 'AVAX/USDT', 'sell', { quoteQuantity: '100' });
m('dump 5k doge', 'DOGE/USDT', 'sell', { quantity: '5000' });
o('short 2 eth 3x', { symbol: 'ETH-PERP', side: 'sell', type: 'market', quantity: '2', leverage: '3' });
o('long sol with $150 at 5x', { symbol: 'SOL-PERP', side: 'buy', type: 'market', quoteQuantity: '150', leverage: '5' });
o('open short btc 0.05', { symbol: 'BTC-PERP', side: 'sell', type: 'market', quantity: '0.05' });
o('10x long on eth, $100', { symbol: 'ETH-PERP', side: 'buy', type: 'market', quoteQuantity: '100', leverage: '10' });
o('limit sell 1 sol at 250', { symbol: 'SOL/USDT', side: 'sell', type: 'limit', quantity: '1', price: '250' });
o('buy 3 sol limit 120', { symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '3', price: '120' });
o('put a bid in for 2 eth at 2800', { symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '2', price: '2800' });
o('buy 1 btc if it drops to 55k', { symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '1', price: '55000' });
o('when eth breaks 4k buy 1', { symbol: 'ETH/USDT', side: 'buy', type: 'stop', quantity: '1', stopPrice: '4000' });
o('sell 2 sol if it falls below 130', { symbol: 'SOL/USDT', side: 'sell', type: 'stop', quantity: '2', stopPrice: '130' });
o('buy 1 eth with a stop at 2750', { symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '1', stopLoss: '2750' });
o('short sol 1 sl 200 tp 150', { symbol: 'SOL-PERP', side: 'sell', type: 'market', quantity: '1', stopLoss: '200', takeProfits: [{ price: '150', fraction: '1' }] });
o('place a stop buy for 1 eth at 3700', { symbol: 'ETH/USDT', side: 'buy', type: 'stop', quantity: '1', stopPrice: '3700' });
close('close my sol', { symbol: 'SOL', fraction: '1' });
close('dump my btc', { symbol: 'BTC', fraction: '1' });
close('sell 50% of my eth', { symbol: 'ETH', fraction: '0.5' });
close('exit half my avax', { symbol: 'AVAX', fraction: '0.5' });
close('close out my doge position', { symbol: 'DOGE', fraction: '1' });
close('take profits on eth', { symbol: 'ETH', fraction: '1' });
closeAll('close all positions now');
closeAll('panic close everything');
r('stop loss on eth at 2700', 'set-stop-loss', { symbol: 'ETH', price: '2700' });
r('set sl for btc 61000', 'set-stop-loss', { symbol: 'BTC', price: '61000' });
r('take profit on sol at 210', 'set-take-profits', { symbol: 'SOL', targets: [{ price: '210', fraction: '1' }] });
r(`cancel order ${ORDER.slice(0, 4)}`, 'cancel-order', { orderId: ORDER.slice(0, 4) });
r('cancel everything open', 'list-orders', { status: 'open' });
r('my orders', 'list-orders');
either('kill my btc order', false, call('list-orders', { symbol: 'BTC/USDT' }), 'clarify');
r(`change order ${ORDER} price to 3100`, 'amend-order', { orderId: ORDER, price: '3100' });
r('what positions am i in', 'get-positions');
r('am i long btc?', 'get-positions', { symbol: 'BTC/USDT' });
r('open positions pls', 'get-positions', { status: 'open' });
r('how much cash have i got', 'get-balances');
r('balances pls', 'get-balances');
r('whats my portfolio worth', 'get-portfolio');
r('last trades', 'get-trades');
r('how much have i made all time', 'get-performance', { period: 'all' });
r('pnl this month?', 'get-performance', { period: 'month' });
r('what was my best pair this week', 'get-performance', { period: 'week' });
r('weekly report', 'get-report');
alert('alert me if btc goes over 72k', { type: 'price_above', symbol: 'BTC/USDT', price: '72000' });
alert('ping me if sol falls under 140', { type: 'price_below', symbol: 'SOL/USDT', price: '140' });
alert('notify me when eth rsi 1h goes above 75', { type: 'rsi_above', symbol: 'ETH/USDT', timeframe: '1h', period: 14, value: 75 });
alert('let me know if btc drops 5% in 2 hours', { type: 'percent_move', symbol: 'BTC/USDT', percent: 5, windowMinutes: 120, direction: 'down' });
r('alerts pls', 'list-alerts');
r(`remove alert ${ALERT.slice(0, 6)}`, 'delete-alert', { alertId: ALERT.slice(0, 6) });
r('stop trading for today', 'halt-trading');
r('set max leverage to 2', 'set-risk-limit', { type: 'leverage', value: '2' });
q('buy avax', true);
q('short sol', true);
q('sell btc at 80k', true);
q('long eth 5x at 3000', true);
q('ape into sol', true);

// ═══ Batch 4: live against its paper shadow ══════════════════════════════════════════════════════
batch = 4;
r('how is my live account doing against the paper one', 'get-shadow');
r('paper twin', 'get-shadow');
r('show me the shadow portfolio', 'get-shadow');
r('live vs sim', 'get-shadow');
r('real vs paper fills', 'get-shadow');
r('what did slippage cost me on live', 'get-shadow');
r('am i getting worse fills live than on paper?', 'get-shadow');
r('live/paper divergence', 'get-shadow');
r('compare live and paper', 'get-shadow');
r('how far is live from the shadow', 'get-shadow');
r('shadow comparison pls', 'get-shadow');
r('any missed fills on live?', 'get-shadow');
r('how much did fees cost me live compared to paper', 'get-shadow');
r('live trading vs the simulation', 'get-shadow');
r('is live tracking paper?', 'get-shadow');
r('slippage report', 'get-shadow');
r('paper vs live performance', 'get-shadow');
r('my shadow', 'get-shadow');
r('how did the paper shadow do', 'get-shadow');
r('live vs paper pnl', 'get-shadow');
r('how much worse is live than paper', 'get-shadow');
r('diff between live and paper', 'get-shadow');
r('/shadow@MikeyBot', 'get-shadow');
price('live price of sol', 'SOL/USDT');
price('btc vs eth', 'BTC/USDT', 'ETH/USDT');
either('rsi divergence on btc 4h', false, call('get-indicators', { symbol: 'BTC/USDT' }), call('analyze-market', { symbol: 'BTC/USDT' }));
analyse('bullish divergence on eth?', 'ETH/USDT');
r('new paper portfolio called beta', 'create-paper-portfolio', { name: 'beta' });
r('my live orders', 'list-orders');
r('positions on my live portfolio', 'get-positions');

// ═══ Batch 5: backtests ════════════════════════════════════════════════════════════════════════
// A grid without a per-level amount spends the default 10,000 starting cash evenly over its levels.
batch = 5;
const bt = (text: string, args: Record<string, unknown>): void => r(text, 'backtest-strategy', args);
bt('backtest a grid on sol between 120 and 200', { strategy: 'grid', symbol: 'SOL/USDT', params: { lower: '120', upper: '200', quotePerLevel: '1000' } });
bt('backtest eth grid 2.5k-4k with 20 levels over the past 60 days', { strategy: 'grid', symbol: 'ETH/USDT', days: 60, params: { lower: '2500', upper: '4000', levels: 20, quotePerLevel: '500' } });
bt('grid backtest btc 55k to 75k last 6 months', { strategy: 'grid', symbol: 'BTC/USDT', days: 180 });
bt('how would a grid from 140 to 180 on sol have done last month', { strategy: 'grid', symbol: 'SOL/USDT', days: 30, params: { lower: '140', upper: '180', quotePerLevel: '1000' } });
bt('backtest dca on eth, $50 every week, last 2 years', { strategy: 'dca', symbol: 'ETH/USDT', days: 730, params: { quoteAmount: '50', every: 168 } });
bt('backtest dollar cost averaging into btc with $25 a day', { strategy: 'dca', symbol: 'BTC/USDT', params: { quoteAmount: '25', every: 24 } });
bt('what if i had dca\'d $200 a week into sol over the last year', { strategy: 'dca', symbol: 'SOL/USDT', days: 365, params: { quoteAmount: '200', every: 168 } });
bt('backtest trend following on eth daily', { strategy: 'momentum', symbol: 'ETH/USDT', timeframe: '1d' });
bt('run a momentum backtest on btc over the last 120 days on the 4h', { strategy: 'momentum', symbol: 'BTC/USDT', timeframe: '4h', days: 120 });
bt('backtest an ema cross 9/21 on sol 15m', { strategy: 'momentum', symbol: 'SOL/USDT', timeframe: '15m', params: { fast: 9, slow: 21 } });
bt('how would ema 20/50 have worked on eth 4h last 90 days', { strategy: 'momentum', symbol: 'ETH/USDT', timeframe: '4h', days: 90, params: { fast: 20, slow: 50 } });
bt('backtest mean reversion btc 1h', { strategy: 'mean_reversion', symbol: 'BTC/USDT', timeframe: '1h' });
bt('bollinger mean reversion backtest on avax since 2025-03-01', { strategy: 'mean_reversion', symbol: 'AVAX/USDT', from: '2025-03-01' });
bt('backtest a z-score strategy on eth for 45 days', { strategy: 'mean_reversion', symbol: 'ETH/USDT', days: 45 });
bt('/backtest grid btc 60000 70000', { strategy: 'grid', symbol: 'BTC/USDT', params: { lower: '60000', upper: '70000', quotePerLevel: '1000' } });
bt('/backtest mean reversion doge 1d 365d', { strategy: 'mean_reversion', symbol: 'DOGE/USDT', timeframe: '1d', days: 365 });
bt('test a momentum strategy on link over 3 months', { strategy: 'momentum', symbol: 'LINK/USDT', days: 90 });
q('backtest sol', false);
q('backtest a grid', false);
q('buy btc with a grid from 60k to 80k', true);
m('buy 0.1 btc then backtest it', 'BTC/USDT', 'buy', { quantity: '0.1' });
either('is btc trending?', false, call('analyze-market', { symbol: 'BTC/USDT' }));

batch = 6;
const pr = (text: string, args: Record<string, unknown>): void => r(text, 'get-prediction', args);
pr('eth prediction for the next 4 hours', { symbol: 'ETH/USDT', horizon: '4h' });
pr('where will btc be in an hour', { symbol: 'BTC/USDT', horizon: '1h' });
pr('predict sol 15m', { symbol: 'SOL/USDT', horizon: '15m' });
pr("your model's call on doge for tomorrow", { symbol: 'DOGE/USDT', horizon: '1d' });
pr('is eth going up in the next 15 minutes?', { symbol: 'ETH/USDT', horizon: '15m' });
pr('forecast btc 24h', { symbol: 'BTC/USDT', horizon: '1d' });
pr('ml prediction avax 1h', { symbol: 'AVAX/USDT', horizon: '1h' });
pr("what's the 4h forecast for sol", { symbol: 'SOL/USDT', horizon: '4h' });
pr('will btc be higher in 4 hours', { symbol: 'BTC/USDT', horizon: '4h' });
pr('predict ethereum price one day ahead', { symbol: 'ETH/USDT', horizon: '1d' });
r('show me your predictions', 'list-predictions');
r('last predictions for btc', 'list-predictions', { symbol: 'BTC/USDT' });
r('how accurate is your model?', 'get-model-scorecard');
r('prediction track record on eth', 'get-model-scorecard', { symbol: 'ETH/USDT' });
r('do your models beat the baseline?', 'get-model-scorecard');
r('hit rate of your predictions', 'get-model-scorecard');
r('retrain the btc 1h model', 'retrain-model', { symbol: 'BTC/USDT', horizon: '1h' });
either('sol forecast', false, call('get-prediction', { symbol: 'SOL/USDT' }), call('analyze-market', { symbol: 'SOL/USDT' }));
r('my scorecard this week', 'get-performance', { period: 'week' });
analyse('analyse btc on the 4 hour', 'BTC/USDT', '4h');
r('alert me if btc goes up 5% in the next hour', 'create-alert');
q('buy eth if your model says up', true);

batch = 7;
pr('link forecast 1 hour out', { symbol: 'LINK/USDT', horizon: '1h' });
pr('what does the model say for bnb over the next day', { symbol: 'BNB/USDT', horizon: '1d' });
pr('can you predict xrp', { symbol: 'XRP/USDT' });
pr('is sol going to be up in 4h?', { symbol: 'SOL/USDT', horizon: '4h' });
pr('/predict eth 15m', { symbol: 'ETH/USDT', horizon: '15m' });
r('predictions so far', 'list-predictions');
r('how reliable are the models on sol', 'get-model-scorecard', { symbol: 'SOL/USDT' });
r('are your forecasts any good', 'get-model-scorecard');
either('predict btc in 2 hours', false, 'clarify');
r('rsi btc 4h', 'get-indicators', { symbol: 'BTC/USDT', timeframe: '4h' });

export const UNSEEN: readonly UnseenCase[] = cases;

/** A question back: the understanding asks for the missing piece rather than giving up ("I didn't get that") or guessing. */
export function isClarifying(intent: Intent): boolean {
  return intent.kind === 'unknown' && !/^I didn't get that|^I don't know \//.test(intent.text);
}

/** Deep equality of the arguments that matter: every expected key, compared exactly. */
function argsMatch(expected: Record<string, unknown> | undefined, actual: Record<string, unknown>): boolean {
  if (!expected) return true;
  return Object.entries(expected).every(([k, v]) => JSON.stringify(actual[k]) === JSON.stringify(v));
}

/** True when `intent` is one of the outcomes the case accepts. */
export function judge(c: UnseenCase, intent: Intent): boolean {
  return c.expect.some((e) => (e === 'clarify' ? isClarifying(intent) : intent.kind === 'tool' && intent.tool === e.tool && argsMatch(e.args, intent.args)));
}

/** For a trade-like phrasing: a trade card (effect `trade`) or a question back, nothing else. */
export function tradeSafe(intent: Intent): boolean {
  return (intent.kind === 'tool' && intent.effect === 'trade') || isClarifying(intent);
}
