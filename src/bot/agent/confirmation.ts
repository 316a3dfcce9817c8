// The confirmation rule in code (reliability 15 and 16): a money-moving tool runs only when the
// person's own message in this turn confirms the exact pending trade card. The server enforces the
// token too; this layer makes sure neither a model nor text inside a tool result can even try.
//
// How a trade happens through a brain:
//   1. preview-order (or close-position / close-all-positions without a token) returns a card and a
//      confirmation token; `capture` keeps it as the pending confirmation and the turn returns it.
//   2. The person answers "yes" (a button sends the card's token too). `answer` runs the pending
//      tool with its exact arguments plus the token — deterministic code, no model in the loop.
//   3. Any other place-order (or close-* carrying a token) is refused by `authorize`: the model
//      can preview, never execute.
//   4. A message that is neither yes nor no cancels the card (`dropPendingCard`) before it is
//      handled, so a later "yes" meant for something else never confirms a forgotten card.
import { isDeepStrictEqual } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Clock } from '../../domain/ports.js';
import { scrub, type Logger } from '../../log.js';
import { personText, toolResultForPeople } from '../person-text.js';
import { findConfirmationToken, readCallResult, type ToolOutcome } from './tool-results.js';
import { personWordsReason } from '../../tools/trading/order-context.js';
import { ConfirmableTool, type CardRequest, type PendingConfirmation } from './types.js';

/** How long a card stays answerable when the server names no expiry. */
export const DEFAULT_CONFIRMATION_TTL_MS = 5 * 60_000;

/** Which tool executes a card, by the tool that produced it. */
const EXECUTOR_OF: Record<string, ConfirmableTool> = {
  'preview-order': ConfirmableTool.placeOrder,
  'place-order': ConfirmableTool.placeOrder,
  'close-position': ConfirmableTool.closePosition,
  'close-all-positions': ConfirmableTool.closeAllPositions,
};

export const REFUSAL =
  'Refused by MIKEY: this call moves money and runs only after the person confirms this exact trade card in their own message; ' +
  'their message in this turn is not that confirmation. Nothing was placed. Call preview-order to show a card — the person confirms it with the buttons or by saying yes.';

/** Calls MIKEY's tools through the in-process MCP client; a thrown protocol error becomes an error result. */
export class ToolRunner {
  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
  ) {}

  /** `onProgress` receives the tool's progress messages (long work: backtests, sweeps) while it runs. */
  async call(name: string, args: Record<string, unknown>, onProgress?: (message: string, done: number, total: number) => void): Promise<ToolOutcome> {
    const started = performance.now();
    try {
      const result = await this.client.callTool(
        { name, arguments: args },
        undefined,
        onProgress ? { onprogress: (p) => onProgress(p.message ?? '', p.progress, p.total ?? 0), resetTimeoutOnProgress: true } : undefined,
      );
      return readCallResult(name, args, result, performance.now() - started);
    } catch (err) {
      const message = scrub(err instanceof Error ? err.message : String(err));
      this.logger.warn('tool call failed', { tool: name, error: message });
      return { name, args, isError: true, text: `The ${name} call failed: ${message}`, images: [], structured: undefined, ms: performance.now() - started };
    }
  }
}

function describe(tool: ConfirmableTool, args: Record<string, unknown>): string {
  const s = (k: string): string => {
    const v = args[k];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
  };
  if (tool === ConfirmableTool.closeAllPositions) return 'close every open position';
  if (tool === ConfirmableTool.closePosition) {
    const f = s('fraction');
    return `close ${f === '' || f === '1' ? 'all' : f} of ${s('symbol') || s('positionId')}`;
  }
  const size = args.quantity !== undefined ? s('quantity') : `${s('quoteQuantity')} (quote)`;
  const price = args.price !== undefined ? ` @ ${s('price')}` : args.stopPrice !== undefined ? ` stop ${s('stopPrice')}` : '';
  const lev = args.leverage !== undefined ? ` ${s('leverage')}x` : '';
  const sl = args.stopLoss !== undefined ? ` · stop-loss ${s('stopLoss')}` : '';
  const priceOf = (t: unknown): string => {
    const p = (t as { price?: unknown } | null)?.price;
    return typeof p === 'string' || typeof p === 'number' ? String(p) : '';
  };
  const targets = Array.isArray(args.takeProfits) ? args.takeProfits.map(priceOf) : [];
  const tp = targets.length ? ` · take-profit ${targets.join(', ')}` : '';
  return `${s('type') || 'market'} ${s('side')} ${size} ${s('symbol')}${price}${lev}${sl}${tp}`.replace(/\s+/g, ' ').trim();
}

function withoutToken(args: Record<string, unknown>): Record<string, unknown> {
  const { confirmationToken: _token, ...rest } = args;
  return rest;
}

export type ConfirmationReply =
  | { kind: 'none'; reply: string }
  | { kind: 'stale'; reply: string }
  | { kind: 'cancelled'; reply: string; pending: PendingConfirmation }
  | { kind: 'executed'; reply: string; pending: PendingConfirmation; outcome: ToolOutcome; next?: PendingConfirmation };

/**
 * The card as a person reads it: the tool's text without what is addressed to a model (how to call
 * place-order with the token, the card's data as JSON) — a person confirms with a button or "yes".
 */
export function forPeople(text: string): string {
  return personText(text);
}

