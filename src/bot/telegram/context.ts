// What the Telegram modules share: their dependencies, and what the authorisation middleware found
// out about the sender (kept on `ctx.state`).
import type { Context, Telegram } from 'telegraf';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Services } from '../../services/index.js';
import type { User } from '../../services/users.js';
import type { ChatContext, ChatHandler } from '../chat-types.js';
import type { ConfirmationButtons } from '../confirmation-buttons.js';
import type { SenderClock } from '../outbound/index.js';
import type { BoundedSet } from './bounded-set.js';
import type { TelegramChatAdmins } from './community.js';
import type { TelegramReplies } from './replies.js';

export interface TelegramDeps {
  services: Services;
  handler: ChatHandler;
  config: Config;
  logger: Logger;
  confirmations: ConfirmationButtons;
  replies: TelegramReplies;
  telegram: Telegram;
  /** Inbound messages per chat user per minute before MIKEY asks them to slow down. */
  inboundPerMinute: number;
  /** Link-code attempts per sender per minute (codes are guessable only by brute force; keep it slow). */
  linkAttemptsPerMinute: number;
  /** Unknown senders already told how to link (they are told once). */
  toldUnknown: BoundedSet<string>;
  /** The bot's own @username, for commands and mentions addressed to it in groups. */
  botUsername: () => string | undefined;
  /** Time for the "typing…" repeats and the pacing of a streamed answer's edits. */
  liveClock: SenderClock;
  /** Who administers a group (getChatMember, cached briefly). */
  admins: TelegramChatAdmins;
}

export interface SenderState {
  /** Telegram user id of the sender. */
  fromId: string;
  /** The chat the update came from. */
  chatId: string;
  isGroup: boolean;
  /** The linked MIKEY user; undefined for an unknown sender on the link path. */
  user: User | undefined;
  /** Display name for notes in groups (untrusted; escaped when shown). */
  displayName: string;
}

const STATE_KEY = 'mikey';

export function setSender(ctx: Context, state: SenderState): void {
  (ctx.state as Record<string, unknown>)[STATE_KEY] = state;
}

export function senderOf(ctx: Context): SenderState | undefined {
  return (ctx.state as Record<string, unknown>)[STATE_KEY] as SenderState | undefined;
}

export function isGroupChat(type: string | undefined): boolean {
  return type === 'group' || type === 'supergroup' || type === 'channel';
}

/** The neutral context the handler sees; `community` for a message that came from a group (wherever it is answered). */
export function chatContext(user: User, chatId: string, isGroup: boolean, messageId?: number, community?: ChatContext['community']): ChatContext {
  return { platform: 'telegram', user, chatId, isGroup, ...(messageId !== undefined ? { messageId: String(messageId) } : {}), ...(community ? { community } : {}) };
}

/** The message text of an update, if it is a text message. */
export function messageText(ctx: Context): string | undefined {
  const msg = ctx.message;
  return msg && 'text' in msg && typeof msg.text === 'string' ? msg.text : undefined;
}

export function displayNameOf(from: { first_name?: string; username?: string }): string {
  return from.username ? `@${from.username}` : (from.first_name ?? 'there');
}

export const HOW_TO_LINK =
  'Hi! I am MIKEY, a trading assistant. I only talk to linked accounts.\n' +
  'To link this Telegram account: run `mikey link` where you already use MIKEY (e.g. the terminal), then send me /start CODE here.';

export const SOMETHING_WENT_WRONG = 'Something went wrong on my side; nothing was changed. Please try again in a moment.';
