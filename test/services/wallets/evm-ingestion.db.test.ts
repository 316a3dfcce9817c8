import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { eventAnalyses, ingestionCursors, onchainEvents, wallets } from '../../../src/db/schema/index.js';
import { D } from '../../../src/domain/money.js';
import type { Candle } from '../../../src/domain/ports.js';
import { classifyEvent } from '../../../src/domain/wallets/classify.js';
import { NATIVE_TRANSFER_LOG_INDEX } from '../../../src/domain/wallets/evm-events.js';
import { withTransaction } from '../../../src/db/tx.js';
import type { Actor } from '../../../src/services/actor.js';
import { CandleStore } from '../../../src/services/market-data/candle-store.js';
import { storeEvents } from '../../../src/services/wallets/event-store.js';
import { EvmIngestion, MAINNET_TOKENS, type EvmIngestionOptions } from '../../../src/services/wallets/evm-ingestion.js';
import { CandleUsdPrices, type UsdPriceAt } from '../../../src/services/wallets/usd-prices.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { createTestDatabase } from '../../support/db.js';
import { newActor } from '../market/support.js';
import { startFakeEvmRpc, swapV2Log, transferLog, type FakeEvmRpc } from './fake-evm-rpc.js';

const WHALE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const OTHER = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const STRANGER = '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB';
const BINANCE = '0x28C6c06298d514Db089934071355E5743bf21d60';
const WETH = '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2';
const USDC = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';
const PAIR = '0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc';
const ETHER = 10n ** 18n;

interface Env {
  database: Database;
  chain: FakeEvmRpc;
  actor: Actor;
  walletId: string;
  waits: number[];
  ingestion(extra?: Partial<EvmIngestionOptions>): EvmIngestion;
}

const open: Array<{ database: Database; chain: FakeEvmRpc }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.chain.close();
    await o.database.close();
  }
});

/** A database with WHALE watched, and a chain whose blocks all come after the watch began. */
async function setup(node: { blockReceipts?: boolean } = {}): Promise<Env> {
  const database = await createTestDatabase();
  const actor = await newActor(database, 'whalewatcher');
  const service = new WalletService({ db: database.db });
  const watched = await service.watch(actor, { address: WHALE.toLowerCase(), chain: 'ethereum', label: 'smart whale' });
  const chain = await startFakeEvmRpc({ genesisTime: Math.floor(watched.watchedSince.getTime() / 1000) + 60, ...node });
  open.push({ database, chain });
  const waits: number[] = [];
  return {
    database,
    chain,
    actor,
    walletId: watched.walletId,
    waits,
    ingestion: (extra = {}) =>
      new EvmIngestion({
        db: database.db,
        rpcUrl: chain.url,
        confirmations: 1,
        maxBlocksPerStep: 5,
        startBlock: 1,
        keep: 16,
        exchanges: new Map([[BINANCE, 'Binance']]),
        pools: new Map([[PAIR, { token0: USDC, token1: WETH }]]),
        tokens: MAINNET_TOKENS,
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
        ...extra,
      }),
  };
}

/**
 * Whether `event` happens while the caller waits for it (given up after 15 s, so a run without it
 * fails its test instead of hanging; not a timing threshold: the event either comes or never does).
 */
async function happens(event: Promise<void>): Promise<boolean> {
  let giveUp: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([event.then(() => true), new Promise<boolean>((resolve) => (giveUp = setTimeout(() => resolve(false), 15_000)))]);
  clearTimeout(giveUp);
  return outcome;
}

async function events(env: Env): Promise<Array<typeof onchainEvents.$inferSelect>> {
  return env.database.db.select().from(onchainEvents).orderBy(asc(onchainEvents.blockNumber), asc(onchainEvents.logIndex));
}

async function cursorBlock(env: Env): Promise<number | null> {
  const [row] = await env.database.db.select().from(ingestionCursors).where(eq(ingestionCursors.source, 'evm:ethereum'));
  const recent = (row?.position as { recent?: Array<{ number: number }> } | undefined)?.recent;
  return recent?.at(-1)?.number ?? null;
}

