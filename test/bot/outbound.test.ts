// The outbound sender: per-chat order and pacing, the group and global limits, 429s retried after
// retry_after without loss or duplication, bounded retries for transient failures, permanent
// failures dropped without a crash — first against an in-memory transport, then 1,000 messages across
// 50 chats through the real telegraf client to the loopback Bot API peer, which enforces Telegram's
// limits and injects 429s. Time is a manual clock that moves only while nothing is in flight: a send
// takes no clock time however slow the machine, so every assertion is about what was sent, in which
// order and at which clock time — never about how fast this machine is (speed is bench/'s business).
import { Telegram } from 'telegraf';
import { TelegramError } from 'telegraf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OutboundSender, TELEGRAM_LIMITS, classifyDiscordError, classifyTelegramError, manualSenderClock, minimumDeliveryMs, type ManualSenderClock, type SenderClock,
} from '../../src/bot/outbound/index.js';
import { createLogger } from '../../src/log.js';
import { startTelegramPeer, type TelegramPeer } from './telegram-peer.js';

const tgError = (code: number, description: string, retryAfter?: number): TelegramError =>
  new TelegramError({ error_code: code, description, ...(retryAfter !== undefined ? { parameters: { retry_after: retryAfter } } : {}) });

function recorder(clock: SenderClock): { starts: Array<{ chat: string; n: number; at: number }>; op: (chat: string, n: number, fail?: () => Error | undefined) => () => Promise<string> } {
  const starts: Array<{ chat: string; n: number; at: number }> = [];
  return {
    starts,
    op: (chat, n, fail) => async () => {
      starts.push({ chat, n, at: clock.now() });
      const err = fail?.();
      if (err) throw err;
      return `${chat}#${n}`;
    },
  };
}

/**
 * Runs the sender until `work` settles: whenever nothing is in flight and the sender waits for time,
 * the clock jumps to its next timer. Real I/O (the loopback peer) is awaited with the clock standing still.
 */
async function onClock<T>(clock: ManualSenderClock, sender: OutboundSender, work: Promise<T>): Promise<T> {
  let settled = false;
  const out = work.finally(() => {
    settled = true;
  });
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve));
    if (settled) return out;
    if (sender.stats().inFlight > 0) continue;
    if (!clock.fireNext()) throw new Error('the sender stalled: nothing in flight, no timer armed, and work still pending');
  }
}

