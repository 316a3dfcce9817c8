// Worker-thread entry of startLocalEvmNode({ thread: true }) (evm-node.ts): ganache serves JSON-RPC
// from this thread (serving-thread.ts).
import type { AddressInfo } from 'node:net';
import { workerData } from 'node:worker_threads';
import ganache from 'ganache';
import { ganacheOptions, type LocalEvmNodeOptions } from './evm-node.js';
import { serveUntilClosed } from './serving-thread.js';

const server = ganache.server(ganacheOptions(workerData as LocalEvmNodeOptions));
await server.listen(0, '127.0.0.1');
serveUntilClosed({ port: (server as unknown as { address(): AddressInfo }).address().port }, () => server.close());
