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
//
// A bot card works the same way: create-bot (or get-bot, when the person asked to start that bot)
// shows the card of a stopped paper bot's limits, and "yes" runs start-bot with approve: true — the
// owner's standing approval. A bot on a live portfolio is never offered: it is approved at the terminal.
import { randomBytes } from 'node:crypto';
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

/** How a bot card's token starts (a trade card's comes from the server and starts otherwise). */
const BOT_TOKEN = 'bot-';

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

/** What a card is called and what "nothing happened" means for it, in the replies about it. */
export function cardWords(p: Pick<PendingConfirmation, 'tool'>): { card: string; nothing: string } {
  return p.tool === ConfirmableTool.startBot ? { card: 'bot card', nothing: 'nothing was started' } : { card: 'trade card', nothing: 'nothing was placed' };
}

/** The arguments a confirmed card runs with: a trade card's plus its token and why; a bot card's as they are. */
function executionArgs(p: PendingConfirmation): Record<string, unknown> {
  return p.tool === ConfirmableTool.startBot ? p.args : { ...p.args, confirmationToken: p.token, ...orderContextArgs(p) };
}

interface BotResult {
  bot?: { id?: unknown; shortId?: unknown; name?: unknown; status?: unknown; card?: { tradingMode?: unknown } };
  card?: { tradingMode?: unknown };
}

/** The bot a create-bot, get-bot or start-bot result is about, as its structured content says. */
function botOf(outcome: ToolOutcome): { id: string; shortId: string; name: string; status: string; tradingMode: string } | undefined {
  const s = outcome.structured as BotResult | undefined;
  const bot = s?.bot;
  if (!bot || typeof bot.id !== 'string') return undefined;
  const mode = s.card?.tradingMode ?? bot.card?.tradingMode;
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { id: bot.id, shortId: text(bot.shortId) || bot.id.slice(0, 8), name: text(bot.name), status: text(bot.status), tradingMode: text(mode) };
}

/**
 * Why "start bot X" showed a bot's card without asking to approve it, or undefined when there is no
 * reason to say (not a bot result, or one that can be offered).
 */
export function whyNotOffered(outcome: ToolOutcome): string | undefined {
  const bot = outcome.isError ? undefined : botOf(outcome);
  if (!bot) return undefined;
  if (bot.tradingMode === 'live') return `This bot trades a live portfolio: its approval is typed at the terminal, where you type its name back (npx mikey bot approve-live ${bot.shortId}).`;
  if (bot.status === 'running') return 'It is already running.';
  if (bot.status === 'paused') return `It is paused under its approval: say “resume bot ${bot.shortId}” to go on.`;
  return undefined;
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
  capture(outcome: ToolOutcome, opts: { afterExecution?: boolean; requestedBy?: CardRequest | undefined; offerStart?: boolean | undefined } = {}): PendingConfirmation | undefined {
    if (outcome.name === 'create-bot' || (outcome.name === 'get-bot' && opts.offerStart === true)) return this.offerBot(outcome);
    if (outcome.name === ConfirmableTool.startBot) {
      // Started by other means (the model, when the person asked): its card no longer waits.
      const started = outcome.isError ? undefined : botOf(outcome);
      if (started && this.current?.tool === ConfirmableTool.startBot && this.current.args.botId === started.id) this.current = undefined;
      return undefined;
    }
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
   * Keeps the card of a stopped bot on a paper portfolio for the person's approval; "yes" then runs
   * start-bot with approve: true. A running, paused or live bot is not offered.
   */
  private offerBot(outcome: ToolOutcome): PendingConfirmation | undefined {
    const bot = outcome.isError || outcome.refused ? undefined : botOf(outcome);
    if (!bot || bot.status !== 'stopped' || bot.tradingMode !== 'paper') return undefined;
    const summary = `approve and start bot ${bot.name ? `“${bot.name.slice(0, 60)}” ` : ''}(${bot.shortId})`;
    const token = `${BOT_TOKEN}${randomBytes(12).toString('base64url')}`;
    const expiresAt = new Date(this.clock.now().getTime() + this.ttlMs);
    this.current = { token, tool: ConfirmableTool.startBot, args: { botId: bot.id, approve: true }, card: forPeople(outcome.text), summary, expiresAt };
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
      if (old && (buttonToken === undefined || buttonToken === old.token)) {
        const w = cardWords(old);
        return { kind: 'stale', reply: `That ${w.card} (${old.summary}) has expired; ${w.nothing}. Ask again for a fresh card.` };
      }
      if (!buttonToken) return { kind: 'none', reply: 'There is nothing waiting for your confirmation.' };
      const w = cardWords({ tool: buttonToken.startsWith(BOT_TOKEN) ? ConfirmableTool.startBot : ConfirmableTool.placeOrder });
      return { kind: 'none', reply: `That ${w.card} was already answered or has expired; ${w.nothing}.` };
    }
    const w = cardWords(p);
    if (buttonToken !== undefined && buttonToken !== p.token) return { kind: 'stale', reply: `That button belongs to an older card; nothing was done. The current ${w.card} (${p.summary}) is still waiting.` };
    this.current = undefined;
    if (answer === 'no') return { kind: 'cancelled', reply: `Cancelled — ${w.nothing} (${p.summary}).`, pending: p };
    const outcome = await runner.call(p.tool, executionArgs(p));
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
  const w = cardWords(card);
  return `Cancelled the ${w.card} (${card.summary}); ${w.nothing}.`;
}

/** The reply of a turn that first dropped a pending card. */
export function afterDroppedCard(dropped: string | undefined, reply: string): string {
  return dropped ? `${dropped}\n\n${reply}` : reply;
}

/** What to tell the person under a fresh card. */
export function confirmPrompt(p: PendingConfirmation): string {
  if (p.tool === ConfirmableTool.startBot) return `${p.card}\n\nReply “yes” to approve this card and start the bot, or “no” to leave it stopped.`;
  return `${p.card}\n\nReply “yes” to confirm or “no” to cancel.`;
}
