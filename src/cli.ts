// `mikey <command>`: the operator's and trader's entry point. Each command opens the app (config,
// migrated database), does one thing and closes it; long-running commands (chat, mcp, serve) shut
// down gracefully on SIGINT/SIGTERM.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { openApp, type App } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { DatabaseError } from './db/client.js';
import { scrub } from './log.js';
import { actorFor } from './services/actor.js';
import { ALL_PERMISSIONS, createApiKey, listApiKeys, parseDuration, revokeApiKey, type Permission } from './services/api-keys.js';
import { isAppError } from './services/errors.js';
import { createLinkCode } from './services/link-codes.js';
import { createUser, ensureLocalOwner, findUser, listUsers } from './services/users.js';
import { renderTable } from './bot/format/table.js';

type Out = { log: (s: string) => void; error: (s: string) => void };
const stdout: Out = { log: (s) => process.stdout.write(s + '\n'), error: (s) => process.stderr.write(s + '\n') };

export type Command = (app: App, args: string[], out: Out) => Promise<number>;

const HELP = `mikey — a chat-native AI trading assistant

Usage: mikey <command> [options]

  chat                          chat and paper-trade in the terminal (default for npm start)
  mcp                           MCP server over stdio (Claude Desktop, Claude Code)
  serve                         every configured surface: MCP over HTTP, Telegram, Discord, schedulers
  db migrate                    apply pending database migrations
  user create --username NAME [--email E] [--role admin|trader|viewer]
  user list
  link [--user U]               a one-time code to link Telegram or Discord to your MIKEY user
  apikey create --user U --permissions ${ALL_PERMISSIONS.join(',')} [--rate 60] [--expires 90d] [--name N]
  apikey list --user U
  apikey revoke KEY_ID
  data backfill SYMBOL TIMEFRAME --since YYYY-MM-DD
  discord register              register Discord slash commands

Configuration comes from environment variables; see .env.example.`;

function parse(args: string[], options: ParseArgsConfig['options']): ReturnType<typeof parseArgs> {
  return parseArgs({ args, options: options ?? {}, allowPositionals: true, strict: true });
}

