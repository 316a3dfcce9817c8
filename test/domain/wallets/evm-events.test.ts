import { encodeAbiParameters, encodeEventTopics, keccak256, toHex, toBytes, type Hex } from 'viem';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { D } from '../../../src/domain/money.js';
import {
  ERC20_TRANSFER_TOPIC,
  NATIVE_TRANSFER_LOG_INDEX,
  UNISWAP_V2_SWAP_TOPIC,
  UNISWAP_V3_SWAP_TOPIC,
  WALLET_EVENT_ABI,
  decodeLog,
  decodeLogs,
  decodeNativeTransfers,
  eventKeyString,
  scaleAmount,
  type DecodeContext,
  type SwapEvent,
  type TransferEvent,
} from '../../../src/domain/wallets/evm-events.js';

const USDC = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';
const WETH = '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2';
const WHALE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const OTHER = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const WATCHED_TOO = '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB';
const BINANCE = '0x28C6c06298d514Db089934071355E5743bf21d60';
const ROUTER = '0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D';
const V2_PAIR = '0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc'; // USDC/WETH
const V3_POOL = '0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640'; // USDC/WETH 0.05 %
const TX = `0x${'ab'.repeat(32)}`;
const BLOCK_HASH = `0x${'cd'.repeat(32)}`;

const ctx: DecodeContext = {
  chain: 'ethereum',
  watched: [WHALE.toLowerCase(), WATCHED_TOO],
  tokens: new Map([
    [USDC.toLowerCase(), { symbol: 'USDC', decimals: 6 }],
    [WETH, { symbol: 'WETH', decimals: 18 }],
  ]),
  exchanges: new Map([[BINANCE.toLowerCase(), 'Binance']]),
  pools: new Map([
    [V2_PAIR, { token0: USDC, token1: WETH }],
    [V3_POOL, { token0: USDC, token1: WETH }],
  ]),
  txSenders: new Map([[TX, WHALE]]),
};

const [TRANSFER_ABI, V2_SWAP_ABI, V3_SWAP_ABI] = WALLET_EVENT_ABI;

function wireLog(address: string, topics: Hex[], data: Hex, logIndex = 7, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { address: address.toLowerCase(), topics, data, blockNumber: '0x12d687', blockHash: BLOCK_HASH, transactionHash: TX, transactionIndex: '0x3', logIndex: toHex(logIndex), removed: false, ...extra };
}

function transferLog(token: string, from: string, to: string, value: bigint, logIndex = 7): Record<string, unknown> {
  const topics = encodeEventTopics({ abi: [TRANSFER_ABI], eventName: 'Transfer', args: { from: from as Hex, to: to as Hex } }) as Hex[];
  return wireLog(token, topics, encodeAbiParameters([{ type: 'uint256' }], [value]), logIndex);
}

function eventOf(log: unknown): TransferEvent | SwapEvent {
  const r = decodeLog(log, ctx);
  if (r.kind !== 'event') throw new Error(`expected an event, got ${r.kind}${r.kind === 'ignored' ? `: ${r.reason}` : ''}`);
  return r.event;
}

describe('event signatures', () => {
  it('topic0 constants are the keccak-256 of the canonical signatures', () => {
    expect(keccak256(toBytes('Transfer(address,address,uint256)'))).toBe(ERC20_TRANSFER_TOPIC);
    expect(keccak256(toBytes('Swap(address,uint256,uint256,uint256,uint256,address)'))).toBe(UNISWAP_V2_SWAP_TOPIC);
    expect(keccak256(toBytes('Swap(address,address,int256,int256,uint160,uint128,int24)'))).toBe(UNISWAP_V3_SWAP_TOPIC);
  });
});

