// The model-backed brain: one conversational turn through the Anthropic Messages API with MIKEY's
// tools, called through the in-process MCP client. Bounded tool rounds, retries on busy models,
// prompt caching, per-user usage and cost, history per conversation, and the confirmation rule in
// code: the model previews, the person confirms, deterministic code executes.
import { randomUUID } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlock, ContentBlockParam, Message, MessageCreateParamsNonStreaming, TextBlockParam, Tool, ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { NewLlmUsage } from '../../db/schema/index.js';
import { scrub } from '../../log.js';
import { newTraceId } from '../../services/actor.js';
import type { Services } from '../../services/index.js';
import { understand } from '../nlu/index.js';
import { APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { unaskedRefusal } from './asked.js';
import { afterDroppedCard, cardWords, dropPendingCard, REFUSAL, type Confirmations, type ToolRunner } from './confirmation.js';
import { windowHistory, withoutCacheControl, type ConversationStore } from './history.js';
import { progressPartial, recordOf, TurnQueue, type OfflineBrain } from './offline.js';
import { D } from '../../domain/money.js';
import { costOf, priceOf } from './pricing.js';
import { systemPrompt } from './prompt.js';
import { DEFAULT_RETRY, realSleep, withRetries, type RetryPolicy, type Sleep } from './retry.js';
import { toAnthropicTools, toToolResultBlock, type ToolOutcome } from './tool-results.js';
import { BrainMode, type Brain, type ChatMessage, type PendingConfirmation, type ToolCallRecord, type TurnImage, type TurnInput, type TurnResult, type TurnUsage } from './types.js';

export interface AgentSettings {
  model: string;
  maxTokens: number;
  /** Tool rounds per turn before the model is asked to answer with what it has. */
  maxToolRounds: number;
  /** Messages of history sent with a turn (cut back to the person's own message). */
  historyMessages: number;
  retry: RetryPolicy;
  /** Longest user message passed to the model. */
  maxUserChars: number;
  /** After the model fails, how long turns go straight to the offline understanding. */
  pauseAfterFailureMs: number;
  /**
   * The endpoint is not Anthropic's (a local server such as Ollama or llama.cpp): a model the price
   * table does not know costs nothing, instead of being priced as Sonnet, and is sent no
   * prompt-cache breakpoints. A Claude model behind a proxy is still priced and cached.
   */
  localModel?: boolean;
}

export const DEFAULT_AGENT_SETTINGS: Omit<AgentSettings, 'model'> = {
  maxTokens: 1024,
  maxToolRounds: 8,
  historyMessages: 40,
  retry: DEFAULT_RETRY,
  maxUserChars: 4000,
  pauseAfterFailureMs: 30_000,
};

/** Counts every HTTP attempt the SDK makes, so retries inside `maxRetries` are visible. */
export interface AttemptCounter {
  attempts: number;
}

export interface AgentDeps {
  anthropic: Anthropic;
  attempts: AttemptCounter;
  client: Client;
  runner: ToolRunner;
  confirmations: Confirmations;
  services: Services;
  userId: string;
  platform: string;
  chatId: string;
  settings: AgentSettings;
  /** Conversation persistence; without it history lives in memory for the brain's life. */
  store?: ConversationStore;
  /** Answers the turn when the model cannot be reached. */
  fallback?: OfflineBrain;
  sleep?: Sleep;
  close?: () => Promise<void>;
}

interface TurnState {
  /** What the person wrote this turn: the only text that can ask for a change. */
  userText: string;
  usage: TurnUsage;
  traceId: string;
  conversationId: string | undefined;
  successes: number;
  failures: number;
  attemptsAtStart: number;
  /** Usage rows not yet written: stored with the turn's messages in one transaction. */
  usageRows: NewLlmUsage[];
  /** Set when the surface shows the answer as it is written: the model is then called streaming. */
  onPartial?: (textSoFar: string) => void;
}

/** Text blocks of one message joined as `textOf` joins them. */
function joinText(before: string, next: string): string {
  return before ? `${before}\n${next}` : next;
}

function textOf(content: readonly ContentBlock[]): string {
  return content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n').trim();
}

/** Response blocks as request params (what goes back into the conversation). */
function asParams(content: readonly ContentBlock[], dropToolUse: boolean): ContentBlockParam[] {
  const out: ContentBlockParam[] = [];
  for (const b of content) {
    if (b.type === 'text') out.push({ type: 'text', text: b.text });
    else if (b.type === 'tool_use' && !dropToolUse) out.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input });
    else if (b.type === 'thinking') out.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
    else if (b.type === 'redacted_thinking') out.push({ type: 'redacted_thinking', data: b.data });
  }
  return out;
}

