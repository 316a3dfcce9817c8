// EVM ingestion: the watched Ethereum wallets' native transfers, ERC-20 transfers and Uniswap swaps,
// block by block from a stored cursor, exactly once, through JSON-RPC (MIKEY_EVM_RPC_URL).
//
// One run (`runOnce`), bounded: at most `maxStepsPerRun` cursor steps and `requestBudget` requests.
// Each step follows the domain's reorg-aware cursor (src/domain/wallets/reorg.ts):
//   - process: fetch the batch's blocks (full transactions) with `eth_getLogs` for ERC-20 Transfer
//     with a watched address as topic1 (from) and as topic2 (to) over the same range, all in one
//     JSON-RPC batch request, then (another batch) the receipts of transactions sent by or paying a
//     watched wallet (their status tells reverted native transfers apart; their Swap logs are the wallet's
//     swaps, attributed by transaction sender per the decoder's rule). Receipts come one
//     `eth_getBlockReceipts` per block holding such a transaction (only those transactions' receipts
//     are read), or, from a node without that method (asked once per ingestion, e.g. ganache), one
//     `eth_getTransactionReceipt` per transaction. A receipt whose block hash is not the header the
//     step checked means the chain moved (see below). Then, in ONE statement (one transaction, one
//     round trip): insert the events (unique key, replay-safe), their rule analyses, and the cursor.
//   - reorg: in one transaction, store the rewound cursor and set `retracted_at` on every event of
//     the orphaned blocks (kept, never counted); the next step ingests the new branch.
//   - too_deep: stop and report the domain's recovery message; nothing is changed.
// After the chain cursor's steps, pending backfills (backfill.ts) of watched wallets: bounded steps
// of `backfillLogRange` blocks below the cursor, each one transaction with its backfill row.
// Logs whose block hash is not the header the step checked mean the chain moved under us: the
// step is retried with fresh headers (bounded), nothing is written.
//
// The cursor is moved by a compare-and-set on its last processed header (event-store.ts CursorWrite:
// the step's statement writes its events only if the cursor was where the step started from; a
// reorg's transaction moves the cursor first, then retracts), so two runners never both advance it:
// the second finds it moved and stops, having written nothing.
//
// The node and the database work at the same time: the next step's blocks and logs are asked for
// beside a step's receipts (kept apart, taken only if the next step asks for exactly that range;
// nothing is read beyond a run's last step, nor when the request budget could not then pay for the
// step's receipts), and a step's commit runs while the next step is read. Against a remote node
// that saves a round trip a step. A reorg in between is found by the next step's header check, as
// any other.
//
// Notional in USD: the asset's price at the block time from `prices` (stablecoins 1, WETH→ETH/USDT
// candles …); null when the asset has no known market or no candle covers that time.
// `size_fraction` stays null on EVM: the wallet's total holdings are not known without a portfolio
// valuation (balances of every token), which this ingestion does not do. `gas_price` is stored in
// gwei (the transaction's gasPrice / 1e9).
import { and, between, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { systemClock } from '../../adapters/system-clock.js';
import type { Db, Tx } from '../../db/client.js';
import { ingestionCursors, onchainEvents, walletWatches, wallets } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { D, ONE, type Dec } from '../../domain/money.js';
import type { Clock } from '../../domain/ports.js';
import { addressKey, type Address } from '../../domain/wallets/address.js';
import { STABLECOINS, classifyEvent, classifyInputFromChainEvent } from '../../domain/wallets/classify.js';
import {
  ERC20_TRANSFER_TOPIC,
  UNISWAP_V2_SWAP_TOPIC,
  UNISWAP_V3_SWAP_TOPIC,
  decodeLogs,
  decodeNativeTransfers,
  type DecodeContext,
  type PoolInfo,
  type TokenInfo,
  type WalletChainEvent,
} from '../../domain/wallets/evm-events.js';
import { advance, confirmedTip, headersToFetch, nextBlock, type BlockHeader, type ChainCursor, type CursorOptions } from '../../domain/wallets/reorg.js';
import { EvmBackfillSchema, loadBackfill, pendingBackfills, saveBackfill, type EvmBackfill } from './backfill.js';
import { INSERT_CHUNK, moveCursor, storeEvents, type CursorWrite, type EventToStore } from './event-store.js';
import type { ModelAnalyst } from './model-analysis.js';
import { JsonRpcClient, RpcError, isMethodUnsupported, type BackoffOptions, type RpcCall } from './json-rpc.js';
import { memoizedPrices, stablecoinPricesOnly, type UsdPriceAt } from './usd-prices.js';

/** Well-known Ethereum mainnet tokens (decimals and symbols checked against the contracts). */
export const MAINNET_TOKENS: ReadonlyMap<string, TokenInfo> = new Map([
  ['0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2', { symbol: 'WETH', decimals: 18 }],
  ['0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', { symbol: 'USDC', decimals: 6 }],
  ['0xdAC17F958D2ee523a2206206994597C13D831ec7', { symbol: 'USDT', decimals: 6 }],
  ['0x6B175474E89094C44Da98b954EedeAC495271d0F', { symbol: 'DAI', decimals: 18 }],
  ['0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599', { symbol: 'WBTC', decimals: 8 }],
]);

export interface EvmIngestionOptions {
  db: Db;
  /** JSON-RPC endpoint (MIKEY_EVM_RPC_URL). Never shown in messages. */
  rpcUrl: string;
  /** `wallets.chain` value. Default `ethereum`. */
  chain?: string;
  /** Confirmations before a block is ingested. Default 12. */
  confirmations?: number;
  /** Blocks per step. Default 20. */
  maxBlocksPerStep?: number;
  /** Cursor steps per run. Default 10. */
  maxStepsPerRun?: number;
  /** Processed headers kept for reorg detection (deepest reorg undone). Default 64. */
  keep?: number;
  /** Requests per run, retries included (each call of a batch counts). Default 500. */
  requestBudget?: number;
  /** Most calls per JSON-RPC batch (block and receipt fetches); 1 sends every call alone. Default 50. */
  rpcBatchSize?: number;
  backoff?: Partial<BackoffOptions>;
  /** First block when no cursor is stored. Default: the newest confirmed block at the first run. */
  startBlock?: number;
  tokens?: ReadonlyMap<string, TokenInfo>;
  /** Known exchange addresses → exchange name. */
  exchanges?: ReadonlyMap<string, string>;
  pools?: ReadonlyMap<string, PoolInfo>;
  prices?: UsdPriceAt;
  clock?: Clock;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Test seam: called as a step's commit begins, before its events and cursor are written. */
  beforeCommit?: (blocks: readonly BlockHeader[]) => void | Promise<void>;
  /** Writes new events' analyses by the model (bounded per run); without it the rules' stay. */
  analyst?: ModelAnalyst;
  /** Backfill steps per run (backfill.ts), after the chain cursor's steps. Default 5. */
  maxBackfillStepsPerRun?: number;
  /** Blocks per backfill step (one `eth_getLogs` pair over the range). Default 2000. */
  backfillLogRange?: number;
}

export const EvmRunStatus = {
  /** Caught up to the confirmed tip (or stopped by the step limit after progress). */
  ok: 'ok',
  idle: 'idle',
  budgetExhausted: 'budget_exhausted',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  rpcError: 'rpc_error',
  tooDeep: 'too_deep',
  /** Another runner moved the cursor during this run. */
  contended: 'contended',
  /** The chain kept moving while headers were fetched. */
  unstable: 'unstable',
} as const;
export type EvmRunStatus = (typeof EvmRunStatus)[keyof typeof EvmRunStatus];

export interface EvmRunReport {
  status: EvmRunStatus;
  message: string | null;
  head: number | null;
  /** Last processed block after the run. */
  cursorBlock: number | null;
  blocksProcessed: number;
  eventsInserted: number;
  eventsRevived: number;
  eventsRetracted: number;
  reorgs: number;
  /** Blocks of watched wallets' history read by backfills this run, and the events they stored. */
  backfillBlocks: number;
  backfillEvents: number;
  requests: number;
  /** Backoff delays waited (ms). */
  waits: number[];
}

export function evmCursorSource(chain: string): string {
  return `evm:${chain}`;
}

const Quantity = z.string().regex(/^0x[0-9a-fA-F]{1,64}$/);
const Hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const RpcBlockSchema = z
  .object({ number: Quantity, hash: Hash, parentHash: Hash, timestamp: Quantity, transactions: z.array(z.unknown()) })
  .passthrough();
type RpcBlock = z.infer<typeof RpcBlockSchema>;
const ReceiptSchema = z.object({ transactionHash: Hash, blockHash: Hash.nullish(), status: Quantity.optional(), logs: z.array(z.unknown()) }).passthrough();
const TxHashOf = z.object({ transactionHash: Hash }).passthrough();
const ReceiptFrom = z.object({ from: z.string() }).passthrough();
const HeaderSchema = z.object({ number: Quantity, hash: Hash, timestamp: Quantity }).passthrough();
const LogHead = z.object({ blockNumber: Quantity.nullable(), blockHash: Hash.nullable(), logIndex: Quantity.nullable() }).passthrough();
const CursorSchema = z.object({
  startBlock: z.number().int().nonnegative(),
  recent: z.array(z.object({ number: z.number().int().nonnegative(), hash: z.string(), parentHash: z.string() })),
});

const hex = (n: number): string => `0x${n.toString(16)}`;
const UNEXPECTED_SHAPE = 'the EVM node answered in an unexpected shape';
const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const ZERO_QUANTITY = /^0x0+$/;

/** The fields of a block's transaction the step reads (checked here, without a schema per transaction). */
interface TxLite {
  hash: string;
  from: string;
  to: string | null;
  value: string;
  gasPrice?: string;
}

/** `t` as a TxLite, or null when it has not the wire shape (such a transaction is skipped). */
function txLite(t: unknown): TxLite | null {
  if (typeof t !== 'object' || t === null) return null;
  const { hash, from, to, value, gasPrice } = t as Record<string, unknown>;
  if (typeof hash !== 'string' || !HASH.test(hash) || typeof from !== 'string' || (to !== null && typeof to !== 'string')) return null;
  if (typeof value !== 'string' || !QUANTITY.test(value)) return null;
  if (gasPrice !== undefined && (typeof gasPrice !== 'string' || !QUANTITY.test(gasPrice))) return null;
  return { hash, from, to, value, gasPrice };
}
const num = (q: string): number => Number(BigInt(q));
/** `v` is null or a string matching `re` (a nullable wire field). */
const nullableMatch = (v: unknown, re: RegExp): v is string | null => v === null || (typeof v === 'string' && re.test(v));

/** A log's block fields, checked by hand on the hot path; LogHead says what is wrong (and throws) otherwise. */
function logHead(log: unknown): { blockNumber: string | null; blockHash: string | null; logIndex: string | null } {
  if (typeof log === 'object' && log !== null) {
    const { blockNumber, blockHash, logIndex } = log as Record<string, unknown>;
    if (nullableMatch(blockNumber, QUANTITY) && nullableMatch(blockHash, HASH) && nullableMatch(logIndex, QUANTITY)) return { blockNumber, blockHash, logIndex };
  }
  return LogHead.parse(log);
}

/** A receipt's fields the step reads, checked by hand; ReceiptSchema says what is wrong (and throws) otherwise. */
function receiptOf(raw: unknown): { blockHash?: string | null | undefined; status?: string | undefined; logs: unknown[] } {
  if (typeof raw === 'object' && raw !== null) {
    const { transactionHash, blockHash, status, logs } = raw as Record<string, unknown>;
    if (
      typeof transactionHash === 'string' &&
      HASH.test(transactionHash) &&
      (blockHash === undefined || nullableMatch(blockHash, HASH)) &&
      (status === undefined || (typeof status === 'string' && QUANTITY.test(status))) &&
      Array.isArray(logs)
    ) {
      return { blockHash, status, logs: logs as unknown[] };
    }
  }
  return ReceiptSchema.parse(raw);
}

/** A block as RpcBlockSchema reads it, checked by hand on the hot path; the schema says what is wrong (and throws) otherwise. */
function rpcBlock(raw: unknown): RpcBlock {
  if (typeof raw === 'object' && raw !== null) {
    const b = raw as Record<string, unknown>;
    const ok = (v: unknown, re: RegExp): boolean => typeof v === 'string' && re.test(v);
    if (ok(b.number, QUANTITY) && ok(b.hash, HASH) && ok(b.parentHash, HASH) && ok(b.timestamp, QUANTITY) && Array.isArray(b.transactions)) return b as RpcBlock;
  }
  return RpcBlockSchema.parse(raw);
}

/** `v` as an array (a getLogs answer), or the schema's error. */
const arrayOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : z.array(z.unknown()).parse(v));

