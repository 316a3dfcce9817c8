// The terminal surface: `npm start` / `mikey chat`. A line-oriented chat that works on a TTY and on
// piped input alike. Tables print as they are; charts are written to files whose paths are shown;
// orders ask y/N before the confirmed order executes.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ChatContext, ChatHandler, ChatReply } from '../chat-types.js';

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
}

const EXIT_WORDS = new Set(['exit', 'quit', ':q', 'bye']);

export async function runTerminalChat(opts: TerminalChatOptions): Promise<void> {
  const { handler, context, output } = opts;
  const pretty = opts.pretty ?? false;
  const dim = (s: string): string => (pretty ? `\x1b[2m${s}\x1b[0m` : s);
  const bold = (s: string): string => (pretty ? `\x1b[1m${s}\x1b[0m` : s);
  const write = (s: string): void => {
    output.write(s + '\n');
  };
  const rl = createInterface({ input: opts.input, output: pretty ? output : undefined, terminal: pretty });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (prompt: string): Promise<string | undefined> => {
    if (pretty) output.write(prompt);
    const next = await lines.next();
    return next.done ? undefined : String(next.value);
  };
  if (opts.banner) write(opts.banner);
  let chartCount = 0;

  const show = async (reply: ChatReply): Promise<void> => {
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
      const answer = await ask(`Confirm this order? [y/N] (expires in ${seconds}s) `);
      const yes = answer !== undefined && /^\s*(y|yes|confirm|ok)\s*$/i.test(answer);
      if (answer !== undefined && !pretty) write(`> ${answer}`);
      await show(await handler.handleConfirmation(context, c.token, yes ? 'yes' : 'no'));
    }
  };

  for (;;) {
    const line = await ask(pretty ? bold('you › ') : '');
    if (line === undefined) break;
    const text = line.trim();
    if (!text) continue;
    if (EXIT_WORDS.has(text.toLowerCase())) break;
    try {
      await show(await handler.handleText(context, text));
    } catch (err) {
      write(`Something went wrong; nothing was changed. (${(err as Error).message})`);
    }
  }
  rl.close();
}
