// A test server (a scripted or a real EVM node) run in a worker thread, as a node runs in its own
// process, so its work is not on the caller's thread (the wallets bench). The worker says what it
// serves in its first message and closes when the parent posts 'close', answering 'closed'.
import { parentPort } from 'node:worker_threads';
import { startModuleWorker } from '../../../src/worker-thread.js';

/** Parent side: starts `<name>.ts` beside `from` with `workerData`, resolves with its first message. */
export async function startServingThread<T>(from: string, name: string, workerData: unknown): Promise<{ ready: T; close(): Promise<void> }> {
  const worker = startModuleWorker(from, name, { workerData });
  const ready = await new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the ${name} thread exited (${String(code)}) before serving`)));
  });
  return {
    ready,
    close: async () => {
      const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}

/** Worker side: tells the parent `ready`, then runs `close` when asked. */
export function serveUntilClosed(ready: unknown, close: () => Promise<void>): void {
  parentPort!.on('message', (m) => {
    if (m === 'close') void close().then(() => parentPort!.postMessage('closed'));
  });
  parentPort!.postMessage(ready);
}