const topicFor = (address: string): string => `0x${'0'.repeat(24)}${address.slice(2).toLowerCase()}`;
const lastKey = (c: ChainCursor | null): string => {
  const h = c?.recent.at(-1);
  return h ? `${String(h.number)}:${h.hash.toLowerCase()}` : 'none';
};

class StepAbort extends Error {
  constructor(readonly status: EvmRunStatus, message: string) {
    super(message);
  }
}

interface Watched {
  id: string;
  address: Address;
}

/** The two getLogs answers of a block range (a watched address as `from`, then as `to`). */
interface PrefetchedLogs {
  from: number;
  to: number;
  sent: unknown;
  received: unknown;
}

/**
 * The next step's blocks and logs, asked for while this step is decoded and committed (the node and
 * this thread work at the same time: against a remote node it saves a round trip a step). Its blocks
 * are kept apart and taken only when the next step asks for exactly this range; else it is dropped.
 */
interface ReadAhead {
  from: number;
  to: number;
  withLogs: boolean;
  blocks: Map<number, RpcBlock>;
  done: Promise<PrefetchedLogs | null>;
}

/** ERC-20 Transfer logs with one of `watched` as topic1 (from), then as topic2 (to), over `from … to`: two calls. */
function transferLogCalls(watched: Map<string, Watched>, from: number, to: number): RpcCall[] {
  const topics = [...watched.values()].map((w) => topicFor(w.address));
  const range = { fromBlock: hex(from), toBlock: hex(to) };
  return [
    { method: 'eth_getLogs', params: [{ ...range, topics: [ERC20_TRANSFER_TOPIC, topics] }] },
    { method: 'eth_getLogs', params: [{ ...range, topics: [ERC20_TRANSFER_TOPIC, null, topics] }] },
  ];
}

