// A client for Hyperliquid's public info API: a perp trader's account (value, open positions with
// size, entry, leverage and liquidation price), its fills, and every coin's mid price. Reads only,
// no key. Each call is one POST to `<baseUrl>/info` with a JSON body naming the request `type`,
// bounded by a timeout; the answer is checked against the wire schema and mapped to Decimals.
//
// Polling discipline belongs to the caller: `userFillsByTime` returns at most 2000 fills from
// `startTime` on, oldest first, so a poller pages by moving `startTime` past the newest fill it has
// stored and de-duplicates on (hash, tid) — a fill keeps its `tid` for ever.
//
// Failures are `HyperliquidError`s: `invalid_input` for a bad address or a 4xx the API blames on
// the request, `rate_limited` for 429, `unavailable` for timeouts, network failures, 5xx and answers
// that are not the documented shape. Nothing is retried here (the caller owns the rate budget).
import { z } from 'zod';
import { D, type Dec } from '../../domain/money.js';
import { parseAddress, type Address } from '../../domain/wallets/address.js';
import { HyperliquidError, HyperliquidErrorCode, bodyExcerpt } from './errors.js';
import { HlAllMidsSchema, HlClearinghouseStateSchema, HlFillsSchema, type HlFill } from './info-schema.js';

export const DEFAULT_HYPERLIQUID_URL = 'https://api.hyperliquid.xyz';

export interface HyperliquidInfoOptions {
  /** Base URL without `/info`. Default https://api.hyperliquid.xyz. */
  baseUrl?: string;
  /** Per-request timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** The fetch to use (tests, proxies). Default the global fetch. */
  fetch?: typeof fetch;
}

export interface HyperliquidPosition {
  coin: string;
  /** Signed size: positive long, negative short (in coins). */
  szi: Dec;
  side: 'long' | 'short';
  entryPx: Dec | null;
  positionValue: Dec;
  unrealizedPnl: Dec;
  leverage: { type: 'cross' | 'isolated'; value: number };
  liquidationPx: Dec | null;
  marginUsed: Dec;
}

export interface HyperliquidAccount {
  user: Address;
  accountValue: Dec;
  totalNotional: Dec;
  totalMarginUsed: Dec;
  withdrawable: Dec;
  positions: HyperliquidPosition[];
  /** When Hyperliquid read the state. */
  time: Date;
}

export interface HyperliquidFill {
  coin: string;
  px: Dec;
  sz: Dec;
  side: 'buy' | 'sell';
  /** Milliseconds since the epoch. */
  time: number;
  /** Position size before the fill (signed). */
  startPosition: Dec;
  /** Hyperliquid's wording, e.g. `Open Long`, `Close Short`, `Long > Short`. */
  dir: string;
  closedPnl: Dec;
  hash: string;
  oid: number;
  /** Unique trade id. */
  tid: number;
  /** True when the fill took liquidity (taker). */
  crossed: boolean;
  fee: Dec;
  feeToken: string | null;
}

function toFill(f: HlFill): HyperliquidFill {
  return {
    coin: f.coin,
    px: new D(f.px),
    sz: new D(f.sz),
    side: f.side === 'B' ? 'buy' : 'sell',
    time: f.time,
    startPosition: new D(f.startPosition),
    dir: f.dir,
    closedPnl: new D(f.closedPnl),
    hash: f.hash.toLowerCase(),
    oid: f.oid,
    tid: f.tid,
    crossed: f.crossed,
    fee: new D(f.fee),
    feeToken: f.feeToken ?? null,
  };
}

const describeIssues = (err: z.ZodError): string =>
  err.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ');

export class HyperliquidInfoClient {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: HyperliquidInfoOptions = {}) {
    this.url = `${(opts.baseUrl ?? DEFAULT_HYPERLIQUID_URL).replace(/\/+$/, '')}/info`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** Account value and open perp positions of `user`. */
  async clearinghouseState(user: string): Promise<HyperliquidAccount> {
    const address = this.address(user);
    const state = await this.post({ type: 'clearinghouseState', user: address.toLowerCase() }, HlClearinghouseStateSchema, 'account state');
    return {
      user: address,
      accountValue: new D(state.marginSummary.accountValue),
      totalNotional: new D(state.marginSummary.totalNtlPos),
      totalMarginUsed: new D(state.marginSummary.totalMarginUsed),
      withdrawable: new D(state.withdrawable),
      positions: state.assetPositions
        .map(({ position: p }) => ({
          coin: p.coin,
          szi: new D(p.szi),
          side: p.szi.startsWith('-') ? ('short' as const) : ('long' as const),
          entryPx: p.entryPx ? new D(p.entryPx) : null,
          positionValue: new D(p.positionValue),
          unrealizedPnl: new D(p.unrealizedPnl),
          leverage: { type: p.leverage.type, value: p.leverage.value },
          liquidationPx: p.liquidationPx === null ? null : new D(p.liquidationPx),
          marginUsed: new D(p.marginUsed),
        }))
        .filter((p) => !p.szi.isZero()),
      time: new Date(state.time),
    };
  }