describe('token amounts', () => {
  it('applies decimals exactly for any uint256 (property: scaling back gives the raw integer)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.integer({ min: 0, max: 30 }), (raw, decimals) => {
        const amount = scaleAmount(raw, decimals);
        // Oracle without decimal arithmetic (which keeps 60 significant digits, fewer than a uint256 has).
        const [int, frac = ''] = amount.toFixed().split('.');
        const back = BigInt(`${int!}${frac.padEnd(decimals, '0')}`);
        return back === raw && frac.length <= decimals && D(amount.toFixed()).eq(amount);
      }),
      { numRuns: 300 },
    );
    expect(scaleAmount(2n ** 256n - 1n, 18).toFixed(), 'uint256 max with 18 decimals, all 78 digits kept').toBe('115792089237316195423570985008687907853269984665640564039457.584007913129639935');
    expect(() => scaleAmount(1n, -1)).toThrow(/decimals must be a whole number/);
  });
});

describe('ERC-20 transfers', () => {
  it('decodes a hand-written USDC transfer of 1,234.56 (6 decimals) to a watched wallet', () => {
    const log = {
      address: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48',
      topics: [
        '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
        '0x000000000000000000000000fb6916095ca1df60bb79ce92ce3ea74c37c5d359',
        '0x0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed',
      ],
      data: '0x000000000000000000000000000000000000000000000000000000004995e400',
      blockNumber: '0x12d687',
      blockHash: BLOCK_HASH,
      transactionHash: TX,
      transactionIndex: '0x3',
      logIndex: '0x1f',
      removed: false,
    };
    const e = eventOf(log) as TransferEvent;
    expect(e.kind).toBe('transfer');
    expect(e.raw, 'raw value is the exact integer').toBe(1_234_560_000n);
    expect(e.amount?.toFixed(), 'decimals applied exactly').toBe('1234.56');
    expect(e.symbol).toBe('USDC');
    expect(e.token, 'token address checksummed').toBe(USDC);
    expect(e.from).toBe(OTHER);
    expect(e.to).toBe(WHALE);
    expect(e.wallet).toBe(WHALE);
    expect(e.direction).toBe('in');
    expect(e.eventType).toBe('transfer');
    expect(e.exchange).toBeNull();
    expect(e.blockNumber).toBe(1_234_567);
    expect(e.key, 'unique key: chain + tx hash + log index').toEqual({ chain: 'ethereum', txHash: TX, logIndex: 31 });
    expect(eventKeyString(e.key)).toBe(`ethereum:${TX}:31`);
  });

  it('classifies transfers to and from known exchange addresses', () => {
    const deposit = eventOf(transferLog(WETH, WHALE, BINANCE, 1_500n * 10n ** 18n)) as TransferEvent;
    expect(deposit.eventType).toBe('deposit_exchange');
    expect(deposit.direction).toBe('out');
    expect(deposit.exchange).toBe('Binance');
    expect(deposit.amount?.toFixed()).toBe('1500');
    const withdrawal = eventOf(transferLog(WETH, BINANCE, WHALE, 25n * 10n ** 17n)) as TransferEvent;
    expect(withdrawal.eventType).toBe('withdraw_exchange');
    expect(withdrawal.direction).toBe('in');
    expect(withdrawal.counterparty).toBe(BINANCE);
    expect(withdrawal.amount?.toFixed()).toBe('2.5');
  });

  it('tells a transfer between two watched wallets once, from the sender', () => {
    const e = eventOf(transferLog(USDC, WHALE, WATCHED_TOO, 1n)) as TransferEvent;
    expect(e.wallet).toBe(WHALE);
    expect(e.direction).toBe('out');
    expect(e.counterpartyWatched).toBe(true);
    expect(e.amount?.toFixed()).toBe('0.000001');
  });

  it('keeps the raw amount and no guessed decimals for an unknown token', () => {
    const unknownToken = '0x1111111111111111111111111111111111111111';
    const e = eventOf(transferLog(unknownToken, OTHER, WHALE, 2n ** 255n + 1n)) as TransferEvent;
    expect(e.raw).toBe(2n ** 255n + 1n);
    expect(e.amount).toBeNull();
    expect(e.symbol).toBeNull();
  });

  it('ignores transfers of unwatched wallets, ERC-721 transfers, pending and malformed logs; reports removed ones', () => {
    const nft = wireLog(USDC, [ERC20_TRANSFER_TOPIC, `0x${'0'.repeat(24)}${OTHER.slice(2).toLowerCase()}`, `0x${'0'.repeat(24)}${WHALE.slice(2).toLowerCase()}`, toHex(5n, { size: 32 })], '0x');
    const removed = { ...transferLog(USDC, OTHER, WHALE, 5n, 9), removed: true };
    const pending = { ...transferLog(USDC, OTHER, WHALE, 5n), blockNumber: null, blockHash: null, logIndex: null };
    const batch = decodeLogs(
      [transferLog(USDC, OTHER, BINANCE, 5n), nft, removed, pending, { address: 'nope' }, transferLog(USDC, OTHER, WHALE, 5n, 10)],
      ctx,
    );
    expect(batch.events.map((e) => e.key.logIndex), 'only the watched transfer becomes an event').toEqual([10]);
    expect(batch.removed, 'removed logs are reported by key for retraction').toEqual([{ chain: 'ethereum', txHash: TX, logIndex: 9 }]);
    expect(batch.ignored).toBe(4);
    const bad = decodeLog({ address: 'nope' }, ctx);
    expect(bad.kind === 'ignored' && bad.reason).toMatch(/malformed log: address expected a 20-byte address/);
  });

  it('never throws on a log it cannot read: short data or an absurd block number is ignored with the reason', () => {
    const short = { ...transferLog(USDC, OTHER, WHALE, 5n), data: '0x0001' };
    const r = decodeLog(short, ctx);
    expect(r.kind).toBe('ignored');
    expect(r.kind === 'ignored' && r.reason).toMatch(/^undecodable log: /);
    const huge = decodeLog({ ...transferLog(USDC, OTHER, WHALE, 5n), blockNumber: `0x${'f'.repeat(20)}` }, ctx);
    expect(huge.kind === 'ignored' && huge.reason).toMatch(/blockNumber 0xf+ is too large/);
  });

  it('produces the same keys when the same logs are decoded again (replay)', () => {
    const logs = [transferLog(USDC, OTHER, WHALE, 5n, 1), transferLog(WETH, WHALE, BINANCE, 7n, 2)];
    const first = decodeLogs(logs, ctx).events.map((e) => eventKeyString(e.key));
    const again = decodeLogs(logs, ctx).events.map((e) => eventKeyString(e.key));
    expect(new Set([...first, ...again]).size, 'a replay adds no new keys').toBe(2);
  });
});

