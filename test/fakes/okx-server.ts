// A small OKX v5 REST server on 127.0.0.1 for the real ccxt `okx` client (urls.api.rest rewritten to
// `url`): the second venue with a different wire format from Binance.
//
//   public:  /api/v5/public/time, public/instruments (SPOT, SWAP; FUTURES/OPTION empty), market/ticker(s)
//   private: account/balance, account/positions, account/set-leverage, asset/currencies, trade/order (POST place, GET one), trade/batch-orders
//            (ccxt's default for createOrder), trade/cancel-order,
//            trade/orders-pending, trade/orders-history, trade/fills, trade/fills-history
//
// Private requests are checked like OKX does: OK-ACCESS-KEY, OK-ACCESS-PASSPHRASE, OK-ACCESS-TIMESTAMP
// (ISO time within 30 s of the server's) and OK-ACCESS-SIGN = base64 HMAC-SHA256 of
// timestamp + method + requestPath (with ?query for GET) + body. Answers are {"code","msg","data"};
// order-level failures come as HTTP 200 with code "1" and the reason in data[0].sCode/sMsg.
//
// Scope: spot and SWAP orders (market, limit, post_only, ioc, fok); spot balances are frozen for
// resting orders; swaps trade in contracts (ctVal base each) in net mode, with positions
// (account/positions), leverage (account/set-leverage) and USDT cash moved by realised PnL and fees.
// Fills are at the market price (taker) or the limit price (maker, on `setPrice` crossing or `fill`).
// Not served: algo orders (stops, trailing), amend, isolated margin accounting.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { D, type Dec } from '../../src/domain/money.js';

export interface OkxFakeInstrument {
  /** e.g. "BTC-USDT" or "BTC-USDT-SWAP". */
  instId: string;
  instType: 'SPOT' | 'SWAP';
  base: string;
  quote: string;
  tickSz: string;
  lotSz: string;
  minSz: string;
  /** Swap: contract value in base currency. */
  ctVal?: string;
  price: string;
}

export interface OkxFakeAccount {
  apiKey: string;
  secret: string;
  passphrase: string;
  /** Trading account balances, e.g. { USDT: '10000', BTC: '0.5' }. */
  balances?: Record<string, string>;
}

export interface OkxFakeOptions {
  instruments?: OkxFakeInstrument[];
  accounts?: OkxFakeAccount[];
  now?: () => number;
}

export interface OkxFakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  lost?: boolean;
}

export interface OkxFakeFailure {
  status: number;
  /** OKX code and message, sent as {"code":…,"msg":…,"data":[]}. */
  code?: string;
  msg?: string;
  body?: string;
  path?: string;
  method?: string;
  count?: number;
  headers?: Record<string, string>;
}

export interface OkxOrderView {
  apiKey: string;
  instId: string;
  ordId: string;
  clOrdId: string;
  side: 'buy' | 'sell';
  ordType: string;
  state: string;
  px: string;
  sz: string;
  accFillSz: string;
}

export interface OkxFillView {
  apiKey: string;
  instId: string;
  tradeId: string;
  ordId: string;
  clOrdId: string;
  side: 'buy' | 'sell';
  fillPx: string;
  fillSz: string;
  fee: string;
  feeCcy: string;
  execType: 'T' | 'M';
  ts: number;
  /** Swaps: PnL realised by this fill (quote currency). */
  fillPnl: string;
}

export interface OkxPositionView {
  instId: string;
  /** Contracts, signed (net mode). */
  pos: string;
  avgPx: string;
  lever: number;
}

export interface OkxFakeExchange {
  url: string;
  requests: OkxFakeRequest[];
  requestsTo(path: string): OkxFakeRequest[];
  injectFailure(f: OkxFakeFailure): void;
  loseResponses(opts: { path: string; method?: string; count?: number }): void;
  hideOrder(clOrdId: string, lookups: number): void;
  setPrice(instId: string, price: string): void;
  fill(clOrdId: string, opts?: { quantity?: string; price?: string }): OkxFillView;
  addAccount(a: OkxFakeAccount): void;
  readonly private: {
    orders(apiKey?: string): OkxOrderView[];
    fills(apiKey?: string): OkxFillView[];
    balances(apiKey: string): Record<string, { free: string; frozen: string }>;
    positions(apiKey: string): OkxPositionView[];
  };
  close(): Promise<void>;
}

export function defaultOkxInstruments(): OkxFakeInstrument[] {
  return [
    { instId: 'BTC-USDT', instType: 'SPOT', base: 'BTC', quote: 'USDT', tickSz: '0.1', lotSz: '0.00000001', minSz: '0.00001', price: '65000.0' },
    { instId: 'ETH-USDT', instType: 'SPOT', base: 'ETH', quote: 'USDT', tickSz: '0.01', lotSz: '0.000001', minSz: '0.001', price: '3450.12' },
    { instId: 'BTC-USDT-SWAP', instType: 'SWAP', base: 'BTC', quote: 'USDT', tickSz: '0.1', lotSz: '0.01', minSz: '0.01', ctVal: '0.01', price: '65010.0' },
  ];
}

