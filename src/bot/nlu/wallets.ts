// Wallet intelligence in chat (issue 13): watching, unwatching and listing whales, a wallet's card,
// the whale bias of an asset, whale alerts, and a bot from a backtest → watch-wallet / unwatch-wallet
// / list-watched-wallets / get-wallet-card / get-market-bias / create-alert (whale_move leaf) /
// create-bot (fromBacktest), with the arguments the tools define. Runs before the trading rules, on
// the message as the trader cased it (labels keep their capitals), and only on its own nouns and
// shapes (a 0x address, "whale", "wallet", "smart money", "from … backtest"), so "wallet balance",
// "what is eth doing", "start bot 3f2a9c1e" and "stop loss" keep their meanings.
//
// Decisions:
// - An address is passed as written (the service checks it and its EIP-55 checksum); a 0x token that
//   is not 40 hex digits is a question back, never a guess. A label follows "as", "called", "named"
//   (quoted or not). A chain is named only when written ("on hyperliquid", "hyperliquid trader").
// - A wallet's card or unwatch by label needs the noun ("whale big fish", "remove wallet big fish")
//   or a watch verb ("stop tracking smart whale"); "what is … doing" reads a card for an address, or
//   for one of the person's own labels when the chat passes them (`walletByLabel`, after the rest).
// - Whale bias needs "whale(s)" or "smart money" with a bias word (bias, sentiment, doing, buying,
//   selling, positioning, flow) and an asset; timeframes are the tool's: 1h, 4h, 24h (1d = 24h).
// - A whale alert needs a size ("$1M of ETH"); credibility ("credibility 7", "1h credibility above 8")
//   defaults to 0 (any watched wallet), the window to 4h, the look-back to 60 minutes; "whenever" /
//   "every time" makes it repeat. Clauses after "and" ("and eth rsi 1h below 35") are read by the
//   ordinary alert grammar and combined under `all`.
// - A bot from a backtest needs both limits (most per order, most per day): the tool requires them,
//   so without them it is a question back naming the phrasing that works.
// - Shared community watchlists need the group named ("with the group", "from the community", "group
//   wallets") or, for sharing, the wallet noun ("share whale fund a"), so "share" elsewhere keeps its
//   meaning; "follow smart whale" alone stays a question (it could be a watch of an address).
// - A message that reads like instructions to an assistant gets no change (only reads).
import { D } from '../../domain/money.js';
import { NUMBER_SOURCE, parseNumberToken } from './numbers.js';
import { toolIntent, type Intent, type KnownWallet, type ToolName } from './intent.js';

const READS = new Set<ToolName>(['list-watched-wallets', 'get-wallet-card', 'get-market-bias', 'list-community-wallets']);
const ADDRESS = /(?<![0-9a-z])0x[0-9a-f]{40}(?![0-9a-z])/i;
const HEXISH = /(?<![0-9a-z])0x[0-9a-z]*(?![0-9a-z])/i;
const NUM = `(${NUMBER_SOURCE})`;
const NOUN = String.raw`(?:(?:the|this|that|my)\s+)?(?:(?:hyperliquid|hl|ethereum|eth)\s+)?(?:wallet|whale|address|trader|account)`;
const WATCH_VERB = String.raw`(?:watch|track|follow|monitor|add|start\s+(?:watching|tracking|following|monitoring)|keep\s+(?:an\s+)?eye\s+on|keep\s+tabs\s+on|subscribe\s+to)`;
const UNWATCH_VERB = String.raw`(?:unwatch|untrack|unfollow|unsubscribe\s+from|stop\s+(?:watching|tracking|following|monitoring))`;
const REMOVE_VERB = String.raw`(?:remove|delete|drop|forget)`;
const LABEL_WORD = String.raw`(?:as|called|named|labell?ed|label|nicknamed|and\s+call\s+it)`;
const NOT_A_LABEL = /^(?:balances?|funds?|value|holdings|positions?|bias|alerts?|list|card|cards|watching|tracking|activity|moves?|flows?|sentiment|on|for|of|in|at|to)\b/i;
const TIMEFRAME = /\b(1h|4h|24h|1d|1\s?hour|4\s?hours?|24\s?hours?|day|daily|hourly)\b/i;
const MAX_LABEL = 40;

