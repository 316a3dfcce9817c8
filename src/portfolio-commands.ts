// `mikey portfolio create|list|shadow`: portfolios from the command line, and the one door to live
// trading. A live portfolio is opt-in per exchange account: the operator types the portfolio's name
// back at a prompt (in this process, before the database is opened or the command is forwarded to
// the process that holds it); without a terminal the command refuses unless
// --i-understand-live-trading is given.
import { createInterface } from 'node:readline/promises';
import type { App } from './app.js';
import { UsageError, type Command, type Out } from './cli-types.js';
import { openOrForward } from './control/open-or-forward.js';
import { forwardedInput } from './control/socket.js';
import { renderShadow } from './format/shadow.js';
import { renderTable } from './format/table.js';
import { actorFor, type Actor } from './services/actor.js';
import { AppError, ErrorCode } from './services/errors.js';
import { createLivePortfolio, LIVE_START_MAX_LEVERAGE, LIVE_START_MAX_POSITION_NOTIONAL } from './services/portfolio/live-portfolio.js';
import { shadowReport } from './services/trading/shadow.js';
import { ensureLocalOwner, findUser } from './services/users.js';
import type { OpeningCommand } from './surfaces.js';

const OPT_IN_FLAG = 'i-understand-live-trading';

export interface PortfolioCreateOptions {
  name: string;
  live: boolean;
  exchangeAccount?: string;
  user?: string;
  cash?: string;
  baseCurrency?: string;
  optedIn: boolean;
}

export function parseCreateArgs(args: readonly string[]): PortfolioCreateOptions {
  const values: Record<string, string | boolean> = {};
  const strings = new Set(['name', 'exchange-account', 'user', 'cash', 'base-currency']);
  const flags = new Set(['live', OPT_IN_FLAG]);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`portfolio create takes options only (got "${arg.slice(0, 30)}"); e.g. mikey portfolio create --name Swing --cash 5000`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (flags.has(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      values[name] = true;
    } else if (strings.has(name)) {
      const value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      values[name] = value;
    } else {
      throw new UsageError(`portfolio create has no option "--${name.slice(0, 30)}"`);
    }
  }
  if (typeof values.name !== 'string' || !values.name.trim()) throw new UsageError('portfolio create needs --name NAME');
  const live = values.live === true;
  if (live && typeof values['exchange-account'] !== 'string') {
    throw new UsageError('a live portfolio needs --exchange-account ID (mikey exchange list shows your exchange accounts; add one with mikey exchange add --exchange binance --sandbox)');
  }
  if (!live && values['exchange-account'] !== undefined) throw new UsageError('--exchange-account is for live portfolios: add --live');
  if (live && values.cash !== undefined) throw new UsageError('a live portfolio holds what the exchange account holds; --cash is for paper portfolios');
  return {
    name: values.name.trim(),
    live,
    optedIn: values[OPT_IN_FLAG] === true,
    ...(typeof values['exchange-account'] === 'string' ? { exchangeAccount: values['exchange-account'] } : {}),
    ...(typeof values.user === 'string' ? { user: values.user } : {}),
    ...(typeof values.cash === 'string' ? { cash: values.cash } : {}),
    ...(typeof values['base-currency'] === 'string' ? { baseCurrency: values['base-currency'] } : {}),
  };
}

/** The acting user: the local owner, or `--user` when the owner is that user or an admin (`what`: the user's things the command acts on). */
export async function holder(app: App, userRef: string | undefined, what = 'portfolios'): Promise<Actor> {
  const owner = await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
  const user = userRef ? await findUser(app.database.db, userRef) : owner;
  if (user.id !== owner.id && owner.role !== 'admin') {
    throw new AppError(ErrorCode.forbidden, `the ${what} of ${user.username ?? user.id} belong to that user; you act as ${owner.username ?? owner.id}`, `run it as that user (MIKEY_USER=${user.username ?? user.id}) or as an admin`);
  }
  return actorFor(user.id, 'cli');
}

/** What the operator must know before typing the name back. */
function liveWarning(o: PortfolioCreateOptions): string {
  return [
    `You are creating the LIVE portfolio "${o.name}" on exchange account ${o.exchangeAccount}.`,
    'Orders placed on it trade real funds on the exchange (or its testnet, if the keys are testnet keys).',
    `It starts with conservative limits: at most ${LIVE_START_MAX_POSITION_NOTIONAL} (its quote currency) per position and ${LIVE_START_MAX_LEVERAGE}x leverage; every order needs your confirmation on its card.`,
    `Type the portfolio name (${o.name}) to confirm, or anything else to stop: `,
  ].join('\n');
}

/** Asks for the name back at a terminal; true when it matches. */
async function confirmByName(o: PortfolioCreateOptions): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const answer = await rl.question(liveWarning(o));
    return answer.trim() === o.name;
  } finally {
    rl.close();
  }
}

