// Worker-thread entry of startFakeEvmRpcThread (fake-evm-rpc.ts): the scripted chain is mined here
// from the blocks given in workerData and served from this thread (serving-thread.ts).
import { workerData } from 'node:worker_threads';
import { startFakeEvmRpc, type FakeTx } from './fake-evm-rpc.js';
import { serveUntilClosed } from './serving-thread.js';

const data = workerData as { genesisTime: number; blocks: FakeTx[][]; emptyBlocks: number; blockReceipts?: boolean; latencyMs?: number };
const rpc = await startFakeEvmRpc({
  genesisTime: data.genesisTime,
  ...(data.blockReceipts === undefined ? {} : { blockReceipts: data.blockReceipts }),
  ...(data.latencyMs === undefined ? {} : { latencyMs: data.latencyMs }),
});
for (const txs of data.blocks) rpc.mine(txs);
rpc.mineEmpty(data.emptyBlocks);
serveUntilClosed({ url: rpc.url, head: rpc.head() }, () => rpc.close());