function ask(question: string, examples: readonly string[]): Intent {
  const q = examples.map((e) => `“${e}”`);
  return { kind: 'unknown', text: `${question} Try ${q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`}.` };
}

const unquote = (s: string): string => s.trim().replace(/^["'“‘]+|["'”’]+$/g, '').trim();

/** "on hyperliquid", "hyperliquid trader", "on ethereum" → the chain written, if any. */
function chainOf(text: string): 'ethereum' | 'hyperliquid' | undefined {
  if (/\b(?:hyperliquid|hl)\b/i.test(text)) return 'hyperliquid';
  if (/\b(?:on|at)\s+(?:ethereum|eth\s+mainnet|mainnet)\b|\bethereum\s+(?:wallet|address|whale)\b/i.test(text)) return 'ethereum';
  return undefined;
}

const stripChain = (s: string): string => s.replace(/\s+(?:on|at)\s+(?:hyperliquid|hl|ethereum|mainnet)$/i, '').trim();

/** The label after "as …" / "called …", as written; undefined without one. */
function labelOf(afterAddress: string): string | undefined {
  const m = new RegExp(String.raw`(?:^|\s)${LABEL_WORD}\s+(.+)$`, 'i').exec(afterAddress);
  if (!m) return undefined;
  const raw = m[1]!.trim();
  const quoted = /^["'“‘]([^"'”’]+)["'”’]/.exec(raw);
  const label = quoted ? quoted[1]!.trim() : unquote(stripChain(raw));
  return label.length > 0 ? label.slice(0, MAX_LABEL) : undefined;
}

const badAddress = (): Intent =>
  ask('A wallet is 0x followed by 40 hex digits; that one is not.', ['watch 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed as smart whale', 'my whales']);

function withChain(args: Record<string, unknown>, chain: string | undefined): Record<string, unknown> {
  return chain ? { ...args, chain } : args;
}

/** Ethereum blocks in a day (12 s slots), to turn "7 days of history" into a block count. */
const BLOCKS_PER_DAY = 7_200;
/** A trailing "with the last 7 days of history" / "and backfill 20000 blocks". */
const BACKFILL = /\s*,?\s+(?:with|and\s+backfill|backfill(?:ing)?|incl(?:uding)?|plus)\s+(?:the\s+)?(?:last\s+|past\s+)?(\d{1,3}(?:,\d{3})+|\d+)\s+(days?|blocks?)(?:\s+of\s+(?:history|its\s+history|past\s+moves))?\s*$/i;

function watch(text: string): Intent | undefined {
  const backfill = BACKFILL.exec(text);
  const t = backfill ? text.slice(0, backfill.index) : text;
  const m = new RegExp(String.raw`^${WATCH_VERB}\s+(?:(?:a|the|this|that|new)\s+)?(?:(hyperliquid|hl|ethereum)\s+)?(?:(wallet|whale|address|trader|account)\s+)?(.*)$`, 'i').exec(t);
  if (!m) return undefined;
  const rest = m[3] ?? '';
  const address = ADDRESS.exec(rest);
  if (!address) {
    if (HEXISH.test(rest)) return badAddress();
    if (m[2]) return ask('Watch which address? I need the wallet as 0x followed by 40 hex digits.', ['watch 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed as smart whale']);
    return undefined;
  }
  if (address.index > 0 && !/^(?:(?:on\s+)?(?:hyperliquid|hl|ethereum)\s+)?(?:(?:wallet|whale|address|trader|account)\s+)?$/i.test(rest.slice(0, address.index))) return undefined;
  const after = rest.slice(address.index + address[0].length);
  const label = labelOf(after);
  const chainText = `${m[1] ?? ''} ${label ? after.slice(0, after.toLowerCase().search(new RegExp(String.raw`(?:^|\s)${LABEL_WORD}\s`, 'i'))) : after}`;
  const args: Record<string, unknown> = { address: address[0] };
  const chain = chainOf(chainText);
  if (chain) args.chain = chain;
  if (label) args.label = label;
  let history = '';
  if (backfill) {
    const n = Number(backfill[1]!.replace(/,/g, ''));
    const days = /^day/i.test(backfill[2]!);
    // Days on Ethereum become blocks (capped by the tool's bound); blocks on Hyperliquid are left to the tool to refuse.
    if (days && chain === 'hyperliquid') args.backfillDays = n;
    else args.backfillBlocks = days ? Math.min(n * BLOCKS_PER_DAY, 50_000) : n;
    history = `, with ${String(n)} ${days ? 'days' : 'blocks'} of history`;
  }
  return toolIntent('watch-wallet', args, `Watch ${address[0].slice(0, 6)}…${address[0].slice(-4)}${label ? ` as "${label}"` : ''}${chain ? ` on ${chain}` : ''}${history}`);
}

/** An address or a label after a verb/noun; a bare label must be plain and short. */
function walletRef(rest: string): { wallet: string; chain?: string } | Intent | undefined {
  const address = ADDRESS.exec(rest);
  if (address) {
    const chain = chainOf(rest.slice(address.index + address[0].length));
    return { wallet: address[0], ...(chain ? { chain } : {}) };
  }
  if (HEXISH.test(rest)) return badAddress();
  const label = unquote(stripChain(rest));
  if (label === '' || label.length > MAX_LABEL || NOT_A_LABEL.test(label) || /[<>]/.test(label)) return undefined;
  const chain = chainOf(rest.slice(label.length));
  return { wallet: label, ...(chain ? { chain } : {}) };
}

function unwatch(t: string): Intent | undefined {
  const m = new RegExp(String.raw`^(?:${UNWATCH_VERB}(?:\s+${NOUN})?|${REMOVE_VERB}\s+${NOUN})(?:\s+(.*))?$`, 'i').exec(t);
  if (!m) return undefined;
  const rest = (m[1] ?? '').trim();
  if (rest === '') return ask('Which wallet? Name it by its address or your label.', ['stop watching smart whale', 'unwatch 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'my whales']);
  const ref = walletRef(rest);
  if (!ref || 'kind' in ref) return ref;
  return toolIntent('unwatch-wallet', withChain({ wallet: ref.wallet }, ref.chain), `Stop watching ${ref.wallet}`);
}

function list(t: string): Intent | undefined {
  const hit =
    /^(?:(?:list|show|see|view|get)\s+)?(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:my\s+|the\s+)?(?:watched|tracked|followed)\s+(?:wallets|whales|addresses|traders)$/i.test(t) ||
    /^(?:(?:list|show|see|view|get)\s+)?(?:me\s+)?(?:all\s+)?(?:of\s+)?my\s+(?:whales|whale\s+list|wallet\s+watch\s?list|watch\s?list\s+of\s+wallets)$/i.test(t) ||
    /^(?:which|what)\s+(?:wallets|whales|addresses)\s+(?:am\s+i|do\s+i|are\s+we)\s+(?:watching|tracking|following|monitoring)$/i.test(t) ||
    /^(?:(?:list|show|see|view)\s+)?(?:me\s+)?(?:the\s+|all\s+)?(?:whales|wallets)\s+(?:i|we)(?:'m|\s+am|\s+are)?\s+(?:follow|watch|track|monitor)(?:ing)?$/i.test(t) ||
    /^(?:whales|whale\s+list|watchlist\s+of\s+wallets)$/i.test(t);
  return hit ? toolIntent('list-watched-wallets', {}, 'List the wallets you watch with their scores') : undefined;
}

function card(t: string): Intent | undefined {
  const doing = /^(?:what(?:'s|\s+is|\s+has)|whats)\s+(0x[0-9a-z]+)\s+(?:been\s+)?(?:doing|up\s+to)(?:\s+lately)?$/i.exec(t);
  if (doing) {
    if (!ADDRESS.test(doing[1]!)) return badAddress();
    return toolIntent('get-wallet-card', { wallet: doing[1]! }, 'Show the wallet\'s card');
  }
  const m = /^(?:(?:show|check|open|get|see|view)\s+(?:me\s+)?(?:the\s+)?)?(?:(?:whale|wallet)(?:\s+card)?(?:\s+(?:for|of|on))?|card\s+(?:of|for)|info\s+(?:on|for)\s+(?:whale|wallet))\s+(.+)$/i.exec(t);
  if (!m) return undefined;
  const verb = /^(?:show|check|open|get|see|view|card|info)\b/i.test(t) || /^whale\b/i.test(t) || /^wallet\s+card\b/i.test(t);
  const rest = m[1]!;
  if (!ADDRESS.test(rest) && !verb) return undefined;
  const ref = walletRef(rest);
  if (!ref || 'kind' in ref) return ref;
  return toolIntent('get-wallet-card', withChain({ wallet: ref.wallet }, ref.chain), `Show ${ref.wallet}'s card: score, recent moves and positions`);
}

