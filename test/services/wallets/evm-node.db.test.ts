// EVM ingestion against a real local EVM node (ganache, test/services/wallets/evm-node.ts) over
// HTTP JSON-RPC: an ERC-20 pair and a Uniswap-v2-style pair deployed here, real native transfers,
// token transfers, a swap, exchange deposits/withdrawals and a reverted transfer sent as
// transactions, mined past the confirmation depth, ingested by MIKEY's EvmIngestion with the
// wallet watched through WalletService. Replay and restart never double an event; a real reorg
// (evm_snapshot / evm_revert, then other blocks at the same heights) retracts the orphaned events
// and ingests the new branch.
import { asc, eq } from 'drizzle-orm';
import { encodeFunctionData, type Address, type Hash, type TransactionReceipt } from 'viem';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { eventAnalyses, ingestionCursors, onchainEvents } from '../../../src/db/schema/index.js';
import { D } from '../../../src/domain/money.js';
import { NATIVE_TRANSFER_LOG_INDEX, UNISWAP_V3_SWAP_TOPIC } from '../../../src/domain/wallets/evm-events.js';
import type { Actor } from '../../../src/services/actor.js';
import { EvmIngestion, type EvmIngestionOptions, type EvmRunReport } from '../../../src/services/wallets/evm-ingestion.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { createTestDatabase } from '../../support/db.js';
import { newActor } from '../market/support.js';
import { artifact, startLocalEvmNode, type LocalEvmNode } from './evm-node.js';

const TOKEN = artifact('TestToken');
const PAIR = artifact('TestPair');
const POOL_V3 = artifact('TestPoolV3');
const USDC_UNIT = 10n ** 6n;
const ETHER = 10n ** 18n;

interface Env {
  database: Database;
  node: LocalEvmNode;
  actor: Actor;
  walletId: string;
  deployer: Address;
  whale: Address;
  other: Address;
  exchange: Address;
  usdc: Address;
  weth: Address;
  pair: Address;
  /** First block after the deployments: where ingestion starts. */
  start: number;
  ingestion(extra?: Partial<EvmIngestionOptions>): EvmIngestion;
}

const open: Array<{ database: Database; node: LocalEvmNode }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.node.close();
    await o.database.close();
  }
});

/** A node with USDC (6 decimals), WETH (18) and a USDC/WETH pair deployed and funded; the whale watched. */
async function setup(): Promise<Env> {
  const database = await createTestDatabase();
  const actor = await newActor(database, 'nodewatcher');
  // The node's first block comes a minute after the watch began, so every event is after it.
  const node = await startLocalEvmNode({ time: new Date(Date.now() + 60_000) });
  open.push({ database, node });
  const [deployer, whale, other, exchange] = node.accounts as [Address, Address, Address, Address];
  const watched = await new WalletService({ db: database.db }).watch(actor, { address: whale.toLowerCase(), chain: 'ethereum', label: 'node whale' });
  const usdc = await node.deploy(TOKEN, deployer, ['USDC', 6, 10_000_000n * USDC_UNIT]);
  const weth = await node.deploy(TOKEN, deployer, ['WETH', 18, 10_000n * ETHER]);
  const pair = await node.deploy(PAIR, deployer, [usdc, weth]);
  await node.write(TOKEN, usdc, deployer, 'transfer', [pair, 1_000_000n * USDC_UNIT]);
  await node.write(TOKEN, weth, deployer, 'transfer', [pair, 500n * ETHER]);
  const start = (await node.head()) + 1;
  return {
    database,
    node,
    actor,
    walletId: watched.walletId,
    deployer,
    whale,
    other,
    exchange,
    usdc,
    weth,
    pair,
    start,
    ingestion: (extra = {}) =>
      new EvmIngestion({
        db: database.db,
        rpcUrl: node.url,
        confirmations: 2,
        maxBlocksPerStep: 5,
        startBlock: start,
        keep: 16,
        exchanges: new Map([[exchange, 'Binance']]),
        pools: new Map([[pair, { token0: usdc, token1: weth }]]),
        tokens: new Map([
          [usdc, { symbol: 'USDC', decimals: 6 }],
          [weth, { symbol: 'WETH', decimals: 18 }],
        ]),
        ...extra,
      }),
  };
}

