// The offline understanding: a trader's message (natural phrasing or a slash command) → one MCP tool
// call with the exact arguments of docs/tools.md, a reply, a confirmation answer, a link code, or
// "I didn't get that" with examples. Pure, synchronous, deterministic: no model, no I/O.
//
// Generalising: before the rules read a message, canonical.ts corrects typos of keywords and coin
// names and brings the many ways traders say an action to the verb the rules know ("grab 10 sol",
// "place a limit buy for 2 eth at 3000", "dump all my eth", "20x long btc 0.01", "if btc hits 60k
// buy 0.1"); the rules then fill the slots wherever they stand (a symbol named twice, a size after
// the price, a verb in a later clause). A message that asks to trade — a trade verb used as an
// action, not in a question ("should I buy…", "am I long…") nor a noun phrase ("long term", "buy
// wall") — only ever becomes a trade card, an exit on a position, or a short question back; it is
// never answered as a read.
//
// Decisions (the phrasebook holds one example of each):
// - Conditional entries: a buy *below* the market ("buy 2 SOL if it dips below 140") is a limit buy
//   at 140; a buy *above* ("if it breaks above 70k") is a stop buy with stopPrice 70000. A sell above
//   is a limit sell; a sell below ("if it drops to 120") is a stop sell. "at"/"hits"/"reaches"
//   without a direction read as a limit price.
// - Sizes relative to a holding never become quantities here: "sell half my ETH" / "close my btc
//   position" → close-position with `fraction`; "sell my SOL if it drops to 120" → set-stop-loss on
//   the position; "sell half my ETH if it rises to 4000" → set-take-profits with that fraction. The
//   server knows the position size; the grammar never guesses it.
// - An order without a size ("buy BTC if it breaks above 70k") is a question back, not a call.
// - Exits beside an order are exits: "with a stop at 2900", "sl 2900", "stop 2900", "tp 3300 3400",
//   "targets 3300/3400" become its stopLoss / takeProfits. Only an order typed as a stop ("stop buy
//   …", "buy stop …"), "stop X limit Y", a conditional ("if it breaks above …") or a plain spot
//   "sell … stop X" make the stop the order's own trigger.
// - Ids: a full UUID or its first 4+ characters as tables show them ("cancel order 630a8f0b"),
//   passed to the tool as typed; the server resolves the prefix among the caller's own ids.
// - Positions are named by what was written: a bare ticker stays bare ("ETH"), so the server finds
//   the open position in whichever market (spot or perp) and asks which when there are two.
// - "short", and any leverage, on a bare ticker means the perpetual (SOL → SOL-PERP); "long" without
//   leverage on a bare ticker is a spot buy.
// - "cancel all orders": there is no cancel-all tool, so MIKEY lists the open orders and says how to
//   cancel each (or "panic" to close every position).
// - Arguments the trader did not say are left out, so the server's defaults stay the one source of
//   truth — except `type` on orders, which is always stated so the card never surprises.
// - A message that reads like instructions to an assistant ("ignore previous instructions…") never
//   yields anything but a read-only intent.
//
// Patterns composed from the shared NUM / SYM pieces are module constants, compiled once at load.
import { D } from '../../domain/money.js';
import { canonicalise } from './canonical.js';
import { understandCommunity } from './community.js';
import { approvalLimits, LIMITS_QUESTION, understandWallets, walletByLabel, walletUpdate } from './wallets.js';
import { FRACTION_WORDS, NUMBER_SOURCE, isUnitFraction, percentToFraction, splitEvenly } from './numbers.js';
import { ConfirmAnswer, toolIntent, type Intent, type OrderMatch, type ToolIntent, type ToolName, type UnderstandContext } from './intent.js';
import { perpOf, type SymbolMention } from './symbols.js';
import { MAX_COMMAND_LENGTH, NUM, SYM, amount, asciiSingleSpaced, cut, mentionOf, mentionsIn, numbersIn, prepare, stripPoliteness, type Prepared } from './text.js';
import { TIMEFRAMES, findTimeframe, type NluTimeframe } from './timeframes.js';

const UUID = /\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/;

/**
 * An id as a person types it back: a full UUID or its first 4+ characters, as tables show them
 * ("630a8f0b"). A short one must follow its noun ("order 630a8f0b", "alert 5aa9"), so that numbers
 * elsewhere in a message are never read as ids; hex without a digit counts only from 8 characters.
 */
const ID_TOKEN = String.raw`[0-9a-f]{8}(?:-[0-9a-f]{1,12}){0,4}|[0-9a-f]{4,7}`;

const WHOLE_ID = new RegExp(`^(?:${ID_TOKEN})$`);

function isIdToken(token: string): boolean {
  if (UUID.test(token)) return true;
  const hex = token.replace(/-/g, '');
  return hex.length >= 4 && hex.length <= 32 && (/\d/.test(hex) || hex.length >= 8);
}

/** The id named after `noun` ("order", "alert", "position"), or any full UUID; as typed (trader's casing). */
function idAfter(p: Prepared, noun: string): string | undefined {
  const re = new RegExp(String.raw`\b${noun}s?\s+(?:id\s+)?(?:#\s?)?(${ID_TOKEN})(?![\w-])`);
  const m = re.exec(p.lower);
  const at = m?.[1] !== undefined && isIdToken(m[1]) ? p.lower.indexOf(m[1], m.index + noun.length) : -1;
  if (m?.[1] !== undefined && at >= 0) return p.orig.slice(at, at + m[1].length);
  const full = UUID.exec(p.lower);
  return full?.[1] !== undefined ? p.orig.slice(full.index, full.index + full[1].length) : undefined;
}

/** `text` with the id (as found by `idAfter`) blanked out, in the masked form. */
function withoutId(text: string, id: string | undefined): string {
  return id === undefined ? text : text.replace(id.toLowerCase(), ' ');
}

// A "yes" executes a trade card, so only unmistakable assent counts ("ok" or "sure" may just acknowledge).
const YES = new Set(['yes', 'y', 'yep', 'yeah', 'yup', 'ya', 'yes please', 'yes confirm', 'confirm', 'confirmed', 'i confirm', 'do it', 'go ahead', 'execute', 'place it', 'send it', 'yes do it', 'approve', 'approved']);
const NO = new Set(['no', 'n', 'nope', 'nah', 'cancel', 'cancel it', 'abort', "don't", 'dont', 'do not', 'no thanks', 'never mind', 'nevermind', 'reject', 'decline', 'no cancel', 'forget it']);
const YES_EMOJI = ['\u{1F44D}', '\u2705', '\u{1F44C}', '\u2714\uFE0F', '\u2714'];
const NO_EMOJI = ['\u274C', '\u{1F44E}', '\u{1F6AB}', '\u2716\uFE0F', '\u2716'];

/**
 * Text that addresses an assistant's instructions rather than a market: role markers, "ignore
 * previous instructions", tag-like envelopes. Such a message gets nothing that changes state.
 */
const INJECTION =
  /\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}?\b(?:instructions?|rules?|prompts?|previous|prior|above|guidelines|system|safety|confirmations?)\b|\b(?:system prompt|system message|developer mode|dan mode|jailbreak|you are now|act as|pretend (?:to be|you)|new instructions|admin mode|god mode|sudo|without (?:asking|confirmation|confirming))\b|^\s*(?:system|assistant|developer|tool)\s*:|<\s*\/?\s*(?:untrusted|system|instructions?|tool|assistant|admin)|\[\s*\/?\s*(?:inst|system)\s*\]/i;

// Slash commands: each maps to the natural phrase the grammar already understands.
const SLASH: Record<string, string> = {
  price: 'price', prices: 'price', p: 'price', quote: 'price',
  analysis: 'analyse', analyse: 'analyse', analyze: 'analyse', ta: 'analyse',
  analyses: 'past analyses',
  chart: 'chart', candles: 'candles', ohlcv: 'candles', book: 'order book', orderbook: 'order book', depth: 'order book',
  funding: 'funding', search: 'search markets', markets: 'search markets', indicators: 'indicators', rsi: 'rsi',
  buy: 'buy', sell: 'sell', long: 'long', short: 'short', twap: 'twap', vwap: 'vwap',
  positions: 'positions', pos: 'positions', portfolio: 'portfolio', pf: 'portfolio', balance: 'balance', balances: 'balance',
  bal: 'balance', pnl: 'pnl', performance: 'pnl', perf: 'pnl', orders: 'orders', trades: 'trades', history: 'trades',
  cancel: 'cancel order', amend: 'amend order', order: 'order', explain: 'explain order', why: 'explain order',
  close: 'close', closeall: 'close all positions', close_all: 'close all positions', panic: 'panic', flatten: 'close all positions',
  alerts: 'alerts', alert: 'alert', delalert: 'delete alert', deletealert: 'delete alert', unalert: 'delete alert',
  limits: 'show my limits', setlimit: 'set limit', risk: 'risk metrics',
  halt: 'halt trading', killswitch: 'kill switch', kill: 'kill switch', stop: 'halt trading', resume: 'resume trading',
  report: 'report', briefing: 'report',
  backtest: 'backtest', bt: 'backtest',
  predict: 'predict', prediction: 'predict', forecast: 'predict', predictions: 'recent predictions', scorecard: 'prediction scorecard', retrain: 'retrain model',
  shadow: 'shadow', twin: 'shadow', slippage: 'shadow', divergence: 'shadow',
  sl: 'stop loss', stoploss: 'stop loss', tp: 'take profit', takeprofit: 'take profit',
  whoami: 'whoami', me: 'whoami',
  // freqtrade's Telegram commands
  status: 'positions', count: 'positions', profit: 'pnl', daily: 'pnl today', weekly: 'pnl this week', monthly: 'pnl this month',
  stats: 'pnl', forceexit: 'close', forcesell: 'close', fx: 'close', forcebuy: 'buy', forcelong: 'buy', forceenter: 'buy',
  forceshort: 'short', stopbuy: 'halt trading', stopentry: 'halt trading', portfolios: 'list portfolios', accounts: 'list portfolios', newportfolio: 'create paper portfolio',
};

const HELP_TEXT = [
  'I understand plain phrasing and slash commands. Some things to try:',
  '• Prices: "what\'s SOL doing?", "price of btc and eth", /price sol',
  '• Analysis & charts: "analyse ETH on the 4h", "chart SOL 1h with bollinger", "rsi on btc 1h"',
  '• Trading (you confirm every trade card): "buy 0.5 eth", "buy $100 of SOL", "buy 2 SOL if it dips below 140", "sell 1 eth at 4000", "long SOL-PERP 3x with $200", "buy 0.5 eth with a stop at 2900 and take profit at 3300"',
  '• Positions: "sell half my ETH", "close my btc position", "set stop loss on sol at 120", "panic" (close everything)',
  '• Account: "my positions", "portfolio", "balance", "how did I do this week?", "my open orders", "cancel order 630a8f0b" (the short id tables show)',
  '• Alerts: "alert me when BTC goes above 70k", "tell me if RSI on ETH 1h drops under 30", "my alerts"',
  '• Risk: "show my limits", "set daily loss limit to 200", "max leverage 5", "stop trading" (kill switch), "resume trading"',
  '• Reports: /report, "4h report"',
  '• Live against its paper shadow: "live vs paper", "how much slippage did I pay?", /shadow',
  '• Backtests (simulated, no orders): "backtest a BTC grid from 60k to 80k over the last 90 days", "backtest ema 12/26 on eth 4h", /backtest momentum sol 4h 180d',
  '• Predictions (each with its record beside a baseline): "what do you predict for BTC in 1h?", "prediction scorecard", "recent predictions"',
  '• Platform token (off-chain, never exchange funds): "my token balance", "staking pools", "stake 100 tokens in flex", "claim my rewards"',
  '• Bots (paper, within the limits you approve): "list my bots", "bot 3f2a9c1e", "pause bot 3f2a9c1e", "stop bot 3f2a9c1e"',
  '• In a group: "/leaderboard" (percentages only), "add me to the leaderboard", "join the competition", "standings"; admins: "start a competition “Dec sprint” for 7 days"',
  '• Whales: "watch 0x… as smart whale", "my whales", "whale smart whale", "whale bias for ETH", "alert me when a whale with credibility 7 buys $1M of ETH"',
].join('\n');

const GREETING_TEXT =
  "Hi, I'm MIKEY — your trading assistant. Accounts are paper unless you switch one to live, and I show a trade card and wait for your yes before any order.\n" +
  'Try "what\'s SOL doing?", "buy $100 of SOL", "my positions" or "help".';

const DEFAULT_EXAMPLES = ['price of btc and eth', 'analyse ETH on the 4h', 'buy $100 of SOL', 'how did I do this week?'];

