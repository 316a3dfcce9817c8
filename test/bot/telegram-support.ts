// Shared pieces of the Telegram tests: a scripted ChatHandler (a real implementation of the port
// that records what it was asked), row counts over every table, and a harness that runs MIKEY's
// Telegram surface with the real telegraf client against the loopback peer.
import { count, getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import type { ChatContext, ChatHandler, ChatReply, TurnOptions } from '../../src/bot/chat-types.js';
import { scaledSenderClock } from '../../src/bot/outbound/index.js';
import { untrusted } from '../../src/mcp/tool.js';
import { startTelegram, type StartTelegramOptions, type TelegramSurface } from '../../src/bot/telegram/index.js';
import type { Db } from '../../src/db/client.js';
import * as schema from '../../src/db/schema/index.js';
import { actorFor } from '../../src/services/actor.js';
import { createLinkCode, redeemLinkCode } from '../../src/services/link-codes.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startTelegramPeer, type TelegramPeer } from './telegram-peer.js';

/** A 1×1 PNG. */
export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/**
 * A reply as tools write it for a model: a marked alert title and venue reason, an error with its
 * JSON details, a card with its data as JSON and the line telling a model how to execute it. Every
 * surface must show it to people as clean text.
 */
export function modelFacingReply(): ChatReply {
  return {
    text: [
      `Alert ${untrusted('alert title', 'SOL <to the moon>')} is active.`,
      `Reason: ${untrusted('venue', 'post-only order would cross')}`,
      'order value 0.64 USDT is below the minimum 5 USDT for DOGE/USDT. use at least 40 DOGE.',
      JSON.stringify({ code: 'below_min_notional', minNotional: '5', suggestion: '40' }, null, 2),
    ].join('\n'),
    images: [{ png: TINY_PNG, caption: `chart for ${untrusted('alert title', 'SOL <to the moon>')}`, filename: 'leaky.png' }],
    confirmation: {
      token: `tok-leaky-${'y'.repeat(70)}`,
      cardText: ['📝 PAPER SELL 0.5 SOL · SOL/USDT · market IOC', JSON.stringify({ card: { symbol: 'SOL/USDT', notional: '61.81' } }, null, 2), 'To execute, call place-order with the same arguments and confirmationToken "ct_x" once the person agrees.'].join('\n'),
      expiresAt: new Date(Date.now() + 60_000),
    },
    visibility: 'private',
  };
}

/** What a person must never read: marks, JSON, model instructions. */
export const MODEL_FACING = /untrusted-data|"code"|"card"|\{\s*$|confirmationToken|call place-order/m;

export class ScriptedHandler implements ChatHandler {
  readonly texts: Array<{ ctx: ChatContext; text: string; opts?: TurnOptions | undefined }> = [];
  readonly confirmations: Array<{ ctx: ChatContext; token: string; answer: 'yes' | 'no' }> = [];
  private readonly spent = new Set<string>();
  private seq = 0;
  /** How long trade cards stay valid. */
  cardTtlMs = 60_000;
  /** Texts matching this make the handler throw (error-boundary tests). */
  failOn: RegExp = /^boom$/i;
  /** Called at the start of every handleText (tests look at what had happened by then). */
  onText: (() => void) | undefined;
  /** When set, answers every text in place of the script below (tests of slow and streamed answers). */
  custom: ((ctx: ChatContext, text: string, opts: TurnOptions | undefined) => Promise<ChatReply>) | undefined;

  isPublicRequest(text: string): boolean {
    return /^\/?(?:price|analysis|chart|help)\b/i.test(text.trim());
  }

  async handleText(ctx: ChatContext, text: string, opts?: TurnOptions): Promise<ChatReply> {
    this.texts.push({ ctx, text, opts });
    this.onText?.();
    if (this.custom) return this.custom(ctx, text, opts);
    const t = text.trim();
    if (this.failOn.test(t)) throw new Error('handler exploded on purpose');
    if (/\bleaky\b|^\/alerts$/i.test(t)) return modelFacingReply();
    if (/^\/?price\b/i.test(t)) return { text: 'SOL/USDT 142.30 (simulated)\n```\nsymbol    price\nSOL/USDT  142.30\n```', visibility: 'public' };
    if (/^\/?chart\b/i.test(t)) return { text: 'SOL/USDT 1h', images: [{ png: TINY_PNG, caption: 'SOL/USDT 1h <simulated>', filename: 'sol.png' }], visibility: 'public' };
    if (/^\/?help\b/i.test(t)) return { text: 'I can show prices, charts and trade on paper.', visibility: 'public' };
    if (/^\/?portfolio\b/i.test(t)) return { text: 'Equity 10,000.00 USDT (paper)', visibility: 'private' };
    if (/^\/?(?:buy|sell)\b/i.test(t)) {
      // Longer than Telegram's 64-byte callback data on purpose: the surface must map it.
      const token = `tok-${++this.seq}-${'x'.repeat(80)}`;
      return {
        text: 'Here is the trade card.',
        confirmation: { token, cardText: 'BUY 1 SOL/USDT (paper)\nNotional 142.30 USDT\nFee 0.14 USDT', expiresAt: new Date(Date.now() + this.cardTtlMs) },
        visibility: 'private',
      };
    }
    return { text: `echo: ${text}`, visibility: 'private' };
  }

  async handleConfirmation(ctx: ChatContext, token: string, answer: 'yes' | 'no'): Promise<ChatReply> {
    this.confirmations.push({ ctx, token, answer });
    if (this.spent.has(token)) return { text: 'That confirmation was already used; nothing was done.', visibility: 'private' };
    this.spent.add(token);
    return { text: answer === 'yes' ? 'Filled: BUY 1 SOL/USDT @ 142.30 (paper)' : 'Cancelled; nothing was done.', visibility: 'private' };
  }
}

/** Row count of every table in MIKEY's schema. */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const value of Object.values(schema)) {
    if (!is(value, PgTable)) continue;
    const [row] = await db.select({ n: count() }).from(value);
    out[getTableName(value)] = Number(row?.n ?? 0);
  }
  return out;
}