export class EvmIngestion {
  /**
   * Whether the node answers `eth_getBlockReceipts` (all of a block's receipts in one call): unknown
   * until the first step that needs receipts asks it once alone; a node that does not know the
   * method is asked each transaction's receipt from then on (this object has one endpoint).
   */
  private blockReceipts: boolean | undefined;
  private readonly o: Required<Pick<EvmIngestionOptions, 'chain' | 'confirmations' | 'maxBlocksPerStep' | 'maxStepsPerRun' | 'keep' | 'requestBudget'>> & EvmIngestionOptions;
  private readonly clock: Clock;
  private readonly prices: UsdPriceAt;

  constructor(opts: EvmIngestionOptions) {
    this.o = {
      chain: 'ethereum',
      confirmations: 12,
      maxBlocksPerStep: 20,
      maxStepsPerRun: 10,
      keep: 64,
      requestBudget: 500,
      ...opts,
    };
    this.clock = opts.clock ?? systemClock;
    this.prices = opts.prices ?? stablecoinPricesOnly;
  }

  get source(): string {
    return evmCursorSource(this.o.chain);
  }

  private get cursorOptions(): CursorOptions {
    return { confirmations: this.o.confirmations, maxBatch: this.o.maxBlocksPerStep, keep: this.o.keep };
  }

