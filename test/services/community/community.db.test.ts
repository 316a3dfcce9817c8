// Community leaderboards and paper competitions on the whole app (simulated market, manual clock):
// opted-in members with daily snapshots ranked as computed by hand; a competition created by a group
// admin, joined by three traders (each with a fresh portfolio), traded inside and outside its window
// and markets, started, pushed and finished by the scheduler — with two scheduler/service instances
// running at once and again after — its prizes paid once from the treasury with the supply check
// holding; and the refusals (not an admin, joining twice, a cancelled competition, an unknown name).
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { competitionEntries, competitions, orders, portfolioSnapshots, portfolios } from '../../../src/db/schema/index.js';
import { dec } from '../../../src/domain/money.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import { soleInstance } from '../../../src/services/cluster/leases.js';
import { CommunityService, type CommunityScope } from '../../../src/services/community/community-service.js';
import { CompetitionScheduler } from '../../../src/services/community/competition-scheduler.js';
import type { MikeyEvent } from '../../../src/services/events.js';
import { TokenService } from '../../../src/services/token/token-service.js';
import { createUser } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { manualClock, rejection, type ManualClock } from '../market/support.js';

const START = Date.UTC(2026, 11, 10, 10, 0, 30);
const GROUP = { platform: 'telegram' as const, communityId: '-100777', chatId: '-100777' };
const asAdmin: CommunityScope = { ...GROUP, isAdmin: true };
const asMember: CommunityScope = { ...GROUP, isAdmin: false };

let app: TestApp;
let clock: ManualClock;
let svc: CommunityService;
let mikeyAdmin: Actor;
let groupAdmin: Actor;
let x: Actor;
let y: Actor;
let z: Actor;
const pushes: Array<Extract<MikeyEvent, { type: 'community.announcement' }>> = [];

async function newActor(username: string, role: 'admin' | 'trader' | 'viewer' = 'trader'): Promise<Actor> {
  return actorFor((await createUser(app.services.db, { username, role })).id, 'telegram');
}

/** Another instance's services on the same database (its own token and community service objects). */
function otherInstance(): { community: CommunityService; scheduler: CompetitionScheduler } {
  const s = app.services;
  const tokens = new TokenService({ db: s.db, clock });
  const community = new CommunityService({ db: s.db, clock, logger: s.logger, events: s.events, portfolios: s.portfolio, tokens, markets: s.market.catalog, trading: s.trading });
  return { community, scheduler: new CompetitionScheduler({ community, events: s.events, gate: soleInstance, logger: s.logger }) };
}

async function place(actor: Actor, args: Record<string, unknown>): Promise<void> {
  const preview = await app.services.trading.previewOrder(actor, args);
  expect(preview.confirmationToken, `the card passes: ${JSON.stringify(preview.card)}`).toBeTruthy();
  await app.services.trading.placeOrder(actor, { ...args, confirmationToken: preview.confirmationToken });
}

beforeAll(async () => {
  clock = manualClock(START);
  app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
  svc = app.services.community;
  mikeyAdmin = await newActor('root', 'admin');
  groupAdmin = await newActor('gadmin');
  x = await newActor('xena');
  y = await newActor('yuri');
  z = await newActor('zoe');
  app.services.events.on((e) => {
    if (e.type === 'community.announcement') pushes.push(e);
  });
  await app.services.tokens.mint(mikeyAdmin, { amount: '1000' });
}, 60_000);
afterAll(async () => app?.close());