const commands: Record<string, Command> = {
  'db migrate': async (app, _args, out) => {
    const m = app.migration;
    out.log(`Database ready (${app.database.kind}: ${app.database.location}); migrations applied.${m.timescale ? ` TimescaleDB hypertables: ${m.hypertables.join(', ')}.` : ' TimescaleDB not present: time-series tables are plain tables.'}`);
    return 0;
  },
  'user create': async (app, args, out) => {
    const { values } = parse(args, { username: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } });
    if (!values.username) throw new UsageError('user create needs --username NAME');
    const u = await createUser(app.database.db, {
      username: String(values.username),
      ...(values.email ? { email: String(values.email) } : {}),
      ...(values.role ? { role: String(values.role) as 'admin' | 'trader' | 'viewer' } : {}),
    });
    out.log(`Created user ${u.username} (${u.id}), role ${u.role}.`);
    return 0;
  },
  'user list': async (app, _args, out) => {
    const rows = await listUsers(app.database.db);
    out.log(renderTable(['id', 'username', 'role', 'active'], rows.map((u) => [u.id, u.username ?? '', u.role, u.isActive ? 'yes' : 'no'])));
    return 0;
  },
  link: async (app, args, out) => {
    const { values } = parse(args, { user: { type: 'string' } });
    const user = values.user ? await findUser(app.database.db, String(values.user)) : await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
    const issued = await createLinkCode(app.database.db, actorFor(user.id, 'cli'));
    out.log(`Link code for ${user.username}: ${issued.code}\nSend "/start ${issued.code}" to the MIKEY bot on Telegram, or /link ${issued.code} on Discord. It works once and expires at ${issued.expiresAt.toISOString()}.`);
    return 0;
  },
  'apikey create': async (app, args, out) => {
    const { values } = parse(args, {
      user: { type: 'string' }, permissions: { type: 'string' }, rate: { type: 'string' }, expires: { type: 'string' }, name: { type: 'string' },
    });
    if (!values.user) throw new UsageError('apikey create needs --user (id, username or email)');
    if (!values.permissions) throw new UsageError(`apikey create needs --permissions, a comma-separated list of ${ALL_PERMISSIONS.join(', ')}`);
    const rate = values.rate === undefined ? 60 : Number(values.rate);
    if (!Number.isInteger(rate)) throw new UsageError('--rate must be a whole number of requests per minute');
    const user = await findUser(app.database.db, String(values.user));
    const issued = await createApiKey(app.database.db, actorFor(user.id, 'cli'), {
      userId: user.id,
      name: values.name ? String(values.name) : 'api key',
      permissions: String(values.permissions).split(',').map((p) => p.trim()).filter(Boolean) as Permission[],
      ratePerMinute: rate,
      expiresInMs: parseDuration(values.expires ? String(values.expires) : '90d'),
    });
    out.log(`API key for ${user.username} (id ${issued.row.id}):\n\n  ${issued.key}\n\nIt is shown once; MIKEY stores only its hash. Permissions: ${issued.row.permissions.join(', ')}; ${issued.row.rateLimitPerMinute} requests/minute; ${issued.row.expiresAt ? `expires ${issued.row.expiresAt.toISOString()}` : 'never expires'}.`);
    return 0;
  },
  'apikey list': async (app, args, out) => {
    const { values } = parse(args, { user: { type: 'string' } });
    if (!values.user) throw new UsageError('apikey list needs --user');
    const user = await findUser(app.database.db, String(values.user));
    const rows = await listApiKeys(app.database.db, user.id);
    out.log(
      renderTable(
        ['id', 'name', 'prefix', 'permissions', 'rate/min', 'expires', 'status', 'requests'],
        rows.map((k) => [
          k.id, k.name ?? '', k.keyPrefix, k.permissions.join(','), String(k.rateLimitPerMinute), k.expiresAt?.toISOString().slice(0, 10) ?? 'never',
          k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt < new Date() ? 'expired' : 'active', String(k.totalRequests),
        ]),
      ),
    );
    return 0;
  },
  'apikey revoke': async (app, args, out) => {
    const { positionals } = parse(args, {});
    const id = positionals[0];
    if (!id) throw new UsageError('apikey revoke needs the key id (see mikey apikey list)');
    const owner = await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
    const k = await revokeApiKey(app.database.db, actorFor(owner.id, 'cli'), id, { asAdmin: owner.role === 'admin' });
    out.log(`Revoked API key ${k.id} (${k.name}).`);
    return 0;
  },
};

/** Commands provided by later layers register here (chat, mcp, serve, data, discord). */
export function registerCommand(name: string, cmd: Command): void {
  commands[name] = cmd;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

async function loadSurfaceCommands(): Promise<void> {
  // Surfaces register their commands when their modules exist; the core CLI works without them.
  const { registerSurfaceCommands } = await import('./surfaces.js');
  registerSurfaceCommands(registerCommand);
}

export async function main(argv: string[], out: Out = stdout): Promise<number> {
  await loadSurfaceCommands();
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    out.log(HELP);
    return finish(0);
  }
  const two = `${argv[0]} ${argv[1] ?? ''}`.trim();
  const name = commands[two] ? two : argv[0]!;
  const cmd = commands[name];
  if (!cmd) {
    out.error(`Unknown command "${argv.join(' ')}".\n\n${HELP}`);
    return finish(2);
  }
  const rest = argv.slice(name.split(' ').length);
  let app: App | undefined;
  try {
    // The terminal chat shares the screen with the logs: keep them to errors unless asked.
    const quiet = name === 'chat' && !process.env.LOG_LEVEL ? { LOG_LEVEL: 'error' } : {};
    app = await openApp({ config: loadConfig({ ...process.env, ...quiet }) });
    return finish(await cmd(app, rest, out));
  } catch (err) {
    out.error(describeError(err));
    return finish(err instanceof UsageError ? 2 : 1);
  } finally {
    await app?.close();
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ConfigError || err instanceof DatabaseError) return scrub(err.message);
  if (err instanceof UsageError) return `${err.message}\nRun "mikey help" for usage.`;
  if (isAppError(err)) return scrub(err.hint ? `${err.message}. ${err.hint}.` : err.message);
  const e = err as { code?: string; message?: string };
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${e.message ?? ''}\nRun "mikey help" for usage.`;
  return `Unexpected error: ${scrub(e.message ?? String(err))}`;
}

function finish(code: number): number {
  process.exitCode = code;
  return code;
}
