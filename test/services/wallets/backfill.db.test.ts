// Backfill of a newly watched wallet's history (backfill.ts), against the fake EVM JSON-RPC peer and
// the fake Hyperliquid /info server: the range stops where the main ingestion took over, work goes
// in bounded steps that resume where they stopped, a replayed step stores nothing twice, and
// backfilled events are history — never the first since watch, never pushed, never a whale condition
// — even when their block time lies after the watch began (so only the backfill mark can keep them
// quiet). Input limits and wrong-chain options are refused with a way out.
import { asc, eq } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HyperliquidInfoClient } from '../../../src/adapters/hyperliquid/index.js';
import type { Database } from '../../../src/db/client.js';
import { eventAnalyses, ingestionCursors, onchainEvents } from '../../../src/db/schema/index.js';
import { D, type Dec } from '../../../src/domain/money.js';
import { MAX_BACKFILL_BLOCKS, backfillSource } from '../../../src/services/wallets/backfill.js';
import { EvmIngestion, MAINNET_TOKENS } from '../../../src/services/wallets/evm-ingestion.js';
import { HyperliquidIngestion } from '../../../src/services/wallets/hyperliquid-ingestion.js';
import type { UsdPriceAt } from '../../../src/services/wallets/usd-prices.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { loadWhaleMoves } from '../../../src/services/wallets/whale-moves.js';
import { WhalePushes } from '../../../src/services/wallets/whale-pushes.js';
import { createTestDatabase } from '../../support/db.js';
import { startFakeInfoServer, type FakeInfoServer } from '../../adapters/hyperliquid/fake-info-server.js';
import { HOUR, RecordingNotifier, manualClock, newActor, rejection } from '../market/support.js';
import { startFakeEvmRpc, swapV2Log, transferLog, type FakeEvmRpc } from './fake-evm-rpc.js';

const WHALE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const STRANGER = '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB';
const BINANCE = '0x28C6c06298d514Db089934071355E5743bf21d60';
const WETH = '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2';
const USDC = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';
const PAIR = '0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc';
const ETHER = 10n ** 18n;
const USDC_UNIT = 1_000_000n;
const DAY = 86_400_000;

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function rows(database: Database, walletId: string): Promise<Array<typeof onchainEvents.$inferSelect>> {
  return database.db.select().from(onchainEvents).where(eq(onchainEvents.walletId, walletId)).orderBy(asc(onchainEvents.occurredAt), asc(onchainEvents.logIndex));
}

async function backfillRow(database: Database, chain: string, walletId: string): Promise<Record<string, unknown> | undefined> {
  const [r] = await database.db.select().from(ingestionCursors).where(eq(ingestionCursors.source, backfillSource(chain, walletId)));
  return r?.position;
}

describe('watch-wallet backfill input', () => {
  it('refuses a backfill beyond its bound or on the wrong chain, with the fix', async () => {
    const database = await createTestDatabase();
    open.push(database);
    const actor = await newActor(database, 'limits');
    const service = new WalletService({ db: database.db });
    const tooMany = await rejection(service.watch(actor, { address: WHALE, backfillBlocks: MAX_BACKFILL_BLOCKS + 1 }));
    expect(tooMany.message).toMatch(/backfillBlocks must be at most 50000/);
    expect((await rejection(service.watch(actor, { address: WHALE, chain: 'hyperliquid', backfillDays: 31 }))).message).toMatch(/at most 30/);
    const wrong = await rejection(service.watch(actor, { address: WHALE, chain: 'hyperliquid', backfillBlocks: 10 }));
    expect([wrong.message, wrong.hint]).toEqual(['backfillBlocks is for Ethereum wallets', 'for a Hyperliquid trader give backfillDays (1–30) instead']);
    expect((await rejection(service.watch(actor, { address: WHALE, backfillDays: 3 }))).hint).toMatch(/backfillBlocks/);
    expect(await database.db.select().from(ingestionCursors), 'nothing queued by a refused watch').toEqual([]);
  });
});

