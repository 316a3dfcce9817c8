// A scripted EVM chain behind a JSON-RPC HTTP server on 127.0.0.1 (ephemeral port): blocks with
// hashes linked to their parents, transactions (value, status) and logs encoded with viem exactly as
// a node returns them. Tests mine blocks, replace the newest blocks with another branch (a reorg),
// and queue failures (429 with Retry-After, 5xx) for the next requests. JSON-RPC batches (an array
// of calls in one POST) are answered as nodes do: an array of answers matched by id.
// Methods: eth_blockNumber, eth_chainId, eth_getBlockByNumber (full or hashes), eth_getLogs (block
// range, address, topics with null / one / any-of), eth_getTransactionReceipt, and
// eth_getBlockReceipts (block number, tag or hash → the array of the block's receipts, as geth,
// erigon, nethermind and reth answer it) unless started with `blockReceipts: false`, when it is an
// unknown method (-32601) as on nodes without it. Receipts carry the fields nodes send (gas used,
// effective gas price, logs bloom computed from the logs at mining time, type).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeAbiParameters, hexToBytes, keccak256, pad, toHex, type Hex } from 'viem';
import { ERC20_TRANSFER_TOPIC, UNISWAP_V2_SWAP_TOPIC } from '../../../src/domain/wallets/evm-events.js';
import { startServingThread } from './serving-thread.js';

export interface FakeLog {
  address: string;
  topics: Hex[];
  data: Hex;
}

export interface FakeTx {
  from: string;
  to: string | null;
  value?: bigint;
  /** false: the transaction reverted (status 0x0, no logs). */
  success?: boolean;
  logs?: FakeLog[];
  /** Fixed hash (to re-include the same transaction on another branch); default derived. */
  hash?: Hex;
}

interface Block {
  number: number;
  hash: Hex;
  parentHash: Hex;
  timestamp: number;
  txs: Array<Required<Omit<FakeTx, 'logs'>> & { logs: FakeLog[]; hash: Hex; gasUsed: bigint; logsBloom: Hex }>;
}

/** Gas price every fake transaction pays (20 gwei). */
const GAS_PRICE = 20_000_000_000n;

/** The 2048-bit bloom of a receipt's logs (yellow paper: 3 bits per address and per topic). */
function logsBloom(logs: readonly FakeLog[]): Hex {
  const bloom = new Uint8Array(256);
  for (const log of logs) {
    for (const item of [log.address.toLowerCase() as Hex, ...log.topics]) {
      const h = hexToBytes(keccak256(item));
      for (let i = 0; i < 6; i += 2) {
        const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
        bloom[255 - (bit >> 3)]! |= 1 << (bit & 7);
      }
    }
  }
  return toHex(bloom);
}

export interface FakeReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface FakeEvmRpc {
  url: string;
  /** Methods requested, in order. */
  methods: string[];
  /** Replies used for the next requests before normal answers. */
  queue: FakeReply[];
  head(): number;
  /** Appends a block with these transactions; returns its number. `timestamp` default: previous + 12 s. */
  mine(txs?: FakeTx[], timestamp?: number): number;
  /** Appends `n` empty blocks. */
  mineEmpty(n: number): void;
  /** Drops the newest `depth` blocks (a reorg's first half); mine the new branch after. */
  dropBlocks(depth: number): void;
  blockHash(n: number): Hex;
  close(): Promise<void>;
}

export function transferLog(token: string, from: string, to: string, value: bigint): FakeLog {
  return {
    address: token,
    topics: [ERC20_TRANSFER_TOPIC, pad(from.toLowerCase() as Hex, { size: 32 }), pad(to.toLowerCase() as Hex, { size: 32 })],
    data: encodeAbiParameters([{ type: 'uint256' }], [value]),
  };
}

export function swapV2Log(pair: string, sender: string, to: string, a0In: bigint, a1In: bigint, a0Out: bigint, a1Out: bigint): FakeLog {
  return {
    address: pair,
    topics: [UNISWAP_V2_SWAP_TOPIC, pad(sender.toLowerCase() as Hex, { size: 32 }), pad(to.toLowerCase() as Hex, { size: 32 })],
    data: encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }], [a0In, a1In, a0Out, a1Out]),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const topicMatches = (want: unknown, got: string | undefined): boolean => {
  if (want === null || want === undefined) return true;
  if (got === undefined) return false;
  if (Array.isArray(want)) return want.some((w) => typeof w === 'string' && w.toLowerCase() === got.toLowerCase());
  return typeof want === 'string' && want.toLowerCase() === got.toLowerCase();
};

