// Pushes to Discord: a DM to the linked user (never a server channel), title in bold, the chart
// attached; `silent` uses Discord's suppress-notifications flag. Through the rate-limited sender.
import { AttachmentBuilder, escapeMarkdown } from 'discord.js';
import type { ChatIdentity } from '../../db/schema/index.js';
import type { Notification } from '../../domain/ports.js';
import type { DiscordDm } from '../discord/index.js';
import { splitDiscordText } from '../discord/render.js';
import { notificationForPeople } from '../person-text.js';
import type { PushChannel, PushOutcome } from './multi-notifier.js';

export class DiscordNotifier implements PushChannel {
  readonly platform = 'discord' as const;
  constructor(private readonly dm: DiscordDm) {}

  async deliver(identity: ChatIdentity, raw: Notification, opts: { silent: boolean }): Promise<PushOutcome> {
    const n = notificationForPeople(raw);
    const label = `push:${n.kind}`;
    const parts = splitDiscordText(`**${escapeMarkdown(n.title.slice(0, 250))}**\n${n.body}`);
    const files = n.image ? [new AttachmentBuilder(Buffer.from(n.image), { name: 'chart.png' })] : [];
    const sends = parts.map((content, i) =>
      this.dm.send(identity.externalUserId, { content, ...(i === parts.length - 1 && files.length > 0 ? { files } : {}) }, { silent: opts.silent, label }),
    );
    const results = await Promise.all(sends);
    const failed = results.find((r) => !r.ok);
    return failed && !failed.ok ? { ok: false, reason: failed.reason } : { ok: true };
  }
}