  /** One bounded ingestion run. Never throws for RPC trouble: the report says what happened. */
  async runOnce(): Promise<EvmRunReport> {
    this.o.analyst?.beginRun();
    const rpc = new JsonRpcClient({
      url: this.o.rpcUrl,
      budget: this.o.requestBudget,
      ...(this.o.backoff ? { backoff: this.o.backoff } : {}),
      ...(this.o.fetch ? { fetch: this.o.fetch } : {}),
      ...(this.o.sleep ? { sleep: this.o.sleep } : {}),
      ...(this.o.rpcBatchSize !== undefined ? { maxBatch: this.o.rpcBatchSize } : {}),
    });
    const report: EvmRunReport = {
      status: EvmRunStatus.idle,
      message: null,
      head: null,
      cursorBlock: null,
      blocksProcessed: 0,
      eventsInserted: 0,
      eventsRevived: 0,
      eventsRetracted: 0,
      reorgs: 0,
      backfillBlocks: 0,
      backfillEvents: 0,
      requests: 0,
      waits: rpc.waits,
    };
    // A step's commit runs while the next step's blocks and logs are fetched and decoded (the database
    // and the node work at the same time); it is awaited before the next commit, a retraction or the
    // end of the run, so commits stay one at a time and in order. `committed` is the cursor as stored.
    let committed: ChainCursor | null = null;
    let pending: Promise<void> | null = null;
    let ahead: ReadAhead | null = null;
    const settle = async (): Promise<void> => {
      const p = pending;
      pending = null;
      if (p) await p;
    };
    try {
      const watched = await this.watchedWallets();
      const stored = await this.loadCursor(this.o.db);
      committed = stored;
      report.cursorBlock = stored?.recent.at(-1)?.number ?? null;
      if (watched.size === 0) {
        report.message = `no ${this.o.chain} wallet is watched`;
        return report;
      }
      const head = num(z.string().parse(await rpc.call('eth_blockNumber', [])));
      report.head = head;
      // The cursor as this run plans it (ahead of `committed` while a commit runs).
      let cursor: ChainCursor = stored ?? { startBlock: this.o.startBlock ?? Math.max(0, confirmedTip(head, this.o.confirmations)), recent: [] };
      const blocks = new Map<number, RpcBlock>();
      let storedKey = lastKey(stored);
      let retries = 0;
      for (let step = 0; step < this.o.maxStepsPerRun; step++) {
        const range = headersToFetch(cursor, head, this.cursorOptions);
        if (!range) {
          report.message ??= 'nothing confirmed beyond the cursor yet';
          break;
        }
        // The step's two getLogs ride in the same batch as its blocks (one request fewer per step),
        // unless the range holds no new block (only the last processed one, re-checked): no calls then.
        const logsOf = range.to >= nextBlock(cursor) ? watched : undefined;
        // (A closure sets `ahead`; the type checker cannot see that.)
        const early = ahead as ReadAhead | null;
        ahead = null;
        let prefetched: PrefetchedLogs | null;
        if (early && early.from === range.from && early.to === range.to && early.withLogs === (logsOf !== undefined)) {
          prefetched = await early.done;
          for (const [n, b] of early.blocks) if (!blocks.has(n)) blocks.set(n, b);
        } else {
          if (early) await early.done.catch(() => undefined);
          prefetched = await this.fetchBlocks(rpc, blocks, range.from, range.to, logsOf);
        }
        let decision = advance(cursor, head, [...blocks.values()].map(toHeader), this.cursorOptions);
        for (let i = 0; i < 4 && decision.ok && decision.value.kind === 'need_headers'; i++) {
          const r = decision.value.range;
          await this.fetchBlocks(rpc, blocks, r.from, r.to);
          decision = advance(cursor, head, [...blocks.values()].map(toHeader), this.cursorOptions);
        }
        if (!decision.ok) throw new StepAbort(EvmRunStatus.tooDeep, decision.error.message);
        const d = decision.value;
        if (d.kind === 'idle') {
          report.message ??= d.reason;
          break;
        }
        if (d.kind === 'need_headers' || d.kind === 'retry') {
          if (++retries > 3) throw new StepAbort(EvmRunStatus.unstable, d.kind === 'retry' ? d.reason : 'headers kept missing');
          blocks.clear();
          continue;
        }
        if (d.kind === 'too_deep') throw new StepAbort(EvmRunStatus.tooDeep, d.message);
        if (d.kind === 'reorg') {
          await settle();
          const retracted = await this.retract(storedKey, d.retract.from, d.retract.to, d.next);
          report.reorgs++;
          report.eventsRetracted += retracted;
          cursor = d.next;
          committed = d.next;
          storedKey = lastKey(cursor);
          continue;
        }
        // process; once the step has its blocks and logs, the next step's are asked for beside its
        // receipts, if the budget keeps `reserve` calls for the receipts (so it never starves this step).
        const readAhead = (reserve: number): void => {
          const r = step + 1 < this.o.maxStepsPerRun ? headersToFetch(d.next, head, this.cursorOptions) : null;
          if (!r) return;
          const withLogs = r.to >= nextBlock(d.next);
          if (rpc.remaining < reserve + (r.to - r.from + 1) + (withLogs ? 2 : 0)) return;
          const into = new Map<number, RpcBlock>();
          const done = this.fetchBlocks(rpc, into, r.from, r.to, withLogs ? watched : undefined, blocks);
          // Observed here; awaited where it is taken or dropped, and at the end of the run.
          done.catch(() => undefined);
          ahead = { from: r.from, to: r.to, withLogs, blocks: into, done };
        };
        const ingest = await this.ingestBlocks(rpc, watched, d.blocks, blocks, prefetched, readAhead);
        if (ingest === 'moved') {
          if (++retries > 3) throw new StepAbort(EvmRunStatus.unstable, 'the chain kept changing while logs were fetched');
          blocks.clear();
          continue;
        }
        await settle();
        const next = d.next;
        pending = this.commit(storedKey, next, ingest, d.blocks).then((r) => {
          report.blocksProcessed += d.blocks.length;
          report.eventsInserted += r.inserted;
          report.eventsRevived += r.revived;
          committed = next;
        });
        // Not left unobserved while the next step is fetched: it is awaited (settle) before anything
        // else is written, and by the error path below.
        pending.catch(() => undefined);
        cursor = next;
        storedKey = lastKey(cursor);
      }
      await settle();
      await this.runBackfills(rpc, watched, cursor, report);
      report.status = report.blocksProcessed > 0 || report.reorgs > 0 || report.backfillBlocks > 0 ? EvmRunStatus.ok : EvmRunStatus.idle;
    } catch (thrown) {
      // A commit still running when something else failed is waited for; its own failure comes first
      // (it happened first: the step after it was only being read).
      let err = thrown;
      if (pending) {
        try {
          await settle();
        } catch (commitErr) {
          err = commitErr;
        }
      }
      if (err instanceof RpcError) {
        report.status = err.code;
        report.message = err.message;
      } else if (err instanceof StepAbort) {
        report.status = err.status;
        report.message = err.message;
      } else if (err instanceof z.ZodError) {
        report.status = EvmRunStatus.rpcError;
        report.message = UNEXPECTED_SHAPE;
      } else {
        throw err;
      }
    } finally {
      // A read-ahead the run did not take (it stopped early) finishes before the run reports.
      const left = ahead as ReadAhead | null;
      if (left) await left.done.catch(() => undefined);
      report.requests = rpc.requests;
      report.cursorBlock = committed?.recent.at(-1)?.number ?? report.cursorBlock;
    }
    return report;
  }

