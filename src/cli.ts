// `mikey <command>`: the operator's and trader's entry point. Each command opens the app (config,
// migrated database), does one thing and closes it; long-running commands (chat, mcp, serve) shut
// down gracefully on SIGINT/SIGTERM.
//
// The embedded database admits one process. A long-running command holding it listens on a command
// socket in the data directory (src/control/socket.ts); the short operator commands (`link`, `user`,
// `apikey`, `discord register`) started meanwhile send themselves there and print the holder's answer.
// The holder runs the very same command functions below, so the output is the same either way.
// `mcp` and `chat` started meanwhile run their session inside the holder too, carrying this
// process's stdin/stdout over the socket (src/control/sessions.ts).
import { PassThrough } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { App } from './app.js';
import type { OpeningCommand } from './surfaces.js';
import { HELP, isHelpRequest } from './cli-help.js';
import { UsageError, type Command, type Out } from './cli-types.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { ControlUnavailableError, sendControlRequest, startControlServer, type ControlServer } from './control/socket.js';
import { DatabaseError, DatabaseLockedError } from './db/client.js';
import { abandonEarlyOpen } from './db/embedded.js';
import { scrub } from './log.js';
import { actorFor } from './services/actor.js';
import { ALL_PERMISSIONS, createApiKey, listApiKeys, parseDuration, revokeApiKey, type Permission } from './services/api-keys.js';
import { isAppError, withHint } from './services/errors.js';
import { createLinkCode } from './services/link-codes.js';
import { createUser, ensureLocalOwner, findUser, listUsers, setUserActive, setUserRole } from './services/users.js';
import { renderTable } from './format/table.js';
import { TOKEN_COMMANDS } from './cli-token.js';

export { UsageError, type Command, type Out } from './cli-types.js';

const stdout: Out = { log: (s) => process.stdout.write(s + '\n'), error: (s) => process.stderr.write(s + '\n') };

function parse(args: string[], options: ParseArgsConfig['options']): ReturnType<typeof parseArgs> {
  return parseArgs({ args, options: options ?? {}, allowPositionals: true, strict: true });
}

