// Leaderboards and paper competitions in chat (issue 14): a community's commands and phrasings →
// get-leaderboard / join-leaderboard / leave-leaderboard and create- / join- / get- / list- /
// cancel-competition, with the arguments the tools define. Runs before the trading rules, on the
// message as the trader cased it (competition names keep their capitals), and only on its own nouns
// ("leaderboard", "rankings", "top traders", "competition", "contest", "standings"), so "cancel order
// 630a8f0b" and "buy 0.5 eth" never land here.
//
// Decisions:
// - A competition is named by what was written: a quoted name ("Dec sprint") anywhere, or the words
//   after called/named, or what stands between the verb and the noun ("join Dec sprint competition");
//   the server resolves a name or an id prefix among the community's competitions.
// - Without a name, joining and standings mean the community's one scheduled or running competition
//   (the tool's default); creating and cancelling ask which.
// - Leaderboard periods are the tool's four: a week → 7d, a month → 30d, a quarter / 90 days → 90d,
//   all time → all; any other window is a question back, never a guess.
// - Money and token amounts stay decimal strings; prize split percentages become fractions ("60/40" →
//   ["0.6", "0.4"]), also as decimal strings.
// - A message that reads like instructions to an assistant gets no change (only reads).
import { findSymbols } from './symbols.js';
import { NUMBER_SOURCE, parseNumberToken, percentToFraction } from './numbers.js';
import { toolIntent, type Intent, type ToolName } from './intent.js';

type Period = '7d' | '30d' | '90d' | 'all';
type Status = 'scheduled' | 'running' | 'finished' | 'cancelled';

const READS = new Set<string>(['get-leaderboard', 'get-competition', 'list-competitions']);
const MAX_NAME = 64;
const NUM = `(${NUMBER_SOURCE})`;

const LB = String.raw`(?:leader\s?-?boards?|rankings?|ranks|league\s+tables?|ladder)`;
const COMP = String.raw`(?:paper\s+)?(?:trading\s+)?(?:competition|contest|tournament)`;
const COMPS = String.raw`(?:paper\s+)?(?:trading\s+)?(?:competitions|contests|tournaments)`;
const COMMUNITY_OWNER = String.raw`(?:(?:the\s+)?(?:group|community|server|chat|channel)(?:'s)?\s+|this\s+(?:group|server|chat)(?:'s)?\s+|our\s+)`;

function ask(question: string, examples: readonly string[]): Intent {
  const q = examples.map((e) => `“${e}”`);
  return { kind: 'unknown', text: `${question} Try ${q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`}.` };
}

function call(tool: string, args: Record<string, unknown>, summary: string): Intent {
  return toolIntent(tool as ToolName, args, summary);
}

// ─── Pieces ────────────────────────────────────────────────────────────────────────────────────

/** A leaderboard window in `t` (lower case): a period, `{ other }` for a window the tool does not rank, or undefined. */
function periodIn(t: string): Period | { other: string } | undefined {
  if (/\b(?:7\s*-?\s*d(?:ays?)?|seven\s+days?|(?:this|past|last|the)\s+week|weekly|1\s*w(?:eek)?|one\s+week|a\s+week|week)\b/.test(t)) return '7d';
  if (/\b(?:30\s*-?\s*d(?:ays?)?|thirty\s+days|(?:this|past|last|the)\s+month|monthly|1\s*mo(?:nth)?|one\s+month|a\s+month|month)\b/.test(t)) return '30d';
  if (/\b(?:90\s*-?\s*d(?:ays?)?|ninety\s+days|(?:this|past|last|the)\s+quarter|quarterly|3\s*months?|three\s+months|quarter)\b/.test(t)) return '90d';
  if (/\b(?:all[\s-]?time|ever|all|since\s+(?:the\s+)?(?:start|beginning)|lifetime|overall)\b/.test(t)) return 'all';
  const other = /\b(?:today|yesterday|24\s*h(?:ours?)?|(?:this|past|last|the)\s+(?:day|year)|daily|yearly|annual|ytd|\d+\s*(?:d|days?|w|weeks?|months?|y|years?|h|hours?))\b/.exec(t);
  return other ? { other: other[0] } : undefined;
}

const PERIOD_LABEL: Record<Period, string> = { '7d': 'the last 7 days', '30d': 'the last 30 days', '90d': 'the last 90 days', all: 'all time' };

function leaderboard(period: Period | { other: string } | undefined): Intent {
  if (period && typeof period !== 'string') {
    return ask(`I rank over a week, a month, 90 days or all time, not ${period.other.slice(0, 20)}.`, ['leaderboard 7d', 'leaderboard this month', 'all-time leaderboard']);
  }
  return call('get-leaderboard', period ? { period } : {}, `Show this community's leaderboard (${PERIOD_LABEL[period ?? '30d']}, percentages only)`);
}