describe('Uniswap swaps', () => {
  it('decodes a v2 swap of 3,000 USDC for 1.2 WETH made by a watched wallet through a router', () => {
    const topics = encodeEventTopics({ abi: [V2_SWAP_ABI], eventName: 'Swap', args: { sender: ROUTER, to: WHALE } }) as Hex[];
    const data = encodeAbiParameters(
      [{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }],
      [3_000_000_000n, 0n, 0n, 12n * 10n ** 17n],
    );
    const e = eventOf(wireLog(V2_PAIR, topics, data, 4)) as SwapEvent;
    expect(e.kind).toBe('swap');
    expect(e.protocol).toBe('uniswap_v2');
    expect(e.wallet).toBe(WHALE);
    expect(e.poolDelta0, 'pool received 3,000 USDC').toBe(3_000_000_000n);
    expect(e.poolDelta1, 'pool paid out 1.2 WETH').toBe(-(12n * 10n ** 17n));
    expect([e.sold.symbol, e.sold.amount?.toFixed()]).toEqual(['USDC', '3000']);
    expect([e.bought.symbol, e.bought.amount?.toFixed()]).toEqual(['WETH', '1.2']);
    expect(e.sender).toBe(ROUTER);
  });

  it('decodes a v3 swap with a negative int256 amount (two\'s complement)', () => {
    const topics = encodeEventTopics({ abi: [V3_SWAP_ABI], eventName: 'Swap', args: { sender: ROUTER, recipient: ROUTER } }) as Hex[];
    const data = encodeAbiParameters(
      [{ type: 'int256' }, { type: 'int256' }, { type: 'uint160' }, { type: 'uint128' }, { type: 'int24' }],
      [-15_000_000_000n, 5n * 10n ** 18n, 2n ** 96n, 10n ** 18n, -200_000],
    );
    const e = eventOf(wireLog(V3_POOL, topics, data, 5)) as SwapEvent;
    expect(e.protocol).toBe('uniswap_v3');
    expect(e.wallet, 'found through the transaction sender, not the router in the topics').toBe(WHALE);
    expect(e.poolDelta0).toBe(-15_000_000_000n);
    expect([e.sold.symbol, e.sold.amount?.toFixed()]).toEqual(['WETH', '5']);
    expect([e.bought.symbol, e.bought.amount?.toFixed()]).toEqual(['USDC', '15000']);
  });

  it('reads a hand-written v3 swap word ffff…: −5 WETH out of the pool', () => {
    const log = wireLog(
      V3_POOL,
      [UNISWAP_V3_SWAP_TOPIC, `0x${'0'.repeat(24)}${ROUTER.slice(2).toLowerCase()}` as Hex, `0x${'0'.repeat(24)}${WHALE.slice(2).toLowerCase()}` as Hex],
      `0x${[
        '00000000000000000000000000000000000000000000000000000002540be400', // amount0 = +10,000 USDC
        'ffffffffffffffffffffffffffffffffffffffffffffffffba9c6e7dbb0c0000', // amount1 = −5e18
        '0000000000000000000000000000000000000001000000000000000000000000',
        '0000000000000000000000000000000000000000000000000de0b6b3a7640000',
        'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffcf2c0',
      ].join('')}`,
    );
    const e = eventOf({ ...log, transactionHash: `0x${'ef'.repeat(32)}` }) as SwapEvent;
    expect(e.wallet, 'recipient is watched').toBe(WHALE);
    expect(e.poolDelta1).toBe(-5n * 10n ** 18n);
    expect(e.bought.amount?.toFixed()).toBe('5');
    expect(e.sold.amount?.toFixed()).toBe('10000');
  });

  it('ignores swaps no watched wallet made', () => {
    const topics = encodeEventTopics({ abi: [V2_SWAP_ABI], eventName: 'Swap', args: { sender: ROUTER, to: OTHER } }) as Hex[];
    const data = encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }], [1n, 0n, 0n, 1n]);
    const r = decodeLog({ ...wireLog(V2_PAIR, topics, data), transactionHash: `0x${'01'.repeat(32)}` }, ctx);
    expect(r).toEqual({ kind: 'ignored', reason: 'swap not made by a watched wallet' });
  });
});

