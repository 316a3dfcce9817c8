// The leaderboard of strategies (issue 11 item 7) on the whole app: bots' forward figures from their
// bot_performance recordings, computed by hand below; a person's own bots and backtests; a
// community's bots of members who joined its leaderboard only, percentages only; the orderings.
//
// Recordings (one a day at 12:00 UTC):
//   xena's "steady"  equity 10,000 pnl 0 → pnl 500 → pnl 250: capital 10,000; values 10,000, 10,500,
//     10,250; steps +5 %, −2.380952 %: return +2.50 %, max drawdown 250 / 10,500 = 2.38 %,
//     Sharpe = mean 0.0130952 / sample sd 0.0521908 × √365 = 4.79.
//   yuri's "jumper"  equity 20,000 pnl 100 → pnl 100 → pnl 1,090: capital 19,900; values 20,000,
//     20,000, 20,990; steps 0, +4.95 %: return +4.95 %, drawdown 0, Sharpe 0.7071 × √365 = 13.51.
//   xena's "fresh"   one recording: no steps, no Sharpe — unranked, listed last.
//   zoe's bot (not a member): never in the community's list.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botPerformance, portfolios } from '../../../src/db/schema/index.js';
import { dec } from '../../../src/domain/money.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import { forwardFigures, rankRows, type StrategyRankRow } from '../../../src/services/bots/leaderboard.js';
import { createUser } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { manualClock, rejection } from '../market/support.js';

const START = Date.UTC(2026, 11, 10, 10, 0, 30);
const DAY = 86_400_000;
const GROUP = { platform: 'telegram' as const, communityId: '-100888', chatId: '-100888', isAdmin: false };

let app: TestApp;
let xena: Actor;
let yuri: Actor;
let zoe: Actor;

async function newActor(username: string): Promise<Actor> {
  return actorFor((await createUser(app.services.db, { username, role: 'trader' })).id, 'telegram');
}

/** A stopped DCA bot on the person's default paper portfolio, with the given recordings (day offset, equity, pnl). */
async function botWith(who: Actor, name: string, recordings: ReadonlyArray<[number, string, string]>): Promise<string> {
  const r = await app.services.bots.create(who, { name, strategy: 'dca', params: { quoteAmount: '100', every: 1 }, symbol: 'BTC/USDT', timeframe: '1h', limits: { maxOrderNotional: '100', maxDailyNotional: '500' } });
  for (const [day, equity, pnl] of recordings) {
    await app.services.db.insert(botPerformance).values({ botId: r.bot.id, recordedAt: new Date(START - 3 * DAY + day * DAY + 2 * 3_600_000), equity, totalPnl: pnl, tradeCount: day + 1 });
  }
  return r.bot.id;
}

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock: manualClock(START) });
  xena = await newActor('xena');
  yuri = await newActor('yuri');
  zoe = await newActor('zoe');
  await botWith(xena, 'steady', [[0, '10000', '0'], [1, '10500', '500'], [2, '10250', '250']]);
  await botWith(yuri, 'jumper', [[0, '20000', '100'], [1, '20000', '100'], [2, '20990', '1090']]);
  await botWith(xena, 'fresh', [[2, '10000', '5']]);
  await botWith(zoe, 'outsider', [[0, '10000', '0'], [1, '10000', '900'], [2, '10000', '1900']]);
  await app.services.community.joinLeaderboard(xena, GROUP, {});
  await app.services.community.joinLeaderboard(yuri, GROUP, {});
  // A backtest of xena's, to rank beside her bots.
  await app.services.backtest.runBacktest(xena, { strategy: 'momentum', symbol: 'SOL/USDT', timeframe: '1h', days: 10 });
}, 120_000);
afterAll(async () => app?.close());

describe('forward figures and ranking (pure)', () => {
  it('computes return, drawdown and Sharpe of a bot against the capital at its first recording', () => {
    const at = (d: number): Date => new Date(START + d * DAY);
    const f = forwardFigures([
      { recordedAt: at(2), equity: dec('10250'), totalPnl: dec('250') },
      { recordedAt: at(0), equity: dec('10000'), totalPnl: dec('0') },
      { recordedAt: at(1), equity: dec('10500'), totalPnl: dec('500') },
    ]);
    expect(f.returnPercent!.toDecimalPlaces(2).toFixed(2)).toBe('2.50');
    expect(f.maxDrawdownPercent!.toDecimalPlaces(2).toFixed(2)).toBe('2.38');
    expect(f.sharpe!.toFixed(2)).toBe('4.79');
    expect(f.days).toBe(2);
    expect(f.totalPnl.toFixed()).toBe('250');
    // Several recordings on one day: the last of the day counts.
    const sameDay = forwardFigures([
      { recordedAt: at(0), equity: dec('1000'), totalPnl: dec('0') },
      { recordedAt: new Date(at(0).getTime() + 60_000), equity: dec('900'), totalPnl: dec('-100') },
      { recordedAt: at(1), equity: dec('1100'), totalPnl: dec('100') },
    ]);
    expect(sameDay.returnPercent!.toFixed(2), 'from 900 to 1,100').toBe('22.22');
    const noEquity = forwardFigures([{ recordedAt: at(0), equity: null, totalPnl: dec('7') }]);
    expect(noEquity).toMatchObject({ returnPercent: null, sharpe: null, maxDrawdownPercent: null, days: 0 });
    expect(noEquity.totalPnl.toFixed()).toBe('7');
  });

  it('ranks highest first (drawdown: smallest first), ties share a rank, rows without the figure come last', () => {
    const row = (name: string, sharpe: string | null, dd: string | null): StrategyRankRow => ({
      rank: 0, kind: 'bot', id: name, shortId: name, name, strategy: 'dca', symbol: 'BTC/USDT', returnPercent: null, sharpe, maxDrawdownPercent: dd, totalPnl: null, trades: 0, days: 0, status: 'running', member: null, you: false,
    });
    const rows = [row('a', '1.00', '5.00'), row('b', null, null), row('c', '2.00', '1.00'), row('d', '1.00', '1.00')];
    expect(rankRows(rows, 'sharpe', false).map((r) => `${r.name}${r.rank}`)).toEqual(['c1', 'a2', 'd2', 'b0']);
    expect(rankRows(rows, 'drawdown', false).map((r) => `${r.name}${r.rank}`)).toEqual(['c1', 'd1', 'a3', 'b0']);
  });
});