  /** The stored cursor, or null before the first run. */
  async loadCursor(ex: Db | Tx): Promise<ChainCursor | null> {
    const [row] = await ex.select().from(ingestionCursors).where(eq(ingestionCursors.source, this.source));
    if (!row) return null;
    const parsed = CursorSchema.safeParse(row.position);
    if (!parsed.success) throw new StepAbort(EvmRunStatus.tooDeep, `the stored cursor ${this.source} is not readable; reset it`);
    return parsed.data;
  }

  private async watchedWallets(): Promise<Map<string, Watched>> {
    const rows = await this.o.db
      .selectDistinct({ id: wallets.id, address: wallets.address })
      .from(wallets)
      .innerJoin(walletWatches, eq(walletWatches.walletId, wallets.id))
      .where(and(eq(wallets.chain, this.o.chain), eq(wallets.isActive, true)));
    return new Map(rows.map((r) => [addressKey(r.address), { id: r.id, address: r.address as Address }]));
  }

  /**
   * The missing blocks of `from … to` (full transactions), in JSON-RPC batches; with `logsOf`, the
   * two ERC-20 Transfer getLogs of its wallets over `from … to` in the same batch, returned.
   */
  private async fetchBlocks(rpc: JsonRpcClient, into: Map<number, RpcBlock>, from: number, to: number, logsOf?: Map<string, Watched>, have: ReadonlyMap<number, RpcBlock> = into): Promise<PrefetchedLogs | null> {
    const missing: number[] = [];
    for (let n = from; n <= to; n++) if (!have.has(n)) missing.push(n);
    const calls: RpcCall[] = missing.map((n) => ({ method: 'eth_getBlockByNumber', params: [hex(n), true] }));
    if (logsOf) calls.push(...transferLogCalls(logsOf, from, to));
    const raws = await rpc.callMany(calls);
    for (const [i, raw] of raws.slice(0, missing.length).entries()) {
      if (raw === null) throw new StepAbort(EvmRunStatus.unstable, `block ${String(missing[i])} is not on the node (yet)`);
      into.set(missing[i]!, rpcBlock(raw));
    }
    return logsOf ? { from, to, sent: raws[missing.length], received: raws[missing.length + 1] } : null;
  }

  /** Decodes the batch into events to store, or 'moved' if the node's logs belong to other blocks. */
  private async ingestBlocks(
    rpc: JsonRpcClient,
    watched: Map<string, Watched>,
    headers: readonly BlockHeader[],
    blocks: Map<number, RpcBlock>,
    prefetched: PrefetchedLogs | null,
    readAhead: (reserve: number) => void = () => undefined,
  ): Promise<EventToStore[] | 'moved'> {
    const from = headers[0]!.number;
    const to = headers.at(-1)!.number;
    const hashOf = new Map(headers.map((h) => [h.number, h.hash.toLowerCase()]));
    // The logs fetched with the step's blocks when they cover it (they also cover the last processed
    // block, re-read for the reorg check: its logs are skipped); else both filters in one batch now.
    const pre = prefetched && prefetched.from <= from && prefetched.to >= to ? prefetched : null;
    const [sent, received] = pre ? [pre.sent, pre.received] : await rpc.callMany(transferLogCalls(watched, from, to));
    const logs = new Map<string, unknown>();
    for (const log of [...arrayOf(sent), ...arrayOf(received)]) {
      const h = logHead(log);
      if (h.blockNumber === null || h.blockHash === null || h.logIndex === null) continue;
      const n = num(h.blockNumber);
      if (pre && (n < from || n > to)) continue;
      if (hashOf.get(n) !== h.blockHash.toLowerCase()) return 'moved';
      logs.set(`${h.blockHash.toLowerCase()}:${String(num(h.logIndex))}`, log);
    }
    // Senders of the transactions whose receipts are read (swaps are attributed to the sender), the
    // native value transfers touching a watched wallet, and every transaction's gas price (as sent).
    const txSenders = new Map<string, string>();
    const nativeTxs: unknown[] = [];
    const receiptsFor: Array<{ hash: string; block: number }> = [];
    const gasPriceHex = new Map<string, string>();
    const isWatched = (a: string | null): boolean => a !== null && watched.has(addressKey(a));
    for (const h of headers) {
      const block = blocks.get(h.number)!;
      for (const t of block.transactions) {
        const tx = txLite(t);
        if (!tx) continue;
        const hash = tx.hash.toLowerCase();
        if (tx.gasPrice) gasPriceHex.set(hash, tx.gasPrice);
        const fromWatched = isWatched(tx.from);
        const toWatched = isWatched(tx.to);
        if (!fromWatched && !toWatched) continue;
        const paid = !ZERO_QUANTITY.test(tx.value);
        if (paid) nativeTxs.push(t);
        if (fromWatched || paid) {
          receiptsFor.push({ hash, block: h.number });
          txSenders.set(hash, tx.from);
        }
      }
    }
    // The step's own reads are all asked for now; the next step's go out beside its receipts (at most
    // one call per receipt, and one to learn whether the node reads a block's receipts in one call).
    readAhead(receiptsFor.length + 1);
    const reverted = new Set<string>();
    const receipts = await this.fetchReceipts(rpc, receiptsFor);
    for (const [i, raw] of receipts.entries()) {
      const { hash, block } = receiptsFor[i]!;
      if (raw === null) return 'moved';
      const receipt = receiptOf(raw);
      if (receipt.blockHash && receipt.blockHash.toLowerCase() !== hashOf.get(block)) return 'moved';
      if (receipt.status !== undefined && BigInt(receipt.status) === 0n) reverted.add(hash);
      for (const log of receipt.logs) {
        const topic0 = (log as { topics?: unknown[] }).topics?.[0];
        if (topic0 !== UNISWAP_V2_SWAP_TOPIC && topic0 !== UNISWAP_V3_SWAP_TOPIC) continue;
        const h = logHead(log);
        if (h.blockNumber === null || h.blockHash === null || h.logIndex === null) continue;
        if (hashOf.get(num(h.blockNumber)) !== h.blockHash.toLowerCase()) return 'moved';
        logs.set(`${h.blockHash.toLowerCase()}:${String(num(h.logIndex))}`, log);
      }
    }
    const ctx = this.decodeContext(watched.values(), txSenders);
    const decoded = [...decodeLogs([...logs.values()], ctx).events, ...decodeNativeTransfers(nativeTxs, ctx, reverted)];
    decoded.sort((a, b) => a.blockNumber - b.blockNumber || a.key.logIndex - b.key.logIndex);
    const out: EventToStore[] = [];
    const prices = memoizedPrices(this.prices);
    // A block's time and a gas price are shared by many events: each computed once per step.
    const timeOf = new Map<number, Date>();
    const gwei = new Map<string, Dec>();
    for (const event of decoded) {
      const wallet = watched.get(addressKey(event.wallet));
      if (!wallet) continue;
      let at = timeOf.get(event.blockNumber);
      if (!at) timeOf.set(event.blockNumber, (at = new Date(num(blocks.get(event.blockNumber)!.timestamp) * 1000)));
      const gas = gasPriceHex.get(event.key.txHash);
      let gasPrice: Dec | null = null;
      if (gas !== undefined) {
        gasPrice = gwei.get(gas) ?? null;
        if (!gasPrice) gwei.set(gas, (gasPrice = new D(BigInt(gas).toString()).div(1e9)));
      }
      out.push(await this.toStore(event, wallet.id, at, gasPrice, prices));
    }
    return out;
  }

