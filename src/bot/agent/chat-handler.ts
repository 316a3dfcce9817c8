// The `ChatHandler` port (src/bot/chat-types.ts) implemented over brains: one brain per
// (user, platform, chat, community), created on first use and kept while the conversation is active.
// This is what the terminal, Telegram and Discord adapters are handed.
//
// A message from a group carries its community (and whether the sender administers it) into the
// brain's identity, so leaderboard and competition tools know where they are. The community and the
// admin flag are part of the brain's key: a request from a group answered by DM gets a brain of its
// own, and the person's plain DM brain never carries a group's context. A trade card stays with the
// brain that made it: a button press or a typed yes/no in the DM reaches that brain.
import type { Config } from '../../config.js';
import type { McpCatalogue, SessionIdentity } from '../../mcp/server.js';
import { inactiveUserRefusal } from '../../services/authorize.js';
import type { Services } from '../../services/index.js';
import type { ChatContext, ChatHandler, ChatImage, ChatReply, TurnOptions } from '../chat-types.js';
import { TOOL_EFFECT, understand, type ToolName, type UnderstandContext } from '../nlu/index.js';
import { personText, replyForPeople } from '../person-text.js';
import { createBrain, type BrainChoice, type BrainOptions } from './brain.js';
import { cardWords, confirmPrompt } from './confirmation.js';
import { ConfirmableTool, type Brain, type TurnInput, type TurnResult } from './types.js';

/** Tools whose answers are market data: safe in a public channel. Everything else is the person's own. */
export const PUBLIC_TOOLS: ReadonlySet<ToolName> = new Set<ToolName>([
  'get-price', 'get-candles', 'get-order-book', 'search-markets', 'get-funding-rate', 'get-indicators', 'analyze-market', 'list-analyses',
  'get-prediction', 'list-predictions', 'get-model-scorecard',
  // A community's rankings and competitions: percentages and handles only, never balances.
  'get-leaderboard', 'get-competition', 'list-competitions',
  // The group's shared watchlist: labels, chains, short addresses, scores and who shared each.
  'list-community-wallets',
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
  const text = p && prompt && r.reply.endsWith(prompt) ? `${r.reply.slice(0, -prompt.length)}Here is the ${cardWords(p).card}: ${p.summary}.` : r.reply;
  const images: ChatImage[] = r.images.map((img, i) => {
    const caption = captionFor(r, img.tool);
    return { png: img.data, filename: `${img.tool}-${i + 1}.png`, ...(caption ? { caption } : {}) };
  });
  const publicOnly = !p && r.toolCalls.length > 0 && r.toolCalls.every((c) => isPublicTool(c.name, c.args));
  return replyForPeople({
    text,
    ...(images.length ? { images } : {}),
    ...(p ? { confirmation: { token: p.token, cardText: p.card, expiresAt: p.expiresAt, ...(p.tool === ConfirmableTool.startBot ? { kind: 'bot' as const } : {}) } } : {}),
    visibility: publicOnly ? 'public' : 'private',
  });
}

/** What a turn carries besides the text: the platform message id (kept with an order it leads to) and the streaming hook. */
function turnExtras(ctx: ChatContext, turn: TurnOptions | undefined): Pick<TurnInput, 'messageId' | 'onPartial'> {
  return { ...(ctx.messageId ? { messageId: ctx.messageId } : {}), ...(turn?.onPartial ? { onPartial: turn.onPartial } : {}) };
}

/** The community a chat message came from, as the tools see it; undefined outside groups. */
export function communityOf(ctx: ChatContext): SessionIdentity['community'] {
  const c = ctx.community;
  if (!c || (ctx.platform !== 'telegram' && ctx.platform !== 'discord')) return undefined;
  return { platform: ctx.platform, communityId: c.communityId, chatId: c.chatId ?? c.communityId, isAdmin: c.isAdmin };
}

/** Which conversation a context belongs to: the person's chat, and the community when it came from one. */
function conversationKey(ctx: ChatContext): { key: string; chat: string } {
  const chat = `${ctx.user.id}\u0000${ctx.platform}\u0000${ctx.chatId}`;
  const c = communityOf(ctx);
  return { chat, key: c ? `${chat}\u0000${c.communityId}\u0000${c.chatId}\u0000${c.isAdmin ? 'admin' : 'member'}` : chat };
}

/** How many trade-card tokens are remembered with the brain that issued them (the oldest forgotten first). */
const MAX_CARD_OWNERS = 10_000;

export function createChatHandler(config: Config, services: Services, opts: ChatHandlerOptions = {}): BrainChatHandler {
  const brains = new Map<string, Promise<Brain>>();
  const cardOwners = new Map<string, string>();
  const max = opts.maxBrains ?? 500;

  const remember = (key: string, reply: ChatReply): ChatReply => {
    const token = reply.confirmation?.token;
    if (token) {
      cardOwners.set(token, key);
      if (cardOwners.size > MAX_CARD_OWNERS) cardOwners.delete(cardOwners.keys().next().value!);
    }
    return reply;
  };

  /** The open brain of the same person and chat (any community) whose trade card waits, if one does. */
  const brainWithCard = async (chat: string): Promise<string | undefined> => {
    for (const [key, b] of [...brains.entries()].reverse()) {
      if (key !== chat && !key.startsWith(`${chat}\u0000`)) continue;
      const brain = await b.catch(() => undefined);
      if (brain?.pending()) return key;
    }
    return undefined;
  };

  const brainFor = (ctx: ChatContext, keyOverride?: string): Promise<Brain> => {
    const key = keyOverride ?? conversationKey(ctx).key;
    const community = communityOf(ctx);
    let b = brains.get(key);
    if (b) {
      brains.delete(key);
      brains.set(key, b);
      return b;
    }
    b = createBrain(config, services, {
      ...opts.brain,
      identity: { actor: { userId: ctx.user.id, surface: ctx.platform }, permissions: 'all', ...(community ? { community } : {}) },
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
      const { key, chat } = conversationKey(ctx);
      // "yes"/"no" typed where the card was not made (a card from a group request, answered in the DM).
      const own = brains.get(key);
      const ownCard = own ? (await own.catch(() => undefined))?.pending() : undefined;
      const target = !ownCard && understand(text, opts.nlu).kind === 'confirm' ? ((await brainWithCard(chat)) ?? key) : key;
      const brain = await brainFor(ctx, target);
      return remember(target, toChatReply(await brain.runTurn({ userText: text, ...turnExtras(ctx, turn) })));
    },
    async handleConfirmation(ctx, token, answer, turn) {
      const refused = await inactiveUserRefusal(services.db, ctx.user.id);
      if (refused) return { text: refused, visibility: 'private' };
      const { key, chat } = conversationKey(ctx);
      const issuer = cardOwners.get(token);
      const target = issuer && (issuer === chat || issuer.startsWith(`${chat}\u0000`)) && brains.has(issuer) ? issuer : key;
      const brain = await brainFor(ctx, target);
      return remember(target, toChatReply(await brain.runTurn({ userText: answer, confirmationToken: token, ...turnExtras(ctx, turn) })));
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
