// What Discord command modules share.
import type { Config } from '../../config.js';
import type { MarketInfo } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import type { Services } from '../../services/index.js';
import type { User } from '../../services/users.js';
import type { ChatHandler } from '../chat-types.js';
import type { ConfirmationButtons } from '../confirmation-buttons.js';
import type { OutboundSender, SenderClock } from '../outbound/index.js';

export interface DiscordDeps {
  services: Services;
  handler: ChatHandler;
  config: Config;
  logger: Logger;
  confirmations: ConfirmationButtons;
  /** The market catalog symbol autocomplete draws from. */
  markets: () => readonly MarketInfo[];
  /** The shared account public requests from unlinked people run as. */
  guestUser: () => Promise<User>;
  /** Interactions per channel user per minute. */
  inboundPerMinute: number;
  /** The rate-limited queue channel messages and DMs go through. */
  sender: OutboundSender;
  /** Time for "typing…" repeats and the pacing of streamed edits (tests drive it by hand). */
  liveClock: SenderClock;
  /** The bot's own user id (mentions of it address MIKEY in a server channel). */
  botUserId: () => string | undefined;
  /** People without a linked account already told, in a DM, how to link (told once). */
  toldUnknown: Set<string>;
}

export const LINK_FIRST = 'Link your account first: /link CODE (get a code with `mikey link`).';
export const SOMETHING_WENT_WRONG = 'Something went wrong on my side; nothing was changed. Please try again in a moment.';
