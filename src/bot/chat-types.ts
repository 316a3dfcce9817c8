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
}

/** A trade card as surfaces show it (already formatted lines plus the raw numbers). */
export interface ConfirmationRequest {
  /** Opaque token the surface sends back with the answer (button data, y/n prompt). */
  token: string;
  /** Human-readable card, one fact per line (symbol, side, size, notional, fee, leverage, liq. price, share of equity, checks). */
  cardText: string;
  expiresAt: Date;
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

export interface ChatHandler {
  /**
   * One incoming text (free text or a slash command with its arguments). While a trade card waits,
   * "yes"/"no" answer it; anything else cancels it and is then handled as the next message.
   */
  handleText(ctx: ChatContext, text: string): Promise<ChatReply>;
  /** The answer to a confirmation: `yes` executes exactly the confirmed order, `no` discards it. */
  handleConfirmation(ctx: ChatContext, token: string, answer: 'yes' | 'no'): Promise<ChatReply>;
  /** Whether a command/text is safe to answer in a public place (price, analysis, chart, help). */
  isPublicRequest(text: string): boolean;
}