describe('EVM backfill', () => {
  it('ingests the history below the chain cursor once, in resumable steps, quiet: never first since watch, pushed or a whale condition', async () => {
    const database = await createTestDatabase();
    open.push(database);
    const actor = await newActor(database, 'backfiller');
    const service = new WalletService({ db: database.db });
    const watched = await service.watch(actor, { address: WHALE, label: 'smart whale', backfillBlocks: 10 });
    expect(watched.backfill, 'queued').toBe(true);
    expect(await backfillRow(database, 'ethereum', watched.walletId)).toEqual({ kind: 'evm', walletId: watched.walletId, blocks: 10, fromBlock: null, toBlock: null, next: null, done: false });
    // Every block is stamped after the watch began: only the backfill mark can keep the history quiet.
    const genesis = Math.floor(watched.watchedSince.getTime() / 1000) + 60;
    const chain: FakeEvmRpc = await startFakeEvmRpc({ genesisTime: genesis });
    open.push(chain);
    chain.mine([{ from: STRANGER, to: USDC, logs: [transferLog(USDC, STRANGER, WHALE, 2_000_000n * USDC_UNIT)] }]); // 1: $2M in
    chain.mine([{ from: STRANGER, to: WHALE, value: 7n * ETHER }]); // 2: plain ETH: not indexed, not backfilled
    chain.mine([
      {
        from: WHALE,
        to: PAIR,
        logs: [transferLog(USDC, WHALE, PAIR, 300_000n * USDC_UNIT), transferLog(WETH, PAIR, WHALE, 100n * ETHER), swapV2Log(PAIR, WHALE, WHALE, 300_000n * USDC_UNIT, 0n, 0n, 100n * ETHER)],
      },
    ]); // 3: a $300k swap into WETH
    chain.mine([{ from: WHALE, to: USDC, logs: [transferLog(USDC, WHALE, BINANCE, 500_000n * USDC_UNIT)] }]); // 4: $500k deposit to Binance
    chain.mineEmpty(2); // head 6
    const ingestion = (): EvmIngestion =>
      new EvmIngestion({
        db: database.db,
        rpcUrl: chain.url,
        confirmations: 1,
        maxBlocksPerStep: 5,
        startBlock: 5,
        keep: 16,
        exchanges: new Map([[BINANCE, 'Binance']]),
        pools: new Map([[PAIR, { token0: USDC, token1: WETH }]]),
        tokens: MAINNET_TOKENS,
        maxBackfillStepsPerRun: 2,
        backfillLogRange: 2,
        sleep: () => Promise.resolve(),
      });

    // Run 1: the cursor starts at block 5 and reaches the tip, 6; the backfill's range becomes 0…6, two steps of two blocks.
    const first = await ingestion().runOnce();
    expect(first.status, first.message ?? '').toBe('ok');
    expect([first.blocksProcessed, first.backfillBlocks]).toEqual([2, 4]);
    expect(await backfillRow(database, 'ethereum', watched.walletId)).toMatchObject({ fromBlock: 0, toBlock: 6, next: 4, done: false });
    let stored = await rows(database, watched.walletId);
    expect(stored.map((e) => [e.blockNumber, e.eventType, e.asset])).toEqual([
      [1, 'transfer', 'USDC'],
      [3, 'transfer', 'USDC'],
      [3, 'transfer', 'WETH'],
      [3, 'swap', 'WETH'],
    ]);

    // Run 2 finishes it; the deposit of block 4 arrives, the plain ETH transfer of block 2 does not.
    const second = await ingestion().runOnce();
    expect(second.backfillBlocks).toBe(3);
    expect(await backfillRow(database, 'ethereum', watched.walletId)).toMatchObject({ next: 7, done: true });
    stored = await rows(database, watched.walletId);
    expect(stored.map((e) => [e.blockNumber, e.eventType, e.venue])).toEqual([
      [1, 'transfer', null],
      [3, 'transfer', null],
      [3, 'transfer', null],
      [3, 'swap', 'uniswap_v2'],
      [4, 'deposit_exchange', 'Binance'],
    ]);
    expect(stored.some((e) => e.amount === '7.000000000000000000'), 'plain ETH transfers are not backfilled').toBe(false);
    expect(stored.map((e) => [(e.rawData as { backfill?: boolean }).backfill, e.isFirstSinceWatch])).toEqual(Array(5).fill([true, false]));

    // A replay of the whole range (the row set back, as a crash before a commit would leave it) stores nothing twice.
    await database.db.update(ingestionCursors).set({ position: { kind: 'evm', walletId: watched.walletId, blocks: 10, fromBlock: 0, toBlock: 6, next: 0, done: false } }).where(eq(ingestionCursors.source, backfillSource('ethereum', watched.walletId)));
    const replay = await ingestion().runOnce();
    expect([replay.backfillBlocks, replay.backfillEvents]).toEqual([4, 0]);
    expect(await rows(database, watched.walletId)).toHaveLength(5);

    // A live move after the backfill: the first since watch, the only push, the only whale condition.
    chain.mine([{ from: WHALE, to: USDC, logs: [transferLog(USDC, WHALE, BINANCE, 400_000n * USDC_UNIT)] }]); // 7
    chain.mineEmpty(1);
    await ingestion().runOnce();
    stored = await rows(database, watched.walletId);
    expect(stored.map((e) => [e.blockNumber, e.isFirstSinceWatch, (e.rawData as { backfill?: boolean }).backfill ?? false])).toEqual([
      [1, false, true],
      [3, false, true],
      [3, false, true],
      [3, false, true],
      [4, false, true],
      [7, true, false],
    ]);
    const clock = manualClock((genesis + 3600) * 1000);
    const notifier = new RecordingNotifier();
    const pushed = await new WhalePushes({ db: database.db, notifier, clock }).runOnce();
    expect(pushed.recorded, 'only the live deposit').toBe(1);
    expect(notifier.sent.map((n) => n.title)).toEqual(['🐋 smart whale (0x5aAe…eAed): exchange deposit 400,000 USDC (≈ $400k)']);
    // The backfilled WETH buy is directional (it would count), yet no whale condition sees it.
    const swap = stored.find((e) => e.eventType === 'swap')!;
    const [analysis] = await database.db.select().from(eventAnalyses).where(eq(eventAnalyses.eventId, swap.id));
    expect(Number(analysis!.biasImpact), 'a buy: bullish').toBeGreaterThan(0);
    expect(await loadWhaleMoves(database.db, ['ETH'], new Date(genesis * 1000 - HOUR), clock.now()), 'backfilled moves never fire a whale condition').toEqual([]);

    // A wallet is backfilled once: asking again adds nothing.
    const again = await service.watch(actor, { address: WHALE, backfillBlocks: 50 });
    expect(again.backfill).toBe(false);
    expect(await backfillRow(database, 'ethereum', watched.walletId)).toMatchObject({ blocks: 10, done: true });
  });
});

