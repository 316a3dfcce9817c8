import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, http, parseAbiItem } from 'viem';
import { mainnet } from 'viem/chains';
import { startLocalEvmNode } from './evm-node.js';
import { startFakeEvmRpc, startFakeEvmRpcThread, transferLog, type FakeEvmRpc } from './fake-evm-rpc.js';

// The scripted chain must read like a real node to a well-kept client: viem parses its answers.
const WHALE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const OTHER = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const TOKEN = '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2';

let chain: FakeEvmRpc;
beforeAll(async () => {
  chain = await startFakeEvmRpc({ genesisTime: 1_767_225_600 });
});
afterAll(async () => {
  await chain.close();
});

describe('fake EVM JSON-RPC', () => {
  it('serves blocks, transactions and filtered Transfer logs that viem decodes', async () => {
    chain.mine([{ from: OTHER, to: WHALE, value: 5n }]);
    chain.mine([{ from: OTHER, to: TOKEN, logs: [transferLog(TOKEN, OTHER, WHALE, 42n), transferLog(TOKEN, OTHER, OTHER, 7n)] }]);
    const client = createPublicClient({ chain: mainnet, transport: http(chain.url, { retryCount: 0 }) });
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(2n);
    const b1 = await client.getBlock({ blockNumber: 1n, includeTransactions: true });
    expect(b1.parentHash).toBe(chain.blockHash(0));
    expect(b1.transactions[0]!.value).toBe(5n);
    expect(b1.timestamp).toBe(1_767_225_612n);
    const logs = await client.getLogs({
      event: parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)'),
      args: { to: WHALE },
      fromBlock: 1n,
      toBlock: 2n,
    });
    expect(logs.map((l) => [l.args.from, l.args.to, l.args.value, l.logIndex, l.blockNumber])).toEqual([[OTHER, WHALE, 42n, 0, 2n]]);
    chain.dropBlocks(1);
    chain.mine();
    const replaced = await client.getBlock({ blockNumber: 2n });
    expect(replaced.hash, 'a reorg replaces the block hash at the same height').not.toBe(logs[0]!.blockHash);
  });

  it('serves the same chain from a worker thread (the bench\'s node), as ganache does there too', async () => {
    const threaded = await startFakeEvmRpcThread({
      genesisTime: 1_767_225_600,
      blocks: [[{ from: OTHER, to: TOKEN, logs: [transferLog(TOKEN, OTHER, WHALE, 42n)] }], []],
      emptyBlocks: 3,
    });
    try {
      expect(threaded.head()).toBe(5);
      const client = createPublicClient({ chain: mainnet, transport: http(threaded.url, { retryCount: 0 }) });
      expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(5n);
      const logs = await client.getLogs({ event: parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)'), args: { to: WHALE }, fromBlock: 1n, toBlock: 5n });
      expect(logs.map((l) => [l.args.value, l.blockNumber])).toEqual([[42n, 1n]]);
    } finally {
      await threaded.close();
    }
    const ganache = await startLocalEvmNode({ thread: true });
    try {
      const [from, to] = ganache.accounts;
      const receipt = await ganache.send({ from: from!, to: to!, value: 3n });
      expect([receipt.status, await ganache.head()]).toEqual(['success', Number(receipt.blockNumber)]);
    } finally {
      await ganache.close();
    }
  });
});