/** The one pending trade card of a conversation. */
export class Confirmations {
  private current: PendingConfirmation | undefined;
  private expired: PendingConfirmation | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number = DEFAULT_CONFIRMATION_TTL_MS,
  ) {}

  /** The card waiting for an answer, if it has not expired. */
  pending(): PendingConfirmation | undefined {
    if (this.current && this.current.expiresAt.getTime() <= this.clock.now().getTime()) {
      this.expired = this.current;
      this.current = undefined;
    }
    return this.current;
  }

  clear(): void {
    this.current = undefined;
  }

  /**
   * Keeps the card of a preview-like result that carries a confirmation token. A new card replaces
   * the old one: one pending confirmation per conversation.
   */
  capture(outcome: ToolOutcome, opts: { afterExecution?: boolean; requestedBy?: CardRequest | undefined } = {}): PendingConfirmation | undefined {
    const tool = EXECUTOR_OF[outcome.name];
    if (!tool || outcome.refused) return undefined;
    if (!opts.afterExecution && outcome.args.confirmationToken !== undefined) return undefined;
    const found = findConfirmationToken(outcome);
    if (!found) return undefined;
    const args = withoutToken(outcome.args);
    const named = found.expiresAt ? new Date(found.expiresAt) : undefined;
    const expiresAt = named && Number.isFinite(named.getTime()) ? named : new Date(this.clock.now().getTime() + this.ttlMs);
    const requestedBy = opts.requestedBy && opts.requestedBy.words.trim() !== '' ? opts.requestedBy : undefined;
    this.current = { token: found.token, tool, args, card: forPeople(outcome.text), summary: describe(tool, args), expiresAt, ...(requestedBy ? { requestedBy } : {}) };
    this.expired = undefined;
    return this.current;
  }

  /**
   * Whether a call the model asked for may run. Returns the refusal text, or undefined to allow.
   * `confirmedToken` is the pending token when the person's message in this turn confirms it.
   */
  authorize(name: string, args: Record<string, unknown>, confirmedToken?: string): string | undefined {
    const gated = name === ConfirmableTool.placeOrder || ((name === ConfirmableTool.closePosition || name === ConfirmableTool.closeAllPositions) && args.confirmationToken !== undefined);
    if (!gated) return undefined;
    const p = this.pending();
    const ok = p !== undefined && confirmedToken !== undefined && p.token === confirmedToken && args.confirmationToken === p.token && p.tool === name && isDeepStrictEqual(withoutToken(args), p.args);
    return ok ? undefined : REFUSAL;
  }

  /**
   * The person's answer to the pending card. "yes" runs the pending tool with its exact arguments
   * and token (single use: the card is cleared first); "no" drops it. `buttonToken` (from a button
   * press) must be the pending card's token.
   */
  async answer(answer: 'yes' | 'no', runner: ToolRunner, buttonToken?: string): Promise<ConfirmationReply> {
    const p = this.pending();
    if (!p) {
      const old = this.expired;
      this.expired = undefined;
      if (old && (buttonToken === undefined || buttonToken === old.token)) return { kind: 'stale', reply: `That trade card (${old.summary}) has expired; nothing was placed. Ask again for a fresh card.` };
      return { kind: 'none', reply: buttonToken ? 'That trade card was already answered or has expired; nothing was placed.' : 'There is nothing waiting for your confirmation.' };
    }
    if (buttonToken !== undefined && buttonToken !== p.token) return { kind: 'stale', reply: `That button belongs to an older trade card; nothing was placed. The current card (${p.summary}) is still waiting.` };
    this.current = undefined;
    if (answer === 'no') return { kind: 'cancelled', reply: `Cancelled — nothing was placed (${p.summary}).`, pending: p };
    const outcome = await runner.call(p.tool, { ...p.args, confirmationToken: p.token, ...orderContextArgs(p) });
    const next = outcome.isError ? this.capture(outcome, { afterExecution: true, requestedBy: p.requestedBy }) : undefined;
    const reply = !outcome.isError ? toolResultForPeople(outcome)
      : next ? `${next.card}\n\nThe card changed before it was placed; reply “yes” to confirm the new one or “no” to cancel.`
      : `Not done: ${toolResultForPeople(outcome)}`;
    return { kind: 'executed', reply, pending: p, outcome, ...(next ? { next } : {}) };
  }
}

/**
 * Why the confirmed order is placed, for place-order to store with it (OrderContext): the person's
 * own words that led to the card, marked as theirs, and their message id. The card they confirmed and
 * the surface are recorded by the server (the token and the session). Not part of the card's
 * arguments: the token stays bound to exactly those. Closes (close-position, close-all-positions)
 * carry it too.
 */
export function orderContextArgs(p: PendingConfirmation): Record<string, string> {
  if (!p.requestedBy) return {};
  return { reason: personWordsReason(p.requestedBy.words), ...(p.requestedBy.messageId ? { messageId: p.requestedBy.messageId.slice(0, 100) } : {}) };
}

/**
 * Anything but yes/no while a card waits cancels the card, and the message is then handled as the
 * next one: drops the pending card and returns the line that says so, or undefined when none waited.
 */
export function dropPendingCard(confirmations: Confirmations): string | undefined {
  const card = confirmations.pending();
  if (!card) return undefined;
  confirmations.clear();
  return `Cancelled the trade card (${card.summary}); nothing was placed.`;
}

/** The reply of a turn that first dropped a pending card. */
export function afterDroppedCard(dropped: string | undefined, reply: string): string {
  return dropped ? `${dropped}\n\n${reply}` : reply;
}

/** What to tell the person under a fresh card. */
export function confirmPrompt(p: PendingConfirmation): string {
  return `${p.card}\n\nReply “yes” to confirm or “no” to cancel.`;
}
