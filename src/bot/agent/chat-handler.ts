// The `ChatHandler` port (src/bot/chat-types.ts) implemented over brains: one brain per
// (user, platform, chat), created on first use and kept while the conversation is active. This is
// what the terminal, Telegram and Discord adapters are handed.
import type { Config } from '../../config.js';
import type { McpCatalogue } from '../../mcp/server.js';
import { inactiveUserRefusal } from '../../services/authorize.js';
import type { Services } from '../../services/index.js';
import type { ChatContext, ChatHandler, ChatImage, ChatReply, TurnOptions } from '../chat-types.js';
import { TOOL_EFFECT, understand, type ToolName, type UnderstandContext } from '../nlu/index.js';
import { personText, replyForPeople } from '../person-text.js';
import { createBrain, type BrainChoice, type BrainOptions } from './brain.js';
import { confirmPrompt } from './confirmation.js';
import type { Brain, TurnInput, TurnResult } from './types.js';

/** Tools whose answers are market data: safe in a public channel. Everything else is the person's own. */
export const PUBLIC_TOOLS: ReadonlySet<ToolName> = new Set<ToolName>([
  'get-price', 'get-candles', 'get-order-book', 'search-markets', 'get-funding-rate', 'get-indicators', 'analyze-market', 'list-analyses',
  'get-prediction', 'list-predictions', 'get-model-scorecard',
]);

export interface ChatHandlerOptions {
  catalogue?: McpCatalogue;
  mode?: BrainChoice;
  nlu?: UnderstandContext;
  /** Most conversations kept open at once; the least recently used is closed first. Default 500. */
  maxBrains?: number;
  /** Extra options for every brain (tests: the Anthropic base URL, retry policy). */
  brain?: Partial<Omit<BrainOptions, 'identity' | 'conversation'>>;
}

export interface BrainChatHandler extends ChatHandler {
  /** Closes every open conversation (on shutdown). */
  close(): Promise<void>;
}

function isPublicTool(tool: string, args: Record<string, unknown>): boolean {
  if (tool === 'get-chart') return args.kind !== 'equity';
  return PUBLIC_TOOLS.has(tool as ToolName);
}

function captionFor(r: TurnResult, tool: string): string | undefined {
  const call = [...r.toolCalls].reverse().find((c) => c.name === tool);
  const line = call ? personText(call.text).split('\n')[0]?.trim() : undefined;
  return line ? line.slice(0, 200) : undefined;
}

/** A turn's result as the neutral reply the adapters render. */
export function toChatReply(r: TurnResult): ChatReply {
  const p = r.pendingConfirmation;
  // The offline brain writes the card into its reply; adapters show `cardText` themselves.
  const prompt = p ? confirmPrompt(p) : undefined;
  const text = p && prompt && r.reply.endsWith(prompt) ? `${r.reply.slice(0, -prompt.length)}Here is the trade card: ${p.summary}.` : r.reply;
  const images: ChatImage[] = r.images.map((img, i) => {
    const caption = captionFor(r, img.tool);
    return { png: img.data, filename: `${img.tool}-${i + 1}.png`, ...(caption ? { caption } : {}) };
  });
  const publicOnly = !p && r.toolCalls.length > 0 && r.toolCalls.every((c) => isPublicTool(c.name, c.args));
  return replyForPeople({
    text,
    ...(images.length ? { images } : {}),
    ...(p ? { confirmation: { token: p.token, cardText: p.card, expiresAt: p.expiresAt } } : {}),
    visibility: publicOnly ? 'public' : 'private',
  });
}

/** What a turn carries besides the text: the platform message id (kept with an order it leads to) and the streaming hook. */
function turnExtras(ctx: ChatContext, turn: TurnOptions | undefined): Pick<TurnInput, 'messageId' | 'onPartial'> {
  return { ...(ctx.messageId ? { messageId: ctx.messageId } : {}), ...(turn?.onPartial ? { onPartial: turn.onPartial } : {}) };
}

export function createChatHandler(config: Config, services: Services, opts: ChatHandlerOptions = {}): BrainChatHandler {
  const brains = new Map<string, Promise<Brain>>();
  const max = opts.maxBrains ?? 500;

  const brainFor = (ctx: ChatContext): Promise<Brain> => {
    const key = `${ctx.user.id}\u0000${ctx.platform}\u0000${ctx.chatId}`;
    let b = brains.get(key);
    if (b) {
      brains.delete(key);
      brains.set(key, b);
      return b;
    }
    b = createBrain(config, services, {
      ...opts.brain,
      identity: { actor: { userId: ctx.user.id, surface: ctx.platform }, permissions: 'all' },
      conversation: { platform: ctx.platform, chatId: ctx.chatId },
      ...(opts.catalogue ? { catalogue: opts.catalogue } : {}),
      ...(opts.mode ? { mode: opts.mode } : {}),
      ...(opts.nlu ? { nlu: opts.nlu } : {}),
    });
    b.catch(() => brains.delete(key));
    brains.set(key, b);
    while (brains.size > max) {
      const [oldest, brain] = brains.entries().next().value as [string, Promise<Brain>];
      brains.delete(oldest);
      void brain.then((x) => x.close()).catch((err: unknown) => services.logger.warn('closing an idle conversation failed', { error: err }));
    }
    return b;
  };

  return {
    async handleText(ctx, text, turn) {
      const refused = await inactiveUserRefusal(services.db, ctx.user.id);
      if (refused) return { text: refused, visibility: 'private' };
      const brain = await brainFor(ctx);
      return toChatReply(await brain.runTurn({ userText: text, ...turnExtras(ctx, turn) }));
    },
    async handleConfirmation(ctx, token, answer, turn) {
      const refused = await inactiveUserRefusal(services.db, ctx.user.id);
      if (refused) return { text: refused, visibility: 'private' };
      const brain = await brainFor(ctx);
      return toChatReply(await brain.runTurn({ userText: answer, confirmationToken: token, ...turnExtras(ctx, turn) }));
    },
    isPublicRequest(text) {
      const intent = understand(text, opts.nlu);
      if (intent.kind === 'reply') return true;
      return intent.kind === 'tool' && TOOL_EFFECT[intent.tool] === 'read' && isPublicTool(intent.tool, intent.args);
    },
    async close() {
      const all = [...brains.values()];
      brains.clear();
      for (const b of all) await b.then((x) => x.close()).catch(() => undefined);
    },
  };
}
