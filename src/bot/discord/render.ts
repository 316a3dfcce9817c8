// ChatReply → Discord messages. Discord renders ``` blocks itself; what matters here is the 2,000
// character limit (split on lines, fences kept balanced), never pinging anyone from text that may
// quote user-written labels, charts as attachments, and the trade card's buttons.
import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, type MessageActionRowComponentBuilder } from 'discord.js';
import { cardHeading, type ChatImage, type ConfirmationRequest } from '../chat-types.js';
import { encodeButtonData } from '../confirmation-buttons.js';

export const DISCORD_CONTENT_LIMIT = 2000;
/** Nobody is ever pinged by MIKEY's text (alert labels and tool output are untrusted). */
export const NO_MENTIONS = Object.freeze({ parse: [] as never[] });

/** Splits text into messages of at most `limit` characters; a ``` block cut in two is closed and reopened. */
export function splitDiscordText(text: string, limit = DISCORD_CONTENT_LIMIT): string[] {
  const fence = '```';
  const out: string[] = [];
  let current = '';
  let inCode = false;
  const join = (a: string, b: string): string => (a === '' ? b : `${a}\n${b}`);
  const maxLine = limit - 2 * (fence.length + 1);
  const lines = text.replace(/\r\n?/g, '\n').split('\n').flatMap((l) => (l.length > maxLine ? chop(l, maxLine) : [l]));
  for (const line of lines) {
    const isFence = /^\s*```/.test(line);
    if (isFence && inCode) {
      if (join(current, line).length > limit && current !== '') {
        out.push(`${current}\n${fence}`);
        current = '';
      } else {
        current = join(current, line);
      }
      inCode = false;
      continue;
    }
    const candidate = join(current, line);
    const reserve = inCode || isFence ? fence.length + 1 : 0;
    if (candidate.length + reserve > limit && current !== '') {
      out.push(inCode ? `${current}\n${fence}` : current);
      current = inCode ? `${fence}\n${line}` : line;
    } else {
      current = candidate;
    }
    if (isFence) inCode = true;
  }
  if (current.trim() !== '') out.push(inCode ? `${current}\n${fence}` : current);
  return out.filter((c) => c.trim() !== '' && c !== `${fence}\n${fence}`);
}

function chop(line: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < line.length; i += size) parts.push(line.slice(i, i + size));
  return parts;
}

export function attachmentsOf(images: readonly ChatImage[] | undefined): AttachmentBuilder[] {
  return (images ?? []).map((img, i) =>
    new AttachmentBuilder(Buffer.from(img.png), { name: img.filename ?? `chart-${i + 1}.png`, ...(img.caption ? { description: img.caption.slice(0, 1000) } : {}) }),
  );
}

export function cardContent(c: ConfirmationRequest, now: Date): string {
  const seconds = Math.max(0, Math.round((c.expiresAt.getTime() - now.getTime()) / 1000));
  const card = c.cardText.replace(/```/g, "'''").slice(0, DISCORD_CONTENT_LIMIT - 200);
  return `**${cardHeading(c).title}**\n\`\`\`\n${card}\n\`\`\`\n⏳ Valid for ${seconds} s. Nothing happens until you press ✅ Confirm.`;
}

export function cardButtons(id: string): ActionRowBuilder<MessageActionRowComponentBuilder> {
  return new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
    new ButtonBuilder().setCustomId(encodeButtonData(id, 'yes')).setLabel('Confirm').setEmoji('✅').setStyle(ButtonStyle.Success),
    new ButtonBuilder().setCustomId(encodeButtonData(id, 'no')).setLabel('Cancel').setEmoji('✖️').setStyle(ButtonStyle.Secondary),
  );
}
