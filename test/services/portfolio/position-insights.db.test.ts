// The two SQL views in the portfolio tools (issue 13 item 6): get-positions names the whale whose move
// opened a position (the user's own label, short address, latest 4 h credibility) and the asset's
// latest market bias, from active_positions_view; get-performance gains closed positions per UTC day
// from daily_performance, hand-worked. Both read inside the acting user's row-level-security scope:
// another user's label, position or closed trades never show.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { marketBias, portfolios, positions, walletScores, walletWatches, wallets } from '../../../src/db/schema/index.js';
import { dailyClosedPerformance, openPositionInsights } from '../../../src/services/portfolio/position-insights.js';
import { createUser, type User } from '../../../src/services/users.js';
import { holdingText } from '../../../src/tools/portfolio/position-insights-text.js';
import type { InProcessClient } from '../../../src/mcp/in-process.js';
import { call, connect, expectClean, placeConfirmed } from '../../tools/harness.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { manualClock, type ManualClock } from '../market/support.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 2, 3, 12);
/** Nine days on: a week back reaches 2025-03-05 12:00. */
const NOW = T0 + 9 * 86_400_000;
const WHALE = '0x00000000000000000000000000000000000000a1';

let app: TestApp;
let clock: ManualClock;
let alice: User;
let bob: User;
let a: InProcessClient;
let b: InProcessClient;
let alicePortfolio: string;
let bobPortfolio: string;
let btcPosition: string;

async function closed(userId: string, portfolioId: string, opened: string, closedAt: string, pnl: string, holdingSeconds: number | null): Promise<void> {
  await app.services.db.insert(positions).values({
    userId, portfolioId, symbol: 'SOL/USDT', status: 'closed', quantity: '0', entryPrice: '100', exitPrice: '101', realizedPnl: pnl,
    openedAt: new Date(opened), closedAt: new Date(closedAt), holdingSeconds,
  });
}

beforeAll(async () => {
  clock = manualClock(T0);
  app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
  alice = await createUser(app.services.db, { username: 'insightalice' });
  bob = await createUser(app.services.db, { username: 'insightbob' });
  a = await connect(app, alice);
  b = await connect(app, bob);
  // Portfolios are created at T0 (first use), so a week back from NOW is not cut at their creation.
  expectClean('get-positions', await call(a.client, 'get-positions', {}));
  alicePortfolio = (await app.services.db.select().from(portfolios).where(eq(portfolios.userId, alice.id)))[0]!.id;
  expectClean('get-positions', await call(b.client, 'get-positions', {}));
  bobPortfolio = (await app.services.db.select().from(portfolios).where(eq(portfolios.userId, bob.id)))[0]!.id;
  clock.set(NOW);

  await placeConfirmed(a.client, { symbol: 'BTC/USDT', side: 'buy', quoteQuantity: '500' });
  await placeConfirmed(a.client, { symbol: 'ETH/USDT', side: 'buy', quoteQuantity: '300' });
  await placeConfirmed(b.client, { symbol: 'BTC/USDT', side: 'buy', quoteQuantity: '200' });

  const [w] = await app.services.db.insert(wallets).values({ address: WHALE, chain: 'ethereum' }).returning({ id: wallets.id });
  await app.services.db.insert(walletWatches).values([
    { userId: alice.id, walletId: w!.id, label: 'smart whale' },
    { userId: bob.id, walletId: w!.id, label: 'bobs secret name' },
  ]);
  await app.services.db.insert(walletScores).values([
    { walletId: w!.id, scoredAt: new Date(NOW - 5 * HOUR), credibility4h: '3' },
    { walletId: w!.id, scoredAt: new Date(NOW - HOUR), credibility4h: '8.25' },
  ]);
  await app.services.db.insert(marketBias).values([
    { asset: 'BTC', timeframe: '4h', observedAt: new Date(NOW - 6 * HOUR), value: '-0.3', confidence: '0.5' },
    { asset: 'BTC', timeframe: '4h', observedAt: new Date(NOW - 2 * HOUR), value: '0.45', confidence: '0.7' },
  ]);
  // As a whale-following bot's entry records it (trading-service): the opened position names the wallet.
  const rows = await app.services.db.select().from(positions).where(eq(positions.portfolioId, alicePortfolio));
  btcPosition = rows.find((r) => r.symbol === 'BTC/USDT')!.id;
  await app.services.db.update(positions).set({ signalWalletId: w!.id }).where(eq(positions.id, btcPosition));

  // Closed positions: 03-04 (+7), 03-05 (+10 held 1 h, −4 held 3 h from its times), 03-06 (+5.5 held 30 min); bob's +1000 on 03-05.
  await closed(alice.id, alicePortfolio, '2025-03-04T08:00:00Z', '2025-03-04T09:00:00Z', '7', 3600);
  await closed(alice.id, alicePortfolio, '2025-03-05T10:00:00Z', '2025-03-05T11:00:00Z', '10', 3600);
  await closed(alice.id, alicePortfolio, '2025-03-05T09:00:00Z', '2025-03-05T12:00:00Z', '-4', null);
  await closed(alice.id, alicePortfolio, '2025-03-06T23:00:00Z', '2025-03-06T23:30:00Z', '5.5', 1800);
  await closed(bob.id, bobPortfolio, '2025-03-05T10:00:00Z', '2025-03-05T11:00:00Z', '1000', 3600);
}, 120_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await app?.close();
});

