// Whale pushes end to end: a Hyperliquid trader watched by several users makes fills (served by the
// local /info peer), the ingestion scheduler stores them and then pushes each watcher once per new
// event — with the analysis, the bias in a word and the wallet's 4 h credibility — and never again on
// a second run, a restart or a failed delivery retried. Backfill, dust, retracted and no-exposure
// events are not pushed; a watcher who turned `whale` pushes off gets the alert row but no chat message.
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperliquidInfoClient } from '../../../src/adapters/hyperliquid/index.js';
import { MultiNotifier, type PushChannel } from '../../../src/bot/notify/index.js';
import type { Database } from '../../../src/db/client.js';
import { withTransaction } from '../../../src/db/tx.js';
import { alerts, onchainEvents, walletWatches, type ChatIdentity } from '../../../src/db/schema/index.js';
import { D, type Dec } from '../../../src/domain/money.js';
import type { Notification } from '../../../src/domain/ports.js';
import { classifyEvent } from '../../../src/domain/wallets/classify.js';
import { soleInstance } from '../../../src/services/cluster/leases.js';
import type { Actor } from '../../../src/services/actor.js';
import { createLinkCode, redeemLinkCode } from '../../../src/services/link-codes.js';
import { setNotificationPreference } from '../../../src/services/notification-preferences.js';
import { storeEvents } from '../../../src/services/wallets/event-store.js';
import { HyperliquidIngestion } from '../../../src/services/wallets/hyperliquid-ingestion.js';
import { WalletIngestionScheduler } from '../../../src/services/wallets/ingestion-scheduler.js';
import type { UsdPriceAt } from '../../../src/services/wallets/usd-prices.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { WhalePushes, biasWord, whalePushText } from '../../../src/services/wallets/whale-pushes.js';
import { createLogger } from '../../../src/log.js';
import { createTestDatabase } from '../../support/db.js';
import { HOUR, RecordingNotifier, manualClock, newActor, type ManualClock } from '../market/support.js';
import { startFakeInfoServer, type FakeInfoServer } from '../../adapters/hyperliquid/fake-info-server.js';

const TRADER = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const OTHER = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const KEY = TRADER.toLowerCase();
const HASH_A = `0x${'a1'.repeat(32)}`;
const HASH_B = `0x${'b2'.repeat(32)}`;
const HASH_C = `0x${'c3'.repeat(32)}`;
const HASH_OLD = `0x${'d4'.repeat(32)}`;

let database: Database;
let info: FakeInfoServer;
let clock: ManualClock;
let alice: Actor;
let bob: Actor;
let carol: Actor;
let walletId: string;
let t0: number;

const prices: UsdPriceAt = {
  usdPrice: (asset: string, at: Date): Promise<Dec | null> =>
    Promise.resolve(asset === 'ETH' ? new D(3000).add(new D(20).mul(Math.floor((at.getTime() - t0) / HOUR))) : null),
};

const fill = (time: number, tid: number, hash: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  coin: 'ETH', px: '3000', sz: '10', side: 'B', time, startPosition: '0', dir: 'Open Long', closedPnl: '0.0', hash,
  oid: 1000 + tid, crossed: true, fee: '1.5', tid, feeToken: 'USDC', ...over,
});

/** A chat channel that keeps what it was asked to deliver (the notifier's platform port). */
class RecordingChannel implements PushChannel {
  readonly platform = 'telegram' as const;
  readonly delivered: Array<{ userId: string; n: Notification; silent: boolean }> = [];
  deliver(identity: ChatIdentity, n: Notification, opts: { silent: boolean }): Promise<{ ok: true }> {
    this.delivered.push({ userId: identity.userId, n, silent: opts.silent });
    return Promise.resolve({ ok: true });
  }
}

const logger = createLogger('error');

function scheduler(notifier: RecordingNotifier | MultiNotifier): WalletIngestionScheduler {
  return new WalletIngestionScheduler({
    hyperliquid: new HyperliquidIngestion({ db: database.db, client: new HyperliquidInfoClient({ baseUrl: info.url, timeoutMs: 5_000 }), prices, clock, lookbackMs: 3 * HOUR }),
    whalePushes: new WhalePushes({ db: database.db, notifier, clock }),
    gate: soleInstance,
    logger,
  });
}

async function whaleAlerts(userId: string): Promise<Array<typeof alerts.$inferSelect>> {
  return database.db.select().from(alerts).where(and(eq(alerts.userId, userId), isNull(alerts.ruleId)));
}

