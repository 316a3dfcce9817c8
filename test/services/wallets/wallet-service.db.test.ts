import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperliquidInfoClient } from '../../../src/adapters/hyperliquid/index.js';
import type { Database } from '../../../src/db/client.js';
import { auditLogs, onchainEvents, walletScores, walletWatches, wallets } from '../../../src/db/schema/index.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import { createUser } from '../../../src/services/users.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { createTestDatabase } from '../../support/db.js';
import { newActor, rejection } from '../market/support.js';
import { startFakeInfoServer, type FakeInfoServer } from '../../adapters/hyperliquid/fake-info-server.js';

const WHALE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const TRADER = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
/** WHALE with two letters' case swapped: a wrong EIP-55 checksum. */
const BAD_CHECKSUM = '0x5AaEb6053F3E94C9b9A09f33669435E7Ef1BeAed';

let database: Database;
let info: FakeInfoServer;
let service: WalletService;
let alice: Actor;
let bob: Actor;

beforeAll(async () => {
  database = await createTestDatabase();
  info = await startFakeInfoServer();
  service = new WalletService({ db: database.db, hyperliquid: new HyperliquidInfoClient({ baseUrl: info.url, timeoutMs: 5_000 }) });
  alice = await newActor(database, 'alice');
  bob = await newActor(database, 'bob');
});

afterAll(async () => {
  await info.close();
  await database.close();
});

async function counts(): Promise<{ wallets: number; watches: number; audit: number }> {
  const [w] = await database.db.select({ n: count() }).from(wallets);
  const [ww] = await database.db.select({ n: count() }).from(walletWatches);
  const [a] = await database.db.select({ n: count() }).from(auditLogs);
  return { wallets: w!.n, watches: ww!.n, audit: a!.n };
}

