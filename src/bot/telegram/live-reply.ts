// An answer shown while it is being written: the first words go out as a message, which is then
// edited in place as the text grows; past Telegram's 4096 characters the text carries on in further
// messages. Within Telegram's limits:
//   - edits are coalesced: at most one every `minEditIntervalMs` (about one a second in a private
//     chat), always with the newest text, one request at a time; every send and edit also goes
//     through the outbound queue, which keeps the per-chat pacing and retries 429s;
//   - a part whose rendered HTML did not change is not edited, and Telegram's "message is not
//     modified" answer counts as success;
//   - a part that can no longer be edited (deleted, too old) is sent again as a new message.
// `finish` makes the messages say exactly the final reply (removing parts it no longer needs), then
// sends its charts and trade card as usual. Nothing was streamed: it is a plain delivery.
import type { Logger } from '../../log.js';
import type { ChatReply } from '../chat-types.js';
import type { DeliveryFailure, SenderClock } from '../outbound/index.js';
import { personText, replyForPeople } from '../person-text.js';
import { renderHtmlChunks } from './render.js';
import type { CardOwner, ReplyOutcome, ReplyTarget, TelegramReplies } from './replies.js';

/** Least time between two edits of a streamed answer: about one a second in a private chat, one per 3 s in a group (20 a minute). */
export const STREAM_EDIT_INTERVAL_MS = { private: 1000, group: 3000 } as const;

export interface LiveReplyOptions {
  clock: SenderClock;
  logger: Logger;
  minEditIntervalMs?: number;
}

interface ShownPart {
  messageId: number;
  html: string;
}

export class LiveReply {
  private readonly parts: ShownPart[] = [];
  private latest: string | undefined;
  private shown: string | undefined;
  private cancelTimer: (() => void) | undefined;
  private working: Promise<void> | undefined;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private failure: DeliveryFailure | undefined;
  private readonly minEditIntervalMs: number;

  constructor(
    private readonly replies: TelegramReplies,
    private readonly target: ReplyTarget,
    private readonly opts: LiveReplyOptions,
  ) {
    this.minEditIntervalMs = opts.minEditIntervalMs ?? (target.isGroup ? STREAM_EDIT_INTERVAL_MS.group : STREAM_EDIT_INTERVAL_MS.private);
  }

  /** The answer so far (a `TurnOptions.onPartial`): never blocks, never throws. */
  readonly update = (textSoFar: string): void => {
    if (this.closed || typeof textSoFar !== 'string') return;
    this.latest = textSoFar;
    this.schedule();
  };

  /** Messages showing the answer so far. */
  get messageIds(): number[] {
    return this.parts.map((p) => p.messageId);
  }

  private schedule(): void {
    if (this.closed || this.working || this.cancelTimer || this.latest === this.shown) return;
    const wait = this.lastFlushAt + this.minEditIntervalMs - this.opts.clock.now();
    if (wait > 0) {
      this.cancelTimer = this.opts.clock.setTimer(wait, () => {
        this.cancelTimer = undefined;
        this.schedule();
      });
      return;
    }
    this.lastFlushAt = this.opts.clock.now();
    const text = this.latest ?? '';
    this.shown = text;
    this.working = this.show(renderHtmlChunks(personText(text)))
      .catch((err: unknown) => this.opts.logger.warn('telegram streamed answer not updated', { chatId: this.target.chatId, error: err }))
      .finally(() => {
        this.working = undefined;
        this.schedule();
      });
  }

  /** Makes the first parts say `chunks`: edits what changed, sends what is new, in order. */
  private async show(chunks: readonly string[]): Promise<void> {
    for (const [i, html] of chunks.entries()) {
      const part = this.parts[i];
      if (part && part.html === html) continue;
      if (part) {
        const edited = await this.replies.editHtml(this.target, part.messageId, html, { label: 'stream-edit' });
        if (edited.ok) {
          part.html = html;
          continue;
        }
        this.opts.logger.debug('telegram streamed part not editable; sending it again', { chatId: this.target.chatId, reason: edited.reason });
      }
      const sent = await this.replies.sendHtml(i === 0 ? this.target : { ...this.target, replyTo: undefined }, html, { label: 'stream' });
      if (!sent.ok) {
        this.failure = sent.reason;
        return;
      }
      this.parts[i] = { messageId: sent.value.message_id, html };
    }
  }

  /** Shows exactly the final reply, then its charts and trade card. */
  async finish(reply: ChatReply, owner: CardOwner): Promise<ReplyOutcome> {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.working;
    if (this.parts.length === 0) return this.replies.deliver(this.target, reply, owner);
    const people = replyForPeople(reply);
    const chunks = renderHtmlChunks(people.text);
    this.failure = undefined;
    await this.show(chunks);
    for (const extra of this.parts.splice(chunks.length)) {
      const removed = await this.replies.deleteMessage(this.target, extra.messageId);
      if (!removed.ok) this.opts.logger.debug('telegram streamed part not deleted', { chatId: this.target.chatId, reason: removed.reason });
    }
    const rest = await this.replies.deliver({ ...this.target, replyTo: undefined }, { ...people, text: '' }, owner);
    if (this.failure) return { ok: false, reason: this.failure };
    return rest;
  }
}