describe('EVM ingestion', () => {
  it('stores an ERC-20 transfer and a native transfer to a watched wallet once, with the cursor advanced', async () => {
    const env = await setup();
    const b1 = env.chain.mine([{ from: STRANGER, to: WETH, logs: [transferLog(WETH, STRANGER, WHALE, 250n * ETHER)] }]);
    const b2 = env.chain.mine([{ from: OTHER, to: WHALE, value: 3n * ETHER / 2n }]);
    env.chain.mine([{ from: STRANGER, to: OTHER, value: ETHER }]); // not ours
    env.chain.mine(); // confirms the block before it
    // A WETH price at the first block's time (1-minute candle), so the transfer gets a notional.
    expect(await env.ingestion().loadCursor(env.database.db), 'no cursor before the first run').toBeNull();
    // ETH/USDT 1-minute candles open at each block's time, so both transfers get a notional.
    const store = new CandleStore(env.database);
    const t1 = await fetchBlockTime(env, b1);
    const t2 = await fetchBlockTime(env, b2);
    const minute = (t: number): number => Math.floor(t / 60_000) * 60_000;
    const bar = (t: number, close: string): Candle => ({
      symbol: 'ETH/USDT', exchange: 'binance', timeframe: '1m', openTime: new Date(minute(t)),
      open: new D(3000), high: new D(3100), low: new D(2990), close: new D(close), volume: new D(10),
    });
    const sameMinute = minute(t1) === minute(t2);
    await store.ingest(sameMinute ? [bar(t1, '3050.5')] : [bar(t1, '3050.5'), bar(t2, '3060')], { now: new Date(t2 + 3_600_000) });

    const report = await env.ingestion({ prices: new CandleUsdPrices(store, 'binance') }).runOnce();
    expect(report.status, report.message ?? '').toBe('ok');
    expect(report.eventsInserted).toBe(2);
    expect(report.cursorBlock, 'cursor at the confirmed tip (head 4, 1 confirmation)').toBe(4);
    expect(await cursorBlock(env)).toBe(4);

    const rows = await events(env);
    expect(rows.map((r) => [r.blockNumber, r.eventType, r.asset, r.amount, r.logIndex])).toEqual([
      [b1, 'transfer', 'WETH', '250.000000000000000000', 0],
      [b2, 'transfer', 'ETH', '1.500000000000000000', NATIVE_TRANSFER_LOG_INDEX],
    ]);
    expect(rows.every((r) => r.walletId === env.walletId && r.retractedAt === null && r.chain === 'ethereum')).toBe(true);
    expect(rows[0]!.notionalUsd, '250 WETH × 3050.5 from the candle open at block time').toBe('762625.000000000000000000');
    expect(rows[1]!.notionalUsd, '1.5 ETH × the close of the candle open at its block time').toBe(sameMinute ? '4575.750000000000000000' : '4590.000000000000000000');
    expect(rows.map((r) => r.isFirstSinceWatch), 'only the first event since the watch began').toEqual([true, false]);
    const analyses = await env.database.db.select().from(eventAnalyses);
    expect(analyses).toHaveLength(2);
    const a0 = analyses.find((a) => a.eventId === rows[0]!.id)!;
    expect(a0.llmClassification).toBe('accumulation');
    expect(a0.patternMatched).toBe('transfer_in');
    expect((a0.proposedAction as { author: string }).author).toBe('rules');
    expect(a0.llmNarrative).toContain('received 250 WETH');
    const [w] = await env.database.db.select().from(wallets).where(eq(wallets.id, env.walletId));
    expect(w!.lastActivityAt?.getTime(), 'last activity is the newest event time').toBe(rows[1]!.occurredAt.getTime());

    // Nothing new: a second run inserts nothing and only re-checks the last block.
    const again = await env.ingestion().runOnce();
    expect(again.eventsInserted).toBe(0);
    expect(again.status).toBe('idle');
    expect((await events(env)).length).toBe(2);

    // Replay: the cursor is reset to block 1, the same blocks are ingested again, nothing doubles.
    await env.database.db.delete(ingestionCursors);
    const replay = await env.ingestion().runOnce();
    expect(replay.blocksProcessed).toBe(4);
    expect(replay.eventsInserted, 'a replay never doubles an event').toBe(0);
    expect((await events(env)).length).toBe(2);
    expect((await env.database.db.select().from(eventAnalyses)).length).toBe(2);
  });

  it('stores a batch holding an already stored event and a duplicate once, and a replay of the whole range changes nothing', async () => {
    const env = await setup();
    const b1 = env.chain.mine([{ from: STRANGER, to: WETH, logs: [transferLog(WETH, STRANGER, WHALE, 5n * ETHER)] }]);
    env.chain.mine(); // confirms b1
    const first = await env.ingestion({ maxBlocksPerStep: 10 }).runOnce();
    expect(first.eventsInserted, 'block 1 alone: the WETH transfer').toBe(1);
    const [a] = await events(env);
    expect(a!.isFirstSinceWatch).toBe(true);
    // Two more blocks; the cursor is dropped, so the next step's one batch (blocks 1-4, one
    // transaction) holds the stored transfer again beside the two new events.
    const b3 = env.chain.mine([{ from: WHALE, to: USDC, logs: [transferLog(USDC, WHALE, OTHER, 1_000n * 10n ** 6n)] }]);
    const b4 = env.chain.mine([{ from: OTHER, to: WHALE, value: ETHER }]);
    env.chain.mine();
    await env.database.db.delete(ingestionCursors);
    const batch = await env.ingestion({ maxBlocksPerStep: 10 }).runOnce();
    expect(batch.status, batch.message ?? '').toBe('ok');
    expect(batch.blocksProcessed, 'blocks 1-5 in one step').toBe(5);
    expect(batch.eventsInserted, 'the stored transfer is refused, the two new ones stored').toBe(2);
    expect(batch.eventsRevived).toBe(0);
    const rows = await events(env);
    expect(rows.map((r) => [r.blockNumber, r.eventType, r.asset, r.amount, r.isFirstSinceWatch])).toEqual([
      [b1, 'transfer', 'WETH', '5.000000000000000000', true],
      [b3, 'transfer', 'USDC', '1000.000000000000000000', false],
      [b4, 'transfer', 'ETH', '1.000000000000000000', false],
    ]);
    expect(rows[0]!.id, 'the stored row is the same row').toBe(a!.id);
    expect(rows[0]!.processedAt?.getTime(), 'and was not rewritten').toBe(a!.processedAt?.getTime());
    const analyses = await env.database.db.select().from(eventAnalyses);
    expect(analyses.map((x) => x.eventId).sort(), 'one analysis per event').toEqual(rows.map((r) => r.id).sort());

    // A batch naming one event twice (and a stored one again) through the store itself: each once.
    const stored = rows[1]!;
    const again = {
      walletId: env.walletId, chain: 'ethereum', txHash: stored.txHash.toUpperCase().replace('0X', '0x'), logIndex: stored.logIndex, occurredAt: stored.occurredAt,
      blockNumber: stored.blockNumber, blockHash: stored.blockHash, eventType: 'transfer', asset: 'USDC', amount: new D(1000), notionalUsd: new D(1000), sizeFraction: null,
      venue: null, gasPrice: null, rawData: { kind: 'transfer' },
      analysis: classifyEvent({ kind: 'transfer', wallet: WHALE, asset: 'USDC', amount: new D(1000), notionalUsd: new D(1000), direction: 'out', exchange: null, counterpartyWatched: false }),
    };
    const fresh = { ...again, txHash: `0x${'77'.repeat(32)}`, amount: new D('2.5'), asset: 'WETH', notionalUsd: null, blockNumber: (b4 + 1), blockHash: `0x${'88'.repeat(32)}` };
    const dupes = await withTransaction(env.database.db, (tx) => storeEvents(tx, [again, fresh, { ...fresh, amount: new D(99) }]));
    expect([dupes.inserted, dupes.revived, dupes.ids.length], 'only the fresh event, once').toEqual([1, 0, 1]);
    const [kept] = await env.database.db.select().from(onchainEvents).where(eq(onchainEvents.id, dupes.ids[0]!));
    expect(kept!.amount, 'the first occurrence in the batch wins').toBe('2.500000000000000000');
    expect((await events(env)).length).toBe(4);
    await env.database.db.delete(onchainEvents).where(eq(onchainEvents.id, dupes.ids[0]!));
    await env.database.db.delete(eventAnalyses).where(eq(eventAnalyses.eventId, dupes.ids[0]!));

    // Replay of the whole range from block 1: every stored row, analysis and the wallet unchanged.
    const snapshot = async (): Promise<unknown> => ({
      events: await events(env),
      analyses: await env.database.db.select().from(eventAnalyses).orderBy(asc(eventAnalyses.eventId)),
      wallet: await env.database.db.select({ at: wallets.lastActivityAt }).from(wallets).where(eq(wallets.id, env.walletId)),
    });
    const before = await snapshot();
    await env.database.db.delete(ingestionCursors);
    const replay = await env.ingestion({ maxBlocksPerStep: 10 }).runOnce();
    expect([replay.blocksProcessed, replay.eventsInserted, replay.eventsRevived]).toEqual([5, 0, 0]);
    expect(await snapshot(), 'a replay changes nothing').toEqual(before);
  });

  it('asks the price source once per asset and block time, however many events share them', async () => {
    const env = await setup();
    const asked: Array<[string, number]> = [];
    const prices: UsdPriceAt = {
      usdPrice: (asset, at) => {
        asked.push([asset, at.getTime()]);
        return Promise.resolve(asset === 'WETH' ? new D('3000.5') : null);
      },
    };
    const b1 = env.chain.mine([1n, 2n, 3n].map((n) => ({ from: STRANGER, to: WETH, logs: [transferLog(WETH, STRANGER, WHALE, n * ETHER)] })));
    const b2 = env.chain.mine([{ from: STRANGER, to: WETH, logs: [transferLog(WETH, STRANGER, WHALE, 4n * ETHER)] }]);
    env.chain.mine();
    const r = await env.ingestion({ prices }).runOnce();
    expect(r.eventsInserted).toBe(4);
    const t1 = await fetchBlockTime(env, b1);
    const t2 = await fetchBlockTime(env, b2);
    expect(asked, 'one lookup per (asset, block time)').toEqual([['WETH', t1], ['WETH', t2]]);
    expect((await events(env)).map((e) => e.notionalUsd), 'n WETH × 3000.5').toEqual(['3000.500000000000000000', '6001.000000000000000000', '9001.500000000000000000', '12002.000000000000000000']);
  });

  it('retracts the events of a depth-2 reorg and ingests the new branch', async () => {
    const env = await setup();
    env.chain.mine([{ from: STRANGER, to: WHALE, value: ETHER }]); // 1, stays
    env.chain.mine([{ from: STRANGER, to: WETH, logs: [transferLog(WETH, STRANGER, WHALE, 5n * ETHER)] }]); // 2, orphaned
    env.chain.mine([{ from: WHALE, to: BINANCE, value: 7n * ETHER }]); // 3, orphaned
    env.chain.mine(); // 4
    expect((await env.ingestion({ confirmations: 2 }).runOnce()).cursorBlock).toBe(3);
    expect((await events(env)).map((e) => e.blockNumber)).toEqual([1, 2, 3]);
    const orphaned = env.chain.blockHash(3);

    env.chain.dropBlocks(3); // blocks 2, 3, 4 go; 2 and 3 were processed
    env.chain.mine([{ from: WHALE, to: OTHER, value: 2n * ETHER }]); // new 2
    env.chain.mine(); // new 3
    env.chain.mine(); // new 4
    env.chain.mine(); // 5
    expect(env.chain.blockHash(3)).not.toBe(orphaned);

    const r = await env.ingestion({ confirmations: 2 }).runOnce();
    expect(r.status, r.message ?? '').toBe('ok');
    expect(r.reorgs).toBe(1);
    expect(r.eventsRetracted, 'the two events of the orphaned blocks 2 and 3').toBe(2);
    const rows = await events(env);
    const counted = rows.filter((e) => e.retractedAt === null);
    const retracted = rows.filter((e) => e.retractedAt !== null);
    expect(retracted.map((e) => [e.blockNumber, e.eventType, e.amount])).toEqual([
      [2, 'transfer', '5.000000000000000000'],
      [3, 'deposit_exchange', '7.000000000000000000'],
    ]);
    expect(counted.map((e) => [e.blockNumber, e.amount])).toEqual([
      [1, '1.000000000000000000'],
      [2, '2.000000000000000000'],
    ]);
    expect(counted.find((e) => e.blockNumber === 2)!.blockHash).toBe(env.chain.blockHash(2));
    expect(await cursorBlock(env)).toBe(4);
    const card = await new WalletService({ db: env.database.db }).card(env.actor, { wallet: 'smart whale' });
    expect(card.recentEvents.map((e) => e.amount?.toFixed()), 'a card never shows retracted events').toEqual(['2', '1']);
  });

  it('retracts nothing when another runner moved the cursor before a reorg\'s rewind', async () => {
    const env = await setup();
    env.chain.mine([{ from: STRANGER, to: WHALE, value: ETHER }]); // 1
    env.chain.mine([{ from: STRANGER, to: WHALE, value: 2n * ETHER }]); // 2, orphaned
    expect((await env.ingestion().runOnce()).cursorBlock).toBe(2);
    env.chain.dropBlocks(1);
    env.chain.mine(); // new 2
    env.chain.mine(); // 3
    // Another runner stores its own cursor (block 1 only) while this run reads the headers.
    const foreign = { startBlock: 1, recent: [{ number: 1, hash: env.chain.blockHash(1), parentHash: env.chain.blockHash(0) }] };
    const racingFetch: typeof fetch = async (input, init) => {
      if (typeof init?.body === 'string' && init.body.includes('"eth_getBlockByNumber"')) {
        await env.database.db.update(ingestionCursors).set({ position: foreign }).where(eq(ingestionCursors.source, 'evm:ethereum'));
      }
      return fetch(input, init);
    };
    const r = await env.ingestion({ fetch: racingFetch }).runOnce();
    expect([r.status, r.reorgs, r.eventsRetracted]).toEqual(['contended', 0, 0]);
    expect((await events(env)).map((e) => [e.blockNumber, e.retractedAt]), 'the orphaned event is left to the runner that moved the cursor').toEqual([
      [1, null],
      [2, null],
    ]);
    expect(await cursorBlock(env), "the other runner's cursor is untouched").toBe(1);
  });

  it('revives an orphaned event whose transaction is re-mined at the same height and time, and keeps one row per key', async () => {
    const env = await setup();
    const SAME = `0x${'5e'.repeat(32)}` as const;
    const MOVED = `0x${'7a'.repeat(32)}` as const;
    env.chain.mine(); // 1
    const t2 = env.chain.mine([{ hash: SAME, from: OTHER, to: WHALE, value: ETHER }]); // 2
    env.chain.mine([{ hash: MOVED, from: OTHER, to: WHALE, value: 2n * ETHER }]); // 3
    env.chain.mine(); // 4
    await env.ingestion().runOnce();
    const stamp2 = (await events(env)).find((e) => e.txHash === SAME)!.occurredAt.getTime() / 1000;
    const oldHash2 = env.chain.blockHash(t2);

    env.chain.dropBlocks(3);
    env.chain.mine([{ hash: SAME, from: OTHER, to: WHALE, value: ETHER }], stamp2); // new 2: same tx, same time
    env.chain.mine(); // new 3
    env.chain.mine([{ hash: MOVED, from: OTHER, to: WHALE, value: 2n * ETHER }], stamp2 + 60); // new 4: same tx, later
    env.chain.mine(); // 5
    const r = await env.ingestion().runOnce();
    expect(r.status, r.message ?? '').toBe('ok');
    expect([r.eventsRetracted, r.eventsRevived, r.eventsInserted]).toEqual([2, 1, 1]);
    const rows = await events(env);
    const same = rows.filter((e) => e.txHash === SAME);
    expect(same, 'one row for the same key').toHaveLength(1);
    expect(same[0]!.retractedAt, 'counted again on the new branch').toBeNull();
    expect(same[0]!.blockHash).toBe(env.chain.blockHash(2));
    expect(same[0]!.blockHash).not.toBe(oldHash2);
    const moved = rows.filter((e) => e.txHash === MOVED).map((e) => [e.blockNumber, e.retractedAt === null]);
    expect(moved, 'the orphaned copy (block 3) stays retracted, the new one (block 4) counts').toEqual([
      [3, false],
      [4, true],
    ]);
    expect((await env.database.db.select().from(eventAnalyses)).length, 'one analysis per stored row').toBe(3);
  });

  it('waits for the confirmation depth before ingesting a block', async () => {
    const env = await setup();
    const b = env.chain.mine([{ from: OTHER, to: WHALE, value: ETHER }]);
    const ing = env.ingestion({ confirmations: 3 });
    const first = await ing.runOnce();
    expect(first.status).toBe('idle');
    expect((await events(env)).length, 'the block has 1 of 3 confirmations').toBe(0);
    env.chain.mine();
    await ing.runOnce();
    expect((await events(env)).length, '2 of 3 confirmations').toBe(0);
    env.chain.mine();
    const third = await ing.runOnce();
    expect(third.eventsInserted).toBe(1);
    expect((await events(env))[0]!.blockNumber).toBe(b);
  });

  it('stores neither events nor cursor when a step\'s commit fails, then ingests once', async () => {
    const env = await setup();
    env.chain.mine([{ from: OTHER, to: WHALE, value: ETHER }]);
    env.chain.mine();
    await expect(
      env
        .ingestion({
          beforeCommit: () => {
            throw new Error('crash as the commit begins');
          },
        })
        .runOnce(),
    ).rejects.toThrow('crash as the commit begins');
    expect((await events(env)).length, 'no event without its cursor').toBe(0);
    expect(await env.database.db.select().from(eventAnalyses)).toHaveLength(0);
    expect(await cursorBlock(env)).toBeNull();
    const r = await env.ingestion().runOnce();
    expect(r.eventsInserted).toBe(1);
    expect(await cursorBlock(env)).toBe(2);
  });

  it('writes a step\'s cursor, events and analyses in one statement: a failure late in it leaves neither events nor cursor', async () => {
    const env = await setup();
    env.chain.mine([{ from: OTHER, to: WHALE, value: ETHER }, { from: STRANGER, to: USDC, logs: [transferLog(USDC, STRANGER, WHALE, 5_000_000n)] }]);
    env.chain.mine();
    // The database refuses the analyses, which the statement writes after the cursor and the events.
    await env.database.db.execute(sql.raw(`create function refuse_analysis() returns trigger language plpgsql as $$ begin raise exception 'analysis refused'; end $$`));
    await env.database.db.execute(sql.raw(`create trigger refuse_analysis before insert on event_analyses for each row execute function refuse_analysis()`));
    const failed = await env.ingestion().runOnce().then(
      () => null,
      (err: unknown) => err as Error,
    );
    // The driver's error, as the cause of drizzle's "Failed query".
    expect((failed?.cause as Error | undefined)?.message ?? failed?.message).toContain('analysis refused');
    expect((await events(env)).length, 'the events went with the refused analyses').toBe(0);
    expect(await cursorBlock(env), 'and so did the cursor').toBeNull();
    await env.database.db.execute(sql.raw(`drop trigger refuse_analysis on event_analyses`));
    const r = await env.ingestion().runOnce();
    expect([r.status, r.eventsInserted, r.cursorBlock]).toEqual(['ok', 2, 2]);
    expect(await env.database.db.select().from(eventAnalyses)).toHaveLength(2);
  });

  it('stores a step with more events than one statement takes in one transaction, and writes none of them when the cursor moved', async () => {
    const env = await setup();
    const many = 1_001; // one more than a statement's events (INSERT_CHUNK)
    env.chain.mine([{ from: STRANGER, to: USDC, logs: Array.from({ length: many }, (_, i) => transferLog(USDC, STRANGER, WHALE, BigInt(i + 1) * 1_000_000n)) }]);
    env.chain.mine();
    const foreign = { startBlock: 1, recent: [{ number: 1, hash: env.chain.blockHash(1), parentHash: env.chain.blockHash(0) }] };
    // Another runner stores its cursor while this run reads the step's logs.
    const racingFetch: typeof fetch = async (input, init) => {
      if (typeof init?.body === 'string' && init.body.includes('"eth_getLogs"')) {
        await env.database.db.insert(ingestionCursors).values({ source: 'evm:ethereum', position: foreign }).onConflictDoNothing();
      }
      return fetch(input, init);
    };
    const lost = await env.ingestion({ fetch: racingFetch }).runOnce();
    expect([lost.status, lost.eventsInserted]).toEqual(['contended', 0]);
    expect((await events(env)).length, 'the first 1,000 were rolled back with the rest').toBe(0);
    // The cursor back to nothing: a run stores all of them, once.
    await env.database.db.delete(ingestionCursors);
    const r = await env.ingestion().runOnce();
    expect([r.status, r.eventsInserted, r.cursorBlock]).toEqual(['ok', many, 2]);
    expect((await events(env)).length).toBe(many);
    expect(await env.database.db.select().from(eventAnalyses)).toHaveLength(many);
    expect((await env.ingestion().runOnce()).eventsInserted, 'nothing new on a second run').toBe(0);
  });

  it('fetches the next step while a commit runs, commits in order, and a failed commit keeps the steps before it', async () => {
    const env = await setup();
    // 12 blocks with a transfer each to the whale, steps of 5 blocks: 1–5, 6–10, 11–12 (+1 confirmation).
    for (let i = 0; i < 12; i++) env.chain.mine([{ from: OTHER, to: WHALE, value: BigInt(i + 1) * ETHER }]);
    env.chain.mine();
    // The node's fetch, watched for the first request that asks for block 6 (the second step's).
    let askedBlock6!: () => void;
    const block6Asked = new Promise<void>((resolve) => (askedBlock6 = resolve));
    const watchingFetch: typeof fetch = async (input, init) => {
      if (typeof init?.body === 'string' && init.body.includes('"eth_getBlockByNumber"') && init.body.includes('"0x6"')) askedBlock6();
      return fetch(input, init);
    };
    let commits = 0;
    let overlapped = false;
    const crashing = env.ingestion({
      fetch: watchingFetch,
      beforeCommit: async (blocks) => {
        commits++;
        // The first step's commit is held open until the second step's blocks have been asked for,
        // which happens only if the next fetch runs while the commit does (given up after 15 s, so a
        // run without the overlap fails here instead of hanging).
        if (commits === 1) {
          overlapped = await happens(block6Asked);
        }
        if (commits === 2) throw new Error(`crash while committing blocks ${String(blocks[0]!.number)}–${String(blocks.at(-1)!.number)}`);
      },
    });
    await expect(crashing.runOnce()).rejects.toThrow('crash while committing blocks 6–10');
    expect(overlapped, 'the second step was asked for while the first was being committed').toBe(true);
    expect((await events(env)).map((e) => e.blockNumber), 'the first step is stored, the failed second one not at all').toEqual([1, 2, 3, 4, 5]);
    expect(await cursorBlock(env)).toBe(5);

    const resumed = await env.ingestion().runOnce();
    expect(resumed.status, resumed.message ?? '').toBe('ok');
    expect([resumed.eventsInserted, resumed.cursorBlock], "the rest, up to the confirmed tip (the empty block 13)").toEqual([7, 13]);
    const stored = await events(env);
    expect(stored.map((e) => e.blockNumber), 'every block once, in order').toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(await env.database.db.select().from(eventAnalyses)).toHaveLength(12);
  });

  it('reads the next step\'s blocks and logs while a step is decoded; a reorg after that read is retracted, and the last step reads nothing ahead', async () => {
    const env = await setup();
    // 12 blocks with a WETH transfer to the whale each: steps 1–5, 6–10, 11–12 (+1 confirmation).
    for (let i = 1n; i <= 12n; i++) env.chain.mine([{ from: STRANGER, to: WETH, logs: [transferLog(WETH, STRANGER, WHALE, i * ETHER)] }]);
    env.chain.mine();
    // Resolves when the node has answered the first request asking for block 6 (the second step's).
    let answered6!: () => void;
    const block6Answered = new Promise<void>((resolve) => (answered6 = resolve));
    const watchingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (typeof init?.body === 'string' && init.body.includes('"eth_getBlockByNumber"') && init.body.includes('"0x6"')) answered6();
      return res;
    };
    // The first step's first price lookup (its decoding, before its commit) waits for that answer,
    // given up after 15 s: only a run that reads ahead gets it in time.
    let readAhead: boolean | undefined;
    const prices: UsdPriceAt = {
      usdPrice: async () => {
        if (readAhead === undefined) {
          readAhead = await happens(block6Answered);
        }
        return null;
      },
    };
    // While the first step commits, the chain replaces blocks 6–13: what was read ahead is stale.
    let replaced = false;
    const r = await env.ingestion({
      fetch: watchingFetch,
      prices,
      beforeCommit: (blocks) => {
        if (blocks[0]!.number === 1 && !replaced) {
          replaced = true;
          env.chain.dropBlocks(8);
          for (let i = 6n; i <= 12n; i++) env.chain.mine([{ from: STRANGER, to: WETH, logs: [transferLog(WETH, STRANGER, WHALE, 100n + i)] }]);
          env.chain.mine();
        }
        return Promise.resolve();
      },
    }).runOnce();
    expect(readAhead, 'the second step was read before the first was committed').toBe(true);
    expect(r.status, r.message ?? '').toBe('ok');
    const counted = (await events(env)).filter((e) => e.retractedAt === null);
    expect(counted.map((e) => [e.blockNumber, e.blockHash]), 'blocks 1–5, then the new branch, each once').toEqual(
      Array.from({ length: 12 }, (_, i) => [i + 1, env.chain.blockHash(i + 1)]),
    );
    expect(counted.slice(5).map((e) => e.amount), 'the new branch\'s transfers').toEqual(Array.from({ length: 7 }, (_, i) => `0.${String(106 + i).padStart(18, '0')}`));
    expect(await cursorBlock(env), 'the new branch\'s empty block 13 too').toBe(13);

    // A run of one step reads nothing beyond it: every request it makes, the step uses.
    for (let i = 1n; i <= 6n; i++) env.chain.mine([{ from: STRANGER, to: WETH, logs: [transferLog(WETH, STRANGER, WHALE, i * ETHER)] }]);
    const before = env.chain.methods.length;
    const one = await env.ingestion({ maxStepsPerRun: 1 }).runOnce();
    expect([one.status, one.eventsInserted, one.cursorBlock]).toEqual(['ok', 5, 18]);
    expect(env.chain.methods.slice(before), 'the head, then blocks 13–18 (13 to check the link) with the step\'s two getLogs').toEqual(['eth_blockNumber', ...Array<string>(6).fill('eth_getBlockByNumber'), 'eth_getLogs', 'eth_getLogs']);
  });

  it('reads ahead only when the request budget still pays for the step\'s own receipts', async () => {
    const env = await setup();
    // 7 blocks, each with a payment sent by the whale: every block\'s receipts are read.
    for (let i = 1n; i <= 7n; i++) env.chain.mine([{ from: WHALE, to: OTHER, value: i * ETHER }]);
    // Step 1 costs 13 calls (the head, blocks 1–5 with two getLogs, 5 blocks\' receipts); reading
    // step 2 ahead would cost 5 more (blocks 6–7 … 7 and two getLogs) before the receipts were paid.
    const r = await env.ingestion({ requestBudget: 15 }).runOnce();
    expect([r.status, r.eventsInserted, r.cursorBlock], 'the first step is stored; the budget ran out on the second').toEqual(['budget_exhausted', 5, 5]);
    expect((await events(env)).map((e) => e.blockNumber)).toEqual([1, 2, 3, 4, 5]);
    const rest = await env.ingestion().runOnce();
    expect([rest.status, rest.eventsInserted, rest.cursorBlock]).toEqual(['ok', 2, 7]);
  });

  it('backs off on 429 (honouring Retry-After) and stops at its request budget', async () => {
    const env = await setup();
    env.chain.mine([{ from: OTHER, to: WHALE, value: ETHER }]);
    env.chain.mine();
    env.chain.queue.push({ status: 429, headers: { 'retry-after': '2' } }, { status: 503, body: 'busy' });
    const r = await env.ingestion({ backoff: { baseMs: 100, maxMs: 5_000, maxRetries: 4 } }).runOnce();
    expect(r.status, r.message ?? '').toBe('ok');
    expect(env.waits, 'Retry-After 2 s, then the doubled base delay').toEqual([2000, 200]);
    expect(r.eventsInserted).toBe(1);

    // A node that only answers 429: the run gives up within its budget and changes nothing.
    env.chain.mine([{ from: OTHER, to: WHALE, value: 2n * ETHER }]);
    env.chain.mine();
    for (let i = 0; i < 50; i++) env.chain.queue.push({ status: 429 });
    const before = env.chain.methods.length;
    const limited = await env.ingestion({ requestBudget: 6, backoff: { baseMs: 100, maxMs: 1_000, maxRetries: 10 } }).runOnce();
    expect(limited.status).toBe('budget_exhausted');
    expect(limited.requests).toBe(6);
    expect(env.chain.methods.length - before, 'no request beyond the budget').toBe(6);
    expect((await events(env)).length).toBe(1);
    expect(await cursorBlock(env), 'the cursor stays where the first run left it').toBe(2);
  });

  it('classifies a swap by the watched sender, a deposit to an exchange, and skips a reverted transfer', async () => {
    const env = await setup();
    env.chain.mine([
      {
        from: WHALE,
        to: PAIR,
        logs: [
          transferLog(USDC, WHALE, PAIR, 3_000_000_000n),
          transferLog(WETH, PAIR, STRANGER, ETHER),
          swapV2Log(PAIR, STRANGER, STRANGER, 3_000_000_000n, 0n, 0n, ETHER),
        ],
      },
      { from: WHALE, to: BINANCE, value: 4n * ETHER },
      { from: WHALE, to: OTHER, value: 9n * ETHER, success: false },
    ]);
    env.chain.mine();
    const r = await env.ingestion().runOnce();
    expect(r.status, r.message ?? '').toBe('ok');
    const rows = await events(env);
    expect(rows.map((e) => [e.eventType, e.asset, e.amount, e.venue])).toEqual([
      ['deposit_exchange', 'ETH', '4.000000000000000000', 'Binance'],
      ['transfer', 'USDC', '3000.000000000000000000', null],
      ['swap', 'WETH', '1.000000000000000000', 'uniswap_v2'],
    ]);
    const swap = rows.find((e) => e.eventType === 'swap')!;
    expect(swap.notionalUsd, 'paid in a stablecoin: the notional is what was paid').toBe('3000.000000000000000000');
    const [a] = await env.database.db.select().from(eventAnalyses).where(eq(eventAnalyses.eventId, swap.id));
    expect(a!.llmClassification).toBe('accumulation');
    expect(rows.some((e) => e.amount === '9.000000000000000000'), 'a reverted transfer moved nothing').toBe(false);
    const counted = await env.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(onchainEvents)
      .where(and(eq(onchainEvents.walletId, env.walletId), isNull(onchainEvents.retractedAt)));
    expect(counted[0]!.n).toBe(3);
  });

  it.each([
    { blockReceipts: true, node: 'a node with eth_getBlockReceipts' },
    { blockReceipts: false, node: 'a node without eth_getBlockReceipts' },
  ])('reads the receipts it needs from $node, and remembers which way works', async ({ blockReceipts }) => {
    const env = await setup({ blockReceipts });
    const routedSwap = (): Parameters<FakeEvmRpc['mine']>[0] => [
      { from: STRANGER, to: OTHER, value: ETHER }, // not ours: its receipt is never read
      { from: WHALE, to: PAIR, logs: [transferLog(USDC, WHALE, PAIR, 3_000_000_000n), transferLog(WETH, PAIR, STRANGER, ETHER), swapV2Log(PAIR, STRANGER, STRANGER, 3_000_000_000n, 0n, 0n, ETHER)] },
      { from: WHALE, to: OTHER, value: 9n * ETHER, success: false },
      { from: OTHER, to: WHALE, value: 2n * ETHER },
    ];
    env.chain.mine(routedSwap());
    env.chain.mine([{ from: STRANGER, to: OTHER, value: ETHER }]);
    env.chain.mine(routedSwap());
    env.chain.mine();
    const ingestion = env.ingestion();
    const r = await ingestion.runOnce();
    expect(r.status, r.message ?? '').toBe('ok');
    const expected = (block: number): unknown[] => [
      [block, 'transfer', 'USDC', '3000.000000000000000000'],
      [block, 'swap', 'WETH', '1.000000000000000000'],
      [block, 'transfer', 'ETH', '2.000000000000000000'],
    ];
    const seen = async (): Promise<unknown[]> =>
      (await events(env)).map((e) => [e.blockNumber, e.eventType, e.asset, e.amount]).sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1])) || String(a[2]).localeCompare(String(b[2])));
    const sortRows = (rows: unknown[]): unknown[] => [...rows].sort((a, b) => Number((a as unknown[])[0]) - Number((b as unknown[])[0]) || String((a as unknown[])[1]).localeCompare(String((b as unknown[])[1])) || String((a as unknown[])[2]).localeCompare(String((b as unknown[])[2])));
    expect(await seen(), 'the routed swap (by the sender), the paid ETH, and not the reverted 9 ETH').toEqual(sortRows([...expected(1), ...expected(3)]));
    const count = (m: string): number => env.chain.methods.filter((x) => x === m).length;
    if (blockReceipts) {
      expect(count('eth_getBlockReceipts'), 'one call per block holding a watched transaction (blocks 1 and 3)').toBe(2);
      expect(count('eth_getTransactionReceipt')).toBe(0);
    } else {
      expect(count('eth_getBlockReceipts'), 'asked once, refused').toBe(1);
      expect(count('eth_getTransactionReceipt'), "each watched transaction's receipt: the swap, the reverted and the paid transfer, twice").toBe(6);
    }
    // The next run (same ingestion, same endpoint) goes the way that worked, without asking again.
    const before = { block: count('eth_getBlockReceipts'), tx: count('eth_getTransactionReceipt') };
    env.chain.mine(routedSwap());
    env.chain.mine();
    const r2 = await ingestion.runOnce();
    expect(r2.status, r2.message ?? '').toBe('ok');
    expect(await seen()).toEqual(sortRows([...expected(1), ...expected(3), ...expected(5)]));
    expect(count('eth_getBlockReceipts') - before.block).toBe(blockReceipts ? 1 : 0);
    expect(count('eth_getTransactionReceipt') - before.tx).toBe(blockReceipts ? 0 : 3);
  });

  it('treats a block whose receipts no longer match its header as moved, and stores nothing from it', async () => {
    const env = await setup();
    env.chain.mine([{ from: WHALE, to: OTHER, value: ETHER }]);
    env.chain.mine();
    const staleHash = `0x${'12'.repeat(32)}`;
    // The node answers the block's receipts from another branch (another block hash) once.
    let tampered = 0;
    const tamperingFetch: typeof fetch = async (input, init) => {
      const body = JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as { method: string } | Array<{ method: string }>;
      const res = await fetch(input, init);
      if (tampered > 0 || !(Array.isArray(body) ? body : [body]).some((c) => c.method === 'eth_getBlockReceipts')) return res;
      tampered++;
      const text = (await res.text()).replaceAll(env.chain.blockHash(1), staleHash);
      return new Response(text, { status: res.status, headers: res.headers });
    };
    const r = await env.ingestion({ fetch: tamperingFetch }).runOnce();
    expect(tampered, 'the receipts were answered from another branch once').toBe(1);
    expect(env.chain.methods.filter((m) => m === 'eth_getBlockReceipts').length, 'the step was retried with fresh headers and receipts').toBe(2);
    expect(r.status, r.message ?? '').toBe('ok');
    expect((await events(env)).map((e) => [e.blockNumber, e.blockHash, e.amount]), 'stored once, from the retried step, with the header it checked').toEqual([[1, env.chain.blockHash(1), '1.000000000000000000']]);
  });

  it('writes nothing when another runner moved the cursor during the step', async () => {
    const env = await setup();
    env.chain.mine([{ from: OTHER, to: WHALE, value: ETHER }]);
    env.chain.mine();
    const foreign = { startBlock: 1, recent: [{ number: 1, hash: env.chain.blockHash(1), parentHash: env.chain.blockHash(0) }] };
    // The "other runner" stores its cursor while this run is fetching logs.
    const racingFetch: typeof fetch = async (input, init) => {
      const body = JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as { method: string } | Array<{ method: string }>;
      if ((Array.isArray(body) ? body : [body]).some((c) => c.method === 'eth_getLogs')) {
        await env.database.db.insert(ingestionCursors).values({ source: 'evm:ethereum', position: foreign }).onConflictDoNothing();
      }
      return fetch(input, init);
    };
    const r = await env.ingestion({ fetch: racingFetch }).runOnce();
    expect(r.status).toBe('contended');
    expect((await events(env)).length, 'the losing runner wrote no event').toBe(0);
    expect(await cursorBlock(env), "the other runner's cursor is untouched").toBe(1);
  });

  it('lets two runners race over the same blocks: every event is stored once, and the loser stops as contended', async () => {
    const env = await setup();
    for (let i = 0; i < 30; i++) env.chain.mine([{ from: OTHER, to: WHALE, value: BigInt(i + 1) * ETHER }]);
    env.chain.mine();
    // Both start from no cursor and read the same steps; each step's statement moves the cursor only
    // from where that runner found it, so at most one of them stores each step.
    const [a, b] = await Promise.all([env.ingestion().runOnce(), env.ingestion().runOnce()]);
    // Both read the cursor before either has fetched a block, so they collide on their first commit.
    expect([a.status, b.status].sort(), `${String(a.message)} / ${String(b.message)}`).toEqual(['contended', 'ok']);
    const done = await env.ingestion().runOnce();
    expect(done.status === 'ok' || done.status === 'idle', done.message ?? '').toBe(true);
    const stored = await events(env);
    expect(stored.map((e) => e.blockNumber), 'every block once, in order').toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(a.eventsInserted + b.eventsInserted + done.eventsInserted, 'what the runs say they stored is what is stored').toBe(30);
    expect(await env.database.db.select().from(eventAnalyses)).toHaveLength(30);
    expect(await cursorBlock(env)).toBe(31);
  });

  it('checks the stored cursor\'s last header before writing: moved by another runner, or made unreadable, nothing is written', async () => {
    const env = await setup();
    env.chain.mine([{ from: OTHER, to: WHALE, value: ETHER }]);
    env.chain.mine();
    const c = (await env.ingestion().runOnce()).cursorBlock!;
    expect(c, 'blocks 1 and 2 (one confirmation)').toBe(2);
    const b = env.chain.mine([{ from: OTHER, to: WHALE, value: 2n * ETHER }]);
    env.chain.mine();
    const header = (n: number): { number: number; hash: string; parentHash: string } => ({ number: n, hash: env.chain.blockHash(n), parentHash: env.chain.blockHash(n - 1) });
    /** A fetch that stores `position` as the cursor (another runner) when the step asks its logs. */
    const racing = (position: Record<string, unknown>): typeof fetch => async (input, init) => {
      const body = JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as { method: string } | Array<{ method: string }>;
      if ((Array.isArray(body) ? body : [body]).some((c) => c.method === 'eth_getLogs')) {
        await env.database.db.update(ingestionCursors).set({ position }).where(eq(ingestionCursors.source, 'evm:ethereum'));
      }
      return fetch(input, init);
    };
    // The other runner has processed block b as well: same start, a different last header.
    const moved = await env.ingestion({ fetch: racing({ startBlock: 1, recent: [header(1), header(2), header(b)] }) }).runOnce();
    expect([moved.status, moved.message]).toEqual(['contended', 'another runner advanced the cursor; this run stopped']);
    expect((await events(env)).map((e) => e.blockNumber), 'block b was not written by the losing run').toEqual([1]);
    expect(await cursorBlock(env), "the other runner's cursor is untouched").toBe(b);
    // Rewound to block 2 by hand, then made unreadable during the step: the run says so.
    await env.database.db.update(ingestionCursors).set({ position: { startBlock: 1, recent: [header(1), header(2)] } });
    const unreadable = await env.ingestion({ fetch: racing({ startBlock: 1, recent: [{ number: 'one' }] }) }).runOnce();
    expect([unreadable.status, unreadable.message]).toEqual(['too_deep', 'the stored cursor evm:ethereum is not readable; reset it']);
    expect((await events(env)).map((e) => e.blockNumber)).toEqual([1]);
    // Readable again: the step goes through.
    await env.database.db.update(ingestionCursors).set({ position: { startBlock: 1, recent: [header(1), header(2)] } });
    const fine = await env.ingestion().runOnce();
    expect([fine.status, fine.eventsInserted, fine.cursorBlock]).toEqual(['ok', 1, b + 1]);
    expect((await events(env)).map((e) => e.blockNumber)).toEqual([1, b]);
  });

  it('asks each step\'s logs in the same request as its blocks, and stores the logs of a block shared by two steps once', async () => {
    const env = await setup();
    const mined: number[] = [];
    for (let i = 1n; i <= 7n; i++) mined.push(env.chain.mine([{ from: STRANGER, to: WETH, logs: [transferLog(WETH, STRANGER, WHALE, i * ETHER)] }]));
    env.chain.mine();
    const posts: string[][] = [];
    const counting: typeof fetch = (input, init) => {
      const body = JSON.parse(init!.body as string) as { method: string } | Array<{ method: string }>;
      posts.push((Array.isArray(body) ? body : [body]).map((c) => c.method));
      return fetch(input, init);
    };
    // Steps of 5 blocks: 1-5, then 6-8 (block 5 read again to check the chain links up).
    const r = await env.ingestion({ fetch: counting }).runOnce();
    expect([r.status, r.blocksProcessed, r.eventsInserted, r.cursorBlock]).toEqual(['ok', 8, 7, 8]);
    expect((await events(env)).map((e) => [e.blockNumber, e.amount]), 'each transfer once, block 5\'s too').toEqual(mined.map((b, i) => [b, `${String(i + 1)}.000000000000000000`]));
    const withLogs = posts.filter((p) => p.includes('eth_getLogs'));
    expect(withLogs.map((p) => [p.filter((m) => m === 'eth_getLogs').length, p.includes('eth_getBlockByNumber')]), 'two getLogs a step, with the blocks').toEqual([
      [2, true],
      [2, true],
    ]);
    // Nothing new: the next run reads the head and re-checks block 8, and asks no logs.
    posts.length = 0;
    const idle = await env.ingestion({ fetch: counting }).runOnce();
    expect([idle.status, idle.requests]).toEqual(['idle', 2]);
    expect(posts.flat()).toEqual(['eth_blockNumber', 'eth_getBlockByNumber']);
  });

  it('stops with rpc_error and stores nothing when a block, a log or a receipt has not the wire shape', async () => {
    type Answer = { id?: unknown; result?: unknown };
    /** A fetch that passes each answer's result through `edit` (by the method asked). */
    const tampering = (edit: (method: string, result: unknown) => unknown): typeof fetch => async (input, init) => {
      const res = await fetch(input, init);
      const body = JSON.parse(await res.text()) as Answer | Answer[];
      const sent = JSON.parse(init!.body as string) as { id: unknown; method: string } | Array<{ id: unknown; method: string }>;
      const methodOf = (id: unknown): string => (Array.isArray(sent) ? sent.find((c) => c.id === id)!.method : sent.method);
      const fix = (a: Answer): Answer => ({ ...a, result: edit(methodOf(a.id), a.result) });
      return new Response(JSON.stringify(Array.isArray(body) ? body.map(fix) : fix(body)), { status: res.status, headers: res.headers });
    };
    const edits: Array<[string, (method: string, result: unknown) => unknown]> = [
      ['a block without its parent hash', (m, r) => (m === 'eth_getBlockByNumber' ? { ...(r as object), parentHash: '0x12' } : r)],
      ['a log whose block number is a JSON number', (m, r) => (m === 'eth_getLogs' && Array.isArray(r) && r.length > 0 ? [{ ...(r[0] as object), blockNumber: 2 }, ...r.slice(1)] : r)],
      ['a receipt whose status is a word', (m, r) => (m === 'eth_getBlockReceipts' && Array.isArray(r) ? r.map((x) => ({ ...(x as object), status: 'ok' })) : r)],
      ['a receipt without logs', (m, r) => (m === 'eth_getBlockReceipts' && Array.isArray(r) ? r.map((x) => ({ ...(x as object), logs: null })) : r)],
    ];
    const env = await setup();
    env.chain.mine([{ from: WHALE, to: USDC, logs: [transferLog(USDC, WHALE, OTHER, 1_000n * 10n ** 6n)] }]);
    env.chain.mine();
    for (const [what, edit] of edits) {
      const r = await env.ingestion({ fetch: tampering(edit) }).runOnce();
      expect([r.status, r.message], what).toEqual(['rpc_error', 'the EVM node answered in an unexpected shape']);
      expect((await events(env)).length, what).toBe(0);
      expect(await cursorBlock(env), what).toBeNull();
    }
    const fine = await env.ingestion({ fetch: tampering((_m, r) => r) }).runOnce();
    expect([fine.status, fine.eventsInserted], 'the same answers untouched').toEqual(['ok', 1]);
  });

  it('does nothing when no ethereum wallet is watched', async () => {
    const env = await setup();
    await new WalletService({ db: env.database.db }).unwatch(env.actor, { wallet: WHALE });
    env.chain.mine([{ from: OTHER, to: WHALE, value: ETHER }]);
    env.chain.mine();
    const r = await env.ingestion().runOnce();
    expect(r.status).toBe('idle');
    expect(r.requests).toBe(0);
    expect((await events(env)).length).toBe(0);
  });
});

async function fetchBlockTime(env: Env, n: number): Promise<number> {
  const res = await fetch(env.chain.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] }),
  });
  const body = (await res.json()) as { result: { timestamp: string } };
  return Number(BigInt(body.result.timestamp)) * 1000;
}