  /** The most recent fills of `user` (at most 2000, as Hyperliquid returns them). */
  async userFills(user: string): Promise<HyperliquidFill[]> {
    const address = this.address(user);
    const fills = await this.post({ type: 'userFills', user: address.toLowerCase() }, HlFillsSchema, 'fills');
    return fills.map(toFill);
  }

  /** Fills of `user` from `startTime` (ms, inclusive) to `endTime` (default now), at most 2000. */
  async userFillsByTime(user: string, startTime: number, endTime?: number): Promise<HyperliquidFill[]> {
    const address = this.address(user);
    if (!Number.isSafeInteger(startTime) || startTime < 0) {
      throw new HyperliquidError(HyperliquidErrorCode.invalidInput, `startTime must be milliseconds since 1970 (a whole number ≥ 0), got ${String(startTime)}`);
    }
    if (endTime !== undefined && (!Number.isSafeInteger(endTime) || endTime < startTime)) {
      throw new HyperliquidError(HyperliquidErrorCode.invalidInput, `endTime must be a whole number of milliseconds not before startTime, got ${String(endTime)}`);
    }
    const body: Record<string, unknown> = { type: 'userFillsByTime', user: address.toLowerCase(), startTime };
    if (endTime !== undefined) body.endTime = endTime;
    const fills = await this.post(body, HlFillsSchema, 'fills');
    return fills.map(toFill);
  }

  /** Mid price of every coin, by Hyperliquid's coin name (`BTC`, `ETH`, `@107` for spot pairs). */
  async allMids(): Promise<Map<string, Dec>> {
    const mids = await this.post({ type: 'allMids' }, HlAllMidsSchema, 'mid prices');
    return new Map(Object.entries(mids).map(([coin, px]) => [coin, new D(px)]));
  }

  private address(user: string): Address {
    const parsed = parseAddress(user, 'Hyperliquid address');
    if (!parsed.ok) throw new HyperliquidError(HyperliquidErrorCode.invalidInput, parsed.error.message, 'give the trader address as 0x followed by 40 hex digits');
    return parsed.value;
  }

  private async post<T>(body: Record<string, unknown>, schema: z.ZodType<T, z.ZodTypeDef, unknown>, what: string): Promise<T> {
    const request = String(body.type);
    let res: Response;
    try {
      res = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new HyperliquidError(
        HyperliquidErrorCode.unavailable,
        timedOut
          ? `Hyperliquid's info API did not answer ${request} within ${String(this.timeoutMs / 1000)} s`
          : `could not reach Hyperliquid's info API for ${request}`,
        'try again shortly',
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch {
      throw new HyperliquidError(HyperliquidErrorCode.unavailable, `Hyperliquid's ${request} answer was cut off`, 'try again shortly', res.status);
    }
    if (res.status === 429) {
      throw new HyperliquidError(HyperliquidErrorCode.rateLimited, `Hyperliquid is rate limiting ${request} requests`, 'wait a minute before polling again', 429);
    }
    if (!res.ok) {
      const excerpt = bodyExcerpt(text);
      const said = excerpt ? `: ${excerpt}` : '';
      if (res.status >= 400 && res.status < 500) {
        throw new HyperliquidError(HyperliquidErrorCode.invalidInput, `Hyperliquid refused the ${request} request (HTTP ${String(res.status)})${said}`, 'check the address and times', res.status);
      }
      throw new HyperliquidError(HyperliquidErrorCode.unavailable, `Hyperliquid's info API failed on ${request} (HTTP ${String(res.status)})${said}`, 'try again shortly', res.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new HyperliquidError(HyperliquidErrorCode.unavailable, `Hyperliquid answered ${request} with a body that is not JSON`, 'try again shortly', res.status);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new HyperliquidError(HyperliquidErrorCode.unavailable, `Hyperliquid's ${what} answer was not in the expected shape (${describeIssues(parsed.error)})`, 'the API may have changed; report it', res.status);
    }
    return parsed.data;
  }
}
