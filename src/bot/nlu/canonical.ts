// Before the grammar reads a message, the words that carry its action are brought to one spelling:
// typos of MIKEY's keywords and coin names are corrected ("pirce", "cancle", "etherium"), and the many
// ways traders say an action become the verb the grammar knows ("grab 10 sol", "ape 0.5 eth",
// "place a limit buy for 2 eth at 3000", "dump all my eth", "20x long btc 0.01", "if btc hits 60k
// buy 0.1"). Only the action's words are rewritten; the rest keeps the trader's casing, so capital
// tickers stay tickers. Pure and deterministic.
import { NUMBER_SOURCE, parseNumberToken, shiftDecimal } from './numbers.js';

/**
 * Keywords a typo is corrected to. A word is corrected when it is one adjacent swap away from a
 * keyword ("pirce", "chrat"), one letter added ("aleart"), or, for keywords of six letters or more,
 * one letter dropped or changed ("postions", "etherium"); never when it is the keyword with a suffix
 * ("closed", "alerts").
 */
const KEYWORDS = [
  'price', 'chart', 'close', 'alert', 'alerts', 'order', 'orders', 'cancel', 'analyze', 'analyse', 'position', 'positions',
  'balance', 'balances', 'portfolio', 'ethereum', 'bitcoin', 'solana', 'dogecoin', 'cardano', 'avalanche', 'polkadot',
  'litecoin', 'chainlink', 'leverage', 'profit', 'performance', 'trading',
];
const KEYWORD_SET = new Set(KEYWORDS);
/** Words that look like a typo of a keyword but are words of their own. */
const REAL_WORDS = new Set(['clone', 'closer', 'chat', 'charts', 'prince', 'pride', 'prize', 'border', 'orbit', 'alter', 'later', 'alerting', 'ordered', 'profits', 'trade', 'trader', 'traders', 'positive', 'analyst', 'analysts']);

function oneEditAway(word: string, kw: string): boolean {
  if (word === kw) return false;
  if (word.length === kw.length) {
    const diff: number[] = [];
    for (let i = 0; i < word.length; i++) if (word[i] !== kw[i]) diff.push(i);
    const [a, b] = diff;
    if (diff.length === 2 && a !== undefined && b === a + 1 && word[a] === kw[b] && word[b] === kw[a]) return true;
    return kw.length >= 6 && diff.length === 1;
  }
  // A letter dropped counts from six letters ("lose" is not "close"); one added from five ("aleart").
  if (Math.abs(word.length - kw.length) !== 1 || kw.length < (word.length < kw.length ? 6 : 5)) return false;
  const [short, long] = word.length < kw.length ? [word, kw] : [kw, word];
  let i = 0;
  while (i < short.length && short[i] === long[i]) i++;
  return short.slice(i) === long.slice(i + 1);
}

function corrected(word: string): string | undefined {
  const w = word.toLowerCase();
  if (w.length < 4 || KEYWORD_SET.has(w) || REAL_WORDS.has(w)) return undefined;
  for (const kw of KEYWORDS) {
    if (w.startsWith(kw) || kw.startsWith(w)) continue;
    if (oneEditAway(w, kw)) return kw;
  }
  return undefined;
}

/** Corrects typos of keywords and coin names, word by word. */
export function fixTypos(text: string): string {
  return text.replace(/[A-Za-z]{4,}/g, (word, at: number) => {
    if (at > 0 && /[$\w/-]/.test(text[at - 1] ?? '')) return word;
    return corrected(word) ?? word;
  });
}

const N = `(?:${NUMBER_SOURCE})`;

const SATS = new RegExp(`(${N})\\s*(?:sats?|satoshis?)\\b(?:\\s+(?:of\\s+)?(?:btc|bitcoin))?`, 'gi');

/** "100k sats" → "0.001 btc". */
function satsToBtc(text: string): string {
  return text.replace(SATS, (whole, n: string) => {
    const v = parseNumberToken(n);
    return v === undefined ? whole : `${shiftDecimal(v, -8)} btc`;
  });
}