describe('the leaderboard', () => {
  /**
   * Each member's default paper portfolio (10,000 USDT of cash, created today, 12-10) with snapshots
   * on 12-03 and 12-06. Steps 12-03 → 12-06 → 12-10 (today, valued now at 10,000):
   *   xena 8,000 → 12,000 → 10,000: 1.5 × 0.8333… = 1.25 → +25.00 %, drawdown 16.67 %
   *   yuri 10,000 → 9,000 → 10,000: 0.9 × 1.1111… = 1 → 0.00 %, drawdown 10.00 %
   *   zoe  5,000 → 5,000 → 10,000: 1 × 2 = 2 → +100.00 %, drawdown 0
   * Sharpe = mean / sample sd × √365 of the two steps: xena (0.5, −1/6) → 0.35355 × 19.10497 = 6.75;
   * yuri (−0.1, 1/9) → 0.03722 × 19.10497 = 0.71; zoe (0, 1) → 0.70711 × 19.10497 = 13.51.
   */
  it('ranks opted-in members by return over the period, with Sharpe and drawdown, percentages only', async () => {
    const history: Array<[Actor, string, string]> = [[x, '8000', '12000'], [y, '10000', '9000'], [z, '5000', '5000']];
    for (const [who, a, b] of history) {
      const p = await app.services.portfolio.ensureDefaultPortfolio(who.userId);
      await app.services.db.insert(portfolioSnapshots).values([
        { portfolioId: p.id, snapshotDate: '2026-12-03', snapshotAt: new Date('2026-12-03T23:00:00Z'), totalValue: a },
        { portfolioId: p.id, snapshotDate: '2026-12-06', snapshotAt: new Date('2026-12-06T23:00:00Z'), totalValue: b },
      ]);
      expect((await svc.joinLeaderboard(who, asMember, {})).includeLive).toBe(false);
    }
    // An outsider's portfolio with a huge return never shows: they did not opt in.
    const outsider = await newActor('olga');
    const op = await app.services.portfolio.ensureDefaultPortfolio(outsider.userId);
    await app.services.db.insert(portfolioSnapshots).values({ portfolioId: op.id, snapshotDate: '2026-12-03', snapshotAt: new Date('2026-12-03T23:00:00Z'), totalValue: '1' });

    const board = await svc.leaderboard(y, asMember, { period: '7d' });
    expect(board.rows.map((r) => [r.rank, r.name, r.returnPercent, r.sharpe, r.maxDrawdownPercent, r.you])).toEqual([
      [1, 'zoe', '100.00', '13.51', '0.00', false],
      [2, 'xena', '25.00', '6.75', '16.67', false],
      [3, 'yuri', '0.00', '0.71', '10.00', true],
    ]);
    // All time starts at the first value (12-03): the same steps here.
    const all = await svc.leaderboard(y, asMember, { period: 'all' });
    expect(all.rows.map((r) => r.returnPercent)).toEqual(['100.00', '25.00', '0.00']);
    // Over MCP: named by "telegram:<id>", only by a member.
    const byName = await svc.leaderboard(x, undefined, { period: '7d', community: 'telegram:-100777' });
    expect(byName.rows[0]!.name).toBe('zoe');
    expect((await rejection(svc.leaderboard(outsider, undefined, { community: 'telegram:-100777' }))).message).toMatch(/not a member of the leaderboard of telegram:-100777/);
  });

  it('joining again updates includeLive; leaving takes the member off', async () => {
    const again = await svc.joinLeaderboard(y, asMember, { includeLive: true });
    expect(again).toMatchObject({ includeLive: true, rejoined: true });
    expect((await svc.joinLeaderboard(y, asMember, {})).includeLive, 'not given: kept').toBe(true);
    const outsider = await newActor('lea');
    await svc.joinLeaderboard(outsider, asMember, {});
    await svc.leaveLeaderboard(outsider, asMember);
    expect((await rejection(svc.leaveLeaderboard(outsider, asMember))).message).toMatch(/not on this community's leaderboard/);
    expect((await rejection(svc.joinLeaderboard(outsider, undefined, {}))).message).toMatch(/ask in the group/);
  });
});

describe('a competition from creation to prizes', () => {
  let compId: string;
  const entryPortfolio = async (who: Actor): Promise<string> => {
    const [e] = await app.services.db.select().from(competitionEntries).where(and(eq(competitionEntries.competitionId, compId), eq(competitionEntries.userId, who.userId)));
    return e!.portfolioId;
  };

  it('is created by a group admin only, with its prize checked against the treasury', async () => {
    expect((await rejection(svc.createCompetition(x, asMember, { name: 'Winter Cup' }))).message).toMatch(/Only an admin of this group \(or a MIKEY admin\)/);
    expect((await rejection(svc.createCompetition(groupAdmin, undefined, { name: 'Winter Cup' }))).message).toMatch(/ask in the group/);
    const c = await svc.createCompetition(groupAdmin, asAdmin, {
      name: 'Winter Cup', startsAt: '2026-12-10T12:00:00Z', durationDays: 2, markets: ['btc/usdt', 'ETH/USDT'], prizePool: '600', prizeSplit: [0.5, 0.3, '0.2'],
    });
    expect(c).toMatchObject({ name: 'Winter Cup', status: 'scheduled', markets: ['BTC/USDT', 'ETH/USDT'], prizePool: '600', prizeSplit: ['0.5', '0.3', '0.2'], startingCash: '10000', entrants: 0 });
    const [row] = await app.services.db.select().from(competitions).where(eq(competitions.name, 'Winter Cup'));
    compId = row!.id;
    // 1,000 minted, 600 promised: a second pool of 500 is more than the treasury can promise.
    expect((await rejection(svc.createCompetition(mikeyAdmin, asMember, { name: 'Greedy Cup', prizePool: '500' }))).message).toMatch(/can promise 400 OMNI .* 600 of it promised/);
    expect((await rejection(svc.createCompetition(groupAdmin, asAdmin, { name: 'winter cup' }))).code).toBe('conflict');
  });

  it('is joined by three traders, each with a fresh funded portfolio; joining twice (even at once) is refused', async () => {
    const j = await svc.joinCompetition(x, asMember, {});
    expect(j.portfolio.name).toBe('Winter Cup');
    await svc.joinCompetition(z, asMember, { competition: 'winter cup' });
    const both = await Promise.allSettled([svc.joinCompetition(y, asMember, { competition: compId.slice(0, 8) }), svc.joinCompetition(y, asMember, {})]);
    expect(both.filter((r) => r.status === 'fulfilled'), 'one of two concurrent joins').toHaveLength(1);
    expect(String((both.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.message)).toMatch(/already joined the competition "Winter Cup"/);
    expect((await rejection(svc.joinCompetition(x, asMember, {}))).message).toMatch(/already joined/);
    const mine = await app.services.db.select().from(portfolios).where(and(eq(portfolios.userId, y.userId), eq(portfolios.name, 'Winter Cup')));
    expect(mine, 'the refused join left no portfolio behind').toHaveLength(1);
    for (const who of [x, y, z]) {
      const state = await app.services.portfolio.accountState(who.userId, await entryPortfolio(who));
      expect(state.balances.USDT!.free.toFixed(), 'fresh portfolio with the starting cash').toBe('10000');
      expect(state.portfolio.isDefault).toBe(false);
    }
    expect((await rejection(svc.joinCompetition(x, asMember, { competition: 'Nope' }))).message).toMatch(/Competition "Nope" not found/);
  });

  it('refuses orders before the start; the scheduler starts it and pushes the start once', async () => {
    const pid = await entryPortfolio(x);
    expect((await rejection(app.services.trading.previewOrder(x, { symbol: 'BTC/USDT', side: 'buy', quoteQuantity: '100', portfolioId: pid }))).message).toMatch(/starts at 2026-12-10 12:00 UTC: orders before the start do not count/);
    clock.set(Date.UTC(2026, 11, 10, 12, 0, 30));
    const scheduler = new CompetitionScheduler({ community: svc, events: app.services.events, gate: soleInstance, logger: app.services.logger });
    const first = await scheduler.runOnce();
    expect(first).toMatchObject({ started: 1, finished: 0, announced: 1, failed: [] });
    expect((await scheduler.runOnce()).announced, 'the start is pushed once').toBe(0);
    expect(pushes.map((p) => p.key)).toEqual([`competition:${compId}:start`]);
    expect(pushes[0]).toMatchObject({ platform: 'telegram', chatId: '-100777' });
    expect(pushes[0]!.text).toMatch(/"Winter Cup" has started: 2026-12-10 12:00 UTC → 2026-12-12 12:00 UTC, 10000 USDT to start, BTC\/USDT, ETH\/USDT, prize 600 OMNI split 50% \/ 30% \/ 20%/);
  });

  it('counts trades inside the window on allowed markets only', async () => {
    await place(x, { symbol: 'BTC/USDT', side: 'buy', quoteQuantity: '5000', portfolioId: await entryPortfolio(x) });
    await place(y, { symbol: 'ETH/USDT', side: 'buy', quoteQuantity: '2000', portfolioId: await entryPortfolio(y) });
    // A resting bid far below the market: cancelled at the end, so it can never fill after it.
    const btc = dec((await app.services.market.getPrices(['BTC/USDT']))[0]!.price!);
    await place(z, { symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.001', price: btc.mul('0.5').toDecimalPlaces(2).toFixed(), portfolioId: await entryPortfolio(z) });
    expect((await rejection(app.services.trading.previewOrder(x, { symbol: 'SOL/USDT', side: 'buy', quoteQuantity: '100', portfolioId: await entryPortfolio(x) }))).message).toMatch(/allows only BTC\/USDT, ETH\/USDT; SOL\/USDT is not one of them/);
    // The member's other portfolios are untouched by the rule.
    await place(x, { symbol: 'SOL/USDT', side: 'buy', quoteQuantity: '100' });
    const standings = await svc.getCompetition(z, asMember, {});
    expect(standings.basis).toBe('live');
    expect(standings.rows.map((r) => r.name).sort()).toEqual(['xena', 'yuri', 'zoe']);
    expect(standings.rows.find((r) => r.name === 'zoe')!.returnPercent, 'no trades: no change').toBe('0.00');
  });

  it('pushes each day\'s standings once', async () => {
    clock.set(Date.UTC(2026, 11, 11, 0, 5));
    const scheduler = new CompetitionScheduler({ community: svc, events: app.services.events, gate: soleInstance, logger: app.services.logger });
    expect((await scheduler.runOnce()).announced).toBe(1);
    expect((await scheduler.runOnce()).announced).toBe(0);
    const daily = pushes.filter((p) => p.key === `competition:${compId}:standings:2026-12-11`);
    expect(daily).toHaveLength(1);
    expect(daily[0]!.text).toMatch(/^Standings of "Winter Cup" on 2026-12-11 \(ends 2026-12-12 12:00 UTC\):\n1\. /);
    expect(daily[0]!.text, 'percentages, never balances').not.toMatch(/USDT|\d{4,}\.\d/);
  });

  it('refuses orders after the end; finishing twice at once on two instances, and again after, pays each prize once', async () => {
    clock.set(Date.UTC(2026, 11, 12, 12, 0, 30));
    expect((await rejection(app.services.trading.previewOrder(x, { symbol: 'BTC/USDT', side: 'sell', quantity: '0.001', portfolioId: await entryPortfolio(x) }))).message).toMatch(/ended at 2026-12-12 12:00 UTC: orders after the end do not count/);
    // What each entry is worth now, at market prices (the scheduler values them the same way).
    const worth = new Map<string, string>();
    for (const who of [x, y, z]) {
      const state = await app.services.portfolio.accountState(who.userId, await entryPortfolio(who));
      worth.set(who.userId, (await app.services.portfolio.value(state)).equity.toFixed());
    }
    const a = otherInstance();
    const b = otherInstance();
    const runs = await Promise.all([a.scheduler.runOnce(), b.scheduler.runOnce(), a.community.finish(compId)]);
    const finishedCount = runs[0].finished + runs[1].finished + (runs[2].finished ? 1 : 0);
    expect(finishedCount, 'finished once between them').toBe(1);
    const again = await new CompetitionScheduler({ community: svc, events: app.services.events, gate: soleInstance, logger: app.services.logger }).runOnce();
    expect(again).toMatchObject({ finished: 0, paidWinners: 0, announced: 0 });
    expect(await a.community.payPrizes(compId)).toMatchObject({ paidUsers: 0, alreadyPaid: 3 });

    const entries = await app.services.db.select().from(competitionEntries).where(eq(competitionEntries.competitionId, compId));
    const byValue = [...entries].sort((p, q) => Number(q.finalValue) - Number(p.finalValue));
    for (const e of entries) {
      expect(Number(e.finalValue), 'final equity valued at market prices at the end').toBeCloseTo(Number(worth.get(e.userId)), 6);
      expect(Number(e.returnPercent)).toBeCloseTo((Number(e.finalValue) / 10000 - 1) * 100, 6);
    }
    expect(entries.find((e) => e.userId === z.userId)!.finalValue, 'no fills: the starting cash').toBe('10000.000000000000000000');
    const zOrders = await app.services.db.select({ status: orders.status }).from(orders).where(eq(orders.portfolioId, await entryPortfolio(z)));
    expect(zOrders.map((o) => o.status), 'the resting order was cancelled at the end').toEqual(['cancelled']);
    expect(byValue.map((e) => e.rank)).toEqual([1, 2, 3]);
    expect(byValue.map((e) => Number(e.prize))).toEqual([300, 180, 120]);

    const logs = await queryRows<{ user_id: string; amount: string; source_type: string }>(
      app.services.db,
      sql`select user_id::text, amount::text, source_type from reward_logs where rule = 'competition_prize' and period = ${compId} order by amount desc`,
    );
    expect(logs.map((l) => [l.user_id, Number(l.amount), l.source_type])).toEqual(byValue.map((e) => [e.userId, Number(e.prize), 'competition_entry']));
    for (const e of entries) {
      const bal = await app.services.tokens.balance(actorFor(e.userId, 'terminal'));
      expect(Number(bal.claimable), 'each winner credited once').toBe(Number(e.prize));
    }
    const books = await app.services.tokens.checkSupply();
    expect(books).toMatchObject({ ok: true, difference: '0', treasury: '400', claimable: '600', totalSupply: '1000' });
    expect(books.ledger.problems).toEqual([]);

    const end = pushes.filter((p) => p.key === `competition:${compId}:end`);
    expect(end, 'the end is pushed once').toHaveLength(1);
    expect(end[0]!.text).toMatch(/^"Winter Cup" has ended\. Final results:\n1\. \w+ [+-]\d+\.\d\d% \(300 OMNI\)\n2\. \w+ [+-]\d+\.\d\d% \(180 OMNI\)\n3\. \w+ [+-]\d+\.\d\d% \(120 OMNI\)/);
    const final = await svc.getCompetition(x, asMember, { competition: 'Winter Cup' });
    expect(final.basis).toBe('final');
    expect(final.rows.map((r) => r.prize)).toEqual(['300', '180', '120']);
    // The competition is over: a late join is refused, and the leaderboard never counted its portfolios.
    expect((await rejection(svc.joinCompetition(groupAdmin, asMember, { competition: 'Winter Cup' }))).message).toMatch(/is over: nobody can join it now/);
    const board = await svc.leaderboard(x, asMember, { period: '30d' });
    expect(board.rows.find((r) => r.name === 'zoe')!.returnPercent, 'competition portfolios are not ranked').toBe('100.00');
    expect(board.rows.find((r) => r.name === 'yuri')!.returnPercent, 'yuri\'s ETH (and its fee) in the competition portfolio is not ranked').toBe('0.00');
  });

  it('a cancelled competition takes no orders or entrants; only an admin cancels; unknown names are not found', async () => {
    const c = await svc.createCompetition(mikeyAdmin, asMember, { name: 'Spring Cup', durationDays: 1 });
    expect(c.status, 'starts now').toBe('running');
    await svc.joinCompetition(x, asMember, { competition: 'Spring Cup' });
    expect((await rejection(svc.cancelCompetition(y, asMember, { competition: 'Spring Cup' }))).message).toMatch(/Only an admin of this group/);
    expect((await svc.cancelCompetition(groupAdmin, asAdmin, { competition: 'Spring Cup' })).status).toBe('cancelled');
    expect((await rejection(svc.cancelCompetition(groupAdmin, asAdmin, { competition: 'Spring Cup' }))).message).toMatch(/already cancelled/);
    expect((await rejection(svc.joinCompetition(y, asMember, { competition: 'Spring Cup' }))).message).toMatch(/is cancelled: nobody can join/);
    const [e] = await app.services.db.select({ p: competitionEntries.portfolioId }).from(competitionEntries).innerJoin(competitions, eq(competitions.id, competitionEntries.competitionId)).where(eq(competitions.name, 'Spring Cup'));
    expect((await rejection(app.services.trading.previewOrder(x, { symbol: 'BTC/USDT', side: 'buy', quoteQuantity: '100', portfolioId: e!.p }))).message).toMatch(/was cancelled: it takes no more orders/);
    expect((await rejection(svc.cancelCompetition(groupAdmin, asAdmin, { competition: 'Nope' }))).code).toBe('not_found');
    expect((await svc.listCompetitions(x, asMember, { status: 'cancelled' })).map((l) => l.name)).toEqual(['Spring Cup']);
    const mine = await svc.listCompetitions(x, undefined, {});
    expect(mine.map((l) => [l.name, l.entrants]), 'over MCP: the competitions of the member\'s communities').toEqual([['Spring Cup', 1], ['Winter Cup', 3]]);
    // Another community's competition is not listed for xena over MCP (she is no member there and never entered).
    await svc.createCompetition(mikeyAdmin, { platform: 'discord', communityId: '998877', chatId: '5555' }, { name: 'Elsewhere Cup' });
    expect((await svc.listCompetitions(x, undefined, {})).map((l) => l.name)).toEqual(['Spring Cup', 'Winter Cup']);
    expect((await svc.listCompetitions(mikeyAdmin, undefined, {})).map((l) => l.name), 'its creator sees it').toContain('Elsewhere Cup');
    const viewer = await newActor('vera', 'viewer');
    expect((await rejection(svc.createCompetition(viewer, asAdmin, { name: 'Viewer Cup' }))).message).toMatch(/role is viewer/);
  });

  it('a treasury short at the end pays nobody more than it holds; the winners are paid once it is funded', async () => {
    // 400 left in the treasury and nothing promised: a 300 pool is accepted.
    await svc.createCompetition(groupAdmin, asAdmin, { name: 'Autumn Cup', durationDays: 1, prizePool: '300' });
    await svc.joinCompetition(x, asMember, { competition: 'Autumn Cup' });
    await svc.joinCompetition(y, asMember, { competition: 'Autumn Cup' });
    // Meanwhile an admin grants most of the treasury away (nothing was reserved).
    await app.services.tokens.grant(mikeyAdmin, { user: 'gadmin', amount: '350' });
    clock.set(clock.ms + 86_400_000 + 60_000);
    const scheduler = new CompetitionScheduler({ community: svc, events: app.services.events, gate: soleInstance, logger: app.services.logger });
    const first = await scheduler.runOnce();
    expect(first).toMatchObject({ finished: 1, paidWinners: 0 });
    // Neither traded: tied for 1st, they share the whole split: 300 × 1 / 2 = 150 each, more than the 50 left.
    const [comp] = await app.services.db.select().from(competitions).where(eq(competitions.name, 'Autumn Cup'));
    const entries = await app.services.db.select().from(competitionEntries).where(eq(competitionEntries.competitionId, comp!.id));
    expect(entries.map((e) => [e.rank, e.prize])).toEqual([[1, '150.000000000000000000'], [1, '150.000000000000000000']]);
    expect(await svc.unpaidPrizes()).toEqual([comp!.id]);
    expect((await app.services.tokens.checkSupply()).treasury, 'the treasury never goes below zero').toBe('50');
    await app.services.tokens.mint(mikeyAdmin, { amount: '1000' });
    expect((await scheduler.runOnce()).paidWinners, 'paid once funded').toBe(2);
    expect((await scheduler.runOnce()).paidWinners, 'and only once').toBe(0);
    expect(await svc.unpaidPrizes()).toEqual([]);
    const books = await app.services.tokens.checkSupply();
    expect(books).toMatchObject({ ok: true, difference: '0', treasury: '750', totalSupply: '2000' });
    expect(books.ledger.problems).toEqual([]);
  });
});
