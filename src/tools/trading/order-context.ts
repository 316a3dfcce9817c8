// Why an order was placed, as the caller states it: stored with the order (`OrderContext`) and read
// back by explain-order. Every surface passes it — chat brains the person's own words that led to
// the card, MCP clients their stated reason. It never changes what the order is: the service gets
// the order's arguments without these fields, so a confirmation token binds the same parameters.
import { z } from 'zod';
import type { OrderContext } from '../../services/trading/trading-service.js';

/** How a reason quoting the person starts; the rest is their message, trimmed and quoted. */
export const PERSON_WORDS_PREFIX = 'the person wrote: ';

/** Longest stated reason kept with an order. */
export const MAX_REASON_CHARS = 500;

export const orderContextShape = {
  reason: z
    .string()
    .trim()
    .min(1)
    .max(MAX_REASON_CHARS, `reason is at most ${MAX_REASON_CHARS} characters`)
    .optional()
    .describe('Why this order is placed, kept with it for "why did you buy …?": the person\'s request in their words, or your own stated reason'),
  messageId: z.string().trim().min(1).max(100).optional().describe('The chat message that asked for this order, when there is one'),
  analysisId: z.string().trim().min(1).max(100).optional().describe('The analysis (from analyze-market) this order follows, when there is one'),
};

type ContextArgs = { reason?: string | undefined; messageId?: string | undefined; analysisId?: string | undefined };

/** Splits tool arguments into the order's own arguments and its context. */
export function splitOrderContext<A extends ContextArgs>(args: A): { order: Omit<A, keyof ContextArgs>; context: OrderContext } {
  const { reason, messageId, analysisId, ...order } = args;
  const context: OrderContext = { ...(reason ? { reason } : {}), ...(messageId ? { messageId } : {}), ...(analysisId ? { analysisId } : {}) };
  return { order, context };
}

/** The reason a chat brain records: the person's words (trimmed, one line, bounded), marked as theirs. */
export function personWordsReason(words: string): string {
  const clean = words.replace(/\s+/g, ' ').trim().replace(/"/g, "'");
  const room = MAX_REASON_CHARS - PERSON_WORDS_PREFIX.length - 2;
  const cut = clean.length > room ? `${clean.slice(0, room - 1)}…` : clean;
  return `${PERSON_WORDS_PREFIX}"${cut}"`;
}

/** The person's words inside a reason made by `personWordsReason`, or undefined for any other reason. */
export function personWordsOf(reason: string | undefined): string | undefined {
  if (!reason?.startsWith(PERSON_WORDS_PREFIX)) return undefined;
  const m = /^"(.*)"$/s.exec(reason.slice(PERSON_WORDS_PREFIX.length));
  return m ? m[1] : undefined;
}