class OkxRejection extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly msg: string,
    readonly sCode?: string,
  ) {
    super(msg);
  }
}

interface Order {
  apiKey: string;
  instId: string;
  instType: 'SPOT' | 'SWAP';
  tdMode: string;
  reduceOnly: boolean;
  ordId: string;
  clOrdId: string;
  side: 'buy' | 'sell';
  ordType: string;
  px: Dec;
  sz: Dec;
  accFillSz: Dec;
  fillNotional: Dec;
  state: 'live' | 'partially_filled' | 'filled' | 'canceled';
  frozen: Dec;
  frozenCcy: string;
  cTime: number;
  uTime: number;
  resting: boolean;
  fee: Dec;
  feeCcy: string;
}

const CL_ORD_ID = /^[a-zA-Z0-9]{1,32}$/;

/** A JSON scalar as the string OKX would read; objects and null count as absent. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
const TAKER_FEE = new D('0.001');
const MAKER_FEE = new D('0.0008');
const SWAP_TAKER_FEE = new D('0.0005');
const SWAP_MAKER_FEE = new D('0.0002');
const ZERO = new D(0);

export async function startOkxFake(opts: OkxFakeOptions = {}): Promise<OkxFakeExchange> {
  const now = opts.now ?? Date.now;
  const instruments = new Map((opts.instruments ?? defaultOkxInstruments()).map((i) => [i.instId, { ...i }]));
  const accounts = new Map<string, { spec: OkxFakeAccount; bal: Map<string, { free: Dec; frozen: Dec }> }>();
  const orders: Order[] = [];
  const fills: OkxFillView[] = [];
  const requests: OkxFakeRequest[] = [];
  const failures: Array<OkxFakeFailure & { remaining: number }> = [];
  const lost: Array<{ path: string; method?: string; remaining: number }> = [];
  const hidden = new Map<string, number>();
  /** Net-mode swap positions by `${apiKey} ${instId}`: contracts (signed) and average price. */
  const positions = new Map<string, { pos: Dec; avgPx: Dec; lever: number; mgnMode: string; cTime: number; uTime: number }>();
  const leverage = new Map<string, number>();
  const positionOf = (apiKey: string, instId: string) => {
    const k = `${apiKey} ${instId}`;
    let p = positions.get(k);
    if (!p) {
      p = { pos: ZERO, avgPx: ZERO, lever: leverage.get(k) ?? 10, mgnMode: 'cross', cTime: now(), uTime: now() };
      positions.set(k, p);
    }
    return p;
  };
  const sockets = new Set<Socket>();
  let nextOrdId = 600_000_000_001n;
  let nextTradeId = 300_001;

  const addAccount = (a: OkxFakeAccount) => {
    if (accounts.has(a.apiKey)) throw new Error('okx fake already has an account for that key');
    accounts.set(a.apiKey, { spec: a, bal: new Map(Object.entries(a.balances ?? {}).map(([c, v]) => [c, { free: new D(v), frozen: ZERO }])) });
  };
  for (const a of opts.accounts ?? []) addAccount(a);

  const balOf = (apiKey: string, ccy: string) => {
    const acc = accounts.get(apiKey)!;
    let b = acc.bal.get(ccy);
    if (!b) {
      b = { free: ZERO, frozen: ZERO };
      acc.bal.set(ccy, b);
    }
    return b;
  };

  const take = <T extends { path?: string; method?: string; remaining: number }>(list: T[], path: string, method: string): T | undefined => {
    const i = list.findIndex((x) => (x.path === undefined || x.path === path) && (x.method === undefined || x.method.toUpperCase() === method));
    if (i < 0) return undefined;
    const item = list[i]!;
    item.remaining--;
    if (item.remaining <= 0) list.splice(i, 1);
    return item;
  };

  const isHidden = (o: Order): boolean => {
    const left = hidden.get(o.clOrdId);
    if (left === undefined || left <= 0) return false;
    if (left !== Infinity) {
      if (left <= 1) hidden.delete(o.clOrdId);
      else hidden.set(o.clOrdId, left - 1);
    }
    return true;
  };
  const visible = (list: Order[]): Order[] => {
    const gone = new Set<string>();
    for (const o of list) if (!gone.has(o.clOrdId) && hidden.has(o.clOrdId) && isHidden(o)) gone.add(o.clOrdId);
    return list.filter((o) => !gone.has(o.clOrdId));
  };

  const isOpen = (o: Order) => o.state === 'live' || o.state === 'partially_filled';

  // --- matching --------------------------------------------------------------------------------
  const finish = (o: Order, state: Order['state']) => {
    o.state = state;
    o.uTime = now();
    if (o.frozen.gt(0)) {
      const b = balOf(o.apiKey, o.frozenCcy);
      b.frozen = b.frozen.minus(o.frozen);
      b.free = b.free.plus(o.frozen);
      o.frozen = ZERO;
    }
  };

  const execute = (o: Order, wanted: Dec, px: Dec, maker: boolean): OkxFillView | undefined => {
    const inst = instruments.get(o.instId)!;
    const base = balOf(o.apiKey, inst.base);
    const quote = balOf(o.apiKey, inst.quote);
    let qty = wanted;
    let fee: Dec;
    let feeCcy: string;
    let realised = ZERO;
    if (o.instType === 'SWAP') {
      const p = positionOf(o.apiKey, o.instId);
      const dir = o.side === 'buy' ? 1 : -1;
      if (o.reduceOnly) {
        const reducible = (dir < 0 && p.pos.gt(0)) || (dir > 0 && p.pos.lt(0)) ? p.pos.abs() : ZERO;
        if (reducible.isZero()) {
          finish(o, 'canceled');
          return undefined;
        }
        qty = D.min(qty, reducible);
      }
      const ctVal = new D(inst.ctVal ?? '1');
      const signed = qty.mul(dir);
      if (p.pos.isZero() || p.pos.isPositive() === signed.isPositive()) {
        p.avgPx = p.pos.abs().mul(p.avgPx).plus(qty.mul(px)).div(p.pos.abs().plus(qty));
        p.pos = p.pos.plus(signed);
      } else {
        const closing = D.min(qty, p.pos.abs());
        realised = px.minus(p.avgPx).mul(closing).mul(ctVal).mul(p.pos.isPositive() ? 1 : -1);
        p.pos = p.pos.plus(signed);
        if (p.pos.isZero()) p.avgPx = ZERO;
        else if (p.pos.isPositive() === signed.isPositive()) p.avgPx = px; // flipped: the rest opened here
      }
      p.uTime = now();
      fee = qty.mul(ctVal).mul(px).mul(maker ? SWAP_MAKER_FEE : SWAP_TAKER_FEE).toDecimalPlaces(8, D.ROUND_UP);
      feeCcy = inst.quote;
      quote.free = quote.free.plus(realised).minus(fee);
    } else if (o.side === 'buy') {
      const notional = qty.mul(px);
      if (o.frozen.gt(0)) {
        const release = D.min(o.frozen, qty.mul(o.px));
        o.frozen = o.frozen.minus(release);
        quote.frozen = quote.frozen.minus(release);
        quote.free = quote.free.plus(release).minus(notional);
      } else {
        quote.free = quote.free.minus(notional);
      }
      fee = qty.mul(maker ? MAKER_FEE : TAKER_FEE).toDecimalPlaces(8, D.ROUND_UP);
      feeCcy = inst.base;
      base.free = base.free.plus(qty).minus(fee);
    } else {
      const notional = qty.mul(px);
      if (o.frozen.gt(0)) {
        const release = D.min(o.frozen, qty);
        o.frozen = o.frozen.minus(release);
        base.frozen = base.frozen.minus(release);
        base.free = base.free.plus(release).minus(qty);
      } else {
        base.free = base.free.minus(qty);
      }
      fee = notional.mul(maker ? MAKER_FEE : TAKER_FEE).toDecimalPlaces(8, D.ROUND_UP);
      feeCcy = inst.quote;
      quote.free = quote.free.plus(notional).minus(fee);
    }
    o.accFillSz = o.accFillSz.plus(qty);
    o.fillNotional = o.fillNotional.plus(qty.mul(px));
    o.fee = o.fee.minus(fee);
    o.feeCcy = feeCcy;
    o.uTime = now();
    if (o.accFillSz.gte(o.sz)) finish(o, 'filled');
    else o.state = 'partially_filled';
    const f = {
      apiKey: o.apiKey,
      instId: o.instId,
      tradeId: String(nextTradeId++),
      ordId: o.ordId,
      clOrdId: o.clOrdId,
      side: o.side,
      fillPx: px.toString(),
      fillSz: qty.toString(),
      fee: fee.neg().toString(),
      feeCcy,
      execType: maker ? ('M' as const) : ('T' as const),
      ts: now(),
      fillPnl: realised.toString(),
    };
    fills.push(f);
    return f;
  };

  const marketable = (o: Order, price: Dec) => (o.side === 'buy' ? price.lte(o.px) : price.gte(o.px));

  const evaluate = (o: Order) => {
    if (!isOpen(o)) return;
    const price = new D(instruments.get(o.instId)!.price);
    const remaining = o.sz.minus(o.accFillSz);
    if (o.ordType === 'market') execute(o, remaining, price, false);
    else if (marketable(o, price)) execute(o, remaining, o.resting ? o.px : price, o.resting);
    else if (!o.resting && (o.ordType === 'ioc' || o.ordType === 'fok')) finish(o, 'canceled');
    if (isOpen(o)) o.resting = true;
  };

  // --- JSON ------------------------------------------------------------------------------------
  const instrumentJson = (i: OkxFakeInstrument) => ({
    alias: '',
    baseCcy: i.instType === 'SPOT' ? i.base : '',
    category: '1',
    ctMult: i.instType === 'SWAP' ? '1' : '',
    ctType: i.instType === 'SWAP' ? 'linear' : '',
    ctVal: i.ctVal ?? '',
    ctValCcy: i.instType === 'SWAP' ? i.base : '',
    expTime: '',
    instFamily: i.instType === 'SWAP' ? `${i.base}-${i.quote}` : '',
    instId: i.instId,
    instType: i.instType,
    lever: i.instType === 'SWAP' ? '100' : '10',
    listTime: '1606468572000',
    lotSz: i.lotSz,
    maxIcebergSz: '9999999999',
    maxLmtAmt: '20000000',
    maxLmtSz: '9999999999',
    maxMktAmt: '1000000',
    maxMktSz: i.instType === 'SWAP' ? '12000' : '1000000',
    maxStopSz: '1000000',
    maxTriggerSz: '9999999999',
    maxTwapSz: '9999999999',
    minSz: i.minSz,
    optType: '',
    quoteCcy: i.instType === 'SPOT' ? i.quote : '',
    settleCcy: i.instType === 'SWAP' ? i.quote : '',
    state: 'live',
    stk: '',
    tickSz: i.tickSz,
    uly: i.instType === 'SWAP' ? `${i.base}-${i.quote}` : '',
  });

  const tickerJson = (i: OkxFakeInstrument) => {
    const last = new D(i.price);
    const tick = new D(i.tickSz);
    const t = String(now());
    return {
      instType: i.instType,
      instId: i.instId,
      last: last.toString(),
      lastSz: i.minSz,
      askPx: last.plus(tick).toString(),
      askSz: '1',
      bidPx: last.minus(tick).toString(),
      bidSz: '1',
      open24h: last.mul('0.98').toDecimalPlaces(tick.decimalPlaces()).toString(),
      high24h: last.mul('1.01').toDecimalPlaces(tick.decimalPlaces()).toString(),
      low24h: last.mul('0.97').toDecimalPlaces(tick.decimalPlaces()).toString(),
      volCcy24h: '123456.78',
      vol24h: '1234.5678',
      ts: t,
      sodUtc0: last.toString(),
      sodUtc8: last.toString(),
    };
  };

  const orderJson = (o: Order) => {
    const avg = o.accFillSz.gt(0) ? o.fillNotional.div(o.accFillSz) : undefined;
    const lastFill = [...fills].reverse().find((f) => f.ordId === o.ordId);
    return {
      accFillSz: o.accFillSz.toString(),
      algoClOrdId: '',
      algoId: '',
      attachAlgoClOrdId: '',
      attachAlgoOrds: [],
      avgPx: avg ? avg.toString() : '',
      cTime: String(o.cTime),
      cancelSource: o.state === 'canceled' ? '1' : '',
      cancelSourceReason: '',
      category: 'normal',
      ccy: '',
      clOrdId: o.clOrdId,
      fee: o.fee.toString(),
      feeCcy: o.feeCcy,
      fillPx: lastFill ? lastFill.fillPx : '',
      fillSz: lastFill ? lastFill.fillSz : '0',
      fillTime: lastFill ? String(lastFill.ts) : '',
      instId: o.instId,
      instType: o.instType,
      isTpLimit: 'false',
      lever: o.instType === 'SWAP' ? String(positionOf(o.apiKey, o.instId).lever) : '',
      linkedAlgoOrd: { algoId: '' },
      ordId: o.ordId,
      ordType: o.ordType,
      pnl: fills.filter((f) => f.ordId === o.ordId).reduce((t, f) => t.plus(f.fillPnl), ZERO).toString(),
      posSide: 'net',
      px: o.ordType === 'market' ? '' : o.px.toString(),
      pxType: '',
      pxUsd: '',
      pxVol: '',
      quickMgnType: '',
      rebate: '0',
      rebateCcy: instruments.get(o.instId)!.quote,
      reduceOnly: String(o.reduceOnly),
      side: o.side,
      slOrdPx: '',
      slTriggerPx: '',
      slTriggerPxType: '',
      source: '',
      state: o.state,
      stpId: '',
      stpMode: 'cancel_maker',
      sz: o.sz.toString(),
      tag: '',
      tdMode: o.tdMode,
      tgtCcy: '',
      tpOrdPx: '',
      tpTriggerPx: '',
      tpTriggerPxType: '',
      tradeId: lastFill ? lastFill.tradeId : '',
      uTime: String(o.uTime),
    };
  };

  const fillJson = (f: OkxFillView) => ({
    instType: instruments.get(f.instId)!.instType,
    instId: f.instId,
    tradeId: f.tradeId,
    ordId: f.ordId,
    clOrdId: f.clOrdId,
    billId: `9${f.tradeId}`,
    subType: f.side === 'buy' ? '1' : '2',
    tag: '',
    fillPx: f.fillPx,
    fillSz: f.fillSz,
    fillIdxPx: '',
    fillPnl: f.fillPnl,
    fillPxVol: '',
    fillPxUsd: '',
    fillMarkVol: '',
    fillFwdPx: '',
    fillMarkPx: '',
    side: f.side,
    posSide: 'net',
    execType: f.execType,
    feeCcy: f.feeCcy,
    fee: f.fee,
    ts: String(f.ts),
    fillTime: String(f.ts),
  });

  // --- private handlers ------------------------------------------------------------------------
  const instOf = (instId: string | undefined) => {
    if (instId === undefined || instId === '') throw new OkxRejection(200, '50014', 'Parameter instId can not be empty.');
    const i = instruments.get(instId);
    if (!i) throw new OkxRejection(200, '51001', "Instrument ID doesn't exist.");
    return i;
  };

  interface PlaceResult {
    ok: boolean;
    item: Record<string, string>;
  }
  const orderFailure = (clOrdId: string, sCode: string, sMsg: string): PlaceResult => ({ ok: false, item: { clOrdId, ordId: '', sCode, sMsg, tag: '', ts: String(now()) } });
  /** OKX batch semantics: code "0" all placed, "1" none, "2" some. */
  const placeAnswer = (results: PlaceResult[]) => {
    const placed = results.filter((r) => r.ok).length;
    const code = placed === results.length ? '0' : placed === 0 ? '1' : '2';
    const msg = code === '0' ? '' : code === '1' ? 'All operations failed' : 'Bulk operation partially succeeded';
    return { code, msg, data: results.map((r) => r.item), inTime: '', outTime: '' };
  };

  const placeOrder = (apiKey: string, b: Record<string, unknown>): PlaceResult => {
    const str = (k: string) => text(b[k]);
    const clOrdId = str('clOrdId') ?? '';
    const instId = str('instId');
    if (instId === undefined || !instruments.has(instId)) return orderFailure(clOrdId, '51001', "Instrument ID doesn't exist.");
    const inst = instruments.get(instId)!;
    const isSwap = inst.instType === 'SWAP';
    const tdMode = str('tdMode') ?? '';
    if (isSwap ? tdMode !== 'cross' && tdMode !== 'isolated' : tdMode !== 'cash' && tdMode !== '') return orderFailure(clOrdId, '51000', 'Parameter tdMode error');
    const reduceOnly = str('reduceOnly') === 'true';
    if (clOrdId !== '' && !CL_ORD_ID.test(clOrdId)) return orderFailure(clOrdId, '51000', 'Parameter clOrdId error');
    const side = str('side');
    if (side !== 'buy' && side !== 'sell') return orderFailure(clOrdId, '51000', 'Parameter side error');
    const ordType = str('ordType') ?? '';
    if (!['market', 'limit', 'post_only', 'ioc', 'fok'].includes(ordType)) return orderFailure(clOrdId, '51000', 'Parameter ordType error');
    const szText = str('sz');
    if (szText === undefined || !/^\d+(\.\d+)?$/.test(szText)) return orderFailure(clOrdId, '51000', 'Parameter sz error');
    const sz = new D(szText);
    const price = new D(inst.price);
    let px = ZERO;
    if (ordType !== 'market') {
      const pxText = str('px');
      if (pxText === undefined || !/^\d+(\.\d+)?$/.test(pxText)) return orderFailure(clOrdId, '51000', 'Parameter px error');
      px = new D(pxText);
      if (!px.mod(inst.tickSz).isZero()) return orderFailure(clOrdId, '51000', 'Parameter px error');
    }
    if (sz.lt(inst.minSz)) return orderFailure(clOrdId, '51020', "Your order should meet or exceed the minimum order amount.");
    if (!sz.mod(inst.lotSz).isZero()) return orderFailure(clOrdId, '51121', 'Order quantity must be a multiple of the lot size.');
    if (clOrdId !== '' && orders.some((o) => o.apiKey === apiKey && o.clOrdId === clOrdId && isOpen(o))) return orderFailure(clOrdId, '51016', 'Duplicated clOrdId');
    if (ordType === 'post_only' && (side === 'buy' ? price.lte(px) : price.gte(px))) {
      return orderFailure(clOrdId, '51015', 'Order failed. The post-only order would take liquidity.');
    }
    const frozenCcy = side === 'buy' || isSwap ? inst.quote : inst.base;
    const refPx = ordType === 'market' ? price : px;
    const bal = balOf(apiKey, frozenCcy);
    let need: Dec;
    if (isSwap) {
      const p = positionOf(apiKey, inst.instId);
      const reduces = (side === 'sell' && p.pos.gt(0)) || (side === 'buy' && p.pos.lt(0));
      if (reduceOnly && !reduces) return orderFailure(clOrdId, '51169', "Order failed because you don't have any positions in this direction for this contract to reduce or close.");
      // Initial margin of the new exposure against cash (unrealised PnL ignored: kept simple).
      need = reduceOnly ? ZERO : sz.mul(inst.ctVal ?? '1').mul(refPx).div(p.lever);
      if (bal.free.lt(need)) return orderFailure(clOrdId, '51008', `Order failed. Insufficient ${frozenCcy} margin in account.`);
      need = ZERO; // swaps freeze nothing here
    } else {
      need = side === 'buy' ? sz.mul(refPx) : sz;
      if (bal.free.lt(need)) return orderFailure(clOrdId, '51008', `Order failed. Insufficient ${frozenCcy} balance in account.`);
    }
    const t = now();
    const o: Order = {
      apiKey,
      instId: inst.instId,
      instType: inst.instType,
      tdMode: isSwap ? tdMode : 'cash',
      reduceOnly,
      ordId: String(nextOrdId++),
      clOrdId,
      side,
      ordType,
      px,
      sz,
      accFillSz: ZERO,
      fillNotional: ZERO,
      state: 'live',
      frozen: ZERO,
      frozenCcy,
      cTime: t,
      uTime: t,
      resting: false,
      fee: ZERO,
      feeCcy: side === 'buy' ? inst.base : inst.quote,
    };
    if (ordType !== 'market' && need.gt(0)) {
      bal.free = bal.free.minus(need);
      bal.frozen = bal.frozen.plus(need);
      o.frozen = need;
    }
    orders.push(o);
    evaluate(o);
    return { ok: true, item: { clOrdId: o.clOrdId, ordId: o.ordId, tag: '', ts: String(t), sCode: '0', sMsg: 'Order placed' } };
  };

  const findOrder = (apiKey: string, q: Record<string, unknown>): Order | undefined => {
    const inst = instOf(text(q['instId']));
    const ordId = text(q['ordId']) || undefined;
    const clOrdId = text(q['clOrdId']) || undefined;
    if (ordId === undefined && clOrdId === undefined) throw new OkxRejection(200, '51000', 'Parameter ordId error');
    for (let i = orders.length - 1; i >= 0; i--) {
      const o = orders[i]!;
      if (o.apiKey !== apiKey || o.instId !== inst.instId) continue;
      if (ordId !== undefined && o.ordId !== ordId) continue;
      if (clOrdId !== undefined && o.clOrdId !== clOrdId) continue;
      return o;
    }
    return undefined;
  };

  const ok = (data: unknown[]) => ({ code: '0', msg: '', data });

  const privateHandlers: Record<string, (apiKey: string, q: Record<string, string>, b: Record<string, unknown>, raw: unknown) => unknown> = {
    'GET /api/v5/account/balance': (k, q) => {
      const acc = accounts.get(k)!;
      const wanted = q['ccy'] !== undefined ? new Set(q['ccy'].split(',')) : undefined;
      const t = String(now());
      const details = [...acc.bal]
        .filter(([c]) => !wanted || wanted.has(c))
        .map(([ccy, b]) => ({
          ccy,
          eq: b.free.plus(b.frozen).toString(),
          cashBal: b.free.plus(b.frozen).toString(),
          uTime: t,
          isoEq: '0',
          availEq: '',
          disEq: b.free.plus(b.frozen).toString(),
          availBal: b.free.toString(),
          frozenBal: b.frozen.toString(),
          ordFrozen: b.frozen.toString(),
          liab: '0',
          upl: '0',
          uplLiab: '0',
          crossLiab: '0',
          isoLiab: '0',
          mgnRatio: '',
          interest: '0',
          twap: '0',
          maxLoan: '',
          eqUsd: b.free.plus(b.frozen).toString(),
          notionalLever: '0',
          stgyEq: '0',
          isoUpl: '0',
          spotInUseAmt: '',
        }));
      return ok([{ adjEq: '', borrowFroz: '', details, imr: '', isoEq: '0', mgnRatio: '', mmr: '', notionalUsd: '', ordFroz: '', totalEq: '0', uTime: t, upl: '0' }]);
    },
    'GET /api/v5/asset/currencies': () => {
      const ccys = new Set<string>();
      for (const i of instruments.values()) {
        ccys.add(i.base);
        ccys.add(i.quote);
      }
      return ok(
        [...ccys].sort().map((ccy) => ({
          ccy,
          name: ccy,
          chain: `${ccy}-${ccy}`,
          canDep: true,
          canWd: true,
          canInternal: true,
          minWd: '0.0001',
          maxWd: '100000',
          wdTickSz: '8',
          fee: '0',
          minFee: '0',
          maxFee: '0',
          mainNet: true,
        })),
      );
    },
    'GET /api/v5/account/positions': (k, q) => {
      const wanted = q['instId'] !== undefined ? new Set(q['instId'].split(',')) : undefined;
      const out: unknown[] = [];
      for (const [key, p] of positions) {
        const [apiKey, instId] = key.split(' ') as [string, string];
        if (apiKey !== k || p.pos.isZero() || (wanted && !wanted.has(instId))) continue;
        const inst = instruments.get(instId)!;
        const mark = new D(inst.price);
        const ctVal = new D(inst.ctVal ?? '1');
        const notional = p.pos.abs().mul(ctVal).mul(mark);
        const upl = mark.minus(p.avgPx).mul(p.pos).mul(ctVal);
        out.push({
          adl: '1',
          availPos: '',
          avgPx: p.avgPx.toString(),
          cTime: String(p.cTime),
          ccy: inst.quote,
          imr: notional.div(p.lever).toString(),
          instId,
          instType: 'SWAP',
          interest: '',
          last: inst.price,
          lever: String(p.lever),
          liab: '',
          liabCcy: '',
          liqPx: '',
          margin: '',
          markPx: inst.price,
          mgnMode: p.mgnMode,
          mgnRatio: '',
          mmr: notional.mul('0.004').toString(),
          notionalUsd: notional.toString(),
          pos: p.pos.toString(),
          posCcy: '',
          posId: `${instId}-${apiKey.length}`,
          posSide: 'net',
          tradeId: '',
          uTime: String(p.uTime),
          upl: upl.toString(),
          uplRatio: p.avgPx.isZero() ? '0' : upl.div(notional.div(p.lever)).toDecimalPlaces(8).toString(),
        });
      }
      return ok(out);
    },
    'POST /api/v5/account/set-leverage': (k, _q, b) => {
      const inst = instOf(text(b['instId']));
      const lever = Number(text(b['lever']));
      const mgnMode = text(b['mgnMode']);
      if (!Number.isInteger(lever) || lever < 1 || lever > 125) throw new OkxRejection(200, '51000', 'Parameter lever error');
      if (mgnMode !== 'cross' && mgnMode !== 'isolated') throw new OkxRejection(200, '51000', 'Parameter mgnMode error');
      leverage.set(`${k} ${inst.instId}`, lever);
      const p = positionOf(k, inst.instId);
      p.lever = lever;
      p.mgnMode = mgnMode;
      return ok([{ instId: inst.instId, lever: String(lever), mgnMode, posSide: 'net' }]);
    },
    'POST /api/v5/trade/order': (k, _q, b) => placeAnswer([placeOrder(k, b)]),
    // ccxt's default createOrder path: an array of orders.
    'POST /api/v5/trade/batch-orders': (k, _q, _b, raw) => {
      if (!Array.isArray(raw) || raw.length === 0 || raw.length > 20) throw new OkxRejection(200, '50014', 'Parameter orders can not be empty.');
      return placeAnswer(raw.map((entry) => placeOrder(k, entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>) : {})));
    },
    'GET /api/v5/trade/order': (k, q) => {
      const o = findOrder(k, q);
      if (!o || visible([o]).length === 0) return { code: '51603', msg: 'Order does not exist', data: [] };
      return ok([orderJson(o)]);
    },
    'POST /api/v5/trade/cancel-order': (k, _q, b) => {
      const o = findOrder(k, b);
      const clOrdId = text(b['clOrdId']) ?? '';
      if (!o || !isOpen(o)) {
        return { code: '1', msg: 'All operations failed', data: [{ clOrdId, ordId: text(b['ordId']) ?? '', sCode: '51400', sMsg: 'Order cancellation failed as the order has been filled, canceled or does not exist.', ts: String(now()) }] };
      }
      finish(o, 'canceled');
      return ok([{ clOrdId: o.clOrdId, ordId: o.ordId, sCode: '0', sMsg: '', ts: String(now()) }]);
    },
    'GET /api/v5/trade/orders-pending': (k, q) => {
      const list = orders.filter((o) => o.apiKey === k && isOpen(o) && (q['instId'] === undefined || o.instId === q['instId']));
      return ok(visible(list).reverse().map(orderJson));
    },
    'GET /api/v5/trade/orders-history': (k, q) => {
      const list = orders.filter((o) => o.apiKey === k && !isOpen(o) && (q['instId'] === undefined || o.instId === q['instId']));
      return ok(visible(list).reverse().map(orderJson));
    },
    'GET /api/v5/trade/fills': (k, q) => ok(fills.filter((f) => f.apiKey === k && (q['instId'] === undefined || f.instId === q['instId']) && (q['ordId'] === undefined || f.ordId === q['ordId'])).reverse().map(fillJson)),
    'GET /api/v5/trade/fills-history': (k, q) => ok(fills.filter((f) => f.apiKey === k && (q['instId'] === undefined || f.instId === q['instId']) && (q['ordId'] === undefined || f.ordId === q['ordId'])).reverse().map(fillJson)),
  };

  const authenticate = (req: IncomingMessage, method: string, requestPath: string, rawBody: string): string => {
    const h = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const key = h('ok-access-key');
    if (key === undefined || key === '') throw new OkxRejection(401, '50103', 'Request header "OK-ACCESS-KEY" cannot be empty.');
    const acc = accounts.get(key);
    if (!acc) throw new OkxRejection(401, '50111', 'Invalid OK-ACCESS-KEY.');
    if (h('ok-access-passphrase') !== acc.spec.passphrase) throw new OkxRejection(401, '50105', 'Invalid OK-ACCESS-PASSPHRASE.');
    const ts = h('ok-access-timestamp');
    const t = ts === undefined ? NaN : Date.parse(ts);
    if (!Number.isFinite(t)) throw new OkxRejection(401, '50107', 'Invalid OK-ACCESS-TIMESTAMP.');
    if (Math.abs(now() - t) > 30_000) throw new OkxRejection(401, '50102', 'Timestamp request expired.');
    const sign = h('ok-access-sign') ?? '';
    const expected = createHmac('sha256', acc.spec.secret).update(`${ts}${method}${requestPath}${rawBody}`).digest('base64');
    const a = Buffer.from(sign);
    const e = Buffer.from(expected);
    if (a.length !== e.length || !timingSafeEqual(a, e)) throw new OkxRejection(401, '50113', 'Invalid Sign.');
    return key;
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (swallowed.has(res)) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const swallowed = new WeakSet<ServerResponse>();

  const handle = (req: IncomingMessage, res: ServerResponse, rawBody: string) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    let body: unknown = undefined;
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const record: OkxFakeRequest = { method, path: url.pathname, query, body, headers: { ...req.headers }, status: 200 };
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    const failure = take(failures, url.pathname, method);
    if (failure) {
      return send(res, failure.status, failure.body ?? { code: failure.code ?? '50001', msg: failure.msg ?? 'Service temporarily unavailable. Please try again later.', data: [] }, failure.headers ?? {});
    }
    if (take(lost, url.pathname, method)) {
      swallowed.add(res);
      record.lost = true;
      record.status = 0;
    }
    try {
      const p = url.pathname;
      if (method === 'GET' && p === '/api/v5/public/time') return send(res, 200, ok([{ ts: String(now()) }]));
      if (method === 'GET' && p === '/api/v5/public/instruments') {
        const type = query['instType'];
        if (type === undefined) throw new OkxRejection(400, '50014', 'Parameter instType can not be empty.');
        return send(res, 200, ok([...instruments.values()].filter((i) => i.instType === type && (query['instId'] === undefined || i.instId === query['instId'])).map(instrumentJson)));
      }
      if (method === 'GET' && p === '/api/v5/market/tickers') {
        return send(res, 200, ok([...instruments.values()].filter((i) => i.instType === query['instType']).map(tickerJson)));
      }
      if (method === 'GET' && p === '/api/v5/market/ticker') return send(res, 200, ok([tickerJson(instOf(query['instId']))]));
      const handler = privateHandlers[`${method} ${p}`];
      if (!handler) return send(res, 404, { code: '404', msg: 'Not Found', data: [] });
      const key = authenticate(req, method, `${p}${url.search}`, rawBody);
      const b = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
      return send(res, 200, handler(key, query, b, body));
    } catch (err) {
      if (err instanceof OkxRejection) return send(res, err.status, { code: err.code, msg: err.msg, data: [] });
      return send(res, 500, { code: '50000', msg: `Internal error (${(err as Error).message})`, data: [] });
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const orderView = (o: Order): OkxOrderView => ({
    apiKey: o.apiKey,
    instId: o.instId,
    ordId: o.ordId,
    clOrdId: o.clOrdId,
    side: o.side,
    ordType: o.ordType,
    state: o.state,
    px: o.px.toString(),
    sz: o.sz.toString(),
    accFillSz: o.accFillSz.toString(),
  });
  const fillView = (f: OkxFillView): OkxFillView => ({
    apiKey: f.apiKey,
    instId: f.instId,
    tradeId: f.tradeId,
    ordId: f.ordId,
    clOrdId: f.clOrdId,
    side: f.side,
    fillPx: f.fillPx,
    fillSz: f.fillSz,
    fee: f.fee,
    feeCcy: f.feeCcy,
    execType: f.execType,
    ts: f.ts,
    fillPnl: f.fillPnl,
  });

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    injectFailure(f) {
      failures.push({ ...f, remaining: f.count ?? 1 });
    },
    loseResponses(o) {
      const entry: { path: string; method?: string; remaining: number } = { path: o.path, remaining: o.count ?? 1 };
      if (o.method !== undefined) entry.method = o.method;
      lost.push(entry);
    },
    hideOrder(clOrdId, lookups) {
      hidden.set(clOrdId, lookups);
    },
    setPrice(instId, price) {
      const i = instruments.get(instId);
      if (!i) throw new Error(`okx fake has no instrument ${instId}`);
      i.price = price;
      for (const o of [...orders]) if (o.instId === instId) evaluate(o);
    },
    fill(clOrdId, o = {}) {
      const order = [...orders].reverse().find((x) => x.clOrdId === clOrdId && isOpen(x));
      if (!order) throw new Error(`okx fake has no open order with clOrdId ${clOrdId}`);
      const remaining = order.sz.minus(order.accFillSz);
      const qty = o.quantity !== undefined ? new D(o.quantity) : remaining;
      if (qty.lte(0) || qty.gt(remaining)) throw new Error(`cannot fill ${qty.toString()} of ${clOrdId}: ${remaining.toString()} remains`);
      const f = execute(order, qty, o.price !== undefined ? new D(o.price) : order.ordType === 'market' ? new D(instruments.get(order.instId)!.price) : order.px, order.ordType !== 'market');
      if (!f) throw new Error(`order ${clOrdId} could not be filled (reduce-only with no position to reduce)`);
      return fillView(f);
    },
    addAccount,
    private: {
      orders: (apiKey) => orders.filter((o) => apiKey === undefined || o.apiKey === apiKey).map(orderView),
      fills: (apiKey) => fills.filter((f) => apiKey === undefined || f.apiKey === apiKey).map(fillView),
      positions: (apiKey) =>
        [...positions]
          .filter(([key, p]) => key.startsWith(`${apiKey} `) && !p.pos.isZero())
          .map(([key, p]) => ({ instId: key.slice(apiKey.length + 1), pos: p.pos.toString(), avgPx: p.avgPx.toString(), lever: p.lever })),
      balances(apiKey) {
        const acc = accounts.get(apiKey);
        if (!acc) throw new Error('okx fake has no account for that key');
        return Object.fromEntries([...acc.bal].map(([c, b]) => [c, { free: b.free.toString(), frozen: b.frozen.toString() }]));
      },
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
