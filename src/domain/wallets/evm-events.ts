// Decoding what an EVM node returns into the wallet events MIKEY stores: ERC-20 `Transfer` logs,
// Uniswap v2 and v3 `Swap` logs (both from `eth_getLogs`) and native-coin transfers (from the
// transactions of `eth_getBlockByNumber(n, true)`), each seen from the watched wallet's side.
//
// Invariants:
// - One event per log (or per native transfer), keyed by chain + transaction hash + log index, so a
//   replay of the same blocks produces the same keys and the store's unique index refuses doubles.
//   A native transfer has no log; it takes the index `NATIVE_TRANSFER_LOG_INDEX` (−1), which no log
//   can have (log indexes start at 0) and which is unique because a transaction moves native value
//   at its top level at most once. (Value moved by internal calls needs traces; not decoded here.)
// - When both sides of a transfer are watched the event is told from the sender's side (`out`) and
//   `counterpartyWatched` is set: the store keeps one row per log, and the receiver's view is the
//   same facts mirrored.
// - Amounts are exact: the raw integer as a bigint, and the human amount with the token's decimals
//   applied through Decimal (never a float). Unknown decimals give `amount: null`, not a guess.
// - Uniswap v3 amounts are int256 (two's complement), signed from the pool's side: positive means
//   the pool received that token (the trader paid it). v2's four unsigned in/out amounts are
//   reduced to the same signed pool deltas, so both versions read the same afterwards.
// - Logs marked `removed: true` (the node says they belong to an orphaned block) and pending logs
//   (no block number yet) are never turned into events; removed ones are reported so the caller
//   can retract them.
// - An exchange deposit is a transfer from a watched wallet to an address in the known-exchange map;
//   a withdrawal is one from such an address to a watched wallet. Everything else is a `transfer`.
// - ERC-721 `Transfer` shares ERC-20's topic0 but indexes its third argument (4 topics, empty data);
//   such logs are ignored, not misread as token amounts.
import { decodeEventLog, parseAbi, toEventSelector, type Hex } from 'viem';
import { z } from 'zod';
import { D, type Dec } from '../money.js';
import { addressKey, toChecksumAddress, type Address } from './address.js';

/** `keccak256("Transfer(address,address,uint256)")`. */
export const ERC20_TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
/** `keccak256("Swap(address,uint256,uint256,uint256,uint256,address)")` — Uniswap v2 pairs and their forks. */
export const UNISWAP_V2_SWAP_TOPIC = '0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822';
/** `keccak256("Swap(address,address,int256,int256,uint160,uint128,int24)")` — Uniswap v3 pools. */
export const UNISWAP_V3_SWAP_TOPIC = '0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67';

/** The log index native transfers take in the event key (no real log has a negative index). */
export const NATIVE_TRANSFER_LOG_INDEX = -1;

export const WALLET_EVENT_ABI = parseAbi([
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event Swap(address indexed sender, uint256 amount0In, uint256 amount1In, uint256 amount0Out, uint256 amount1Out, address indexed to)',
  'event Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)',
]);
const [TRANSFER_ABI, V2_SWAP_ABI, V3_SWAP_ABI] = WALLET_EVENT_ABI;

// ---- Wire shapes (JSON-RPC), validated loosely: the fields used are checked, the rest pass. ----

const HexData = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'expected 0x-prefixed hex bytes');
const Hash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte hash');
const HexAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte address');
/** JSON-RPC QUANTITY: `0x` + hex without leading zeros (leading zeros tolerated). */
const Quantity = z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, 'expected a hex quantity like 0x1a');

/** One entry of `eth_getLogs` (or a receipt's `logs`). Pending logs have nulls for the block fields. */
export const RpcLogSchema = z
  .object({
    address: HexAddress,
    topics: z.array(Hash32).max(4),
    data: HexData,
    blockNumber: Quantity.nullable(),
    blockHash: Hash32.nullable(),
    transactionHash: Hash32.nullable(),
    logIndex: Quantity.nullable(),
    removed: z.boolean().optional(),
  })
  .passthrough();
export type RpcLog = z.infer<typeof RpcLogSchema>;

const HEX_DATA = /^0x([0-9a-fA-F]{2})*$/;
const HASH_32 = /^0x[0-9a-fA-F]{64}$/;
const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;

/**
 * `input` when it has the shape RpcLogSchema accepts, checked field by field without building a copy
 * (the hot path: every log of every step); null otherwise, and the schema then says what is wrong.
 */