async function createWith(app: App, o: PortfolioCreateOptions, out: Out): Promise<number> {
  const actor = await holder(app, o.user);
  if (!o.live) {
    const p = await app.services.portfolio.createPortfolio(actor, { name: o.name, ...(o.cash ? { startingCash: o.cash } : {}), ...(o.baseCurrency ? { baseCurrency: o.baseCurrency } : {}) });
    out.log(`Created paper portfolio "${p.name}" (${p.id.slice(0, 8)}).`);
    return 0;
  }
  if (!o.optedIn) {
    throw new UsageError(`a live portfolio is created only after you type its name back at the prompt; without a terminal, add --${OPT_IN_FLAG} to say you understand it trades real funds`);
  }
  const live = app.services.live;
  const r = await createLivePortfolio(
    { db: app.database.db, clock: app.services.clock, events: app.services.events, secretKey: app.services.secretKey, build: live.build, ...(live.apiBaseUrl ? { apiBaseUrl: live.apiBaseUrl } : {}) },
    actor,
    { name: o.name, exchangeAccountId: o.exchangeAccount!, ...(o.baseCurrency ? { baseCurrency: o.baseCurrency } : {}) },
  );
  const held = r.opening.length === 0 ? 'nothing yet' : r.opening.map((b) => `${b.free} ${b.asset}${b.locked !== '0' ? ` (+${b.locked} locked by orders MIKEY did not place)` : ''}`).join(', ');
  out.log(
    [
      `Created LIVE portfolio "${r.portfolio.name}" (${r.portfolio.id.slice(0, 8)}) on ${r.exchange}${r.sandbox ? ' testnet' : ''}.`,
      `Opening balances from the exchange: ${held}.`,
      `Limits: at most ${LIVE_START_MAX_POSITION_NOTIONAL} ${r.portfolio.baseCurrency} per position, ${LIVE_START_MAX_LEVERAGE}x leverage (raise them with set-risk-limit). Every order asks for confirmation.`,
      `Its paper shadow "${r.shadow.name}" (${r.shadow.id.slice(0, 8)}) receives the same orders; mikey portfolio shadow ${r.portfolio.id.slice(0, 8)} shows how they differ.`,
    ].join('\n'),
  );
  return 0;
}

const createCommand: Command = async (app, args, out) => {
  const o = parseCreateArgs(args);
  // Forwarded from another process: that process asked at its own terminal (or had the flag).
  void forwardedInput(out);
  return createWith(app, o, out);
};

const createOpening: OpeningCommand = async ({ config, open }, args, out) => {
  const o = parseCreateArgs(args);
  let argv = ['portfolio', 'create', ...args];
  if (o.live && !o.optedIn) {
    if (!process.stdin.isTTY) {
      out.error(`Refused: a live portfolio is created only after you type its name back at the prompt, and standard input is not a terminal. Add --${OPT_IN_FLAG} to say you understand it trades real funds.`);
      return 2;
    }
    if (!(await confirmByName(o))) {
      out.error('The name did not match; nothing was created.');
      return 1;
    }
    o.optedIn = true;
    argv = [...argv, `--${OPT_IN_FLAG}`];
  }
  const app = await openOrForward(open, { argv, user: config.MIKEY_USER }, out, '; nothing was created.');
  return typeof app === 'number' ? app : createWith(app, o, out);
};

const listCommand: Command = async (app, args, out) => {
  const userIdx = args.indexOf('--user');
  const actor = await holder(app, userIdx >= 0 ? args[userIdx + 1] : undefined);
  const rows = await app.services.portfolio.listPortfolios(actor);
  out.log(
    renderTable(
      ['id', 'name', 'mode', 'exchange', 'type', 'currency', 'default', 'halted'],
      rows.map((p) => [p.id.slice(0, 8), p.name, p.mode === 'live' ? 'LIVE' : 'paper', p.exchange, p.accountType, p.baseCurrency, p.isDefault ? 'yes' : '', p.halted ? 'yes' : '']),
    ),
  );
  return 0;
};

const shadowCommand: Command = async (app, args, out) => {
  const ref = args.find((a) => !a.startsWith('--'));
  if (!ref) throw new UsageError("portfolio shadow needs the live portfolio's id (or its first characters, as mikey portfolio list shows them)");
  const userIdx = args.indexOf('--user');
  const actor = await holder(app, userIdx >= 0 ? args[userIdx + 1] : undefined);
  const p = await app.services.portfolio.resolvePortfolio(actor.userId, ref);
  if (p.tradingMode !== 'live') throw new AppError(ErrorCode.invalidInput, `"${p.name}" is a paper portfolio; only live portfolios have a shadow`);
  const r = await shadowReport(app.database.db, p.id);
  if (!r) throw new AppError(ErrorCode.notFound, `"${p.name}" has no paper shadow`);
  out.log(renderShadow(p.name, r));
  return 0;
};

export function registerPortfolioCommands(register: (name: string, cmd: Command) => void, registerOpening?: (name: string, cmd: OpeningCommand) => void): void {
  register('portfolio create', createCommand);
  registerOpening?.('portfolio create', createOpening);
  register('portfolio list', listCommand);
  register('portfolio shadow', shadowCommand);
}
