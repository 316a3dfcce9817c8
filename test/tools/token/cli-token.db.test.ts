// `mikey token …` on a real app: the local owner (an admin) mints, opens a pool and grants; a user's
// commands stake, list and unstake; the supply check balances; bad input and a non-admin are refused
// with a message and change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../../src/cli.js';
import { actorFor } from '../../../src/services/actor.js';
import { createUser, ensureLocalOwner } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';

let app: TestApp;

async function run(...argv: string[]): Promise<{ code: number; text: string; errors: string }> {
  const logs: string[] = [];
  const errors: string[] = [];
  const code = await runCommand(app, argv, { log: (s) => logs.push(s), error: (s) => errors.push(s) });
  return { code, text: logs.join('\n'), errors: errors.join('\n') };
}

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim', MIKEY_TOKEN_SYMBOL: 'MKY' });
  const owner = await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
  expect(owner.role, 'the local owner administers this instance').toBe('admin');
  await createUser(app.database.db, { username: 'carol' });
}, 60_000);
afterAll(async () => app?.close());

describe('mikey token', () => {
  it('mints, opens a pool, stakes, lists, unstakes, and the books balance', async () => {
    expect((await run('token', 'mint', '10000')).text).toBe('Minted 10000 MKY: total supply 10000, treasury 10000.');
    expect((await run('token', 'grant', 'carol', '250', '--reason', 'welcome')).text).toBe('Granted 250 MKY to carol; the treasury holds 9750 MKY.');
    expect((await run('token', 'grant', (await ensureLocalOwner(app.database.db, app.config.MIKEY_USER)).username!, '500')).code).toBe(0);
    const created = await run('token', 'pool-create', '90-day', '--apr', '0.12', '--lock-days', '90', '--early-penalty', '0.1');
    expect(created.text, created.errors).toMatch(/^Pool "90-day" \([0-9a-f]{8}\) is open: APR 12%, lock-up 90 d \(early exit keeps 0.1 of principal\)/);
    const staked = await run('token', 'stake', '90-day', '200');
    expect(staked.text, staked.errors).toMatch(/^Staked 200 MKY in pool "90-day" \(stake ([0-9a-f]{8})\); unlocks /);
    const stakeId = /stake ([0-9a-f]{8})/.exec(staked.text)![1]!;
    const balance = await run('token', 'balance');
    expect(balance.text).toMatch(/^MKY: 300 available, 200 staked, 0 rewards to claim/);
    expect(balance.text).toContain(stakeId);
    expect((await run('token', 'pools')).text).toMatch(/90-day .*12%/);
    const un = await run('token', 'unstake', stakeId);
    expect(un.text, un.errors).toBe('Unstaked 200 from pool "90-day": 180 back in your balance, 20 early-exit penalty kept by the treasury.');
    expect((await run('token', 'history', '--limit', '5')).text).toMatch(/penalty|unstake/);
    expect((await run('token', 'pool-close', '90-day')).text).toMatch(/"90-day" is closed to new stakes/);
    const supply = await run('token', 'supply');
    expect(supply.code, supply.text).toBe(0);
    expect(supply.text).toMatch(/total supply 10000 = balances 730 \+ staked 0 \+ claimable 0 \+ treasury 9270; the books balance/);
  });

  it('refuses bad input and a non-admin with a message, changing nothing', async () => {
    const before = await app.services.tokens.checkSupply();
    const missing = await run('token', 'stake', 'flex');
    expect(missing.code).toBe(2);
    expect(missing.errors).toMatch(/token stake needs the pool and the amount/);
    const bad = await run('token', 'mint', 'lots');
    expect(bad.code).toBe(1);
    expect(bad.errors).toMatch(/amount/);
    const carol = await app.services.tokens.balance(actorFor((await createUser(app.database.db, { username: 'dave' })).id, 'cli'));
    expect(carol.balance).toBe('0');
    const asDave = await runCommand({ ...app, config: { ...app.config, MIKEY_USER: 'dave' } }, ['token', 'mint', '5'], { log: () => undefined, error: (s) => expect(s).toMatch(/admin/) });
    expect(asDave).toBe(1);
    expect((await app.services.tokens.checkSupply()).totalSupply, 'nothing minted').toBe(before.totalSupply);
  });
});
