// `mikey exchange add|list|test|remove`: a user's exchange accounts (API keys on a venue).
//
// Secrets enter MIKEY only here, and only from a hidden prompt (stdin a terminal) or from standard
// input as ONE JSON object {"apiKey": …, "secret": …, "password": …} — never from argv, where they
// would stay in the shell history and the process list (reliability 29). While another process
// holds the embedded database, `exchange add` reads the secrets in THIS process and sends them to
// the holder in the command socket request's private `input` field (src/control/socket.ts), not in
// argv; list, test and remove are forwarded like the other short commands.
//
// The check with the venue is ccxt's (src/adapters/ccxt/ccxt-broker.ts), loaded only when a check
// runs: ccxt is heavy, and `list` and `remove` never need it.
import type { App } from './app.js';
import { UsageError, type Command, type Out } from './cli-types.js';
import type { Config } from './config.js';
import { openOrForward } from './control/open-or-forward.js';
import { forwardedInput, MAX_CONTROL_INPUT_BYTES } from './control/socket.js';
import { renderTable } from './format/table.js';
import { D } from './domain/money.js';
import { grouped } from './tools/format.js';
import { actorFor, type Actor } from './services/actor.js';
import { disabledUserError } from './services/authorize.js';
import { AppError, ErrorCode, invalidInput } from './services/errors.js';
import {
  addExchangeAccount,
  listExchangeAccounts,
  parseExchangeSecrets,
  removeExchangeAccount,
  testExchangeAccount,
  venueName,
  type CredentialValidator,
  type ExchangeAccountSummary,
  type ExchangeSecrets,
} from './services/exchange-accounts.js';
import { shortId } from './services/id-prefix.js';
import { ensureLocalOwner, findUser, type User } from './services/users.js';
import type { OpeningCommand } from './surfaces.js';

/** Flags `exchange add` knows; anything else is refused by name (never by value: it may be a secret). */
const ADD_FLAGS = { user: 'string', exchange: 'string', label: 'string', 'account-type': 'string', sandbox: 'boolean' } as const;
const ARGV_SECRET = /^(api[-_]?key|key|secret|api[-_]?secret|secret[-_]?key|password|passphrase|pass|token|credentials?)$/i;
const SECRETS_HOW =
  'run it in a terminal and type them at the hidden prompt, or pipe one JSON object to it: mikey exchange add --exchange binance < keys.json, where keys.json holds {"apiKey": "…", "secret": "…"} (and "password" where the exchange issued a passphrase)';

export interface ExchangeAddOptions {
  user?: string;
  exchange: string;
  label?: string;
  sandbox: boolean;
  accountType?: string;
}

/**
 * Parses `exchange add`'s arguments. API keys and secrets on the command line are refused with a
 * message that never repeats them; so is any positional argument (a pasted key, most likely).
 */
export function parseAddArgs(args: readonly string[]): ExchangeAddOptions {
  const values: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      throw new UsageError(`exchange add takes no positional arguments, and never an API key or secret on the command line: ${SECRETS_HOW}`);
    }
    const [rawName, inline] = arg.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
    const name = rawName.toLowerCase();
    if (ARGV_SECRET.test(name)) {
      throw new UsageError(`exchange add never reads an API key, secret or passphrase from the command line (it would stay in your shell history and the process list): ${SECRETS_HOW}`);
    }
    const kind = (ADD_FLAGS as Record<string, 'string' | 'boolean'>)[name];
    if (!kind || !arg.startsWith('--')) {
      // Named only when it looks like an option name, never when it could be something pasted.
      const shown = /^--[a-z][a-z-]{0,24}$/i.test(`--${rawName}`) && arg.startsWith('--') ? ` "--${rawName}"` : '';
      throw new UsageError(`exchange add has no option${shown}; it takes --exchange, --sandbox, --label, --account-type and --user`);
    }
    if (kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      values[name] = true;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    values[name] = value;
  }
  if (typeof values.exchange !== 'string' || !values.exchange.trim()) throw new UsageError('exchange add needs --exchange, a ccxt exchange id such as binance or okx');
  const accountType = values['account-type'];
  if (accountType !== undefined && accountType !== 'spot' && accountType !== 'futures') throw new UsageError('--account-type must be spot or futures');
  return {
    exchange: values.exchange,
    sandbox: values.sandbox === true,
    ...(typeof values.user === 'string' ? { user: values.user } : {}),
    ...(typeof values.label === 'string' ? { label: values.label } : {}),
    ...(typeof values['account-type'] === 'string' ? { accountType: values['account-type'] } : {}),
  };
}