function wellFormedLog(input: unknown): RpcLog | null {
  if (typeof input !== 'object' || input === null) return null;
  const l = input as Record<string, unknown>;
  if (typeof l.address !== 'string' || !HEX_ADDRESS.test(l.address)) return null;
  if (!Array.isArray(l.topics) || l.topics.length > 4 || !l.topics.every((t) => typeof t === 'string' && HASH_32.test(t))) return null;
  if (typeof l.data !== 'string' || !HEX_DATA.test(l.data)) return null;
  const nullableMatch = (v: unknown, re: RegExp): boolean => v === null || (typeof v === 'string' && re.test(v));
  if (!nullableMatch(l.blockNumber, QUANTITY) || !nullableMatch(l.blockHash, HASH_32) || !nullableMatch(l.transactionHash, HASH_32) || !nullableMatch(l.logIndex, QUANTITY)) return null;
  if (l.removed !== undefined && typeof l.removed !== 'boolean') return null;
  return l as RpcLog;
}

/** The address in an indexed 32-byte topic (its last 20 bytes), as the ABI decoder reads it. */
const topicAddress = (topic: string): string => `0x${topic.slice(26)}`;

/** One transaction of `eth_getBlockByNumber(n, true)`. `to` is null for contract creation. */
export const RpcTransactionSchema = z
  .object({
    hash: Hash32,
    from: HexAddress,
    to: HexAddress.nullable(),
    value: Quantity,
    blockNumber: Quantity.nullable(),
    blockHash: Hash32.nullable(),
    transactionIndex: Quantity.nullable(),
    gasPrice: Quantity.optional(),
  })
  .passthrough();
export type RpcTransaction = z.infer<typeof RpcTransactionSchema>;

// ---- What the caller knows. ----

export interface TokenInfo {
  symbol: string;
  decimals: number;
}

export interface PoolInfo {
  token0: Address;
  token1: Address;
}

/** Native coin of a chain (ETH on Ethereum: 18 decimals). */
export const ETHER: TokenInfo = { symbol: 'ETH', decimals: 18 };

export interface DecodeContext {
  /** Chain name as stored in `wallets.chain`, e.g. `ethereum`. */
  chain: string;
  /** Watched wallet addresses (any case). */
  watched: Iterable<string>;
  /** Known ERC-20 tokens by contract address (any case): symbol and decimals. */
  tokens?: ReadonlyMap<string, TokenInfo>;
  /** Known exchange addresses (any case) → exchange name, e.g. `Binance`. */
  exchanges?: ReadonlyMap<string, string>;
  /** Uniswap pools by address (any case) → their two tokens, for reading swap amounts. */
  pools?: ReadonlyMap<string, PoolInfo>;
  /**
   * Transaction hash → the transaction's sender (`from` of the transaction or receipt). Swaps are
   * usually routed, so the wallet that swapped appears in neither indexed topic; its transaction does.
   */
  txSenders?: ReadonlyMap<string, string>;
  /** Native coin of the chain (default ETH, 18 decimals). */
  native?: TokenInfo;
}

export const EventDirection = { in: 'in', out: 'out', self: 'self' } as const;
export type EventDirection = (typeof EventDirection)[keyof typeof EventDirection];

/** `onchain_events.event_type` values this decoder writes. */
export const WalletEventType = {
  transfer: 'transfer',
  swap: 'swap',
  depositExchange: 'deposit_exchange',
  withdrawExchange: 'withdraw_exchange',
} as const;
export type WalletEventType = (typeof WalletEventType)[keyof typeof WalletEventType];

export interface EventKey {
  chain: string;
  txHash: Hex;
  /** The log's index in its block; `NATIVE_TRANSFER_LOG_INDEX` for native transfers. */
  logIndex: number;
}

interface EventBase {
  key: EventKey;
  blockNumber: number;
  blockHash: Hex;
  /** The watched wallet whose event this is. */
  wallet: Address;
}

/** An ERC-20 or native-coin transfer to or from a watched wallet. */
export interface TransferEvent extends EventBase {
  kind: 'transfer';
  eventType: WalletEventType;
  /** Token contract; null for the native coin. */
  token: Address | null;
  /** Token symbol when known (untrusted text: it comes from the token's own contract or a list). */
  symbol: string | null;
  from: Address;
  to: Address;
  raw: bigint;
  /** `raw` with the token's decimals applied; null when the decimals are unknown. */
  amount: Dec | null;
  direction: EventDirection;
  counterparty: Address;
  counterpartyWatched: boolean;
  /** Exchange name when the counterparty is a known exchange address. */
  exchange: string | null;
}

export interface SwapLeg {
  /** Token contract; null when the pool is not in `pools`. */
  token: Address | null;
  symbol: string | null;
  raw: bigint;
  amount: Dec | null;
}

