// Naming a portfolio in a message, for the offline understanding: "buy 0.5 sol on Binance",
// "positions in Swing", "close all on my Binance portfolio", "the paper twin of my Binance portfolio".
// The name must be one of the person's own portfolios, whole and exact (letters' case aside); it is
// taken out of the message before the understanding reads it, and the tool call gets that portfolio.
// Anything else leaves the message as it was (the default portfolio, as before).
//
// A question about a live portfolio against its paper shadow (get-shadow) names only live
// portfolios — "slippage on live vs on paper" never means the portfolio called "Paper" — and may name
// one without a leading word ("/shadow Binance", "compare Binance with its shadow"), unless its name is
// one of the question's own words ("live vs paper" never picks a portfolio called "Live" by itself).
import { understand } from '../nlu/index.js';
import type { ToolRunner } from './confirmation.js';

/** Tools that take `portfolioId`. */
export const PORTFOLIO_TOOLS: ReadonlySet<string> = new Set([
  'preview-order', 'place-order', 'close-position', 'close-all-positions', 'set-stop-loss', 'set-take-profits', 'list-orders',
  'get-portfolio', 'get-balances', 'get-positions', 'get-trades', 'get-performance', 'get-risk-limits', 'get-risk-metrics',
  'set-risk-limit', 'halt-trading', 'resume-trading', 'get-shadow',
]);

const LEAD_WORDS = '(?:on|in|from|with|using|via|of|for)';
/** Words that may introduce a portfolio's name. */
const LEAD = new RegExp(`\\b${LEAD_WORDS}\\s+(?:my\\s+|the\\s+)?$`, 'i');
const ANY_LEAD = new RegExp(`\\b${LEAD_WORDS}\\s+\\S`, 'i');

/** Names that are also the words of a shadow question. */
const GENERIC_NAME = /^(?:live|real|actual|paper|sim|simulation|shadow|demo|main|my|portfolio|account)$/i;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface Addressed {
  text: string;
  portfolioId?: string;
  portfolioName?: string;
}

interface Named {
  id: string;
  name: string;
  mode?: unknown;
}

function isShadowQuestion(text: string): boolean {
  const intent = understand(text);
  return intent.kind === 'tool' && intent.tool === 'get-shadow';
}

/** `text` without the span [start, end), single-spaced. */
function without(text: string, start: number, end: number): string {
  return `${text.slice(0, start)}${text.slice(end)}`.replace(/\s{2,}/g, ' ').trim();
}

/**
 * Finds "<on|in|from|with|of|for…> [my|the] <portfolio name> [portfolio|account]" in `text` (for a
 * shadow question, also the bare name of a live portfolio). Only asks for the person's portfolios
 * when such a word is there at all, or the message asks about the shadow.
 */
export async function addressPortfolio(runner: ToolRunner, text: string): Promise<Addressed> {
  const shadow = isShadowQuestion(text);
  if (!shadow && !ANY_LEAD.test(text)) return { text };
  const listed = await runner.call('list-portfolios', {});
  const portfolios = ((listed.structured?.['portfolios'] ?? []) as Array<{ id?: unknown; name?: unknown; mode?: unknown }>)
    .filter((p): p is Named => typeof p.id === 'string' && typeof p.name === 'string' && p.name.trim().length > 0)
    .filter((p) => !shadow || p.mode === 'live')
    // Longest names first: "Binance (shadow)" before "Binance".
    .sort((a, b) => b.name.length - a.name.length);
  for (const p of portfolios) {
    const re = new RegExp(`(^|\\s)${LEAD_WORDS}\\s+(?:my\\s+|the\\s+)?${escape(p.name.trim())}(?:\\s+(?:portfolio|account))?(?=$|[\\s.,!?;:])`, 'i');
    const m = re.exec(text);
    if (!m) continue;
    const before = text.slice(0, m.index + m[1]!.length);
    if (LEAD.test(before)) continue;
    return { text: without(text, m.index + m[1]!.length, m.index + m[0].length), portfolioId: p.id, portfolioName: p.name };
  }
  if (!shadow) return { text };
  for (const p of portfolios) {
    // "live vs paper" is the question, not a portfolio called "Live": such a name needs its leading word.
    if (GENERIC_NAME.test(p.name.trim())) continue;
    const re = new RegExp(`(^|\\s)(?:my\\s+|the\\s+)?${escape(p.name.trim())}(?:\\s+(?:portfolio|account))?(?=$|[\\s.,!?;:'])`, 'i');
    const m = re.exec(text);
    if (!m) continue;
    return { text: without(text, m.index + m[1]!.length, m.index + m[0].length), portfolioId: p.id, portfolioName: p.name };
  }
  return { text };
}
