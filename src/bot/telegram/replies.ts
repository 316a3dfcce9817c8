// Sending replies: a ChatReply becomes HTML messages, photos and a trade card with buttons, all
// queued through the outbound sender on the destination chat, so they arrive in order and within
// Telegram's limits.
import { Input, type Telegram } from 'telegraf';
import type { InlineKeyboardMarkup, Message } from 'telegraf/types';
import type { Logger } from '../../log.js';
import type { ChatReply } from '../chat-types.js';
import type { ConfirmationButtons } from '../confirmation-buttons.js';
import { replyForPeople } from '../person-text.js';
import { telegramErrorCode, telegramErrorDescription, type Delivery, type DeliveryFailure, type OutboundSender } from '../outbound/index.js';
import { confirmationKeyboard, escapeHtml, renderCaption, renderConfirmationCard, renderHtmlChunks } from './render.js';

export interface ReplyTarget {
  chatId: string;
  isGroup: boolean;
  /** Answer to this message (threads the reply in groups). */
  replyTo?: number | undefined;
}

/** Who a trade card is for: only this Telegram user may press its buttons. */
export interface CardOwner {
  fromId: string;
  userId: string;
}

export type ReplyOutcome = { ok: true } | { ok: false; reason: DeliveryFailure };

export interface SendOptions {
  silent?: boolean;
  keyboard?: InlineKeyboardMarkup;
  label?: string;
}

export class TelegramReplies {
  constructor(
    private readonly telegram: Telegram,
    private readonly sender: OutboundSender,
    private readonly confirmations: ConfirmationButtons,
    private readonly now: () => Date,
    private readonly logger: Logger,
  ) {}

  /** One HTML message (already escaped by the caller). */
  sendHtml(target: ReplyTarget, html: string, opts: SendOptions = {}): Promise<Delivery<Message.TextMessage>> {
    return this.sender.send({ chatId: target.chatId, group: target.isGroup, label: opts.label ?? 'reply' }, () =>
      this.telegram.sendMessage(target.chatId, html, {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        ...(opts.silent ? { disable_notification: true } : {}),
        ...(opts.keyboard ? { reply_markup: opts.keyboard } : {}),
        ...(target.replyTo !== undefined ? { reply_parameters: { message_id: target.replyTo, allow_sending_without_reply: true } } : {}),
      }),
    );
  }

  /** Plain text, escaped here. */
  sendText(target: ReplyTarget, text: string, opts: SendOptions = {}): Promise<Delivery<Message.TextMessage>> {
    return this.sendHtml(target, escapeHtml(text), opts);
  }

  sendPhoto(target: ReplyTarget, png: Uint8Array, caption: string | undefined, opts: SendOptions & { filename?: string } = {}): Promise<Delivery<Message.PhotoMessage>> {
    const html = renderCaption(caption);
    return this.sender.send({ chatId: target.chatId, group: target.isGroup, label: opts.label ?? 'photo' }, () =>
      this.telegram.sendPhoto(target.chatId, Input.fromBuffer(Buffer.from(png), opts.filename ?? 'chart.png'), {
        ...(html ? { caption: html, parse_mode: 'HTML' as const } : {}),
        ...(opts.silent ? { disable_notification: true } : {}),
      }),
    );
  }

  /**
   * Replaces the text of a message MIKEY sent (an answer growing as it streams). Telegram answers
   * "message is not modified" when the new text renders the same as the old: that is success, not a
   * failure. Other refusals (the message was deleted, too old) come back as a failed delivery.
   */
  editHtml(target: ReplyTarget, messageId: number, html: string, opts: SendOptions = {}): Promise<Delivery<unknown>> {
    return this.sender.send({ chatId: target.chatId, group: target.isGroup, label: opts.label ?? 'edit' }, async () => {
      try {
        return await this.telegram.editMessageText(target.chatId, messageId, undefined, html, {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
        });
      } catch (err) {
        if (isNotModified(err)) return true;
        throw err;
      }
    });
  }

  /** Deletes a message MIKEY sent (a streamed part the final answer no longer needs). */
  deleteMessage(target: ReplyTarget, messageId: number): Promise<Delivery<unknown>> {
    return this.sender.send({ chatId: target.chatId, group: target.isGroup, label: 'delete' }, () => this.telegram.deleteMessage(target.chatId, messageId));
  }

  /** Takes the buttons off a trade card once it was answered or can no longer be. */
  removeKeyboard(chatId: string, isGroup: boolean, messageId: number): Promise<Delivery<unknown>> {
    return this.sender.send({ chatId, group: isGroup, label: 'card-close' }, () =>
      this.telegram.editMessageReplyMarkup(chatId, messageId, undefined, { inline_keyboard: [] }),
    );
  }

  /**
   * Delivers a whole reply to one chat: text (split to fit), images, then the trade card with its
   * buttons. Every part is queued at once, so the parts keep their order; resolves when all are
   * delivered or the first one failed for good.
   */
  async deliver(target: ReplyTarget, raw: ChatReply, owner: CardOwner, opts: { silent?: boolean } = {}): Promise<ReplyOutcome> {
    const reply = replyForPeople(raw);
    const parts: Array<Promise<Delivery<unknown>>> = [];
    const chunks = renderHtmlChunks(reply.text);
    chunks.forEach((html, i) => parts.push(this.sendHtml(i === 0 ? target : { ...target, replyTo: undefined }, html, { ...opts, label: 'reply' })));
    for (const img of reply.images ?? []) {
      parts.push(this.sendPhoto({ ...target, replyTo: undefined }, img.png, img.caption, { ...opts, label: 'chart', ...(img.filename ? { filename: img.filename } : {}) }));
    }
    if (reply.confirmation) {
      const c = reply.confirmation;
      const pending = this.confirmations.register({
        token: c.token, ownerExternalId: owner.fromId, userId: owner.userId, chatId: target.chatId, expiresAt: c.expiresAt,
      });
      parts.push(this.sendHtml({ ...target, replyTo: undefined }, renderConfirmationCard(c.cardText, c.expiresAt, this.now(), c.kind), { ...opts, keyboard: confirmationKeyboard(pending.id), label: 'card' }));
    }
    if (parts.length === 0) return { ok: true };
    const results = await Promise.all(parts);
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) {
      this.logger.warn('telegram reply not fully delivered', { chatId: target.chatId, reason: failed.reason, parts: results.length });
      return { ok: false, reason: failed.reason };
    }
    return { ok: true };
  }
}

/** Telegram's 400 for an edit that would change nothing (same text and markup after rendering). */
export function isNotModified(err: unknown): boolean {
  return telegramErrorCode(err) === 400 && /message is not modified/i.test(telegramErrorDescription(err));
}