/** A Uniswap v2 or v3 swap in which a watched wallet took part. */
export interface SwapEvent extends EventBase {
  kind: 'swap';
  eventType: typeof WalletEventType.swap;
  protocol: 'uniswap_v2' | 'uniswap_v3';
  pool: Address;
  /** Signed amounts from the pool's side: positive = the pool received it. */
  poolDelta0: bigint;
  poolDelta1: bigint;
  /** What the trader paid into the pool and what it took out (token 0 or 1). */
  sold: SwapLeg;
  bought: SwapLeg;
  sender: Address;
  recipient: Address;
}

export type WalletChainEvent = TransferEvent | SwapEvent;

export type LogOutcome =
  | { kind: 'event'; event: WalletChainEvent }
  | { kind: 'removed'; key: EventKey }
  | { kind: 'ignored'; reason: string };

export interface DecodedLogs {
  events: WalletChainEvent[];
  /** Keys of logs the node marked `removed` (orphaned): retract these if stored. */
  removed: EventKey[];
  /** How many logs were not about watched wallets, not decodable, or pending. */
  ignored: number;
}

/** The event's unique key as one string: `chain:txHash:logIndex` (hash lower-cased). */
export function eventKeyString(key: EventKey): string {
  return `${key.chain}:${key.txHash.toLowerCase()}:${String(key.logIndex)}`;
}

/**
 * Applies `decimals` to a raw integer amount, exactly. The decimal point is placed in the digit
 * string rather than by division: a uint256 has up to 78 digits, more than the 60 significant digits
 * decimal arithmetic keeps, and constructing a Decimal from a string does not round.
 */
export function scaleAmount(raw: bigint, decimals: number): Dec {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 77) throw new RangeError(`token decimals must be a whole number 0–77, got ${String(decimals)}`);
  const negative = raw < 0n;
  const digits = (negative ? -raw : raw).toString().padStart(decimals + 1, '0');
  const cut = digits.length - decimals;
  const text = decimals === 0 ? digits : `${digits.slice(0, cut)}.${digits.slice(cut)}`;
  return new D(negative ? `-${text}` : text);
}