/** Words that may stand beside a leaderboard noun without changing what is asked. */
const LB_FILLER = /\b(?:show|see|view|check|get|display|post|give|me|us|the|our|this|that|current|latest|live|full|whole|group|community|server|chat|channel|'s|s|for|over|of|in|on|across|please|top|traders?|what|whats|what's|is|are|how|does|do|look|looks|looking|like|paper|trading|now|so|far)\b/g;

/** A quoted competition name in `orig` (straight or curly double quotes), if any. */
function quotedName(orig: string): { name: string; rest: string } | undefined {
  const m = /"([^"]{1,200})"/.exec(orig);
  if (!m) return undefined;
  return { name: m[1]!.trim(), rest: `${orig.slice(0, m.index)} ${orig.slice(m.index + m[0].length)}`.replace(/\s+/g, ' ').trim() };
}

/** A competition name as the person wrote it, or an intent saying why it cannot be one. */
function checkedName(raw: string | undefined): string | Intent | undefined {
  if (raw === undefined) return undefined;
  const name = raw.replace(/^["'\s]+|["'\s.,;:!?]+$/g, '').replace(/\s+/g, ' ');
  if (name === '') return undefined;
  if (name.length > MAX_NAME) return ask(`That competition name is too long (over ${MAX_NAME} characters).`, ['competitions']);
  return name;
}

/** What stands for "no particular competition": the community's current one. */
const NO_NAME = /^(?:the|this|our|current|a|an|it|that|running|active|ongoing|live|group|community|server|new|latest|paper|trading|\s)*$/i;

/** A name from the text between the words around it: '' / "the" / "this" mean none. */
function nameBetween(orig: string, from: number, to: number): string | Intent | undefined {
  const raw = orig.slice(from, to).trim();
  if (NO_NAME.test(raw)) return undefined;
  return checkedName(raw.replace(/^(?:the|this|our)\s+/i, ''));
}

const STATUS_WORDS: Array<[RegExp, Status]> = [
  [/^(?:running|active|live|current|ongoing|open|on)$/, 'running'],
  [/^(?:upcoming|scheduled|planned|future|next|pending)$/, 'scheduled'],
  [/^(?:past|finished|ended|completed|previous|old|done|closed|over)$/, 'finished'],
  [/^(?:cancell?ed|called off)$/, 'cancelled'],
];

function statusOf(word: string | undefined): Status | undefined {
  if (!word) return undefined;
  return STATUS_WORDS.find(([re]) => re.test(word.trim()))?.[1];
}

function listCompetitions(status: Status | undefined): Intent {
  return call('list-competitions', status ? { status } : {}, `List this community's ${status ? `${status} ` : ''}competitions`);
}

function standings(name: string | Intent | undefined): Intent {
  if (typeof name === 'object') return name;
  return call('get-competition', name ? { competition: name } : {}, `Show the standings of ${name ? `competition "${name}"` : "this community's competition"}`);
}

function join(name: string | Intent | undefined): Intent {
  if (typeof name === 'object') return name;
  return call('join-competition', name ? { competition: name } : {}, `Join ${name ? `competition "${name}"` : "this community's competition"} with a fresh paper portfolio`);
}

function cancel(name: string | Intent | undefined): Intent {
  if (typeof name === 'object') return name;
  if (!name) return ask('Cancel which competition? Name it (the list shows them).', ['competitions', 'cancel competition "Dec sprint"']);
  return call('cancel-competition', { competition: name }, `Cancel competition "${name}"`);
}

function joinLeaderboard(rest: string): Intent {
  const r = rest.toLowerCase();
  const noLive = /\b(?:paper\s+only|only\s+(?:my\s+)?paper|without\s+(?:my\s+)?live|no\s+live|not\s+(?:my\s+)?live|exclud\w*\s+(?:my\s+)?live)\b/.test(r);
  const live = !noLive && /\b(?:live|real)\b/.test(r);
  const args = noLive ? { includeLive: false } : live ? { includeLive: true } : {};
  return call('join-leaderboard', args, `Rank you on this community's leaderboard${live ? ' (paper and live)' : noLive ? ' (paper only)' : ''}`);
}

function leaveLeaderboard(): Intent {
  return call('leave-leaderboard', {}, "Take you off this community's leaderboard");
}

// ─── Creating a competition ────────────────────────────────────────────────────────────────────

const DURATION = /\b(\d{1,3})\s*-?\s*(days?|d|weeks?|wks?|w)\b/i;
const DURATION_ONE = /\b(?:for\s+)?(?:a|one)\s+(day|week|fortnight|month)\b/i;
const ISO_DAY = String.raw`(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?)`;
const STARTS = new RegExp(String.raw`\b(?:start(?:s|ing)?(?:\s+on|\s+at)?|from|beginning|begins?(?:\s+on)?)\s+(?:${ISO_DAY}|(now|right now|immediately|today))`, 'i');
const ENDS = new RegExp(String.raw`\b(?:until|till|to|through|ending(?:\s+on)?|ends?(?:\s+on)?)\s+${ISO_DAY}`, 'i');
const PRIZE_A = new RegExp(String.raw`\b(?:a|an|with\s+a|with)?\s*${NUM}\s*(?:omni|platform\s+tokens?|tokens?)\s*(?:prize(?:\s+pool)?|pot|reward|pool)`, 'i');
const PRIZE_B = new RegExp(String.raw`\b(?:prize(?:\s+pool)?|prizes?\s+of|pot|reward)\s*(?:of|:|=|is|worth)?\s*${NUM}\s*(?:omni|platform\s+tokens?|tokens?)?`, 'i');
const SPLIT = /\b(?:split|shared|divided|paid)\s*(?:as|like|into|:)?\s*((?:\d{1,3}(?:\.\d+)?\s*%?\s*(?:\/|,|-|and|\s)\s*)+\d{1,3}(?:\.\d+)?\s*%?)/i;
const CASH = new RegExp(
  String.raw`\b(?:starting\s+(?:cash|balance|capital|bankroll|money)|(?:cash|balance|capital|bankroll)|with|each\s+(?:gets?|starts?\s+with)|start\s+with|everyone\s+(?:gets?|starts?\s+with))\s*(?:of|:|=)?\s*(?:a\s+)?${NUM}\s*(usdt|usdc|usd|dollars?|bucks)?(?!\s*(?:omni|platform|tokens?|prize|days?|d|weeks?|w)\b)`,
  'i',
);
const MARKETS = /\b(?:only\s+((?:[A-Za-z$][\w/$-]*)(?:\s*(?:,|and|&|\/|or)?\s*[A-Za-z$][\w/$-]*)*)|((?:[A-Za-z$][\w/$-]*)(?:\s*(?:,|and|&|\/|or)?\s*[A-Za-z$][\w/$-]*)*)\s+only|markets?\s*:?\s+((?:[A-Za-z$][\w/$-]*)(?:\s*(?:,|and|&|\/|or)?\s*[A-Za-z$][\w/$-]*)*))/i;

function cutOut(s: string, m: RegExpExecArray | null): string {
  return m ? `${s.slice(0, m.index)} , ${s.slice(m.index + m[0].length)}`.replace(/\s+/g, ' ') : s;
}

function createCompetition(orig: string): Intent {
  const examples = ['start a competition "Dec sprint" for 7 days with 10000 USDT, prize 1000 OMNI, BTC and ETH only'];
  const quoted = quotedName(orig);
  let rest = quoted ? quoted.rest : orig;
  let name: string | Intent | undefined = quoted ? checkedName(quoted.name) : undefined;
  if (!quoted) {
    const called = /\b(?:called|named|titled)\s+(.+?)(?=\s*(?:[,;]|\bfor\b|\bwith\b|\bstart(?:s|ing)?\b|\bprize\b|\blasting\b|\bending\b|\bends\b|\bfrom\b|\buntil\b|\bonly\b|\bmarkets?\b|\bsplit\b|\d+\s*-?\s*(?:days?|weeks?)\b|$))/i.exec(rest);
    if (called) {
      name = checkedName(called[1]);
      rest = cutOut(rest, called);
    }
  }
  if (typeof name === 'object') return name;
  if (!name) return ask('What should the competition be called? Put the name in quotes.', examples);

  const args: Record<string, unknown> = { name };
  const starts = STARTS.exec(rest);
  if (starts) {
    args.startsAt = starts[2] ? 'now' : isoOf(starts[1]!);
    rest = cutOut(rest, starts);
  }
  const ends = ENDS.exec(rest);
  if (ends) {
    args.endsAt = isoOf(ends[1]!);
    rest = cutOut(rest, ends);
  }
  const split = SPLIT.exec(rest);
  if (split) {
    const parts = split[1]!.match(/\d{1,3}(?:\.\d+)?/g) ?? [];
    const asPercent = parts.some((n) => Number(n) > 1);
    args.prizeSplit = parts.map((n) => (asPercent ? percentToFraction(n) : n));
    rest = cutOut(rest, split);
  }
  const prize = PRIZE_A.exec(rest) ?? PRIZE_B.exec(rest);
  if (prize) {
    const amount = parseNumberToken(prize[1]!.replace('$', ''));
    if (amount !== undefined) args.prizePool = amount;
    rest = cutOut(rest, prize);
  }
  const duration = DURATION.exec(rest);
  const durationOne = duration ? null : DURATION_ONE.exec(rest);
  if (duration && !ends) {
    const n = Number(duration[1]);
    args.durationDays = /^w/i.test(duration[2]!) ? n * 7 : n;
    rest = cutOut(rest, duration);
  } else if (durationOne && !ends) {
    args.durationDays = { day: 1, week: 7, fortnight: 14, month: 30 }[durationOne[1]!.toLowerCase() as 'day' | 'week' | 'fortnight' | 'month'];
    rest = cutOut(rest, durationOne);
  }
  const cash = CASH.exec(rest);
  if (cash) {
    const amount = parseNumberToken(cash[1]!);
    if (amount !== undefined) args.startingCash = amount;
    const unit = cash[2]?.toLowerCase();
    if (unit === 'usdt' || unit === 'usdc') args.quoteAsset = unit.toUpperCase();
    rest = cutOut(rest, cash);
  }
  const markets = MARKETS.exec(rest);
  if (markets) {
    const segment = markets[1] ?? markets[2] ?? markets[3] ?? '';
    const quote = typeof args.quoteAsset === 'string' ? args.quoteAsset : 'USDT';
    const found = findSymbols(segment.replace(/\$(?=[a-z])/gi, ''), { defaultQuote: quote }).map((s) => s.symbol);
    if (found.length > 0) args.markets = [...new Set(found)];
  }
  const days = typeof args.durationDays === 'number' ? `${args.durationDays} days` : typeof args.endsAt === 'string' ? `until ${args.endsAt.slice(0, 10)}` : '7 days';
  return call('create-competition', args, `Create competition "${name}" (${days})`);
}

function isoOf(day: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(day)) return `${day}T00:00:00Z`;
  const t = day.replace(' ', 'T');
  return /(?:Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t}${t.length === 16 ? ':00' : ''}Z`;
}

// ─── Slash commands ────────────────────────────────────────────────────────────────────────────

function slash(orig: string): Intent | undefined {
  const m = /^\/(leaderboard|lb|rankings|competition|comp|competitions|comps|join|standings)(?:@\w+)?(?:\s+(.*))?$/i.exec(orig);
  if (!m) return undefined;
  const cmd = m[1]!.toLowerCase();
  const rest = (m[2] ?? '').trim();
  const r = rest.toLowerCase();
  if (cmd === 'leaderboard' || cmd === 'lb' || cmd === 'rankings') {
    if (r === '') return leaderboard(undefined);
    const sub = /^(join|opt[\s-]?in|in|add(?:\s+me)?|include|rank\s+me)\b\s*(.*)$/.exec(r);
    if (sub) return joinLeaderboard(sub[2] ?? '');
    if (/^(?:leave|opt[\s-]?out|out|remove(?:\s+me)?|exclude)$/.test(r)) return leaveLeaderboard();
    const period = periodIn(r);
    if (period) return leaderboard(period);
    return ask(`I don't know /leaderboard ${rest.slice(0, 20)}.`, ['/leaderboard', '/leaderboard 7d', '/leaderboard join', '/leaderboard leave']);
  }
  if (cmd === 'competitions' || cmd === 'comps') return listCompetitions(statusOf(r || undefined));
  if (cmd === 'join') return join(nameFromArgs(rest));
  if (cmd === 'standings') return standings(nameFromArgs(rest));
  // /competition …
  if (r === '') return standings(undefined);
  const sub = /^(join|enter|list|all|start|create|new|cancel|standings|status|show)\b\s*(.*)$/i.exec(rest);
  if (!sub) return standings(nameFromArgs(rest));
  const verb = sub[1]!.toLowerCase();
  const args = sub[2] ?? '';
  if (verb === 'join' || verb === 'enter') return join(nameFromArgs(args));
  if (verb === 'list' || verb === 'all') return listCompetitions(statusOf(args.toLowerCase() || undefined));
  if (verb === 'start' || verb === 'create' || verb === 'new') return createCompetition(args);
  if (verb === 'cancel') return cancel(nameFromArgs(args));
  return standings(nameFromArgs(args));
}

