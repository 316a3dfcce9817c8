// What Discord command modules share.
import type { Config } from '../../config.js';
import type { MarketInfo } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import type { Services } from '../../services/index.js';
import type { User } from '../../services/users.js';
import type { ChatHandler } from '../chat-types.js';
import type { ConfirmationButtons } from '../confirmation-buttons.js';

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
}

export const LINK_FIRST = 'Link your account first: /link CODE (get a code with `mikey link`).';
export const SOMETHING_WENT_WRONG = 'Something went wrong on my side; nothing was changed. Please try again in a moment.';
