// Who is behind a Discord interaction, and what they may do. Reads only: an unknown person causes no
// side effect here. Public commands run for them as the shared guest account; private commands need
// a linked account (or sign-up allowed by config); trading in a server needs the trader role when
// one is configured (reliability 13: "in groups, nobody trades unless that person is allowed").
import type { BaseInteraction } from 'discord.js';
import type { Config } from '../../config.js';
import type { User } from '../../services/users.js';
import { findUserByIdentity, signUpChatUser, signupAllowed } from '../identity.js';
import type { DiscordDeps } from './context.js';

/** The linked MIKEY user of the person interacting, or undefined. */
export async function linkedUser(interaction: BaseInteraction, deps: Pick<DiscordDeps, 'services'>): Promise<User | undefined> {
  return findUserByIdentity(deps.services.db, 'discord', interaction.user.id);
}

/**
 * The user for a private request: the linked one, or a new one when sign-up is allowed for this
 * person (`MIKEY_SIGNUP`); undefined otherwise.
 */
export async function userForPrivateRequest(interaction: BaseInteraction, deps: Pick<DiscordDeps, 'services' | 'config' | 'logger'>): Promise<User | undefined> {
  const linked = await linkedUser(interaction, deps);
  if (linked) return linked;
  if (!signupAllowed(deps.config, 'discord', interaction.user.id)) return undefined;
  const created = await signUpChatUser(deps.services.db, {
    platform: 'discord', externalUserId: interaction.user.id, username: interaction.user.username, displayName: interaction.user.globalName ?? undefined,
  });
  deps.logger.info('discord sign-up', { userId: created.id, mode: deps.config.MIKEY_SIGNUP });
  return created;
}

/**
 * Whether this person may use trading commands here. With `DISCORD_TRADER_ROLE` set (a role id or
 * name), a server member needs that role; in DMs, and without the setting, linked users may trade.
 */
export function mayTrade(interaction: BaseInteraction, config: Pick<Config, 'DISCORD_TRADER_ROLE'>): boolean {
  const role = config.DISCORD_TRADER_ROLE;
  if (!role || !interaction.inGuild()) return true;
  const member = interaction.member as { roles?: unknown } | null;
  const roles = member?.roles;
  if (Array.isArray(roles)) return roles.includes(role);
  const cache = (roles as { cache?: Map<string, { id: string; name: string }> } | undefined)?.cache;
  if (!cache) return false;
  if (cache.has(role)) return true;
  for (const r of cache.values()) if (r.name === role) return true;
  return false;
}
