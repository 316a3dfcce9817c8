// The terminal surface (`mikey chat`) on piped input: what it prints is clean text for people, and
// text typed at the [y/N] prompt of a trade card cancels the card and is then handled as the next
// message — only "y"/"yes" confirms, Enter or "n" cancels.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatContext } from '../../src/bot/chat-types.js';
import { runTerminalChat } from '../../src/bot/terminal/terminal-chat.js';
import type { User } from '../../src/services/users.js';
import { MODEL_FACING, ScriptedHandler } from './telegram-support.js';

const user = { id: '00000000-0000-4000-8000-000000000001', username: 'owner' } as User;
const context: ChatContext = { platform: 'terminal', user, chatId: 'terminal', isGroup: false };
let chartDir: string;

beforeAll(async () => {
  chartDir = await mkdtemp(join(tmpdir(), 'mikey-terminal-'));
});
afterAll(async () => {
  await rm(chartDir, { recursive: true, force: true });
});

/** Runs a terminal session over `lines` typed one after another; returns what it printed and the handler. */
async function session(lines: string[]): Promise<{ out: string; handler: ScriptedHandler }> {
  const handler = new ScriptedHandler();
  const input = new PassThrough();
  let out = '';
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  input.end(lines.map((l) => `${l}\n`).join(''));
  await runTerminalChat({ handler, context, input, output, chartDir });
  return { out, handler };
}

describe('terminal chat', () => {
  it('prints clean text: no marks, no JSON error details, no card JSON or model instructions', async () => {
    const { out } = await session(['leaky', 'n']);
    expect(out, 'nothing model-facing is printed').not.toMatch(MODEL_FACING);
    expect(out, 'the alert title is kept').toContain('Alert SOL ‹to the moon› is active.');
    expect(out, 'the venue reason is kept').toContain('Reason: post-only order would cross');
    expect(out, 'the error says its message and hint').toContain('use at least 40 DOGE.');
    expect(out, 'the card keeps its facts').toContain('PAPER SELL 0.5 SOL');
  });

  it('text typed at the [y/N] prompt cancels the card and is handled as the next message', async () => {
    const { out, handler } = await session(['buy 1 sol', 'price sol', 'exit']);
    expect(handler.confirmations.map((c) => c.answer), 'the card was answered “no”').toEqual(['no']);
    expect(handler.texts.map((t) => t.text), 'the typed text was handled as the next message').toEqual(['buy 1 sol', 'price sol']);
    expect(out, 'the person sees the cancellation').toMatch(/Cancelled; nothing was done/);
    expect(out, 'and the answer to what they typed').toContain('SOL/USDT 142.30');
  });

  it('“y” confirms, Enter cancels, and a new trade typed at the prompt gets its own card', async () => {
    const { handler } = await session(['buy 1 sol', 'buy 2 sol', 'y', 'buy 3 sol', '']);
    expect(handler.texts.map((t) => t.text), 'the second trade was handled').toEqual(['buy 1 sol', 'buy 2 sol', 'buy 3 sol']);
    expect(handler.confirmations.map((c) => c.answer), 'first card cancelled by the typed trade, second confirmed, third cancelled by Enter').toEqual(['no', 'yes', 'no']);
  });

  it('“exit” at the prompt cancels the card and leaves', async () => {
    const { handler } = await session(['buy 1 sol', 'exit', 'price sol']);
    expect(handler.confirmations.map((c) => c.answer)).toEqual(['no']);
    expect(handler.texts.map((t) => t.text), 'nothing after exit is handled').toEqual(['buy 1 sol']);
  });
});
