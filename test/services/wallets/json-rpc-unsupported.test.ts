// Telling "the node does not offer this method" apart from other refusals, as nodes word it: the
// scripted chain started without eth_getBlockReceipts (-32601), a real ganache node (which answers
// -32700 with "does not exist/is not available"), and a node that has the method but refuses the
// parameters. The ingestion falls back to per-transaction receipts only in the first two cases.
import { afterEach, describe, expect, it } from 'vitest';
import { JsonRpcClient, RpcError, isMethodUnsupported } from '../../../src/services/wallets/json-rpc.js';
import { startLocalEvmNode } from './evm-node.js';
import { startFakeEvmRpc } from './fake-evm-rpc.js';

const closing: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of closing.splice(0)) await c.close();
});

async function refusal(rpc: JsonRpcClient, method: string, params: unknown[]): Promise<unknown> {
  return rpc.call(method, params).then(
    () => null,
    (err: unknown) => err,
  );
}

describe('isMethodUnsupported', () => {
  it('recognises a missing eth_getBlockReceipts on the scripted chain and on ganache, and nothing else', async () => {
    const without = await startFakeEvmRpc({ genesisTime: 1_700_000_000, blockReceipts: false });
    const withIt = await startFakeEvmRpc({ genesisTime: 1_700_000_000 });
    const ganache = await startLocalEvmNode();
    closing.push(without, withIt, ganache);
    without.mine();
    withIt.mine([{ from: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', to: '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359', value: 1n }]);

    const missing = await refusal(new JsonRpcClient({ url: without.url, budget: 5 }), 'eth_getBlockReceipts', ['0x1']);
    expect(missing).toBeInstanceOf(RpcError);
    expect((missing as RpcError).rpcCode).toBe(-32601);
    expect(isMethodUnsupported(missing), 'JSON-RPC method not found').toBe(true);

    const onGanache = await refusal(new JsonRpcClient({ url: ganache.url, budget: 5 }), 'eth_getBlockReceipts', ['0x0']);
    expect(onGanache).toBeInstanceOf(RpcError);
    expect(isMethodUnsupported(onGanache), "ganache's wording with its own code").toBe(true);

    const receipts = (await new JsonRpcClient({ url: withIt.url, budget: 5 }).call('eth_getBlockReceipts', ['0x1'])) as Array<Record<string, unknown>>;
    expect(receipts.map((r) => [r.transactionHash, r.status, r.blockHash, r.transactionIndex]), 'the block receipts in wire format').toEqual([[receipts[0]!.transactionHash, '0x1', withIt.blockHash(1), '0x0']]);
    expect(Object.keys(receipts[0]!).sort()).toEqual(
      ['blockHash', 'blockNumber', 'contractAddress', 'cumulativeGasUsed', 'effectiveGasPrice', 'from', 'gasUsed', 'logs', 'logsBloom', 'status', 'to', 'transactionHash', 'transactionIndex', 'type'].sort(),
    );

    // Other refusals are not "unsupported": a rate limit, an HTTP failure, an error about the call itself.
    expect(isMethodUnsupported(new RpcError('rate_limited', 'the EVM node is rate limiting eth_getBlockReceipts: slow down', -32005))).toBe(false);
    expect(isMethodUnsupported(new RpcError('unavailable', 'the EVM node failed on eth_getBlockReceipts (HTTP 503)'))).toBe(false);
    expect(isMethodUnsupported(new RpcError('rpc_error', 'the EVM node refused eth_getBlockReceipts: invalid argument 0: hex string without 0x prefix', -32602))).toBe(false);
    expect(isMethodUnsupported(new Error('method not found'))).toBe(false);
  });
});