function quoted(examples: readonly string[]): string {
  const q = examples.map((e) => `“${e}”`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

function unknown(examples: readonly string[] = DEFAULT_EXAMPLES, lead = "I didn't get that"): Intent {
  return { kind: 'unknown', text: `${lead}; try ${quoted(examples)} (or say help).` };
}

/** A question back when one piece is missing: the text names it and shows how to say it. */
function ask(question: string, examples: readonly string[]): Intent {
  return { kind: 'unknown', text: `${question} Try ${quoted(examples)}.` };
}

function examplesFor(p: Prepared | undefined, raw: string): string[] {
  const base = p?.symbols[0]?.base;
  const l = raw.toLowerCase();
  if (/\b(buy|sell|long|short|order|trade)\b/.test(l)) {
    const b = base ?? 'SOL';
    return [`buy 0.5 ${b}`, `buy $100 of ${b}`, `sell 1 ${b} at <price>`, `long ${b}-PERP 3x with $200`];
  }
  if (/\b(alert|notify|tell me|ping me)\b/.test(l)) {
    const b = base ?? 'BTC';
    return [`alert me when ${b} goes above <price>`, `tell me if RSI on ${b} 1h drops under 30`, 'my alerts'];
  }
  if (base) return [`price ${base}`, `analyse ${base} on the 4h`, `buy $100 of ${base}`, `alert me when ${base} goes above <price>`];
  if (/\b(portfolio|position|pnl|balance|account|orders?)\b/.test(l)) return ['my portfolio', 'how did I do this week?', 'my positions', 'my open orders'];
  return DEFAULT_EXAMPLES;
}

function tfError(written: string): Intent {
  return { kind: 'unknown', text: `I don't serve a ${written} timeframe; use one of ${TIMEFRAMES.join(' ')} (e.g. “chart SOL 4h”).` };
}

/** Pulls a timeframe out of `text`: `{ timeframe, rest }`, or an intent explaining the bad one. */
function takeTimeframe(text: string): { timeframe?: NluTimeframe; rest: string } | Intent {
  const tf = findTimeframe(text);
  if (!tf) return { rest: text };
  if (!tf.timeframe) return tfError(tf.written);
  return { timeframe: tf.timeframe, rest: tf.rest };
}

function isIntent(x: unknown): x is Intent {
  return typeof x === 'object' && x !== null && 'kind' in x;
}

function needSymbol(p: Prepared, what: string, example: string): Intent {
  return ask(`Which market ${what}?`, [example.replace('{s}', p.symbols[0]?.base ?? 'SOL')]);
}

function withOptional(args: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) args[k] = v;
  return args;
}

/**
 * How a position is named to the tools: a bare ticker stays bare ("ETH"), so the service finds the
 * open position of that asset in whichever market it is (spot or perp) and asks when there are two;
 * a pair or a perpetual the trader wrote out is passed as written.
 */
function positionSymbol(s: SymbolMention): string {
  return s.explicit ? s.symbol : s.base;
}

// ─── Confirmation, link, help ──────────────────────────────────────────────────────────────────

function confirmation(rawTrimmed: string, lower: string): Intent | undefined {
  if (YES_EMOJI.includes(rawTrimmed)) return { kind: 'confirm', answer: ConfirmAnswer.yes };
  if (NO_EMOJI.includes(rawTrimmed)) return { kind: 'confirm', answer: ConfirmAnswer.no };
  // A number makes it something else: "cancel 10549379" names an order (an id can be all digits).
  if (/\d/.test(lower)) return undefined;
  const s = lower.replace(/[^a-z' ]/g, ' ').replace(/\s+/g, ' ').trim();
  if (YES.has(s)) return { kind: 'confirm', answer: ConfirmAnswer.yes };
  if (NO.has(s)) return { kind: 'confirm', answer: ConfirmAnswer.no };
  return undefined;
}

function linkCode(lower: string, orig: string): Intent | undefined {
  const m = /^link(?:\s+my\s+account)?(?:\s+with)?\s+((?:mk[\s-]?)?[a-z0-9]{2,8}(?:[\s-][a-z0-9]{2,8}){0,2})$/i.exec(lower);
  if (!m || m[1] === undefined) return undefined;
  if (!/^mk/.test(m[1]) && !(/\d/.test(m[1]) && m[1].replace(/[\s-]/g, '').length >= 6)) return undefined;
  const start = lower.length - m[1].length;
  return { kind: 'link', code: orig.slice(start).toUpperCase() };
}

function helpOrGreeting(lower: string): Intent | undefined {
  if (/^(?:help|\?|commands|command list|menu|what can you do|what do you do|how do i use (?:this|you|mikey)|how does this work|usage)$/.test(lower)) {
    return { kind: 'reply', text: HELP_TEXT };
  }
  if (/^(?:hi|hello|hey|hiya|howdy|gm|good morning|good evening|good afternoon|yo|sup|start|hi there|hello there)(?: mikey)?$/.test(lower)) {
    return { kind: 'reply', text: GREETING_TEXT };
  }
  if (/^(?:thanks|thank you|thx|ty|cheers|cool|great|nice|awesome)(?: mikey)?$/.test(lower)) {
    return { kind: 'reply', text: 'Any time.' };
  }
  return undefined;
}

// ─── Rules ─────────────────────────────────────────────────────────────────────────────────────

type Rule = (p: Prepared) => Intent | undefined;

const CLOSE_ALL = /^(?:panic(?:\s+(?:sell|close))?(?:\s+(?:all|everything))?|(?:close|exit|flatten|liquidate|sell|dump|close out|get out of|market out of)\s+(?:all|everything|it all)(?:\s+(?:of\s+)?(?:my\s+)?(?:positions?|of it|holdings))?|close all (?:my |open )?positions|(?:close|exit|flatten|sell|dump) (?:all|every) (?:of )?(?:my |open |the )*(?:positions?|trades?|bags?)|(?:close|flatten|sell|exit) all my positions|get me out of everything|flatten|close everything out)(?:\s+now)?$/;

const closeAll: Rule = (p) => {
  if (!CLOSE_ALL.test(p.masked)) return undefined;
  return toolIntent('close-all-positions', {}, 'Close every open position (you confirm the card first)');
};

/** Fraction words, longest first ("a quarter" before "quarter"). */
const FRACTION_PATTERNS: Array<[RegExp, string]> = Object.entries(FRACTION_WORDS)
  .sort((a, b) => b[0].length - a[0].length)
  .map(([word, f]) => [new RegExp(`\\b${word}\\b`), f]);

const PERCENT = new RegExp(`${NUM}\\s*(?:%|percent)`);
const PERCENT_G = new RegExp(`${NUM}\\s*(?:%|percent)`, 'g');

function fractionFrom(text: string): string | Intent | undefined {
  const pct = PERCENT.exec(text);
  if (pct) {
    const n = amount(pct[1]);
    if (n === undefined) return undefined;
    const f = percentToFraction(n);
    if (!isUnitFraction(f)) return ask(`${n}% is not a part of a position.`, ['sell 25% of my SOL', 'close half my ETH']);
    return f;
  }
  for (const [word, f] of FRACTION_PATTERNS) {
    if (word.test(text)) return f;
  }
  return undefined;
}

const closePosition: Rule = (p) => {
  const m = /^(?:close|exit|flatten|cut|get out of|close out)\b(.*)$/.exec(p.masked);
  if (!m) return undefined;
  const id = idAfter(p, 'position');
  const rest = withoutId(m[1] ?? '', id);
  const frac = fractionFrom(rest);
  if (isIntent(frac)) return frac;
  const fraction = frac ?? '1';
  if (id) return toolIntent('close-position', { positionId: id, fraction }, `Close ${fraction === '1' ? 'all' : fraction} of position ${id} (you confirm first)`);
  const s = mentionsIn(p, rest)[0];
  if (!s) {
    if (/\border\b/.test(rest)) return undefined;
    return ask('Which position should I close?', ['close my SOL position', 'close half my ETH', 'panic (closes everything)']);
  }
  return toolIntent('close-position', { symbol: positionSymbol(s), fraction }, `Close ${fraction === '1' ? 'all' : `${fraction} of`} your ${s.symbol} position (you confirm first)`);
};

const cancelOrders: Rule = (p) => {
  const t = p.masked;
  const bare = /^(?:cancel|kill|scrap|pull)\s+(?:order\s+)?(\S+)$/.exec(t);
  if (bare?.[1] !== undefined && isIdToken(bare[1]) && WHOLE_ID.test(bare[1])) {
    const id = p.orig.slice(p.orig.length - bare[1].length);
    return toolIntent('cancel-order', { orderId: id }, `Cancel order ${id}`);
  }
  const everything = /^(?:cancel|kill|pull|scrap)\s+(?:all|everything)(?:\s+(?:open|pending|resting))?$/.test(t);
  if (!everything && (!/\b(?:cancel|kill|remove|delete|pull|withdraw|scrap)\b/.test(t) || !/\b(?:orders?|bids?|asks?|offers?)\b/.test(t))) return undefined;
  const id = idAfter(p, 'order');
  if (id) return toolIntent('cancel-order', { orderId: id }, `Cancel order ${id}`);
  const s = mentionsIn(p, t)[0];
  if (/\b(?:all|every|everything|my)\b|\b(?:orders|bids|asks)\b/.test(t) || s) {
    return toolIntent('list-orders', withOptional({ status: 'open' }, { symbol: s?.symbol }), 'List your open orders (there is no cancel-all)',
      'MIKEY cancels orders one at a time, so nothing was cancelled yet. Here are your open orders: cancel each with “cancel order <id>”. To close every position instead, say “panic”.');
  }
  return ask('Which order? Give its id (the first 8 characters that “my open orders” shows are enough).', ['my open orders', 'cancel order <id>']);
};

const AMEND_QUANTITY = new RegExp(`\\b(?:quantity|qty|size|amount)\\s*(?:to|=|:)?\\s*${NUM}`);
const AMEND_STOP = new RegExp(`\\b(?:stop|trigger)(?:\\s+price)?\\s*(?:to|=|:|at)?\\s*${NUM}`);
const AMEND_PRICE = new RegExp(`\\b(?:price|limit)\\s*(?:to|=|:|at)?\\s*${NUM}`);
const AMEND_TO = new RegExp(`\\bto\\s+${NUM}`);

const amendOrder: Rule = (p) => {
  const t = p.masked;
  if (!/\b(?:amend|modify|change|move|update|edit|adjust|bump|raise|lower|reprice)\b/.test(t) || !/\border\b/.test(t)) return undefined;
  const id = idAfter(p, 'order');
  if (!id) return ask('Which order? Give its id (the first 8 characters that “my open orders” shows are enough).', ['move order <id> to 150', 'my open orders']);
  const rest = withoutId(t, id);
  const quantity = amount(AMEND_QUANTITY.exec(rest)?.[1]);
  const stopPrice = amount(AMEND_STOP.exec(rest)?.[1]);
  let price = amount(AMEND_PRICE.exec(rest)?.[1]);
  if (price === undefined && quantity === undefined && stopPrice === undefined) price = amount(AMEND_TO.exec(rest)?.[1]);
  if (price === undefined && quantity === undefined && stopPrice === undefined) {
    return ask('What should change?', [`move order ${id} to 150`, `change order ${id} quantity to 2`]);
  }
  const args = withOptional({ orderId: id }, { price, quantity, stopPrice });
  return toolIntent('amend-order', args, `Amend order ${id}`);
};

const orderById: Rule = (p) => {
  const t = p.masked;
  if (/\b(?:alerts?|positions?)\b/.test(t)) return undefined;
  const id = idAfter(p, 'order');
  if (!id) return undefined;
  if (/\b(?:explain|why|audit|trail|reason)\b/.test(t)) return toolIntent('explain-order', { orderId: id }, `Explain order ${id}: request, card, risk checks, fills`);
  if (/\b(?:order|status|details?|show|check)\b/.test(t) || t.trim() === id.toLowerCase()) return toolIntent('get-order', { orderId: id }, `Show order ${id}`);
  return undefined;
};

/** The reason words of "why did you buy SOL?", "how come you sold", "explain my last trade". */
const WHY = /^(?:why|how come|explain|what made (?:you|mikey)|what was the reason (?:for|behind)|whats the reason (?:for|behind)|reason (?:for|behind))\b/;
const WHY_DID = /^(?:why|how come|what made)\b.*\b(?:did|was|were|has|have|had|'d|d|you|mikey|u)\b/;
const WHY_BUY = /\b(?:buy|bought|buying|long|longed|longing|ape|aped|aping|enter|entered|get|got|purchase|purchased)\b/;
const WHY_SELL = /\b(?:sell|sold|selling|short|shorted|shorting|dump|dumped|dumping)\b/;
const WHY_CLOSE = /\b(?:close|closed|closing|exit|exited|exiting|flatten|flattened|trim|trimmed)\b/;
const WHY_ORDER_NOUN = /\b(?:orders?|trades?|fills?|stop(?:[- ]?loss)?|sl|take[- ]?profits?|tp)\b/;
const WHY_ORDER_WHICH = /\b(?:placed|place|put in|trigger(?:ed|s)?|fire[ds]?|fill(?:ed|s)?|execut(?:e|ed|es)|hit|happen(?:ed|s)?|last|latest|recent|previous|that|this|my|the)\b/;

const whyOrder: Rule = (p) => {
  const t = p.masked;
  // An order named by its id is orderById's: explain-order with that id.
  if (!WHY.test(t) || idAfter(p, 'order') || idAfter(p, 'trade')) return undefined;
  const buy = WHY_BUY.test(t);
  const sell = WHY_SELL.test(t);
  const close = WHY_CLOSE.test(t);
  const noun = WHY_ORDER_NOUN.test(t) && WHY_ORDER_WHICH.test(t);
  // "why is btc dumping" is a market question: an action needs someone who did it, or an order named.
  if (!noun && !((buy || sell || close) && WHY_DID.test(t))) return undefined;
  const match: OrderMatch = {};
  if (buy && !sell) match.side = 'buy';
  else if (sell && !buy) match.side = 'sell';
  const base = p.symbols[0]?.base;
  if (base) match.base = base;
  if (/\b(?:stop(?:[- ]?loss)?|sl)\b/.test(t) && !/\bstop (?:buy|sell)\b/.test(t)) match.exitRole = 'stop_loss';
  else if (/\b(?:take[- ]?profits?|tp)\b/.test(t)) match.exitRole = 'take_profit';
  if (/\b(?:trades?|fills?|filled)\b/.test(t)) match.filled = true;
  const what = [match.side, match.base, match.exitRole === 'stop_loss' ? 'stop-loss' : match.exitRole === 'take_profit' ? 'take-profit' : undefined].filter(Boolean).join(' ');
  return { kind: 'explain', match, summary: `Explain your latest ${what ? `${what} ` : ''}${match.filled ? 'trade' : 'order'}` };
};

// ─── Alerts ──────────────────────────────────────────────────────────────────────────────────

const ABOVE = /\b(?:above|over|exceeds?|breaks?(?:\s+out)?(?:\s+above)?|rises?|rising|climbs?|pumps?|up|higher than|more than|greater than|crosses above|goes above|gets above|tops?)\b|>=?/;
const BELOW = /\b(?:below|under|beneath|dips?|drops?|falls?|fell|sinks?|down|lower than|less than|crosses below|goes below|gets below|crash(?:es)?|tanks?|loses)\b|<=?/;

function direction(text: string): 'above' | 'below' | undefined {
  // "breaks below" names both; the more specific below/under wins.
  if (BELOW.test(text)) return 'below';
  if (ABOVE.test(text)) return 'above';
  return undefined;
}

const ALERT_TRIGGER = /^(?:(?:set|create|add|make|put)\s+(?:up\s+)?(?:an?\s+)?)?(?:price\s+)?alert\b|\b(?:alert|notify|ping|tell|remind|warn|message|text|dm|buzz)\s+me\b|\blet me know\b|\bgive me a (?:shout|ping|heads up)\b|\bwake me(?: up)?\b/;
const ALERT_CONDITION = /\b(?:if|when|whenever|once|as soon as)\b|[<>]|\b(?:above|below|under|over|cross(?:es|over)?|touch(?:es)?|drops?|rises?|moves?)\b/;

interface Condition {
  type: string;
  [k: string]: unknown;
}

function windowMinutes(text: string): number | undefined {
  const m = /\b(?:in|within|over|during)\s+(?:an?|one|(\d{1,4}))\s*(minutes?|mins?|m|hours?|hrs?|h|days?|d)\b/.exec(text);
  if (!m) return undefined;
  const n = m[1] ? Number(m[1]) : 1;
  const unit = m[2] ?? '';
  return unit.startsWith('m') ? n : unit.startsWith('h') ? n * 60 : n * 1440;
}

function alertClause(p: Prepared, clause: string, carry: SymbolMention | undefined): Condition | Intent {
  const s = mentionsIn(p, clause)[0] ?? carry;
  const sym = s?.symbol;
  if (!sym) return ask('Which market is the alert for?', ['alert me when BTC goes above 70k']);
  if (/\brsi\b/.test(clause)) {
    const periodM = /\brsi\s*\(\s*(\d{1,3})\s*\)|\b(\d{1,3})[\s-]?period\s+rsi\b|\brsi\s+period\s+(\d{1,3})\b/.exec(clause);
    let rest = periodM ? clause.replace(periodM[0], ' rsi ') : clause;
    const tf = takeTimeframe(rest);
    if (isIntent(tf)) return tf;
    rest = tf.rest;
    const dir = direction(rest);
    const value = numbersIn(rest.replace(/§[A-T]/g, ' ')).pop();
    if (!dir || value === undefined) return ask('Above or below which RSI level?', [`tell me if RSI on ${s.base} 1h drops under 30`]);
    const period = Number(periodM?.[1] ?? periodM?.[2] ?? periodM?.[3] ?? 14);
    return { type: dir === 'above' ? 'rsi_above' : 'rsi_below', symbol: sym, timeframe: tf.timeframe ?? '1h', period, value: Number(value) };
  }
  if (/\bmacd\b/.test(clause)) {
    const tf = takeTimeframe(clause);
    if (isIntent(tf)) return tf;
    const d = /\b(?:bull(?:ish)?|up|above|positive|golden)\b/.test(tf.rest) ? 'bullish' : /\b(?:bear(?:ish)?|down|below|negative|death)\b/.test(tf.rest) ? 'bearish' : undefined;
    if (!d) return ask('Bullish or bearish MACD cross?', [`alert on a bullish MACD cross for ${s.base} 4h`]);
    return { type: 'macd_cross', symbol: sym, timeframe: tf.timeframe ?? '1h', direction: d };
  }
  if (/\b(?:bollinger|bb|bands?)\b/.test(clause)) {
    const tf = takeTimeframe(clause);
    if (isIntent(tf)) return tf;
    const band = /\b(?:upper|top|high)\b/.test(tf.rest) ? 'upper' : /\b(?:lower|bottom|low)\b/.test(tf.rest) ? 'lower' : undefined;
    if (!band) return ask('The upper or the lower band?', [`alert when ${s.base} touches the lower bollinger band on the 1h`]);
    return { type: 'band_touch', symbol: sym, timeframe: tf.timeframe ?? '1h', band };
  }
  const pct = PERCENT.exec(clause);
  if (pct) {
    const percent = amount(pct[1]);
    const win = windowMinutes(clause) ?? 60;
    const d = /\b(?:drops?|falls?|dumps?|down|tanks?|crash(?:es)?|loses)\b/.test(clause) ? 'down' : /\b(?:rises?|pumps?|up|gains?|jumps?|climbs?)\b/.test(clause) ? 'up' : 'either';
    return { type: 'percent_move', symbol: sym, percent: Number(percent), windowMinutes: win, direction: d };
  }
  const dir = direction(clause);
  const price = numbersIn(clause.replace(/§[A-T]/g, ' ')).pop();
  if (price === undefined) return ask('At what price?', [`alert me when ${s.base} goes above <price>`]);
  if (!dir) return ask(`Above or below ${price}?`, [`alert me when ${s.base} goes above ${price}`, `alert me when ${s.base} drops below ${price}`]);
  return { type: dir === 'above' ? 'price_above' : 'price_below', symbol: sym, price };
}

function describeCondition(c: Condition): string {
  switch (c.type) {
    case 'price_above': return `${String(c.symbol)} > ${String(c.price)}`;
    case 'price_below': return `${String(c.symbol)} < ${String(c.price)}`;
    case 'rsi_above': return `RSI(${String(c.period)}) ${String(c.symbol)} ${String(c.timeframe)} > ${String(c.value)}`;
    case 'rsi_below': return `RSI(${String(c.period)}) ${String(c.symbol)} ${String(c.timeframe)} < ${String(c.value)}`;
    case 'percent_move': return `${String(c.symbol)} moves ${String(c.percent)}% ${String(c.direction)} within ${String(c.windowMinutes)} min`;
    case 'macd_cross': return `${String(c.direction)} MACD cross on ${String(c.symbol)} ${String(c.timeframe)}`;
    case 'band_touch': return `${String(c.symbol)} touches the ${String(c.band)} Bollinger band (${String(c.timeframe)})`;
    case 'all': return (c.conditions as Condition[]).map(describeCondition).join(' and ');
    default: return c.type;
  }
}

const alerts: Rule = (p) => {
  const t = p.masked;
  const listWords = /^(?:(?:show|list|view|get|see)\s+(?:me\s+)?)?(?:(?:all|my|active|current|the)\s+)*(?:price\s+)?alerts(?:\s+(?:including|incl|with|and)\s+(?:the\s+)?(?:fired|triggered)(?:\s+ones)?)?$|^what alerts do i have$|^alerts$/;
  if (listWords.test(t) || (/^(?:what|which|any|show|list|view|see|my|active|current|triggered|fired)\b.*\balerts\b/.test(t) && !/\d/.test(t) && !/\b(?:delete|remove|cancel|clear|kill|stop)\b/.test(t))) {
    const all = /\ball\b/.test(t);
    const fired = /\b(?:fired|triggered)\b/.test(t);
    return toolIntent('list-alerts', withOptional({}, { status: all ? 'all' : undefined, includeFired: fired ? true : undefined }), 'List your alerts');
  }
  if (/\b(?:delete|remove|cancel|drop|clear|kill|stop)\b.*\balerts?\b/.test(t)) {
    const id = idAfter(p, 'alert');
    if (!id) return ask('Which alert? Give its id (the first 8 characters that “my alerts” shows are enough).', ['my alerts', 'delete alert <id>']);
    return toolIntent('delete-alert', { alertId: id }, `Delete alert ${id}`);
  }
  if (!ALERT_TRIGGER.test(t) || !ALERT_CONDITION.test(t)) return undefined;
  const repeat = /\b(?:every time|each time|whenever|repeatedly|repeat|always|every)\b/.test(t);
  let body = t.replace(/^.*?\b(?:alert(?:\s+me)?|wake me(?: up)?|notify me|ping me|tell me|let me know|remind me|warn me|message me|text me|dm me|buzz me|give me a (?:shout|ping|heads up))\b/, ' ');
  body = body.replace(/\b(?:every time|each time|whenever|repeatedly|repeat|always|if|when|once|as soon as)\b/g, ' ').replace(/\s+/g, ' ').trim();
  if (/\bor\b/.test(body)) return ask('Alerts combine conditions with “and”; for “or”, make two alerts.', ['alert when sol > 150 and rsi 1h < 40']);
  const clauses = body.split(/\s+(?:and|&&?)\s+|\s*,\s+/).filter((c) => c.trim() !== '');
  if (clauses.length === 0) return ask('Alert on what?', ['alert me when BTC goes above 70k']);
  const conditions: Condition[] = [];
  let carry: SymbolMention | undefined;
  for (const clause of clauses) {
    const c = alertClause(p, clause, carry);
    if (isIntent(c)) return c;
    carry = mentionsIn(p, clause)[0] ?? carry;
    conditions.push(c);
  }
  const condition: Condition = conditions.length === 1 ? conditions[0]! : { type: 'all', conditions };
  const args = withOptional({ condition }, { mode: repeat ? 'repeat' : undefined });
  return toolIntent('create-alert', args, `Alert ${repeat ? 'every time' : 'once'} when ${describeCondition(condition)}`);
};

// ─── Stop-loss and take-profit on a position ─────────────────────────────────────────────────

const stopLossSetter: Rule = (p) => {
  // "move my btc stop to 62k": the position before the stop.
  const moved = /^(?:move|raise|lower|trail|bump|tighten|set|put|update|change|adjust)\s+(?:my|the)\s+(§[A-T])(?:\s+(?:position|long|short))?(?:'s)?\s+(?:stop[\s-]?loss|sl|stop)\s+(?:to|at|@)\s+(.*)$/.exec(p.masked);
  const m = moved ? [moved[0], ` ${moved[1] ?? ''} at ${moved[2] ?? ''}`] : /^(?:(?:set|put|add|place|move|update|change|adjust)\s+(?:up\s+)?(?:a|an|my|the)?\s*)?(?:stop[\s-]?loss|sl|stop(?=\s+(?:on|for|at|§)))\b(.*)$/.exec(p.masked);
  if (!m) return undefined;
  const rest = m[1] ?? '';
  if (/^\s*(?:trading|everything|all trading)\b/.test(rest)) return undefined;
  const s = mentionsIn(p, rest)[0];
  const id = idAfter(p, 'position');
  const price = numbersIn(withoutId(rest, id).replace(/§[A-T]/g, ' ')).pop();
  if (!s && !id) return ask('Stop-loss on which position?', ['set stop loss on SOL at 120']);
  if (price === undefined) return ask('At what price?', [`set stop loss on ${s?.base ?? 'SOL'} at <price>`]);
  const target = id ? { positionId: id } : { symbol: positionSymbol(s!) };
  return toolIntent('set-stop-loss', { ...target, price }, `Set a stop-loss on ${id ?? target.symbol} at ${price}`);
};

function takeProfitTargets(prices: string[], fraction?: string): Array<{ price: string; fraction: string }> {
  if (fraction) return prices.map((price) => ({ price, fraction }));
  const parts = splitEvenly(prices.length);
  return prices.map((price, i) => ({ price, fraction: parts[i] ?? '1' }));
}

const takeProfitSetter: Rule = (p) => {
  const m = /^(?:(?:set|put|add|place|move|update|change)\s+(?:up\s+)?(?:a|an|my|the)?\s*)?(?:take[\s-]?(?:some\s+)?profits?|tps?|profit targets?|targets?)\b(.*)$/.exec(p.masked);
  if (!m) return undefined;
  const rest = m[1] ?? '';
  const s = mentionsIn(p, rest)[0];
  const id = idAfter(p, 'position');
  // A share of the position ("half", "25%") is not a price; with no price, profit is taken now.
  const frac = fractionFrom(rest);
  if (isIntent(frac)) return frac;
  const prices = numbersIn(withoutId(rest, id).replace(PERCENT_G, ' ').replace(/§[A-T]/g, ' '));
  if (!s && !id) return ask('Take-profit on which position?', ['take profit on ETH at 4000', 'tp sol 180 200']);
  if (prices.length === 0) {
    const fraction = frac ?? '1';
    const target = id ? { positionId: id } : { symbol: positionSymbol(s!) };
    return toolIntent('close-position', { ...target, fraction }, `Take profit now: close ${fraction === '1' ? 'all' : fraction} of ${id ?? target.symbol} (you confirm first)`);
  }
  if (prices.length > 10) return ask('At most 10 take-profit targets.', ['tp sol 180 200']);
  const target = id ? { positionId: id } : { symbol: positionSymbol(s!) };
  return toolIntent('set-take-profits', { ...target, targets: takeProfitTargets(prices) }, `Set take-profit${prices.length > 1 ? 's' : ''} on ${id ?? target.symbol} at ${prices.join(', ')}`);
};

// ─── Risk ───────────────────────────────────────────────────────────────────────────────────

const LEV = String.raw`(\d+(?:\.\d+)?)\s*x?\b`;
const SET = String.raw`(?:to|at|of|=|:|is|as)?\s*`;
const RISK_TYPES = ['daily_loss', 'position_size', 'symbol_notional', 'leverage', 'max_open_positions', 'symbol_allow', 'symbol_deny'] as const;

function riskLimit(type: (typeof RISK_TYPES)[number], value: string, symbol?: string): ToolIntent {
  const label = type.replace(/_/g, ' ');
  return toolIntent('set-risk-limit', withOptional({ type, value }, { symbol }), `Set the ${label} limit${symbol ? ` for ${symbol}` : ''} to ${value}`);
}

const RISK_GENERIC = new RegExp(`^set\\s+(?:risk\\s+)?limit\\s+(${RISK_TYPES.join('|')})\\s+(?:${SYM}\\s+)?${NUM}`);
const DAILY_LOSS_A = new RegExp(`\\b(?:daily|day'?s?|per day)\\s+(?:max(?:imum)?\\s+)?loss(?:\\s+limit)?\\s*${SET}${NUM}`);
const DAILY_LOSS_B = new RegExp(`\\bmax(?:imum)?\\s+(?:daily|day'?s?)\\s+loss\\s*${SET}${NUM}`);
const DAILY_LOSS_C = new RegExp(`\\bloss\\s+limit\\s+(?:per\\s+day|daily)?\\s*${SET}${NUM}`);
const MAX_LEVERAGE_A = new RegExp(`\\bmax(?:imum)?\\s+leverage\\s*${SET}${LEV}`);
const MAX_LEVERAGE_B = new RegExp(`\\bleverage\\s+(?:limit|cap)\\s*${SET}${LEV}`);
const MAX_LEVERAGE_C = new RegExp(`\\b(?:limit|cap)\\s+(?:my\\s+)?leverage\\s+(?:to|at)\\s+${LEV}`);
const SYMBOL_NOTIONAL_A = new RegExp(`\\bmax(?:imum)?\\s+(?:notional|exposure|size)\\s+(?:for|on|in)\\s+${SYM}\\s*${SET}${NUM}`);
const SYMBOL_NOTIONAL_B = new RegExp(`^(?:limit|cap)\\s+${SYM}\\s+(?:notional\\s+|exposure\\s+)?(?:to|at)\\s+${NUM}`);
const POSITION_SIZE_A = new RegExp(`\\bmax(?:imum)?\\s+position\\s+size\\s*${SET}${NUM}`);
const POSITION_SIZE_B = new RegExp(`\\bposition\\s+size\\s+(?:limit|cap)\\s*${SET}${NUM}`);

const risk: Rule = (p) => {
  const t = p.masked;
  let m: RegExpExecArray | null;
  if ((m = RISK_GENERIC.exec(t))) {
    const type = m[1] as (typeof RISK_TYPES)[number];
    const v = amount(m[3]);
    if (v !== undefined) return riskLimit(type, v, mentionOf(p, m[2])?.symbol);
  }
  if ((m = DAILY_LOSS_A.exec(t)) ||
      (m = DAILY_LOSS_B.exec(t)) ||
      (m = DAILY_LOSS_C.exec(t))) {
    const v = amount(m[1]);
    if (v !== undefined) return riskLimit('daily_loss', v);
  }
  if ((m = MAX_LEVERAGE_A.exec(t)) ||
      (m = MAX_LEVERAGE_B.exec(t)) ||
      (m = MAX_LEVERAGE_C.exec(t))) {
    return riskLimit('leverage', m[1] ?? '');
  }
  if ((m = /\bmax(?:imum)?\s+(?:of\s+)?(\d{1,4})\s+(?:open\s+)?positions\b/.exec(t)) ||
      (m = /\bmax(?:imum)?\s+(?:open\s+)?positions\s*(?:to|at|of|=|:|is)?\s*(\d{1,4})\b/.exec(t)) ||
      (m = /\b(?:no more than|at most)\s+(\d{1,4})\s+(?:open\s+)?positions\b/.exec(t))) {
    return riskLimit('max_open_positions', m[1] ?? '');
  }
  if ((m = SYMBOL_NOTIONAL_A.exec(t)) ||
      (m = SYMBOL_NOTIONAL_B.exec(t))) {
    const v = amount(m[2]);
    const s = mentionOf(p, m[1]);
    if (v !== undefined && s) return riskLimit('symbol_notional', v, s.symbol);
  }
  if ((m = POSITION_SIZE_A.exec(t)) ||
      (m = POSITION_SIZE_B.exec(t))) {
    const v = amount(m[1]);
    if (v !== undefined) return riskLimit('position_size', v);
  }
  if ((m = /^(?:only\s+(?:allow|let me trade|trade)|allow\s+only|whitelist|allowlist)\s+(.+)$/.exec(t))) {
    const syms = mentionsIn(p, m[1] ?? '');
    if (syms.length) return riskLimit('symbol_allow', syms.map((s) => s.symbol).join(','));
  }
  if ((m = /^(?:block|deny|ban|blacklist|denylist|never (?:let me )?(?:trade|buy|short|long)|don'?t (?:ever )?let me (?:trade|buy|short|long)|stop me (?:from )?trading)\s+(.+)$/.exec(t))) {
    const syms = mentionsIn(p, m[1] ?? '');
    if (syms.length) return riskLimit('symbol_deny', syms.map((s) => s.symbol).join(','));
  }
  if (/^(?:(?:show|view|list|get|check|see|what are)\s+(?:me\s+)?)?(?:my\s+|the\s+)?(?:risk\s+|trading\s+)?limits$|^(?:show|view|list|get|check)\s+(?:my\s+)?risk\s+settings$|^what are my (?:risk )?limits$/.test(t)) {
    return toolIntent('get-risk-limits', {}, 'Show your risk limits');
  }
  if (/\b(?:risk metrics|my risk|value at risk|var|drawdown|exposure|exposed|risk report|how risky|risk stats)\b/.test(t)) {
    return toolIntent('get-risk-metrics', {}, 'Show your risk metrics');
  }
  return undefined;
};

const haltResume: Rule = (p) => {
  const t = p.masked;
  if (/^(?:(?:stop|halt|pause|freeze|suspend|disable|block)\s+(?:all\s+)?(?:my\s+)?trading|kill[\s-]?switch|hit the kill[\s-]?switch|halt(?:\s+everything)?|emergency stop|stop everything|trading off)\b|\bstop me(?: from)? trading$/.test(t)) {
    const because = /\b(?:because|since|reason:?|as)\s+(.+)$/.exec(p.lower);
    const reason = because?.[1] ? p.orig.slice(p.lower.length - because[1].length).slice(0, 200) : undefined;
    return toolIntent('halt-trading', withOptional({}, { reason }), 'Halt trading on all your accounts (kill switch)');
  }
  if (/^(?:(?:resume|restart|unhalt|unfreeze|re-?enable|enable|unpause|unblock)\s+(?:my\s+)?trading|resume|unhalt|turn trading (?:back )?on|turn on trading|start trading again|trading on)\b/.test(t)) {
    return toolIntent('resume-trading', {}, 'Resume trading');
  }
  return undefined;
};

// ─── Orders ─────────────────────────────────────────────────────────────────────────────────

type Side = 'buy' | 'sell';

interface EntryPrice {
  type: 'limit' | 'stop' | 'stop_limit' | 'trailing_stop';
  price?: string;
  stopPrice?: string;
  trailingAmount?: string;
  trailingPercent?: string;
}

/**
 * Exits attached to an order. "stop loss X" / "sl X" always; "with (a) stop at X" / "and stop X"
 * always; a bare "stop X" beside the size is the order's stop-loss too, except where it is the
 * order's own trigger: "stop X limit Y" (stop-limit), "trailing stop X", an order typed as a stop
 * ("stop buy …", "buy stop …"), and a plain spot "sell … stop X" (how a holder sells on a stop).
 */
const ATTACHED_STOP_LOSS = new RegExp(`(?:\\b(?:and|with|plus)\\s+)?(?:an?\\s+)?\\b(?:stop[\\s-]?loss|sl)\\s*(?:at|of|@|=|:)?\\s*${NUM}`);
const ATTACHED_STOP = new RegExp(`\\b(?:and|with|plus)\\s+(?:an?\\s+|my\\s+|the\\s+)?stop\\s*(?:at|of|@|=|:)?\\s*${NUM}(?!\\s*(?:,|and)?\\s*(?:with\\s+(?:a\\s+)?)?limit\\b)`);
const EXIT_PERCENT = new RegExp(`(?<!\\btrailing\\s)\\b(?:stop[\\s-]?loss|sl|stop|take[\\s-]?profits?|tps?|targets?)\\s*(?:at|of|@|=|:)?\\s*${NUM}\\s*(?:%|percent)`);
const BARE_STOP = new RegExp(`(?<!\\btrailing\\s)\\bstop\\s*(?:at|of|@|=|:)?\\s*${NUM}(?!\\s*(?:,|and)?\\s*(?:with\\s+(?:a\\s+)?)?limit\\b)`);
const ATTACHED_TAKE_PROFITS = new RegExp(`(?:\\b(?:and|with|plus)\\s+)?(?:an?\\s+)?\\b(?:take[\\s-]?profits?|tps?|targets?)\\s*(?:at|of|@|=|:)?\\s*((?:${NUMBER_SOURCE})(?:\\s*(?:,|and|&|/)?\\s*(?:${NUMBER_SOURCE}))*)`);

function attachments(input: string, opts: { bareStopIsExit: boolean }): { rest: string; stopLoss?: string; takeProfits?: Array<{ price: string; fraction: string }>; leverage?: string; timeInForce?: string; postOnly?: boolean; reduceOnly?: boolean; durationMinutes?: number; slices?: number } {
  let rest = input;
  const out: ReturnType<typeof attachments> = { rest };
  let m: RegExpExecArray | null;
  if ((m = ATTACHED_STOP_LOSS.exec(rest)) || (m = ATTACHED_STOP.exec(rest)) || (opts.bareStopIsExit && (m = BARE_STOP.exec(rest)))) {
    out.stopLoss = amount(m[1]);
    rest = cut(rest, m[0]);
  }
  if ((m = ATTACHED_TAKE_PROFITS.exec(rest))) {
    const prices = numbersIn(m[1] ?? '');
    if (prices.length) out.takeProfits = takeProfitTargets(prices);
    rest = cut(rest, m[0]);
  }
  if ((m = /\bleverage\s*(?:of|at|=|:)?\s*(\d+(?:\.\d+)?)\s*x?\b/.exec(rest)) ||
      (m = /(?:\bwith\s+|\bat\s+|\busing\s+)?(?:(?<![\w.])(\d+(?:\.\d+)?)\s?x\b(?:\s+leverage)?|\bx(\d+(?:\.\d+)?)\b|\bleverage\s*(?:of|at|=|:)?\s*(\d+(?:\.\d+)?)\s*x?\b|(?<![\w.])(\d+(?:\.\d+)?)\s*x?\s+leverage\b)/.exec(rest))) {
    out.leverage = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').replace(/^0+(?=\d)/, '');
    rest = cut(rest, m[0]);
  }
  if ((m = /\b(ioc|fok|gtc|immediate or cancel|fill or kill|good till? cancell?ed)\b/.exec(rest))) {
    const w = m[1] ?? '';
    out.timeInForce = w.startsWith('imm') ? 'ioc' : w.startsWith('fill') ? 'fok' : w.startsWith('good') ? 'gtc' : w;
    rest = cut(rest, m[0]);
  }
  if ((m = /\b(?:post[\s-]?only|maker[\s-]?only)\b/.exec(rest))) {
    out.postOnly = true;
    rest = cut(rest, m[0]);
  }
  if ((m = /\breduce[\s-]?only\b/.exec(rest))) {
    out.reduceOnly = true;
    rest = cut(rest, m[0]);
  }
  if ((m = /\b(?:over|across|during)\s+(?:the\s+next\s+)?(?:(\d{1,4})|an?|one)\s*(minutes?|mins?|m|hours?|hrs?|h)\b/.exec(rest))) {
    const n = m[1] ? Number(m[1]) : 1;
    out.durationMinutes = (m[2] ?? '').startsWith('h') ? n * 60 : n;
    rest = cut(rest, m[0]);
  }
  if ((m = /\b(?:in|across|with|using)\s+(\d{1,4})\s+(?:slices|chunks|parts|clips|orders)\b/.exec(rest))) {
    out.slices = Number(m[1]);
    rest = cut(rest, m[0]);
  }
  out.rest = rest;
  return out;
}

/** Reads the entry price: conditional phrasing, trailing, stop-limit, stop or limit. */
const TRAILING = new RegExp(`\\btrailing(?:\\s+stop)?\\s*(?:of|at|by|=)?\\s*${NUM}\\s*(%|percent)?`);
const STOP_LIMIT = new RegExp(`\\bstop(?:\\s+(?:at|@|price|trigger))?\\s*${NUM}\\s*(?:,|and)?\\s*(?:with\\s+(?:a\\s+)?)?limit(?:\\s+(?:at|@|price))?\\s*${NUM}`);
const CONDITIONAL_PRICE = new RegExp(`\\b(?:if|when|once|as soon as|on an?\\s+(?=break|breakout|dip|drop|pullback|retrace|retest|move))\\b(.*?)${NUM}`);
const STOP_PRICE = new RegExp(`\\b(?:stop|trigger)(?:\\s+(?:at|@|price))?\\s*${NUM}`);
const LIMIT_PRICE = new RegExp(`(?:\\bat|@|\\blimit(?:\\s+price)?|\\bprice)\\s*(?:of\\s+)?${NUM}|\\bfor\\s+${NUM}\\s+each\\b`);

function entryPrice(side: Side, input: string): { rest: string; entry?: EntryPrice; neutralCondition?: boolean } | Intent {
  let rest = input;
  let m: RegExpExecArray | null;
  if ((m = TRAILING.exec(rest))) {
    const v = amount(m[1]);
    rest = cut(rest, m[0]);
    if (v === undefined) return { rest };
    return { rest, entry: m[2] ? { type: 'trailing_stop', trailingPercent: v } : { type: 'trailing_stop', trailingAmount: v } };
  }
  if ((m = STOP_LIMIT.exec(rest))) {
    const stopPrice = amount(m[1]);
    const price = amount(m[2]);
    rest = cut(rest, m[0]);
    return { rest, entry: { type: 'stop_limit', stopPrice, price } };
  }
  if ((m = CONDITIONAL_PRICE.exec(rest))) {
    const phrase = m[1] ?? '';
    const v = amount(m[2]);
    rest = cut(rest, m[0]);
    if (v === undefined) return { rest };
    const dir = direction(phrase);
    if (!dir) return { rest, entry: { type: 'limit', price: v }, neutralCondition: true };
    const isLimit = (side === 'buy' && dir === 'below') || (side === 'sell' && dir === 'above');
    return { rest, entry: isLimit ? { type: 'limit', price: v } : { type: 'stop', stopPrice: v } };
  }
  if ((m = STOP_PRICE.exec(rest))) {
    const v = amount(m[1]);
    rest = cut(rest, m[0]);
    return { rest, entry: { type: 'stop', stopPrice: v } };
  }
  if ((m = LIMIT_PRICE.exec(rest))) {
    const v = amount(m[1] ?? m[2]);
    rest = cut(rest, m[0]);
    return { rest, entry: { type: 'limit', price: v } };
  }
  return { rest };
}

const TRADE_START = /^(?:(market|limit|stop[\s-]limit|stop|twap|vwap|trailing(?:[\s-]stop)?)\s+)?(buy|sell|long|short|purchase|go long|go short|ape into|ape|scale into)\b(?![\s-]?(?:term|wall|walls|pressure|signals?|side|off|squeeze|interest|ratio)\b)(.*)$/;
/** A trade verb opening a later clause of the message, followed by a size. */
const TRADE_CLAUSE = new RegExp(`(?:[,;.]\\s*|\\s(?:and|then|so|just)\\s+)()(buy|sell|long|short)\\b(\\s+(?:${NUMBER_SOURCE}).*)$`);
const SPEND = new RegExp(`^(?:spend|put|invest|throw|ape|allocate|deploy)\\s+${NUM}\\s*(?:usd[tc]?|dollars?|bucks)?\\s+(?:on|in|into|to|at)\\s+(?:some\\s+)?(.*)$`);

function sizeQuestion(base: string, side: Side, tail: string): Intent {
  const t = tail.trim();
  return ask(`How much ${base}?`, [`${side} 0.5 ${base}${t ? ` ${t}` : ''}`, `${side} $100 of ${base}${t ? ` ${t}` : ''}`]);
}

/** A scalar argument as text (arguments here are strings, numbers or booleans). */
function show(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

function describeOrder(args: Record<string, unknown>, s: string): string {
  const size = args.quantity !== undefined ? `${show(args.quantity)} ${s}` : `${show(args.quoteQuantity)} quote of ${s}`;
  const type = show(args.type).replace('_', '-');
  const at = args.price !== undefined ? ` at ${show(args.price)}` : '';
  const trig = args.stopPrice !== undefined ? ` triggered at ${show(args.stopPrice)}` : '';
  const trail = args.trailingPercent !== undefined ? ` trailing ${show(args.trailingPercent)}%` : args.trailingAmount !== undefined ? ` trailing ${show(args.trailingAmount)}` : '';
  const lev = args.leverage !== undefined ? ` at ${show(args.leverage)}x` : '';
  const sl = args.stopLoss !== undefined ? ` with stop-loss ${show(args.stopLoss)}` : '';
  const targets = Array.isArray(args.takeProfits) ? (args.takeProfits as Array<{ price?: unknown }>).map((t) => show(t.price)) : [];
  const tps = targets.length ? `${sl ? ' and' : ' with'} take-profit${targets.length > 1 ? 's' : ''} ${targets.join(', ')}` : '';
  return `Preview a ${type} ${show(args.side)} of ${size}${at}${trig}${trail}${lev}${sl}${tps} — you confirm the card before anything is placed`;
}

const RELATIVE_CONDITION = new RegExp(`\\b(?:if|when|once|as soon as|at)\\b(.*?)${NUM}`);
const QUOTE_SIZE = new RegExp(`(?:\\b(?:with|for|worth|of)\\s+)?(?:${NUM}\\s*(?:usd[tc]?|dollars?|bucks|\\$|(?=\\s+worth\\b))(?!\\w)|(\\$\\s?(?:\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d*\\.?\\d+)(?:k|m|mm|b|bn)?)(?!\\w))(?:\\s+(?:worth|of))?`);
const BASE_SIZE_BEFORE = new RegExp(`${NUM}\\s*(?:of\\s+)?(?:my\\s+|some\\s+|the\\s+)?§[A-T]`);
const BASE_SIZE_AFTER = new RegExp(`§[A-T]\\s+${NUM}`);

const trade: Rule = (p) => {
  const t = p.masked;
  const spend = SPEND.exec(t);
  let side: Side;
  let typeWord: string | undefined;
  let verb: string;
  let rest: string;
  let quoteFromSpend: string | undefined;
  if (spend) {
    side = 'buy';
    verb = 'buy';
    quoteFromSpend = amount(spend[1]);
    rest = spend[2] ?? '';
  } else {
    // The verb opens the message, or a later clause: "fade this btc pump, short 0.1".
    const m = TRADE_START.exec(t) ?? TRADE_CLAUSE.exec(t);
    if (!m) {
      const algo = /^(twap|vwap)\b/.exec(t);
      const sizeText = findTimeframe(t)?.rest ?? t;
      if (algo && (QUOTE_SIZE.test(sizeText) || BASE_SIZE_BEFORE.test(sizeText) || BASE_SIZE_AFTER.test(sizeText))) return ask(`Buy or sell?`, [`${algo[1] ?? 'twap'} buy 10 ${p.symbols[0]?.base ?? 'SOL'} over 60 minutes`]);
      return undefined;
    }
    typeWord = m[1]?.replace(/[\s-]/g, '_');
    verb = m[2] ?? 'buy';
    side = verb === 'sell' || verb.endsWith('short') ? 'sell' : 'buy';
    rest = m[3] ?? '';
    if (m.index > 0) rest += ' ' + (t.slice(0, m.index).match(/§[A-T]/g) ?? []).join(' ');
  }
  const isShort = verb.endsWith('short');
  const mentions = mentionsIn(p, rest);

  // Relative to a holding: "sell half my ETH", "sell my SOL if it drops to 120".
  if (side === 'sell' && !isShort) {
    const rel = /^\s*(?:(.*?)\s+)?(?:of\s+)?my\s+(?:entire\s+|whole\s+)?(§[A-T])(?:\s+(?:position|bag|holdings?|stack))?(.*)$/.exec(rest);
    if (rel && !/\d\s*$/.test(rel[1] ?? '')) {
      const s = mentionOf(p, rel[2]);
      if (s) {
        const tail = rel[3] ?? '';
        const cond = RELATIVE_CONDITION.exec(tail);
        const frac = fractionFrom(rel[1] ?? '') ?? fractionFrom(cond ? tail.slice(0, cond.index) : tail);
        if (isIntent(frac)) return frac;
        const fraction = frac ?? '1';
        if (cond) {
          const price = amount(cond[2]);
          const dir = direction(cond[1] ?? '');
          if (price === undefined) return undefined;
          if (dir === 'below' || (dir === undefined && typeWord === 'stop')) {
            if (fraction !== '1') return ask('A stop-loss covers the whole position; for part of it, give a size.', [`sell my ${s.base} if it drops to ${price}`, `sell 1 ${s.base} if it drops to ${price}`]);
            return toolIntent('set-stop-loss', { symbol: positionSymbol(s), price }, `Set a stop-loss on your ${positionSymbol(s)} position at ${price}`);
          }
          if (dir === 'above' || (dir === undefined && typeWord === 'limit')) {
            return toolIntent('set-take-profits', { symbol: positionSymbol(s), targets: takeProfitTargets([price], fraction) }, `Take profit on ${fraction === '1' ? 'all' : fraction} of your ${positionSymbol(s)} position at ${price}`);
          }
          return ask(`Above or below the market? “sell my ${s.base} if it drops to ${price}” sets a stop-loss; “sell half my ${s.base} if it rises to ${price}” sets a take-profit.`, [`sell my ${s.base} if it drops to ${price}`]);
        }
        return toolIntent('close-position', { symbol: positionSymbol(s), fraction }, `Close ${fraction === '1' ? 'all' : fraction} of your ${positionSymbol(s)} position (you confirm first)`);
      }
    }
    if (/^\s*(?:all|everything)(?:\s+(?:my\s+)?positions)?\s*$/.test(rest)) return toolIntent('close-all-positions', {}, 'Close every open position (you confirm the card first)');
  }

  const first = mentions[0];
  if (!first) return ask('Which market?', [`${side} 0.5 ETH`, `${side} $100 of SOL`]);
  if (mentions.length > 1) return ask('One market per order, please.', [`${side} 0.5 ${first.base}`]);

  // "buy stop 1 eth at 3800", "sell limit 2 sol at 200": the order type right after the verb.
  const typeAfterVerb = typeWord === undefined ? /^\s*(stop[\s-]limit|stop|limit|market)\b(?![\s-]?loss)/.exec(rest) : null;
  if (typeAfterVerb) {
    typeWord = (typeAfterVerb[1] ?? '').replace(/[\s-]/g, '_');
    rest = rest.slice(typeAfterVerb[0].length);
  }
  // "at market (price)" names the order type, not a price.
  const atMarket = /\b(?:at|@)\s+(?:the\s+)?market(?:\s+price)?\b/.exec(rest);
  if (atMarket) {
    rest = cut(rest, atMarket[0]);
    typeWord ??= 'market';
  }
  if (EXIT_PERCENT.test(rest)) return ask('Give the stop-loss and take-profits as prices; percentages are not supported.', [`${side} 0.5 ${first.base} with a stop at <price> and take profit at <price>`]);
  const opensExposure = side === 'buy' || isShort || first.perp || /(?<![\w.])\d+(?:\.\d+)?\s?x\b|\bleverage\b/.test(rest);
  const hasTakeProfit = /\b(?:take[\s-]?profits?|tps?|targets?)\b/.test(rest);
  const att = attachments(rest, { bareStopIsExit: typeWord === undefined && (opensExposure || hasTakeProfit) });
  const ep = entryPrice(side, att.rest);
  if (isIntent(ep)) return ep;
  // An order typed as a stop ("stop buy 1 eth at 3800") triggers at the price it names.
  if (typeWord === 'stop' && ep.entry?.type === 'limit' && ep.entry.price !== undefined) ep.entry = { type: 'stop', stopPrice: ep.entry.price };
  let body = ep.rest;

  // Size: a quote amount ($100, 100 usdt) or a base quantity (0.5 eth, eth 0.5).
  let quoteQuantity = quoteFromSpend;
  let quantity: string | undefined;
  let m: RegExpExecArray | null;
  if (quoteQuantity === undefined && (m = QUOTE_SIZE.exec(body))) {
    quoteQuantity = amount(m[1] ?? m[2]);
    body = cut(body, m[0]);
  }
  if (quoteQuantity === undefined) {
    if ((m = BASE_SIZE_BEFORE.exec(body)) || (m = BASE_SIZE_AFTER.exec(body))) {
      quantity = amount(m[1]);
      body = cut(body, m[0]);
    }
  }
  let leftover = numbersIn(body.replace(/§[A-T]/g, ' '));
  // One number left beside a known price is the size ("if btc hits 60k buy 0.1"); beside a known
  // size after "limit"/"stop" it is the price ("limit sell 2 eth 4k", "sell stop 1 eth 2700").
  if (leftover.length === 1 && quantity === undefined && quoteQuantity === undefined && ep.entry && mentionsIn(p, body).length <= 1) {
    quantity = leftover[0];
    leftover = [];
  } else if (leftover.length === 1 && (quantity !== undefined || quoteQuantity !== undefined) && !ep.entry && (typeWord === 'limit' || typeWord === 'stop')) {
    ep.entry = typeWord === 'limit' ? { type: 'limit', price: leftover[0] } : { type: 'stop', stopPrice: leftover[0] };
    leftover = [];
  }
  if (/(?:\bat|@|\blimit|\bprice)\s*$/.test(body) && !ep.entry) return ask('At what price?', [`${side} ${quantity ?? `$${quoteQuantity ?? '100'}`} ${first.base} at <price>`]);
  const symbol = (isShort || att.leverage !== undefined) && !first.explicit ? perpOf(first) : first.symbol;
  const shown = symbol;
  if (quantity === undefined && quoteQuantity === undefined) {
    if (leftover.length === 1 && !ep.entry) return ask(`Is ${leftover[0]} the size or a price?`, [`${side} ${leftover[0]} ${first.base}`, `${side} 1 ${first.base} at ${leftover[0]}`]);
    const tail = ep.entry?.price ? `at ${ep.entry.price}` : ep.entry?.stopPrice ? `stop ${ep.entry.stopPrice}` : '';
    return sizeQuestion(first.base, side, tail);
  }
  if (leftover.length > 0) return ask(`I'm not sure what ${leftover.join(', ')} is for.`, [`${side} ${quantity ?? `$${quoteQuantity ?? ''}`} ${first.base} at ${leftover[0]}`]);

  let type: string = ep.entry?.type ?? 'market';
  if (typeWord === 'market') type = 'market';
  else if (typeWord === 'twap' || typeWord === 'vwap') type = typeWord;
  else if (typeWord === 'limit' && type === 'market') return ask('At what price?', [`limit ${side} ${quantity ?? `$${quoteQuantity ?? ''}`} ${first.base} at <price>`]);
  else if ((typeWord === 'stop' || typeWord === 'stop_limit') && type === 'market') return ask('At what trigger price?', [`${side} ${quantity ?? `$${quoteQuantity ?? ''}`} ${first.base} stop <price>`]);
  else if (typeWord === 'stop_limit' && type !== 'stop_limit') return ask('A stop-limit needs a trigger and a limit price.', [`${side} ${quantity ?? `$${quoteQuantity ?? ''}`} ${first.base} stop <trigger> limit <price>`]);
  else if (typeWord?.startsWith('trailing') && type !== 'trailing_stop') return ask('Trailing by how much?', [`${side} ${quantity ?? `$${quoteQuantity ?? ''}`} ${first.base} trailing 2%`]);
  const priced = type !== 'market' && type !== 'twap' && type !== 'vwap';

  const args = withOptional({ symbol, side, type }, {
    quantity,
    quoteQuantity,
    price: priced ? ep.entry?.price : undefined,
    stopPrice: priced ? ep.entry?.stopPrice : undefined,
    trailingAmount: ep.entry?.trailingAmount,
    trailingPercent: ep.entry?.trailingPercent,
    timeInForce: att.timeInForce,
    postOnly: att.postOnly,
    reduceOnly: att.reduceOnly,
    leverage: att.leverage,
    stopLoss: att.stopLoss,
    takeProfits: att.takeProfits,
    durationMinutes: att.durationMinutes,
    slices: att.slices,
  });
  return toolIntent('preview-order', args, describeOrder(args, shown));
};

// ─── Account ────────────────────────────────────────────────────────────────────────────────

function period(t: string): 'day' | 'week' | 'month' | 'all' | undefined {
  if (/\b(?:today|yesterday|day|daily|24 ?h(?:ours?)?|since (?:this morning|midnight))\b/.test(t)) return 'day';
  if (/\b(?:week|weekly|7 ?d(?:ays)?|wtd)\b/.test(t)) return 'week';
  if (/\b(?:month|monthly|30 ?d(?:ays)?|mtd)\b/.test(t)) return 'month';
  if (/\b(?:all[\s-]?time|ever|overall|lifetime|since (?:the )?(?:start|beginning)|total|all)\b/.test(t)) return 'all';
  return undefined;
}

const performance: Rule = (p) => {
  const t = p.masked;
  if (!/\b(?:pnl|p ?& ?l|p and l|profits?|performance|perf|returns?|win ?rate|gains|how (?:did|have|'ve) i (?:do|done|been doing)|how am i doing|how'?s my (?:trading|performance|pnl)|how much (?:did|have) i (?:make|made|lose|lost|earn|earned)|am i (?:up|down)|scorecard|(?:best|worst|top) (?:performing|performers?|pairs?|trades?|coins?)|made me (?:the )?most|made me (?:the most )?money|(?:did|do) i make money|(?:losing|lost|making|made) (?:the )?most|how was my (?:day|week|month))\b/.test(t)) return undefined;
  const per = period(t);
  return toolIntent('get-performance', withOptional({}, { period: per }), `Show your performance${per ? ` (${per})` : ''}`);
};

const report: Rule = (p) => {
  const t = p.masked;
  if (!/\b(?:report|briefing|recap|debrief|rundown|summary)\b|^daily$/.test(t)) return undefined;
  const per = /\b(?:4\s?h(?:ours?|r)?|four[\s-]hour(?:ly)?|4[\s-]hour(?:ly)?)\b/.test(t) ? '4h' : /\b(?:daily|day|today)\b/.test(t) ? 'day' : undefined;
  return toolIntent('get-report', withOptional({}, { period: per }), `Write your ${per === '4h' ? '4-hour' : per === 'day' ? 'daily' : ''} report`.replace('  ', ' '));
};

// ─── Live against its paper shadow ─────────────────────────────────────────────────────────

const LIVE_WORD = /\b(?:live|real|real money|actual)\b/;
const PAPER_WORD = /\b(?:paper|sim|simulation|simulated|simulator|shadow|demo)\b/;
/** How a live portfolio is set against its paper twin: "live vs paper", "how does live compare to paper", "live/paper". */
const SET_AGAINST = /\b(?:vs|versus|v|against|compar(?:e|ed|es|ing|ison)|differ(?:s|ence|ent)?|diff|than|and|to|from|track(?:s|ing)?|beside|relative)\b|\//;
/** The paper side named after a comparison, the live side left out ("how does Binance compare to paper"). */
const AGAINST_PAPER = /\b(?:vs|versus|against|compared? (?:to|with)|than(?: on)?)\s+(?:the\s+|its\s+|my\s+)?(?:paper|sim|simulation|shadow)\b/;
/** Divergence of an indicator from the price is a market question, not the shadow's. */
const INDICATOR_DIVERGENCE = /\b(?:rsi|macd|obv|stoch\w*|momentum|price|bull\w*|bear\w*|hidden|regular|positive|negative)\b/;

/**
 * "live vs paper", "compare my live portfolio with its shadow", "how much slippage did I pay",
 * "divergence", "/shadow": how a live portfolio did against its paper shadow (get-shadow). With no
 * portfolio named the tool takes the person's only live portfolio; a name is the brain's
 * (src/bot/agent/portfolio-address.ts).
 */
const shadow: Rule = (p) => {
  const t = p.masked;
  if (/^(?:create|make|open|start|add|new|set up|switch|convert|turn|move|go|change)\b/.test(t)) return undefined;
  const named = /\bshadows?\b|\b(?:paper|sim) twins?\b/.test(t);
  const setAgainst = (LIVE_WORD.test(t) && PAPER_WORD.test(t) && SET_AGAINST.test(t)) || AGAINST_PAPER.test(t);
  const divergence = /\b(?:divergen(?:ce|ces|t)|diverg(?:e|es|ed|ing))\b/.test(t) && p.symbols.length === 0 && !INDICATOR_DIVERGENCE.test(t);
  const execution = /\b(?:slippage|slipped|missed fills?|missed or partial fills?|execution quality)\b/.test(t);
  if (!named && !setAgainst && !divergence && !execution) return undefined;
  return toolIntent('get-shadow', {}, 'Compare your live portfolio with its paper shadow: slippage, fees, missed or partial fills');
};

const portfolios: Rule = (p) => {
  const t = p.masked;
  let m: RegExpExecArray | null;
  if ((m = /^(?:create|make|open|start|add|new|set up)\s+(?:a\s+)?(?:new\s+)?paper\s+(?:portfolio|account)(?:\s+(?:called|named))?(?:\s+"?([a-z0-9][\w-]{0,39})"?)?(?:\s+with\s+(.*))?$/.exec(t))) {
    if (!m[1] || m[1] === 'with') return ask('What should it be called?', ['create a paper portfolio called swing with 5000']);
    const idx = p.lower.indexOf(m[1], p.lower.indexOf('paper'));
    const name = idx >= 0 ? p.orig.slice(idx, idx + m[1].length) : m[1];
    const startingCash = m[2] ? numbersIn(m[2])[0] : undefined;
    return toolIntent('create-paper-portfolio', withOptional({ name }, { startingCash }), `Create the paper portfolio “${name}”${startingCash ? ` with ${startingCash}` : ''}`);
  }
  if (/\b(?:who ?am ?i|whoami|which (?:account|user) (?:am i|is this)|what account (?:am i|is this)|which account am i using|what account am i using)\b/.test(t)) {
    return toolIntent('whoami', {}, 'Show which MIKEY account this chat acts as');
  }
  if (/\b(?:portfolios|my accounts|list (?:my )?accounts|all (?:my )?accounts)\b/.test(t)) return toolIntent('list-portfolios', {}, 'List your portfolios');
  return undefined;
};

const accountViews: Rule = (p) => {
  const t = p.masked;
  const s = p.symbols[0];
  if (/\borders?\b/.test(t)) {
    const status = /\b(?:open|pending|working|resting|active|live)\b/.test(t) ? 'open' : /\b(?:filled|executed|completed|done)\b/.test(t) ? 'filled' : /\b(?:cancell?ed)\b/.test(t) ? 'cancelled' : /\b(?:all|every|history)\b/.test(t) ? 'all' : undefined;
    return toolIntent('list-orders', withOptional({}, { status, symbol: s?.symbol }), `List your ${status ?? ''} orders${s ? ` on ${s.symbol}` : ''}`.replace('  ', ' '));
  }
  if (/\b(?:am i (?:long|short|in)|what am i (?:long|short)|(?:any|my) (?:longs|shorts)|my (?:§[A-T] )(?:long|short)|open trades)\b/.test(t)) {
    const open = /\b(?:open|any)\b/.test(t) ? 'open' : undefined;
    return toolIntent('get-positions', withOptional({}, { status: open, symbol: s?.symbol }), `Show your positions${s ? ` on ${s.symbol}` : ''}`);
  }
  if (/\b(?:trades|trade history|trading history|fills|executions|my history|transactions|what did i (?:buy|sell|trade))\b|^history$/.test(t)) {
    return toolIntent('get-trades', withOptional({}, { symbol: s?.symbol }), `List your trades${s ? ` on ${s.symbol}` : ''}`);
  }
  if (/\b(?:positions?|holdings|bags?|what (?:do|am) i (?:hold|holding)|what am i in)\b/.test(t)) {
    const status = /\b(?:closed|past|old|previous|history)\b/.test(t) ? 'closed' : /\bopen\b/.test(t) ? 'open' : undefined;
    return toolIntent('get-positions', withOptional({}, { status, symbol: s?.symbol }), `Show your ${status ?? ''} positions${s ? ` on ${s.symbol}` : ''}`.replace('  ', ' '));
  }
  if (/\b(?:balances?|cash|buying power|free margin|funds|how much (?:\S+ ){1,2}(?:do i have|have i got|i have))\b|^bal$/.test(t)) {
    return toolIntent('get-balances', {}, 'Show your balances');
  }
  if (/\b(?:portfolio|equity|net worth|account value|my account|my holdings summary)\b/.test(t)) return toolIntent('get-portfolio', {}, 'Show your portfolio');
  return undefined;
};

// ─── Market data and analysis ───────────────────────────────────────────────────────────────

const OVERLAYS: Array<[RegExp, string]> = [
  [/\b(?:ema\s?20|20\s?ema|20[\s-]period ema)\b/, 'ema20'],
  [/\b(?:ema\s?50|50\s?ema|50[\s-]period ema)\b/, 'ema50'],
  [/\b(?:sma\s?200|200\s?sma|ma\s?200|200\s?(?:day\s+)?ma|200[\s-]day(?:\s+moving average)?)\b/, 'sma200'],
  [/\b(?:bollinger(?:\s+bands?)?|bb|bbands)\b/, 'bollinger'],
  [/\bvwap\b/, 'vwap'],
];

const chart: Rule = (p) => {
  const t = p.masked;
  if (!/\b(?:chart|graph|plot|candlestick chart|equity curve)\b/.test(t)) return undefined;
  const s = p.symbols[0];
  if (!s && /\b(?:portfolio|equity|account|pnl|p ?& ?l|balance|performance|my)\b/.test(t)) return toolIntent('get-chart', { kind: 'equity' }, 'Chart your portfolio equity');
  if (!s) return needSymbol(p, 'should I chart', 'chart {s} 1h');
  let rest = t;
  const found: Array<[number, string]> = [];
  for (const [re, name] of OVERLAYS) {
    const m = re.exec(rest);
    if (m) {
      found.push([m.index, name]);
      rest = rest.replace(m[0], ' '.repeat(m[0].length));
    }
  }
  const overlays = found.sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  const limitM = /\b(?:last\s+)?(\d{2,3})\s+(?:candles|bars|periods)\b/.exec(rest);
  if (limitM) rest = rest.replace(limitM[0], ' ');
  const tf = takeTimeframe(rest);
  if (isIntent(tf)) return tf;
  const args = withOptional({ symbol: s.symbol }, { timeframe: tf.timeframe, limit: limitM ? Number(limitM[1]) : undefined, overlays: overlays.length ? overlays : undefined });
  return toolIntent('get-chart', args, `Chart ${s.symbol}${tf.timeframe ? ` ${tf.timeframe}` : ''}${overlays.length ? ` with ${overlays.join(', ')}` : ''}`);
};

const listAnalyses: Rule = (p) => {
  if (!/\b(?:(?:past|previous|recent|stored|saved|my|old|last|your)\s+analys[ie]s|analys[ie]s history|^analyses\b|past analysis)\b/.test(p.masked)) return undefined;
  const s = p.symbols[0];
  return toolIntent('list-analyses', withOptional({}, { symbol: s?.symbol }), `List stored analyses${s ? ` of ${s.symbol}` : ''}`);
};

const marketData: Rule = (p) => {
  const t = p.masked;
  const s = p.symbols[0];
  if (/\bfunding\b|\b(?:longs|shorts)\s+(?:paying|pay)\b/.test(t)) {
    if (!s) return needSymbol(p, 'for the funding rate', 'funding rate {s}-PERP');
    const perp = perpOf(s);
    return toolIntent('get-funding-rate', { symbol: perp }, `Show the funding rate of ${perp}`);
  }
  if (/\b(?:order\s?book|depth|bids and asks|book)\b/.test(t)) {
    if (!s) return needSymbol(p, 'for the order book', 'order book {s}');
    const d = /\bdepth\s*(?:of\s*)?(\d{1,3})\b|\btop\s+(\d{1,3})\b|\b(\d{1,3})\s+levels\b/.exec(t);
    return toolIntent('get-order-book', withOptional({ symbol: s.symbol }, { depth: d ? Number(d[1] ?? d[2] ?? d[3]) : undefined }), `Show the ${s.symbol} order book`);
  }
  if (/\b(?:candles?|ohlcv?|klines?|candlesticks?)\b/.test(t)) {
    if (!s) return needSymbol(p, 'for candles', 'candles {s} 1h');
    let rest = t;
    const l = /\b(?:last\s+)?(\d{1,4})\s+(?:candles?|bars|klines|candlesticks)\b/.exec(rest);
    if (l) rest = rest.replace(l[0], ' candles ');
    const tf = takeTimeframe(rest);
    if (isIntent(tf)) return tf;
    return toolIntent('get-candles', withOptional({ symbol: s.symbol }, { timeframe: tf.timeframe, limit: l ? Number(l[1]) : undefined }), `Fetch ${s.symbol} candles${tf.timeframe ? ` (${tf.timeframe})` : ''}`);
  }
  if (/^(?:search|find|look ?up|lookup)\b|\bdo you (?:have|support|list|offer)\b|\b(?:which|what) (?:pairs|perps)\b|\b(?:which|what) markets\b|\blist markets\b|\bmarkets? (?:for|matching|like|with)\b|^markets\b|\bsearch markets\b/.test(t)) {
    const kind = s?.perp || /\b(?:perps?|perpetuals?|futures)\b/.test(t) ? 'perp' : /\bspot\b/.test(t) ? 'spot' : undefined;
    let query = s?.base.toLowerCase();
    if (!query) {
      const words = t.replace(/[^a-z0-9 ]/g, ' ').split(' ').filter((w) => w && !/^(?:search|find|look|up|lookup|markets?|for|matching|like|with|which|what|do|you|have|list|me|the|a|an|all|perps?|perpetuals?|futures|spot|pairs?|symbols?|show|any|is|there|are)$/.test(w));
      query = words[words.length - 1];
    }
    if (!query) return ask('Search for what?', ['search markets sol', 'find pepe markets']);
    return toolIntent('search-markets', withOptional({ query }, { kind }), `Search markets for “${query}”${kind ? ` (${kind})` : ''}`);
  }
  return undefined;
};

const INDICATORS: Array<[RegExp, string]> = [
  [/\brsi(?![a-z])/, 'rsi'], [/\bmacd(?![a-z])/, 'macd'], [/\b(?:bollinger(?:\s+bands?)?|bb|bbands)(?![a-z])/, 'bollinger'], [/\bema(?![a-z])/, 'ema'],
  [/\bsma(?![a-z])|\bmoving average\b/, 'sma'], [/\bwma(?![a-z])/, 'wma'], [/\batr(?![a-z])/, 'atr'], [/\bstoch(?:astic)?(?![a-z])/, 'stochastic'],
  [/\bobv(?![a-z])/, 'obv'], [/\bvwap(?![a-z])/, 'vwap'], [/\badx(?![a-z])/, 'adx'], [/\b(?:overbought|oversold)\b/, 'rsi'],
];

/** A question about whether to trade is a request for an opinion, never an order. */
const OPINION = /^(?:should i|shall i|would you|do you think i should|is (?:it|now|this) (?:a )?(?:good )?time to|is it worth)\b|\b(?:a (?:buy|sell|long|short) (?:here|now|yet)|good (?:time|entry|moment)(?: to (?:buy|sell|long|short|enter|get in))?)\b|\b(?:long or short|buy or sell|bull or bear)\b|\b(?:going to|gonna|about to|will it|is it going to)\s+(?:dump|pump|crash|moon|rise|fall|drop|go up|go down|rally|bounce|break)\b/;

const analysis: Rule = (p) => {
  const t = p.masked;
  if (!/\b(?:analy[sz]e|analysis|ta|technicals?|technically|technical analysis|outlook|thoughts on|what do you think (?:of|about)|bull(?:ish)?|bear(?:ish)?|sentiment|setups?|view on|take on|read on|forecast|prediction|predict|trend|uptrend|downtrend|support|resistance|what do you make of|where do you see|what do you think|looks? (?:weak|strong|heavy|good|bad|ready)|trending(?: (?:up|down))?)\b/.test(t) &&
      !OPINION.test(t)) return undefined;
  const s = p.symbols[0];
  if (!s) return needSymbol(p, 'should I analyse', 'analyse {s} on the 4h');
  const tf = takeTimeframe(t);
  if (isIntent(tf)) return tf;
  return toolIntent('analyze-market', withOptional({ symbol: s.symbol }, { timeframe: tf.timeframe }), `Analyse ${s.symbol}${tf.timeframe ? ` on the ${tf.timeframe}` : ''}`);
};

const indicators: Rule = (p) => {
  const t = p.masked;
  const found: Array<[number, string]> = [];
  for (const [re, name] of INDICATORS) {
    const m = re.exec(t);
    if (m) found.push([m.index, name]);
  }
  const generic = /\bindicators?\b/.test(t);
  if (found.length === 0 && !generic) return undefined;
  const s = p.symbols[0];
  if (!s) return needSymbol(p, 'for the indicators', 'rsi on {s} 1h');
  const periodM = /\b(?:ema|sma|wma|rsi|atr|adx|ma)\s*\(?\s*(\d{1,3})\s*\)?(?!\s*(?:m|h|d|w|min|mins|minutes?|hours?|hrs?|days?|weeks?)\b)|\b(\d{1,3})(?:[\s-]?(?:period|day))?\s+(?:ema|sma|wma|rsi|atr|ma)\b/.exec(t);
  const rest = periodM ? t.replace(periodM[0], ' ') : t;
  const tf = takeTimeframe(rest);
  if (isIntent(tf)) return tf;
  const names = found.sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  const args = withOptional({ symbol: s.symbol }, {
    timeframe: tf.timeframe,
    indicators: names.length ? names : undefined,
    period: periodM ? Number(periodM[1] ?? periodM[2]) : undefined,
  });
  return toolIntent('get-indicators', args, `Show ${names.length ? names.join(', ').toUpperCase() : 'indicators'} for ${s.symbol}${tf.timeframe ? ` ${tf.timeframe}` : ''}`);
};

const price: Rule = (p) => {
  const t = p.masked;
  const priceWords = /\b(?:price|prices|quote|quotes|trading at|doing|how much is|how much are|how much for|hows|how's|how is|how are|where is|where's|wheres|what is|what's|whats|check|value of|worth|looking|at|going|moving|pumping|dumping|px|rn|ticker|how high|how low)\b/.test(t);
  const onlySymbols = p.symbols.length > 0 && t.replace(/§[A-T]/g, ' ').replace(/\b(?:and|vs|versus|or|&|\/|,)\b|[,&/]/g, ' ').trim() === '';
  if (!priceWords && !onlySymbols) return undefined;
  if (p.symbols.length === 0) {
    if (/^(?:price|prices|quote)\b/.test(t)) return ask('Price of which market?', ['price of btc and eth', '/price sol']);
    return undefined;
  }
  const symbols = p.symbols.map((s) => s.symbol);
  return toolIntent('get-price', { symbols }, `Price of ${symbols.join(', ')}`);
};

// ─── Backtests ──────────────────────────────────────────────────────────────────────────────
//
// "backtest a BTC grid from 60k to 80k over the last 90 days", "/backtest momentum sol 4h 180d",
// "how would a dca of $100 a day on btc have done over the last year?": backtest-strategy with the
// strategy kind, market, window, timeframe and the parameters said. A backtest reads candles and
// stores its result; it never places an order (a trade-like message never reaches this rule's answer).
// Decisions: a grid without a per-level amount spends the default starting cash (10,000) evenly over
// its levels; a DCA without an amount buys 100 per step; "$100 a day" becomes `every` in candles of
// the timeframe (1h unless said), with starting cash enough for every buy of the window when the
// default 10,000 would run out; months count 30 days, years 365.

const BACKTEST_WORD = /\bback[\s-]?test(?:s|ed|ing)?\b|\bbt\b(?=.*\b(?:grid|dca|momentum)\b)/;
const BACKTEST_VERB = /^(?:test|simulate|sim|try|run|paper test)\b/;
const BACKTEST_HYPOTHETICAL = /^(?:how (?:would|did|does|will|might)|what if (?:i|we|you)\b|what would)\b.*\b(?:have|had|'ve|d)\b/;
const BACKTEST_DEFAULT_CASH = '10000';
const DCA_DEFAULT_AMOUNT = '100';
/** backtest-strategy's window when none is said. */
const BACKTEST_DEFAULT_DAYS = 90;

/** "stat arb", "stat-arb", "statarb": read on the unmasked text (ARB is a token too). */
const STAT_ARB_WORD = /\bstat[\s-]?arb(?:itrage|s)?\b/;

type BacktestKind = 'grid' | 'dca' | 'momentum' | 'mean_reversion' | 'statistical_arbitrage' | 'yield_optimisation' | 'sma_cross' | 'whale_following' | 'market_making' | 'liquidation_hunting';

const KIND_PATTERNS: Array<[RegExp, BacktestKind]> = [
  // Before mean reversion: a pairs trade is fitted on a z-score too.
  [/\bstatistical[\s-]arbitrage\b|\bpairs?[\s-]trad(?:e|es|ing)\b/, 'statistical_arbitrage'],
  [/\bfunding[\s-](?:carry|arb(?:itrage)?|farm(?:ing)?|harvest(?:ing)?)\b|\bcash[\s-]and[\s-]carry\b|\bbasis[\s-]trade\b|\bcarry[\s-]trade\b|\byield[\s-]optimi[sz](?:ation|ing|er)\b/, 'yield_optimisation'],
  [/\bmean[\s-]?rever(?:sion|ting|t)\b|\bbollinger\b|\bz[\s-]?scores?\b|\bbb(?:ands)?\s+(?:strategy|reversion|bounce)\b/, 'mean_reversion'],
  [/\bwhale[\s-]?follow(?:ing|er)?\b|\bfollow(?:ing)?\s+(?:the\s+)?(?:whales|smart[\s-]money)\b|\bcopy(?:ing)?\s+(?:the\s+)?whales\b/, 'whale_following'],
  [/\bmarket[\s-]?mak(?:ing|er)\b/, 'market_making'],
  [/\bliquidation[\s-]?hunt\w*|\b(?:fad(?:e|ing)\s+)?liquidation\s+cascades?\b/, 'liquidation_hunting'],
  [/\bsma\s*(?:cross(?:over)?|crossing)\b|\bsimple\s+moving\s+averages?\s+cross\w*/, 'sma_cross'],
  [/\bgrids?(?:[\s-]?(?:bot|trading|strategy))?\b/, 'grid'],
  [/\bdca(?:'?d|'?ing|s)?\b|\bdollar[\s-]cost(?:[\s-]averag\w*)?\b/, 'dca'],
  [/\bmomentum\b|\btrend(?:[\s-]?follow\w*)?\b|\b(?:ema|sma|ma)s?\s*(?:cross\w*|\d{1,3}\s*\/\s*\d{1,3})|\bmoving[\s-]averages?\s+cross\w*|\bgolden cross\b/, 'momentum'],
];

const KIND_LABEL: Record<BacktestKind, string> = {
  grid: 'a grid', dca: 'a DCA', momentum: 'momentum (EMA cross)', mean_reversion: 'mean reversion',
  statistical_arbitrage: 'a pairs trade (statistical arbitrage)', yield_optimisation: 'a funding carry (spot long, perpetual short)',
  sma_cross: 'SMA cross', whale_following: 'whale following', market_making: 'market making', liquidation_hunting: 'liquidation hunting',
};

/** "grid", "DCA", "momentum", "whale following": the kind's name without its article or gloss. */
function kindName(kind: BacktestKind): string {
  return KIND_LABEL[kind].replace(/^an? /, '').replace(/ \(.*\)$/, '');
}

function backtestKind(t: string): BacktestKind | undefined {
  return KIND_PATTERNS.find(([re]) => re.test(t))?.[1];
}

const PERIOD_UNIT_DAYS: Record<string, number> = { d: 1, day: 1, days: 1, w: 7, wk: 7, wks: 7, week: 7, weeks: 7, mo: 30, mos: 30, month: 30, months: 30, y: 365, yr: 365, yrs: 365, year: 365, years: 365 };
const PERIOD_SINCE = /\b(?:since|from)\s+(\d{4}-\d{2}-\d{2})(?:\s+(?:to|until|till|through)\s+(\d{4}-\d{2}-\d{2}))?\b/;
const PERIOD_COUNTED = /(?:\b(?:over|for|in|during|across)\s+)?(?:\b(?:the\s+)?(?:last|past|previous|prior)\s+)?(?<![\w.])(\d{1,4})\s*(days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|y)\b/;
const PERIOD_ONE = /(?:\b(?:over|for|in|during|across)\s+)?(?:\b(?:the\s+)?(?:last|past|previous|prior)\s+|\b(?:over|for)\s+(?:a|one)\s+)(day|week|month|quarter|year)\b/;
const PERIOD_ONE_DAYS: Record<string, number> = { day: 1, week: 7, month: 30, quarter: 90, year: 365 };

/** The window said: `days`, or `from` (and `to`) dates; the text without it. */
function backtestPeriod(text: string): { days?: number; from?: string; to?: string; rest: string } | Intent {
  const since = PERIOD_SINCE.exec(text);
  if (since?.[1]) return { from: since[1], ...(since[2] ? { to: since[2] } : {}), rest: cut(text, since[0]) };
  const one = PERIOD_ONE.exec(text);
  if (one?.[1]) return { days: PERIOD_ONE_DAYS[one[1]] ?? 90, rest: cut(text, one[0]) };
  const re = new RegExp(PERIOD_COUNTED.source, 'g');
  for (let m = re.exec(text), guard = 0; m && guard < 20; m = re.exec(text), guard++) {
    const n = Number(m[1]);
    const unit = m[2] ?? '';
    // A bare "1d" / "1w" is a timeframe; "180d", "60 days", "3 months" and anything after "last"/"over" are a window.
    const prefixed = !/^\d/.test(m[0]);
    if (!prefixed && (unit === 'd' || unit === 'w') && n <= 1) continue;
    const days = n * (PERIOD_UNIT_DAYS[unit] ?? 1);
    if (days < 1 || days > 3650) return ask(`A backtest runs over 1 to 3650 days; ${n} ${unit} is outside that.`, ['backtest momentum BTC over the last 180 days']);
    return { days, rest: cut(text, m[0]) };
  }
  return { rest: text };
}

const DCA_INTERVAL = /\b(?:a|an|per|each|every|once a)\s+(?:(\d{1,3})\s+)?(minute|min|hour|hr|day|week|month)s?\b|\b(hourly|daily|weekly|monthly)\b/;
const INTERVAL_MINUTES: Record<string, number> = { minute: 1, min: 1, hour: 60, hr: 60, hourly: 60, day: 1440, daily: 1440, week: 10080, weekly: 10080, month: 43200, monthly: 43200 };
const TF_MINUTES: Record<NluTimeframe, number> = { '1m': 1, '5m': 5, '15m': 15, '30m': 30, '1h': 60, '4h': 240, '1d': 1440, '1w': 10080 };
const DOLLAR_AMOUNT = new RegExp(`(?:^|\\s)(\\$\\s?\\d[\\d,]*(?:\\.\\d+)?[km]?)\\b|${NUM}\\s*(?:usdt?|usd|dollars?|bucks)\\b`);
const FAST_SLOW = /\b(?:(?:ema|sma|ma)s?\s*(?:cross(?:over)?\s*)?)?(\d{1,3})\s*\/\s*(\d{1,3})\b|\bfast\s*(\d{1,3})\s*(?:,|and)?\s*slow\s*(\d{1,3})\b/;
const GRID_LEVELS = /\b(?:with\s+)?(\d{1,3})\s*(?:levels?|grids?|lines?|steps?)\b|\blevels?\s*(?:of\s+)?(\d{1,3})\b/;
const GRID_PER_LEVEL = new RegExp(`${NUM}\\s*(?:usdt?|usd|dollars?)?\\s*(?:per|a|each)\\s+(?:level|grid|line|step)\\b`);
const GRID_RANGE = new RegExp(`(?:\\b(?:from|between|range)\\s+)?${NUM}\\s*(?:(?:to|and|-|–|\\.\\.)\\s*|\\s+)${NUM}`);

const backtest: Rule = (p) => {
  const t = p.masked;
  const named = BACKTEST_WORD.test(t);
  // "stat arb": ARB is also a token, so the words are read from the unmasked text and that mention dropped.
  const arbWord = STAT_ARB_WORD.exec(p.lower);
  const symbols = arbWord ? p.symbols.filter((m) => m.start < arbWord.index || m.start >= arbWord.index + arbWord[0].length) : p.symbols;
  const kind = arbWord ? 'statistical_arbitrage' : backtestKind(t);
  if (!named && !(kind && (BACKTEST_VERB.test(t) || BACKTEST_HYPOTHETICAL.test(t)))) return undefined;
  if (named && !kind && /\b(?:my|past|previous|stored|saved|list|show)\b.*\bbacktests\b/.test(t) && symbols.length === 0) return undefined;
  const b = symbols[0]?.base ?? 'BTC';
  if (!kind) {
    return ask('Which strategy should I backtest: a grid, DCA, momentum, mean reversion, a pairs trade or a funding carry?',
      [`backtest a ${b} grid from <low> to <high> over the last 90 days`, `backtest momentum ${b} 4h 180d`, `backtest a dca of $100 a day on ${b}`, `test mean reversion on ${b} for 60 days`]);
  }
  const s = symbols[0];
  if (!s) return ask(`Backtest ${KIND_LABEL[kind]} on which market?`, [kind === 'grid' ? 'backtest a BTC grid from 60k to 80k over the last 90 days' : `backtest ${kind.replace('_', ' ')} on BTC over the last 90 days`]);
  let rest = t.replace(/§[A-T]/g, ' ');
  const params: Record<string, string | number> = {};
  if (kind === 'statistical_arbitrage') {
    // The second asset named is the pair: "stat arb btc eth", "pairs trade btc against eth".
    const pair = symbols.find((m) => m.base !== s.base);
    if (!pair) return ask(`A pairs trade needs two assets: ${s.base} against which?`, [`backtest stat arb ${s.base} against ${s.base === 'ETH' ? 'BTC' : 'ETH'} over the last 90 days`]);
    params.pair = pair.base;
  }
  // Parameters first (their numbers are not windows or timeframes), then the window, then the timeframe.
  let intervalMinutes: number | undefined;
  if (kind === 'dca') {
    const iv = DCA_INTERVAL.exec(rest);
    if (iv) {
      intervalMinutes = Number(iv[1] ?? 1) * (INTERVAL_MINUTES[iv[2] ?? iv[3] ?? ''] ?? 1440);
      rest = cut(rest, iv[0]);
    }
    const amt = DOLLAR_AMOUNT.exec(rest);
    const quoteAmount = amount(amt?.[1] ?? amt?.[2]);
    if (amt) rest = cut(rest, amt[0]);
    params.quoteAmount = quoteAmount ?? DCA_DEFAULT_AMOUNT;
  }
  if (kind === 'momentum' || kind === 'grid') {
    const fs = kind === 'momentum' ? FAST_SLOW.exec(rest) : null;
    if (fs) {
      const fast = Number(fs[1] ?? fs[3]);
      const slow = Number(fs[2] ?? fs[4]);
      if (!(fast >= 2 && slow > fast && slow <= 500)) return ask(`The fast EMA must be shorter than the slow one (2–200 and up to 500); ${fast}/${slow} is not.`, [`backtest ema 12/26 on ${s.base} 1h`]);
      params.fast = fast;
      params.slow = slow;
      rest = cut(rest, fs[0]);
    }
  }
  const period = backtestPeriod(rest);
  if (isIntent(period)) return period;
  rest = period.rest;
  let levels: number | undefined;
  let perLevel: string | undefined;
  if (kind === 'grid') {
    const lv = GRID_LEVELS.exec(rest);
    if (lv) {
      levels = Number(lv[1] ?? lv[2]);
      rest = cut(rest, lv[0]);
      if (levels < 2 || levels > 200) return ask(`A grid has 2 to 200 levels; ${levels} is outside that.`, [`backtest a ${s.base} grid from <low> to <high> with 10 levels`]);
    }
    const pl = GRID_PER_LEVEL.exec(rest);
    if (pl) {
      perLevel = amount(pl[1]);
      rest = cut(rest, pl[0]);
    }
  }
  const tf = takeTimeframe(rest);
  if (isIntent(tf)) return tf;
  rest = tf.rest;
  if (kind === 'grid') {
    const range = GRID_RANGE.exec(rest);
    const a = amount(range?.[1]);
    const c = amount(range?.[2]);
    if (a === undefined || c === undefined || new D(a).eq(c) || new D(a).isZero() || new D(c).isZero()) {
      return ask(`Between which prices should the ${s.base} grid trade?`, [`backtest a ${s.base} grid from <low> to <high> over the last 90 days`]);
    }
    const [lower, upper] = new D(a).lt(c) ? [a, c] : [c, a];
    const n = levels ?? 10;
    params.lower = lower;
    params.upper = upper;
    if (levels !== undefined) params.levels = levels;
    params.quotePerLevel = perLevel ?? new D(BACKTEST_DEFAULT_CASH).div(n).toDecimalPlaces(2, D.ROUND_DOWN).toFixed();
  }
  let initialCash: string | undefined;
  if (kind === 'dca' && intervalMinutes !== undefined) {
    const tfMinutes = TF_MINUTES[tf.timeframe ?? '1h'];
    const every = Math.max(1, Math.floor(intervalMinutes / tfMinutes));
    params.every = every;
    // Enough starting cash for every scheduled buy of the window, so the schedule is what is tested.
    const buys = Math.floor(((period.days ?? BACKTEST_DEFAULT_DAYS) * 1440) / (every * tfMinutes)) + 1;
    const needed = new D(String(params.quoteAmount)).mul(buys);
    if (needed.gt(BACKTEST_DEFAULT_CASH) && period.from === undefined) initialCash = needed.toFixed();
  }
  const args = withOptional({ strategy: kind, symbol: s.symbol }, {
    initialCash,
    timeframe: tf.timeframe,
    days: period.days,
    from: period.from,
    to: period.to,
    params: Object.keys(params).length ? params : undefined,
  });
  const window = period.from ? `since ${period.from}${period.to ? ` to ${period.to}` : ''}` : `over the last ${period.days ?? BACKTEST_DEFAULT_DAYS} days`;
  const said = kind === 'statistical_arbitrage' ? ` against ${String(params.pair)}` : kind === 'grid' ? ` from ${String(params.lower)} to ${String(params.upper)}` : kind === 'dca' ? ` of ${String(params.quoteAmount)}${params.every !== undefined ? ` every ${String(params.every)} candle${params.every === 1 ? '' : 's'}` : ''}${initialCash ? ` from ${initialCash} starting cash` : ''}` : params.fast ? ` ${String(params.fast)}/${String(params.slow)}` : '';
  return toolIntent('backtest-strategy', args, `Backtest ${KIND_LABEL[kind]}${said} on ${s.symbol} ${tf.timeframe ?? '1h'} ${window} (a simulation: no order is placed)`);
};

// ─── A bot from a strategy ───────────────────────────────────────────────────────────────────────
//
// "start a grid bot on BTC from 60k to 80k with max 100 per order and 1000 per day", "create a whale
// following bot for ETH, max $100 per order, $1000 per day": create-bot with the strategy, market,
// timeframe and parameters read as a backtest of the same words reads them, and the limits the owner
// approves (both needed). The bot is created stopped; it starts only when its card is approved.

const STRATEGY_BOT = /^(?:start|create|make|launch|run|spin\s+up|build|set\s+up|new)\s+(?:(?:a|an|my|new|the)\s+)*(.+?)\s+(?:trading\s+)?bot\b(.*)$/;
const LIMIT_WORDS = /\b(?:with\s+)?(?:a\s+)?(?:limits?\s+(?:of\s+)?)?(?:max(?:imum)?|at\s+most|up\s+to|no\s+more\s+than)\b|\band\b\s*$|,/g;

const strategyBot: Rule = (p) => {
  const m = STRATEGY_BOT.exec(p.masked);
  if (!m) return undefined;
  // "a bot following the whales" / "a bot that copies smart whale": the whale-following strategy (it
  // trades the credibility-weighted moves of every wallet you watch, not one wallet's alone).
  const follows = /^\s*(?:that\s+|which\s+|to\s+)?(?:follows?|following|copy|copies|copying|mirrors?|mirroring)\b/.test(m[2]!);
  const kind = backtestKind(m[1]!) ?? (STAT_ARB_WORD.test(p.lower) ? 'statistical_arbitrage' : follows ? 'whale_following' : undefined);
  if (!kind && /^(?:trading|crypto|simple|paper|auto(?:mated)?|§[a-t])$/.test(m[1]!.trim())) {
    const b = p.symbols[0]?.base ?? 'BTC';
    return ask('Which strategy should the bot run: a grid, DCA, momentum, mean reversion, SMA cross or whale following?', [
      `start a grid bot on ${b} from <low> to <high> with max 100 per order and 1000 per day`,
      `start a whale following bot on ${b} with max 100 per order and 1000 per day`,
      'start a bot from my last backtest with max 100 per order and 1000 per day',
    ]);
  }
  if (!kind) return undefined;
  const limits = approvalLimits(p.masked);
  let rest = `${m[1]!} ${m[2]!}`;
  for (const said of limits?.said ?? []) rest = cut(rest, said);
  rest = cut(rest, LIMIT_WORDS);
  const base = p.symbols[0]?.base ?? 'BTC';
  const example = `start a ${kind === 'grid' ? `grid bot on ${base} from <low> to <high>` : `${kindName(kind)} bot on ${base}`} with max 100 per order and 1000 per day`;
  // The strategy, market, timeframe and parameters as the backtest grammar reads the same words.
  const read = backtest({ ...p, masked: `backtest ${follows && backtestKind(rest) === undefined ? 'whale following ' : ''}${rest}` });
  if (read?.kind === 'unknown') return ask(read.text.replace(/^Backtest /, 'Run ').replace(/ Try .*$/, ''), [example]);
  if (read?.kind !== 'tool') return undefined;
  if (!limits) return ask(LIMITS_QUESTION, [example]);
  const a = read.args as { strategy: BacktestKind; symbol: string; timeframe?: string; params?: Record<string, unknown> };
  // A grid's default amount per level is the backtest's (its cash over the levels); a bot's is what one
  // order may spend, so its orders fit the limits it is approved with.
  if (a.strategy === 'grid' && a.params && !GRID_PER_LEVEL.test(rest)) a.params.quotePerLevel = limits.maxOrderNotional;
  const label = kindName(a.strategy);
  const args = withOptional({ name: `${label} ${a.symbol}`.slice(0, 60), strategy: a.strategy, symbol: a.symbol }, {
    timeframe: a.timeframe,
    params: a.params,
    limits: { maxOrderNotional: limits.maxOrderNotional, maxDailyNotional: limits.maxDailyNotional },
  });
  return toolIntent('create-bot', args, `Create a ${label} bot on ${a.symbol} ${a.timeframe ?? '1h'}, at most ${limits.maxOrderNotional} per order and ${limits.maxDailyNotional} per day (it starts only when you approve it)`);
};

// ─── Parameter sweeps ──────────────────────────────────────────────────────────────────────────
//
// "sweep sma cross on BTC fast 5 to 50 slow 60 to 150", "optimise momentum ETH 4h fast 5,10,20 slow
// 30-90 step 20 over 180 days with 5 folds": sweep-strategy. A range without a step is tried at 5
// evenly spaced values (whole numbers when both ends are); a list as given. Parameter names go as
// written (the service matches them to the strategy's whatever their case; it refuses unknown ones
// and names the ones it takes). At most 20 values per parameter and 4 parameters.

const SWEEP_WORD = /^(?:(?:run|do|start)\s+)?(?:a\s+)?(?:parameter\s+|param\s+)?(?:sweep|optimi[sz]e|optimi[sz]ation(?:\s+of)?|tune|grid[\s-]search|walk[\s-]forward(?:\s+(?:test|sweep|optimi[sz]ation))?)\b/;
const SWEEP_RANGE = /\b([a-z][a-z_]{1,24})\s*(?:=|:|\bfrom\b)?\s*(\d+(?:\.\d+)?)\s*(?:to|-|–|\.\.)\s*(\d+(?:\.\d+)?)(?:\s*(?:step|by|every|in\s+steps\s+of)\s*(\d+(?:\.\d+)?))?/;
const SWEEP_LIST = /\b([a-z][a-z_]{1,24})\s*(?:=|:|\bin\b)?\s*\[?(\d+(?:\.\d+)?(?:\s*(?:,|\/|\bor\b)\s*\d+(?:\.\d+)?)+)\]?/;
const SWEEP_FIXED = /\b([a-z][a-z_]{1,24})\s*(?:=|:)?\s*(\d[\d,]*(?:\.\d+)?[km]?)(?![\w.])/;
const SWEEP_FOLDS = /\b(?:with\s+)?(\d{1,2})\s*(?:walk[\s-]forward\s+)?folds?\b/;
const SWEEP_DEFAULT_POINTS = 5;
const SWEEP_MAX_VALUES = 20;
/** Words a range or list may follow that are not parameter names. */
const NOT_A_PARAMETER = new Set(['from', 'to', 'over', 'last', 'past', 'for', 'with', 'and', 'the', 'days', 'day', 'on', 'in', 'at', 'between', 'range', 'of', 'try', 'values', 'step', 'by']);

/** The values "5 to 50" (step optional) stands for, or why it cannot be swept. */
function sweepValues(lo: string, hi: string, step: string | undefined): number[] | string {
  const a = Number(lo);
  const b = Number(hi);
  if (!(b > a)) return `${lo} to ${hi} is not a range (the second number must be larger)`;
  const whole = Number.isInteger(a) && Number.isInteger(b) && (step === undefined || Number.isInteger(Number(step)));
  if (step !== undefined) {
    const s = Number(step);
    if (!(s > 0)) return `a step of ${step} does not move`;
    const n = Math.floor((b - a) / s + 1e-9) + 1;
    if (n > SWEEP_MAX_VALUES) return `${lo} to ${hi} in steps of ${step} is ${String(n)} values; a parameter takes at most ${String(SWEEP_MAX_VALUES)}`;
    return Array.from({ length: n }, (_, i) => (whole ? a + i * s : Number((a + i * s).toPrecision(12))));
  }
  const points = whole ? Math.min(SWEEP_DEFAULT_POINTS, b - a + 1) : SWEEP_DEFAULT_POINTS;
  const out = Array.from({ length: points }, (_, i) => {
    const v = a + ((b - a) * i) / (points - 1);
    return whole ? Math.round(v) : Number(v.toPrecision(12));
  });
  return [...new Set(out)];
}

const sweep: Rule = (p) => {
  const t = p.masked;
  const word = SWEEP_WORD.exec(t);
  if (!word) return undefined;
  const kind = backtestKind(t);
  // "optimise my portfolio", "tune my alerts": not a sweep.
  if (!kind && !/\bsweep\b/.test(word[0])) return undefined;
  const b = p.symbols[0]?.base ?? 'BTC';
  const example = `sweep sma cross on ${b} fast 5 to 50 slow 60 to 150 over 180 days`;
  if (!kind) return ask('Which strategy should I sweep: momentum, SMA cross, mean reversion, a grid or a DCA?', [example]);
  const s = p.symbols[0];
  if (!s) return ask(`Sweep ${KIND_LABEL[kind]} on which market?`, [example]);
  let rest = cut(t.replace(/§[A-T]/g, ' '), word[0]);
  const folds = SWEEP_FOLDS.exec(rest);
  if (folds) rest = cut(rest, folds[0]);
  // The window and timeframe first: what is left is parameters.
  const period = backtestPeriod(rest);
  if (isIntent(period)) return period;
  const tf = takeTimeframe(period.rest);
  if (isIntent(tf)) return tf;
  rest = tf.rest;
  const grid: Record<string, number[]> = {};
  for (let guard = 0; guard < 8; guard++) {
    const range = SWEEP_RANGE.exec(rest);
    const list = SWEEP_LIST.exec(rest);
    const m = range && (!list || range.index <= list.index) ? range : list;
    if (!m) break;
    const name = m[1]!;
    if (NOT_A_PARAMETER.has(name)) break;
    let values: number[] | string;
    if (m === range) values = sweepValues(m[2]!, m[3]!, m[4]);
    else {
      values = [...new Set(m[2]!.split(/\s*(?:,|\/|\bor\b)\s*/).map(Number))];
      if (values.length > SWEEP_MAX_VALUES) values = `${name} has ${String(values.length)} values; a parameter takes at most ${String(SWEEP_MAX_VALUES)}`;
    }
    if (typeof values === 'string') return ask(`${values}.`, [example]);
    grid[name] = values;
    rest = cut(rest, m[0]);
  }
  // One value: a parameter every combination shares ("lower 60k upper 80k").
  const params: Record<string, number> = {};
  for (let m = SWEEP_FIXED.exec(rest), guard = 0; m && guard < 8; m = SWEEP_FIXED.exec(rest), guard++) {
    rest = cut(rest, m[0]);
    const value = amount(m[2]);
    if (NOT_A_PARAMETER.has(m[1]!) || value === undefined) continue;
    params[m[1]!] = Number(value);
  }
  const names = Object.keys(grid);
  if (names.length === 0) return ask(`Which parameters of ${KIND_LABEL[kind]} should the sweep try, and over which values?`, [example]);
  if (names.length > 4) return ask(`A sweep varies 1 to 4 parameters; that names ${String(names.length)} (${names.join(', ')}).`, [example]);
  const foldCount = folds ? Number(folds[1]) : undefined;
  if (foldCount !== undefined && (foldCount < 1 || foldCount > 10)) return ask(`A sweep runs 1 to 10 walk-forward folds; ${String(foldCount)} is outside that.`, [`${example} with 3 folds`]);
  const args = withOptional({ strategy: kind, symbol: s.symbol, grid }, { params: Object.keys(params).length > 0 ? params : undefined, timeframe: tf.timeframe, days: period.days, from: period.from, to: period.to, folds: foldCount });
  const combos = Object.values(grid).reduce((n, v) => n * v.length, 1);
  const said = names.map((n) => `${n} ${grid[n]!.join(', ')}`).join('; ');
  const window = period.from ? `since ${period.from}${period.to ? ` to ${period.to}` : ''}` : `over the last ${String(period.days ?? BACKTEST_DEFAULT_DAYS)} days`;
  return toolIntent('sweep-strategy', args, `Sweep ${KIND_LABEL[kind]} on ${s.symbol} ${tf.timeframe ?? '1h'} ${window}: ${said} (${String(combos)} combinations, ${String(foldCount ?? 3)} walk-forward folds; a simulation: no order is placed)`);
};

// ─── Predictions ────────────────────────────────────────────────────────────────────────────
//
// "what do you predict for BTC in 1h?", "prediction for eth 4h", "will sol go up in the next 4
// hours?": get-prediction (the call always comes with the model's record); "recent predictions":
// list-predictions; "how good are your predictions?", "model scorecard for btc": get-model-scorecard;
// "retrain the btc 1h model": retrain-model (admin; the server refuses anyone else).
// Decisions: a horizon is one of 15m, 1h, 4h, 1d ("next hour", "tomorrow", "24h" and "one day" are
// 1h and 1d); "btc prediction" or "forecast for eth" without a horizon, a model or the verb "predict"
// stay a technical analysis, as before; an up-or-down question ("will sol go up…", "where will btc
// be…") is a prediction only with a horizon, so "sui going up?" stays a price; "scorecard" is the
// person's own performance unless predictions or models are named; another horizon ("2h") is a
// question back naming the four.

/** The horizons get-prediction takes (src/services/predict/prediction-service.ts). */
type PredictionHorizon = '15m' | '1h' | '4h' | '1d';
const HORIZON_PATTERNS: Array<[RegExp, PredictionHorizon]> = [
  [/\b(?:15|fifteen)\s?-?\s?(?:m|mins?|minutes?)\b|\bquarter(?:\s+of)?\s+an\s+hour\b|\bm15\b/, '15m'],
  [/\b(?:4|four)\s?-?\s?(?:h|hrs?|hours?)\b|\bh4\b/, '4h'],
  [/\b(?:24\s?-?\s?(?:h|hrs?|hours?)|(?:1|one)\s?-?\s?(?:d|days?))\b|\btomorrow\b|\b(?:a|next|the next)\s+day\b|\bdaily\b|\bd1\b/, '1d'],
  [/\b(?:1|one|60)\s?-?\s?(?:h|hrs?|hours?)\b|\b60\s?(?:m|mins?|minutes)\b|\b(?:an|next|the next)\s+hour\b|\bhourly\b|\bh1\b/, '1h'],
];
/** Any other "<n> minutes/hours/days/weeks": a horizon MIKEY does not predict. */
const OTHER_HORIZON = /(?<![\w.])(\d{1,3})\s?-?\s?(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)\b/;
const PREDICT_VERB = /\bpredict(?:s|ed|ing)?\b/;
const PREDICT_NOUN = /\b(?:predictions?|forecasts?|projections?)\b/;
const MODEL_WORD = /\b(?:models?|model's|ml|machine learning)\b/;
const UP_OR_DOWN = /^(?:will|is|are|does|do you think|where will|where is|where's)\b.*\b(?:go(?:ing|es)? (?:up|down|higher|lower)|be (?:higher|lower|up|down)|be\b(?:\s+(?:in|at|by|after|over|within|tomorrow|next))|rise|fall|climb|drop)\b/;
const RECORD_WORDS = /\b(?:scorecard|score ?card|track record|record|hit rate|accura(?:te|cy)|how (?:good|well|reliable|right)|any good|beat(?:s|ing)? (?:the )?baselines?|calibrat\w*|scored)\b/;
const LIST_WORDS = /\b(?:recent|last|latest|past|previous|show|list|all|history|stored|my|your)\b.*\bpredictions\b|^predictions\b|\bpredictions (?:history|so far|made)\b/;

/** The horizon said in `t`: one of the four, `bad` for another stated span, or nothing. */
function predictionHorizon(t: string): PredictionHorizon | { bad: string } | undefined {
  for (const [re, h] of HORIZON_PATTERNS) if (re.test(t)) return h;
  const other = OTHER_HORIZON.exec(t);
  return other ? { bad: `${other[1]}${other[2]}` } : undefined;
}

function horizonQuestion(written: string, base: string): Intent {
  return ask(`I predict 15m, 1h, 4h or 1d ahead, not ${written}.`, [`what do you predict for ${base} in 1h?`, `prediction for ${base} 4h`]);
}

const prediction: Rule = (p) => {
  const t = p.masked;
  const s = p.symbols[0];
  const named = PREDICT_VERB.test(t) || PREDICT_NOUN.test(t) || MODEL_WORD.test(t);
  if (/\b(?:re-?train\w*|refit)\b/.test(t) && (named || s)) {
    if (!s) return ask('Retrain the models of which market?', ['retrain the btc 1h model']);
    const h = predictionHorizon(t);
    if (h && typeof h === 'object') return horizonQuestion(h.bad, s.base);
    return toolIntent('retrain-model', withOptional({ symbol: s.symbol }, { horizon: h }), `Retrain the prediction models of ${s.symbol}${h ? ` ${h}` : ''} (admin only)`);
  }
  const predictionWords = PREDICT_VERB.test(t) || PREDICT_NOUN.test(t) || /\bbaselines?\b/.test(t);
  if (RECORD_WORDS.test(t) && (predictionWords || MODEL_WORD.test(t))) {
    const h = predictionHorizon(t);
    return toolIntent('get-model-scorecard', withOptional({}, { symbol: s?.symbol, horizon: typeof h === 'string' ? h : undefined }), `Show the prediction models' scorecard${s ? ` on ${s.symbol}` : ''} beside the baseline`);
  }
  if (LIST_WORDS.test(t)) {
    const h = predictionHorizon(t);
    return toolIntent('list-predictions', withOptional({}, { symbol: s?.symbol, horizon: typeof h === 'string' ? h : undefined }), `List recent predictions${s ? ` of ${s.symbol}` : ''}`);
  }
  if (!s) {
    if (PREDICT_VERB.test(t) || (PREDICT_NOUN.test(t) && predictionHorizon(t) !== undefined)) return ask('Predict which market?', ['what do you predict for BTC in 1h?']);
    return undefined;
  }
  const h = predictionHorizon(t);
  const asked = PREDICT_VERB.test(t) || (named && h !== undefined) || (UP_OR_DOWN.test(t) && typeof h === 'string');
  if (!asked) return undefined;
  if (h && typeof h === 'object') return horizonQuestion(h.bad, s.base);
  return toolIntent('get-prediction', withOptional({ symbol: s.symbol }, { horizon: h }), `Predict ${s.symbol} ${h ?? '1h'} ahead with every model, beside its record`);
};

// ─── Platform token and bots ───────────────────────────────────────────────────────────────────
//
// "my token balance", "how many tokens do I have": get-token-balance; "staking pools":
// list-staking-pools; "stake 100 OMNI in flex": stake-tokens; "unstake 3f2a9c1e": unstake-tokens;
// "claim my rewards": claim-rewards; "token history": get-token-history. "list my bots": list-bots;
// "bot 3f2a9c1e": get-bot; "pause / resume / stop bot 3f2a9c1e": pause-bot, resume-bot, stop-bot.
// Decisions: these run before the trading rules, but only on their own nouns ("token", "staking",
// "rewards", "bot"), so "pause trading" stays the kill switch and "stop loss" an exit. A stake names
// the platform token ("tokens", "omni") or no unit: "stake 1 btc" is a question back, never a stake
// of something else. "start bot 3f2a9c1e" never starts it: it shows the bot's card, and the person's
// own "yes" to that card approves it (start-bot with approve: true); a live bot is approved at the terminal.

const TOKEN_NOUN = String.raw`(?:platform\s+)?(?:tokens?|omni)`;
const BOT_ID = new RegExp(String.raw`^(?:${ID_TOKEN})$`);

const BOARD_SORT = String.raw`(?:\s+by\s+(sharpe(?:\s+ratio)?|(?:max(?:imum)?\s+)?drawdown|p&l|pnl|profits?|returns?))?`;
const BOARD_SORTS: Record<string, 'sharpe' | 'drawdown' | 'pnl'> = { sharpe: 'sharpe', drawdown: 'drawdown', pnl: 'pnl' };

/**
 * "strategy leaderboard", "rank my bots by drawdown", "my best strategies", "which of my bots is best",
 * "the group's strategy leaderboard": get-strategy-leaderboard (scope community when the group is named).
 */
function strategyBoard(t: string): Intent | undefined {
  const m =
    new RegExp(String.raw`^(?:(?:show|get|see)\s+(?:me\s+)?)?(?:the\s+|my\s+)?(?:(group|community|server|channel)(?:'s)?\s+)?(?:strateg(?:y|ies)|bots?|backtests?)\s+(?:leaderboard|rankings?|league(?:\s+table)?)${BOARD_SORT}$`).exec(t) ??
    new RegExp(String.raw`^()(?:rank|compare|sort)\s+(?:all\s+)?(?:of\s+)?(?:my\s+)?(?:bots|strategies|backtests)${BOARD_SORT}$`).exec(t) ??
    new RegExp(String.raw`^()(?:show\s+)?(?:me\s+)?(?:my\s+)?(?:best|top)(?:\s+performing)?\s+(?:bots|strategies|backtests)${BOARD_SORT}$`).exec(t) ??
    /^()which\s+(?:of\s+my\s+)?(?:bots?|strateg(?:y|ies)|backtests?)\s+(?:is|are|did|does|do|performed|performs|works?)\s+(?:the\s+)?best()$/.exec(t);
  if (!m) return undefined;
  const sortWord = (m[2] ?? '').replace(/^max(?:imum)?\s+/, '').replace(/\s+ratio$/, '');
  const sortBy = BOARD_SORTS[sortWord] ?? (sortWord ? 'pnl' : undefined);
  const community = m[1] !== undefined && m[1] !== '';
  const args: Record<string, unknown> = { ...(community ? { scope: 'community' } : {}), ...(sortBy ? { sortBy } : {}) };
  const by = sortBy === 'drawdown' ? 'max drawdown' : sortBy === 'pnl' ? (community ? 'return' : 'P&L') : 'Sharpe ratio';
  return toolIntent('get-strategy-leaderboard', args, community ? `Rank this group's bots by ${by}, percentages only` : `Rank your bots and backtests by ${by}`);
}

/**
 * "compare my last two backtests", "compare backtests 1a2b3c4d and 5e6f7a8b", "compare backtest 1a2b vs
 * 5e6f": compare-backtests (the two most recent when no ids are given).
 */
function backtestComparison(t: string): Intent | undefined {
  const ids = /^compare\s+(?:the\s+)?backtests?\s+#?([0-9a-f-]{4,36})\s+(?:and|with|vs\.?|versus|to|against)\s+(?:backtest\s+)?#?([0-9a-f-]{4,36})$/.exec(t);
  if (ids) return toolIntent('compare-backtests', { backtestIds: [ids[1]!, ids[2]!] }, `Compare backtests ${ids[1]!.slice(0, 8)} and ${ids[2]!.slice(0, 8)}`);
  if (/^compare\s+(?:my\s+|the\s+)?(?:last|latest|two\s+latest|two\s+last|last\s+two|latest\s+two|two\s+most\s+recent|most\s+recent\s+two)\s+(?:two\s+)?backtests$/.test(t)) {
    return toolIntent('compare-backtests', {}, 'Compare your two most recent backtests');
  }
  return undefined;
}

/**
 * "my backtests", "list my last 5 backtests", "backtest history", and of one market or strategy: "my btc
 * backtests", "my last 5 backtests for sol", "my grid backtests on eth", "list my sma cross backtests":
 * list-backtests, newest first. The strategy and the market are taken out first, so the rest must be a
 * plain request for the list (anything else is left to the backtest rule). An asset alone ("btc")
 * matches its every market; a pair written out, that market.
 */
function backtestList(p: Prepared): Intent | undefined {
  const t = p.lower.replace(/[?!.]+$/, '').trim();
  if (!/\bbacktest(?:s|\s+history|\s+list)\b/.test(t) || p.symbols.length > 1) return undefined;
  const kind = backtestKind(t);
  const kindRe = kind ? KIND_PATTERNS.find(([, k]) => k === kind)![0] : undefined;
  const about = String.raw`(?:\b(?:for|on|of|in|with|using)\s+(?:the\s+|a\s+|an\s+)?)?`;
  let rest = p.masked.replace(/[?!.]+$/, '').trim();
  if (kindRe) rest = rest.replace(new RegExp(`${about}(?:${kindRe.source})`), ' ');
  rest = rest.replace(new RegExp(`${about}§[A-T]`), ' ').replace(/\s+/g, ' ').trim();
  const listed = /^(?:(?:list|show|see|view)\s+)?(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:my\s+|the\s+)?(?:(?:last|latest|recent|past|previous|stored|saved)\s+)?(?:(\d{1,3})\s+)?backtests$/.exec(rest);
  if (!listed && !/^(?:my\s+)?backtest\s+(?:history|list)$|^(?:what|which)\s+backtests\s+(?:have|did)\s+i\b/.test(rest)) return undefined;
  const limit = listed?.[1] ? Number(listed[1]) : undefined;
  if (limit !== undefined && (limit < 1 || limit > 100)) return ask(`I list 1 to 100 backtests at a time; ${String(limit)} is outside that.`, ['my last 10 backtests']);
  const mention = p.symbols[0];
  const symbol = mention ? (mention.explicit ? mention.symbol : mention.base) : undefined;
  const args = { ...(limit !== undefined ? { limit } : {}), ...(symbol ? { symbol } : {}), ...(kind ? { strategy: kind } : {}) };
  const which = `${kind ? ` of ${kindName(kind)}` : ''}${symbol ? ` on ${symbol}` : ''}`;
  return toolIntent('list-backtests', args, `List your ${limit !== undefined ? `last ${String(limit)} ` : ''}backtests${which}, newest first`);
}

const tokensAndBots: Rule = (p) => {
  const t = p.lower.replace(/[?!.]+$/, '').trim();
  const botCmd = /^(pause|hold|suspend|freeze|resume|unpause|continue|restart|stop|kill|shut down|turn off|disable|show|get|open|check|start|approve|run|launch)?\s*(?:the\s+|my\s+)?bot\s+#?([0-9a-f-]{4,36})$/.exec(t);
  if (botCmd && BOT_ID.test(botCmd[2]!)) {
    const verb = botCmd[1] ?? 'show';
    const botId = botCmd[2]!;
    if (/^(?:pause|hold|suspend|freeze)$/.test(verb)) return toolIntent('pause-bot', { botId }, `Pause bot ${botId} (its working orders stay)`);
    if (/^(?:resume|unpause|continue|restart)$/.test(verb)) return toolIntent('resume-bot', { botId }, `Resume bot ${botId} under its approval`);
    if (/^(?:stop|kill|shut down|turn off|disable)$/.test(verb)) return toolIntent('stop-bot', { botId }, `Stop bot ${botId} and cancel its working orders`);
    if (/^(?:start|approve|run|launch)$/.test(verb)) return { ...toolIntent('get-bot', { botId }, `Show bot ${botId}'s card for your approval`), offerStart: true };
    return toolIntent('get-bot', { botId }, `Show bot ${botId}: its card, progress, orders and performance`);
  }
  // "performance of bot 3f2a9c1e", "how is bot 3f2a9c1e doing", "bot 3f2a9c1e's p&l", "open orders of bot
  // 3f2a9c1e": its card holds its performance, position and working orders.
  const botPerf =
    /^(?:(?:show|get|see|check)\s+(?:me\s+)?)?(?:the\s+)?(?:performance|p&l|pnl|profit|stats|results?)\s+(?:of|for)\s+(?:the\s+|my\s+)?bot\s+#?([0-9a-f-]{4,36})$/.exec(t) ??
    /^how(?:\s+is|'s|\s+has)\s+(?:the\s+|my\s+)?bot\s+#?([0-9a-f-]{4,36})\s+(?:doing|performing|going|done|performed)$/.exec(t) ??
    /^(?:(?:show|get|see|check)\s+(?:me\s+)?)?(?:the\s+|my\s+)?bot\s+#?([0-9a-f-]{4,36})(?:'s)?\s+(?:performance|p&l|pnl|profit|stats|results?|(?:open\s+)?orders|positions?|holdings)$/.exec(t) ??
    /^(?:(?:show|get|see|check)\s+(?:me\s+)?)?(?:the\s+)?(?:open\s+)?(?:orders|positions?|holdings)\s+(?:of|for)\s+(?:the\s+|my\s+)?bot\s+#?([0-9a-f-]{4,36})$/.exec(t) ??
    /^what\s+(?:is|does)\s+(?:the\s+|my\s+)?bot\s+#?([0-9a-f-]{4,36})\s+(?:holding|hold|have\s+open)$/.exec(t);
  if (botPerf && BOT_ID.test(botPerf[1]!)) return toolIntent('get-bot', { botId: botPerf[1]! }, `Show bot ${botPerf[1]!}: its card, progress, orders and performance`);
  const listing = backtestList(p);
  if (listing) return listing;
  // "my last backtest", "show the latest backtest's trades": the newest run and its fills.
  if (/^(?:(?:show|get|see|open|view|check)\s+(?:me\s+)?)?(?:my\s+|the\s+)?(?:last|latest|newest|most\s+recent|previous)\s+backtest(?:'s\s+(?:results?|fills|trades))?$/.test(t)) {
    return toolIntent('get-backtest', { backtestId: 'last' }, 'Show your newest backtest: what ran, its figures beside buy-and-hold, and its fills');
  }
  // "backtest 1a2b3c4d", "show backtest 1a2b3c4d", "results of backtest 1a2b3c4d": that run and its fills.
  const shown =
    /^(?:(?:show|get|see|open|view|check)\s+(?:me\s+)?)?(?:the\s+)?(?:(?:results?|fills|trades)\s+(?:of|for)\s+)?(?:the\s+|my\s+)?backtest\s+#?([0-9a-f-]{4,36})(?:'s\s+(?:results?|fills|trades))?$/.exec(t);
  if (shown && BOT_ID.test(shown[1]!)) return toolIntent('get-backtest', { backtestId: shown[1]! }, `Show backtest ${shown[1]!}: what ran, its figures beside buy-and-hold, and its fills`);
  const compared = backtestComparison(t);
  if (compared) return compared;
  const board = strategyBoard(t);
  if (board) return board;
  if (/^(?:(?:list|show|see|view)\s+)?(?:(?:me\s+)?(?:all\s+)?(?:of\s+)?my\s+|all\s+|the\s+)?(?:trading\s+)?bots$|^(?:what|which)\s+bots\b|^(?:how are|status of) my bots\b/.test(t)) {
    return toolIntent('list-bots', {}, 'List your bots with status and limits');
  }
  if (/\b(?:staking\s+pools?|stake\s+pools?)\b|^pools$|^where can i stake\b/.test(t)) return toolIntent('list-staking-pools', {}, 'List the staking pools');
  if (/^(?:claim|collect|harvest|redeem)\b(?:\s+(?:all\s+)?(?:of\s+)?(?:my|the))?(?:\s+(?:staking|token|omni))?\s+rewards?\b|^claim(?:\s+my)?(?:\s+tokens?)?$/.test(t)) {
    return toolIntent('claim-rewards', {}, 'Claim your token rewards into your balance');
  }
  if (new RegExp(String.raw`^(?:(?:show|get|list)\s+)?(?:my\s+)?(?:${TOKEN_NOUN}|staking|reward)\s+(?:history|movements|transactions)$`).test(t)) {
    return toolIntent('get-token-history', {}, 'Show your token movements, newest first');
  }
  if (new RegExp(String.raw`^(?:(?:show|what(?:'s| is))\s+)?(?:my\s+)?${TOKEN_NOUN}\s+balance$|^how many ${TOKEN_NOUN} do i have$|^my ${TOKEN_NOUN}$|^(?:my\s+)?(?:stakes|staking balance)$`).test(t)) {
    return toolIntent('get-token-balance', {}, 'Show your token balance, stakes and rewards');
  }
  const unstake = /^unstake\s+(?:stake\s+)?([0-9a-f-]{4,36})$/.exec(t);
  if (unstake && BOT_ID.test(unstake[1]!)) return toolIntent('unstake-tokens', { stake: unstake[1]! }, `Unstake stake ${unstake[1]!}`);
  if (/^unstake\b/.test(t)) return ask('Unstake which stake? Your token balance lists them by id.', ['my token balance', 'unstake 3f2a9c1e']);
  const stake = /^stake\s+(\d[\d,]*(?:\.\d+)?)(?:\s+([a-z][a-z0-9]*))?(?:\s+(?:in|into|to|on)\s+(?:the\s+)?(?:pool\s+)?"?([a-z0-9][\w.-]{0,63})"?(?:\s+pool)?)?$/.exec(t);
  if (stake) {
    const amount = stake[1]!.replace(/,/g, '');
    const unit = stake[2];
    if (unit && !new RegExp(String.raw`^${TOKEN_NOUN}$`).test(unit)) return ask(`I stake only the platform token, not ${unit.toUpperCase().slice(0, 12)}.`, [`stake ${amount} tokens in flex`, 'staking pools']);
    if (!stake[3]) return ask('Stake in which pool?', ['staking pools', `stake ${amount} tokens in flex`]);
    return toolIntent('stake-tokens', { pool: stake[3], amount }, `Stake ${amount} tokens in pool ${stake[3]}`);
  }
  return undefined;
};

const RULES: Rule[] = [
  strategyBot, tokensAndBots, whyOrder, closeAll, cancelOrders, amendOrder, orderById, alerts, closePosition, stopLossSetter, takeProfitSetter, haltResume, risk,
  trade, prediction, sweep, backtest, shadow, performance, report, portfolios, chart, listAnalyses, marketData, accountViews, analysis, indicators, price,
];

/**
 * A message that asks to move money: a trade verb opening it or a later clause, and not a question
 * about whether to ("should I buy…", "am I long…", "is btc going to dump").
 */
const TRADE_VERB = /^(?:(?:market|limit|stop|twap|vwap)\s+)?(?:buy|sell|long|short|purchase|ape|dump|go long|go short|spend|scale into)\b(?![\s-]?(?:term|wall|walls|pressure|signals?|side|off|squeeze|interest|ratio)\b)|(?:[,;]\s*|\b(?:and|then|just|now)\s+)(?:buy|sell|long|short)\s+(?:\d|\.\d|\$|§)/;

/** A trade verb anywhere, except in phrases where the word is not an action. */
const TRADE_WORD = /\b(?:bid|offer)\s+(?:in\s+)?(?:for\s+)?(?:\d|\.\d|\$)|(?<!\bmy\s(?:§[A-T]\s)?)\b(?:buy|sell|long|short|ape|dump)\b(?![\s-]?(?:term|wall|walls|pressure|signal|signals|side|off|squeeze|interest|ratio)\b)/;

function isTradeLike(p: Prepared): boolean {
  return (TRADE_VERB.test(p.masked) || TRADE_WORD.test(p.masked)) && !OPINION.test(p.masked) &&
    !/^(?:is|are|am|was|were|do|does|did|should|would|could|can|what|which|how|why|when|who|where|any)\b/.test(p.masked);
}

/** What a trade-like message may become: a trade card, an exit on a position, a setting about orders, or a question. */
function answersTrade(intent: Intent): boolean {
  if (intent.kind === 'unknown') return !intent.text.startsWith("I didn't get that");
  if (intent.kind !== 'tool') return false;
  return intent.effect === 'trade' || ['set-stop-loss', 'set-take-profits', 'set-risk-limit', 'list-orders', 'cancel-order', 'create-alert'].includes(intent.tool);
}

/** The short question back for a trade-like message the grammar could not fill. */
function tradeQuestion(p: Prepared): Intent {
  const b = p.symbols[0]?.base ?? 'SOL';
  const side = /^(?:(?:market|limit|stop)\s+)?(?:sell|short|dump|go short)\b|\b(?:sell|short)\b/.test(p.masked) ? 'sell' : 'buy';
  return ask(`That reads like a ${side === 'sell' ? 'sell' : 'buy'}, but I couldn't tell the market, size and price. Which ${side === 'sell' ? 'one' : 'order'} do you mean?`,
    [`${side} 0.5 ${b}`, `${side} $100 of ${b}`, `${side} 1 ${b} at <price>`]);
}

/** Expands a slash command into the phrase the grammar reads; `undefined` when it is not one. */
function expandSlash(text: string): { text: string } | Intent | undefined {
  const m = /^\/([a-z_]+)(?:@[\w]+)?(?:\s+(.*))?$/i.exec(text);
  if (!m) return undefined;
  const cmd = (m[1] ?? '').toLowerCase();
  const rest = (m[2] ?? '').trim();
  if (cmd === 'help' || cmd === 'commands') return { kind: 'reply', text: HELP_TEXT };
  if (cmd === 'start') return { kind: 'reply', text: GREETING_TEXT };
  if (cmd === 'cancel' && rest === '') return { kind: 'confirm', answer: 'no' };
  if (cmd === 'confirm' || cmd === 'yes') return { kind: 'confirm', answer: 'yes' };
  if (cmd === 'no') return { kind: 'confirm', answer: 'no' };
  if (cmd === 'link') return { text: `link ${rest}` };
  // freqtrade's "/forcebuy PAIR [rate]": the number is the entry price, never the size.
  const force = /^force(?:buy|long|enter|short)$/.test(cmd) ? /^(\S+)\s+(\d[\d.,]*[km]?)$/i.exec(rest) : null;
  if (force) return { text: `${cmd === 'forceshort' ? 'short' : 'buy'} ${force[1] ?? ''} at ${force[2] ?? ''}` };
  const phrase = SLASH[cmd];
  if (phrase === undefined) return unknown(['/price sol', '/analysis btc 1d', '/positions', '/help'], `I don't know /${cmd.slice(0, 30)}`);
  return { text: rest ? `${phrase} ${rest}` : phrase };
}

const INSTRUCTIONS_REFUSAL: Intent = {
  kind: 'unknown',
  text: 'That reads like instructions to an assistant, not a trading request, so I won’t act on it. To trade, say it plainly, e.g. “buy 0.1 BTC” or “close my SOL position”.',
};

function understandPrepared(raw: string, ctx: UnderstandContext): Intent {
  const trimmed = raw.trim();
  if (trimmed === '') return unknown(DEFAULT_EXAMPLES, 'Say something and I will help');
  if (raw.length > MAX_COMMAND_LENGTH) {
    return { kind: 'unknown', text: `That's too long for a command (over ${MAX_COMMAND_LENGTH} characters); try something short like ${quoted(['price of btc and eth', 'buy $100 of SOL', 'my positions'])}.` };
  }
  const ascii = asciiSingleSpaced(raw);
  const confirmed = confirmation(trimmed, ascii.toLowerCase());
  if (confirmed) return confirmed;
  let text = stripPoliteness(ascii);
  if (text === '') return unknown();
  const community = understandCommunity(text, INJECTION.test(raw));
  if (community) return community;
  const wallets = understandWallets(text, INJECTION.test(raw), (clauses) => understandPrepared(clauses, ctx));
  if (wallets) return wallets;
  const slash = expandSlash(text);
  if (slash && isIntent(slash)) return slash;
  if (slash) text = slash.text;
  const lower = text.toLowerCase();
  const link = linkCode(lower, text);
  if (link) return link;
  const reply = helpOrGreeting(lower);
  if (reply) return reply;

  const injection = INJECTION.test(raw) || INJECTION.test(lower);
  const p = prepare(canonicalise(text), { defaultQuote: ctx.defaultQuote, knownSymbols: ctx.knownSymbols });
  let intent: Intent | undefined;
  for (const rule of RULES) {
    intent = rule(p);
    if (intent) break;
  }
  // Only when nothing else read it: one of the person's own watched wallets, by its label alone ("what
  // is smart whale doing"), or a new label or tags for one ("rename smart whale to big fish").
  const known = ctx.watchedWallets;
  const byLabel = intent || !known ? undefined : walletByLabel(text, known.map((w) => w.label).filter((l): l is string => l !== null)) ?? walletUpdate(text, known);
  if (byLabel) return injection && byLabel.kind === 'tool' && byLabel.effect !== 'read' ? INSTRUCTIONS_REFUSAL : byLabel;
  if (isTradeLike(p) && !(intent && answersTrade(intent))) return tradeQuestion(p);
  if (!intent) return unknown(examplesFor(p, lower));
  if (injection && intent.kind === 'tool' && intent.effect !== 'read') return INSTRUCTIONS_REFUSAL;
  return intent;
}

/**
 * Understands one trader message. Never throws: whatever the input, the answer is one of the Intent
 * kinds. `ctx.defaultQuote` (default USDT) completes bare tickers; `ctx.knownSymbols` adds tickers.
 */
export function understand(text: string, ctx: UnderstandContext = {}): Intent {
  try {
    return understandPrepared(typeof text === 'string' ? text : '', ctx);
  } catch {
    return unknown();
  }
}

/** The tool names the grammar can produce, for checks against the live catalogue. */
export const UNDERSTOOD_TOOLS: readonly ToolName[] = [
  'get-price', 'get-candles', 'get-order-book', 'search-markets', 'get-funding-rate', 'get-indicators', 'analyze-market',
  'get-chart', 'list-analyses', 'preview-order', 'cancel-order', 'amend-order', 'list-orders', 'get-order', 'close-position',
  'close-all-positions', 'set-stop-loss', 'set-take-profits', 'get-portfolio', 'get-balances', 'get-positions', 'get-trades',
  'get-performance', 'list-portfolios', 'create-paper-portfolio', 'get-risk-limits', 'set-risk-limit', 'get-risk-metrics',
  'halt-trading', 'resume-trading', 'create-alert', 'list-alerts', 'delete-alert', 'whoami', 'explain-order', 'get-report',
  'get-shadow', 'backtest-strategy', 'sweep-strategy', 'list-backtests', 'get-backtest', 'compare-backtests', 'get-prediction', 'list-predictions', 'get-model-scorecard', 'retrain-model',
  'get-token-balance', 'list-staking-pools', 'stake-tokens', 'unstake-tokens', 'claim-rewards', 'get-token-history', 'list-bots', 'get-bot', 'pause-bot', 'resume-bot', 'stop-bot', 'get-strategy-leaderboard',
  'get-leaderboard', 'join-leaderboard', 'leave-leaderboard', 'create-competition', 'join-competition', 'get-competition', 'list-competitions', 'cancel-competition',
  'watch-wallet', 'unwatch-wallet', 'list-watched-wallets', 'get-wallet-card', 'get-market-bias', 'create-bot',
  'share-wallet', 'unshare-wallet', 'list-community-wallets', 'follow-community-wallet',
];
