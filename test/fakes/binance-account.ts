// The private side of the fake Binance: accounts with spot balances and USDⓈ-M futures wallets,
// orders, a small matching engine, trades and one-way positions, answering in Binance's wire format
// for what the real ccxt `binance` client sends (createOrder, fetchOrder, cancelOrder, fetchOpenOrders,
// fetchOrders, fetchMyTrades, fetchBalance, fetchPositions, setLeverage, setMarginMode).
//
// Matching is deliberately simple and deterministic: the book is infinitely deep at the market's
// current price. MARKET orders and marketable LIMIT orders fill at once at that price (taker); resting
// orders fill at their limit price (maker) when the price crosses them or when a test calls `fill`.
// Stops trigger when the price crosses the trigger, then behave as their market/limit counterpart.
// Spot fees are 0.1 % of the received asset; futures fees are 0.02 % maker / 0.05 % taker in the
// margin asset. Balances are locked for resting spot orders and moved on fills.
import { D, type Dec } from '../../src/domain/money.js';
import {
  BinanceRejection,
  DUPLICATE_ORDER,
  INSUFFICIENT_BALANCE,
  INVALID_SYMBOL,
  ORDER_DOES_NOT_EXIST,
  UNKNOWN_ORDER_SENT,
  filterFailure,
  mandatory,
} from './binance-account-errors.js';

/** The market fields the engine needs (a subset of the server's FakeMarket, live: prices move). */
export interface BinanceMarketRef {
  symbol: string;
  base: string;
  quote: string;
  tickSize: string;
  stepSize: string;
  minQty: string;
  maxQty: string;
  minNotional: string;
  price: string;
}

export type FakeVenue = 'spot' | 'futures';

export interface FakeAccountSpec {
  apiKey: string;
  secret: string;
  /** Spot balances (free), e.g. { USDT: '10000', BTC: '0.5' }. */
  spot?: Record<string, string>;
  /** USDⓈ-M wallet balances, e.g. { USDT: '10000' }. */
  futures?: Record<string, string>;
}

export interface FakeOrderView {
  apiKey: string;
  venue: FakeVenue;
  symbol: string;
  orderId: number;
  /** Set for futures conditional orders placed through /fapi/v1/algoOrder. */
  algoId?: number;
  clientOrderId: string;
  side: 'BUY' | 'SELL';
  type: string;
  origType: string;
  status: string;
  timeInForce: string;
  price: string;
  stopPrice: string;
  origQty: string;
  executedQty: string;
  cumQuote: string;
  reduceOnly: boolean;
  time: number;
  updateTime: number;
}

export interface FakeTradeView {
  apiKey: string;
  venue: FakeVenue;
  symbol: string;
  id: number;
  orderId: number;
  clientOrderId: string;
  side: 'BUY' | 'SELL';
  price: string;
  qty: string;
  quoteQty: string;
  commission: string;
  commissionAsset: string;
  realizedPnl: string;
  isMaker: boolean;
  time: number;
}

export interface FakeBalanceView {
  asset: string;
  free: string;
  locked: string;
}

export interface FakePositionView {
  symbol: string;
  positionAmt: string;
  entryPrice: string;
  leverage: number;
  marginType: 'cross' | 'isolated';
  unrealizedProfit: string;
  markPrice: string;
}

interface Order {
  apiKey: string;
  venue: FakeVenue;
  symbol: string;
  orderId: number;
  algoId?: number;
  clientOrderId: string;
  side: 'BUY' | 'SELL';
  /** Current type: a triggered STOP_MARKET becomes MARKET, a triggered STOP_LOSS_LIMIT becomes LIMIT. */
  type: string;
  origType: string;
  timeInForce: string;
  price: Dec;
  stopPrice: Dec;
  origQty: Dec;
  executedQty: Dec;
  cumQuote: Dec;
  origQuoteOrderQty: Dec;
  status: string;
  time: number;
  updateTime: number;
  workingTime: number;
  triggered: boolean;
  /** Has been on the book once: later fills are maker fills at its own limit price. */
  resting: boolean;
  reduceOnly: boolean;
  closePosition: boolean;
  callbackRate?: Dec;
  activationPrice?: Dec;
  trailActive: boolean;
  trailExtreme?: Dec;
  /** Spot: what is still locked for this order, in `lockedAsset`, at `lockPrice` per unit for buys. */
  locked: Dec;
  lockedAsset: string;
  lockPrice: Dec;
  tradeIds: number[];
  /** Algo orders: the order placed when it triggered. */
  actualOrderId?: number;
}

interface Trade {
  apiKey: string;
  venue: FakeVenue;
  symbol: string;
  id: number;
  orderId: number;
  clientOrderId: string;
  side: 'BUY' | 'SELL';
  price: Dec;
  qty: Dec;
  quoteQty: Dec;
  commission: Dec;
  commissionAsset: string;
  realizedPnl: Dec;
  isMaker: boolean;
  time: number;
}

interface Position {
  amt: Dec;
  entry: Dec;
  leverage: number;
  marginType: 'cross' | 'isolated';
  isolatedMargin: Dec;
  updateTime: number;
}

interface Account {
  apiKey: string;
  secret: string;
  spot: Map<string, { free: Dec; locked: Dec }>;
  futures: Map<string, { wallet: Dec; updateTime: number }>;
  positions: Map<string, Position>;
  leverage: Map<string, number>;
  marginType: Map<string, 'cross' | 'isolated'>;
}