/** A copy of the conversation with a prompt-cache breakpoint on its last block (the stored copy has none). */
function withCacheBreakpoint(messages: readonly ChatMessage[]): ChatMessage[] {
  const out = messages.slice();
  const last = out[out.length - 1];
  if (!last) return out;
  const content: ContentBlockParam[] = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content.slice();
  const tail = content[content.length - 1];
  if (tail && (tail.type === 'text' || tail.type === 'tool_result' || tail.type === 'tool_use' || tail.type === 'image')) {
    content[content.length - 1] = { ...tail, cache_control: { type: 'ephemeral' } };
  }
  out[out.length - 1] = last.role === 'user' ? { role: 'user', content } : { role: 'assistant', content };
  return out;
}

/** A 200 answer that is not a usable message (a broken local server, a proxy's HTML page). */
export class MalformedAnswer extends Error {
  override readonly name = 'MalformedAnswer';
}

/** A streamed answer that broke off after it had begun (the connection dropped, the events stopped). */
export class StreamCut extends Error {
  override readonly name = 'StreamCut';
}

/** What is wrong with an answer, or undefined when it is a message MIKEY can use. */
function malformed(response: unknown): string | undefined {
  if (!response || typeof response !== 'object') return 'the answer is not a message';
  const content = (response as { content?: unknown }).content;
  if (!Array.isArray(content)) return 'the answer has no content list';
  for (const b of content as Array<Record<string, unknown> | null>) {
    if (!b || typeof b !== 'object' || typeof b.type !== 'string') return 'a content block has no type';
    if (b.type === 'text' && typeof b.text !== 'string') return 'a text block has no text';
    if (b.type === 'tool_use' && (typeof b.id !== 'string' || b.id === '' || typeof b.name !== 'string' || b.name === '')) return 'a tool call has no id or name';
  }
  return undefined;
}

/** How the person is told why the model is not used, in a few words. */
function failureReason(err: unknown): string {
  if (err instanceof MalformedAnswer || err instanceof SyntaxError) return 'answering in a form I cannot read';
  if (err instanceof StreamCut) return 'cut off mid-answer';
  if (err instanceof APIConnectionTimeoutError) return 'not answering in time';
  const status = (err as { status?: unknown }).status;
  if (status === 429) return 'rate limited';
  if (status === 529) return 'overloaded';
  if (typeof status === 'number' && status >= 500) return `failing (server error ${status})`;
  if (typeof status === 'number') return `refusing the request (error ${status})`;
  return 'not answering';
}

function emptyUsage(model: string): TurnUsage {
  return { model, modelCalls: 0, retries: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cost: '0' };
}

export class ChatAgent implements Brain {
  readonly mode = BrainMode.agent;
  private readonly queue = new TurnQueue();
  private tools: Tool[] | undefined;
  private toolNames = new Set<string>();
  /** Tools the MCP server marks read-only: the model may always call them. */
  private readOnly = new Set<string>();
  /**
   * The conversation's recent messages: loaded from the store on the first turn, then kept in step
   * with every write (this brain is the conversation's only writer — one brain per conversation),
   * so a turn costs no history query. Without a store it is the only history.
   */
  private memory: ChatMessage[] | undefined;
  private conversationId: string | undefined;
  private readonly system: string;
  private warnedUnpriced = false;
  /** Set when the model failed: until then turns go straight to the offline understanding. */
  private paused: { until: number; why: string } | undefined;

