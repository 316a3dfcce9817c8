// The trading-activity reward on real fills: paper market orders placed through the trading service
// (the same rows a live fill writes), then accrueTrading for the day. Round trips within the wash
// window earn nothing; a buy held past the window earns volume × rate; the cap holds; a second run pays
// nothing; the day and its wash window must have passed.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import type { Actor } from '../../../src/services/actor.js';
import { TokenService } from '../../../src/services/token/token-service.js';
import { failure } from '../../support/errors.js';
import { createHarness, type Harness } from '../trading/harness.js';
import { expectBooks, newUser } from './support.js';

const MIN = 60_000;
let h: Harness;
let svc: TokenService;

beforeAll(async () => {
  h = await createHarness();
  h.setPrices();
  // Rate 0.001 token per USD, cap 50 tokens a day, 10-minute wash window.
  svc = new TokenService({ db: h.database.db, clock: h.clock, tradingRate: '0.001', tradingDailyCap: '50', washWindowMinutes: 10 });
  const admin = await newUser(h.database, 'admin');
  await svc.mint(admin, { amount: '1000' });
});
afterAll(async () => h?.close());

async function portfolio(a: Actor): Promise<string> {
  return (await h.portfolio.createPortfolio(a, { name: 'activity', startingCash: '1000000', autoConfirm: true })).id;
}

async function market(a: Actor, portfolioId: string, symbol: string, side: 'buy' | 'sell', quantity: string): Promise<void> {
  h.setPrices();
  await h.trading.placeOrder(a, { portfolioId, symbol, side, type: 'market', quantity });
  await h.broker.idle();
  await h.trading.idle();
}

describe('trading activity rewards (clock at 2025-03-07 12:00 UTC)', () => {
  let washer: Actor;
  let holder: Actor;
  let whale: Actor;

  it('round trips within the window earn nothing; held volume earns; the cap holds', async () => {
    washer = await h.user('washer');
    holder = await h.user('holder');
    whale = await h.user('whale');
    const [pw, ph, pwh] = [await portfolio(washer), await portfolio(holder), await portfolio(whale)];
    // Washer: buy 10 ETH and sell them 5 minutes later (a round trip, 64,000 USD of volume, nothing earned),
    // then buy 1 ETH that is held (3,200 USD counted).
    await market(washer, pw, 'ETH/USDT', 'buy', '10');
    h.clock.advance(5 * MIN);
    await market(washer, pw, 'ETH/USDT', 'sell', '10');
    h.clock.advance(20 * MIN);
    await market(washer, pw, 'ETH/USDT', 'buy', '1');
    // Holder: buy 2 ETH, sell 2 ETH an hour later: both legs count (12,800 USD).
    await market(holder, ph, 'ETH/USDT', 'buy', '2');
    h.clock.advance(60 * MIN);
    await market(holder, ph, 'ETH/USDT', 'sell', '2');
    // Whale: 2 BTC bought = 130,000 USD → 130 tokens, capped at 50.
    await market(whale, pwh, 'BTC/USDT', 'buy', '2');
    const fills = await queryRows<{ n: number }>(h.database.db, sql`select count(*)::int as n from trades where user_id in (${washer.userId}, ${holder.userId}, ${whale.userId}) and executed_at::date = '2025-03-07'`);
    expect(fills[0]!.n, 'the trading service wrote six fills that day').toBe(6);

    h.clock.set('2025-03-08T00:05:00Z');
    const early = await failure(svc.accrueTrading('2025-03-07'));
    expect(early.message, 'the wash window after midnight must pass too').toMatch(/has not fully elapsed/);
    h.clock.set('2025-03-08T00:10:00Z');
    const r = await svc.accrueTrading('2025-03-07');
    expect(r).toMatchObject({ rule: 'trading_activity', period: '2025-03-07', paidUsers: 3, skippedUsers: 0 });
    expect((await svc.balance(washer)).claimable, 'only the held 1 ETH (3,200 USD) counts').toBe('3.2');
    expect((await svc.balance(holder)).claimable, 'legs an hour apart both count: 12,800 USD').toBe('12.8');
    expect((await svc.balance(whale)).claimable, 'capped at 50').toBe('50');
    const logs = await queryRows<{ description: string }>(h.database.db, sql`select description from reward_logs where user_id = ${washer.userId} and rule = 'trading_activity'`);
    expect(logs.map((l) => l.description)).toEqual(['trading activity 2025-03-07: 3200 USD counted, 64000 USD in round trips']);
    await expectBooks(svc, 'after trading rewards');
  });

  it('a second run pays nothing', async () => {
    const again = await svc.accrueTrading('2025-03-07');
    expect(again).toMatchObject({ paidUsers: 0, alreadyPaid: 3 });
    expect((await svc.balance(whale)).claimable).toBe('50');
    await expectBooks(svc, 'after a second trading run');
  });
});
