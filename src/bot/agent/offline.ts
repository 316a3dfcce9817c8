// The brain without a model: `understand()` maps the message to one tool call, made through the same
// in-process MCP client, and the tool's own text is the reply. Trade cards become pending
// confirmations exactly as in the agent. Used when there is no ANTHROPIC_API_KEY, and by the agent
// when the model is unavailable.
import { understand, type Intent, type KnownWallet, type UnderstandContext } from '../nlu/index.js';
import { toolResultForPeople } from '../person-text.js';
import { explainLatest, explainReply } from './why.js';
import { addressPortfolio, PORTFOLIO_TOOLS } from './portfolio-address.js';
import { afterDroppedCard, confirmPrompt, dropPendingCard, whyNotOffered, type Confirmations, type ToolRunner } from './confirmation.js';
import { BrainMode, type Brain, type ChatMessage, type PendingConfirmation, type ToolCallRecord, type TurnInput, type TurnResult } from './types.js';
import type { ToolOutcome } from './tool-results.js';

export interface OfflineBrainDeps {
  runner: ToolRunner;
  confirmations: Confirmations;
  nlu?: UnderstandContext;
  /** Releases what the brain holds (the MCP client); the owner of the client passes it. */
  close?: () => Promise<void>;
}

export function recordOf(o: ToolOutcome): ToolCallRecord {
  return { name: o.name, args: o.args, isError: o.isError, text: o.text, ms: Math.round(o.ms), ...(o.refused ? { refused: o.refused } : {}) };
}

function exchange(userText: string, reply: string): ChatMessage[] {
  return [{ role: 'user', content: userText }, { role: 'assistant', content: reply || '…' }];
}

/** Runs one after another: turns of one conversation never interleave. */
export class TurnQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** A progress bar line for a long tool call, shown through the turn's streaming hook (Telegram edits, Discord). */
export function progressPartial(onPartial: (textSoFar: string) => void): (message: string, done: number, total: number) => void {
  return (message, done, total) => {
    const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
    const filled = Math.floor(fraction * 10);
    onPartial(`${'▓'.repeat(filled)}${'░'.repeat(10 - filled)} ${Math.floor(fraction * 100)}% ${message}`.trim());
  };
}

export class OfflineBrain implements Brain {
  readonly mode = BrainMode.offline;
  private readonly queue = new TurnQueue();

  constructor(private readonly deps: OfflineBrainDeps) {}

  pending(): PendingConfirmation | undefined {
    return this.deps.confirmations.pending();
  }

  runTurn(input: TurnInput): Promise<TurnResult> {
    return this.queue.run(() => this.turn(input));
  }

  /** One turn without queueing (the agent calls this from inside its own queue). */
  async turn(input: TurnInput): Promise<TurnResult> {
    const { runner, confirmations } = this.deps;
    const base = { mode: BrainMode.offline, toolCalls: [] as ToolCallRecord[], images: [] as TurnResult['images'] };
    // Yes/no to a waiting card is read as it is; otherwise a portfolio named in the message is taken out
    // and given to the tool call ("buy 0.5 sol on Binance").
    let intent = understand(input.userText, this.deps.nlu);
    if (intent.kind === 'unknown') intent = await this.withWatchedWallets(input.userText, intent);
    if (intent.kind === 'confirm') return this.confirmTurn(input, intent.answer);
    const addressed = await addressPortfolio(runner, input.userText);
    if (addressed.portfolioId) {
      const again = understand(addressed.text, this.deps.nlu);
      if (again.kind === 'tool' && PORTFOLIO_TOOLS.has(again.tool)) intent = { ...again, args: { ...again.args, portfolioId: addressed.portfolioId } };
    }
    // Anything but yes/no cancels a waiting card; the message is then handled as usual.
    const dropped = dropPendingCard(confirmations);
    switch (intent.kind) {
      case 'link':
        return { ...base, reply: afterDroppedCard(dropped, 'Linking is done by the chat itself; if you see this, the link code was not redeemed.'), link: { code: intent.code }, messages: exchange(input.userText, 'link code') };
      case 'reply':
      case 'unknown': {
        const reply = afterDroppedCard(dropped, intent.text);
        return { ...base, reply, messages: exchange(input.userText, reply) };
      }
      case 'explain': {
        const { reply: answer, calls } = await explainLatest(runner, intent.match);
        const reply = afterDroppedCard(dropped, answer);
        return { ...base, reply, toolCalls: calls.map(recordOf), messages: exchange(input.userText, reply) };
      }
      case 'tool': {
        const outcome = await runner.call(intent.tool, intent.args, input.onPartial ? progressPartial(input.onPartial) : undefined);
        const pending = confirmations.capture(outcome, { requestedBy: { words: input.userText, ...(input.messageId ? { messageId: input.messageId } : {}) }, offerStart: intent.offerStart });
        const text = intent.tool === 'explain-order' ? explainReply(outcome) : toolResultForPeople(outcome);
        const note = intent.note ?? (intent.offerStart ? whyNotOffered(outcome) : undefined);
        const reply = afterDroppedCard(dropped, pending ? confirmPrompt(pending) : note && !outcome.isError ? `${note}\n\n${text}` : text || intent.summary);
        return {
          ...base,
          reply,
          toolCalls: [recordOf(outcome)],
          images: outcome.images,
          ...(pending ? { pendingConfirmation: pending } : {}),
          messages: exchange(input.userText, reply),
        };
      }
    }
  }

  /**
   * A message nothing read, read again against the person's watched wallets ("what is smart whale
   * doing", "rename smart whale to big fish"); they are asked for only then, through the same tools as
   * the person.
   */
  private async withWatchedWallets(text: string, unknown: Intent): Promise<Intent> {
    const listed = await this.deps.runner.call('list-watched-wallets', {});
    if (listed.isError) return unknown;
    const rows = (listed.structured as { wallets?: Array<Record<string, unknown>> } | undefined)?.wallets ?? [];
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    const watchedWallets: KnownWallet[] = rows.map((w) => ({
      label: str(w.label) || null,
      address: str(w.address),
      chain: str(w.chain),
      tags: Array.isArray(w.tags) ? w.tags.filter((x): x is string => typeof x === 'string') : [],
    }));
    return understand(text, { ...this.deps.nlu, watchedWallets });
  }

  private async confirmTurn(input: TurnInput, answer: 'yes' | 'no'): Promise<TurnResult> {
    const r = await this.deps.confirmations.answer(answer, this.deps.runner, input.confirmationToken);
    const executed = r.kind === 'executed' ? r.outcome : undefined;
    const next = r.kind === 'executed' ? r.next : undefined;
    return {
      mode: BrainMode.offline,
      reply: r.reply,
      toolCalls: executed ? [recordOf(executed)] : [],
      images: executed?.images ?? [],
      ...(next ? { pendingConfirmation: next } : {}),
      messages: exchange(input.userText, r.reply),
    };
  }

  async close(): Promise<void> {
    await this.deps.close?.();
  }
}
