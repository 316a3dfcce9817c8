// `mikey token …`: the platform token from the terminal. Users' commands act as the local owner
// (MIKEY_USER); the admin ones (mint, grant, pool-create, pool-close, supply) need that user to be
// an admin, checked by the token service like every other surface. Same service, same messages as the
// MCP tools (src/tools/token/), with plain tables for a terminal.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { App } from './app.js';
import { UsageError, type Command } from './cli-types.js';
import { renderTable } from './format/table.js';
import { actorFor, type Actor } from './services/actor.js';
import { requireRole } from './services/authorize.js';
import { ensureLocalOwner } from './services/users.js';
import { lockText, TOKEN_NOTE } from './tools/token/format.js';

function parse(args: string[], options: ParseArgsConfig['options'] = {}): ReturnType<typeof parseArgs> {
  return parseArgs({ args, options, allowPositionals: true, strict: true });
}

async function owner(app: App): Promise<Actor> {
  return actorFor((await ensureLocalOwner(app.database.db, app.config.MIKEY_USER)).id, 'cli');
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const TOKEN_COMMANDS: Record<string, Command> = {
  'token balance': async (app, args, out) => {
    parse(args);
    const b = await app.services.tokens.balance(await owner(app));
    out.log(`${b.token}: ${b.balance} available, ${b.staked} staked, ${b.claimable} rewards to claim (${b.lifetimeRewards} earned in all).`);
    if (b.stakes.length > 0) out.log(renderTable(['stake', 'pool', b.token, 'staked', 'unlocks'], b.stakes.map((s) => [s.id, s.pool, s.amount, s.stakedAt.slice(0, 10), s.unlocksAt?.slice(0, 10) ?? 'any time'])));
    out.log(TOKEN_NOTE);
    return 0;
  },
  'token pools': async (app, args, out) => {
    const { values } = parse(args, { all: { type: 'boolean' } });
    const pools = await app.services.tokens.listPools(await owner(app), { includeClosed: values.all === true });
    if (pools.length === 0) {
      out.log(`No ${values.all ? '' : 'open '}${app.services.tokens.token} staking pools. An admin opens one with: mikey token pool-create NAME --apr 0.1`);
      return 0;
    }
    out.log(renderTable(['pool', 'APR', 'lock-up', 'min stake', 'staked', 'capacity', 'open', 'id'], pools.map((p) => [p.name, p.aprPercent, lockText(p), p.minStake, p.totalStaked, p.capacity ?? 'no limit', p.active ? 'yes' : 'closed', p.id])));
    return 0;
  },
  'token history': async (app, args, out) => {
    const { values } = parse(args, { limit: { type: 'string' } });
    const entries = await app.services.tokens.history(await owner(app), values.limit === undefined ? {} : { limit: Number(values.limit) });
    out.log(entries.length === 0 ? 'No token movements yet.' : renderTable(['when (UTC)', 'what', 'account', 'amount'], entries.map((e) => [e.at.slice(0, 16).replace('T', ' '), e.type, e.account, e.amount])));
    return 0;
  },
  'token stake': async (app, args, out) => {
    const [pool, amount] = parse(args).positionals;
    if (!pool || !amount) throw new UsageError('token stake needs the pool and the amount: mikey token stake flex 100');
    const s = await app.services.tokens.stake(await owner(app), { pool, amount });
    out.log(`Staked ${s.amount} ${app.services.tokens.token} in pool "${s.pool}" (stake ${s.id}); ${s.unlocksAt ? `unlocks ${s.unlocksAt.slice(0, 16).replace('T', ' ')} UTC` : 'unstake any time'}.`);
    return 0;
  },
  'token unstake': async (app, args, out) => {
    const [stake] = parse(args).positionals;
    if (!stake) throw new UsageError('token unstake needs the stake id (mikey token balance lists them)');
    const u = await app.services.tokens.unstake(await owner(app), { stake });
    out.log(`Unstaked ${u.amount} from pool "${u.pool}": ${u.returned} back in your balance${u.early ? `, ${u.penalty} early-exit penalty kept by the treasury` : ''}.`);
    return 0;
  },
  'token claim': async (app, args, out) => {
    parse(args);
    const c = await app.services.tokens.claim(await owner(app));
    out.log(`Claimed ${c.amount} ${c.token} of rewards; balance ${c.balance} ${c.token}.`);
    return 0;
  },
  'token mint': async (app, args, out) => {
    const [amount] = parse(args).positionals;
    if (!amount) throw new UsageError('token mint needs the amount: mikey token mint 1000000');
    const m = await app.services.tokens.mint(await owner(app), { amount });
    out.log(`Minted ${m.amount} ${m.token}: total supply ${m.totalSupply}, treasury ${m.treasury}.`);
    return 0;
  },
  'token grant': async (app, args, out) => {
    const { positionals, values } = parse(args, { reason: { type: 'string' } });
    const [user, amount] = positionals;
    if (!user || !amount) throw new UsageError('token grant needs the user and the amount: mikey token grant alice 500 [--reason R]');
    const g = await app.services.tokens.grant(await owner(app), { user, amount, ...(values.reason !== undefined ? { reason: str(values.reason) } : {}) });
    out.log(`Granted ${g.amount} ${g.token} to ${g.user}; the treasury holds ${g.treasury} ${g.token}.`);
    return 0;
  },
  'token pool-create': async (app, args, out) => {
    const { positionals, values } = parse(args, {
      apr: { type: 'string' }, 'lock-days': { type: 'string' }, 'min-stake': { type: 'string' }, capacity: { type: 'string' }, 'early-penalty': { type: 'string' },
    });
    const [name] = positionals;
    if (!name || values.apr === undefined) throw new UsageError('token pool-create needs a name and --apr: mikey token pool-create 90-day --apr 0.12 --lock-days 90 [--min-stake 100] [--capacity N] [--early-penalty 0.1]');
    const lockDays = values['lock-days'] === undefined ? undefined : Number(values['lock-days']);
    if (lockDays !== undefined && !Number.isInteger(lockDays)) throw new UsageError('--lock-days must be a whole number of days');
    const p = await app.services.tokens.createPool(await owner(app), {
      name,
      apr: str(values.apr),
      ...(lockDays !== undefined ? { lockDays } : {}),
      ...(values['min-stake'] !== undefined ? { minStake: str(values['min-stake']) } : {}),
      ...(values.capacity !== undefined ? { capacity: str(values.capacity) } : {}),
      ...(values['early-penalty'] !== undefined ? { earlyUnstakePenalty: str(values['early-penalty']) } : {}),
    });
    out.log(`Pool "${p.name}" (${p.id}) is open: APR ${p.aprPercent}, lock-up ${lockText(p)}, minimum ${p.minStake}, capacity ${p.capacity ?? 'no limit'}.`);
    return 0;
  },
  'token pool-close': async (app, args, out) => {
    const [pool] = parse(args).positionals;
    if (!pool) throw new UsageError('token pool-close needs the pool name or id');
    const p = await app.services.tokens.closePool(await owner(app), { pool });
    out.log(`Pool "${p.name}" is closed to new stakes; its ${p.totalStaked} staked keep earning until unstaked.`);
    return 0;
  },
  'token supply': async (app, args, out) => {
    parse(args);
    const actor = await owner(app);
    await requireRole(app.database.db, actor, 'admin');
    const c = await app.services.tokens.checkSupply();
    out.log(`${c.token}: total supply ${c.totalSupply} = balances ${c.balances} + staked ${c.locked} + claimable ${c.claimable} + treasury ${c.treasury}; ${c.ok && c.ledger.ok ? 'the books balance.' : `MISMATCH (difference ${c.difference}).`}`);
    for (const p of c.ledger.problems) out.log(`  ${p}`);
    return c.ok && c.ledger.ok ? 0 : 1;
  },
};