beforeAll(async () => {
  database = await createTestDatabase();
  info = await startFakeInfoServer();
  alice = await newActor(database, 'whale-alice');
  bob = await newActor(database, 'whale-bob');
  carol = await newActor(database, 'whale-carol');
  const wallets = new WalletService({ db: database.db });
  const w = await wallets.watch(alice, { address: TRADER, chain: 'hyperliquid', label: 'smart whale' });
  await wallets.watch(bob, { address: TRADER, chain: 'hyperliquid' });
  await wallets.watch(carol, { address: OTHER, chain: 'hyperliquid', label: 'someone else' });
  walletId = w.walletId;
  t0 = w.watchedSince.getTime() + 60_000;
  clock = manualClock(t0 + 5 * HOUR);
  info.states.set(KEY, { marginSummary: { accountValue: '300000', totalNtlPos: '60000', totalRawUsd: '0', totalMarginUsed: '3000' }, withdrawable: '250000', assetPositions: [], time: t0 });
});

afterAll(async () => {
  await info.close();
  await database.close();
});

describe('whale push text', () => {
  it('says the bias in a word and shows the label, amount, notional and credibility as plain text', () => {
    expect([biasWord(0.8), biasWord(0.4), biasWord(0.1), biasWord(0), biasWord(-0.6), biasWord(null)]).toEqual([
      'strongly bullish', 'bullish', 'mildly bullish', 'neutral', 'strongly bearish', 'neutral',
    ]);
    const t = whalePushText({
      chain: 'hyperliquid', address: TRADER, label: 'big <b>fish</b>\u0007', occurredAt: new Date(Date.UTC(2026, 0, 2, 3, 4)), eventType: 'perp_open_long', asset: 'ETH',
      amount: new D('10'), notionalUsd: new D('1234567'), classification: 'position_open', narrative: 'went long', biasImpact: 0.45,
      credibility: { credibility4h: 7.126, samples: 12, scoredAt: new Date() },
    });
    expect(t.title).toBe('🐋 big b fish /b (0x5aAe…eAed): position open 10 ETH (≈ $1.2M)');
    expect(t.body).toBe('went long\nBias: bullish for ETH.\nCredibility (4h): 7.1/10 over 12 past moves.\nOn hyperliquid, 2026-01-02 03:04 UTC.');
  });
});