function quantity(hex: string, what: string): number {
  const n = BigInt(hex);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} ${hex} is too large`);
  return Number(n);
}

/** Lower-cases a map's keys once, so lookups are immune to the spelling the caller used. */
function lowerKeys<V>(map: ReadonlyMap<string, V> | undefined): Map<string, V> {
  const out = new Map<string, V>();
  if (map) for (const [k, v] of map) out.set(k.toLowerCase(), v);
  return out;
}

class Lookup {
  private readonly watched: Set<string>;
  private readonly exchanges: Map<string, string>;
  private readonly tokens: Map<string, TokenInfo>;
  private readonly pools: Map<string, PoolInfo>;
  private readonly txSenders: Map<string, string>;
  constructor(ctx: DecodeContext) {
    this.watched = new Set([...ctx.watched].map(addressKey));
    this.exchanges = lowerKeys(ctx.exchanges);
    this.tokens = lowerKeys(ctx.tokens);
    this.pools = lowerKeys(ctx.pools);
    this.txSenders = lowerKeys(ctx.txSenders);
  }
  isWatched(a: string): boolean {
    return this.watched.has(addressKey(a));
  }
  exchange(a: string): string | null {
    return this.exchanges.get(addressKey(a)) ?? null;
  }
  token(a: string): TokenInfo | undefined {
    return this.tokens.get(addressKey(a));
  }
  pool(a: string): PoolInfo | undefined {
    return this.pools.get(addressKey(a));
  }
  txSender(hash: string): string | undefined {
    return this.txSenders.get(hash.toLowerCase());
  }
}

/** The transfer seen from the watched side, or null when neither side is watched. */
function transferSide(
  look: Lookup,
  from: Address,
  to: Address,
): Pick<TransferEvent, 'wallet' | 'direction' | 'counterparty' | 'counterpartyWatched' | 'exchange' | 'eventType'> | null {
  const fromWatched = look.isWatched(from);
  const toWatched = look.isWatched(to);
  if (!fromWatched && !toWatched) return null;
  if (addressKey(from) === addressKey(to)) {
    return { wallet: from, direction: EventDirection.self, counterparty: to, counterpartyWatched: true, exchange: null, eventType: WalletEventType.transfer };
  }
  if (fromWatched) {
    const exchange = look.exchange(to);
    return {
      wallet: from,
      direction: EventDirection.out,
      counterparty: to,
      counterpartyWatched: toWatched,
      exchange,
      eventType: exchange ? WalletEventType.depositExchange : WalletEventType.transfer,
    };
  }
  const exchange = look.exchange(from);
  return {
    wallet: to,
    direction: EventDirection.in,
    counterparty: from,
    counterpartyWatched: false,
    exchange,
    eventType: exchange ? WalletEventType.withdrawExchange : WalletEventType.transfer,
  };
}

type TransferSide = NonNullable<ReturnType<typeof transferSide>>;

/**
 * A transfer event, built field by field: spreading the side into a literal with more fields after
 * it makes V8 build a slow (dictionary) object, and this runs once per decoded log.
 */
function transferEvent(key: EventKey, blockNumber: number, blockHash: Hex, side: TransferSide, token: Address | null, symbol: string | null, from: Address, to: Address, raw: bigint, amount: Dec | null): TransferEvent {
  return {
    key,
    blockNumber,
    blockHash,
    wallet: side.wallet,
    direction: side.direction,
    counterparty: side.counterparty,
    counterpartyWatched: side.counterpartyWatched,
    exchange: side.exchange,
    eventType: side.eventType,
    kind: 'transfer',
    token,
    symbol,
    from,
    to,
    raw,
    amount,
  };
}

/** Decodes one log. Never throws on a malformed log: it is `ignored` with the reason. */
export function decodeLog(input: unknown, ctx: DecodeContext): LogOutcome {
  return decodeOne(input, ctx, new Lookup(ctx));
}

function decodeOne(input: unknown, ctx: DecodeContext, look: Lookup): LogOutcome {
  let log = wellFormedLog(input);
  if (!log) {
    const parsed = RpcLogSchema.safeParse(input);
    if (!parsed.success) return { kind: 'ignored', reason: `malformed log: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'log'} ${i.message}`).join('; ')}` };
    log = parsed.data;
  }
  if (log.blockNumber === null || log.blockHash === null || log.transactionHash === null || log.logIndex === null) {
    return { kind: 'ignored', reason: 'pending log (not in a block yet)' };
  }
  try {
    const key: EventKey = { chain: ctx.chain, txHash: log.transactionHash.toLowerCase() as Hex, logIndex: quantity(log.logIndex, 'logIndex') };
    if (log.removed === true) return { kind: 'removed', key };
    const blockNumber = quantity(log.blockNumber, 'blockNumber');
    const blockHash = log.blockHash.toLowerCase() as Hex;
    const topic0 = log.topics[0]?.toLowerCase();
    const topics = log.topics as [Hex, ...Hex[]];
    const data = log.data as Hex;
    if (topic0 === ERC20_TRANSFER_TOPIC) {
      if (log.topics.length !== 3) return { kind: 'ignored', reason: 'Transfer with a non-ERC-20 layout (e.g. an ERC-721 token)' };
      // The layout is fixed (two address topics, one uint256 word of data): read it directly rather
      // than through the ABI decoder, which hashes the event signature again for every log. Data
      // shorter than one word goes to the decoder, which refuses it with its own reason.
      let fromRaw: string, toRaw: string, value: bigint;
      if (data.length >= 66) {
        fromRaw = topicAddress(topics[1]!);
        toRaw = topicAddress(topics[2]!);
        value = BigInt(data.slice(0, 66));
      } else {
        const { args } = decodeEventLog({ abi: [TRANSFER_ABI], topics, data, strict: true });
        [fromRaw, toRaw, value] = [args.from, args.to, args.value];
      }
      const from = toChecksumAddress(fromRaw);
      const to = toChecksumAddress(toRaw);
      const side = transferSide(look, from, to);
      if (!side) return { kind: 'ignored', reason: 'transfer not involving a watched wallet' };
      const token = toChecksumAddress(log.address);
      const info = look.token(token);
      return { kind: 'event', event: transferEvent(key, blockNumber, blockHash, side, token, info?.symbol ?? null, from, to, value, info ? scaleAmount(value, info.decimals) : null) };
    }
    if (topic0 === UNISWAP_V2_SWAP_TOPIC || topic0 === UNISWAP_V3_SWAP_TOPIC) {
      const v3 = topic0 === UNISWAP_V3_SWAP_TOPIC;
      let sender: Address, recipient: Address, delta0: bigint, delta1: bigint;
      if (v3) {
        const { args } = decodeEventLog({ abi: [V3_SWAP_ABI], topics, data, strict: true });
        sender = toChecksumAddress(args.sender);
        recipient = toChecksumAddress(args.recipient);
        delta0 = args.amount0;
        delta1 = args.amount1;
      } else {
        const { args } = decodeEventLog({ abi: [V2_SWAP_ABI], topics, data, strict: true });
        sender = toChecksumAddress(args.sender);
        recipient = toChecksumAddress(args.to);
        delta0 = args.amount0In - args.amount0Out;
        delta1 = args.amount1In - args.amount1Out;
      }
      const txSender = look.txSender(key.txHash);
      const wallet = [txSender, recipient, sender].find((a): a is string => a !== undefined && look.isWatched(a));
      if (!wallet) return { kind: 'ignored', reason: 'swap not made by a watched wallet' };
      if ((delta0 > 0n) === (delta1 > 0n) || delta0 === 0n || delta1 === 0n) {
        return { kind: 'ignored', reason: 'swap without one token in and the other out' };
      }
      const pool = toChecksumAddress(log.address);
      const info = look.pool(pool);
      const leg = (index: 0 | 1, raw: bigint): SwapLeg => {
        const token = info ? (index === 0 ? info.token0 : info.token1) : null;
        const t = token ? look.token(token) : undefined;
        return { token: token ? toChecksumAddress(token) : null, symbol: t?.symbol ?? null, raw, amount: t ? scaleAmount(raw, t.decimals) : null };
      };
      const paid0 = delta0 > 0n;
      return {
        kind: 'event',
        event: {
          key,
          blockNumber,
          blockHash,
          kind: 'swap',
          eventType: WalletEventType.swap,
          wallet: toChecksumAddress(wallet),
          protocol: v3 ? 'uniswap_v3' : 'uniswap_v2',
          pool,
          poolDelta0: delta0,
          poolDelta1: delta1,
          sold: paid0 ? leg(0, delta0) : leg(1, delta1),
          bought: paid0 ? leg(1, -delta1) : leg(0, -delta0),
          sender,
          recipient,
        },
      };
    }
    return { kind: 'ignored', reason: 'not a Transfer or Swap log' };
  } catch (err) {
    return { kind: 'ignored', reason: `undecodable log: ${err instanceof Error ? err.message.split('\n')[0]! : 'unknown error'}` };
  }
}

