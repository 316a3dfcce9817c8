// A deferred interaction reply that shows the answer as it is written: each partial text edits the
// reply (editReply), coalesced to at most one edit per interval, one at a time, never with unchanged
// content, and only the first 2,000 characters (the rest arrives as follow-ups with the final
// answer). `finish` waits for the edit in flight, after which the final answer is delivered as usual.
// Used only where the deferred reply is ephemeral: a public reply's visibility is known only at the end.
import type { ChatInputCommandInteraction } from 'discord.js';
import type { Logger } from '../../log.js';
import type { SenderClock } from '../outbound/index.js';
import { personText } from '../person-text.js';
import { NO_MENTIONS, splitDiscordText } from './render.js';

/** Least time between two edits of a streamed reply (Discord allows about 5 edits per 5 s). */
export const DISCORD_EDIT_INTERVAL_MS = 1000;

export class LiveEdit {
  private latest: string | undefined;
  private shownContent: string | undefined;
  private cancelTimer: (() => void) | undefined;
  private working: Promise<void> | undefined;
  private lastEditAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly interaction: Pick<ChatInputCommandInteraction, 'editReply'>,
    private readonly clock: SenderClock,
    private readonly logger: Logger,
    private readonly minEditIntervalMs = DISCORD_EDIT_INTERVAL_MS,
  ) {}

  /** The answer so far (a `TurnOptions.onPartial`): never blocks, never throws. */
  readonly update = (textSoFar: string): void => {
    if (this.closed || typeof textSoFar !== 'string') return;
    this.latest = textSoFar;
    this.schedule();
  };

  private schedule(): void {
    if (this.closed || this.working || this.cancelTimer || this.latest === undefined) return;
    const content = splitDiscordText(personText(this.latest))[0];
    if (content === undefined || content === this.shownContent) return;
    const wait = this.lastEditAt + this.minEditIntervalMs - this.clock.now();
    if (wait > 0) {
      this.cancelTimer = this.clock.setTimer(wait, () => {
        this.cancelTimer = undefined;
        this.schedule();
      });
      return;
    }
    this.lastEditAt = this.clock.now();
    this.shownContent = content;
    this.working = this.interaction
      .editReply({ content, allowedMentions: NO_MENTIONS })
      .then(() => undefined)
      .catch((err: unknown) => this.logger.warn('discord streamed reply not updated', { error: err }))
      .finally(() => {
        this.working = undefined;
        this.schedule();
      });
  }

  /** Stops streaming; resolves when no edit is in flight. */
  async finish(): Promise<void> {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.working;
  }
}
