// Communities on Telegram: a group chat is a community (its chat id names it), and who administers
// it is what the Bot API says (getChatMember: creator or administrator). The answer is kept briefly
// per (chat, user), so a busy group costs one lookup a minute per person; when Telegram cannot say
// (an error, a timeout), the person is not an admin — being wrong that way only refuses an admin
// command, which they can ask again.
import type { Telegram } from 'telegraf';
import type { Logger } from '../../log.js';
import type { ChatContext } from '../chat-types.js';

/** How long an answer from getChatMember is trusted. */
export const ADMIN_CACHE_MS = 60_000;
/** Most (chat, user) answers kept; the oldest are forgotten first. */
const MAX_ENTRIES = 10_000;

const ADMIN_STATUSES = new Set(['creator', 'administrator']);

export class TelegramChatAdmins {
  private readonly answers = new Map<string, { isAdmin: boolean; until: number }>();

  constructor(
    private readonly telegram: Pick<Telegram, 'getChatMember'>,
    private readonly now: () => Date,
    private readonly logger: Logger,
  ) {}

  /** Whether Telegram user `userId` administers group `chatId` (false when Telegram cannot say). */
  async isAdmin(chatId: string, userId: string): Promise<boolean> {
    const key = `${chatId}:${userId}`;
    const at = this.now().getTime();
    const known = this.answers.get(key);
    if (known && known.until > at) return known.isAdmin;
    let isAdmin: boolean;
    try {
      const member = await this.telegram.getChatMember(chatId, Number(userId));
      isAdmin = ADMIN_STATUSES.has(member.status);
    } catch (err) {
      this.logger.warn('telegram getChatMember failed; treating the sender as a member', { chatId, error: err });
      return false; // not remembered: the next message asks again
    }
    this.answers.delete(key);
    this.answers.set(key, { isAdmin, until: at + ADMIN_CACHE_MS });
    if (this.answers.size > MAX_ENTRIES) this.answers.delete(this.answers.keys().next().value!);
    return isAdmin;
  }

  /** The community a group message comes from, for ChatContext.community. */
  async communityOf(groupChatId: string, userId: string): Promise<NonNullable<ChatContext['community']>> {
    return { communityId: groupChatId, isAdmin: await this.isAdmin(groupChatId, userId) };
  }
}
