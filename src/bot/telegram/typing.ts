// "typing…" while MIKEY works on an answer. Telegram shows a chat action for about 5 s, or until the
// bot's next message, so it is sent at once and repeated every few seconds until the work is done.
// A chat action is not a message: it goes straight to the Bot API, not through the outbound queue
// (which would hold it behind the answers it is meant to precede), and a failure only costs the
// indicator.
import type { Telegram } from 'telegraf';
import type { Logger } from '../../log.js';
import type { SenderClock } from '../outbound/index.js';

/** Repeat before Telegram's ~5 s display runs out. */
export const TYPING_REPEAT_MS = 4000;
/** Longest MIKEY keeps saying "typing…" for one request: a stuck turn must not type forever. */
export const TYPING_MAX_MS = 5 * 60_000;

export interface TypingOptions {
  repeatMs?: number;
  maxMs?: number;
}

/** Stops the indicator; resolves once the last chat action sent was answered (so it cannot land after the reply). */
export type StopTyping = () => Promise<void>;

export function startTyping(
  telegram: Pick<Telegram, 'sendChatAction'>, chatId: string, clock: SenderClock, logger: Logger, opts: TypingOptions = {},
): StopTyping {
  const repeatMs = opts.repeatMs ?? TYPING_REPEAT_MS;
  const maxMs = opts.maxMs ?? TYPING_MAX_MS;
  const startedAt = clock.now();
  let stopped = false;
  let cancel: (() => void) | undefined;
  let last: Promise<unknown> = Promise.resolve();
  const show = (): void => {
    cancel = undefined;
    if (stopped) return;
    last = telegram.sendChatAction(chatId, 'typing').catch((err: unknown) => logger.debug('telegram typing indicator not shown', { chatId, error: err }));
    if (clock.now() - startedAt + repeatMs <= maxMs) cancel = clock.setTimer(repeatMs, show);
  };
  show();
  return async () => {
    stopped = true;
    cancel?.();
    cancel = undefined;
    await last;
  };
}