  /**
   * The receipts of `wanted` (in its order; null where the node has none): with `eth_getBlockReceipts`,
   * one call per block holding a wanted transaction (the block's other receipts are not read), else
   * one `eth_getTransactionReceipt` per transaction; both in JSON-RPC batches.
   */
  private async fetchReceipts(rpc: JsonRpcClient, wanted: ReadonlyArray<{ hash: string; block: number }>): Promise<unknown[]> {
    if (wanted.length === 0) return [];
    if (this.blockReceipts !== false) {
      const blockNumbers = [...new Set(wanted.map((w) => w.block))];
      const calls = blockNumbers.map((n) => ({ method: 'eth_getBlockReceipts', params: [hex(n)] }));
      let answers: unknown[] | null = null;
      try {
        if (this.blockReceipts === undefined) {
          // Asked alone the first time: a node without the method refuses one call, not a batch.
          const first = await rpc.call(calls[0]!.method, calls[0]!.params);
          this.blockReceipts = true;
          answers = [first, ...(await rpc.callMany(calls.slice(1)))];
        } else {
          answers = await rpc.callMany(calls);
        }
      } catch (err) {
        if (!isMethodUnsupported(err)) throw err;
        this.blockReceipts = false;
      }
      if (answers) {
        const byHash = new Map<string, unknown>();
        for (const answer of answers) {
          // null: the node does not have that block (any more); its wanted receipts stay missing.
          if (answer === null) continue;
          if (!Array.isArray(answer)) throw new StepAbort(EvmRunStatus.rpcError, UNEXPECTED_SHAPE);
          for (const receipt of answer) {
            const hash = (receipt as { transactionHash?: unknown } | null)?.transactionHash;
            if (typeof hash !== 'string') throw new StepAbort(EvmRunStatus.rpcError, UNEXPECTED_SHAPE);
            byHash.set(hash.toLowerCase(), receipt);
          }
        }
        return wanted.map((w) => byHash.get(w.hash) ?? null);
      }
    }
    return rpc.callMany(wanted.map((w) => ({ method: 'eth_getTransactionReceipt', params: [w.hash] })));
  }

  /** What decoding needs: the watched addresses, the known tokens, exchanges and pools, who sent each transaction. */
  private decodeContext(watched: Iterable<Watched>, txSenders: ReadonlyMap<string, string>): DecodeContext {
    return {
      chain: this.o.chain,
      watched: [...watched].map((w) => w.address),
      tokens: this.o.tokens ?? MAINNET_TOKENS,
      ...(this.o.exchanges ? { exchanges: this.o.exchanges } : {}),
      ...(this.o.pools ? { pools: this.o.pools } : {}),
      txSenders,
    };
  }

  private async usd(prices: UsdPriceAt, symbol: string | null, amount: Dec | null, at: Date): Promise<Dec | null> {
    if (!symbol || !amount) return null;
    const px = await prices.usdPrice(symbol, at);
    if (!px) return null;
    const size = amount.isNeg() ? amount.abs() : amount;
    return px === ONE ? size : px.mul(size);
  }