/** "the group", "this community", "the server", "here": the community a shared-watchlist phrase means. */
const GROUP = String.raw`(?:(?:the|this|our|my)\s+)?(?:group|community|server|chat|channel|guild)|here|everyone|everybody`;
const GROUPS = String.raw`(?:(?:the|this|our)\s+)?(?:group|community|server|guild)(?:'s|s')?`;

/** A wallet reference, optionally renamed for the community ("… as fund a"). */
function refWithLabel(rest: string): { ref: { wallet: string; chain?: string } | Intent | undefined; label?: string } {
  const m = new RegExp(String.raw`^(.*?)\s+${LABEL_WORD}\s+(.+)$`, 'i').exec(rest);
  if (!m) return { ref: walletRef(rest) };
  const label = labelOf(`as ${m[2]!}`);
  return { ref: walletRef(m[1]!), ...(label ? { label } : {}) };
}

/**
 * Shared community watchlists: "share smart whale with the group", "unshare smart whale", "stop
 * sharing 0x…", "group wallets", "follow smart whale from the group", "follow the group's whale fund a".
 * Sharing and following need the group named (or the wallet noun), so "share" elsewhere keeps its meaning.
 */
function community(t: string): Intent | undefined {
  const listed =
    new RegExp(String.raw`^(?:(?:list|show|see|view|get)\s+(?:me\s+)?)?(?:all\s+)?(?:the\s+)?(?:${GROUPS}|shared|community)\s+(?:wallets|whales|watch\s?list|whale\s+list)$`, 'i').test(t) ||
    new RegExp(String.raw`^(?:(?:list|show|see|view)\s+(?:me\s+)?)?(?:the\s+)?(?:wallets|whales)\s+(?:shared\s+(?:with|in)\s+(?:${GROUP})|(?:the\s+)?(?:group|community|server)\s+(?:shares|shared|watches|follows))$`, 'i').test(t) ||
    /^(?:which|what)\s+(?:wallets|whales)\s+(?:does|did|has)\s+(?:the|this|our)\s+(?:group|community|server)\s+(?:share|shared|watch|follow)$/i.test(t);
  if (listed) return toolIntent('list-community-wallets', {}, 'List the wallets shared with this community');

  const unshare = new RegExp(String.raw`^(?:unshare|stop\s+sharing|(?:remove|take\s+down)\s+(?:the\s+)?shared(?:\s+(?:wallet|whale))?)\s+(?:(?:the\s+)?(?:wallet|whale)\s+)?(.+?)(?:\s+(?:with|from|in)\s+(?:${GROUP}))?$`, 'i').exec(t);
  if (unshare) {
    const ref = walletRef(unshare[1]!);
    if (!ref || 'kind' in ref) return ref ?? ask('Unshare which wallet? Name it by its address or the label the group sees.', ['unshare smart whale', 'group wallets']);
    return toolIntent('unshare-wallet', withChain({ wallet: ref.wallet }, ref.chain), `Unshare ${ref.wallet} from this community`);
  }

  const share = new RegExp(String.raw`^(?:share|post|publish)\s+(?:my\s+)?(?:(?:the\s+)?(wallet|whale|trader)\s+)?(.+?)(\s+(?:with|to|in)\s+(?:${GROUP}))?(?:\s+${LABEL_WORD}\s+(.+))?$`, 'i').exec(t);
  if (share && (share[1] || share[3])) {
    const named = refWithLabel(share[2]!);
    const ref = named.ref;
    const label = share[4] ? labelOf(`as ${share[4]}`) : named.label;
    if (!ref || 'kind' in ref) return ref ?? ask('Share which of your watched wallets? Name it by its address or your label.', ['share smart whale with the group', 'my whales']);
    return toolIntent('share-wallet', withChain({ wallet: ref.wallet, ...(label ? { label } : {}) }, ref.chain), `Share ${ref.wallet}${label ? ` as "${label}"` : ''} with this community`);
  }

  const follow =
    new RegExp(String.raw`^(?:follow|copy|watch|track)\s+(?:the\s+)?(?:${GROUPS}|shared|community)\s+(?:wallet|whale|trader)\s+(.+)$`, 'i').exec(t) ??
    new RegExp(String.raw`^(?:follow|copy|watch|track)\s+(?:(?:the\s+)?(?:wallet|whale|trader)\s+)?(.+?)\s+(?:from|in|shared\s+(?:in|with|by))\s+(?:${GROUP})$`, 'i').exec(t);
  if (follow) {
    const { ref, label } = refWithLabel(follow[1]!);
    if (!ref || 'kind' in ref) return ref ?? ask('Follow which shared wallet? Name it by the label the group sees or its address.', ['follow smart whale from the group', 'group wallets']);
    return toolIntent('follow-community-wallet', withChain({ wallet: ref.wallet, ...(label ? { label } : {}) }, ref.chain), `Follow ${ref.wallet} from this community: its moves will be pushed to you`);
  }
  return undefined;
}

