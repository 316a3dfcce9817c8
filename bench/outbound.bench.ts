// The outbound sender under Telegram's limits: 1,000 messages across 50 chats through the real
// telegraf client to the loopback Bot API peer (telegram-test-api behind a front that enforces the
// limits and injects 429s into 3% of sends). Every message must arrive once and in order per chat.
// Reference: the least time the limits allow (1,000 at 30/s → 33 s); ratio = minimum / actual, so 1
// would be a sender that loses nothing to 429s or latency. Runs in real time (about 35 s): a faster
// clock would magnify loopback latency by the same factor (the tests use one; 10× gives about 0.8).
import { Telegram } from 'telegraf';
import { OutboundSender, TELEGRAM_LIMITS, classifyTelegramError, minimumDeliveryMs, scaledSenderClock } from '../src/bot/outbound/index.js';
import { startTelegramPeer } from '../test/bot/telegram-peer.js';
import { higherIsBetter, round } from './lib.js';
import type { BenchContext, BenchFigure } from './lib.js';

const SPEEDUP = 1;
const CHATS = 50;
const PER_CHAT = 20;

export default async function bench(ctx: BenchContext): Promise<BenchFigure[]> {
  const peer = await startTelegramPeer('998877:BENCH-outbound-token-for-mikey');
  try {
    const clock = scaledSenderClock(SPEEDUP);
    peer.enforceLimits({ ...TELEGRAM_LIMITS, toleranceMs: 300, now: () => clock.now() });
    peer.inject429(0.03, 1);
    const telegram = new Telegram(peer.token, { apiRoot: peer.apiRoot });
    const sender = new OutboundSender({ classify: classifyTelegramError, clock });
    const chats = Array.from({ length: CHATS }, (_, i) => 20_000 + i);
    const start = clock.now();
    const sends: Array<Promise<{ ok: boolean }>> = [];
    for (let n = 0; n < PER_CHAT; n++) {
      for (const chat of chats) sends.push(sender.send({ chatId: String(chat) }, () => telegram.sendMessage(chat, `chat ${chat} #${n}`)));
    }
    const results = await Promise.all(sends);
    const elapsed = clock.now() - start;
    const minimum = minimumDeliveryMs(chats.map(() => ({ messages: PER_CHAT })), TELEGRAM_LIMITS);
    const inOrder = chats.every((c) => peer.botMessages(c).map((m) => m.text).join('|') === Array.from({ length: PER_CHAT }, (_, n) => `chat ${c} #${n}`).join('|'));
    const delivered = results.filter((r) => r.ok).length;
    if (delivered !== CHATS * PER_CHAT || !inOrder || peer.counters.delivered !== CHATS * PER_CHAT) {
      throw new Error(`outbound bench: ${delivered} delivered, ${peer.counters.delivered} at the peer, in order: ${inOrder}`);
    }
    ctx.log(
      `1000 messages / 50 chats: ${(elapsed / 1000).toFixed(1)} s Telegram time (${SPEEDUP}× clock), minimum ${(minimum / 1000).toFixed(1)} s; ` +
        `${peer.counters.injected429} injected 429s retried, ${peer.counters.limit429} limit breaches, all delivered once and in order`,
    );
    return [
      higherIsBetter(
        'outbound.telegram.1000msgs.50chats.429s',
        minimum / elapsed,
        'ratio',
        1,
        `${round(elapsed / 1000, 1)} s vs the limits' minimum ${minimum / 1000} s; ${peer.counters.injected429} injected 429s; ${peer.counters.limit429} limit breaches; 1000/1000 delivered once, in order${SPEEDUP === 1 ? '' : `; ${SPEEDUP}× clock`}`,
      ),
    ];
  } finally {
    await peer.stop();
  }
}