describe('manual clock', () => {
  it('moves only to the next timer, in order, and cancelled timers never fire', () => {
    const clock = manualSenderClock();
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push(`b@${clock.now()}`));
    const cancel = clock.setTimer(200, () => fired.push('cancelled'));
    clock.setTimer(100, () => fired.push(`a@${clock.now()}`));
    cancel();
    expect(clock.now(), 'setting timers does not move time').toBe(0);
    while (clock.fireNext());
    expect(fired).toEqual(['a@100', 'b@300']);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('outbound sender: pacing', () => {
  it('keeps per-chat order with at least 1 s between messages to one chat', async () => {
    const clock = manualSenderClock();
    const sender = new OutboundSender({ classify: classifyTelegramError, clock });
    const r = recorder(clock);
    const results = await onClock(clock, sender, Promise.all([0, 1, 2, 3, 4].map((n) => sender.send({ chatId: '1' }, r.op('1', n)))));
    expect(results.map((d) => (d.ok ? d.value : d.reason))).toEqual(['1#0', '1#1', '1#2', '1#3', '1#4']);
    expect(r.starts.map((s) => s.n)).toEqual([0, 1, 2, 3, 4]);
    expect(r.starts.map((s) => s.at), 'one message per second per chat, and no slower').toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('sends at most 20 a minute to a group', async () => {
    const clock = manualSenderClock();
    const sender = new OutboundSender({ classify: classifyTelegramError, clock });
    const r = recorder(clock);
    await onClock(clock, sender, Promise.all(Array.from({ length: 23 }, (_, n) => sender.send({ chatId: '-100', group: true }, r.op('-100', n)))));
    const at = r.starts.map((s) => s.at);
    expect(r.starts.map((s) => s.n), 'in order').toEqual(Array.from({ length: 23 }, (_, n) => n));
    expect(at.slice(0, 20), 'the first 20 go out a second apart').toEqual(Array.from({ length: 20 }, (_, i) => i * 1000));
    expect(at.slice(20), 'the 21st and later wait for the minute window of the one 20 before').toEqual([60_000, 61_000, 62_000]);
  });

  it('never starts more than 30 messages in any second overall, serving chats in turn', async () => {
    const clock = manualSenderClock();
    const sender = new OutboundSender({ classify: classifyTelegramError, clock });
    const r = recorder(clock);
    const sends: Array<Promise<unknown>> = [];
    for (let n = 0; n < 2; n++) for (let c = 0; c < 45; c++) sends.push(sender.send({ chatId: `c${c}` }, r.op(`c${c}`, n)));
    await onClock(clock, sender, Promise.all(sends));
    const at = r.starts.map((s) => s.at).sort((a, b) => a - b);
    expect(at.length, 'every message started once').toBe(90);
    for (let i = 30; i < at.length; i++) expect(at[i]! - at[i - 30]!, 'no 31 starts within one second').toBeGreaterThanOrEqual(1000);
    expect(at.filter((t) => t === 0).length, 'the first second is used to the full 30').toBe(30);
    const firstRound = r.starts.slice(0, 45).map((s) => s.n);
    expect(firstRound.every((n) => n === 0), 'every chat gets its first message before any gets a second').toBe(true);
  });
});

describe('outbound sender: failures', () => {
  it('retries a 429 after retry_after, once delivered, and the chat keeps its order', async () => {
    const clock = manualSenderClock();
    const sender = new OutboundSender({ classify: classifyTelegramError, clock });
    const r = recorder(clock);
    let failures = 2;
    const [a, b] = await onClock(clock, sender, Promise.all([
      sender.send({ chatId: '7' }, r.op('7', 0, () => (failures-- > 0 ? tgError(429, 'Too Many Requests: retry after 3', 3) : undefined))),
      sender.send({ chatId: '7' }, r.op('7', 1)),
    ]));
    expect(a).toEqual({ ok: true, value: '7#0', attempts: 3 });
    expect(b).toEqual({ ok: true, value: '7#1', attempts: 1 });
    expect(r.starts.map((s) => s.n), 'the second message waits for the first').toEqual([0, 0, 0, 1]);
    expect(r.starts.map((s) => s.at), 'retry_after (3 s) is honoured each time, then the next message a second later').toEqual([0, 3000, 6000, 7000]);
    expect(sender.stats()).toMatchObject({ delivered: 2, dropped: 0, rateLimited: 2 });
  });

  it('retries transient failures a bounded number of times, then drops that message only', async () => {
    const clock = manualSenderClock();
    const logLines: string[] = [];
    const sender = new OutboundSender({ classify: classifyTelegramError, clock, maxTransientRetries: 2, logger: createLogger('warn', (l) => logLines.push(l)) });
    const r = recorder(clock);
    let flaky = 2;
    const recovered = await onClock(clock, sender, sender.send({ chatId: '8' }, r.op('8', 0, () => (flaky-- > 0 ? tgError(502, 'Bad Gateway') : undefined))));
    expect(recovered).toMatchObject({ ok: true, attempts: 3 });
    const [lost, next] = await onClock(clock, sender, Promise.all([
      sender.send({ chatId: '8', label: 'push:fill' }, r.op('8', 1, () => Object.assign(new Error('socket hang up'), { name: 'FetchError', code: 'ECONNRESET' }))),
      sender.send({ chatId: '8' }, r.op('8', 2)),
    ]));
    expect(lost).toMatchObject({ ok: false, reason: 'gave_up', attempts: 3 });
    expect(next).toMatchObject({ ok: true, value: '8#2' });
    expect(logLines.some((l) => l.includes('dropped after transient failures') && l.includes('push:fill'))).toBe(true);
  });

  it('drops a message on a permanent error (blocked, chat not found) with a log line and carries on', async () => {
    const clock = manualSenderClock();
    const logLines: string[] = [];
    const sender = new OutboundSender({ classify: classifyTelegramError, clock, logger: createLogger('warn', (l) => logLines.push(l)) });
    const r = recorder(clock);
    const [blocked, missing, fine] = await onClock(clock, sender, Promise.all([
      sender.send({ chatId: '9' }, r.op('9', 0, () => tgError(403, 'Forbidden: bot was blocked by the user'))),
      sender.send({ chatId: '10' }, r.op('10', 0, () => tgError(400, 'Bad Request: chat not found'))),
      sender.send({ chatId: '11' }, r.op('11', 0)),
    ]));
    expect(blocked).toMatchObject({ ok: false, reason: 'forbidden', attempts: 1 });
    expect(missing).toMatchObject({ ok: false, reason: 'not_found', attempts: 1 });
    expect(fine).toMatchObject({ ok: true });
    expect(logLines.filter((l) => l.includes('outbound message dropped'))).toHaveLength(2);
  });

  it('a throwing operation or a throwing classifier never breaks the queue', async () => {
    const clock = manualSenderClock();
    const sender = new OutboundSender({ classify: () => { throw new Error('classifier bug'); }, clock });
    const d = await onClock(clock, sender, sender.send({ chatId: '12' }, () => { throw new Error('sync throw'); }));
    expect(d).toMatchObject({ ok: false, reason: 'rejected' });
    expect(await onClock(clock, sender, sender.send({ chatId: '12' }, async () => 'ok'))).toMatchObject({ ok: true, value: 'ok' });
  });

  it('drain waits for the queue; after close nothing new is accepted', async () => {
    const clock = manualSenderClock();
    const sender = new OutboundSender({ classify: classifyTelegramError, clock });
    const done: number[] = [];
    for (let n = 0; n < 4; n++) void sender.send({ chatId: '13' }, async () => done.push(n));
    expect(await onClock(clock, sender, sender.drain())).toBe(true);
    expect(done).toEqual([0, 1, 2, 3]);
    await onClock(clock, sender, sender.close());
    expect(await sender.send({ chatId: '13' }, async () => 1)).toMatchObject({ ok: false, reason: 'closed' });
  });
});

describe('error classification', () => {
  it('reads Telegram errors', () => {
    expect(classifyTelegramError(tgError(429, 'Too Many Requests: retry after 7', 7))).toEqual({ kind: 'rate_limited', retryAfterMs: 7000 });
    expect(classifyTelegramError(tgError(500, 'Internal Server Error'))).toEqual({ kind: 'transient' });
    expect(classifyTelegramError(tgError(403, 'Forbidden: bot was blocked by the user'))).toEqual({ kind: 'permanent', reason: 'forbidden' });
    expect(classifyTelegramError(tgError(400, 'Bad Request: chat not found'))).toEqual({ kind: 'permanent', reason: 'not_found' });
    expect(classifyTelegramError(tgError(400, "Bad Request: can't parse entities"))).toEqual({ kind: 'permanent', reason: 'rejected' });
    expect(classifyTelegramError(Object.assign(new Error('connect ECONNREFUSED'), { name: 'FetchError', type: 'system', code: 'ECONNREFUSED' }))).toEqual({ kind: 'transient' });
    expect(classifyTelegramError(new TypeError('a bug'))).toEqual({ kind: 'permanent', reason: 'rejected' });
  });

  it('reads Discord errors', () => {
    expect(classifyDiscordError({ name: 'DiscordAPIError[50007]', code: 50007, status: 403 })).toEqual({ kind: 'permanent', reason: 'forbidden' });
    expect(classifyDiscordError({ name: 'DiscordAPIError[10013]', code: 10013, status: 404 })).toEqual({ kind: 'permanent', reason: 'not_found' });
    expect(classifyDiscordError({ name: 'RateLimitError', retryAfter: 1500 })).toEqual({ kind: 'rate_limited', retryAfterMs: 1500 });
    expect(classifyDiscordError({ name: 'HTTPError', status: 503 })).toEqual({ kind: 'transient' });
  });

  it('computes the limits minimum', () => {
    const chats = Array.from({ length: 50 }, () => ({ messages: 20 }));
    expect(minimumDeliveryMs(chats, TELEGRAM_LIMITS), '1,000 messages at 30/s').toBe(33_000);
    expect(minimumDeliveryMs([{ messages: 25, group: true }], TELEGRAM_LIMITS), 'the 21st group message waits a minute').toBe(64_000);
    expect(minimumDeliveryMs([{ messages: 5 }], TELEGRAM_LIMITS)).toBe(4000);
  });
});

describe('outbound sender against the loopback Bot API (real telegraf client)', () => {
  let peer: TelegramPeer;
  beforeAll(async () => {
    peer = await startTelegramPeer('778899:OUTBOUND-load-token-for-mikey-tests');
  });
  afterAll(async () => {
    await peer?.stop();
  });

  it('delivers 1,000 messages across 50 chats with injected 429s: all, once each, in order, within the limits', async () => {
    const clock = manualSenderClock();
    // The peer reads the same clock: a request arrives at the clock time it was sent, so the limits
    // are checked exactly (no tolerance for latency jitter is needed or given).
    peer.enforceLimits({ ...TELEGRAM_LIMITS, toleranceMs: 0, now: () => clock.now() });
    peer.inject429(0.03, 1);
    const telegram = new Telegram(peer.token, { apiRoot: peer.apiRoot });
    const sender = new OutboundSender({ classify: classifyTelegramError, clock });
    const chats = Array.from({ length: 50 }, (_, i) => 10_000 + i);
    const perChat = 20;
    const start = clock.now();
    const sends: Array<Promise<unknown>> = [];
    for (let n = 0; n < perChat; n++) {
      for (const chat of chats) sends.push(sender.send({ chatId: String(chat) }, () => telegram.sendMessage(chat, `chat ${chat} #${n}`)));
    }
    const results = (await onClock(clock, sender, Promise.all(sends))) as Array<{ ok: boolean }>;
    const elapsed = clock.now() - start;
    const minimum = minimumDeliveryMs(chats.map(() => ({ messages: perChat })), TELEGRAM_LIMITS);

    expect(results.every((r) => r.ok), 'every send resolved delivered').toBe(true);
    for (const chat of chats) {
      expect(peer.botMessages(chat).map((m) => m.text), `chat ${chat}: every message exactly once, in order`).toEqual(Array.from({ length: perChat }, (_, n) => `chat ${chat} #${n}`));
    }
    expect(peer.counters.injected429, 'the peer really injected 429s').toBeGreaterThan(10);
    expect(peer.limitBreaches, "the sender never broke Telegram's limits").toEqual([]);
    expect(peer.counters.delivered).toBe(1000);
    expect(elapsed, 'cannot beat the limits').toBeGreaterThanOrEqual(minimum);
    const attempts = sender.stats().attempts;
    expect(attempts, 'one attempt per message plus one per injected 429, nothing sent twice').toBe(1000 + peer.counters.injected429);
    // On this clock a send takes no time, so the only waits are the limits and retry_after: every
    // attempt (429s included) is paced at 30 a second; at the tail, where few chats are left, a
    // retry_after and a chat's 1 s interval may add up to two seconds.
    const paced = minimumDeliveryMs([{ messages: attempts }], { ...TELEGRAM_LIMITS, perChatIntervalMs: 0 });
    expect(elapsed, 'the sender leaves none of the global budget unused').toBeLessThanOrEqual(paced + 2000);
  });
});