/** [pattern, replacement]: applied in order, each at most once. */
const REWRITES: Array<[RegExp, string]> = [
  // Misspelt or clipped verbs at the start.
  [/^(?:buyy+|by|bui)(?=\s+(?:\$|\d|\.\d))/i, 'buy'],
  [/^sel(?=\s)/i, 'sell'],
  // Leverage written before the verb: "20x long btc 0.01", "x5 long eth".
  [/^(\d+(?:\.\d+)?x|x\d+(?:\.\d+)?)\s+(long|short|buy|sell)\b(.*)$/i, '$2$3 $1'],
  // A condition before the verb: "if btc hits 60k buy 0.1" → "buy 0.1 if btc hits 60k".
  [/^((?:if|when|once|as soon as)\s+.+?)\s*,?\s+(?:then\s+)?((?:market\s+|limit\s+)?(?:buy|sell|long|short))\b(.*)$/i, '$2$3 $1'],
  // Placing an order in words: "place a limit buy for 2 eth", "set a limit order to buy", "put in a bid for".
  [/^(?:place|put in|put|set|submit|enter|create|make|open)\s+(?:me\s+)?(?:a|an)\s+(limit|market|stop[\s-]limit)\s+order\s+to\s+(buy|sell)\b/i, '$1 $2'],
  [/^(?:place|put in|put|set|submit|enter|create|make)\s+(?:me\s+)?(?:a|an)\s+stop(?:[\s-]loss)?(?:\s+order)?\s+to\s+(buy|sell)\b/i, 'stop $1'],
  [/^(?:place|put in|put|set|submit|enter|create|make)\s+(?:me\s+)?(?:a|an)\s+(?:(limit|market|stop[\s-]limit|stop)\s+)?(buy|sell)(?:\s+order)?(?:\s+(?:for|of|on))?\b/i, '$1 $2'],
  [/^(?:place|put in|put|set|submit|enter|make)\s+(?:me\s+)?(?:a|an)\s+trailing[\s-]stop\s+(?:on|for)\s+(.+?)\s+(?:of|at|by)\s+(.+)$/i, 'sell $1 trailing stop $2'],
  [/^(?:place|put in|put|set|submit|make|leave)\s+(?:me\s+)?(?:a|an)\s+bid\s+(?:in\s+)?(?:for|of|on)?\b/i, 'limit buy'],
  [/^bid\b/i, 'limit buy'],
  // Opening a position: "open a short on eth", "go short on", "shorting", "leverage long".
  [/^(?:open|opening|enter|entering|put on|start|take)\s+(?:a\s+|an\s+|my\s+)?(?:(\d+(?:\.\d+)?x)\s+)?(long|short)(?:\s+position)?(?:\s+(?:on|in|for))?\b/i, '$2 $1'],
  [/^go\s+(long|short)\s+(?:on|in)\b/i, '$1'],
  [/^(?:leverage|leveraged|lev)\s+(long|short)\b/i, '$1'],
  [/^(long|short)ing\b/i, '$1'],
  [/^(?:yolo|yoloing|full send)\b/i, 'ape'],
  [/^(?:ape|aping|aped)\s+(\S+)\s+(into|in|on)\b/i, 'spend $1 $2'],
  [/^(?:ape|aping|aped)\s+(?=\$|\d|\.\d)/i, 'buy '],
  // Buying in slang: "grab 10 sol", "get me 0.3 btc", "scoop 1000 doge", "add 2 sol to my bag".
  [/^(?:get me|get|grab(?: me)?|pick up|pickup|scoop(?: up)?|load up on|load up|snag|cop|nab|buy me|stack|add|accumulate|i want|i'll take|ill take|gimme)\s+(?=\$|\d|\.\d|some\b|a bit\b|more\b)/i, 'buy '],
  [/^(?:dca|throw|chuck)\s+(?=\$|\d|\.\d)/i, 'spend '],
  // Selling in slang; "dump all my eth" is a close of the position, as "sell all my eth" is.
  [/^(?:dump|dumping|offload|unload|liquidate|ditch|trim|reduce|market out of|bail (?:on|out of))\b/i, 'sell'],
  [/^(?:get (?:me )?out of|nuke|exit out of)\b/i, 'close'],
  [/^(?:get|go)\s+flat$/i, 'close everything'],
];

/** First words some rewrite starts with: any other message skips the rewrites (they are anchored). */
const REWRITE_STARTS = new Set([
  'buyy', 'buyyy', 'by', 'bui', 'sel', 'if', 'when', 'once', 'as', 'place', 'put', 'set', 'submit', 'enter', 'create', 'make', 'leave', 'open',
  'opening', 'entering', 'start', 'take', 'go', 'bid', 'leverage', 'leveraged', 'lev', 'longing', 'shorting', 'yolo', 'yoloing', 'full', 'ape',
  'aping', 'aped', 'get', 'grab', 'pick', 'pickup', 'scoop', 'load', 'snag', 'cop', 'nab', 'buy', 'stack', 'add', 'accumulate', 'i', "i'll",
  'ill', 'gimme', 'dca', 'throw', 'chuck', 'dump', 'dumping', 'offload', 'unload', 'liquidate', 'ditch', 'trim', 'reduce', 'market', 'bail',
  'nuke', 'exit',
]);

/** The message with typos corrected, sats in BTC, and the action's words in the grammar's spelling. */
export function canonicalise(text: string): string {
  let s = fixTypos(text);
  if (/sat/i.test(s)) s = satsToBtc(s);
  const first = /^\S*/.exec(s)?.[0].toLowerCase() ?? '';
  if (!REWRITE_STARTS.has(first) && !/^(?:\d|x\d)/.test(first)) return s;
  for (const [re, to] of REWRITES) s = s.replace(re, to);
  return s.replace(/\s+/g, ' ').trim();
}