const ZERO = new D(0);
const SPOT_FEE = new D('0.001');
const FUTURES_MAKER_FEE = new D('0.0002');
const FUTURES_TAKER_FEE = new D('0.0005');
const DEFAULT_LEVERAGE = 20;
const CLIENT_ORDER_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const SPOT_TYPES = ['MARKET', 'LIMIT', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT', 'LIMIT_MAKER'];
const FUTURES_TYPES = ['MARKET', 'LIMIT', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'];
const FUTURES_CONDITIONAL = ['STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'];
const FINAL = new Set(['FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'EXPIRED_IN_MATCH']);

const s8 = (d: Dec): string => d.toFixed(8);
const places = (step: string): number => Math.max(0, new D(step).decimalPlaces());

function parseDecimal(name: string, text: string | undefined): Dec | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new BinanceRejection(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`);
  return new D(text);
}

function parseBool(text: string | undefined): boolean {
  return text === 'true' || text === 'TRUE' || text === 'True';
}

export interface BinancePrivateOptions {
  now: () => number;
  spotMarket: (symbol: string) => BinanceMarketRef | undefined;
  perpMarket: (symbol: string) => BinanceMarketRef | undefined;
  spotMarkets: () => BinanceMarketRef[];
  perpMarkets: () => BinanceMarketRef[];
}

/** One venue's private state for every API key. Synchronous; the HTTP server wraps it. */
export class BinancePrivateState {
  private readonly accounts = new Map<string, Account>();
  private readonly orderList: Order[] = [];
  private readonly tradeList: Trade[] = [];
  private readonly hidden = new Map<string, number>();
  private nextSpotOrderId = 10_000_001;
  private nextFuturesOrderId = 80_000_001;
  private nextAlgoId = 5_000_001;
  private nextTradeId = 700_001;
  private nextCancelId = 1;

  constructor(private readonly o: BinancePrivateOptions) {}

  // --- accounts --------------------------------------------------------------------------------
  addAccount(spec: FakeAccountSpec): void {
    if (this.accounts.has(spec.apiKey)) throw new Error(`fake exchange already has an account for key ${spec.apiKey.slice(0, 4)}…`);
    const t = this.o.now();
    const account: Account = {
      apiKey: spec.apiKey,
      secret: spec.secret,
      spot: new Map(Object.entries(spec.spot ?? {}).map(([a, v]) => [a, { free: new D(v), locked: ZERO }])),
      futures: new Map(Object.entries(spec.futures ?? {}).map(([a, v]) => [a, { wallet: new D(v), updateTime: t }])),
      positions: new Map(),
      leverage: new Map(),
      marginType: new Map(),
    };
    this.accounts.set(spec.apiKey, account);
  }

  secretOf(apiKey: string): string | undefined {
    return this.accounts.get(apiKey)?.secret;
  }

  hasAccounts(): boolean {
    return this.accounts.size > 0;
  }

  /** Sets a spot free balance or a futures wallet balance directly (deposits, test setup). */
  setBalance(apiKey: string, venue: FakeVenue, asset: string, amount: string): void {
    const acc = this.account(apiKey);
    if (venue === 'spot') {
      const b = this.spotBalance(acc, asset);
      b.free = new D(amount);
    } else {
      acc.futures.set(asset, { wallet: new D(amount), updateTime: this.o.now() });
    }
  }

  // --- fault knobs -----------------------------------------------------------------------------
  /** The next `lookups` answers that would show an order with this client id leave it out. */
  hideOrder(clientOrderId: string, lookups: number): void {
    this.hidden.set(clientOrderId, lookups);
  }

  private isHidden(o: Order): boolean {
    const left = this.hidden.get(o.clientOrderId);
    if (left === undefined || left <= 0) return false;
    if (left !== Infinity) {
      if (left <= 1) this.hidden.delete(o.clientOrderId);
      else this.hidden.set(o.clientOrderId, left - 1);
    }
    return true;
  }

  /** Drops hidden orders from a lookup answer, using up one hidden lookup per hidden client id. */
  private visible(list: Order[]): Order[] {
    const hiddenIds = new Set<string>();
    for (const o of list) if (!hiddenIds.has(o.clientOrderId) && this.hidden.has(o.clientOrderId) && this.isHidden(o)) hiddenIds.add(o.clientOrderId);
    return list.filter((o) => !hiddenIds.has(o.clientOrderId));
  }

  // --- introspection ---------------------------------------------------------------------------
  orders(apiKey?: string): FakeOrderView[] {
    return this.orderList.filter((o) => apiKey === undefined || o.apiKey === apiKey).map((o) => this.view(o));
  }

  trades(apiKey?: string): FakeTradeView[] {
    return this.tradeList
      .filter((t) => apiKey === undefined || t.apiKey === apiKey)
      .map((t) => ({
        apiKey: t.apiKey,
        venue: t.venue,
        symbol: t.symbol,
        id: t.id,
        orderId: t.orderId,
        clientOrderId: t.clientOrderId,
        side: t.side,
        price: t.price.toString(),
        qty: t.qty.toString(),
        quoteQty: t.quoteQty.toString(),
        commission: t.commission.toString(),
        commissionAsset: t.commissionAsset,
        realizedPnl: t.realizedPnl.toString(),
        isMaker: t.isMaker,
        time: t.time,
      }));
  }

  balances(apiKey: string, venue: FakeVenue): Record<string, FakeBalanceView> {
    const acc = this.account(apiKey);
    const out: Record<string, FakeBalanceView> = {};
    if (venue === 'spot') {
      for (const [asset, b] of acc.spot) out[asset] = { asset, free: b.free.toString(), locked: b.locked.toString() };
    } else {
      for (const [asset, b] of acc.futures) out[asset] = { asset, free: b.wallet.toString(), locked: '0' };
    }
    return out;
  }

  positions(apiKey: string): FakePositionView[] {
    const acc = this.account(apiKey);
    const out: FakePositionView[] = [];
    for (const [symbol, p] of acc.positions) {
      if (p.amt.isZero()) continue;
      const mark = new D(this.perp(symbol).price);
      out.push({
        symbol,
        positionAmt: p.amt.toString(),
        entryPrice: p.entry.toString(),
        leverage: p.leverage,
        marginType: p.marginType,
        unrealizedProfit: mark.minus(p.entry).mul(p.amt).toString(),
        markPrice: mark.toString(),
      });
    }
    return out;
  }

  private view(o: Order): FakeOrderView {
    const v: FakeOrderView = {
      apiKey: o.apiKey,
      venue: o.venue,
      symbol: o.symbol,
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      side: o.side,
      type: o.type,
      origType: o.origType,
      status: o.status,
      timeInForce: o.timeInForce,
      price: o.price.toString(),
      stopPrice: o.stopPrice.toString(),
      origQty: o.origQty.toString(),
      executedQty: o.executedQty.toString(),
      cumQuote: o.cumQuote.toString(),
      reduceOnly: o.reduceOnly,
      time: o.time,
      updateTime: o.updateTime,
    };
    if (o.algoId !== undefined) v.algoId = o.algoId;
    return v;
  }

  // --- helpers ---------------------------------------------------------------------------------
  private account(apiKey: string): Account {
    const acc = this.accounts.get(apiKey);
    if (!acc) throw new Error(`fake exchange has no account for that API key`);
    return acc;
  }

  private spotBalance(acc: Account, asset: string): { free: Dec; locked: Dec } {
    let b = acc.spot.get(asset);
    if (!b) {
      b = { free: ZERO, locked: ZERO };
      acc.spot.set(asset, b);
    }
    return b;
  }

  private futuresWallet(acc: Account, asset: string): { wallet: Dec; updateTime: number } {
    let b = acc.futures.get(asset);
    if (!b) {
      b = { wallet: ZERO, updateTime: this.o.now() };
      acc.futures.set(asset, b);
    }
    return b;
  }

  private position(acc: Account, symbol: string): Position {
    let p = acc.positions.get(symbol);
    if (!p) {
      p = { amt: ZERO, entry: ZERO, leverage: acc.leverage.get(symbol) ?? DEFAULT_LEVERAGE, marginType: acc.marginType.get(symbol) ?? 'cross', isolatedMargin: ZERO, updateTime: 0 };
      acc.positions.set(symbol, p);
    }
    return p;
  }

  private market(venue: FakeVenue, symbol: string | undefined): BinanceMarketRef {
    if (symbol === undefined || symbol === '') throw mandatory('symbol');
    const m = venue === 'spot' ? this.o.spotMarket(symbol) : this.o.perpMarket(symbol);
    if (!m) throw INVALID_SYMBOL();
    return m;
  }

  private perp(symbol: string): BinanceMarketRef {
    const m = this.o.perpMarket(symbol);
    if (!m) throw new Error(`fake exchange has no perpetual ${symbol}`);
    return m;
  }

  private isOpen(o: Order): boolean {
    return !FINAL.has(o.status) && !(o.algoId !== undefined && o.triggered);
  }

  private findOrder(apiKey: string, venue: FakeVenue, symbol: string, p: Record<string, string>, algo: boolean): Order | undefined {
    const byId = algo ? p['algoId'] : p['orderId'];
    const byClient = algo ? p['clientAlgoId'] : p['origClientOrderId'];
    if (byId === undefined && byClient === undefined) {
      throw new BinanceRejection(400, -1102, algo ? "Param 'algoId' or 'clientAlgoId' must be sent, but both were empty/null!" : "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
    }
    // Newest first: a client id reused after its order finished finds the newest order.
    for (let i = this.orderList.length - 1; i >= 0; i--) {
      const o = this.orderList[i]!;
      if (o.apiKey !== apiKey || o.venue !== venue || o.symbol !== symbol) continue;
      if (algo !== (o.algoId !== undefined)) continue;
      if (byId !== undefined && String(algo ? o.algoId : o.orderId) !== byId) continue;
      if (byClient !== undefined && o.clientOrderId !== byClient) continue;
      return o;
    }
    return undefined;
  }

  // --- order entry -----------------------------------------------------------------------------
  private checkCommon(venue: FakeVenue, m: BinanceMarketRef, p: Record<string, string>, clientIdParam: string, types: string[]) {
    const sideText = p['side'];
    if (sideText === undefined) throw mandatory('side');
    if (sideText !== 'BUY' && sideText !== 'SELL') throw new BinanceRejection(400, -1100, "Illegal characters found in parameter 'side'; legal range is 'BUY, SELL'.");
    const side: 'BUY' | 'SELL' = sideText === 'BUY' ? 'BUY' : 'SELL';
    const type = p['type'];
    if (type === undefined) throw mandatory('type');
    if (!types.includes(type)) throw new BinanceRejection(400, -1116, 'Invalid orderType.');
    const clientOrderId = p[clientIdParam];
    if (clientOrderId !== undefined && !CLIENT_ORDER_ID.test(clientOrderId)) {
      throw new BinanceRejection(400, -1100, `Illegal characters found in parameter '${clientIdParam}'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.`);
    }
    const tif = p['timeInForce'];
    if (tif !== undefined && !['GTC', 'IOC', 'FOK', ...(venue === 'futures' ? ['GTX', 'GTD'] : [])].includes(tif)) {
      throw new BinanceRejection(400, -1115, 'Invalid timeInForce.');
    }
    const quantity = parseDecimal('quantity', p['quantity']);
    const price = parseDecimal('price', p['price']);
    const stopPrice = parseDecimal('stopPrice', p['stopPrice'] ?? p['triggerPrice']);
    const tick = new D(m.tickSize);
    for (const v of [price, stopPrice]) {
      if (v !== undefined && (v.lte(0) || !v.mod(tick).isZero())) throw filterFailure('PRICE_FILTER');
    }
    if (quantity !== undefined) {
      if (quantity.lt(m.minQty) || quantity.gt(m.maxQty) || !quantity.mod(m.stepSize).isZero()) throw filterFailure('LOT_SIZE');
    }
    return { side: side, type, clientOrderId, tif, quantity, price, stopPrice };
  }

  private newClientId(): string {
    return `web_${String(this.nextCancelId++).padStart(20, '0')}`;
  }

  private assertNotDuplicate(apiKey: string, clientOrderId: string): void {
    if (this.orderList.some((o) => o.apiKey === apiKey && o.clientOrderId === clientOrderId && this.isOpen(o))) throw DUPLICATE_ORDER();
  }

  private triggersNow(o: Order, price: Dec): boolean {
    const up = price.gte(o.stopPrice);
    const down = price.lte(o.stopPrice);
    switch (o.origType) {
      case 'STOP_LOSS':
      case 'STOP_LOSS_LIMIT':
      case 'STOP':
      case 'STOP_MARKET':
        return o.side === 'SELL' ? down : up;
      case 'TAKE_PROFIT':
      case 'TAKE_PROFIT_LIMIT':
      case 'TAKE_PROFIT_MARKET':
        return o.side === 'SELL' ? up : down;
      default:
        return false;
    }
  }

  placeSpotOrder(apiKey: string, p: Record<string, string>): unknown {
    const acc = this.account(apiKey);
    const m = this.market('spot', p['symbol']);
    const c = this.checkCommon('spot', m, p, 'newClientOrderId', SPOT_TYPES);
    const now = this.o.now();
    const last = new D(m.price);
    const isLimitKind = ['LIMIT', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT', 'LIMIT_MAKER'].includes(c.type);
    const isStop = c.type.startsWith('STOP_LOSS') || c.type.startsWith('TAKE_PROFIT');
    if (isLimitKind && c.price === undefined) throw mandatory('price');
    if (['LIMIT', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'].includes(c.type) && c.tif === undefined) throw mandatory('timeInForce');
    if (isStop && c.stopPrice === undefined) throw mandatory('stopPrice');
    let quantity = c.quantity;
    const quoteOrderQty = parseDecimal('quoteOrderQty', p['quoteOrderQty']);
    if (quantity === undefined) {
      if (c.type === 'MARKET' && quoteOrderQty !== undefined) {
        quantity = quoteOrderQty.div(last).div(m.stepSize).floor().mul(m.stepSize);
        if (quantity.lt(m.minQty)) throw filterFailure('LOT_SIZE');
      } else {
        throw mandatory('quantity');
      }
    }
    const refPrice = c.price ?? c.stopPrice ?? last;
    if (quantity.mul(refPrice).lt(m.minNotional)) throw filterFailure('NOTIONAL');
    const clientOrderId = c.clientOrderId ?? this.newClientId();
    this.assertNotDuplicate(apiKey, clientOrderId);

    const order: Order = {
      apiKey,
      venue: 'spot',
      symbol: m.symbol,
      orderId: 0,
      clientOrderId,
      side: c.side,
      type: c.type,
      origType: c.type,
      timeInForce: c.tif ?? 'GTC',
      price: c.price ?? ZERO,
      stopPrice: c.stopPrice ?? ZERO,
      origQty: quantity,
      executedQty: ZERO,
      cumQuote: ZERO,
      origQuoteOrderQty: quoteOrderQty ?? ZERO,
      status: 'NEW',
      time: now,
      updateTime: now,
      workingTime: isStop ? -1 : now,
      triggered: !isStop,
      resting: false,
      reduceOnly: false,
      closePosition: false,
      trailActive: false,
      locked: ZERO,
      lockedAsset: c.side === 'BUY' ? m.quote : m.base,
      lockPrice: ZERO,
      tradeIds: [],
    };
    if (isStop && this.triggersNow(order, last)) throw new BinanceRejection(400, -2010, 'Stop price would trigger immediately.');
    if (c.type === 'LIMIT_MAKER' && this.marketable(order, last)) throw new BinanceRejection(400, -2010, 'Order would immediately match and take.');

    // Funds: market orders need them free now; everything else locks them until it is final.
    const bal = this.spotBalance(acc, order.lockedAsset);
    if (c.type === 'MARKET') {
      const need = c.side === 'BUY' ? quantity.mul(last) : quantity;
      if (bal.free.lt(need)) throw INSUFFICIENT_BALANCE();
    } else {
      order.lockPrice = c.side === 'BUY' ? (c.price ?? c.stopPrice ?? last) : ZERO;
      const need = c.side === 'BUY' ? quantity.mul(order.lockPrice) : quantity;
      if (bal.free.lt(need)) throw INSUFFICIENT_BALANCE();
      bal.free = bal.free.minus(need);
      bal.locked = bal.locked.plus(need);
      order.locked = need;
    }
    order.orderId = this.nextSpotOrderId++;
    this.orderList.push(order);
    this.evaluate(order, last);

    const respType = p['newOrderRespType'] ?? (c.type === 'MARKET' || c.type === 'LIMIT' ? 'FULL' : 'ACK');
    const ack = { symbol: order.symbol, orderId: order.orderId, orderListId: -1, clientOrderId: order.clientOrderId, transactTime: now };
    if (respType === 'ACK') return ack;
    const result = {
      ...ack,
      price: s8(order.price),
      origQty: s8(order.origQty),
      executedQty: s8(order.executedQty),
      origQuoteOrderQty: s8(order.origQuoteOrderQty),
      cummulativeQuoteQty: s8(order.cumQuote),
      status: order.status,
      timeInForce: order.timeInForce,
      type: order.origType,
      side: order.side,
      ...(isStop ? { stopPrice: s8(order.stopPrice) } : {}),
      workingTime: order.workingTime,
      selfTradePreventionMode: 'EXPIRE_MAKER',
    };
    if (respType === 'RESULT') return result;
    const fills = order.tradeIds.map((id) => {
      const t = this.tradeList.find((x) => x.id === id)!;
      return { price: s8(t.price), qty: s8(t.qty), commission: s8(t.commission), commissionAsset: t.commissionAsset, tradeId: t.id };
    });
    return { ...result, fills };
  }

  placeFuturesOrder(apiKey: string, p: Record<string, string>, algo: boolean): unknown {
    const acc = this.account(apiKey);
    const m = this.market('futures', p['symbol']);
    if (algo) {
      const algoType = p['algoType'];
      if (algoType === undefined) throw mandatory('algoType');
      if (algoType !== 'CONDITIONAL') throw new BinanceRejection(400, -1116, 'Invalid algoType.');
    }
    const c = this.checkCommon('futures', m, p, algo ? 'clientAlgoId' : 'newClientOrderId', algo ? FUTURES_CONDITIONAL : FUTURES_TYPES);
    const positionSide = p['positionSide'] ?? 'BOTH';
    if (positionSide !== 'BOTH') throw new BinanceRejection(400, -4061, "Order's position side does not match user's setting.");
    const now = this.o.now();
    const last = new D(m.price);
    const isLimitKind = c.type === 'LIMIT' || c.type === 'STOP' || c.type === 'TAKE_PROFIT';
    const isConditional = FUTURES_CONDITIONAL.includes(c.type);
    const reduceOnly = parseBool(p['reduceOnly']);
    const closePosition = parseBool(p['closePosition']);
    if (isLimitKind && c.price === undefined) throw mandatory('price');
    if (c.type === 'LIMIT' && c.tif === undefined) throw mandatory('timeInForce');
    if (isConditional && c.type !== 'TRAILING_STOP_MARKET' && c.stopPrice === undefined) throw mandatory(algo ? 'triggerPrice' : 'stopPrice');
    const callbackRate = parseDecimal('callbackRate', p['callbackRate']);
    const activationPrice = parseDecimal('activationPrice', p['activationPrice'] ?? p['activatePrice']);
    if (c.type === 'TRAILING_STOP_MARKET') {
      if (callbackRate === undefined) throw mandatory('callbackRate');
      if (callbackRate.lt('0.1') || callbackRate.gt(10)) throw new BinanceRejection(400, -2007, 'Invalid callBack rate.');
    }
    const pos = this.position(acc, m.symbol);
    let quantity = c.quantity;
    if (quantity === undefined) {
      if (closePosition && isConditional) quantity = pos.amt.abs();
      else throw mandatory('quantity');
    }
    const refPrice = c.price ?? c.stopPrice ?? last;
    if (!reduceOnly && !closePosition && quantity.mul(refPrice).lt(m.minNotional)) {
      throw new BinanceRejection(400, -4164, `Order's notional must be no smaller than ${new D(m.minNotional).toString()} (unless you choose reduce only).`);
    }
    if (reduceOnly && !isConditional) {
      const reduces = (c.side === 'SELL' && pos.amt.gt(0)) || (c.side === 'BUY' && pos.amt.lt(0));
      if (!reduces) throw new BinanceRejection(400, -2022, 'ReduceOnly Order is rejected.');
    }
    const clientOrderId = c.clientOrderId ?? this.newClientId();
    this.assertNotDuplicate(apiKey, clientOrderId);

    const order: Order = {
      apiKey,
      venue: 'futures',
      symbol: m.symbol,
      orderId: 0,
      clientOrderId,
      side: c.side,
      type: c.type,
      origType: c.type,
      timeInForce: c.tif ?? 'GTC',
      price: c.price ?? ZERO,
      stopPrice: c.stopPrice ?? ZERO,
      origQty: quantity,
      executedQty: ZERO,
      cumQuote: ZERO,
      origQuoteOrderQty: ZERO,
      status: 'NEW',
      time: now,
      updateTime: now,
      workingTime: now,
      triggered: !isConditional,
      resting: false,
      reduceOnly: reduceOnly || closePosition,
      closePosition,
      trailActive: activationPrice === undefined,
      locked: ZERO,
      lockedAsset: m.quote,
      lockPrice: ZERO,
      tradeIds: [],
    };
    if (callbackRate !== undefined) order.callbackRate = callbackRate;
    if (activationPrice !== undefined) order.activationPrice = activationPrice;
    if (order.trailActive) order.trailExtreme = last;
    if (isConditional && c.type !== 'TRAILING_STOP_MARKET' && this.triggersNow(order, last)) {
      throw new BinanceRejection(400, -2021, 'Order would immediately trigger.');
    }
    if (c.tif === 'GTX' && this.marketable(order, last)) {
      throw new BinanceRejection(400, -5022, 'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history');
    }
    if (!order.reduceOnly) {
      const need = quantity.mul(refPrice).div(pos.leverage);
      if (need.gt(this.availableMargin(acc, m.quote))) throw new BinanceRejection(400, -2019, 'Margin is insufficient.');
    }
    order.orderId = this.nextFuturesOrderId++;
    if (algo) order.algoId = this.nextAlgoId++;
    this.orderList.push(order);
    this.evaluate(order, last);
    return algo ? this.algoJson(order) : this.futuresJson(order);
  }

  private marketable(o: Order, price: Dec): boolean {
    return o.side === 'BUY' ? price.lte(o.price) : price.gte(o.price);
  }

  // --- matching --------------------------------------------------------------------------------
  /** Moves an order as far as the current price lets it: trigger, then fill or rest or expire. */
  private evaluate(o: Order, price: Dec): void {
    this.match(o, price);
    if (this.isOpen(o)) o.resting = true;
  }

  private match(o: Order, price: Dec): void {
    if (!this.isOpen(o)) return;
    if (!o.triggered) {
      if (o.origType === 'TRAILING_STOP_MARKET') {
        if (!this.trail(o, price)) return;
      } else if (!this.triggersNow(o, price)) {
        return;
      }
      this.trigger(o);
      if (o.algoId !== undefined) {
        this.placeTriggeredChild(o, price);
        return;
      }
    }
    const remaining = o.origQty.minus(o.executedQty);
    if (o.type === 'MARKET') {
      this.execute(o, remaining, price, false);
      return;
    }
    // Limit kinds: marketable on arrival → taker at the market price; IOC/FOK leftovers expire.
    if (this.marketable(o, price)) {
      this.execute(o, remaining, o.resting ? o.price : price, o.resting);
      return;
    }
    if (!o.resting && (o.timeInForce === 'IOC' || o.timeInForce === 'FOK')) this.finish(o, 'EXPIRED');
  }

  private trail(o: Order, price: Dec): boolean {
    if (!o.trailActive) {
      const reached = o.side === 'SELL' ? price.gte(o.activationPrice!) : price.lte(o.activationPrice!);
      if (!reached) return false;
      o.trailActive = true;
      o.trailExtreme = price;
    }
    const extreme = o.trailExtreme ?? price;
    const rate = o.callbackRate!.div(100);
    if (o.side === 'SELL') {
      o.trailExtreme = D.max(extreme, price);
      return price.lte(o.trailExtreme.mul(new D(1).minus(rate)));
    }
    o.trailExtreme = D.min(extreme, price);
    return price.gte(o.trailExtreme.mul(new D(1).plus(rate)));
  }

  private trigger(o: Order): void {
    o.triggered = true;
    o.workingTime = this.o.now();
    o.updateTime = this.o.now();
    o.resting = false; // a triggered stop-limit that is marketable takes at the market price
    if (o.algoId !== undefined) return;
    o.type = ['STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT', 'STOP', 'TAKE_PROFIT'].includes(o.origType) ? 'LIMIT' : 'MARKET';
  }

  /** Algo (conditional) futures orders: on trigger the venue places a regular order with the same client id. */
  private placeTriggeredChild(algo: Order, price: Dec): void {
    const child: Order = {
      ...algo,
      orderId: this.nextFuturesOrderId++,
      type: ['STOP', 'TAKE_PROFIT'].includes(algo.origType) ? 'LIMIT' : 'MARKET',
      status: 'NEW',
      time: this.o.now(),
      updateTime: this.o.now(),
      workingTime: this.o.now(),
      triggered: true,
      resting: false,
      tradeIds: [],
    };
    delete child.algoId;
    algo.actualOrderId = child.orderId;
    algo.status = 'TRIGGERED';
    this.orderList.push(child);
    this.evaluate(child, price);
    if (FINAL.has(child.status)) algo.status = 'FINISHED';
  }

  private finish(o: Order, status: string): void {
    o.status = status;
    o.updateTime = this.o.now();
    if (o.venue === 'spot' && o.locked.gt(0)) {
      const b = this.spotBalance(this.account(o.apiKey), o.lockedAsset);
      b.locked = b.locked.minus(o.locked);
      b.free = b.free.plus(o.locked);
      o.locked = ZERO;
    }
    if (o.algoId === undefined && o.venue === 'futures') {
      // An algo parent is finished when its child is.
      const parent = this.orderList.find((x) => x.actualOrderId === o.orderId);
      if (parent && FINAL.has(status)) parent.status = 'FINISHED';
    }
  }

  private execute(o: Order, wanted: Dec, price: Dec, isMaker: boolean): Trade | undefined {
    const acc = this.account(o.apiKey);
    let qty = wanted;
    if (o.venue === 'futures' && o.reduceOnly) {
      const pos = this.position(acc, o.symbol);
      const reducible = (o.side === 'SELL' && pos.amt.gt(0)) || (o.side === 'BUY' && pos.amt.lt(0)) ? pos.amt.abs() : ZERO;
      if (reducible.isZero()) {
        this.finish(o, 'EXPIRED');
        return undefined;
      }
      qty = D.min(qty, reducible);
    }
    if (qty.lte(0)) return undefined;
    const m = o.venue === 'spot' ? this.o.spotMarket(o.symbol)! : this.perp(o.symbol);
    const quote = qty.mul(price);
    const trade: Trade = {
      apiKey: o.apiKey,
      venue: o.venue,
      symbol: o.symbol,
      id: this.nextTradeId++,
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      side: o.side,
      price,
      qty,
      quoteQty: quote,
      commission: ZERO,
      commissionAsset: m.quote,
      realizedPnl: ZERO,
      isMaker,
      time: this.o.now(),
    };
    if (o.venue === 'spot') {
      const baseBal = this.spotBalance(acc, m.base);
      const quoteBal = this.spotBalance(acc, m.quote);
      if (o.side === 'BUY') {
        if (o.locked.gt(0)) {
          const release = D.min(o.locked, qty.mul(o.lockPrice));
          o.locked = o.locked.minus(release);
          quoteBal.locked = quoteBal.locked.minus(release);
          quoteBal.free = quoteBal.free.plus(release).minus(quote);
        } else {
          quoteBal.free = quoteBal.free.minus(quote);
        }
        trade.commission = qty.mul(SPOT_FEE).toDecimalPlaces(8, D.ROUND_UP);
        trade.commissionAsset = m.base;
        baseBal.free = baseBal.free.plus(qty).minus(trade.commission);
      } else {
        if (o.locked.gt(0)) {
          const release = D.min(o.locked, qty);
          o.locked = o.locked.minus(release);
          baseBal.locked = baseBal.locked.minus(release);
          baseBal.free = baseBal.free.plus(release).minus(qty);
        } else {
          baseBal.free = baseBal.free.minus(qty);
        }
        trade.commission = quote.mul(SPOT_FEE).toDecimalPlaces(8, D.ROUND_UP);
        quoteBal.free = quoteBal.free.plus(quote).minus(trade.commission);
      }
    } else {
      const wallet = this.futuresWallet(acc, m.quote);
      const pos = this.position(acc, o.symbol);
      const signed = o.side === 'BUY' ? qty : qty.neg();
      let realized = ZERO;
      if (pos.amt.isZero() || pos.amt.isPositive() === signed.isPositive()) {
        const size = pos.amt.abs().plus(qty);
        pos.entry = pos.amt.abs().mul(pos.entry).plus(quote).div(size);
        pos.amt = pos.amt.plus(signed);
      } else {
        const closing = D.min(qty, pos.amt.abs());
        realized = price.minus(pos.entry).mul(closing).mul(pos.amt.isPositive() ? 1 : -1);
        pos.amt = pos.amt.plus(signed);
        if (pos.amt.isZero()) pos.entry = ZERO;
        else if (pos.amt.isPositive() === signed.isPositive()) pos.entry = price; // flipped: the rest opened at this price
      }
      pos.updateTime = this.o.now();
      trade.commission = quote.mul(isMaker ? FUTURES_MAKER_FEE : FUTURES_TAKER_FEE).toDecimalPlaces(8, D.ROUND_UP);
      trade.realizedPnl = realized;
      wallet.wallet = wallet.wallet.plus(realized).minus(trade.commission);
      wallet.updateTime = this.o.now();
    }
    this.tradeList.push(trade);
    o.tradeIds.push(trade.id);
    o.executedQty = o.executedQty.plus(qty);
    o.cumQuote = o.cumQuote.plus(quote);
    o.updateTime = this.o.now();
    if (o.executedQty.gte(o.origQty)) this.finish(o, 'FILLED');
    else o.status = 'PARTIALLY_FILLED';
    return trade;
  }

  /** A market's price moved: trigger stops and fill resting limits it crosses, oldest first. */
  onPrice(venue: FakeVenue, symbol: string): void {
    const m = venue === 'spot' ? this.o.spotMarket(symbol) : this.o.perpMarket(symbol);
    if (!m) return;
    const price = new D(m.price);
    for (const o of [...this.orderList]) {
      if (o.venue !== venue || o.symbol !== symbol || !this.isOpen(o)) continue;
      this.evaluate(o, price);
    }
  }

  /**
   * Fills the newest open order with this client id (any account): `quantity` (default: what remains)
   * at `price` (default: its limit price, or the market price for market kinds). An untriggered stop
   * triggers first. Returns the trade.
   */
  fill(clientOrderId: string, opts: { quantity?: string; price?: string } = {}): FakeTradeView {
    const o = [...this.orderList].reverse().find((x) => x.clientOrderId === clientOrderId && this.isOpen(x));
    if (!o) throw new Error(`fake exchange has no open order with client id ${clientOrderId}`);
    let target = o;
    const m = o.venue === 'spot' ? this.o.spotMarket(o.symbol)! : this.perp(o.symbol);
    if (!o.triggered) {
      this.trigger(o);
      if (o.algoId !== undefined) {
        const child: Order = { ...o, orderId: this.nextFuturesOrderId++, type: ['STOP', 'TAKE_PROFIT'].includes(o.origType) ? 'LIMIT' : 'MARKET', status: 'NEW', time: this.o.now(), updateTime: this.o.now(), triggered: true, resting: true, tradeIds: [] };
        delete child.algoId;
        o.actualOrderId = child.orderId;
        o.status = 'TRIGGERED';
        this.orderList.push(child);
        target = child;
      }
    }
    const remaining = target.origQty.minus(target.executedQty);
    const qty = opts.quantity !== undefined ? new D(opts.quantity) : remaining;
    if (qty.lte(0) || qty.gt(remaining)) throw new Error(`cannot fill ${qty.toString()} of order ${clientOrderId}: ${remaining.toString()} remains`);
    const price = opts.price !== undefined ? new D(opts.price) : target.type === 'MARKET' ? new D(m.price) : target.price;
    const trade = this.execute(target, qty, price, target.type !== 'MARKET');
    if (!trade) throw new Error(`order ${clientOrderId} could not be filled (reduce-only with no position to reduce)`);
    return this.trades().find((t) => t.id === trade.id)!;
  }

  // --- order queries ---------------------------------------------------------------------------
  getOrder(apiKey: string, venue: FakeVenue, p: Record<string, string>, algo = false): unknown {
    const m = this.market(venue, p['symbol']);
    const o = this.findOrder(apiKey, venue, m.symbol, p, algo);
    if (!o || this.visible([o]).length === 0) throw ORDER_DOES_NOT_EXIST();
    return this.orderJson(o);
  }

  cancelOrder(apiKey: string, venue: FakeVenue, p: Record<string, string>, algo = false): unknown {
    const m = this.market(venue, p['symbol']);
    const o = this.findOrder(apiKey, venue, m.symbol, p, algo);
    if (!o || !this.isOpen(o)) throw UNKNOWN_ORDER_SENT();
    this.finish(o, 'CANCELED');
    if (algo) return { algoId: o.algoId, clientAlgoId: o.clientOrderId, code: '200', msg: 'success' };
    if (venue === 'futures') return this.futuresJson(o);
    return {
      symbol: o.symbol,
      origClientOrderId: o.clientOrderId,
      orderId: o.orderId,
      orderListId: -1,
      clientOrderId: p['newClientOrderId'] ?? this.newClientId(),
      transactTime: this.o.now(),
      price: s8(o.price),
      origQty: s8(o.origQty),
      executedQty: s8(o.executedQty),
      origQuoteOrderQty: s8(o.origQuoteOrderQty),
      cummulativeQuoteQty: s8(o.cumQuote),
      status: o.status,
      timeInForce: o.timeInForce,
      type: o.origType,
      side: o.side,
      ...(o.stopPrice.gt(0) ? { stopPrice: s8(o.stopPrice) } : {}),
      selfTradePreventionMode: 'EXPIRE_MAKER',
    };
  }

  /** GET /fapi/v1/openOrder: one order, only while it is open. */
  openOrder(apiKey: string, p: Record<string, string>): unknown {
    const m = this.market('futures', p['symbol']);
    const o = this.findOrder(apiKey, 'futures', m.symbol, p, false);
    if (!o || !this.isOpen(o) || this.visible([o]).length === 0) throw ORDER_DOES_NOT_EXIST();
    return this.orderJson(o);
  }

  /** DELETE /api/v3/openOrders, /fapi/v1/allOpenOrders, /fapi/v1/algoOpenOrders: every open order of a symbol. */
  cancelAll(apiKey: string, venue: FakeVenue, p: Record<string, string>, algo = false): unknown {
    const m = this.market(venue, p['symbol']);
    const open = this.orderList.filter((o) => o.apiKey === apiKey && o.venue === venue && o.symbol === m.symbol && algo === (o.algoId !== undefined) && this.isOpen(o));
    if (venue === 'spot') {
      if (open.length === 0) throw UNKNOWN_ORDER_SENT();
      return open.map((o) => this.cancelOrder(apiKey, 'spot', { symbol: o.symbol, orderId: String(o.orderId) }));
    }
    for (const o of open) this.finish(o, 'CANCELED');
    return { code: 200, msg: 'The operation of cancel all open order is done.' };
  }

  /** POST /api/v3/order/cancelReplace (ccxt editOrder on spot): cancel, then place the new order. */
  cancelReplace(apiKey: string, p: Record<string, string>): unknown {
    const mode = p['cancelReplaceMode'];
    if (mode === undefined) throw mandatory('cancelReplaceMode');
    const m = this.market('spot', p['symbol']);
    const lookup: Record<string, string> = { symbol: m.symbol };
    if (p['cancelOrderId'] !== undefined) lookup['orderId'] = p['cancelOrderId'];
    if (p['cancelOrigClientOrderId'] !== undefined) lookup['origClientOrderId'] = p['cancelOrigClientOrderId'];
    if (p['cancelNewClientOrderId'] !== undefined) lookup['newClientOrderId'] = p['cancelNewClientOrderId'];
    let cancelResponse: unknown;
    let cancelled = true;
    try {
      cancelResponse = this.cancelOrder(apiKey, 'spot', lookup);
    } catch (err) {
      if (!(err instanceof BinanceRejection)) throw err;
      cancelled = false;
      cancelResponse = { code: err.code, msg: err.msg };
    }
    if (!cancelled && mode === 'STOP_ON_FAILURE') {
      throw new BinanceRejection(400, -2022, 'Order cancel-replace failed.', {
        cancelResult: 'FAILURE',
        newOrderResult: 'NOT_ATTEMPTED',
        cancelResponse,
        newOrderResponse: null,
      });
    }
    const orderParams: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) if (!k.startsWith('cancel')) orderParams[k] = v;
    try {
      const newOrderResponse = this.placeSpotOrder(apiKey, orderParams);
      if (!cancelled) {
        throw new BinanceRejection(409, -2021, 'Order cancel-replace partially failed.', { cancelResult: 'FAILURE', newOrderResult: 'SUCCESS', cancelResponse, newOrderResponse });
      }
      return { cancelResult: 'SUCCESS', newOrderResult: 'SUCCESS', cancelResponse, newOrderResponse };
    } catch (err) {
      if (!(err instanceof BinanceRejection) || err.data !== undefined) throw err;
      throw new BinanceRejection(409, -2021, 'Order cancel-replace partially failed.', {
        cancelResult: cancelled ? 'SUCCESS' : 'FAILURE',
        newOrderResult: 'FAILURE',
        cancelResponse,
        newOrderResponse: { code: err.code, msg: err.msg },
      });
    }
  }

  /** PUT /fapi/v1/order (ccxt editOrder on futures): a resting LIMIT order's price and quantity. */
  modifyFuturesOrder(apiKey: string, p: Record<string, string>): unknown {
    const m = this.market('futures', p['symbol']);
    const o = this.findOrder(apiKey, 'futures', m.symbol, p, false);
    if (!o) throw ORDER_DOES_NOT_EXIST();
    if (!this.isOpen(o)) throw new BinanceRejection(400, -2013, 'Order does not exist.');
    if (o.type !== 'LIMIT') throw new BinanceRejection(400, -4120, 'Order type not supported for this endpoint.');
    if (p['side'] !== undefined && p['side'] !== o.side) throw new BinanceRejection(400, -4123, 'Side does not match.');
    const quantity = parseDecimal('quantity', p['quantity']) ?? o.origQty;
    const price = parseDecimal('price', p['price']) ?? o.price;
    if (!price.mod(m.tickSize).isZero()) throw filterFailure('PRICE_FILTER');
    if (!quantity.mod(m.stepSize).isZero() || quantity.lt(m.minQty)) throw filterFailure('LOT_SIZE');
    if (quantity.lte(o.executedQty)) throw new BinanceRejection(400, -4033, 'Quantity less than or equal to executed quantity.');
    if (quantity.eq(o.origQty) && price.eq(o.price)) throw new BinanceRejection(400, -5027, 'No need to modify the order.');
    o.origQty = quantity;
    o.price = price;
    o.updateTime = this.o.now();
    o.resting = false; // a price that now crosses takes at the market price, as a new order would
    this.evaluate(o, new D(m.price));
    return this.futuresJson(o);
  }

  openOrders(apiKey: string, venue: FakeVenue, p: Record<string, string>, algo = false): unknown[] {
    const symbol = p['symbol'] !== undefined ? this.market(venue, p['symbol']).symbol : undefined;
    const list = this.orderList.filter(
      (o) => o.apiKey === apiKey && o.venue === venue && (symbol === undefined || o.symbol === symbol) && algo === (o.algoId !== undefined) && this.isOpen(o),
    );
    return this.visible(list).map((o) => this.orderJson(o));
  }

  allOrders(apiKey: string, venue: FakeVenue, p: Record<string, string>, algo = false): unknown[] {
    const symbol = this.market(venue, p['symbol']).symbol;
    let list = this.orderList.filter((o) => o.apiKey === apiKey && o.venue === venue && o.symbol === symbol && algo === (o.algoId !== undefined));
    if (p['orderId'] !== undefined) list = list.filter((o) => o.orderId >= Number(p['orderId']));
    if (p['startTime'] !== undefined) list = list.filter((o) => o.time >= Number(p['startTime']));
    if (p['endTime'] !== undefined) list = list.filter((o) => o.time <= Number(p['endTime']));
    const limit = Math.min(Number(p['limit'] ?? 500) || 500, 1000);
    list = p['orderId'] !== undefined ? list.slice(0, limit) : list.slice(-limit);
    return this.visible(list).map((o) => this.orderJson(o));
  }

  myTrades(apiKey: string, venue: FakeVenue, p: Record<string, string>): unknown[] {
    const symbol = p['symbol'] !== undefined ? this.market(venue, p['symbol']).symbol : undefined;
    if (venue === 'spot' && symbol === undefined) throw mandatory('symbol');
    let list = this.tradeList.filter((t) => t.apiKey === apiKey && t.venue === venue && (symbol === undefined || t.symbol === symbol));
    if (p['orderId'] !== undefined) list = list.filter((t) => String(t.orderId) === p['orderId']);
    if (p['fromId'] !== undefined) list = list.filter((t) => t.id >= Number(p['fromId']));
    if (p['startTime'] !== undefined) list = list.filter((t) => t.time >= Number(p['startTime']));
    if (p['endTime'] !== undefined) list = list.filter((t) => t.time <= Number(p['endTime']));
    const limit = Math.min(Number(p['limit'] ?? 500) || 500, 1000);
    list = p['fromId'] !== undefined ? list.slice(0, limit) : list.slice(-limit);
    return list.map((t) =>
      venue === 'spot'
        ? {
            symbol: t.symbol,
            id: t.id,
            orderId: t.orderId,
            orderListId: -1,
            price: s8(t.price),
            qty: s8(t.qty),
            quoteQty: s8(t.quoteQty),
            commission: s8(t.commission),
            commissionAsset: t.commissionAsset,
            time: t.time,
            isBuyer: t.side === 'BUY',
            isMaker: t.isMaker,
            isBestMatch: true,
          }
        : {
            buyer: t.side === 'BUY',
            commission: s8(t.commission),
            commissionAsset: t.commissionAsset,
            id: t.id,
            maker: t.isMaker,
            orderId: t.orderId,
            price: t.price.toFixed(places(this.perp(t.symbol).tickSize)),
            qty: t.qty.toFixed(places(this.perp(t.symbol).stepSize)),
            quoteQty: s8(t.quoteQty),
            realizedPnl: s8(t.realizedPnl),
            side: t.side,
            positionSide: 'BOTH',
            symbol: t.symbol,
            time: t.time,
          },
    );
  }

  private orderJson(o: Order): unknown {
    if (o.algoId !== undefined) return this.algoJson(o);
    if (o.venue === 'futures') return { ...this.futuresJson(o), time: o.time };
    return {
      symbol: o.symbol,
      orderId: o.orderId,
      orderListId: -1,
      clientOrderId: o.clientOrderId,
      price: s8(o.price),
      origQty: s8(o.origQty),
      executedQty: s8(o.executedQty),
      cummulativeQuoteQty: s8(o.cumQuote),
      status: o.status,
      timeInForce: o.timeInForce,
      type: o.origType,
      side: o.side,
      stopPrice: s8(o.stopPrice),
      icebergQty: '0.00000000',
      time: o.time,
      updateTime: o.updateTime,
      isWorking: o.triggered,
      workingTime: o.workingTime,
      origQuoteOrderQty: s8(o.origQuoteOrderQty),
      selfTradePreventionMode: 'EXPIRE_MAKER',
    };
  }

  private futuresJson(o: Order): Record<string, unknown> {
    const m = this.perp(o.symbol);
    const pp = places(m.tickSize);
    const qp = places(m.stepSize);
    const avg = o.executedQty.gt(0) ? o.cumQuote.div(o.executedQty) : ZERO;
    return {
      orderId: o.orderId,
      symbol: o.symbol,
      status: o.status,
      clientOrderId: o.clientOrderId,
      price: o.price.toFixed(pp),
      avgPrice: avg.toFixed(Math.max(pp, 5)),
      origQty: o.origQty.toFixed(qp),
      executedQty: o.executedQty.toFixed(qp),
      cumQty: o.executedQty.toFixed(qp),
      cumQuote: o.cumQuote.toFixed(Math.max(pp + qp, 5)),
      timeInForce: o.timeInForce,
      type: o.type,
      reduceOnly: o.reduceOnly,
      closePosition: o.closePosition,
      side: o.side,
      positionSide: 'BOTH',
      stopPrice: o.stopPrice.toFixed(pp),
      workingType: 'CONTRACT_PRICE',
      priceProtect: false,
      origType: o.origType,
      ...(o.callbackRate !== undefined ? { priceRate: o.callbackRate.toString(), activatePrice: (o.activationPrice ?? o.trailExtreme ?? ZERO).toFixed(pp) } : {}),
      priceMatch: 'NONE',
      selfTradePreventionMode: 'EXPIRE_MAKER',
      goodTillDate: 0,
      updateTime: o.updateTime,
    };
  }

  private algoJson(o: Order): Record<string, unknown> {
    const m = this.perp(o.symbol);
    const pp = places(m.tickSize);
    const status = o.status === 'CANCELED' ? 'CANCELED' : o.status === 'EXPIRED' ? 'EXPIRED' : o.triggered ? o.status : 'NEW';
    return {
      algoId: o.algoId,
      clientAlgoId: o.clientOrderId,
      algoType: 'CONDITIONAL',
      orderType: o.origType,
      symbol: o.symbol,
      side: o.side,
      positionSide: 'BOTH',
      timeInForce: o.timeInForce,
      quantity: o.origQty.toFixed(places(m.stepSize)),
      algoStatus: status,
      triggerPrice: o.stopPrice.toFixed(pp),
      price: o.price.toFixed(pp),
      icebergQuantity: null,
      selfTradePreventionMode: 'EXPIRE_MAKER',
      workingType: 'CONTRACT_PRICE',
      priceMatch: 'NONE',
      closePosition: o.closePosition,
      priceProtect: false,
      reduceOnly: o.reduceOnly,
      ...(o.callbackRate !== undefined ? { callbackRate: o.callbackRate.toString(), activatePrice: (o.activationPrice ?? ZERO).toFixed(pp) } : {}),
      ...(o.actualOrderId !== undefined ? { actualOrderId: String(o.actualOrderId) } : {}),
      createTime: o.time,
      updateTime: o.updateTime,
      triggerTime: o.triggered ? o.workingTime : 0,
      goodTillDate: 0,
    };
  }

  // --- accounts and positions ------------------------------------------------------------------
  spotAccount(apiKey: string): unknown {
    const acc = this.account(apiKey);
    return {
      makerCommission: 10,
      takerCommission: 10,
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: { maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' },
      canTrade: true,
      canWithdraw: true,
      canDeposit: true,
      brokered: false,
      requireSelfTradePrevention: false,
      preventSor: false,
      updateTime: this.o.now(),
      accountType: 'SPOT',
      balances: [...acc.spot].map(([asset, b]) => ({ asset, free: s8(b.free), locked: s8(b.locked) })),
      permissions: ['SPOT'],
      uid: 354937868,
    };
  }

  private unrealized(acc: Account, asset: string): Dec {
    let total = ZERO;
    for (const [symbol, p] of acc.positions) {
      const m = this.perp(symbol);
      if (m.quote !== asset || p.amt.isZero()) continue;
      total = total.plus(new D(m.price).minus(p.entry).mul(p.amt));
    }
    return total;
  }

  private positionMargin(acc: Account, asset: string): Dec {
    let total = ZERO;
    for (const [symbol, p] of acc.positions) {
      const m = this.perp(symbol);
      if (m.quote !== asset || p.amt.isZero()) continue;
      total = total.plus(p.amt.abs().mul(m.price).div(p.leverage));
    }
    return total;
  }

  private openOrderMargin(acc: Account, asset: string): Dec {
    let total = ZERO;
    for (const o of this.orderList) {
      if (o.apiKey !== acc.apiKey || o.venue !== 'futures' || !this.isOpen(o) || o.reduceOnly || o.type !== 'LIMIT') continue;
      const m = this.perp(o.symbol);
      if (m.quote !== asset) continue;
      const lev = acc.positions.get(o.symbol)?.leverage ?? acc.leverage.get(o.symbol) ?? DEFAULT_LEVERAGE;
      total = total.plus(o.origQty.minus(o.executedQty).mul(o.price).div(lev));
    }
    return total;
  }

  private availableMargin(acc: Account, asset: string): Dec {
    const wallet = this.futuresWallet(acc, asset).wallet;
    return wallet.plus(this.unrealized(acc, asset)).minus(this.positionMargin(acc, asset)).minus(this.openOrderMargin(acc, asset));
  }

  private futuresAssets(acc: Account): Array<Record<string, unknown>> {
    return [...acc.futures].map(([asset, b]) => {
      const upnl = this.unrealized(acc, asset);
      const posMargin = this.positionMargin(acc, asset);
      const orderMargin = this.openOrderMargin(acc, asset);
      const available = this.availableMargin(acc, asset);
      return {
        asset,
        walletBalance: s8(b.wallet),
        unrealizedProfit: s8(upnl),
        marginBalance: s8(b.wallet.plus(upnl)),
        maintMargin: s8(posMargin.div(10)),
        initialMargin: s8(posMargin.plus(orderMargin)),
        positionInitialMargin: s8(posMargin),
        openOrderInitialMargin: s8(orderMargin),
        crossWalletBalance: s8(b.wallet),
        crossUnPnl: s8(upnl),
        availableBalance: s8(available),
        maxWithdrawAmount: s8(D.max(ZERO, D.min(available, b.wallet))),
        marginAvailable: true,
        updateTime: b.updateTime,
      };
    });
  }

  private positionJson(acc: Account, symbol: string, p: Position, version: 'v2' | 'v3' | 'account'): Record<string, unknown> {
    const m = this.perp(symbol);
    const mark = new D(m.price);
    const notional = p.amt.mul(mark);
    const upnl = mark.minus(p.entry).mul(p.amt);
    const im = notional.abs().div(p.leverage);
    const liq = this.liquidationPrice(acc, p, m);
    const base = {
      symbol,
      positionSide: 'BOTH',
      positionAmt: p.amt.toFixed(places(m.stepSize)),
      unrealizedProfit: s8(upnl),
      isolatedMargin: s8(p.isolatedMargin),
      notional: s8(notional),
      isolatedWallet: s8(p.isolatedMargin),
      initialMargin: s8(im),
      maintMargin: s8(notional.abs().mul('0.004')),
      updateTime: p.updateTime,
    };
    if (version === 'account') return base;
    const common = {
      symbol,
      positionSide: 'BOTH',
      positionAmt: p.amt.toFixed(places(m.stepSize)),
      entryPrice: p.entry.toFixed(8),
      breakEvenPrice: p.entry.toFixed(8),
      markPrice: mark.toFixed(8),
      unRealizedProfit: s8(upnl),
      liquidationPrice: s8(liq),
      isolatedMargin: s8(p.isolatedMargin),
      notional: s8(notional),
      isolatedWallet: s8(p.isolatedMargin),
      updateTime: p.updateTime,
    };
    if (version === 'v2') {
      return { ...common, leverage: String(p.leverage), maxNotionalValue: '10000000', marginType: p.marginType, isAutoAddMargin: 'false' };
    }
    return {
      ...common,
      marginAsset: m.quote,
      initialMargin: s8(im),
      maintMargin: s8(notional.abs().mul('0.004')),
      positionInitialMargin: s8(im),
      openOrderInitialMargin: '0',
      adl: 0,
      bidNotional: '0',
      askNotional: '0',
    };
  }

  /** Cross margin, one position: the price at which wallet + PnL falls to maintenance (0.4 %). */
  private liquidationPrice(acc: Account, p: Position, m: BinanceMarketRef): Dec {
    if (p.amt.isZero()) return ZERO;
    const wallet = p.marginType === 'isolated' ? p.isolatedMargin : this.futuresWallet(acc, m.quote).wallet;
    const mmr = new D('0.004');
    // wallet + amt*(L - entry) = mmr*|amt|*L  →  L = (amt*entry - wallet) / (amt - mmr*|amt|)
    const denom = p.amt.minus(mmr.mul(p.amt.abs()));
    const l = p.amt.mul(p.entry).minus(wallet).div(denom);
    return D.max(ZERO, l);
  }

  futuresAccount(apiKey: string, version: 'v2' | 'v3'): unknown {
    const acc = this.account(apiKey);
    const assets = this.futuresAssets(acc);
    const sum = (k: string) => assets.reduce((t, a) => t.plus(new D(String(a[k]))), ZERO);
    const positions = [...acc.positions].filter(([, p]) => version === 'v2' || !p.amt.isZero()).map(([s, p]) => this.positionJson(acc, s, p, 'account'));
    return {
      ...(version === 'v2' ? { feeTier: 0, canTrade: true, canDeposit: true, canWithdraw: true, updateTime: 0, multiAssetsMargin: false, tradeGroupId: -1 } : {}),
      totalInitialMargin: s8(sum('initialMargin')),
      totalMaintMargin: s8(sum('maintMargin')),
      totalWalletBalance: s8(sum('walletBalance')),
      totalUnrealizedProfit: s8(sum('unrealizedProfit')),
      totalMarginBalance: s8(sum('marginBalance')),
      totalPositionInitialMargin: s8(sum('positionInitialMargin')),
      totalOpenOrderInitialMargin: s8(sum('openOrderInitialMargin')),
      totalCrossWalletBalance: s8(sum('crossWalletBalance')),
      totalCrossUnPnl: s8(sum('crossUnPnl')),
      availableBalance: s8(sum('availableBalance')),
      maxWithdrawAmount: s8(sum('maxWithdrawAmount')),
      assets,
      positions,
    };
  }

  futuresBalance(apiKey: string): unknown {
    const acc = this.account(apiKey);
    return this.futuresAssets(acc).map((a) => ({
      accountAlias: 'SgsR',
      asset: a['asset'],
      balance: a['walletBalance'],
      crossWalletBalance: a['crossWalletBalance'],
      crossUnPnl: a['crossUnPnl'],
      availableBalance: a['availableBalance'],
      maxWithdrawAmount: a['maxWithdrawAmount'],
      marginAvailable: true,
      updateTime: a['updateTime'],
    }));
  }

  positionRisk(apiKey: string, version: 'v2' | 'v3', p: Record<string, string>): unknown[] {
    const acc = this.account(apiKey);
    const symbol = p['symbol'] !== undefined ? this.market('futures', p['symbol']).symbol : undefined;
    if (version === 'v2') {
      // v2 lists every symbol; v3 only those with a position.
      const all = symbol !== undefined ? [symbol] : this.o.perpMarkets().map((m) => m.symbol);
      return all.map((s) => this.positionJson(acc, s, acc.positions.get(s) ?? this.position(acc, s), 'v2'));
    }
    return [...acc.positions].filter(([s, pos]) => !pos.amt.isZero() && (symbol === undefined || s === symbol)).map(([s, pos]) => this.positionJson(acc, s, pos, 'v3'));
  }

  setLeverage(apiKey: string, p: Record<string, string>): unknown {
    const acc = this.account(apiKey);
    const m = this.market('futures', p['symbol']);
    const text = p['leverage'];
    if (text === undefined) throw mandatory('leverage');
    const leverage = Number(text);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > 125) throw new BinanceRejection(400, -4028, `Leverage ${text} is not valid`);
    acc.leverage.set(m.symbol, leverage);
    this.position(acc, m.symbol).leverage = leverage;
    return { leverage, maxNotionalValue: leverage > 50 ? '1000000' : '10000000', symbol: m.symbol };
  }

  setMarginType(apiKey: string, p: Record<string, string>): unknown {
    const acc = this.account(apiKey);
    const m = this.market('futures', p['symbol']);
    const text = p['marginType'];
    if (text === undefined) throw mandatory('marginType');
    const wanted = text.toUpperCase() === 'ISOLATED' ? 'isolated' : text.toUpperCase() === 'CROSSED' || text.toUpperCase() === 'CROSS' ? 'cross' : undefined;
    if (!wanted) throw new BinanceRejection(400, -1100, "Illegal characters found in parameter 'marginType'; legal range is 'ISOLATED, CROSSED'.");
    const pos = this.position(acc, m.symbol);
    if (pos.marginType === wanted) throw new BinanceRejection(400, -4046, 'No need to change margin type.');
    if (!pos.amt.isZero()) throw new BinanceRejection(400, -4048, 'Margin type cannot be changed if there exists position.');
    if (this.orderList.some((o) => o.apiKey === apiKey && o.venue === 'futures' && o.symbol === m.symbol && this.isOpen(o))) {
      throw new BinanceRejection(400, -4047, 'Margin type cannot be changed if there exists open orders.');
    }
    pos.marginType = wanted;
    acc.marginType.set(m.symbol, wanted);
    return { code: 200, msg: 'success' };
  }

  leverageBrackets(apiKey: string, p: Record<string, string>): unknown {
    this.account(apiKey);
    const symbols = p['symbol'] !== undefined ? [this.market('futures', p['symbol']).symbol] : this.o.perpMarkets().map((m) => m.symbol);
    const rows = symbols.map((symbol) => ({
      symbol,
      brackets: [
        { bracket: 1, initialLeverage: 125, notionalCap: 50_000, notionalFloor: 0, maintMarginRatio: 0.004, cum: 0.0 },
        { bracket: 2, initialLeverage: 100, notionalCap: 600_000, notionalFloor: 50_000, maintMarginRatio: 0.005, cum: 50.0 },
        { bracket: 3, initialLeverage: 20, notionalCap: 10_000_000, notionalFloor: 600_000, maintMarginRatio: 0.025, cum: 12_050.0 },
      ],
    }));
    return rows;
  }

  /** /sapi/v1/capital/config/getall: what ccxt's fetchCurrencies reads when keys are set. */
  capitalConfig(apiKey: string): unknown[] {
    const acc = this.account(apiKey);
    const assets = new Set<string>([...acc.spot.keys()]);
    for (const m of this.o.spotMarkets()) {
      assets.add(m.base);
      assets.add(m.quote);
    }
    return [...assets].sort().map((coin) => ({
      coin,
      name: coin,
      depositAllEnable: true,
      withdrawAllEnable: true,
      isLegalMoney: false,
      trading: true,
      free: s8(acc.spot.get(coin)?.free ?? ZERO),
      locked: s8(acc.spot.get(coin)?.locked ?? ZERO),
      freeze: '0',
      withdrawing: '0',
      ipoing: '0',
      ipoable: '0',
      storage: '0',
      networkList: [
        {
          network: coin,
          coin,
          name: coin,
          isDefault: true,
          depositEnable: true,
          withdrawEnable: true,
          withdrawFee: '0',
          withdrawMin: '0',
          withdrawMax: '9999999999',
          withdrawIntegerMultiple: '0.00000001',
          minConfirm: 1,
          unLockConfirm: 0,
          busy: false,
        },
      ],
    }));
  }
}
