// Communities on Discord: a server (guild) is a community, named by its guild id; its admins are the
// members with Manage Server. The channel a request came from is where the community's public
// answers and competition pushes go. Reads only what Discord sent with the interaction or message;
// when the permissions cannot be read (an uncached server), the person is not an admin — being wrong
// that way only refuses an admin command.
import { PermissionFlagsBits, type BaseInteraction, type Message, type PermissionsBitField } from 'discord.js';
import type { ChatContext } from '../chat-types.js';

type Community = NonNullable<ChatContext['community']>;

/** The community of a slash command or button used in a server; undefined in a DM. */
export function interactionCommunity(interaction: Pick<BaseInteraction, 'guildId' | 'channelId' | 'memberPermissions'>): Community | undefined {
  if (!interaction.guildId) return undefined;
  return { communityId: interaction.guildId, isAdmin: hasManageGuild(() => interaction.memberPermissions), ...(interaction.channelId ? { chatId: interaction.channelId } : {}) };
}

/** The community of a message written in a server channel; undefined in a DM. */
export function messageCommunity(message: Pick<Message, 'guildId' | 'channelId' | 'member'>): Community | undefined {
  if (!message.guildId) return undefined;
  return { communityId: message.guildId, isAdmin: hasManageGuild(() => message.member?.permissions), chatId: message.channelId };
}

/** Manage Server in the permissions `read` finds; false when they cannot be read (the server or its roles not cached). */
function hasManageGuild(read: () => Readonly<PermissionsBitField> | null | undefined): boolean {
  try {
    return read()?.has(PermissionFlagsBits.ManageGuild) ?? false;
  } catch {
    return false;
  }
}
