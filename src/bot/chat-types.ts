// The neutral chat contract between platform adapters (terminal, Telegram, Discord) and MIKEY's
// conversation handler. Adapters are thin: they turn a platform update into a `ChatContext` and
// render a `ChatReply`; everything else (understanding, tools, confirmation, history) is behind
// `ChatHandler`.
import type { User } from '../services/users.js';

export const ChatPlatformName = { terminal: 'terminal', telegram: 'telegram', discord: 'discord' } as const;
export type ChatPlatformName = (typeof ChatPlatformName)[keyof typeof ChatPlatformName];

export interface ChatContext {
  platform: ChatPlatformName;
  /** The linked MIKEY user (adapters resolve and authorise before calling the handler). */
  user: User;
  /** Platform chat/channel id where the message came from. */
  chatId: string;
  /** True in groups, supergroups, guild channels: private data must not be answered here. */
  isGroup: boolean;
  /** A platform message id, for replies and de-duplication. */
  messageId?: string;
  /**
   * Set for a message from a group, wherever its answer goes: the community (Telegram group chat id,
   * Discord guild id), whether the sender administers it, and `chatId`, where the community's public
   * answers and pushes go (the Discord channel asked in; default: `communityId`, a Telegram group).
   */
  community?: { communityId: string; isAdmin: boolean; chatId?: string };
}

/** A trade card as surfaces show it (already formatted lines plus the raw numbers). */
export interface ConfirmationRequest {
  /** Opaque token the surface sends back with the answer (button data, y/n prompt). */
  token: string;
  /** Human-readable card, one fact per line (symbol, side, size, notional, fee, leverage, liq. price, share of equity, checks). */
  cardText: string;
  expiresAt: Date;
  /** What "yes" does: place a trade (the default), or approve a bot's card and start it. */
  kind?: 'trade' | 'bot';
}

/** A card's heading and what its Confirm does, as the surfaces word them. */
export function cardHeading(c: Pick<ConfirmationRequest, 'kind'>): { title: string; question: string } {
  return c.kind === 'bot'
    ? { title: 'Bot card — approve its limits', question: 'Approve this bot and start it?' }
    : { title: 'Trade card — please check', question: 'Confirm this order?' };
}

export interface ChatImage {
  png: Uint8Array;
  caption?: string;
  /** Suggested file name (terminal writes it to disk). */
  filename?: string;
}

export interface ChatReply {
  /** Plain text; may contain a monospace table block delimited by ``` lines. */
  text: string;
  images?: ChatImage[];
  /** Present when an order awaits the user's yes/no. */
  confirmation?: ConfirmationRequest;
  /**
   * `private` replies carry the user's own data (portfolio, positions, orders, trades, alerts).
   * In a group the adapter must deliver them by DM (or ephemerally) and say so in the group.
   */
  visibility: 'public' | 'private';
}

/**
 * What a surface offers the handler for one turn, so the person sees MIKEY at work.
 *
 * `onPartial` is called with the answer as it stands so far while it is being written — the whole
 * text up to now, never a delta, each call replacing the one before — so a surface can show it as it
 * grows (Telegram edits one message in place). It is called only with text meant for the person
 * (what the final `ChatReply.text` will start with, as far as the producer knows), synchronously,
 * as often as the producer likes: the surface throttles and coalesces, never blocks the caller, and
 * never throws back. The returned `ChatReply` is the final word and replaces whatever was shown.
 * Surfaces stream only where the whole answer goes anyway (a private chat, an ephemeral reply):
 * in a public place the reply's `visibility` is known only at the end.
 */
export interface TurnOptions {
  onPartial?: (textSoFar: string) => void;
}

export interface ChatHandler {
  /**
   * One incoming text (free text or a slash command with its arguments). While a trade card waits,
   * "yes"/"no" answer it; anything else cancels it and is then handled as the next message.
   */
  handleText(ctx: ChatContext, text: string, opts?: TurnOptions): Promise<ChatReply>;
  /** The answer to a confirmation: `yes` executes exactly the confirmed order, `no` discards it. */
  handleConfirmation(ctx: ChatContext, token: string, answer: 'yes' | 'no', opts?: TurnOptions): Promise<ChatReply>;
  /** Whether a command/text is safe to answer in a public place (price, analysis, chart, help). */
  isPublicRequest(text: string): boolean;
}
