// get-market-bias through the real in-process MCP client on stored whale events, analyses and
// scores: the hand-worked bias per timeframe as words and numbers, confidence, counts, top
// contributors (the asker's own labels only), "not advice"; the empty answer; nothing written.
// And analyze-market's "Whale bias" line once a bias of the asset is stored.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import type { InProcessClient } from '../../../src/mcp/in-process.js';
import { actorFor } from '../../../src/services/actor.js';
import { createUser, type User } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { HOUR_MS, retract, storeScore, storeWhaleEvent } from '../../services/wallets/whale-fixtures.js';
import { call, connect, expectClean, expectRefused } from '../harness.js';

const WHALE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const OTHER = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const MIN = 60_000;

let app: TestApp;
let alice: User;
let bob: User;
let a: InProcessClient;
let b: InProcessClient;

const biasRows = async (): Promise<number> => (await queryRows<{ n: number }>(app.database.db, sql`select count(*)::int n from market_bias`))[0]!.n;

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' });
  alice = await createUser(app.database.db, { username: 'alice' });
  bob = await createUser(app.database.db, { username: 'bob' });
  a = await connect(app, alice);
  b = await connect(app, bob);
  const whale = (await app.services.wallets.watch(actorFor(alice.id, 'terminal'), { address: WHALE.toLowerCase(), label: 'smart whale' })).walletId;
  const other = (await app.services.wallets.watch(actorFor(bob.id, 'terminal'), { address: OTHER.toLowerCase() })).walletId;
  const now = app.services.clock.now().getTime();
  const db = app.database.db;
  await storeScore(db, whale, new Date(now - 3 * HOUR_MS), { h1: 5, h4: 8, h24: 6 });
  await storeWhaleEvent(db, { walletId: whale, address: WHALE, at: new Date(now - 50 * MIN), kind: 'buy', asset: 'ETH', amount: '300', notionalUsd: '1000000' });
  await storeWhaleEvent(db, { walletId: other, address: OTHER, at: new Date(now - 2 * HOUR_MS), kind: 'deposit', asset: 'WETH', amount: '30', notionalUsd: '100000' });
  const orphan = await storeWhaleEvent(db, { walletId: other, address: OTHER, at: new Date(now - 20 * MIN), kind: 'sell', asset: 'ETH', amount: '20000', notionalUsd: '60000000' });
  await retract(db, orphan, new Date(now - 5 * MIN));
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await app?.close();
});

describe('get-market-bias', () => {
  it('answers the bias per timeframe with confidence, counts and top contributors, writing nothing', async () => {
    const before = await biasRows();
    const t = expectClean('get-market-bias', await call(a.client, 'get-market-bias', { symbol: 'ETH' }));
    // 1h: the buy alone (1 h credibility 5): +0.60, confidence 0.28125 / 1.28125.
    // 4h: + the WETH deposit (no 4 h score: 2): (0.27 − 0.02275) / 0.515 = +0.48, confidence 0.29.
    // 24h: credibility 6: (0.2025 − 0.02275) / 0.4025 = +0.45, confidence 0.23. The retracted $60M sale never counts.
    expect(t).toBe(
      [
        'ETH whale bias (watched wallets\' moves weighted by their track record):',
        '• 1h: bullish +0.60, confidence 0.22 from 1 event by 1 wallet',
        '• 4h: bullish +0.48, confidence 0.29 from 2 events by 2 wallets',
        '• 24h: bullish +0.45, confidence 0.23 from 2 events by 2 wallets',
        'Top contributors (24h): smart whale (0x5aAe…eAed) +0.50 over 1 event, credibility 6.0/10; 0xfB69…d359 -0.06 over 1 event, not scored yet',
        'This is a statistic of past on-chain moves, not advice.',
      ].join('\n'),
    );
    const theirs = expectClean('get-market-bias', await call(b.client, 'get-market-bias', { symbol: 'weth', timeframe: '24h' }));
    expect(theirs, 'bob sees no label of alice\'s').toContain('Top contributors (24h): 0x5aAe…eAed +0.50 over 1 event');
    expect(theirs).not.toContain('smart whale');
    const one = await call(a.client, 'get-market-bias', { symbol: 'ETH/USDT', timeframe: '1h' });
    expect((one.structuredContent as { asset: string; biases: Array<{ timeframe: string; value: number; events: number }> }).biases.map((x) => [x.timeframe, x.value, x.events])).toEqual([['1h', 0.6, 1]]);
    expect(await biasRows(), 'a read-only tool stores nothing').toBe(before);
  });

  it('says so when there are no whale events', async () => {
    expect(expectClean('get-market-bias', await call(a.client, 'get-market-bias', { symbol: 'SOL' }))).toBe('No whale events for SOL in the last 24h.');
    expect(expectClean('get-market-bias', await call(a.client, 'get-market-bias', { symbol: 'BTC/USDT', timeframe: '1h' }))).toBe('No whale events for BTC in the last 1h.');
    expectRefused('get-market-bias', await call(a.client, 'get-market-bias', { symbol: 'USDT' }), /stablecoin/);
  });

  it('shows a stored bias in analyze-market', async () => {
    const plain = expectClean('analyze-market', await call(a.client, 'analyze-market', { symbol: 'ETH/USDT', timeframe: '1h' }));
    expect(plain, 'no stored bias yet: no line').not.toContain('Whale bias');
    await app.services.walletBias.refresh('ETH');
    const withBias = expectClean('analyze-market', await call(a.client, 'analyze-market', { symbol: 'ETH/USDT', timeframe: '1h' }));
    expect(withBias).toMatch(/\nWhale bias: 1h bullish \+0\.60 \(confidence 0\.22, 1 event, 1 wallet\); 4h bullish \+0\.48 \(confidence 0\.29, 2 events, 2 wallets\); 24h bullish \+0\.45 .*not advice\.\n/);
    const btc = expectClean('analyze-market', await call(a.client, 'analyze-market', { symbol: 'BTC/USDT', timeframe: '1h' }));
    expect(btc).not.toContain('Whale bias');
  });
});