  constructor(private readonly deps: AgentDeps) {
    this.system = systemPrompt(deps.platform);
  }

  pending(): PendingConfirmation | undefined {
    return this.deps.confirmations.pending();
  }

  runTurn(input: TurnInput): Promise<TurnResult> {
    return this.queue.run(async () => {
      const state = await this.newState(input.userText.slice(0, this.deps.settings.maxUserChars));
      try {
        return await this.turn(input, state);
      } finally {
        // Spend is recorded even when a turn dies before its messages are stored.
        if (state.usageRows.length > 0 && this.deps.store) {
          await this.deps.store.recordUsage(state.usageRows.splice(0)).catch((err: unknown) => this.deps.services.logger.error('could not record llm usage', { traceId: state.traceId, error: err }));
        }
      }
    });
  }

  private async newState(userText: string): Promise<TurnState> {
    return {
      userText,
      usage: emptyUsage(this.deps.settings.model),
      traceId: newTraceId(),
      conversationId: await this.conversation(),
      successes: 0,
      failures: 0,
      attemptsAtStart: this.deps.attempts.attempts,
      usageRows: [],
    };
  }

  async close(): Promise<void> {
    await this.deps.close?.();
  }

  /** The model's tools: exactly what the MCP server lists, fetched once. */
  private async toolList(): Promise<Tool[]> {
    if (!this.tools) {
      const { tools } = await this.deps.client.listTools();
      this.tools = toAnthropicTools(tools);
      this.toolNames = new Set(tools.map((t) => t.name));
      this.readOnly = new Set(tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name));
    }
    return this.tools;
  }

  private async conversation(): Promise<string | undefined> {
    if (!this.deps.store) return undefined;
    this.conversationId ??= await this.deps.store.open({ userId: this.deps.userId, platform: this.deps.platform, chatId: this.deps.chatId });
    return this.conversationId;
  }

  private async history(input: TurnInput, conversationId: string | undefined): Promise<ChatMessage[]> {
    if (input.history) return windowHistory(input.history, this.deps.settings.historyMessages);
    if (!this.memory) this.memory = this.deps.store && conversationId ? await this.deps.store.load(conversationId, this.deps.settings.historyMessages * 2) : [];
    return windowHistory(this.memory, this.deps.settings.historyMessages);
  }

  private async remember(state: TurnState, added: ChatMessage[]): Promise<void> {
    const clean = added.map(withoutCacheControl);
    if (this.deps.store && state.conversationId) {
      try {
        await this.deps.store.append(state.conversationId, clean, this.deps.services.clock.now(), state.usageRows);
        state.usageRows.length = 0;
      } catch (err) {
        this.deps.services.logger.error('could not store conversation messages', { conversationId: state.conversationId, traceId: state.traceId, error: err });
      }
    }
    // Not loaded yet (e.g. a first turn that was a confirmation): the next turn reads the store.
    if (this.memory === undefined && this.deps.store) return;
    this.memory = [...(this.memory ?? []), ...clean];
    const keep = this.deps.settings.historyMessages * 2;
    if (this.memory.length > keep) this.memory = windowHistory(this.memory, keep);
  }

  private async turn(input: TurnInput, state: TurnState): Promise<TurnResult> {
    const { services, settings } = this.deps;
    const userText = input.userText.slice(0, settings.maxUserChars);
    const intent = understand(userText);
    // A yes/no to a pending card is answered by code, never by the model (reliability 15).
    if (intent.kind === 'confirm' && (this.deps.confirmations.pending() || input.confirmationToken !== undefined)) {
      return this.confirmTurn(userText, intent.answer, input.confirmationToken, state);
    }
    // Anything but yes/no cancels a waiting card, so a later "yes" meant for something else can
    // never confirm it; the message is then handled as the next one, and the model is told.
    const waiting = this.deps.confirmations.pending();
    const dropped = dropPendingCard(this.deps.confirmations);
    if (input.onPartial) state.onPartial = this.partials(input.onPartial, dropped, state);
    if (intent.kind === 'link') {
      return { mode: this.mode, reply: afterDroppedCard(dropped, 'Linking is done by the chat itself; if you see this, the link code was not redeemed.'), toolCalls: [], images: [], link: { code: intent.code }, messages: [] };
    }

    // The model failed a moment ago: do not make the person wait for it again (retries against a
    // server that is down take seconds); the offline understanding answers until the pause is over.
    if (this.deps.fallback && this.paused && services.clock.now().getTime() < this.paused.until) {
      this.finishUsage(state);
      const r = await this.offlineTurn(userText, this.paused.why, [], [], state, input.messageId);
      return { ...r, reply: afterDroppedCard(dropped, r.reply) };
    }

    const tools = await this.toolList();
    const userMessage: ChatMessage = waiting
      ? {
          role: 'user',
          content: [
            { type: 'text', text: userText },
            { type: 'text', text: `[MIKEY: this message is not a yes or no, so the ${cardWords(waiting).card} that was waiting (${waiting.summary}) was cancelled and ${cardWords(waiting).nothing}. Show it again if the person still wants it.]` },
          ],
        }
      : { role: 'user', content: userText };
    const added: ChatMessage[] = [userMessage];
    const messages: ChatMessage[] = [...(await this.history(input, state.conversationId)), userMessage];
    const toolCalls: ToolCallRecord[] = [];
    const images: TurnImage[] = [];
    let pending: PendingConfirmation | undefined;
    let reply: string;
    try {
      for (let round = 0; ; round++) {
        const final = round >= settings.maxToolRounds;
        if (final) this.addBudgetNote(messages, added);
        const response = await this.callModel(messages, tools, final, state);
        const toolUses = final ? [] : response.content.filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use');
        const content = asParams(response.content, final);
        if (content.length === 0) content.push({ type: 'text', text: '…' });
        const assistant: ChatMessage = { role: 'assistant', content };
        messages.push(assistant);
        added.push(assistant);
        // Tool calls are answered whatever the stop reason says: local servers do not always say tool_use.
        if (toolUses.length === 0) {
          reply = this.finalText(response, final);
          break;
        }
        const results: ToolResultBlockParam[] = [];
        for (const use of toolUses) {
          const outcome = await this.execute(use.name, use.input, state);
          toolCalls.push(recordOf(outcome));
          images.push(...outcome.images);
          pending = this.deps.confirmations.capture(outcome, { requestedBy: { words: userText, ...(input.messageId ? { messageId: input.messageId } : {}) } }) ?? pending;
          results.push(toToolResultBlock(use.id, outcome));
        }
        const toolMessage: ChatMessage = { role: 'user', content: results };
        messages.push(toolMessage);
        added.push(toolMessage);
      }
    } catch (err) {
      const failed = await this.modelFailed(err, userText, added, toolCalls, images, pending, state, input.messageId);
      return { ...failed, reply: afterDroppedCard(dropped, failed.reply) };
    }
    this.finishUsage(state);
    await this.remember(state, added);
    services.logger.debug('chat turn', { userId: this.deps.userId, traceId: state.traceId, rounds: state.usage.modelCalls, tools: toolCalls.map((t) => t.name), cost: state.usage.cost });
    return { mode: this.mode, reply: afterDroppedCard(dropped, reply), toolCalls, images, ...(pending ? { pendingConfirmation: pending } : {}), messages: added, usage: state.usage };
  }

  /** The turn answered by the offline understanding, under one line that says why. */
  private async offlineTurn(userText: string, why: string, toolCalls: ToolCallRecord[], images: TurnImage[], state: TurnState, messageId?: string): Promise<TurnResult> {
    const offline = await this.deps.fallback!.turn({ userText, ...(messageId ? { messageId } : {}) });
    const reply = `The model is ${why}, so I used the offline understanding.\n${offline.reply}`;
    const messages: ChatMessage[] = [{ role: 'user', content: userText }, { role: 'assistant', content: [{ type: 'text', text: reply }] }];
    await this.remember(state, messages);
    return { ...offline, mode: this.mode, reply, toolCalls: [...toolCalls, ...offline.toolCalls], images: [...images, ...offline.images], messages, usage: state.usage };
  }

  /** Tells the model the tool budget is spent (appended to the last tool results). */
  private addBudgetNote(messages: ChatMessage[], added: ChatMessage[]): void {
    const last = messages[messages.length - 1];
    if (!last || last.role !== 'user' || typeof last.content === 'string') return;
    const note: TextBlockParam = {
      type: 'text',
      text: `[MIKEY: the tool budget for this message (${this.deps.settings.maxToolRounds} rounds) is used up. Answer now with what you have; no more tool calls.]`,
    };
    const replaced: ChatMessage = { role: 'user', content: [...last.content, note] };
    messages[messages.length - 1] = replaced;
    const i = added.lastIndexOf(last);
    if (i >= 0) added[i] = replaced;
  }

  private finalText(response: Message, final: boolean): string {
    const text = textOf(response.content);
    if (response.stop_reason === 'refusal') return text || "I can't help with that one.";
    if (response.stop_reason === 'max_tokens') return `${text} …`.trim();
    if (text) return text;
    return final
      ? `I used my ${this.deps.settings.maxToolRounds} tool steps for this message and stopped there. Ask again with something narrower and I'll pick it up.`
      : 'Done.';
  }

  private async callModel(messages: readonly ChatMessage[], tools: Tool[], final: boolean, state: TurnState): Promise<Message> {
    const { settings, services } = this.deps;
    // Prompt caching is Claude's: a model MIKEY does not know behind another endpoint (a local
    // server) gets no cache breakpoints, and so no cause to refuse them.
    const cache = !(settings.localModel === true && !priceOf(settings.model).known);
    const params: MessageCreateParamsNonStreaming = {
      model: settings.model,
      max_tokens: settings.maxTokens,
      system: [{ type: 'text', text: this.system, ...(cache ? { cache_control: { type: 'ephemeral' } as const } : {}) }],
      tools: cache ? tools : tools.map(({ cache_control: _marker, ...t }) => t),
      messages: cache ? withCacheBreakpoint(messages) : messages.slice(),
      metadata: { user_id: this.deps.userId },
      ...(final ? { tool_choice: { type: 'none' } } : {}),
    };
    const onPartial = state.onPartial;
    let response: Message;
    try {
      response = await withRetries(
        () => (onPartial ? this.streamed(params, onPartial) : this.deps.anthropic.messages.create(params)),
        settings.retry,
        (err, delayMs) => services.logger.warn('model busy, retrying', { traceId: state.traceId, status: (err as { status?: number }).status, delayMs: Math.round(delayMs) }),
        this.deps.sleep ?? realSleep,
      );
    } catch (err) {
      state.failures++;
      throw err;
    }
    const problem = malformed(response);
    if (problem) {
      state.failures++;
      throw new MalformedAnswer(problem);
    }
    state.successes++;
    this.recordUsage(response, state);
    return response;
  }

  /**
   * One model call streamed: the person sees the answer grow (the whole text of this message so far
   * on every text event), and the complete message is the response, as without streaming. A stream
   * that breaks off rejects like a failed call (retried or answered offline by the same rules).
   */
  private async streamed(params: MessageCreateParamsNonStreaming, onPartial: (textSoFar: string) => void): Promise<Message> {
    const stream = this.deps.anthropic.messages.stream(params);
    let finished = '';
    stream.on('text', (_delta, snapshot) => {
      const text = joinText(finished, snapshot).trim();
      if (text) onPartial(text);
    });
    stream.on('contentBlock', (block) => {
      if (block.type === 'text') finished = joinText(finished, block.text);
    });
    let begun = false;
    stream.on('streamEvent', () => {
      begun = true;
    });
    try {
      return await stream.finalMessage();
    } catch (err) {
      // An error the API sent as an event stays itself (a busy model is retried); anything else after
      // the answer had begun is a stream that broke off.
      if (!begun || err instanceof APIError) throw err;
      throw new StreamCut(err instanceof Error ? scrub(err.message) : 'the stream ended early');
    }
  }

  /** The surface's partial-text hook, behind the line of a dropped card; a failing surface never breaks the turn. */
  private partials(onPartial: (textSoFar: string) => void, dropped: string | undefined, state: TurnState): (textSoFar: string) => void {
    let failed = false;
    return (text) => {
      if (failed) return;
      try {
        onPartial(afterDroppedCard(dropped, text));
      } catch (err) {
        failed = true;
        this.deps.services.logger.warn('showing a partial answer failed; the full answer follows', { traceId: state.traceId, error: err });
      }
    };
  }

  private recordUsage(response: Message, state: TurnState): void {
    const u = response.usage;
    const counts = {
      inputTokens: u?.input_tokens ?? 0,
      outputTokens: u?.output_tokens ?? 0,
      cacheReadTokens: u?.cache_read_input_tokens ?? 0,
      cacheWriteTokens: u?.cache_creation_input_tokens ?? 0,
    };
    const model = typeof response.model === 'string' && response.model ? response.model : this.deps.settings.model;
    const free = this.deps.settings.localModel === true && !priceOf(model).known;
    const cost = free ? new D(0) : costOf(model, counts);
    if (!free && !priceOf(model).known && !this.warnedUnpriced) {
      this.warnedUnpriced = true;
      this.deps.services.logger.warn('no price for model; recording cost at sonnet rates', { model });
    }
    const t = state.usage;
    t.modelCalls++;
    t.inputTokens += counts.inputTokens;
    t.outputTokens += counts.outputTokens;
    t.cacheReadTokens += counts.cacheReadTokens;
    t.cacheWriteTokens += counts.cacheWriteTokens;
    t.cost = cost.plus(t.cost).toFixed();
    state.usageRows.push({
      userId: this.deps.userId,
      conversationId: state.conversationId ?? null,
      model,
      ...counts,
      cost: cost.toFixed(),
      purpose: 'chat',
      traceId: state.traceId,
    });
  }

  private finishUsage(state: TurnState): void {
    const attempts = this.deps.attempts.attempts - state.attemptsAtStart;
    state.usage.retries = Math.max(0, attempts - state.successes - state.failures);
  }

  /** Runs a tool the model asked for, unless it is a money-moving call the person did not confirm. */
  private async execute(name: string, input: unknown, state: TurnState): Promise<ToolOutcome> {
    const args = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
    const refusal = this.deps.confirmations.authorize(name, args, undefined);
    if (refusal) {
      this.deps.services.logger.warn('refused an unconfirmed trade call from the model', { tool: name, userId: this.deps.userId, traceId: state.traceId });
      return { name, args, isError: true, text: REFUSAL, refused: REFUSAL, images: [], structured: undefined, ms: 0 };
    }
    if (!this.toolNames.has(name)) {
      return { name, args, isError: true, text: `There is no tool named ${name.slice(0, 60)}; use one of the listed tools.`, images: [], structured: undefined, ms: 0 };
    }
    // A change the person did not ask for in their own message never runs (asked.ts).
    const unasked = unaskedRefusal(name, this.readOnly.has(name), state.userText);
    if (unasked) {
      this.deps.services.logger.warn('refused a change the person did not ask for', { tool: name, userId: this.deps.userId, traceId: state.traceId });
      return { name, args, isError: true, text: unasked, refused: unasked, images: [], structured: undefined, ms: 0 };
    }
    return this.deps.runner.call(name, args, state.onPartial ? progressPartial(state.onPartial) : undefined);
  }

  /** "yes"/"no" to the pending card: executed by code; the exchange is stored as a tool call so the model sees it later. */
  private async confirmTurn(userText: string, answer: 'yes' | 'no', buttonToken: string | undefined, state: TurnState): Promise<TurnResult> {
    const r = await this.deps.confirmations.answer(answer, this.deps.runner, buttonToken);
    const added: ChatMessage[] = [{ role: 'user', content: userText }];
    const toolCalls: ToolCallRecord[] = [];
    let images: TurnImage[] = [];
    let next: PendingConfirmation | undefined;
    if (r.kind === 'executed') {
      const id = `toolu_mikey_${randomUUID().replace(/-/g, '')}`;
      added.push({ role: 'assistant', content: [{ type: 'tool_use', id, name: r.pending.tool, input: r.outcome.args }] });
      added.push({ role: 'user', content: [toToolResultBlock(id, r.outcome), { type: 'text', text: `[MIKEY: the person confirmed the card (“${userText.slice(0, 40)}”) and MIKEY executed it.]` }] });
      toolCalls.push(recordOf(r.outcome));
      images = r.outcome.images;
      next = r.next;
    }
    added.push({ role: 'assistant', content: [{ type: 'text', text: r.reply || '…' }] });
    this.finishUsage(state);
    await this.remember(state, added);
    return { mode: this.mode, reply: r.reply, toolCalls, images, ...(next ? { pendingConfirmation: next } : {}), messages: added, usage: state.usage };
  }

  /**
   * The model could not be reached or answered nonsense: the offline understanding answers the turn
   * (one short line says so) when only reading has happened yet; after a change or a new card, say
   * what was done instead of doing anything twice.
   */
  private async modelFailed(err: unknown, userText: string, added: ChatMessage[], toolCalls: ToolCallRecord[], images: TurnImage[], pending: PendingConfirmation | undefined, state: TurnState, messageId?: string): Promise<TurnResult> {
    const { services } = this.deps;
    const status = (err as { status?: number }).status;
    const why = failureReason(err);
    services.logger.error('model call failed', { userId: this.deps.userId, traceId: state.traceId, status, error: err instanceof Error ? scrub(err.message) : String(err) });
    this.finishUsage(state);
    const onlyRead = !pending && toolCalls.every((c) => c.refused !== undefined || this.readOnly.has(c.name) || c.name === 'analyze-market' || c.name === 'get-prediction');
    this.paused = { until: services.clock.now().getTime() + this.deps.settings.pauseAfterFailureMs, why };
    if (onlyRead && this.deps.fallback) return this.offlineTurn(userText, why, toolCalls, images, state, messageId);
    const done = toolCalls.map((c) => `${c.name}${c.refused ? ' (refused)' : c.isError ? ' (failed)' : ''}`).join(', ');
    const reply = `The model is ${why}, so I stopped midway. ${done ? `What ran: ${done}.` : 'Nothing ran.'} Nothing else was changed; try again in a minute.`;
    const last = added[added.length - 1];
    if (last && last.role === 'assistant' && typeof last.content !== 'string' && last.content.some((b) => b.type === 'tool_use')) added.pop();
    added.push({ role: 'assistant', content: [{ type: 'text', text: reply }] });
    await this.remember(state, added);
    return { mode: this.mode, reply, toolCalls, images, ...(pending ? { pendingConfirmation: pending } : {}), messages: added, usage: state.usage };
  }
}