  /** `prices`: the step's memo of this.prices (memoizedPrices). */
  private async toStore(event: WalletChainEvent, walletId: string, at: Date, gasPrice: Dec | null, prices: UsdPriceAt): Promise<EventToStore> {
    // What differs by kind first, then one literal built field by field (no spread of a shared base:
    // a spread followed by more fields makes V8 build a slow object, and this runs once per event).
    let asset: string | null;
    let amount: Dec | null;
    let notionalUsd: Dec | null;
    let venue: string | null;
    let rawData: Record<string, unknown>;
    if (event.kind === 'transfer') {
      asset = event.symbol;
      amount = event.amount;
      notionalUsd = await this.usd(prices, event.symbol, event.amount, at);
      venue = event.exchange;
      rawData = {
        kind: 'transfer', token: event.token, from: event.from, to: event.to, raw: event.raw.toString(), direction: event.direction,
        counterparty: event.counterparty, counterpartyWatched: event.counterpartyWatched, exchange: event.exchange,
      };
    } else {
      const soldStable = event.sold.symbol !== null && STABLECOINS.has(event.sold.symbol.toUpperCase());
      const leg = (l: typeof event.sold): Record<string, unknown> => ({ token: l.token, symbol: l.symbol, raw: l.raw.toString(), amount: l.amount?.toFixed() ?? null });
      asset = event.bought.symbol;
      amount = event.bought.amount;
      notionalUsd = soldStable && event.sold.amount ? event.sold.amount.abs() : ((await this.usd(prices, event.bought.symbol, event.bought.amount, at)) ?? (await this.usd(prices, event.sold.symbol, event.sold.amount, at)));
      venue = event.protocol;
      rawData = { kind: 'swap', protocol: event.protocol, pool: event.pool, sold: leg(event.sold), bought: leg(event.bought), sender: event.sender, recipient: event.recipient };
    }
    return {
      walletId,
      chain: event.key.chain,
      txHash: event.key.txHash,
      logIndex: event.key.logIndex,
      occurredAt: at,
      blockNumber: event.blockNumber,
      blockHash: event.blockHash,
      sizeFraction: null,
      gasPrice,
      eventType: event.eventType,
      asset,
      amount,
      notionalUsd,
      venue,
      rawData,
      analysis: classifyEvent(classifyInputFromChainEvent(event, { notionalUsd })),
    };
  }

  /**
   * Works off pending backfills of watched wallets (backfill.ts), at most `maxBackfillStepsPerRun`
   * steps. A request's range is fixed here the first time: the `blocks` before the chain cursor's last
   * processed block (`cursor`), which the main ingestion has covered.
   */
  private async runBackfills(rpc: JsonRpcClient, watched: Map<string, Watched>, cursor: ChainCursor, report: EvmRunReport): Promise<void> {
    const maxSteps = this.o.maxBackfillStepsPerRun ?? 5;
    const span = Math.max(1, this.o.backfillLogRange ?? 2000);
    const byId = new Map([...watched.values()].map((w) => [w.id, w]));
    const mainLast = cursor.recent.at(-1)?.number ?? cursor.startBlock - 1;
    let steps = 0;
    for (const pending of await pendingBackfills(this.o.db, this.o.chain)) {
      if (pending.kind !== 'evm') continue;
      const wallet = byId.get(pending.walletId);
      if (!wallet) continue;
      let state: EvmBackfill = pending;
      if (state.toBlock === null) {
        const from = Math.max(0, mainLast - state.blocks + 1);
        const fixed: EvmBackfill = { ...state, fromBlock: from, toBlock: mainLast, next: from, done: mainLast < from };
        await this.commitBackfill(state, fixed, []);
        state = fixed;
      }
      while (!state.done && steps < maxSteps) {
        steps++;
        const from = state.next!;
        const to = Math.min(state.toBlock!, from + span - 1);
        const events = await this.backfillRange(rpc, watched, wallet, from, to);
        if (events === 'moved') throw new StepAbort(EvmRunStatus.unstable, 'the chain changed while a backfill read its logs; it goes on next run');
        const next: EvmBackfill = { ...state, next: to + 1, done: to >= state.toBlock! };
        const r = await this.commitBackfill(state, next, events);
        report.backfillBlocks += to - from + 1;
        report.backfillEvents += r.inserted + r.revived;
        state = next;
      }
      if (steps >= maxSteps) break;
    }
  }

