// The terminal surface: `npm start` / `mikey chat`. A line-oriented chat that works on a TTY and on
// piped input alike. Tables print as they are; charts are written to files whose paths are shown;
// orders ask y/N before the confirmed order executes. Anything typed at that prompt other than yes or
// no cancels the card and is then handled as the next message.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { cardHeading, type ChatContext, type ChatHandler, type ChatReply } from '../chat-types.js';
import { understand } from '../nlu/index.js';
import { replyForPeople } from '../person-text.js';

export interface TerminalChatOptions {
  handler: ChatHandler;
  context: ChatContext;
  input: Readable;
  output: Writable;
  /** Where chart PNGs are written. */
  chartDir: string;
  banner?: string;
  /** Colour and prompt decorations (off when not a TTY). */
  pretty?: boolean;
  /**
   * Line editing and echo by readline itself; by default as `pretty`. Off when the lines come from a
   * terminal elsewhere that edits and echoes them (the chat run for `mikey chat` through the socket
   * of the process holding the database).
   */
  lineEditing?: boolean;
}

const EXIT_WORDS = new Set(['exit', 'quit', ':q', 'bye']);

/** What was typed at the [y/N] prompt: yes, no (Enter counts as no), or a message of its own. */
function promptAnswer(typed: string | undefined): 'yes' | 'no' | 'other' {
  const t = (typed ?? '').trim();
  if (t === '' || /^n$/i.test(t)) return 'no';
  if (/^(?:y|yes|confirm|ok)$/i.test(t)) return 'yes';
  const intent = understand(t);
  return intent.kind === 'confirm' ? intent.answer : 'other';
}

export async function runTerminalChat(opts: TerminalChatOptions): Promise<void> {
  const { handler, context, output } = opts;
  const pretty = opts.pretty ?? false;
  const dim = (s: string): string => (pretty ? `\x1b[2m${s}\x1b[0m` : s);
  const bold = (s: string): string => (pretty ? `\x1b[1m${s}\x1b[0m` : s);
  const write = (s: string): void => {
    output.write(s + '\n');
  };
  const lineEditing = opts.lineEditing ?? pretty;
  const rl = createInterface({ input: opts.input, output: lineEditing ? output : undefined, terminal: lineEditing });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (prompt: string): Promise<string | undefined> => {
    if (pretty) output.write(prompt);
    const next = await lines.next();
    return next.done ? undefined : String(next.value);
  };
  if (opts.banner) write(opts.banner);
  let chartCount = 0;
  let leaving = false;

  const show = async (raw: ChatReply): Promise<void> => {
    const reply = replyForPeople(raw);
    write(reply.text.replace(/^```\w*\n?|\n?```$/gm, ''));
    for (const img of reply.images ?? []) {
      await mkdir(opts.chartDir, { recursive: true });
      chartCount++;
      const file = join(opts.chartDir, img.filename ?? `chart-${Date.now()}-${chartCount}.png`);
      await writeFile(file, img.png);
      write(dim(`📈 chart saved: ${file}`));
    }
    if (reply.confirmation) {
      const c = reply.confirmation;
      write(bold(c.cardText));
      const seconds = Math.max(0, Math.round((c.expiresAt.getTime() - Date.now()) / 1000));
      const answer = await ask(`${cardHeading(c).question} [y/N] (expires in ${seconds}s) `);
      if (answer !== undefined && !pretty) write(`> ${answer}`);
      const said = promptAnswer(answer);
      await show(await handler.handleConfirmation(context, c.token, said === 'yes' ? 'yes' : 'no'));
      const next = answer?.trim() ?? '';
      if (said !== 'other') return;
      if (EXIT_WORDS.has(next.toLowerCase())) {
        leaving = true;
        return;
      }
      await handleLine(next);
    }
  };

  const handleLine = async (text: string): Promise<void> => {
    try {
      await show(await handler.handleText(context, text));
    } catch (err) {
      write(`Something went wrong; nothing was changed. (${(err as Error).message})`);
    }
  };

  while (!leaving) {
    const line = await ask(pretty ? bold('you › ') : '');
    if (line === undefined) break;
    const text = line.trim();
    if (!text) continue;
    if (EXIT_WORDS.has(text.toLowerCase())) break;
    await handleLine(text);
  }
  rl.close();
}