describe('WalletService', () => {
  it('watches a wallet by its lower-case address, stores it checksummed, and updates label and tags on a re-watch', async () => {
    const first = await service.watch(alice, { address: WHALE.toLowerCase(), label: 'smart whale', tags: ['eth', 'fund'] });
    expect(first.created).toBe(true);
    expect(first.address).toBe(WHALE);
    expect(first.chain).toBe('ethereum');
    expect(first.shortAddress).toBe('0x5aAe…eAed');
    expect(first.label).toBe('smart whale');
    const again = await service.watch(alice, { address: WHALE, label: 'Fund A', tags: ['otc'] });
    expect(again.created).toBe(false);
    expect([again.walletId, again.label, again.tags]).toEqual([first.walletId, 'Fund A', ['otc']]);
    const mine = await service.list(alice);
    expect(mine.map((w) => [w.address, w.label, w.tags])).toEqual([[WHALE, 'Fund A', ['otc']]]);
    const trail = await database.db.select().from(auditLogs).where(eq(auditLogs.entityId, first.walletId));
    expect(trail.map((r) => r.action).sort()).toEqual(['wallet.watch', 'wallet.watch.update']);
  });

  it('shares the wallet row between users while each keeps its own label and sees only its own watches', async () => {
    const bobs = await service.watch(bob, { address: WHALE, label: 'bobs whale' });
    const alices = (await service.list(alice)).find((w) => w.address === WHALE)!;
    expect(bobs.walletId, 'one shared wallet row per chain and address').toBe(alices.walletId);
    expect(alices.label).toBe('Fund A');
    const [shared] = await database.db.select().from(wallets).where(eq(wallets.id, bobs.walletId));
    expect(shared!.label, "a user's label never lands on the shared row").toBeNull();
    const err = await rejection(service.card(alice, { wallet: 'bobs whale' }));
    expect(err.code, "alice cannot reach bob's watch by bob's label").toBe('not_found');
  });

  it('refuses a label the user already gave another wallet, changing nothing', async () => {
    const before = await counts();
    const err = await rejection(service.watch(alice, { address: TRADER, chain: 'hyperliquid', label: 'fund a' }));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('0x5aAe…eAed');
    expect(await counts()).toEqual(before);
  });

  it('refuses bad input with a message saying what was wrong, changing nothing', async () => {
    const before = await counts();
    const cases: Array<[unknown, RegExp]> = [
      [{ address: '0x1234' }, /exactly 40 hex digits/],
      [{ address: BAD_CHECKSUM }, /wrong checksum/],
      [{ address: WHALE, chain: 'solana' }, /chain must be ethereum or hyperliquid/],
      [{ address: WHALE, label: '' }, /label must not be empty/],
      [{ address: WHALE, tags: Array.from({ length: 11 }, (_, i) => `t${String(i)}`) }, /at most 10 tags/],
      [{ address: WHALE, owner: 'someone' }, /Unrecognized key/],
    ];
    for (const [input, message] of cases) {
      const err = await rejection(service.watch(alice, input as Parameters<WalletService['watch']>[1]));
      expect(err.code, JSON.stringify(input)).toBe('invalid_input');
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain('{');
    }
    expect((await rejection(service.unwatch(alice, { wallet: BAD_CHECKSUM }))).code).toBe('invalid_input');
    expect(await counts()).toEqual(before);
  });

  it('refuses a viewer, who can only read', async () => {
    const viewerUser = await createUser(database.db, { username: `viewer${String(Date.now() % 100000)}`, role: 'viewer' });
    const viewer = actorFor(viewerUser.id, 'terminal');
    const before = await counts();
    expect((await rejection(service.watch(viewer, { address: WHALE }))).code).toBe('forbidden');
    expect(await service.list(viewer)).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('lists with the latest score and last activity, and shows a Hyperliquid card with live positions', async () => {
    const t = await service.watch(alice, { address: TRADER.toLowerCase(), chain: 'hyperliquid', label: 'perp degen' });
    await database.db.insert(walletScores).values([
      { walletId: t.walletId, scoredAt: new Date('2026-01-01T00:00:00Z'), credibility4h: '3.5', equityUsd: '1000', archetype: 'unclassified' },
      { walletId: t.walletId, scoredAt: new Date('2026-01-02T00:00:00Z'), credibility4h: '7.25', equityUsd: '1250345.5', archetype: 'momentum_trader' },
    ]);
    await database.db.insert(onchainEvents).values([
      { walletId: t.walletId, chain: 'hyperliquid', txHash: `0x${'ab'.repeat(32)}`, logIndex: 0, occurredAt: new Date('2026-01-02T01:00:00Z'), eventType: 'perp_open_long', asset: 'ETH', amount: '10' },
      { walletId: t.walletId, chain: 'hyperliquid', txHash: `0x${'cd'.repeat(32)}`, logIndex: 0, occurredAt: new Date('2026-01-02T02:00:00Z'), eventType: 'perp_open_short', asset: 'BTC', amount: '1', retractedAt: new Date() },
    ]);
    await database.db.update(wallets).set({ lastActivityAt: new Date('2026-01-02T01:00:00Z') }).where(eq(wallets.id, t.walletId));
    const list = await service.list(alice);
    expect(list.map((w) => w.label), 'most recently active first').toEqual(['perp degen', 'Fund A']);
    expect(list[0]!.latestScore?.credibility4h).toBe(7.25);
    expect(list[0]!.latestScore?.archetype).toBe('momentum_trader');
    expect(list[1]!.latestScore).toBeNull();

    info.states.set(TRADER.toLowerCase(), {
      marginSummary: { accountValue: '250000.5', totalNtlPos: '301240', totalRawUsd: '0', totalMarginUsed: '15062' },
      withdrawable: '200000',
      assetPositions: [
        {
          type: 'oneWay',
          position: { coin: 'ETH', szi: '-100', leverage: { type: 'cross', value: 20 }, entryPx: '3012.4', positionValue: '301240', unrealizedPnl: '-1200.5', liquidationPx: '5120.77', marginUsed: '15062' },
        },
      ],
      time: 1_767_225_600_123,
    });
    const card = await service.card(alice, { wallet: 'PERP DEGEN' });
    expect(card.account?.accountValue.toFixed()).toBe('250000.5');
    expect(card.account?.positions.map((p) => [p.coin, p.side, p.size.toFixed(), p.leverage])).toEqual([['ETH', 'short', '100', 20]]);
    expect(card.recentEvents.map((e) => e.asset), 'the retracted BTC event is not shown').toEqual(['ETH']);
    expect(card.accountUnavailable).toBeNull();

    info.queue.push({ status: 500, body: 'upstream down' });
    const degraded = await service.card(alice, { wallet: TRADER });
    expect(degraded.account).toBeNull();
    expect(degraded.accountUnavailable).toContain('HTTP 500');
    expect(degraded.recentEvents).toHaveLength(1);
  });

  it('unwatches by label, keeping the shared wallet and its history', async () => {
    const before = await counts();
    const gone = await service.unwatch(alice, { wallet: 'perp degen' });
    expect(gone.address).toBe(TRADER);
    expect((await service.list(alice)).map((w) => w.label)).toEqual(['Fund A']);
    const after = await counts();
    expect(after.watches).toBe(before.watches - 1);
    expect(after.wallets, 'the wallet row stays').toBe(before.wallets);
    const [events] = await database.db.select({ n: count() }).from(onchainEvents).where(eq(onchainEvents.walletId, gone.walletId));
    expect(events!.n).toBe(2);
    const err = await rejection(service.unwatch(alice, { wallet: 'perp degen' }));
    expect(err.code).toBe('not_found');
    expect(err.message).toContain('labelled "perp degen"');
    const [trail] = await database.db.select().from(auditLogs).where(eq(auditLogs.action, 'wallet.unwatch'));
    expect(trail!.entityId).toBe(gone.walletId);
  });
});