/** Standard input as one JSON object of secrets; at most MAX_CONTROL_INPUT_BYTES. Errors never quote it. */
export async function readSecretsFromStream(input: AsyncIterable<unknown>): Promise<ExchangeSecrets> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8');
    size += b.length;
    if (size > MAX_CONTROL_INPUT_BYTES) throw invalidInput(`standard input holds more than ${MAX_CONTROL_INPUT_BYTES / 1024} KiB; it should be one small JSON object`, SECRETS_HOW);
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) throw new UsageError(`exchange add found nothing on standard input (it is not a terminal, so no prompt can be shown): ${SECRETS_HOW}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input, which may be a secret: say what it should be instead.
    throw invalidInput('standard input is not a JSON object', SECRETS_HOW);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidInput('standard input must be ONE JSON object', SECRETS_HOW);
  return parseExchangeSecrets(value);
}

/** A terminal's input as `promptSecrets` needs it (process.stdin when it is a TTY). */
export interface TerminalInput extends NodeJS.EventEmitter {
  setRawMode(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * Asks for the key, the secret and an optional passphrase without echoing them: the terminal is in
 * raw mode while they are typed, so nothing appears on screen or in the scrollback.
 */
export async function promptSecrets(input: TerminalInput, output: { write(s: string): unknown }, venue: string): Promise<ExchangeSecrets> {
  let buffer = '';
  let pending: { resolve: (line: string) => void; reject: (err: Error) => void } | undefined;
  const lines: string[] = [];
  let failure: Error | undefined;
  const onData = (chunk: string | Buffer): void => {
    for (const ch of String(chunk)) {
      if (ch === '\r' || ch === '\n') {
        lines.push(buffer);
        buffer = '';
      } else if (ch === '\u0003' || (ch === '\u0004' && buffer === '')) {
        failure = new UsageError('cancelled: nothing was stored');
      } else if (ch === '\u007f' || ch === '\b') {
        buffer = buffer.slice(0, -1);
      } else if (ch >= ' ') {
        buffer += ch;
      }
    }
    flush();
  };
  const onEnd = (): void => {
    failure ??= new UsageError('the terminal closed before the secrets were typed: nothing was stored');
    flush();
  };
  function flush(): void {
    if (!pending) return;
    const p = pending;
    if (lines.length > 0) {
      pending = undefined;
      p.resolve(lines.shift()!);
    } else if (failure) {
      pending = undefined;
      p.reject(failure);
    }
  }
  const ask = (question: string): Promise<string> => {
    output.write(question);
    return new Promise<string>((resolve, reject) => {
      pending = { resolve, reject };
      flush();
    }).finally(() => output.write('\n'));
  };
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.on('data', onData);
  input.on('end', onEnd);
  input.resume();
  try {
    const apiKey = await ask(`${venue} API key (hidden): `);
    const secret = await ask(`${venue} API secret (hidden): `);
    const password = await ask(`Passphrase (hidden; press Enter if ${venue} gave you none): `);
    return parseExchangeSecrets({ apiKey, secret, ...(password ? { password } : {}) });
  } finally {
    input.off('data', onData);
    input.off('end', onEnd);
    input.setRawMode(false);
    input.pause();
  }
}

/** The secrets of this process: a hidden prompt on a terminal, else one JSON object on stdin. */
async function readSecretsHere(venue: string): Promise<ExchangeSecrets> {
  const stdin = process.stdin;
  if (stdin.isTTY) return promptSecrets(stdin, process.stderr, venue);
  return readSecretsFromStream(stdin);
}

/** ccxt's check of a key: one signed request. Loaded on first use (ccxt is heavy). */
export async function ccxtCredentialValidator(config: Pick<Config, 'MIKEY_EXCHANGE_URL'>): Promise<CredentialValidator> {
  const [{ validateExchangeCredentials }, ccxt] = await Promise.all([import('./adapters/ccxt/ccxt-broker.js'), import('ccxt')]);
  const known = new Set<string>((ccxt.default as unknown as { exchanges: string[] }).exchanges);
  return async (request) => {
    if (!known.has(request.exchangeId)) {
      throw invalidInput(`"${request.exchangeId}" is not an exchange MIKEY can reach (ccxt does not know it); nothing was stored`, 'use a ccxt exchange id such as binance, okx, bybit or kraken');
    }
    // A margin account's keys are the spot keys: the spot wallet answers for them.
    const wallet = request.accountType === 'futures' ? 'futures' : 'spot';
    const verdict = await validateExchangeCredentials({
      exchangeId: request.exchangeId,
      credentials: request.credentials,
      sandbox: request.sandbox,
      // The same endpoints the live broker will trade on (MIKEY_EXCHANGE_URL, as src/services/trading/live-venues.ts).
      ...(config.MIKEY_EXCHANGE_URL ? { apiBaseUrl: config.MIKEY_EXCHANGE_URL } : {}),
      accountType: wallet,
    });
    if (!verdict.ok) return { ok: false, reason: verdict.reason, unreachable: verdict.retryable };
    return {
      ok: true,
      accountType: request.accountType === 'margin' ? 'margin' : verdict.accountType,
      balances: verdict.balances.map((b) => ({ asset: b.asset, free: b.free.toFixed(), locked: b.locked.toFixed() })),
    };
  };
}

/**
 * Whose accounts: `--user U`, else the local owner (MIKEY_USER). Another user's accounts need the
 * local owner to be an admin, as their API keys do.
 */
async function accountHolder(app: App, userRef: string | undefined): Promise<{ user: User; actor: Actor }> {
  const owner = await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
  const user = userRef ? await findUser(app.database.db, userRef) : owner;
  if (user.id !== owner.id && owner.role !== 'admin') {
    throw new AppError(
      ErrorCode.forbidden,
      `The exchange accounts of ${user.username ?? user.id} belong to that user; you act as ${owner.username ?? owner.id} (${owner.role}), so nothing was done`,
      `run it as that user (MIKEY_USER=${user.username ?? user.id}) or as an admin`,
    );
  }
  if (!user.isActive) throw disabledUserError(user.username);
  return { user, actor: actorFor(user.id, 'cli') };
}

function checked(at: Date | null): string {
  return at ? `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'never';
}

