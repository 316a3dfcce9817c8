// How MIKEY feels at work on Telegram, with the real telegraf client against the loopback Bot API
// peer: "typing…" before a slow answer and repeated while the work goes on; an answer shown as it is
// written — sent once, edited in place no more than once per interval (a manual clock stands in for
// time), never with unchanged text, carried on in a further message past 4096 characters, and ending
// with exactly the final text. Slow answers are held by a gate the test opens, never by waiting.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatReply, TurnOptions } from '../../src/bot/chat-types.js';
import { manualSenderClock, type ManualSenderClock, type SenderClock } from '../../src/bot/outbound/index.js';
import { TELEGRAM_TEXT_LIMIT } from '../../src/bot/telegram/index.js';
import { visibleText } from './telegram-peer.js';
import { startTelegramHarness, type TelegramHarness } from './telegram-support.js';

let h: TelegramHarness;
let clock: ManualSenderClock;
/** Releases for the turns tests hold open. */
const held: Array<() => void> = [];

beforeAll(async () => {
  // Each test gets a fresh manual clock, starting at 0, behind the one the surface holds.
  const liveClock: SenderClock = { now: () => clock.now(), setTimer: (ms, fn) => clock.setTimer(ms, fn) };
  h = await startTelegramHarness({ surface: { liveClock, inboundPerMinute: 1000 } });
});

beforeEach(() => {
  clock = manualSenderClock();
});

afterAll(async () => {
  await h?.close();
});

afterEach(() => {
  // A test that failed half-way must not leave its turn held: telegraf's polling waits for every
  // update of a batch, so one held turn would stall the tests after it.
  for (const release of held.splice(0)) release();
  h.handler.custom = undefined;
});

interface Gate<T> {
  promise: Promise<T>;
  open(value: T): void;
}