function timeframeOf(text: string): '1h' | '4h' | '24h' | undefined {
  const m = TIMEFRAME.exec(text);
  if (!m) return undefined;
  const w = m[1]!.toLowerCase().replace(/\s/g, '');
  if (w === '1h' || w === '1hour' || w === 'hourly') return '1h';
  if (w.startsWith('4')) return '4h';
  return '24h';
}

/** The asset a message names: the first ticker-like word that is not a grammar word. */
const NOT_ASSET = new Set(['whale', 'whales', 'smart', 'money', 'bias', 'sentiment', 'for', 'on', 'of', 'in', 'the', 'what', 'are', 'is', 'doing', 'buying', 'selling',
  'over', 'positioning', 'flow', 'flows', 'leaning', 'lean', 'a', 'an', 'to', 'about', 'with', 'and', 'now', 'right', 'today', 'h', 'hour', 'hours', 'day', 'daily', 'hourly', 'last', 'past', 'show', 'me', 'get', 'tell',
  'how', 'do', 'does', 'they', 'see', 'any', 'there', 'net', 'long', 'short', 'into', 'out', 'at', 'my', 'our', 'current', 'market']);

function assetOf(text: string): string | undefined {
  for (const w of text.split(/[^A-Za-z0-9/-]+/)) {
    const word = w.replace(/[/-](?:usdt|usdc|usd|perp)$/i, '');
    if (!/^[A-Za-z][A-Za-z0-9]{1,9}$/.test(word) || NOT_ASSET.has(word.toLowerCase()) || TIMEFRAME.test(word)) continue;
    return word.toUpperCase();
  }
  return undefined;
}

