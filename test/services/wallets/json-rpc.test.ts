// The ingestion's JSON-RPC client: batches (`callMany`) answered by a real node (ganache) and by the
// scripted chain, in order, one POST per batch, every call counted against the budget, a batch cut
// to what the budget has left, a rate-limited batch retried whole, a failed call failing the batch,
// and a node that takes no batches asked one call at a time.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonRpcClient, RpcError } from '../../../src/services/wallets/json-rpc.js';
import { startLocalEvmNode, type LocalEvmNode } from './evm-node.js';
import { startFakeEvmRpc, type FakeEvmRpc } from './fake-evm-rpc.js';

const closing: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of closing.splice(0)) await c.close();
});

/** A fetch that counts the POSTs it sends. */
function countingFetch(): { fetch: typeof fetch; posts: number[] } {
  const posts: number[] = [];
  return {
    posts,
    fetch: async (input, init) => {
      const body = JSON.parse(typeof init?.body === 'string' ? init.body : 'null') as unknown;
      posts.push(Array.isArray(body) ? body.length : 1);
      return fetch(input, init);
    },
  };
}

const block = (n: number): { method: string; params: unknown[] } => ({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] });

describe('JsonRpcClient batches', () => {
  it('gets the same answers from a real node in batches as one call at a time, one POST per batch', async () => {
    const node: LocalEvmNode = await startLocalEvmNode();
    closing.push(node);
    await node.mine(6);
    const counted = countingFetch();
    const rpc = new JsonRpcClient({ url: node.url, budget: 100, maxBatch: 3, fetch: counted.fetch });
    const batched = (await rpc.callMany([0, 1, 2, 3, 4, 5, 6].map(block))) as Array<{ number: string; hash: string }>;
    expect(counted.posts, 'seven calls in batches of at most three').toEqual([3, 3, 1]);
    expect(rpc.requests, 'every call counts against the budget').toBe(7);
    const single: unknown[] = [];
    for (let n = 0; n <= 6; n++) single.push(await rpc.call(block(n).method, block(n).params));
    expect(batched).toEqual(single);
    expect(batched.map((b) => Number(BigInt(b.number)))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(new Set(batched.map((b) => b.hash)).size).toBe(7);
  });

  it('cuts a batch to the budget left and sends nothing beyond it', async () => {
    const chain: FakeEvmRpc = await startFakeEvmRpc({ genesisTime: 1_767_225_600 });
    closing.push(chain);
    chain.mineEmpty(8);
    const counted = countingFetch();
    const rpc = new JsonRpcClient({ url: chain.url, budget: 5, maxBatch: 4, fetch: counted.fetch });
    const err = await rpc.callMany([1, 2, 3, 4, 5, 6, 7, 8].map(block)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe('budget_exhausted');
    expect(counted.posts, 'a batch of four, then the one call the budget had left').toEqual([4, 1]);
    expect(chain.methods).toHaveLength(5);
    expect(rpc.requests).toBe(5);
  });

  it('retries a rate-limited batch whole (Retry-After) and fails the batch on a refused call', async () => {
    const chain: FakeEvmRpc = await startFakeEvmRpc({ genesisTime: 1_767_225_600 });
    closing.push(chain);
    chain.mineEmpty(3);
    const waits: number[] = [];
    const sleep = (ms: number): Promise<void> => {
      waits.push(ms);
      return Promise.resolve();
    };
    const rpc = new JsonRpcClient({ url: chain.url, budget: 20, backoff: { baseMs: 100 }, sleep });
    chain.queue.push({ status: 429, headers: { 'retry-after': '1' } });
    const answers = (await rpc.callMany([1, 2, 3].map(block))) as Array<{ hash: string }>;
    expect(answers.map((b) => b.hash)).toEqual([chain.blockHash(1), chain.blockHash(2), chain.blockHash(3)]);
    expect(waits).toEqual([1000]);
    expect(rpc.requests, 'the refused batch of three and its retry').toBe(6);

    const err = await rpc.callMany([block(1), { method: 'eth_noSuchMethod', params: [] }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe('rpc_error');
    expect((err as RpcError).message).toContain('eth_noSuchMethod');
    expect((err as RpcError).message).not.toContain(chain.url);
  });

  it('asks a node that refuses batches one call at a time', async () => {
    const chain: FakeEvmRpc = await startFakeEvmRpc({ genesisTime: 1_767_225_600 });
    closing.push(chain);
    chain.mineEmpty(3);
    // A provider without batch support: an array gets one error object; single calls go through.
    const proxy = createServer((req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trimStart().startsWith('[')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'batch requests are not supported' } }));
          return;
        }
        const answer = await fetch(chain.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
      })();
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    closing.push({ close: () => new Promise<void>((resolve) => proxy.close(() => resolve())) });
    const counted = countingFetch();
    const rpc = new JsonRpcClient({ url: `http://127.0.0.1:${String((proxy.address() as AddressInfo).port)}`, budget: 20, fetch: counted.fetch });
    const answers = (await rpc.callMany([1, 2, 3].map(block))) as Array<{ hash: string }>;
    expect(answers.map((b) => b.hash)).toEqual([chain.blockHash(1), chain.blockHash(2), chain.blockHash(3)]);
    expect(counted.posts, 'the refused batch, then each call alone').toEqual([3, 1, 1, 1]);
    await rpc.callMany([1, 2].map(block));
    expect(counted.posts.slice(4), 'no batch is tried again').toEqual([1, 1]);
  });
});