describe('native transfers', () => {
  const tx = (hash: string, from: string, to: string | null, value: string): Record<string, unknown> => ({
    hash,
    from: from.toLowerCase(),
    to: to?.toLowerCase() ?? null,
    value,
    blockNumber: '0x12d687',
    blockHash: BLOCK_HASH,
    transactionIndex: '0x0',
    gasPrice: '0x3b9aca00',
    input: '0x',
  });

  it('finds ETH moved to and from watched wallets, keyed with the sentinel log index', () => {
    const h = (b: string): string => `0x${b.repeat(32)}`;
    const events = decodeNativeTransfers(
      [
        tx(h('01'), WHALE, BINANCE, '0xde0b6b3a7640000'), // 1 ETH to Binance
        tx(h('02'), OTHER, WHALE, '0x1bc16d674ec80000'), // 2 ETH in
        tx(h('03'), OTHER, BINANCE, '0x1'), // nobody watched
        tx(h('04'), WHALE, OTHER, '0x0'), // no value
        tx(h('05'), WHALE, null, '0x5'), // contract creation
        tx(h('06'), WHALE, OTHER, '0x5'), // reverted
      ],
      ctx,
      new Set([h('06')]),
    );
    expect(events.map((e) => [e.eventType, e.direction, e.amount?.toFixed(), e.symbol])).toEqual([
      ['deposit_exchange', 'out', '1', 'ETH'],
      ['transfer', 'in', '2', 'ETH'],
    ]);
    expect(events[0]!.key).toEqual({ chain: 'ethereum', txHash: h('01'), logIndex: NATIVE_TRANSFER_LOG_INDEX });
    expect(NATIVE_TRANSFER_LOG_INDEX, 'no real log index is negative').toBeLessThan(0);
    expect(events[0]!.token).toBeNull();
  });
});