function bias(t: string, slashRest?: string): Intent | undefined {
  let body: string;
  if (slashRest !== undefined) body = slashRest;
  else {
    // Many whales or smart money; one "whale" only as in "whale bias" (a single whale is a card).
    const whaleWord = /\b(?:whales|smart[\s-]money)\b|\bwhale[\s-](?:bias|sentiment|positioning|flows?)\b/i.test(t);
    const biasWord = /\b(?:bias|sentiment|positioning|flows?|doing|buying|selling|leaning|lean)\b/i.test(t);
    if (!whaleWord || !biasWord || ADDRESS.test(t) || HEXISH.test(t)) return undefined;
    if (/\b(?:alert|notify|ping|tell\s+me\s+when|let\s+me\s+know|remind)\b/i.test(t)) return undefined;
    body = t;
  }
  const symbol = assetOf(body);
  const timeframe = timeframeOf(body);
  if (!symbol) return ask('The whale bias of which asset?', ['whale bias for ETH', 'what are whales doing on BTC 4h']);
  const args: Record<string, unknown> = { symbol };
  if (timeframe) args.timeframe = timeframe;
  return toolIntent('get-market-bias', args, `Whale bias of ${symbol}${timeframe ? ` over ${timeframe}` : ''}`);
}

/** "$1M", "2m", "500k", "$2,000" → a whole-dollar decimal string. */
function usd(token: string): string | undefined {
  const cleaned = token.replace(/\s*(?:usd[tc]?|dollars?|bucks)$/i, '').replace(/\s+/g, '').replace(/million$/i, 'm').replace(/thousand$/i, 'k').replace(/billion$/i, 'b');
  const v = parseNumberToken(cleaned);
  if (!v) return undefined;
  const d = new D(v);
  return d.gt(0) ? d.toFixed() : undefined;
}

const ALERT_ASK = /\b(?:alert|notify|ping|tell|remind|warn|message|text)\s+me\b|\blet\s+me\s+know\b|^(?:set|create|add|make)\s+(?:up\s+)?(?:an?\s+)?(?:whale\s+)?alert\b/i;
const SIDE = String.raw`(buys?|buying|bought|accumulates?|sells?|selling|sold|dumps?|distributes?|moves?|moving|trades?|shifts?)`;
const SIZE = String.raw`(\$?\s?\d[\d,]*(?:\.\d+)?\s*(?:k|m|mm|b|bn|million|thousand|billion)?)`;

function whaleAlert(input: string, otherClauses: (text: string) => Intent): Intent | undefined {
  // "whale alert for eth over $5m" reads as "alert me when a whale moves $5m of eth".
  const short = new RegExp(String.raw`^(?:set\s+(?:up\s+)?|create\s+|add\s+)?(?:an?\s+)?whale\s+alert\s+(?:for|on)\s+([a-z][a-z0-9]{1,9})\s+(?:over|above|of\s+at\s+least|at\s+least|>=?)\s+${SIZE}$`, 'i').exec(input);
  const t = short ? `alert me when a whale moves ${short[2]!} of ${short[1]!}` : input;
  if (!ALERT_ASK.test(t) || !/\b(?:whales?|smart[\s-]money)\b/i.test(t)) return undefined;
  const when = /\b(?:when(?:ever)?|if|once|as\s+soon\s+as|every\s+time|each\s+time|any\s*time)\s+(.*)$/i.exec(t);
  if (!when) return undefined;
  const repeat = /\b(?:whenever|every\s+time|each\s+time|any\s*time)\b/i.test(t);
  const clauses = when[1]!.split(/\s+and\s+(?=\S)/i);
  const at = clauses.findIndex((c) => /\b(?:whales?|smart[\s-]money)\b/i.test(c));
  if (at < 0) return undefined;
  const whaleClause = clauses[at]!;
  const rest = clauses.filter((_, i) => i !== at).join(' and ');
  const m = new RegExp(String.raw`\b${SIDE}\s+(?:more\s+than\s+|over\s+|at\s+least\s+|above\s+|>=?\s*)?${SIZE}\s*(?:usd[tc]?\s+|dollars?\s+)?(?:worth\s+)?(?:of|in)\s+([a-z][a-z0-9]{1,9})\b`, 'i').exec(whaleClause);
  if (!m) {
    const a = assetOf(whaleClause.replace(/\b(?:credib\w*|a|with|when|buys?|sells?|moves?)\b/gi, ' ')) ?? 'ETH';
    return ask('How big a move should it be?', [`alert me when a whale with credibility 7 buys $1M of ${a}`, `notify me if a whale sells more than $500k of ${a}`]);
  }
  const verb = m[1]!.toLowerCase();
  const side = /^(?:buy|bough|accum)/.test(verb) ? 'buy' : /^(?:sel|sold|dump|distr)/.test(verb) ? 'sell' : 'either';
  const minNotionalUsd = usd(m[2]!);
  if (!minNotionalUsd) return ask('How big a move should it be?', ['alert me when a whale buys $1M of ETH']);
  const asset = m[3]!.toUpperCase();
  const cred = /\b(?:(1h|4h|24h)\s+)?credibility(?:\s+score)?(?:\s+(?:of\s+)?(?:at\s+least|above|over|of|>=?|≥))?\s*(\d+(?:\.\d+)?)\b/i.exec(whaleClause);
  const within = /\bwithin\s+(?:the\s+(?:last|past)\s+)?(\d{1,4})\s*(minutes?|mins?|m|hours?|hrs?|h)\b/i.exec(whaleClause);
  const withinMinutes = within ? Number(within[1]) * (/^h/i.test(within[2]!) ? 60 : 1) : 60;
  const condition = {
    type: 'whale_move',
    asset,
    side,
    minNotionalUsd,
    minCredibility: cred ? Math.min(10, Number(cred[2])) : 0,
    window: (cred?.[1]?.toLowerCase() as '1h' | '4h' | '24h' | undefined) ?? '4h',
    withinMinutes: Math.min(1440, Math.max(1, withinMinutes)),
  };
  let full: Record<string, unknown> = condition;
  let restSummary = '';
  if (rest.trim() !== '') {
    const other = otherClauses(`alert me when ${rest}`);
    if (other.kind !== 'tool' || other.tool !== 'create-alert') return other.kind === 'unknown' ? other : undefined;
    const c = other.args.condition as { type: string; conditions?: unknown[] };
    full = { type: 'all', conditions: [condition, ...(c.type === 'all' ? c.conditions ?? [] : [c])] };
    restSummary = ` and ${other.summary.replace(/^Alert (?:once|every time) when /, '')}`;
  }
  const who = condition.minCredibility > 0 ? `a wallet with ${condition.window} credibility ≥ ${String(condition.minCredibility)}` : 'a watched wallet';
  const verbText = side === 'buy' ? 'buys' : side === 'sell' ? 'sells' : 'moves';
  return toolIntent('create-alert', repeat ? { condition: full, mode: 'repeat' } : { condition: full },
    `Alert ${repeat ? 'every time' : 'once'} when ${who} ${verbText} ≥ $${minNotionalUsd} of ${asset} within ${String(condition.withinMinutes)} min${restSummary}`);
}