function nameFromArgs(rest: string): string | Intent | undefined {
  const quoted = quotedName(rest);
  if (quoted) return checkedName(quoted.name);
  return NO_NAME.test(rest) ? undefined : checkedName(rest);
}

// ─── Phrasings ─────────────────────────────────────────────────────────────────────────────────

function natural(orig: string): Intent | undefined {
  const o = orig.replace(/[?!.]+$/, '').trim();
  const t = o.toLowerCase();
  if (/^(?:join|count\s+me\s+in)$/.test(t)) return join(undefined);
  const joinQuoted = /^(?:join|enter)\s+"([^"]{1,200})"$/.exec(o);
  if (joinQuoted) return join(checkedName(joinQuoted[1]));
  const hasComp = new RegExp(String.raw`\b(?:${COMP}|${COMPS})\b`).test(t);
  const hasLb = new RegExp(String.raw`\b${LB}\b`).test(t);

  if (hasComp) {
    // Create: "start a competition …", "run a 14-day contest …".
    const create = new RegExp(String.raw`^(?:start|create|run|launch|set\s+up|setup|open|host|begin|make|organi[sz]e|kick\s+off|new)\b(.*)$`).exec(t);
    if (create && new RegExp(String.raw`^(?:\s+(?:a|an|our|the|new|another|\d{1,3}\s*-?\s*(?:days?|d|weeks?|w)|(?:one|two|three|four)[\s-]weeks?|weekly|monthly))*\s+${COMP}\b`).test(create[1]!)) {
      return createCompetition(o.slice(o.length - create[1]!.length));
    }
    // Cancel: "cancel competition Dec sprint", "call off the "New Year Cup" competition".
    const cancelled = new RegExp(String.raw`^(?:cancel|call\s+off|abort|scrap|delete|remove|kill)\s+(.*)$`).exec(t);
    const cancelRef = cancelled ? competitionRef(o.slice(o.length - cancelled[1]!.length)) : undefined;
    if (cancelRef) return cancel(cancelRef.name);
    // Join: "join the competition", "enter the "Dec sprint" competition", "count me in for the competition".
    const joinVerb = /^(?:join|enter|sign\s+up\s+(?:for|to)|register\s+(?:for|in)|(?:sign|count|put|add)\s+me\s+(?:up\s+|in\s+)?(?:for|to|in|into))\s+(.*)$/.exec(t);
    const joinRef = joinVerb ? competitionRef(o.slice(o.length - joinVerb[1]!.length)) : undefined;
    if (joinRef) return join(joinRef.name);
    // List: "competitions", "list running competitions", "any upcoming contests?".
    const list = new RegExp(
      String.raw`^(?:(?:list|show|see|view|get|any|which|what)\s+)?(?:me\s+)?(?:the\s+|all\s+(?:the\s+)?|our\s+)?(?:${COMMUNITY_OWNER})?(?:(running|active|live|current|ongoing|open|upcoming|scheduled|planned|future|past|finished|ended|completed|previous|old|cancell?ed)\s+)?${COMPS}(?:\s+(?:are\s+)?(?:there|running|on|here)(?:\s+(?:now|here))?)?$`,
    ).exec(t);
    if (list) return listCompetitions(statusOf(list[1]));
    // Standings: "standings", "how is the competition going", "who's winning the competition".
    if (/^how(?:'s|\s+is|\s+are)\b.*\bgoing$/.test(t) || /^who(?:'s|\s+is)\s+(?:winning|leading|ahead|on\s+top|first)\b/.test(t) || /\b(?:standings|scores?|results?|leaderboard|rankings?)\b/.test(t) || new RegExp(String.raw`^(?:(?:show|see|view|check|get)\s+(?:me\s+)?)?(?:the\s+|our\s+)?(?:(?:current|latest|live)\s+)?${COMP}(?:\s+(?:status|update))?$`).test(t)) {
      return standings(nameAround(o, 0, true));
    }
    return undefined;
  }

  // Standings without the noun: "standings", "standings for Dec sprint", "Dec sprint standings".
  const st = /^(?:(?:show|see|view|check|get)\s+(?:me\s+)?)?(?:the\s+)?(?:(?:current|latest|live)\s+)?standings(?:\s+(?:for|of|in)\s+(.+))?$/.exec(t);
  if (st) return standings(st[1] ? nameFromArgs(o.slice(o.length - st[1].length)) : undefined);
  const stAfter = /^(.+?)\s+standings$/.exec(t);
  if (stAfter && !hasLb) return standings(nameFromArgs(o.slice(0, stAfter[1]!.length)));

  // The leaderboard: leave, join (with or without live), show.
  const liveAccount = new RegExp(String.raw`^(?:include|add|count|rank|use)\s+(?:my\s+)?(?:live|real)(?:\s+(?:account|portfolio|trading|trades|performance|money|results))?(?:\s+(?:too|as\s+well))?(?:\s+(?:in|on|to)\s+(?:the\s+)?${LB})?$`);
  if (liveAccount.test(t)) return joinLeaderboard('live');
  if (/^(?:exclude|remove|drop|hide)\s+(?:my\s+)?(?:live|real)(?:\s+(?:account|portfolio|trading|trades|performance|money|results))?\b/.test(t)) return joinLeaderboard('paper only');
  if (!hasLb) {
    if (/^who(?:'s|\s+is|s)\s+(?:winning|leading|ahead|on\s+top|the\s+best(?:\s+trader)?|top)(?:\s+(?:here|now|this\s+\w+|today))?$|^who\s+(?:leads|tops\s+the\s+table)\b/.test(t)) {
      return leaderboard(periodIn(t.replace(/^who\S*\s+(?:is\s+)?\w+/, '')));
    }
    const top = /^(?:(?:show|see|view|who\s+are)\s+(?:me\s+)?(?:the\s+)?)?(?:top|best)\s+(?:\d{1,2}\s+)?(?:traders|performers|members)(.*)$/.exec(t);
    if (top) {
      const rest = top[1]!.trim();
      const period = periodIn(rest);
      if (rest === '' || period) return leaderboard(period);
    }
    if (/^(?:where|how)\s+(?:do|am)\s+i\s+(?:rank|ranked|stand|placed)\b/.test(t)) return leaderboard(periodIn(t));
    return undefined;
  }
  if (new RegExp(String.raw`^(?:leave|quit|exit)\s+(?:the\s+)?(?:${COMMUNITY_OWNER})?${LB}$|^(?:remove|take|drop|delete|hide)\s+me\s+(?:off|from|out\s+of)\s+(?:the\s+)?(?:${COMMUNITY_OWNER})?${LB}$|^opt\s*-?\s*out\s+(?:of\s+)?(?:the\s+)?(?:${COMMUNITY_OWNER})?${LB}$|^(?:don'?t|do\s+not|stop)\s+(?:rank|ranking|list|listing|show|showing)\s+me\b`).test(t)) {
    return leaveLeaderboard();
  }
  const joinLb = new RegExp(String.raw`^(?:(?:join|enter)\s+(?:the\s+)?|(?:add|put|include|list|rank|sign)\s+me\s+(?:up\s+)?(?:on|in|to|onto|into|for)\s+(?:the\s+)?|opt\s*-?\s*in\s+(?:to\s+)?(?:the\s+)?)(?:${COMMUNITY_OWNER})?${LB}\b(.*)$`).exec(t);
  if (joinLb) return joinLeaderboard(joinLb[1] ?? '');
  // Show: what remains beside the noun is a window or filler only.
  const stripped = t.replace(new RegExp(String.raw`\b${LB}\b`, 'g'), ' ');
  const period = periodIn(stripped);
  const leftover = stripped
    .replace(/\b(?:7\s*-?\s*d(?:ays?)?|30\s*-?\s*d(?:ays?)?|90\s*-?\s*d(?:ays?)?|\d+\s*(?:d|days?|w|weeks?|months?|y|years?|h|hours?)|seven|thirty|ninety|days?|weeks?|weekly|months?|monthly|quarters?|quarterly|three|one|a|all[\s-]?time|all|ever|since|start|beginning|lifetime|overall|past|last|this|today|yesterday|year|yearly|daily|annual|ytd|24\s*h)\b/g, ' ')
    .replace(LB_FILLER, ' ')
    .replace(/[\s,:;'-]+/g, '');
  if (leftover !== '') return undefined;
  return leaderboard(period);
}

/**
 * What follows "join" / "cancel" when it names a competition: the noun with an optional name before
 * or after it ("the Dec sprint competition", "competition Dec sprint", "the "Dec sprint" contest"),
 * or a quoted name alone; undefined when it is about something else ("my btc order in the contest").
 */
function competitionRef(rest: string): { name: string | Intent | undefined } | undefined {
  const quoted = quotedName(rest);
  const r = (quoted ? quoted.rest : rest).replace(/[?!.]+$/, '').trim();
  const m = new RegExp(String.raw`^(?:(?:the|this|our|a)\s+)?(?:(.{1,80}?)\s+)?${COMP}(?:\s+(?:called\s+|named\s+)?(.{1,80}))?$`, 'i').exec(r);
  if (!m) return quoted && r === '' ? { name: checkedName(quoted.name) } : undefined;
  const before = m[1];
  const after = m[2];
  if (before && /\b(?:orders?|positions?|alerts?|bots?|trades?|stakes?|portfolios?|my)\b/i.test(before)) return undefined;
  if (quoted) return (before && !NO_NAME.test(before)) || (after && !NO_NAME.test(after)) ? undefined : { name: checkedName(quoted.name) };
  if (before && !NO_NAME.test(before)) return after && !NO_NAME.test(after) ? undefined : { name: checkedName(before) };
  return { name: after && !NO_NAME.test(after) ? checkedName(after) : undefined };
}

/**
 * The competition named around the noun in `orig` from `from` on: a quoted name anywhere, else the
 * words before the noun ("the Dec sprint competition") or after it ("competition Dec sprint").
 */
function nameAround(orig: string, from: number, standingsWords = false): string | Intent | undefined {
  const quoted = quotedName(orig);
  if (quoted) return checkedName(quoted.name);
  let text = orig.slice(from).trim();
  if (standingsWords) {
    text = text
      .replace(/^(?:how(?:'s|\s+is|\s+are)|who(?:'s|\s+is)\s+(?:winning|leading|ahead|on\s+top|first))\s*/i, '')
      .replace(/\s*\bgoing$/i, '')
      .replace(/^(?:(?:show|see|view|check|get)\s+(?:me\s+)?)/i, '')
      .replace(/\b(?:current|latest|live)\s+(?:standings|scores?|results?|leaderboard|rankings?)\b|\b(?:standings|scores?|results?|leaderboard|rankings?|status|update)\b/gi, ' ')
      .replace(/^\s*(?:the|of|for|in)\s+|\s+(?:of|for|in)\s*$/gi, ' ')
      .replace(/\s+(?:of|for|in)\s+(?:the\s+)?/gi, ' ')
      .trim();
  }
  const noun = new RegExp(String.raw`\b${COMP}\b`, 'i').exec(text);
  if (!noun) return NO_NAME.test(text) ? undefined : checkedName(text.replace(/^(?:the|this|our)\s+/i, ''));
  const before = text.slice(0, noun.index);
  const after = text.slice(noun.index + noun[0].length).replace(/^\s*(?:called|named)\s+/i, '');
  const b = nameBetween(before, 0, before.length);
  if (b !== undefined) return b;
  return nameBetween(after, 0, after.length);
}

/**
 * A community command or phrasing → its intent; undefined when the message is about something else.
 * `injected`: the message reads like instructions to an assistant, so only reads come back.
 */
export function understandCommunity(text: string, injected: boolean): Intent | undefined {
  const orig = text.trim();
  if (orig === '') return undefined;
  const intent = orig.startsWith('/') ? slash(orig) : natural(orig);
  if (!intent) return undefined;
  if (injected && intent.kind === 'tool' && !READS.has(intent.tool)) {
    return {
      kind: 'unknown',
      text: 'That reads like instructions to an assistant, not a request, so I won’t act on it. Say it plainly, e.g. “join the competition” or “add me to the leaderboard”.',
    };
  }
  return intent;
}
