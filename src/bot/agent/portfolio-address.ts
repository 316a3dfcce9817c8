// Naming a portfolio in a message, for the offline understanding: "buy 0.5 sol on Binance",
// "positions in Swing", "close all on my Binance portfolio". The name must be one of the person's
// own portfolios, whole and exact (letters' case aside); it is taken out of the message before the
// understanding reads it, and the tool call gets that portfolio. Anything else leaves the message
// as it was (the default portfolio, as before).
import type { ToolRunner } from './confirmation.js';

/** Tools that take `portfolioId`. */
export const PORTFOLIO_TOOLS: ReadonlySet<string> = new Set([
  'preview-order', 'place-order', 'close-position', 'close-all-positions', 'set-stop-loss', 'set-take-profits', 'list-orders',
  'get-portfolio', 'get-balances', 'get-positions', 'get-trades', 'get-performance', 'get-risk-limits', 'get-risk-metrics',
  'set-risk-limit', 'halt-trading', 'resume-trading', 'get-shadow',
]);

/** Words that may introduce a portfolio's name. */
const LEAD = /\b(?:on|in|from|with|using|via)\s+(?:my\s+|the\s+)?$/i;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface Addressed {
  text: string;
  portfolioId?: string;
  portfolioName?: string;
}

/**
 * Finds "<on|in|from|with…> [my|the] <portfolio name> [portfolio|account]" in `text`. Only asks
 * for the person's portfolios when such a word is there at all.
 */
export async function addressPortfolio(runner: ToolRunner, text: string): Promise<Addressed> {
  if (!/\b(?:on|in|from|with|using|via)\s+\S/i.test(text)) return { text };
  const listed = await runner.call('list-portfolios', {});
  const portfolios = ((listed.structured?.['portfolios'] ?? []) as Array<{ id?: unknown; name?: unknown }>)
    .filter((p): p is { id: string; name: string } => typeof p.id === 'string' && typeof p.name === 'string' && p.name.trim().length > 0)
    // Longest names first: "Binance (shadow)" before "Binance".
    .sort((a, b) => b.name.length - a.name.length);
  for (const p of portfolios) {
    const re = new RegExp(`(^|\\s)(?:on|in|from|with|using|via)\\s+(?:my\\s+|the\\s+)?${escape(p.name.trim())}(?:\\s+(?:portfolio|account))?(?=$|[\\s.,!?;:])`, 'i');
    const m = re.exec(text);
    if (!m) continue;
    const before = text.slice(0, m.index + m[1]!.length);
    if (LEAD.test(before)) continue;
    const rest = `${before}${text.slice(m.index + m[0].length)}`.replace(/\s{2,}/g, ' ').trim();
    return { text: rest, portfolioId: p.id, portfolioName: p.name };
  }
  return { text };
}