export const LIMITS_QUESTION = 'A bot needs the limits you approve: the most per order and the most per day.';
const PER_ORDER = new RegExp(String.raw`${NUM}\s*(?:usd[tc]?|dollars?)?\s*(?:per|an?|each|/)\s*(?:order|trade)\b`, 'i');
const PER_DAY = new RegExp(String.raw`${NUM}\s*(?:usd[tc]?|dollars?)?\s*(?:(?:per|an?|each|/)\s*day|daily)\b`, 'i');

const LIMIT_CONTEXT = /\b(?:max(?:imum)?|at\s+most|up\s+to|limits?|cap(?:ped)?|no\s+more\s+than)\b|\b(?:per|an?|each)\s+(?:order|trade)\b/i;

/**
 * The limit `re` matches in `text`: of several ("$50 a day with max 1000 per day" for a DCA bot), the
 * first said as a limit (after "max", "at most", … or the per-order limit, within its clause).
 */
function limitMatch(text: string, re: RegExp): RegExpExecArray | null {
  const all = [...text.matchAll(new RegExp(re.source, 'gi'))];
  if (all.length <= 1) return all[0] ?? null;
  const clause = (m: RegExpExecArray): string => text.slice(Math.max(0, m.index - 40), m.index).split(/[,;]/).at(-1) ?? '';
  return all.find((m) => LIMIT_CONTEXT.test(clause(m))) ?? all[0]!;
}

/** The bot limits a message gives ("max 100 per order and 1000 per day"), with the text they were said in; undefined unless both are. */
export function approvalLimits(text: string): { maxOrderNotional: string; maxDailyNotional: string; said: string[] } | undefined {
  const perOrder = limitMatch(text, PER_ORDER);
  const perDay = limitMatch(text, PER_DAY);
  const maxOrderNotional = perOrder ? parseNumberToken(perOrder[1]!) : undefined;
  const maxDailyNotional = perDay ? parseNumberToken(perDay[1]!) : undefined;
  return maxOrderNotional && maxDailyNotional ? { maxOrderNotional, maxDailyNotional, said: [perOrder![0], perDay![0]] } : undefined;
}