function gate<T>(): Gate<T> {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A handler turn the test holds open: it hands over its `onPartial` and answers when the gate opens. */
function heldTurn(): { started: Gate<TurnOptions | undefined>; answer: Gate<ChatReply> } {
  const started = gate<TurnOptions | undefined>();
  const answer = gate<ChatReply>();
  held.push(() => answer.open({ text: 'released', visibility: 'private' }));
  h.handler.custom = async (_ctx, _text, opts) => {
    started.open(opts);
    return answer.promise;
  };
  return { started, answer };
}

async function say(userId: number, text: string, chat: { chatId?: number; type?: 'private' | 'group'; chatTitle?: string } = {}): Promise<void> {
  const client = h.peer.client({ userId, chatId: chat.chatId ?? userId, type: chat.type ?? 'private', ...(chat.chatTitle ? { chatTitle: chat.chatTitle } : {}) });
  if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
  else await client.sendMessage(client.makeMessage(text));
}

const callsTo = (method: string, chatId: number): typeof h.peer.calls => h.peer.callsTo(method).filter((c) => String(c.body.chat_id) === String(chatId));
const typing = (chatId: number): number => callsTo('sendChatAction', chatId).filter((c) => c.body.action === 'typing' && c.status === 200).length;
const edits = (chatId: number): typeof h.peer.calls => callsTo('editMessageText', chatId);
const shown = (chatId: number): string[] => h.peer.botMessages(chatId).map((m) => visibleText(m.text));

describe('Telegram: typing while MIKEY works', () => {
  it('shows "typing…" before a slow answer and repeats it on the clock until the answer is sent', async () => {
    await h.linkedUser(3001);
    const turn = heldTurn();
    await say(3001, 'how is my portfolio doing?');
    await turn.started.promise;
    await h.peer.waitFor(() => typing(3001) === 1, 5000, 'the first typing action');
    expect(h.peer.botMessages(3001), 'nothing answered yet: the turn is held').toEqual([]);

    // Telegram shows a chat action for about 5 s: MIKEY repeats it while the work goes on.
    expect(clock.fireNext(), 'a repeat is scheduled while the turn runs').toBe(true);
    await h.peer.waitFor(() => typing(3001) === 2, 5000, 'the second typing action');
    expect(clock.fireNext()).toBe(true);
    await h.peer.waitFor(() => typing(3001) === 3, 5000, 'the third typing action');
    expect(clock.now(), 'the repeats came about 4 s apart on the clock').toBe(8000);

    turn.answer.open({ text: 'Equity 10,000.00 USDT (paper)', visibility: 'private' });
    await h.settle();
    expect(shown(3001)).toEqual(['Equity 10,000.00 USDT (paper)']);
    expect(clock.pendingTimers(), 'typing stops with the answer').toBe(0);
    const order = h.peer.calls.filter((c) => String(c.body.chat_id) === '3001' && (c.method === 'sendChatAction' || c.method === 'sendMessage')).map((c) => c.method);
    expect(order, 'every typing action came before the answer').toEqual(['sendChatAction', 'sendChatAction', 'sendChatAction', 'sendMessage']);
  });

  it('a quick answer gets one typing action and leaves no timer behind', async () => {
    await h.linkedUser(3002);
    await say(3002, 'hello');
    await h.settle();
    expect(typing(3002)).toBe(1);
    expect(shown(3002)).toEqual(['echo: hello']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('types in the group for a public request, and never streams there', async () => {
    await h.linkedUser(3003);
    await say(3003, '/price SOL', { chatId: -3003, type: 'group', chatTitle: 'Desk' });
    await h.settle();
    expect(typing(-3003)).toBe(1);
    const call = h.handler.texts.at(-1)!;
    expect(call.opts?.onPartial, 'in a group the answer is not shown before it is known to be public').toBeUndefined();
    expect(shown(-3003)[0]).toContain('SOL/USDT 142.30');
  });
});

describe('Telegram: an answer shown as it is written', () => {
  it('sends the first words, edits in place at most once per interval, never with unchanged text, and ends with the full text', async () => {
    await h.linkedUser(3101);
    const turn = heldTurn();
    await say(3101, 'what do you think of SOL?');
    const opts = await turn.started.promise;
    const partial = opts?.onPartial;
    expect(partial, 'a private chat offers the handler a place to stream').toBeTypeOf('function');

    partial!('SOL/USDT');
    await h.peer.waitFor(() => shown(3101).length === 1, 5000, 'the first words to be sent');
    expect(shown(3101)).toEqual(['SOL/USDT']);

    partial!('SOL/USDT 142.30');
    partial!('SOL/USDT 142.30, up 2.1 %');
    // One edit timer (1 s) and the typing repeat (4 s) are pending; no edit went out yet.
    await h.peer.waitFor(() => clock.pendingTimers() === 2, 5000, 'the edit to wait for its interval');
    expect(edits(3101), 'no edit before the interval has passed').toHaveLength(0);

    expect(clock.fireNext()).toBe(true);
    expect(clock.now(), 'the edit waited a second after the first message').toBe(1000);
    await h.peer.waitFor(() => edits(3101).length === 1, 5000, 'the coalesced edit');
    expect(clock.pendingTimers(), 'only the typing repeat is left').toBe(1);
    expect(shown(3101), 'the newest text replaced the message in place').toEqual(['SOL/USDT 142.30, up 2.1 %']);

    partial!('SOL/USDT 142.30, up 2.1 %');
    expect(clock.pendingTimers(), 'unchanged text: no edit is even scheduled').toBe(1);

    // Past Telegram's 4096 characters the text carries on in a second message.
    const lines = Array.from({ length: 120 }, (_, i) => `Level ${String(i + 1).padStart(3, '0')}: support near ${100 + i}.50 — watch the volume here`);
    const long = ['SOL/USDT 142.30, up 2.1 %', ...lines].join('\n');
    expect(long.length).toBeGreaterThan(TELEGRAM_TEXT_LIMIT);
    partial!(long);
    // The edit before may still be awaiting Telegram's answer; the next one is scheduled when it is in.
    await h.peer.waitFor(() => clock.pendingTimers() === 2, 5000, 'the next edit to wait for its interval');
    expect(clock.fireNext()).toBe(true);
    expect(clock.now()).toBe(2000);
    await h.peer.waitFor(() => shown(3101).length === 2, 5000, 'the second part to be sent');
    await h.peer.waitFor(() => clock.pendingTimers() === 1, 5000, 'the flush to finish');
    expect(edits(3101), 'the first part was edited, the rest sent').toHaveLength(2);

    const final = `${long}\nBottom line: 142.30, holding above support.`;
    turn.answer.open({ text: final, visibility: 'private' });
    await h.settle();
    const parts = shown(3101);
    expect(parts, 'two messages in all').toHaveLength(2);
    for (const p of parts) expect([...p].length, 'each part within Telegram\'s limit').toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
    expect(parts.join('\n'), 'the messages say exactly the final answer').toBe(final);
    expect(h.peer.callsTo('sendMessage').filter((c) => String(c.body.chat_id) === '3101' && c.status !== 200), 'nothing was refused').toEqual([]);
    expect(edits(3101).filter((c) => c.status !== 200), 'no edit was refused (none with unchanged text)').toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('takes Telegram\'s "message is not modified" as done: no apology, no second message', async () => {
    await h.linkedUser(3102);
    const turn = heldTurn();
    await say(3102, 'price sol');
    const partial = (await turn.started.promise)?.onPartial;
    partial!('SOL/USDT 142.3');
    await h.peer.waitFor(() => shown(3102).length === 1, 5000, 'the first words');
    await h.peer.waitFor(() => clock.pendingTimers() === 1, 5000, 'the send to finish');
    h.peer.failNext('editMessageText', 400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    turn.answer.open({ text: 'SOL/USDT 142.30', visibility: 'private' });
    await h.settle();
    expect(edits(3102).map((c) => c.status), 'the one edit was answered "not modified"').toEqual([400]);
    expect(h.peer.botMessages(3102), 'no apology and no duplicate').toHaveLength(1);
  });

  it('sends the answer again when the streamed message can no longer be edited', async () => {
    await h.linkedUser(3103);
    const turn = heldTurn();
    await say(3103, 'price eth');
    const partial = (await turn.started.promise)?.onPartial;
    partial!('ETH/USDT 3,1');
    await h.peer.waitFor(() => shown(3103).length === 1, 5000, 'the first words');
    await h.peer.waitFor(() => clock.pendingTimers() === 1, 5000, 'the send to finish');
    h.peer.failNext('editMessageText', 400, 'Bad Request: message to edit not found');
    turn.answer.open({ text: 'ETH/USDT 3,120.55', visibility: 'private' });
    await h.settle();
    expect(shown(3103), 'the full answer arrived as a new message').toEqual(['ETH/USDT 3,1', 'ETH/USDT 3,120.55']);
  });

  it('a streamed answer still brings its trade card with buttons', async () => {
    await h.linkedUser(3104);
    const turn = heldTurn();
    await say(3104, 'buy 1 sol');
    const partial = (await turn.started.promise)?.onPartial;
    partial!('Here is the trade');
    await h.peer.waitFor(() => shown(3104).length === 1, 5000, 'the first words');
    turn.answer.open({
      text: 'Here is the trade card.',
      confirmation: { token: 'tok-live-1', cardText: 'BUY 1 SOL/USDT (paper)\nNotional 142.30 USDT', expiresAt: new Date(Date.now() + 60_000) },
      visibility: 'private',
    });
    await h.settle();
    const messages = h.peer.botMessages(3104);
    expect(messages.map((m) => visibleText(m.text).split('\n')[0])).toEqual(['Here is the trade card.', 'Trade card — please check']);
    expect(messages[1]!.replyMarkup?.inline_keyboard?.[0]?.map((b) => b.text)).toEqual(['✅ Confirm', '✖ Cancel']);
  });
});