async function userActive(app: App, args: string[], out: Out, isActive: boolean): Promise<number> {
  const { positionals } = parse(args, {});
  const ref = positionals[0];
  if (!ref) throw new UsageError(`user ${isActive ? 'enable' : 'disable'} needs the user (id, username or email)`);
  const owner = await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
  const u = await setUserActive(app.database.db, actorFor(owner.id, 'cli'), ref, isActive);
  out.log(isActive ? `User ${u.username ?? u.id} is enabled again.` : `User ${u.username ?? u.id} is disabled: refused on every surface from their next request.`);
  return 0;
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
  // Role and access changes act as the local owner (MIKEY_USER), who must be an admin; audited.
  'user role': async (app, args, out) => {
    const { positionals } = parse(args, {});
    const [ref, role] = positionals;
    if (!ref || !role) throw new UsageError('user role needs the user and the new role: mikey user role alice viewer');
    const owner = await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
    const u = await setUserRole(app.database.db, actorFor(owner.id, 'cli'), ref, role);
    out.log(`User ${u.username ?? u.id} now has the role ${u.role}; it applies from their next request.`);
    return 0;
  },
  'user disable': async (app, args, out) => userActive(app, args, out, false),
  'user enable': async (app, args, out) => userActive(app, args, out, true),
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
    const issued = await createApiKey(app.database.db, actorFor((await ensureLocalOwner(app.database.db, app.config.MIKEY_USER)).id, 'cli'), {
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
    out.log(
      k.alreadyRevoked && k.revokedAt
        ? `API key ${k.id} (${k.name}) was already revoked at ${k.revokedAt.toISOString()}; nothing changed.`
        : `Revoked API key ${k.id} (${k.name}).`,
    );
    return 0;
  },
  ...TOKEN_COMMANDS,
};

/** Commands provided by later layers register here (chat, mcp, serve, data, discord). */
export function registerCommand(name: string, cmd: Command): void {
  commands[name] = cmd;
}

/**
 * Commands another process may ask the embedded database's holder to run: the operator's commands,
 * `db migrate` (which reports the migrations the holder applied at start) and `data backfill` (its
 * progress comes back as lines, and it stops after the page in flight when the caller is stopped).
 */
export const FORWARDABLE_COMMANDS: ReadonlySet<string> = new Set(['db migrate', 'data backfill', 'user create', 'user list', 'user role', 'user disable', 'user enable', 'link', 'apikey create', 'apikey list', 'apikey revoke', 'discord register', 'exchange add', 'exchange list', 'exchange test', 'exchange remove', 'portfolio create', 'portfolio list', 'portfolio shadow', 'bot approve-live', ...Object.keys(TOKEN_COMMANDS)]);
/** Long-running commands: while they hold the embedded database they answer on the command socket. */
const HOLDING_COMMANDS: ReadonlySet<string> = new Set(['serve', 'chat', 'mcp']);

/** Commands that open the app themselves (see `OpeningCommand`); also in `commands` for `runCommand`. */
const openingCommands: Record<string, OpeningCommand> = {};

async function loadSurfaceCommands(): Promise<void> {
  // Surfaces register their commands when their modules exist; the core CLI works without them.
  const { registerSurfaceCommands } = await import('./surfaces.js');
  registerSurfaceCommands(registerCommand, (name, cmd) => (openingCommands[name] = cmd));
}

function resolveCommand(argv: readonly string[]): { name: string; cmd: Command; rest: string[] } | undefined {
  const two = `${argv[0]} ${argv[1] ?? ''}`.trim();
  const name = commands[two] ? two : argv[0]!;
  const cmd = commands[name];
  return cmd ? { name, cmd, rest: argv.slice(name.split(' ').length) } : undefined;
}

/** Runs `argv` on an already open app, as `main` would after opening it; the exit code. */
export async function runCommand(app: App, argv: string[], out: Out): Promise<number> {
  await loadSurfaceCommands();
  const found = resolveCommand(argv);
  if (!found) {
    out.error(`Unknown command "${argv.join(' ')}".\n\n${HELP}`);
    return 2;
  }
  return runOn(app, found.cmd, found.rest, out);
}

/** Runs one command on an open app and prints its failure the way `main` does; the exit code. */
async function runOn(app: App, cmd: Command, rest: string[], out: Out): Promise<number> {
  try {
    return await cmd(app, rest, out);
  } catch (err) {
    out.error(describeError(err));
    return err instanceof UsageError ? 2 : 1;
  }
}

/**
 * While `app` holds the embedded database on disk, answers other `mikey` processes' forwardable
 * commands on the data directory's command socket. Undefined on Postgres or an in-memory database.
 */
export async function startCommandSocket(app: App): Promise<ControlServer | undefined> {
  if (app.database.kind !== 'pglite' || !app.database.dataDir) return undefined;
  await loadSurfaceCommands();
  return startControlServer({
    dataDir: app.database.dataDir,
    logger: app.logger,
    run: async (request, out) => {
      const found = request.argv.length > 0 ? resolveCommand(request.argv) : undefined;
      if (!found || !FORWARDABLE_COMMANDS.has(found.name)) {
        out.error(`"mikey ${request.argv.join(' ')}" cannot run through the MIKEY process that holds the database; stop it first.`);
        return 2;
      }
      // The caller's MIKEY_USER, not the holder's: `mikey link` names the same user either way.
      const config: Config = { ...app.config, MIKEY_USER: request.user };
      return runOn({ ...app, config }, found.cmd, found.rest, out);
    },
    // `mikey mcp` and `mikey chat` started beside this process run their sessions here (control/sessions.ts).
    sessions: {
      mcp: async (request, connection, leftover) => {
        const [{ SocketTransport }, { serveMcpSession }] = await Promise.all([import('./control/sessions.js'), import('./mcp/stdio.js')]);
        await serveMcpSession(app, request.user, new SocketTransport(connection, leftover));
      },
      chat: async (request, connection, leftover) => {
        const { runChatCommand } = await import('./bot/terminal/run-chat.js');
        // The chat reads until the caller's input ends or the connection goes (a killed terminal).
        const input = new PassThrough();
        if (leftover) input.write(leftover);
        connection.pipe(input);
        connection.once('close', () => input.end());
        const config: Config = { ...app.config, MIKEY_USER: request.user ?? app.config.MIKEY_USER };
        try {
          await runChatCommand({ ...app, config }, { input, output: connection, pretty: request.pretty === true, remote: true });
        } catch (err) {
          if (connection.writable) connection.write(`${describeError(err)}\n`);
        } finally {
          connection.end();
        }
      },
    },
  });
}

export async function main(argv: string[], out: Out = stdout): Promise<number> {
  if (isHelpRequest(argv)) {
    out.log(HELP);
    return finish(0);
  }
  await loadSurfaceCommands();
  const found = resolveCommand(argv);
  if (!found) {
    out.error(`Unknown command "${argv.join(' ')}".\n\n${HELP}`);
    return finish(2);
  }
  const { name, cmd, rest } = found;
  let app: App | undefined;
  let socket: ControlServer | undefined;
  try {
    // The terminal chat shares the screen with the logs: keep them to errors unless asked.
    const quiet = name === 'chat' && !process.env.LOG_LEVEL ? { LOG_LEVEL: 'error' } : {};
    const config = loadConfig({ ...process.env, ...quiet });
    const opening = openingCommands[name];
    if (opening) {
      const open = async (): Promise<App> => {
        const { openApp } = await import('./app.js');
        app = await openApp({ config });
        if (HOLDING_COMMANDS.has(name)) socket = await startCommandSocket(app);
        return app;
      };
      return finish(await opening({ config, open }, rest, out));
    }
    try {
      // Loaded here, not at start: `mikey help` and config errors need none of the app's modules.
      const { openApp } = await import('./app.js');
      app = await openApp({ config });
    } catch (err) {
      if (err instanceof DatabaseLockedError && FORWARDABLE_COMMANDS.has(name)) return finish(await forward(err, config, argv, out));
      if (err instanceof DatabaseLockedError && name === 'chat') return finish(await chatThroughHolder(err, config, out));
      throw err;
    }
    if (HOLDING_COMMANDS.has(name)) socket = await startCommandSocket(app);
    return finish(await runOn(app, cmd, rest, out));
  } catch (err) {
    out.error(describeError(err));
    return finish(err instanceof UsageError ? 2 : 1);
  } finally {
    await socket?.close();
    await app?.close();
    // An embedded database opened early (src/cli-entry.ts) for a command that did not use it.
    await abandonEarlyOpen();
  }
}

/** Sends a command to the process holding the embedded database; refuses clearly when it cannot answer. */
async function forward(locked: DatabaseLockedError, config: Config, argv: string[], out: Out): Promise<number> {
  try {
    return await sendControlRequest(locked.dataDir, { argv, user: config.MIKEY_USER }, out);
  } catch (err) {
    if (!(err instanceof ControlUnavailableError)) throw err;
    out.error(`${locked.message}\nIt does not answer commands (${err.message}), so this command cannot run through it.`);
    return 1;
  }
}

/** `mikey chat` while another process holds the embedded database: the chat runs in it, on this terminal. */
async function chatThroughHolder(locked: DatabaseLockedError, config: Config, out: Out): Promise<number> {
  const { bridgeSession } = await import('./control/sessions.js');
  const pretty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const bridge = await bridgeSession({ kind: 'chat', dataDir: locked.dataDir, user: config.MIKEY_USER, pretty, input: process.stdin, output: process.stdout });
  if (bridge.bridged) return 0;
  out.error(`${locked.message}\nIt cannot run the chat for you (${bridge.why}): chat through it (Telegram, Discord or its own terminal), or stop it first.`);
  return 1;
}

export function describeError(err: unknown): string {
  if (err instanceof ConfigError || err instanceof DatabaseError) return scrub(err.message);
  if (err instanceof UsageError) return `${err.message}\nRun "mikey help" for usage.`;
  if (isAppError(err)) return scrub(withHint(err.message, err.hint, ';'));
  const e = err as { code?: string; message?: string };
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${e.message ?? ''}\nRun "mikey help" for usage.`;
  return `Unexpected error: ${scrub(e.message ?? String(err))}`;
}

function finish(code: number): number {
  process.exitCode = code;
  return code;
}