/** `latencyMs`: each answer is held that long, as a node that far away over the network would answer. */
export async function startFakeEvmRpc(opts: { genesisTime: number; blockReceipts?: boolean; latencyMs?: number }): Promise<FakeEvmRpc> {
  let branch = 0;
  let txSeq = 0;
  const genesis: Block = { number: 0, hash: keccak256(toHex('genesis')), parentHash: `0x${'0'.repeat(64)}`, timestamp: opts.genesisTime, txs: [] };
  const chain: Block[] = [genesis];
  const methods: string[] = [];
  const queue: FakeReply[] = [];

  const rpcLog = (b: Block, txIndex: number, log: FakeLog, logIndex: number): Record<string, unknown> => ({
    address: log.address.toLowerCase(),
    topics: log.topics,
    data: log.data,
    blockNumber: toHex(b.number),
    blockHash: b.hash,
    transactionHash: b.txs[txIndex]!.hash,
    transactionIndex: toHex(txIndex),
    logIndex: toHex(logIndex),
    removed: false,
  });
  /** Every log of a block with its block-wide index. */
  const logsOf = (b: Block): Array<{ txIndex: number; log: FakeLog; logIndex: number }> => {
    const out: Array<{ txIndex: number; log: FakeLog; logIndex: number }> = [];
    let i = 0;
    b.txs.forEach((tx, txIndex) => {
      for (const log of tx.logs) out.push({ txIndex, log, logIndex: i++ });
    });
    return out;
  };
  const rpcTx = (b: Block, i: number): Record<string, unknown> => {
    const t = b.txs[i]!;
    return {
      hash: t.hash,
      from: t.from.toLowerCase(),
      to: t.to?.toLowerCase() ?? null,
      value: toHex(t.value),
      blockNumber: toHex(b.number),
      blockHash: b.hash,
      transactionIndex: toHex(i),
      gasPrice: toHex(GAS_PRICE),
      input: '0x',
      nonce: '0x0',
    };
  };
  /** `blockLogs`: logsOf(b), when the caller has it already (a whole block's receipts). */
  const rpcReceipt = (b: Block, txIndex: number, blockLogs = logsOf(b)): Record<string, unknown> => {
    const t = b.txs[txIndex]!;
    let cumulative = 0n;
    for (let i = 0; i <= txIndex; i++) cumulative += b.txs[i]!.gasUsed;
    return {
      transactionHash: t.hash,
      transactionIndex: toHex(txIndex),
      blockNumber: toHex(b.number),
      blockHash: b.hash,
      from: t.from.toLowerCase(),
      to: t.to?.toLowerCase() ?? null,
      cumulativeGasUsed: toHex(cumulative),
      gasUsed: toHex(t.gasUsed),
      effectiveGasPrice: toHex(GAS_PRICE),
      contractAddress: null,
      logs: blockLogs.filter((l) => l.txIndex === txIndex).map((l) => rpcLog(b, l.txIndex, l.log, l.logIndex)),
      logsBloom: t.logsBloom,
      status: t.success ? '0x1' : '0x0',
      type: '0x0',
    };
  };
  const rpcBlock = (b: Block, full: boolean): Record<string, unknown> => ({
    number: toHex(b.number),
    hash: b.hash,
    parentHash: b.parentHash,
    timestamp: toHex(b.timestamp),
    transactions: full ? b.txs.map((_, i) => rpcTx(b, i)) : b.txs.map((t) => t.hash),
  });

  const answer = (method: string, params: unknown[]): unknown => {
    switch (method) {
      case 'eth_chainId':
        return '0x1';
      case 'eth_blockNumber':
        return toHex(chain.length - 1);
      case 'eth_getBlockByNumber': {
        const tag = params[0];
        const n = tag === 'latest' ? chain.length - 1 : Number(BigInt(String(tag)));
        const b = chain[n];
        return b ? rpcBlock(b, params[1] === true) : null;
      }
      case 'eth_getLogs': {
        const f = (params[0] ?? {}) as { fromBlock?: string; toBlock?: string; address?: string | string[]; topics?: unknown[] };
        const from = f.fromBlock ? Number(BigInt(f.fromBlock)) : chain.length - 1;
        const to = f.toBlock ? Number(BigInt(f.toBlock)) : chain.length - 1;
        const addrs = f.address === undefined ? null : (Array.isArray(f.address) ? f.address : [f.address]).map((a) => a.toLowerCase());
        const out: unknown[] = [];
        for (let n = from; n <= Math.min(to, chain.length - 1); n++) {
          const b = chain[n]!;
          for (const { txIndex, log, logIndex } of logsOf(b)) {
            if (addrs && !addrs.includes(log.address.toLowerCase())) continue;
            if (!(f.topics ?? []).every((want, i) => topicMatches(want, log.topics[i]))) continue;
            out.push(rpcLog(b, txIndex, log, logIndex));
          }
        }
        return out;
      }
      case 'eth_getTransactionReceipt': {
        const hash = String(params[0]).toLowerCase();
        for (const b of chain) {
          const txIndex = b.txs.findIndex((t) => t.hash.toLowerCase() === hash);
          if (txIndex >= 0) return rpcReceipt(b, txIndex);
        }
        return null;
      }
      case 'eth_getBlockReceipts': {
        if (opts.blockReceipts === false) throw Object.assign(new Error(`the method ${method} does not exist/is not available`), { rpcCode: -32601 });
        const tag = String(params[0]);
        const b = /^0x[0-9a-fA-F]{64}$/.test(tag) ? chain.find((c) => c.hash.toLowerCase() === tag.toLowerCase()) : chain[tag === 'latest' ? chain.length - 1 : Number(BigInt(tag))];
        if (!b) return null;
        const blockLogs = logsOf(b);
        return b.txs.map((_, i) => rpcReceipt(b, i, blockLogs));
      }
      default:
        throw Object.assign(new Error(`the method ${method} does not exist/is not available`), { rpcCode: -32601 });
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      type Call = { id?: unknown; method?: string; params?: unknown[] };
      let body: Call | Call[];
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        res.writeHead(400).end('bad json');
        return;
      }
      // A JSON-RPC batch (an array of calls) is answered with an array, each call by its id.
      const calls = Array.isArray(body) ? body : [body];
      for (const c of calls) methods.push(String(c.method));
      const queued = queue.shift();
      if (queued) {
        res.writeHead(queued.status, { 'content-type': 'text/plain', ...queued.headers }).end(queued.body ?? 'Too Many Requests');
        return;
      }
      const replies = calls.map((c) => {
        try {
          return { jsonrpc: '2.0', id: c.id ?? null, result: answer(String(c.method), c.params ?? []) };
        } catch (err) {
          return { jsonrpc: '2.0', id: c.id ?? null, error: { code: (err as { rpcCode?: number }).rpcCode ?? -32000, message: (err as Error).message } };
        }
      });
      const reply = JSON.stringify(Array.isArray(body) ? replies : replies[0]);
      if (opts.latencyMs !== undefined) await new Promise((resolve) => setTimeout(resolve, opts.latencyMs));
      res.writeHead(200, { 'content-type': 'application/json' }).end(reply);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeEvmRpc = {
    url: `http://127.0.0.1:${String(port)}`,
    methods,
    queue,
    head: () => chain.length - 1,
    mine(txs = [], timestamp) {
      const parent = chain.at(-1)!;
      const number = parent.number + 1;
      const hash = keccak256(toHex(`block:${String(branch)}:${String(number)}:${parent.hash}`));
      chain.push({
        number,
        hash,
        parentHash: parent.hash,
        timestamp: timestamp ?? parent.timestamp + 12,
        txs: txs.map((t) => {
          const logs = t.success === false ? [] : (t.logs ?? []);
          return {
            from: t.from,
            to: t.to,
            value: t.value ?? 0n,
            success: t.success ?? true,
            logs,
            hash: t.hash ?? keccak256(toHex(`tx:${String(++txSeq)}`)),
            gasUsed: 21_000n + 30_000n * BigInt(logs.length),
            logsBloom: logsBloom(logs),
          };
        }),
      });
      return number;
    },
    mineEmpty(n) {
      for (let i = 0; i < n; i++) fake.mine();
    },
    dropBlocks(depth) {
      if (depth >= chain.length) throw new Error('cannot drop genesis');
      chain.splice(chain.length - depth, depth);
      branch++;
    },
    blockHash: (n) => chain[n]!.hash,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** The scripted chain served from its own worker thread (fake-evm-rpc-thread.ts): mined once, read only. */
export interface FakeEvmRpcThread {
  url: string;
  head(): number;
  close(): Promise<void>;
}

/**
 * Mines `blocks` (then `emptyBlocks` empty ones) on a scripted chain in a worker thread and serves it
 * from there, so the node's work (building and encoding answers) does not run on the caller's thread,
 * as with a real node in its own process. Used by the wallets bench.
 */
export async function startFakeEvmRpcThread(opts: { genesisTime: number; blocks: FakeTx[][]; emptyBlocks: number; blockReceipts?: boolean; latencyMs?: number }): Promise<FakeEvmRpcThread> {
  const { ready, close } = await startServingThread<{ url: string; head: number }>(import.meta.url, 'fake-evm-rpc-thread', opts);
  return { url: ready.url, head: () => ready.head, close };
}