function accountLine(a: ExchangeAccountSummary): string {
  return `${venueName(a.exchange, a.sandbox)} account ${shortId(a.id)} ("${a.label}", ${a.accountType})`;
}

/** The table `exchange list` prints, then one line per account whose last check failed. */
export function renderExchangeAccounts(rows: readonly ExchangeAccountSummary[]): string {
  const table = renderTable(
    ['id', 'exchange', 'label', 'network', 'type', 'valid', 'last checked', 'portfolio'],
    rows.map((a) => [
      shortId(a.id),
      a.exchange,
      a.label,
      a.sandbox ? 'testnet' : 'live',
      a.accountType,
      a.isValid ? 'yes' : 'NO',
      checked(a.lastCheckedAt),
      a.portfolio ? `${a.portfolio.name} (${a.portfolio.mode})` : 'none',
    ]),
  );
  const errors = rows.filter((a) => a.lastError).map((a) => `${shortId(a.id)}: ${a.lastError}`);
  return errors.length ? `${table}\n\nLast check:\n${errors.join('\n')}` : table;
}

async function addWith(app: App, options: ExchangeAddOptions, secrets: ExchangeSecrets, out: Out): Promise<number> {
  const { actor } = await accountHolder(app, options.user);
  const validate = await ccxtCredentialValidator(app.config);
  const account = await addExchangeAccount(
    app.database.db,
    app.services.secretKey,
    actor,
    {
      exchange: options.exchange,
      sandbox: options.sandbox,
      ...(options.label !== undefined ? { label: options.label } : {}),
      ...(options.accountType !== undefined ? { accountType: options.accountType as never } : {}),
    },
    secrets,
    validate,
  );
  const venue = venueName(account.exchange, account.sandbox);
  const held = account.balances.slice(0, 8).map((b) => `${grouped(new D(b.free).plus(b.locked).toFixed())} ${b.asset}`);
  const more = account.balances.length > held.length ? `, and ${account.balances.length - held.length} more` : '';
  out.log(
    [
      `Added ${accountLine(account)}: ${venue} accepted the key with a signed balance request (${held.length ? `it holds ${held.join(', ')}${more}` : 'no balances yet'}).`,
      'The key and secret are stored encrypted; mikey exchange list shows the account.',
      ...(account.sandbox ? [] : ['This is a LIVE key: orders through it move real money once a live portfolio uses it.']),
    ].join('\n'),
  );
  return 0;
}