describe('whale pushes after ingestion', () => {
  it('pushes each watcher once per new event, with analysis and credibility; backfill and dust are not pushed', async () => {
    info.fills.set(KEY, [
      fill(t0 + 2000, 12, HASH_B, { sz: '2' }), // $6,000: under the floor
      fill(t0, 11, HASH_A), // $30,000: pushed
      fill(t0 - 2 * HOUR, 10, HASH_OLD), // before the watches began: backfill
    ]);
    const notifier = new RecordingNotifier();
    await scheduler(notifier).runOnce();
    const stored = await database.db.select().from(onchainEvents).where(eq(onchainEvents.walletId, walletId));
    expect(stored, 'all three fills are stored').toHaveLength(3);
    expect(notifier.sent.map((n) => [n.userId, n.kind]).sort(), 'one push each for alice and bob, none for carol').toEqual(
      [[alice.userId, 'whale'], [bob.userId, 'whale']].sort(),
    );
    const forAlice = notifier.sent.find((n) => n.userId === alice.userId)!;
    const forBob = notifier.sent.find((n) => n.userId === bob.userId)!;
    expect(forAlice.title, "alice's own label names the wallet").toBe('🐋 smart whale (0x5aAe…eAed): position open 10 ETH (≈ $30k)');
    expect(forBob.title, 'bob gave no label: the short address').toBe('🐋 0x5aAe…eAed: position open 10 ETH (≈ $30k)');
    expect(forAlice.body).toMatch(/^0x5aAe…eAed went from flat to long 10 ETH perp.*\nBias: (mildly |strongly )?bullish for ETH\.\nCredibility \(4h\): \d+\.\d\/10 over 3 past moves\.\nOn hyperliquid, /);
    expect(forAlice.body, 'no tags or JSON in the person text').not.toMatch(/[<>{}]/);
    const rows = await whaleAlerts(alice.userId);
    expect(rows.map((r) => [r.category, r.triggerKey, r.isSent])).toEqual([['onchain', `wallet-event:${stored.find((e) => e.txHash === HASH_A)!.id}`, true]]);

    // A second run, and a restarted pusher, push nothing again.
    clock.advance(60_000);
    await scheduler(notifier).runOnce();
    await new WhalePushes({ db: database.db, notifier, clock }).runOnce();
    expect(notifier.sent, 'nothing pushed twice').toHaveLength(2);
    expect(await whaleAlerts(bob.userId)).toHaveLength(1);
    expect(await whaleAlerts(carol.userId)).toHaveLength(0);
  });

  it('retries a failed delivery on the next run, once, and skips a watch started after the event', async () => {
    // Dave starts watching after the next fill: it is not "since his watch".
    const dave = await newActor(database, 'whale-dave');
    await new WalletService({ db: database.db }).watch(dave, { address: TRADER, chain: 'hyperliquid', label: 'late' });
    await database.db.update(walletWatches).set({ createdAt: new Date(t0 + 4 * HOUR) }).where(eq(walletWatches.userId, dave.userId));
    info.fills.set(KEY, [fill(t0 + 3 * HOUR, 13, HASH_C, { side: 'A', dir: 'Close Long', startPosition: '12', sz: '12', closedPnl: '480', px: '3060' }), ...info.fills.get(KEY)!]);
    const notifier = new RecordingNotifier();
    notifier.failNext = 1;
    clock.advance(60_000);
    await scheduler(notifier).runOnce();
    expect(notifier.sent, 'one of the two pushes failed').toHaveLength(1);
    const unsent = [...(await whaleAlerts(alice.userId)), ...(await whaleAlerts(bob.userId))].filter((a) => !a.isSent);
    expect(unsent, 'the failed one is released for a retry').toHaveLength(1);
    clock.advance(60_000);
    await scheduler(notifier).runOnce();
    clock.advance(60_000);
    await scheduler(notifier).runOnce();
    expect(notifier.sent.map((n) => n.userId).sort(), 'each of alice and bob got the close exactly once').toEqual([alice.userId, bob.userId].sort());
    expect(notifier.sent[0]!.title).toMatch(/position close 12 ETH \(≈ \$37k\)$/);
    expect(notifier.sent[0]!.body).toContain('Bias: ');
    expect(await whaleAlerts(dave.userId), 'a move before the watch began is not pushed').toHaveLength(0);
  });

  it('does not push retracted, no-exposure or unpriced events, and honours a watcher who turned whale pushes off', async () => {
    const at = new Date(clock.now().getTime() - 60_000);
    const base = { walletId, chain: 'hyperliquid', occurredAt: at, blockNumber: null, blockHash: null, venue: 'hyperliquid', gasPrice: null, rawData: {} };
    const analysis = (kind: 'open' | 'none') =>
      classifyEvent({ kind: 'perp', wallet: TRADER, coin: 'ETH', startPosition: new D(0), endPosition: kind === 'open' ? new D(-50) : new D(0), notionalUsd: new D(150_000) });
    const ev = (hash: string, over: Partial<Parameters<typeof storeEvents>[1][number]>) => ({
      ...base, txHash: hash, logIndex: 0, eventType: 'perp_open_short', asset: 'ETH', amount: new D(50), notionalUsd: new D(150_000), sizeFraction: null, analysis: analysis('open'), ...over,
    });
    const hashes = ['e1', 'e2', 'e3', 'e4'].map((h) => `0x${h.repeat(32)}`);
    const r = await withTransaction(database.db, (tx) =>
      storeEvents(tx, [
        ev(hashes[0]!, {}), // retracted below
        ev(hashes[1]!, { analysis: analysis('none') }), // no_change
        ev(hashes[2]!, { notionalUsd: null }), // unpriced
        ev(hashes[3]!, {}), // pushed
      ]),
    );
    await database.db.update(onchainEvents).set({ retractedAt: clock.now() }).where(eq(onchainEvents.txHash, hashes[0]!));
    expect(r.inserted).toBe(4);
    // Bob turns whale pushes off; both get a chat identity so delivery is real.
    for (const [who, tg] of [[alice, '7001'], [bob, '7002']] as const) {
      const { code } = await createLinkCode(database.db, who);
      await redeemLinkCode(database.db, code, { platform: 'telegram', externalUserId: tg, chatId: tg });
    }
    await setNotificationPreference(database.db, bob, 'whale', 'off');
    const channel = new RecordingChannel();
    const notifier = new MultiNotifier({ db: database.db, logger, channels: [channel] });
    const report = await new WhalePushes({ db: database.db, notifier, clock }).runOnce();
    expect(report.recorded, 'one event qualifies, for alice, bob and dave (who has no chat linked)').toBe(3);
    expect(channel.delivered.map((d) => d.userId), 'bob asked for no whale pushes').toEqual([alice.userId]);
    expect(channel.delivered[0]!.n.title).toBe('🐋 smart whale (0x5aAe…eAed): position open 50 ETH (≈ $150k)');
    expect(channel.delivered[0]!.n.body).toContain('Bias: bearish for ETH.');
    const last = (await whaleAlerts(bob.userId)).find((a) => a.triggerKey?.endsWith(r.ids[3]!));
    expect(last, 'the alert is still recorded for bob').toBeDefined();
  });
});
