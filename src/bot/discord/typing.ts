// "MIKEY is typing…" in a Discord channel while the handler works on a message. Discord shows it for
// about 10 s or until the bot's next message, so it is sent at once and repeated every 8 s until the
// work is done (bounded: a stuck turn must not type forever). A failure only costs the indicator.
import type { Logger } from '../../log.js';
import type { SenderClock } from '../outbound/index.js';

export const DISCORD_TYPING_REPEAT_MS = 8000;
export const DISCORD_TYPING_MAX_MS = 5 * 60_000;

/** Runs `work` with the typing indicator shown through `sendTyping` until it ends. */
export async function whileTyping<T>(sendTyping: () => Promise<unknown>, clock: SenderClock, logger: Logger, work: () => Promise<T>): Promise<T> {
  const startedAt = clock.now();
  let stopped = false;
  let cancel: (() => void) | undefined;
  let last: Promise<unknown> = Promise.resolve();
  const show = (): void => {
    cancel = undefined;
    if (stopped) return;
    last = Promise.resolve()
      .then(sendTyping)
      .catch((err: unknown) => logger.debug('discord typing indicator not shown', { error: err }));
    if (clock.now() - startedAt + DISCORD_TYPING_REPEAT_MS <= DISCORD_TYPING_MAX_MS) cancel = clock.setTimer(DISCORD_TYPING_REPEAT_MS, show);
  };
  show();
  try {
    // The first indicator reaches Discord before the work starts (the answer never precedes it).
    await last;
    return await work();
  } finally {
    stopped = true;
    cancel?.();
    await last;
  }
}
