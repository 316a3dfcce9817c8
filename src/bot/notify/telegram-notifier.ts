// Pushes to Telegram: the title in bold, the body escaped (``` tables as <pre>), a chart as a photo;
// `silent` sets disable_notification. Always to the person's private chat, never to a group.
import type { ChatIdentity } from '../../db/schema/index.js';
import type { Notification } from '../../domain/ports.js';
import { notificationForPeople } from '../person-text.js';
import type { TelegramReplies } from '../telegram/replies.js';
import { escapeHtml, renderHtmlChunks } from '../telegram/render.js';
import type { PushChannel, PushOutcome } from './multi-notifier.js';

export class TelegramNotifier implements PushChannel {
  readonly platform = 'telegram' as const;
  constructor(private readonly replies: TelegramReplies) {}

  async deliver(identity: ChatIdentity, raw: Notification, opts: { silent: boolean }): Promise<PushOutcome> {
    const n = notificationForPeople(raw);
    // A private chat's id is the user's id; a stored group id is never used for private pushes.
    const chatId = identity.chatId && !identity.chatId.startsWith('-') ? identity.chatId : identity.externalUserId;
    const target = { chatId, isGroup: false };
    const label = `push:${n.kind}`;
    const [first = '', ...rest] = renderHtmlChunks(n.body, 4096 - 300);
    const sends = [this.replies.sendHtml(target, `<b>${escapeHtml(n.title.slice(0, 250))}</b>${first ? `\n${first}` : ''}`, { silent: opts.silent, label })];
    for (const chunk of rest) sends.push(this.replies.sendHtml(target, chunk, { silent: opts.silent, label }));
    const photo = n.image ? this.replies.sendPhoto(target, n.image, n.title, { silent: opts.silent, label }) : undefined;
    const results = [...(await Promise.all(sends)), ...(photo ? [await photo] : [])];
    const failed = results.find((r) => !r.ok);
    return failed && !failed.ok ? { ok: false, reason: failed.reason } : { ok: true };
  }
}