export function changedTables(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys(after).filter((k) => after[k] !== before[k]);
}

export interface TelegramHarness {
  peer: TelegramPeer;
  app: TestApp;
  handler: ScriptedHandler;
  surface: TelegramSurface;
  /** Waits until every update sent so far reached the bot and was fully handled. */
  settle(): Promise<void>;
  /** A MIKEY user linked to Telegram user `telegramId` (private chat id = user id). */
  linkedUser(telegramId: number, username?: string): Promise<User>;
  close(): Promise<void>;
}

export async function startTelegramHarness(
  opts: { env?: Record<string, string>; token?: string; surface?: StartTelegramOptions } = {},
): Promise<TelegramHarness> {
  const peer = await startTelegramPeer(opts.token);
  const app = await createTestApp({ TELEGRAM_BOT_TOKEN: peer.token, TELEGRAM_API_ROOT: peer.apiRoot, ...opts.env });
  const handler = new ScriptedHandler();
  const surface = await startTelegram(app.services, handler, app.config, { senderClock: scaledSenderClock(50), ...opts.surface });
  const settle = async (): Promise<void> => {
    const sent = (): number => peer.server.storage.userMessages.filter((u: { botToken: string }) => u.botToken === peer.token).length;
    if (surface.mode === 'polling') await peer.waitFor(() => surface.bot.stats().updates >= sent(), 10_000, 'the bot to receive every update');
    await surface.whenIdle();
  };
  return {
    peer, app, handler, surface, settle,
    linkedUser: async (telegramId, username) => {
      const user = await createUser(app.services.db, { username: username ?? `tg-user-${telegramId}` });
      const { code } = await createLinkCode(app.services.db, actorFor(user.id, 'cli'));
      await redeemLinkCode(app.services.db, code, { platform: 'telegram', externalUserId: String(telegramId), chatId: String(telegramId) });
      return user;
    },
    close: async () => {
      await surface.stop();
      await app.close();
      await peer.stop();
    },
  };
}