/** `exchange add` in the process that opens the database (or that the holder runs for another process). */
const addCommand: Command = async (app, args, out) => {
  const options = parseAddArgs(args);
  const forwarded = forwardedInput(out);
  let secrets: ExchangeSecrets;
  if (forwarded) {
    // Running for another process: its secrets came in the request; this process's stdin is not the caller's.
    if (forwarded.input === undefined) throw new UsageError(`exchange add reached this MIKEY process without the API key and secret: ${SECRETS_HOW}`);
    let value: unknown;
    try {
      value = JSON.parse(forwarded.input);
    } catch {
      throw invalidInput('the secrets sent for exchange add are not a JSON object', SECRETS_HOW);
    }
    secrets = parseExchangeSecrets(value);
  } else {
    secrets = await readSecretsHere(venueName(options.exchange.trim().toLowerCase(), options.sandbox));
  }
  return addWith(app, options, secrets, out);
};

/**
 * `mikey exchange add` from the command line: the secrets are read first, in this process; then the
 * database is opened, or — when another process holds it — the command and its secrets go to that
 * process over the command socket.
 */
const addOpening: OpeningCommand = async ({ config, open }, args, out) => {
  const options = parseAddArgs(args);
  const secrets = await readSecretsHere(venueName(options.exchange.trim().toLowerCase(), options.sandbox));
  const app = await openOrForward(open, { argv: ['exchange', 'add', ...args], user: config.MIKEY_USER, input: JSON.stringify(secrets) }, out, ', so the key could not be added through it; nothing was stored.');
  return typeof app === 'number' ? app : addWith(app, options, secrets, out);
};

const listCommand: Command = async (app, args, out) => {
  const { user: userRef } = parseSimple(args, 'list', false);
  const { user } = await accountHolder(app, userRef);
  const rows = await listExchangeAccounts(app.database.db, user.id);
  if (rows.length === 0) {
    out.log(`${user.username ?? user.id} has no exchange accounts yet. Add one (testnet first) with: mikey exchange add --exchange binance --sandbox${userRef ? ` --user ${userRef}` : ''}`);
    return 0;
  }
  out.log(renderExchangeAccounts(rows));
  return 0;
};

const testCommand: Command = async (app, args, out) => {
  const { user: userRef, id } = parseSimple(args, 'test', true);
  const { actor } = await accountHolder(app, userRef);
  const validate = await ccxtCredentialValidator(app.config);
  const r = await testExchangeAccount(app.database.db, app.services.secretKey, actor, id!, validate);
  if (r.outcome === 'valid') out.log(r.message);
  else out.error(r.message);
  return r.outcome === 'valid' ? 0 : 1;
};

const removeCommand: Command = async (app, args, out) => {
  const { user: userRef, id } = parseSimple(args, 'remove', true);
  const { actor } = await accountHolder(app, userRef);
  const removed = await removeExchangeAccount(app.database.db, actor, id!);
  out.log(`Removed ${accountLine(removed)}; its key and secret are deleted from MIKEY (revoke the key at the exchange too if you no longer use it).`);
  return 0;
};

/** `[--user U]` and, for test/remove, one id; secrets are never accepted here either. */
function parseSimple(args: readonly string[], verb: string, needsId: boolean): { user?: string; id?: string } {
  let user: string | undefined;
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--user') {
      user = args[++i];
      if (!user) throw new UsageError('--user needs a value (id, username or email)');
    } else if (arg.startsWith('--user=')) {
      user = arg.slice('--user='.length);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`exchange ${verb} has no option "${arg.split('=')[0]!.slice(0, 30)}"`);
    } else {
      positionals.push(arg);
    }
  }
  if (needsId && positionals.length !== 1) throw new UsageError(`exchange ${verb} needs one exchange account id (or its first characters, as mikey exchange list shows them)`);
  if (!needsId && positionals.length > 0) throw new UsageError(`exchange ${verb} takes no positional arguments`);
  return { ...(user ? { user } : {}), ...(positionals[0] ? { id: positionals[0] } : {}) };
}

export function registerExchangeCommands(register: (name: string, cmd: Command) => void, registerOpening?: (name: string, cmd: OpeningCommand) => void): void {
  register('exchange add', addCommand);
  registerOpening?.('exchange add', addOpening);
  register('exchange list', listCommand);
  register('exchange test', testCommand);
  register('exchange remove', removeCommand);
}