describe('Hyperliquid backfill', () => {
  let info: FakeInfoServer | undefined;
  afterAll(async () => info?.close());

  it('pages the days before the first watch once, marked as history; the live poll goes on from the watch', async () => {
    const database = await createTestDatabase();
    open.push(database);
    info = await startFakeInfoServer();
    const actor = await newActor(database, 'perpbackfill');
    const service = new WalletService({ db: database.db });
    const w = await service.watch(actor, { address: WHALE, chain: 'hyperliquid', label: 'degen', backfillDays: 2 });
    const start = w.watchedSince.getTime();
    expect(await backfillRow(database, 'hyperliquid', w.walletId)).toEqual({ kind: 'hyperliquid', walletId: w.walletId, fromTime: start - 2 * DAY, untilTime: start, next: start - 2 * DAY, done: false });
    const key = WHALE.toLowerCase();
    const fill = (time: number, tid: number, hash: string, sz = '10'): Record<string, unknown> => ({
      coin: 'ETH', px: '3000', sz, side: 'B', time, startPosition: '0', dir: 'Open Long', closedPnl: '0.0', hash, oid: 1000 + tid, crossed: true, fee: '1.5', tid, feeToken: 'USDC',
    });
    const H = (n: number): string => `0x${n.toString(16).padStart(2, '0').repeat(32)}`;
    info.fills.set(key, [
      fill(start + 60_000, 5, H(5)), // live: after the watch
      fill(start - HOUR, 4, H(4)), // backfill
      fill(start - DAY, 3, H(3)), // backfill
      fill(start - 3 * DAY, 2, H(2)), // older than the 2 days asked
    ]);
    info.states.set(key, { marginSummary: { accountValue: '300000', totalNtlPos: '0', totalRawUsd: '0', totalMarginUsed: '0' }, withdrawable: '300000', assetPositions: [], time: start });
    const prices: UsdPriceAt = { usdPrice: (): Promise<Dec | null> => Promise.resolve(new D(3000)) };
    const clock = manualClock(start + 2 * HOUR);
    const ingestion = (): HyperliquidIngestion =>
      new HyperliquidIngestion({ db: database.db, client: new HyperliquidInfoClient({ baseUrl: info!.url, timeoutMs: 5_000 }), prices, clock, sleep: () => Promise.resolve() });

    const first = await ingestion().runOnce();
    expect(first.traders.map((t) => [t.status, t.eventsInserted])).toEqual([['ok', 1]]);
    expect(first.backfills.map((b) => [b.eventsInserted, b.done])).toEqual([[2, true]]);
    const stored = await rows(database, w.walletId);
    expect(stored.map((e) => [(e.rawData as { tid: number }).tid, e.isFirstSinceWatch, (e.rawData as { backfill?: boolean }).backfill ?? false, e.sizeFraction])).toEqual([
      [3, false, true, null],
      [4, false, true, null],
      [5, true, false, '0.1000000000'],
    ]);
    expect(await backfillRow(database, 'hyperliquid', w.walletId)).toMatchObject({ next: start, done: true });

    // Done is done: the next run asks nothing more for it and stores nothing twice.
    const second = await ingestion().runOnce();
    expect(second.backfills).toEqual([]);
    expect(await rows(database, w.walletId)).toHaveLength(3);
    const notifier = new RecordingNotifier();
    expect((await new WhalePushes({ db: database.db, notifier, clock }).runOnce()).recorded, 'only the live fill').toBe(1);
  });
});