/** Decodes a batch of logs (one `eth_getLogs` answer), in the order given. */
export function decodeLogs(logs: readonly unknown[], ctx: DecodeContext): DecodedLogs {
  const look = new Lookup(ctx);
  const out: DecodedLogs = { events: [], removed: [], ignored: 0 };
  for (const log of logs) {
    const r = decodeOne(log, ctx, look);
    if (r.kind === 'event') out.events.push(r.event);
    else if (r.kind === 'removed') out.removed.push(r.key);
    else out.ignored++;
  }
  return out;
}

/**
 * Native-coin transfers to or from watched wallets among a block's transactions (`eth_getBlockByNumber`
 * with full transactions). Zero-value transactions and contract creations move nothing to a person
 * and are skipped, as are transactions that do not have the wire shape. A reverted transaction moves no value, but the block does not say which ones
 * reverted: pass their hashes (receipts with `status` 0x0) in `reverted`.
 */
export function decodeNativeTransfers(
  transactions: readonly unknown[],
  ctx: DecodeContext,
  reverted: ReadonlySet<string> = new Set(),
): TransferEvent[] {
  const look = new Lookup(ctx);
  const native = ctx.native ?? ETHER;
  const revertedKeys = new Set([...reverted].map((h) => h.toLowerCase()));
  const out: TransferEvent[] = [];
  for (const input of transactions) {
    const parsed = RpcTransactionSchema.safeParse(input);
    if (!parsed.success) continue;
    const tx = parsed.data;
    if (tx.to === null || tx.blockNumber === null || tx.blockHash === null) continue;
    const raw = BigInt(tx.value);
    if (raw === 0n || revertedKeys.has(tx.hash.toLowerCase())) continue;
    const blockNumber = BigInt(tx.blockNumber);
    if (blockNumber > BigInt(Number.MAX_SAFE_INTEGER)) continue;
    const from = toChecksumAddress(tx.from);
    const to = toChecksumAddress(tx.to);
    const side = transferSide(look, from, to);
    if (!side) continue;
    const key: EventKey = { chain: ctx.chain, txHash: tx.hash.toLowerCase() as Hex, logIndex: NATIVE_TRANSFER_LOG_INDEX };
    out.push(transferEvent(key, Number(blockNumber), tx.blockHash.toLowerCase() as Hex, side, null, native.symbol, from, to, raw, scaleAmount(raw, native.decimals)));
  }
  return out;
}

/** The topic0 of an event signature, for callers building `eth_getLogs` filters. */
export function eventTopic(signature: string): Hex {
  return toEventSelector(signature);
}