  /** One wallet's ERC-20 transfers and swaps in `from … to`, marked as backfilled; 'moved' if the logs disagree with the headers. */
  private async backfillRange(rpc: JsonRpcClient, watched: Map<string, Watched>, wallet: Watched, from: number, to: number): Promise<EventToStore[] | 'moved'> {
    const range = { fromBlock: hex(from), toBlock: hex(to) };
    const topic = topicFor(wallet.address);
    const sent = z.array(z.unknown()).parse(await rpc.call('eth_getLogs', [{ ...range, topics: [ERC20_TRANSFER_TOPIC, topic] }]));
    const received = z.array(z.unknown()).parse(await rpc.call('eth_getLogs', [{ ...range, topics: [ERC20_TRANSFER_TOPIC, null, topic] }]));
    const logs = new Map<string, { log: unknown; block: number; blockHash: string }>();
    const txHashes = new Set<string>();
    const addLog = (log: unknown): void => {
      const h = LogHead.parse(log);
      if (h.blockNumber === null || h.blockHash === null || h.logIndex === null) return;
      logs.set(`${h.blockHash.toLowerCase()}:${String(num(h.logIndex))}`, { log, block: num(h.blockNumber), blockHash: h.blockHash.toLowerCase() });
    };
    for (const log of [...sent, ...received]) {
      addLog(log);
      const t = TxHashOf.safeParse(log);
      if (t.success) txHashes.add(t.data.transactionHash.toLowerCase());
    }
    if (logs.size === 0) return [];
    const hashes = [...txHashes];
    const txSenders = new Map<string, string>();
    const receipts = await rpc.callMany(hashes.map((hash) => ({ method: 'eth_getTransactionReceipt', params: [hash] })));
    for (const [i, raw] of receipts.entries()) {
      if (raw === null) return 'moved';
      const receipt = ReceiptSchema.parse(raw);
      const sender = ReceiptFrom.safeParse(raw);
      if (sender.success) txSenders.set(hashes[i]!, sender.data.from);
      for (const log of receipt.logs) {
        const topic0 = (log as { topics?: unknown[] }).topics?.[0];
        if (topic0 === UNISWAP_V2_SWAP_TOPIC || topic0 === UNISWAP_V3_SWAP_TOPIC) addLog(log);
      }
    }
    const blockNumbers = [...new Set([...logs.values()].map((l) => l.block))].sort((a, b) => a - b);
    const headers = await rpc.callMany(blockNumbers.map((n) => ({ method: 'eth_getBlockByNumber', params: [hex(n), false] })));
    const header = new Map<number, { hash: string; at: Date }>();
    for (const [i, raw] of headers.entries()) {
      if (raw === null) return 'moved';
      const h = HeaderSchema.parse(raw);
      header.set(blockNumbers[i]!, { hash: h.hash.toLowerCase(), at: new Date(num(h.timestamp) * 1000) });
    }
    for (const l of logs.values()) if (header.get(l.block)?.hash !== l.blockHash) return 'moved';
    const ctx = this.decodeContext(watched.values(), txSenders);
    const decoded = decodeLogs([...logs.values()].map((l) => l.log), ctx).events.filter((e) => addressKey(e.wallet) === addressKey(wallet.address));
    decoded.sort((a, b) => a.blockNumber - b.blockNumber || a.key.logIndex - b.key.logIndex);
    const out: EventToStore[] = [];
    const prices = memoizedPrices(this.prices);
    for (const event of decoded) {
      const e = await this.toStore(event, wallet.id, header.get(event.blockNumber)!.at, null, prices);
      e.backfill = true;
      out.push(e);
    }
    return out;
  }

  /** Stores a backfill step's events and its new state in one transaction, if no other runner moved it. */
  private async commitBackfill(expected: EvmBackfill, next: EvmBackfill, events: readonly EventToStore[]): Promise<{ inserted: number; revived: number }> {
    return withTransaction(this.o.db, async (tx) => {
      const current = await loadBackfill(tx, this.o.chain, expected.walletId, true);
      if (JSON.stringify(current?.evm ?? null) !== JSON.stringify(EvmBackfillSchema.parse(expected))) {
        throw new StepAbort(EvmRunStatus.contended, 'another runner advanced a backfill; this run stopped');
      }
      const r = await storeEvents(tx, events);
      await saveBackfill(tx, this.o.chain, next, this.clock.now());
      return { inserted: r.inserted, revived: r.revived };
    });
  }

  /** The compare-and-set that moves this source's cursor from `expected` (its last header's key) to `next`. */
  private cursorWrite(expected: string, next: ChainCursor): CursorWrite {
    return { source: this.source, position: positionOf(next), expected, at: this.clock.now() };
  }

  /**
   * The cursor did not move: another runner moved it, or it was made unreadable (loadCursor says so:
   * reset it). `ex`: the transaction the compare-and-set ran in, if any (PGlite has one connection).
   */
  private async notClaimed(ex: Db | Tx): Promise<never> {
    await this.loadCursor(ex);
    throw new StepAbort(EvmRunStatus.contended, 'another runner advanced the cursor; this run stopped');
  }

  /**
   * Stores a step: its events, their analyses and the cursor's compare-and-set from `expected` to
   * `next` in ONE statement (storeEvents with a CursorWrite: one round trip, atomic by itself), or,
   * for more events than one statement takes, in one transaction rolled back if the cursor had moved.
   */
  private async commit(expected: string, next: ChainCursor, ruled: readonly EventToStore[], blocks: readonly BlockHeader[]): Promise<{ inserted: number; revived: number }> {
    // The model (when set) before the statement, so no lock waits on it.
    const events = this.o.analyst ? await this.o.analyst.analyze(this.o.db, ruled) : ruled;
    await this.o.beforeCommit?.(blocks);
    const cursor = this.cursorWrite(expected, next);
    const r =
      events.length <= INSERT_CHUNK
        ? await storeEvents(this.o.db, events, cursor)
        : await withTransaction(this.o.db, async (tx) => {
            const stored = await storeEvents(tx, events, cursor);
            return stored.claimed ? stored : this.notClaimed(tx);
          });
    if (!r.claimed) return this.notClaimed(this.o.db);
    return { inserted: r.inserted, revived: r.revived };
  }

  /** A reorg: the cursor rewound to `next` (its compare-and-set first, which locks the row) and the orphaned blocks' events retracted, in one transaction. */
  private async retract(expected: string, from: number, to: number, next: ChainCursor): Promise<number> {
    return withTransaction(this.o.db, async (tx) => {
      if (!(await moveCursor(tx, this.cursorWrite(expected, next)))) return this.notClaimed(tx);
      const rows = await tx
        .update(onchainEvents)
        .set({ retractedAt: this.clock.now() })
        .where(and(eq(onchainEvents.chain, this.o.chain), between(onchainEvents.blockNumber, from, to), isNull(onchainEvents.retractedAt)))
        .returning({ id: onchainEvents.id });
      return rows.length;
    });
  }
}

function positionOf(c: ChainCursor): { startBlock: number; recent: Array<{ number: number; hash: string; parentHash: string }> } {
  return { startBlock: c.startBlock, recent: c.recent.map((h) => ({ number: h.number, hash: h.hash, parentHash: h.parentHash })) };
}

function toHeader(b: RpcBlock): BlockHeader {
  return { number: num(b.number), hash: b.hash.toLowerCase(), parentHash: b.parentHash.toLowerCase() };
}