function botFromBacktest(t: string): Intent | undefined {
  const m = /^(?:start|create|make|launch|run|spin\s+up|build|set\s+up|new)\s+(?:a\s+|the\s+|my\s+|new\s+)*(?:trading\s+)?bot\s+(?:from|off|off\s+of|based\s+on|using|out\s+of|with|for)\s+(?:the\s+|my\s+|a\s+)?(?:(last|latest|most\s+recent|newest|recent|previous)\s+)?backtest(?:\s+(?:id\s+)?#?([0-9a-f][0-9a-f-]{3,35}))?\b(.*)$/i.exec(t);
  if (!m) return undefined;
  const id = m[2] ?? (m[1] ? 'last' : undefined);
  if (!id) return ask('Which backtest? Give its id (list-backtests shows them) or say your last one.', ['start a bot from my last backtest with max 100 per order and 1000 per day']);
  const example = `start a bot from ${id === 'last' ? 'my last backtest' : `backtest ${id}`} with max 100 per order and 1000 per day`;
  const limits = approvalLimits(m[3] ?? '');
  if (!limits) return ask(LIMITS_QUESTION, [example]);
  const { maxOrderNotional, maxDailyNotional } = limits;
  return toolIntent('create-bot', { fromBacktest: id, limits: { maxOrderNotional, maxDailyNotional } },
    `Create a bot from ${id === 'last' ? 'your last backtest' : `backtest ${id}`}, at most ${maxOrderNotional} per order and ${maxDailyNotional} per day (it starts only when you approve it)`);
}

/**
 * The wallet-intelligence meaning of a message, or undefined when it is none of these. `otherClauses`
 * reads the non-whale clauses of a whale alert with the ordinary alert grammar.
 */
export function understandWallets(text: string, injected: boolean, otherClauses: (text: string) => Intent): Intent | undefined {
  const orig = text.trim().replace(/[?!.]+$/, '').trim();
  if (orig === '') return undefined;
  let intent: Intent | undefined;
  const slash = /^\/(whales|watch|unwatch|whale|wallet|bias|share|unshare)(?:@\w+)?(?:\s+(.*))?$/i.exec(orig);
  if (slash) {
    const cmd = slash[1]!.toLowerCase();
    const rest = (slash[2] ?? '').trim();
    if (cmd === 'whales') intent = toolIntent('list-watched-wallets', {}, 'List the wallets you watch with their scores');
    else if (cmd === 'bias') intent = bias(orig, rest);
    else if (cmd === 'watch') intent = watch(`watch ${rest}`) ?? ask('Watch which wallet?', ['/watch 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed as smart whale']);
    else if (cmd === 'unwatch') intent = unwatch(`unwatch ${rest}`);
    else if (cmd === 'share') intent = rest === '' ? toolIntent('list-community-wallets', {}, 'List the wallets shared with this community') : community(`share wallet ${rest}`);
    else if (cmd === 'unshare') intent = community(`unshare ${rest}`) ?? ask('Unshare which wallet?', ['/unshare smart whale']);
    else intent = card(`whale ${rest}`) ?? ask('Which wallet?', ['/whale smart whale', '/whales']);
  } else {
    intent = botFromBacktest(orig) ?? whaleAlert(orig, otherClauses) ?? bias(orig) ?? community(orig) ?? list(orig) ?? unwatch(orig) ?? watch(orig) ?? card(orig);
  }
  if (!intent) return undefined;
  if (injected && intent.kind === 'tool' && !READS.has(intent.tool)) {
    return {
      kind: 'unknown',
      text: 'That reads like instructions to an assistant, not a request, so I won’t act on it. Say it plainly, e.g. “watch 0x… as smart whale” or “my whales”.',
    };
  }
  return intent;
}

// ─── A watched wallet by its label alone ─────────────────────────────────────────────────────────
//
// "what is smart whale doing", "how's Big Fish doing", "what did smart whale do today", "any moves from
// smart whale", "show smart whale", "smart whale": get-wallet-card ("smart whale's positions" stays the
// person's own positions: the ordinary rules read it first). Without
// a noun the words are too general to be a wallet, so this is read only against the person's own
// labels (the chat passes them after the ordinary understanding found nothing), longest first.

const LABEL_FRAMES: ReadonlyArray<(l: string) => string> = [
  (l) => String.raw`(?:what(?:'s|\s+is|\s+has)?|whats)\s+${l}\s+(?:been\s+)?(?:doing|up\s+to)(?:\s+(?:lately|today|recently|now))?`,
  (l) => String.raw`how(?:'s|\s+is|\s+has)\s+${l}\s+(?:been\s+)?(?:doing|performing|trading)(?:\s+(?:lately|today|recently))?`,
  (l) => String.raw`what\s+(?:did|has)\s+${l}\s+(?:do|done|buy|bought|sell|sold|trade|traded)(?:\s+(?:lately|today|recently))?`,
  (l) => String.raw`(?:any\s+)?(?:new\s+|recent\s+|latest\s+)?(?:moves|activity|trades|events|news)\s+(?:from|by|of)\s+${l}`,
  (l) => String.raw`(?:is|has)\s+${l}\s+(?:buying|selling|moving|trading|moved|bought|sold)(?:\s+anything)?`,
  (l) => String.raw`(?:(?:show|check|open|see|get)\s+(?:me\s+)?)?${l}(?:'s)?(?:\s+(?:card|moves|activity|positions|trades|events|score))?`,
];

/** get-wallet-card for a message about one of `labels` (the person's own), or undefined. */
export function walletByLabel(text: string, labels: readonly string[]): Intent | undefined {
  const t = text.trim().replace(/[?!.]+$/, '').trim().toLowerCase();
  const usable = [...new Set(labels.map((l) => l.trim()).filter((l) => l.length >= 2 && l.length <= MAX_LABEL))].sort((a, b) => b.length - a.length);
  for (const label of usable) {
    const l = label.toLowerCase().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(String.raw`\s+`);
    if (LABEL_FRAMES.some((frame) => new RegExp(String.raw`^${frame(`["']?${l}["']?`)}$`).test(t))) {
      return toolIntent('get-wallet-card', { wallet: label }, `Show ${label}'s card: score, recent moves and positions`);
    }
  }
  return undefined;
}

/**
 * A new label or tags for a watched wallet, named by its label or address: "rename smart whale to big
 * fish", "relabel 0x… as big fish", "change the label of smart whale to big fish", "label 0x… as big
 * fish" (a wallet not watched yet is watched under it), "tag smart whale as dex trader, early" (added to
 * its tags), "untag smart whale as dex trader" / "remove tag dex from smart whale". → watch-wallet with the wallet's address and chain, which
 * updates the watch. A label that is none of the person's, or a label already theirs for another
 * wallet, is a question back or the service's refusal — never a guess.
 */
export function walletUpdate(text: string, known: readonly KnownWallet[]): Intent | undefined {
  const t = text.trim().replace(/[?!.]+$/, '').trim();
  const renamed =
    /^(?:rename|relabel)\s+(?:(?:the|my)\s+)?(?:wallet\s+|whale\s+|address\s+)?(.+?)\s+(?:to|as|into)\s+(.+)$/i.exec(t) ??
    /^change\s+(?:the\s+)?(?:label|name)\s+of\s+(?:(?:the|my)\s+)?(?:wallet\s+|whale\s+)?(.+?)\s+to\s+(.+)$/i.exec(t) ??
    /^label\s+(0x[0-9a-z]+)\s+(?:as|to)\s+(.+)$/i.exec(t);
  const tagged = renamed ? null : /^(tag|untag)\s+(?:(?:the|my)\s+)?(?:wallet\s+|whale\s+)?(.+?)\s+(?:as|with|:)\s+(.+)$/i.exec(t) ?? /^(untag|remove\s+(?:the\s+)?tags?)\s+(.+?)\s+from\s+(.+)$/i.exec(t);
  if (!renamed && !tagged) return undefined;
  // "remove tag dex from smart whale": the tags come first there.
  const reversed = tagged !== null && /^remove/i.test(tagged[1]!);
  const ref = unquote(renamed ? renamed[1]! : reversed ? tagged[3]! : tagged![2]!);
  const wanted = renamed ? renamed[2]! : reversed ? tagged[2]! : tagged![3]!;
  const byAddress = /^0x/i.test(ref);
  if (byAddress && !ADDRESS.test(ref)) return badAddress();
  const match = known.filter((w) => (byAddress ? w.address.toLowerCase() === ref.toLowerCase() : w.label !== null && w.label.toLowerCase() === ref.toLowerCase()));
  if (match.length > 1) return ask(`You watch ${ref} on two chains; name it by its address and chain.`, ['my whales']);
  const wallet = match[0];
  if (!wallet && !byAddress) {
    const labels = known.map((w) => w.label).filter((l): l is string => l !== null);
    return ask(`None of your watched wallets is called "${ref.slice(0, MAX_LABEL)}".`, labels.length > 0 ? labels.slice(0, 3).map((l) => `rename ${l} to …`) : ['my whales']);
  }
  const address = wallet?.address ?? ref;
  const chain = wallet?.chain === 'hyperliquid' ? 'hyperliquid' : undefined;
  const who = wallet?.label ? `"${wallet.label}"` : `${address.slice(0, 6)}…${address.slice(-4)}`;
  if (renamed) {
    const label = unquote(wanted).slice(0, MAX_LABEL);
    if (label === '') return ask('What should the wallet be called?', [`rename ${ref} to big fish`]);
    return toolIntent('watch-wallet', { address, ...(chain ? { chain } : {}), label }, wallet ? `Rename ${who} to "${label}"` : `Watch ${who} as "${label}"`);
  }
  const named = wanted.split(/\s*,\s*|\s+and\s+/).map((s) => unquote(s).toLowerCase()).filter((s) => s !== '');
  if (named.length === 0) return ask('Which tags?', [`tag ${ref} as dex trader`]);
  const current = wallet?.tags ?? [];
  const untag = /^(?:untag|remove)/i.test(tagged![1]!);
  const missing = untag ? named.filter((n) => !current.some((c) => c.toLowerCase() === n)) : [];
  if (untag && missing.length === named.length) return { kind: 'unknown', text: `${who} has no tag ${missing.map((m) => `"${m}"`).join(' or ')}${current.length > 0 ? `; its tags: ${current.join(', ')}` : ''}.` };
  const tags = untag ? current.filter((c) => !named.includes(c.toLowerCase())) : [...current, ...named.filter((n) => !current.some((c) => c.toLowerCase() === n))];
  return toolIntent('watch-wallet', { address, ...(chain ? { chain } : {}), tags }, untag ? `Remove ${named.join(', ')} from ${who}'s tags` : `Tag ${who}: ${tags.join(', ')}`);
}