/** Runs the ingestion until its cursor reaches the node's confirmed tip (bounded). */
async function ingestToTip(env: Env, ing: EvmIngestion, confirmations = 2): Promise<EvmRunReport[]> {
  // Block n has head − n + 1 confirmations (the head itself has one).
  const tip = (await env.node.head()) - confirmations + 1;
  const reports: EvmRunReport[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await ing.runOnce();
    reports.push(r);
    expect(['ok', 'idle'], r.message ?? '').toContain(r.status);
    if (r.cursorBlock !== null && r.cursorBlock >= tip) return reports;
  }
  throw new Error(`the ingestion did not reach block ${String(tip)} in 20 runs`);
}

async function events(env: Env): Promise<Array<typeof onchainEvents.$inferSelect>> {
  return env.database.db.select().from(onchainEvents).orderBy(asc(onchainEvents.blockNumber), asc(onchainEvents.logIndex));
}

async function cursorBlock(env: Env): Promise<number | null> {
  const [row] = await env.database.db.select().from(ingestionCursors).where(eq(ingestionCursors.source, 'evm:ethereum'));
  return (row?.position as { recent?: Array<{ number: number }> } | undefined)?.recent?.at(-1)?.number ?? null;
}

const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
const amountOf = (e: typeof onchainEvents.$inferSelect): string => new D(e.amount!).toFixed();
const block = (r: TransactionReceipt): number => Number(r.blockNumber);