describe('get-positions: the whale and the bias behind an open position', () => {
  it('names the wallet by the user\'s own label, its latest 4h credibility and BTC\'s latest bias; a position with neither gets no line', async () => {
    const r = await call(a.client, 'get-positions', {});
    const t = expectClean('get-positions', r);
    expect(t).toContain(`• BTC/USDT (${btcPosition.slice(0, 8)}): opened on a move by smart whale (0x0000…00a1), 4h credibility 8.3/10 · BTC bias +0.45 (bullish)`);
    expect(t, 'an ETH position with no whale and no ETH bias says nothing more').not.toMatch(/• ETH\/USDT/);
    expect(t, 'bob\'s label for the same wallet is his').not.toContain('bobs secret name');
    const insights = (r.structuredContent as { insights: unknown[] }).insights;
    expect(insights).toEqual([
      { positionId: btcPosition, symbol: 'BTC/USDT', signalWallet: { id: expect.any(String), shortAddress: '0x0000…00a1', label: 'smart whale' }, walletCredibility4h: 8.25, currentBias: 0.45 },
    ]);
  });

  it('another user sees the bias of his own BTC position, never alice\'s whale or positions', async () => {
    const r = await call(b.client, 'get-positions', {});
    const t = expectClean('get-positions', r);
    const insights = (r.structuredContent as { insights: Array<{ positionId: string; signalWallet: unknown; currentBias: number }> }).insights;
    expect(insights).toHaveLength(1);
    expect(insights[0]!.positionId).not.toBe(btcPosition);
    expect(insights[0]).toMatchObject({ signalWallet: null, currentBias: 0.45 });
    expect(t).not.toMatch(/whale|credibility/);
    // Read with no user filter at all, the view inside bob's scope still holds only his row.
    expect((await openPositionInsights(app.services.db, bob.id, alicePortfolio)), 'alice\'s portfolio through bob\'s scope').toEqual([]);
  });

  it('closed positions carry no whale lines', async () => {
    const t = expectClean('get-positions', await call(a.client, 'get-positions', { status: 'closed' }));
    expect(t).not.toContain('Whales and bias');
  });
});

describe('get-performance: closed positions per UTC day', () => {
  it('the week shows whole days from 03-05, hand-worked, and none of bob\'s trades', async () => {
    const r = await call(a.client, 'get-performance', { period: 'week' });
    const t = expectClean('get-performance', r);
    const days = (r.structuredContent as { closedByDay: unknown[] }).closedByDay;
    expect(days).toEqual([
      { date: '2025-03-05', trades: 2, winRate: 0.5, totalPnl: expect.stringMatching(/^6(\.0+)?$/), bestTrade: expect.stringMatching(/^10(\.0+)?$/), worstTrade: expect.stringMatching(/^-4(\.0+)?$/), averageHoldingSeconds: 7200 },
      { date: '2025-03-06', trades: 1, winRate: 1, totalPnl: expect.stringMatching(/^5\.50*$/), bestTrade: expect.stringMatching(/^5\.50*$/), worstTrade: expect.stringMatching(/^5\.50*$/), averageHoldingSeconds: 1800 },
    ]);
    expect(t).toContain('Closed positions per UTC day');
    const cells = (day: string): string[] => (t.split('\n').find((l) => l.includes(day)) ?? '').split(/[\s│|]+/u).filter(Boolean);
    expect(cells('2025-03-05')).toEqual(['2025-03-05', '2', '50%', '+6.00', '+10.00', '-4.00', '2h', '00m']);
    expect(cells('2025-03-06')).toEqual(['2025-03-06', '1', '100%', '+5.50', '+5.50', '+5.50', '30m']);
    expect(t).not.toContain('2025-03-04');
    expect(t, 'bob\'s +1,000 is his').not.toContain('1,000');
  });

  it('all time reaches back to 03-04; a period with no closed positions has no table', async () => {
    const all = await dailyClosedPerformance(app.services.db, alice.id, alicePortfolio, new Date(T0));
    expect(all.map((d) => [d.date, d.trades])).toEqual([['2025-03-04', 1], ['2025-03-05', 2], ['2025-03-06', 1]]);
    const t = expectClean('get-performance', await call(a.client, 'get-performance', { period: 'day' }));
    expect(t).not.toContain('Closed positions per UTC day');
    expect(await dailyClosedPerformance(app.services.db, bob.id, alicePortfolio, new Date(T0)), 'alice\'s days through bob\'s scope').toEqual([]);
  });

  it('holding times read as people say them', () => {
    expect([holdingText(45), holdingText(720), holdingText(3 * 3600 + 5 * 60), holdingText(2 * 86_400 + 4 * 3600), holdingText(null)]).toEqual(['45s', '12m', '3h 05m', '2d 4h', '—']);
  });
});
