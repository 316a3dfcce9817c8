// Worker-thread entry of startFakeEvmRpcThread (fake-evm-rpc.ts): the scripted chain is mined here
// from the blocks given in workerData and served from this thread, as a node serves from its own
// process; the parent is told the URL, and closes the server by posting 'close'.
import { parentPort, workerData } from 'node:worker_threads';
import { startFakeEvmRpc, type FakeTx } from './fake-evm-rpc.js';

const data = workerData as { genesisTime: number; blocks: FakeTx[][]; emptyBlocks: number; blockReceipts?: boolean };
const rpc = await startFakeEvmRpc({ genesisTime: data.genesisTime, ...(data.blockReceipts === undefined ? {} : { blockReceipts: data.blockReceipts }) });
for (const txs of data.blocks) rpc.mine(txs);
rpc.mineEmpty(data.emptyBlocks);
parentPort!.on('message', (m) => {
  if (m === 'close') void rpc.close().then(() => parentPort!.postMessage('closed'));
});
parentPort!.postMessage({ url: rpc.url, head: rpc.head() });
