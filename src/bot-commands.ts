// `mikey bot approve-live BOT`: the one door to a bot on a live portfolio. A bot trades without a
// confirmation per order under its owner's standing approval; on a live portfolio that approval is
// typed, as the live portfolio itself was: the owner types the bot's name back at a prompt, in this
// process, before the database is opened or the command is forwarded to the process holding it.
// Without a terminal the command refuses unless the name is given with --confirm-name and
// --i-understand-live-trading. No tool and no chat message reaches this approval.
import { createInterface } from 'node:readline/promises';
import type { App } from './app.js';
import { UsageError, type Command, type Out } from './cli-types.js';
import { openOrForward } from './control/open-or-forward.js';
import { holder } from './portfolio-commands.js';
import type { OpeningCommand } from './surfaces.js';

const OPT_IN_FLAG = 'i-understand-live-trading';

export interface ApproveLiveOptions {
  bot: string;
  user?: string;
  /** The bot's name as typed back (at the prompt, or given with --confirm-name). */
  confirmName?: string;
  optedIn: boolean;
}

export function parseApproveLiveArgs(args: readonly string[]): ApproveLiveOptions {
  let bot: string | undefined;
  const o: Omit<ApproveLiveOptions, 'bot'> = { optedIn: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      if (bot !== undefined) throw new UsageError(`bot approve-live takes one bot (got "${bot.slice(0, 30)}" and "${arg.slice(0, 30)}")`);
      bot = arg;
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (name === OPT_IN_FLAG) {
      if (inline !== undefined) throw new UsageError(`--${OPT_IN_FLAG} takes no value`);
      o.optedIn = true;
    } else if (name === 'user' || name === 'confirm-name') {
      const value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      if (name === 'user') o.user = value;
      else o.confirmName = value;
    } else {
      throw new UsageError(`bot approve-live has no option "--${name.slice(0, 30)}"`);
    }
  }
  if (bot === undefined) throw new UsageError('bot approve-live needs the bot\'s id (or its first characters, as list-bots shows them)');
  return { bot, ...o };
}

async function approveWith(app: App, o: ApproveLiveOptions, out: Out): Promise<number> {
  if (o.confirmName === undefined || !o.optedIn) {
    throw new UsageError(`a live bot is approved only after you type its name back at the prompt; without a terminal, give --confirm-name NAME and --${OPT_IN_FLAG}`);
  }
  const actor = await holder(app, o.user, 'bots');
  const r = await app.services.bots.approveLiveTyped(actor, { botId: o.bot, approve: true }, o.confirmName);
  out.log([r.message, '', ...r.card.lines].join('\n'));
  return 0;
}

const approveLiveCommand: Command = async (app, args, out) => approveWith(app, parseApproveLiveArgs(args), out);

/** Asks for the bot's name at the terminal; the answer as typed (trimmed). */
async function askName(bot: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const answer = await rl.question(
      [
        `You are approving bot ${bot} on a LIVE portfolio.`,
        'From now on it places real orders at the exchange without asking you each time, within the limits on its card (get-bot shows them): the most per order and per UTC day.',
        'halt-trading pauses it; stop-bot ends it and cancels its working orders.',
        "Type the bot's name to approve it, or anything else to stop: ",
      ].join('\n'),
    );
    return answer.trim();
  } finally {
    rl.close();
  }
}

const approveLiveOpening: OpeningCommand = async ({ config, open }, args, out) => {
  const o = parseApproveLiveArgs(args);
  if (o.confirmName === undefined) {
    if (!process.stdin.isTTY) {
      out.error(`Refused: a live bot is approved only after you type its name back at the prompt, and standard input is not a terminal. Give --confirm-name NAME and --${OPT_IN_FLAG} to say you understand it trades real funds.`);
      return 2;
    }
    o.confirmName = await askName(o.bot);
    o.optedIn = true;
  }
  const argv = ['bot', 'approve-live', o.bot, '--confirm-name', o.confirmName, ...(o.optedIn ? [`--${OPT_IN_FLAG}`] : []), ...(o.user ? ['--user', o.user] : [])];
  const app = await openOrForward(open, { argv, user: config.MIKEY_USER }, out, '; nothing was approved.');
  return typeof app === 'number' ? app : approveWith(app, o, out);
};

export function registerBotCommands(register: (name: string, cmd: Command) => void, registerOpening?: (name: string, cmd: OpeningCommand) => void): void {
  register('bot approve-live', approveLiveCommand);
  registerOpening?.('bot approve-live', approveLiveOpening);
}
