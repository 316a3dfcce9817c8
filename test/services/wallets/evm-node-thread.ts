// Worker-thread entry of startLocalEvmNode({ thread: true }) (evm-node.ts): ganache serves JSON-RPC
// from this thread, as a node serves from its own process; the parent is told the port, and closes
// the server by posting 'close'.
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import ganache from 'ganache';
import { ganacheOptions, type LocalEvmNodeOptions } from './evm-node.js';

const server = ganache.server(ganacheOptions(workerData as LocalEvmNodeOptions));
await server.listen(0, '127.0.0.1');
parentPort!.on('message', (m) => {
  if (m === 'close') void server.close().then(() => parentPort!.postMessage('closed'));
});
parentPort!.postMessage({ port: (server as unknown as { address(): AddressInfo }).address().port });