describe('the leaderboard of strategies', () => {
  it('a person sees their own bots and backtests, with P&L; nobody else\'s', async () => {
    const v = await app.services.bots.leaderboard(xena, undefined, {});
    expect(v.rows.map((r) => r.name)).toContain('steady');
    expect(v.rows.map((r) => r.name)).toContain('fresh');
    expect(v.rows.map((r) => r.name)).not.toContain('jumper');
    const steady = v.rows.find((r) => r.name === 'steady')!;
    expect(steady).toMatchObject({ kind: 'bot', returnPercent: '2.50', sharpe: '4.79', maxDrawdownPercent: '2.38', totalPnl: '250.00', trades: 3, days: 2, status: 'stopped' });
    const fresh = v.rows.find((r) => r.name === 'fresh')!;
    expect(fresh).toMatchObject({ rank: 0, sharpe: null, totalPnl: '5.00' });
    expect(v.rows[v.rows.length - 1]!.rank === 0, 'a row without a Sharpe comes last').toBe(true);
    const backtest = v.rows.find((r) => r.kind === 'backtest')!;
    expect(backtest.name).toMatch(/^momentum SOL\/USDT 1h/);
    expect(backtest.shortId).toMatch(/^[0-9a-f]{8}$/);
    const onlyBacktests = await app.services.bots.leaderboard(xena, undefined, { kind: 'backtests' });
    expect(onlyBacktests.rows.every((r) => r.kind === 'backtest')).toBe(true);
    const onlyBots = await app.services.bots.leaderboard(xena, undefined, { kind: 'bots', limit: 1, sortBy: 'pnl' });
    expect(onlyBots.rows.map((r) => r.name)).toEqual(['steady']);
    expect(onlyBots.total).toBe(2);
  });

  it('in the group: members\' bots only, percentages only, by Sharpe, drawdown or return', async () => {
    const bySharpe = await app.services.bots.leaderboard(xena, GROUP, { scope: 'community' });
    expect(bySharpe.community).toBe('telegram:-100888');
    expect(bySharpe.rows.map((r) => `${r.rank} ${r.member} ${r.name}`)).toEqual(['1 yuri jumper', '2 xena steady', '0 xena fresh']);
    expect(bySharpe.rows.every((r) => r.totalPnl === null), 'no money in a group').toBe(true);
    expect(bySharpe.rows.some((r) => r.kind === 'backtest'), 'no backtests in a group').toBe(false);
    expect(bySharpe.rows.find((r) => r.name === 'steady')!.you).toBe(true);
    expect(bySharpe.rows[0]).toMatchObject({ returnPercent: '4.95', sharpe: '13.51', maxDrawdownPercent: '0.00' });
    const byDrawdown = await app.services.bots.leaderboard(xena, GROUP, { scope: 'community', sortBy: 'drawdown' });
    expect(byDrawdown.rows.map((r) => r.name)).toEqual(['jumper', 'steady', 'fresh']);
    const byReturn = await app.services.bots.leaderboard(yuri, GROUP, { scope: 'community', sortBy: 'pnl' });
    expect(byReturn.rows.map((r) => r.name).slice(0, 2)).toEqual(['jumper', 'steady']);
  });

  it('a member who leaves drops out; a bot on a live portfolio counts only for a member who included live ones', async () => {
    await app.services.community.leaveLeaderboard(yuri, GROUP);
    const v = await app.services.bots.leaderboard(xena, GROUP, { scope: 'community' });
    expect(v.rows.map((r) => r.name)).toEqual(['steady', 'fresh']);
    await app.services.community.joinLeaderboard(yuri, GROUP, {});
    // Yuri's bot's portfolio turned live (as if): a member who did not include live portfolios is not ranked on it.
    const [p] = await app.services.db.select({ id: portfolios.id }).from(portfolios).where(and(eq(portfolios.userId, yuri.userId), eq(portfolios.tradingMode, 'paper')));
    await app.services.db.update(portfolios).set({ tradingMode: 'live' }).where(eq(portfolios.id, p!.id));
    try {
      const hidden = await app.services.bots.leaderboard(xena, GROUP, { scope: 'community' });
      expect(hidden.rows.map((r) => r.name)).not.toContain('jumper');
    } finally {
      await app.services.db.update(portfolios).set({ tradingMode: 'paper' }).where(eq(portfolios.id, p!.id));
    }
  });

  it('refuses bad input and a community request outside a group, changing nothing', async () => {
    expect((await rejection(app.services.bots.leaderboard(xena, undefined, { scope: 'community' }))).message).toMatch(/in a group or server/);
    expect((await rejection(app.services.bots.leaderboard(xena, undefined, { sortBy: 'roi' }))).message).toMatch(/sharpe, drawdown or pnl/);
    expect((await rejection(app.services.bots.leaderboard(xena, undefined, { limit: 0 }))).message).toMatch(/at least 1/);
    expect((await rejection(app.services.bots.leaderboard(xena, undefined, { extra: 1 }))).message).toMatch(/extra|unknown|unrecognized/i);
  });
});