describe('EVM ingestion against a real local node (ganache)', () => {
  it('ingests native and ERC-20 transfers, a swap and exchange flows exactly once, across replay and restart', async () => {
    const env = await setup();
    const { node, whale, other, exchange, deployer, usdc, weth, pair } = env;
    const nativeIn = await node.send({ from: other, to: whale, value: (3n * ETHER) / 2n });
    const usdcIn = await node.write(TOKEN, usdc, deployer, 'transfer', [whale, 5_000n * USDC_UNIT]);
    const usdcOut = await node.write(TOKEN, usdc, whale, 'transfer', [other, 1_000n * USDC_UNIT]);
    const approve = await node.write(TOKEN, usdc, whale, 'approve', [pair, 3_000n * USDC_UNIT]);
    // 3,000 USDC in (token0), 1 WETH out (token1) to the whale.
    const swap = await node.write(PAIR, pair, whale, 'swap', [3_000n * USDC_UNIT, 0n, 0n, ETHER, whale]);
    const deposit = await node.send({ from: whale, to: exchange, value: ETHER / 2n });
    const withdrawal = await node.send({ from: exchange, to: whale, value: ETHER / 4n });
    // Ether sent to the token contract (no payable function): mined, reverted, moves nothing.
    const reverted = await node.send({ from: whale, to: usdc, value: 9n * ETHER, gas: 100_000n });
    const stranger = await node.write(TOKEN, usdc, deployer, 'transfer', [other, 77n * USDC_UNIT]); // not the whale's
    expect([approve.status, swap.status, reverted.status]).toEqual(['success', 'success', 'reverted']);
    expect(swap.logs, 'the swap transaction holds two Transfer logs and the Swap log').toHaveLength(3);

    // Before the confirmation depth nothing of the last block is stored.
    const early = await env.ingestion().runOnce();
    expect(early.status, early.message ?? '').toBe('ok');
    expect(early.cursorBlock, 'two confirmations: the newest block (one confirmation) waits').toBe(block(stranger) - 1);
    await node.mine(2);
    await ingestToTip(env, env.ingestion());

    const rows = await events(env);
    const expected: Array<[number, Hash, number, string, string | null, string, string | null, boolean]> = [
      [block(nativeIn), nativeIn.transactionHash, NATIVE_TRANSFER_LOG_INDEX, 'transfer', 'ETH', '1.5', null, true],
      [block(usdcIn), usdcIn.transactionHash, 0, 'transfer', 'USDC', '5000', null, false],
      [block(usdcOut), usdcOut.transactionHash, 0, 'transfer', 'USDC', '1000', null, false],
      [block(swap), swap.transactionHash, 0, 'transfer', 'USDC', '3000', null, false],
      [block(swap), swap.transactionHash, 1, 'transfer', 'WETH', '1', null, false],
      [block(swap), swap.transactionHash, 2, 'swap', 'WETH', '1', 'uniswap_v2', false],
      [block(deposit), deposit.transactionHash, NATIVE_TRANSFER_LOG_INDEX, 'deposit_exchange', 'ETH', '0.5', 'Binance', false],
      [block(withdrawal), withdrawal.transactionHash, NATIVE_TRANSFER_LOG_INDEX, 'withdraw_exchange', 'ETH', '0.25', 'Binance', false],
    ];
    expect(rows.map((e) => [e.blockNumber, e.txHash, e.logIndex, e.eventType, e.asset, amountOf(e), e.venue, e.isFirstSinceWatch])).toEqual(expected);
    expect(rows.every((e) => e.walletId === env.walletId && e.chain === 'ethereum' && e.retractedAt === null)).toBe(true);
    for (const e of rows) expect(e.blockHash, `block ${String(e.blockNumber)}'s hash on the node`).toBe(await node.blockHash(e.blockNumber!));
    const raw = (e: (typeof rows)[number]): Record<string, unknown> => e.rawData as Record<string, unknown>;
    expect(raw(rows[1]!)).toMatchObject({ kind: 'transfer', direction: 'in', counterparty: env.deployer, raw: (5_000n * USDC_UNIT).toString() });
    expect(raw(rows[2]!)).toMatchObject({ direction: 'out', counterparty: other });
    expect(raw(rows[5]!)).toMatchObject({ kind: 'swap', protocol: 'uniswap_v2', pool: pair, sold: { symbol: 'USDC', amount: '3000' }, bought: { symbol: 'WETH', amount: '1' } });
    expect(rows[5]!.notionalUsd && new D(rows[5]!.notionalUsd).toFixed(), 'paid in USDC: the notional is what was paid').toBe('3000');
    expect(rows[1]!.notionalUsd && new D(rows[1]!.notionalUsd).toFixed(), 'a stablecoin transfer is its own notional').toBe('5000');
    // The gas price the node reports for each transaction (gwei).
    expect(rows[0]!.gasPrice && new D(rows[0]!.gasPrice).toFixed()).toBe(new D(nativeIn.effectiveGasPrice.toString()).div(1e9).toFixed());
    expect(rows.some((e) => e.txHash === reverted.transactionHash || e.txHash === stranger.transactionHash || e.txHash === approve.transactionHash)).toBe(false);
    expect(await env.database.db.select().from(eventAnalyses), 'one analysis per event').toHaveLength(expected.length);
    // The stored flows agree with the node's balances of the whale.
    const usdcIn_ = sum(rows.filter((e) => e.asset === 'USDC' && raw(e).direction === 'in').map((e) => BigInt(raw(e).raw as string)));
    const usdcOut_ = sum(rows.filter((e) => e.asset === 'USDC' && raw(e).direction === 'out').map((e) => BigInt(raw(e).raw as string)));
    const balance = (await node.client.readContract({ address: usdc, abi: TOKEN.abi, functionName: 'balanceOf', args: [whale] })) as bigint;
    expect(usdcIn_ - usdcOut_, "the whale's USDC balance on the node").toBe(balance);
    const wethBalance = (await node.client.readContract({ address: weth, abi: TOKEN.abi, functionName: 'balanceOf', args: [whale] })) as bigint;
    expect(wethBalance).toBe(ETHER);

    // Replay: the cursor is dropped and the same blocks are ingested again; nothing doubles.
    await env.database.db.delete(ingestionCursors);
    const replay = await ingestToTip(env, env.ingestion());
    expect(sum(replay.map((r) => BigInt(r.eventsInserted))), 'a replay never doubles an event').toBe(0n);
    expect(await events(env)).toHaveLength(expected.length);
    expect(await env.database.db.select().from(eventAnalyses)).toHaveLength(expected.length);

    // Restart: a new ingestion (as after a process restart) resumes from the stored cursor.
    const later = await node.write(TOKEN, weth, whale, 'transfer', [other, ETHER / 10n]);
    await node.mine(2);
    const resumed = await ingestToTip(env, env.ingestion());
    expect(resumed[0]!.blocksProcessed, 'only the blocks after the cursor').toBe(3);
    expect(sum(resumed.map((r) => BigInt(r.eventsInserted)))).toBe(1n);
    const all = await events(env);
    expect(all).toHaveLength(expected.length + 1);
    expect(all.map((e) => [e.txHash, e.eventType, e.asset, amountOf(e)]).at(-1)).toEqual([later.transactionHash, 'transfer', 'WETH', '0.1']);
    expect(await cursorBlock(env)).toBe((await node.head()) - 1);
  });

  it('ingests Uniswap v3 Swap events of a real pool as swaps, in both directions, with the pool deltas as amounts', async () => {
    const env = await setup();
    const { node, whale, deployer, usdc, weth, pair } = env;
    // token0 WETH, token1 USDC (the other way round from the v2 pair), 500 WETH and 1,500,000 USDC.
    const pool = await node.deploy(POOL_V3, deployer, [weth, usdc, 2n ** 96n, 10n ** 18n, 0]);
    await node.write(TOKEN, weth, deployer, 'transfer', [pool, 500n * ETHER]);
    await node.write(TOKEN, usdc, deployer, 'transfer', [pool, 1_500_000n * USDC_UNIT]);
    await node.write(TOKEN, weth, deployer, 'transfer', [whale, 10n * ETHER]);
    await node.write(TOKEN, usdc, deployer, 'transfer', [whale, 5_000n * USDC_UNIT]);
    await node.write(TOKEN, weth, whale, 'approve', [pool, 10n * ETHER]);
    await node.write(TOKEN, usdc, whale, 'approve', [pool, 5_000n * USDC_UNIT]);
    // Sell 2 WETH (token0 in) for 5,900 USDC: the pool's deltas are amount0 = +2e18, amount1 = −5.9e9.
    // (500 + 2) × (1,500,000 − 5,900) = 750,038,200 ≥ 750,000,000: the pool's check holds.
    const sell = await node.write(POOL_V3, pool, whale, 'swap', [whale, true, 2n * ETHER, 5_900n * USDC_UNIT, 2n ** 96n - 1_000n, -1]);
    // Buy 0.5 WETH paying 1,540.25 USDC (token1 in): amount0 = −5e17, amount1 = +1,540,250,000.
    // 501.5 × 1,495,640.25 = 750,063,585.4 ≥ 750,038,200.
    const buy = await node.write(POOL_V3, pool, whale, 'swap', [whale, false, 1_540_250_000n, ETHER / 2n, 2n ** 96n, 0]);
    expect([sell.status, buy.status]).toEqual(['success', 'success']);
    const swapLog = (r: TransactionReceipt): (typeof r.logs)[number] => r.logs.find((l) => l.address.toLowerCase() === pool.toLowerCase())!;
    expect(swapLog(sell).topics[0], "the pool emits Uniswap v3's Swap event").toBe(UNISWAP_V3_SWAP_TOPIC);
    const deltas = (r: TransactionReceipt): [bigint, bigint] => {
      const d = swapLog(r).data.slice(2);
      const word = (i: number): bigint => BigInt.asIntN(256, BigInt(`0x${d.slice(i * 64, (i + 1) * 64)}`));
      return [word(0), word(1)];
    };
    expect(deltas(sell), 'the log carries the pool deltas').toEqual([2n * ETHER, -5_900n * USDC_UNIT]);
    expect(deltas(buy)).toEqual([-(ETHER / 2n), 1_540_250_000n]);
    await node.mine(2);
    await ingestToTip(env, env.ingestion({ pools: new Map([[pair, { token0: usdc, token1: weth }], [pool, { token0: weth, token1: usdc }]]) }));

    const rows = (await events(env)).filter((e) => e.txHash === sell.transactionHash || e.txHash === buy.transactionHash);
    expect(rows.map((e) => [e.txHash, e.logIndex, e.eventType, e.asset, amountOf(e), e.venue, e.notionalUsd && new D(e.notionalUsd).toFixed()])).toEqual([
      [sell.transactionHash, 0, 'transfer', 'WETH', '2', null, null],
      [sell.transactionHash, 1, 'transfer', 'USDC', '5900', null, '5900'],
      [sell.transactionHash, 2, 'swap', 'USDC', '5900', 'uniswap_v3', '5900'],
      [buy.transactionHash, 0, 'transfer', 'USDC', '1540.25', null, '1540.25'],
      [buy.transactionHash, 1, 'transfer', 'WETH', '0.5', null, null],
      [buy.transactionHash, 2, 'swap', 'WETH', '0.5', 'uniswap_v3', '1540.25'],
    ]);
    const raw = (e: (typeof rows)[number]): Record<string, unknown> => e.rawData as Record<string, unknown>;
    expect(raw(rows[2]!)).toEqual({
      kind: 'swap', protocol: 'uniswap_v3', pool, sender: whale, recipient: whale,
      sold: { token: weth, symbol: 'WETH', raw: (2n * ETHER).toString(), amount: '2' },
      bought: { token: usdc, symbol: 'USDC', raw: (5_900n * USDC_UNIT).toString(), amount: '5900' },
    });
    expect(raw(rows[5]!)).toMatchObject({
      protocol: 'uniswap_v3',
      sold: { token: usdc, symbol: 'USDC', raw: '1540250000', amount: '1540.25' },
      bought: { token: weth, symbol: 'WETH', raw: (ETHER / 2n).toString(), amount: '0.5' },
    });
    const analyses = await env.database.db.select().from(eventAnalyses);
    const cls = (e: (typeof rows)[number]): string | null | undefined => analyses.find((a) => a.eventId === e.id)?.llmClassification;
    expect([cls(rows[2]!), cls(rows[5]!)], 'a sale into USDC, then a buy with USDC').toEqual(['distribution', 'accumulation']);
    // The stored swaps agree with the node: the whale's WETH is 10 − 2 + 0.5.
    const wethBalance = (await node.client.readContract({ address: weth, abi: TOKEN.abi, functionName: 'balanceOf', args: [whale] })) as bigint;
    expect(wethBalance).toBe(10n * ETHER - 2n * ETHER + ETHER / 2n);
  });

  it('retracts the events of blocks a real reorg orphaned and ingests the new branch, never double counting', async () => {
    const env = await setup();
    const { node, whale, other, exchange, deployer, usdc } = env;
    const ing = (): EvmIngestion => env.ingestion({ confirmations: 1 });
    const stays = await node.send({ from: other, to: whale, value: ETHER });
    const fork = await node.snapshot();
    const orphanedIn = await node.write(TOKEN, usdc, deployer, 'transfer', [whale, 700n * USDC_UNIT]);
    const orphanedDeposit = await node.send({ from: whale, to: exchange, value: 2n * ETHER });
    await node.mine(1);
    await ingestToTip(env, ing(), 1);
    expect((await events(env)).map((e) => [e.blockNumber, e.eventType])).toEqual([
      [block(stays), 'transfer'],
      [block(orphanedIn), 'transfer'],
      [block(orphanedDeposit), 'deposit_exchange'],
    ]);
    const oldHash = await node.blockHash(block(orphanedIn));

    // The reorg: the node drops the blocks after the snapshot and mines another branch, longer.
    await node.revert(fork);
    expect(await node.head()).toBe(block(stays));
    await node.increaseTime(12); // the new branch's block comes later than the kept one
    const newBranch = await node.send({ from: whale, to: other, value: 3n * ETHER });
    await node.mine(3);
    expect(block(newBranch), 'the new transaction takes the orphaned height').toBe(block(orphanedIn));
    expect(await node.blockHash(block(newBranch))).not.toBe(oldHash);

    const reports = await ingestToTip(env, ing(), 1);
    expect(sum(reports.map((r) => BigInt(r.reorgs)))).toBe(1n);
    expect(sum(reports.map((r) => BigInt(r.eventsRetracted))), 'the two events of the orphaned blocks').toBe(2n);
    const rows = await events(env);
    const counted = rows.filter((e) => e.retractedAt === null);
    const retracted = rows.filter((e) => e.retractedAt !== null);
    expect(retracted.map((e) => [e.txHash, e.eventType, amountOf(e)])).toEqual([
      [orphanedIn.transactionHash, 'transfer', '700'],
      [orphanedDeposit.transactionHash, 'deposit_exchange', '2'],
    ]);
    expect(counted.map((e) => [e.blockNumber, e.txHash, e.amount && amountOf(e)])).toEqual([
      [block(stays), stays.transactionHash, '1'],
      [block(newBranch), newBranch.transactionHash, '3'],
    ]);
    expect(counted[1]!.blockHash).toBe(await node.blockHash(block(newBranch)));
    expect(await cursorBlock(env), 'one confirmation: the head itself').toBe(await node.head());

    // A replay of the new branch changes nothing: the orphaned events stay retracted, none doubles.
    await env.database.db.delete(ingestionCursors);
    const replay = await ingestToTip(env, ing(), 1);
    expect(sum(replay.map((r) => BigInt(r.eventsInserted + r.eventsRevived)))).toBe(0n);
    expect((await events(env)).map((e) => [e.txHash, e.retractedAt === null])).toEqual(rows.map((e) => [e.txHash, e.retractedAt === null]));
    const card = await new WalletService({ db: env.database.db }).card(env.actor, { wallet: 'node whale' });
    expect(card.recentEvents.map((e) => e.amount?.toFixed()), 'a card never shows retracted events').toEqual(['3', '1']);
  });

  it('sends real JSON-RPC: the node answers the filters MIKEY asks with the logs a bare getLogs sees', async () => {
    const env = await setup();
    const { node, whale, other, deployer, usdc } = env;
    await node.write(TOKEN, usdc, deployer, 'transfer', [whale, 10n * USDC_UNIT]);
    await node.write(TOKEN, usdc, whale, 'transfer', [other, 4n * USDC_UNIT]);
    await node.send({ from: whale, to: other, value: 1n, data: encodeFunctionData({ abi: TOKEN.abi, functionName: 'totalSupply' }) });
    await node.mine(2);
    const posts: number[] = [];
    const countingFetch: typeof fetch = async (input, init) => {
      const body = JSON.parse(typeof init?.body === 'string' ? init.body : 'null') as unknown;
      posts.push(Array.isArray(body) ? body.length : 1);
      return fetch(input, init);
    };
    const reports = await ingestToTip(env, env.ingestion({ fetch: countingFetch }));
    const calls = sum(reports.map((r) => BigInt(r.requests)));
    expect(sum(posts.map(BigInt)), 'every call counted against the budget').toBe(calls);
    expect(posts.some((n) => n > 1), "the step's blocks and receipts go in JSON-RPC batches, which the node answers").toBe(true);
    const logs = await node.client.getLogs({
      address: usdc,
      event: { type: 'event', name: 'Transfer', inputs: [{ type: 'address', indexed: true, name: 'from' }, { type: 'address', indexed: true, name: 'to' }, { type: 'uint256', indexed: false, name: 'value' }] },
      fromBlock: BigInt(env.start),
      toBlock: 'latest',
    });
    const mine = logs.filter((l) => l.args.from === whale || l.args.to === whale);
    const stored = (await events(env)).filter((e) => e.asset === 'USDC');
    expect(stored.map((e) => [e.txHash, e.logIndex])).toEqual(mine.map((l) => [l.transactionHash, l.logIndex]));
    expect((await events(env)).filter((e) => e.asset === 'ETH').map(amountOf), 'one wei sent with call data is still a native transfer').toEqual(['0.000000000000000001']);
  });
});
