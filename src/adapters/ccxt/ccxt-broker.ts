// The live broker: MIKEY's `Broker` port on one exchange account through ccxt (Binance spot and
// USDⓈ-M futures are the reference venues; other ccxt venues work where `exchange.has` allows).
//
// What it guarantees (src/domain/broker.ts, reliability 1–3, issue 10 items 4–6):
// - Every order is sent with MIKEY's client order id as the venue's client id (ccxt `clientOrderId`,
//   which ccxt's binance maps to `newClientOrderId`, or `clientAlgoId` for USDⓈ-M conditional orders).
// - Only the venue's word is `rejected`. A timeout, a dropped connection, a 5xx, Binance -1006/-1007
//   ("execution status unknown") or any error ccxt cannot place is `unknown`, settled by `fetchOrder`
//   by client id — never retried here. A submit MIKEY decided not to send (rate budget, a type the
//   venue lacks, a leverage change the venue did not confirm) is `rejected` by us with a code saying
//   why: nothing exists at the venue.
// - 429/418: Binance answers them before the order reaches the matching engine, with its own code
//   (-1003 too much weight, -1015 too many orders). With that code the submit is `rejected`
//   `rate_limited` (the venue said no). A 429/418 without the venue's code (a proxy's page) may come
//   from anywhere on the path, so it is `unknown`. Either way nothing more is sent until Retry-After.
// - Fills carry a trade id unique in MIKEY (see ccxt-broker-map.ts) and `poll` reports each once.
// - Money stays decimal: sizes and prices go out as strings through the venue's precision
//   (`amountToPrecision` truncates, i.e. rounds quantities down; `priceToPrecision` rounds to tick)
//   and come back from the venue's own strings.
// - No secret in any error, log line or venue-call record: every text this broker produces is
//   scrubbed of URLs, signatures and the account's own key, secret and passphrase.
import { DDoSProtection, ExchangeNotAvailable, NetworkError, type Exchange } from 'ccxt';
import type {
  AmendOutcome,
  Broker,
  BrokerFill,
  BrokerOrder,
  BrokerOrderRef,
  BrokerOrderRequest,
  CancelOutcome,
  FetchFillsQuery,
  FetchOrderOutcome,
  OrderAmendment,
  SubmitOutcome,
} from '../../domain/broker.js';
import { D, ZERO, toPlain, type Dec } from '../../domain/money.js';
import { isTerminalStatus, type TimeInForce } from '../../domain/order.js';
import type { Clock } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import type { ExecutionReport, ExecutionStream, LiveVenue, NativeSupport } from '../../services/trading/ports.js';
import { systemClock } from '../system-clock.js';
import {
  BinanceRawOrderSchema,
  CcxtOrderSchema,
  CcxtTradeSchema,
  actualOrderIdOf,
  fillsFromOrderAnswer,
  filledBy,
  mapVenueOrder,
  mapVenueTrade,
  tradeOrderId,
  type CcxtOrder,
  type FillIdParts,
} from './ccxt-broker-map.js';
import { decimalFromCcxt } from './ccxt-mapper.js';
import { createCcxtExchange } from './ccxt-market-data.js';
import { CcxtMarketSchema } from './ccxt-schema.js';
import { CcxtVenueError, classifyCcxtError, scrubVenueText, type CcxtFailureKind, type CcxtFailureReason } from './errors.js';
import {
  RateBudget,
  familyOfUrl,
  retryAfterMsFromHeaders,
  usedWeightFromHeaders,
  weightLimitFromExchangeInfo,
  type RequestFamily,
  type RequestPurpose,
} from './rate-budget.js';
import { canonicalFromCcxtMarket, ccxtSymbolFor, DEFAULT_PERP_QUOTE } from './symbols.js';

export interface ExchangeCredentials {
  apiKey: string;
  secret: string;
  password?: string;
}

/** One request to the venue, for the audit trail and the rate-limit records. Never holds a secret. */
export interface VenueCallRecord {
  /** ccxt method name ("createOrder", "fetchOrder", …). */
  method: string;
  symbol?: string;
  clientOrderId?: string;
  ok: boolean;
  /** ok: "ok"; failures: "rejected", "unknown", "retryable", or "not_sent" when MIKEY held it back. */
  outcome: string;
  /** ccxt error class ("InsufficientFunds", "RequestTimeout"…), or "RateBudget" for a request not sent. */
  errorClass?: string;
  /** The venue's own error code ("-2010"), when it sent one. */
  venueCode?: string;
  /** Clean text: what happened, with the venue's words when it gave any. */
  message?: string;
  /** HTTP status of the venue's answer, when one arrived. */
  httpStatus?: number;
  /** The venue's used request weight this minute, from the answer's headers. */
  usedWeight?: number;
  at: Date;
}

export interface CcxtBrokerOptions {
  /** MIKEY portfolio id this exchange account trades for; requests for any other account are refused. */
  accountId: string;
  exchangeId: string;
  credentials: ExchangeCredentials;
  /** The venue's testnet (`setSandboxMode`). */
  sandbox: boolean;
  /** `MIKEY_EXCHANGE_URL`: scheme and host of every REST endpoint replaced, paths kept. */
  apiBaseUrl?: string;
  /** Per-request timeout. Default 10 000 ms. */
  timeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
  perpQuote?: string;
  /** Which wallet `fetchBalances` reads by default. Default "spot". */
  accountType?: 'spot' | 'futures';
  /** One record per venue request (audit trail, rate-limit bookkeeping). Must not throw. */
  onVenueCall?: (entry: VenueCallRecord) => void;
  /** Fraction of the venue's weight limit at which new orders and reads wait. Default 0.8. */
  backoffRatio?: number;
  /**
   * How long after sending an order a "does not exist" answer is not believed (Binance's order
   * lookups lag acceptance for a moment): within it `fetchOrder` answers `unknown`, so the caller
   * looks again later instead of resubmitting. Default 30 000 ms.
   */
  lookupGraceMs?: number;
  /** ccxt client (tests, or a caller sharing one). Built from the options when absent. */
  exchange?: Exchange;
}

/** A futures position as the venue reports it. */
export interface VenuePosition {
  symbol: string;
  side: 'long' | 'short';
  quantity: Dec;
  entryPrice: Dec;
  markPrice?: Dec;
  unrealizedPnl?: Dec;
  liquidationPrice?: Dec;
  leverage?: Dec;
}

/** What the kill switch got: orders the venue confirmed cancelled, and what it could not confirm. */
export interface CancelAllResult {
  cancelled: BrokerOrder[];
  failed: Array<{ symbol: string; clientOrderId?: string; reason: string }>;
}

interface Failure {
  kind: CcxtFailureKind;
  reason: CcxtFailureReason;
  message: string;
  errorName: string;
  venueCode?: string;
  venueMessage?: string;
  httpStatus?: number;
  /** MIKEY held the request back; the venue never saw it. */
  notSent?: boolean;
}

type CallResult<T> = { ok: true; value: T } | { ok: false; failure: Failure };

/** An exchange id as a trader writes it (`binanceusdm` → Binance, `okx` → OKX). */
function venueLabel(id: string): string {
  const base = id.replace(/(usdm|coinm)$/, '');
  const known: Record<string, string> = { binance: 'Binance', okx: 'OKX', bybit: 'Bybit', kraken: 'Kraken', coinbase: 'Coinbase' };
  return known[base] ?? base.charAt(0).toUpperCase() + base.slice(1);
}

interface ResolvedMarket {
  canonical: string;
  ccxtSymbol: string;
  marketId: string;
  contract: boolean;
  family: RequestFamily;
  /** Venue order types the market takes (Binance `orderTypes`), when the venue lists them. */
  orderTypes?: readonly string[];
}

/** What this process knows of one of our orders (the venue is the truth; this saves requests). */
interface KnownOrder {
  clientOrderId: string;
  market: ResolvedMarket;
  /** Sent through the conditional (algo) endpoints (USDⓈ-M stop / take-profit / trailing). */
  conditional: boolean;
  request?: BrokerOrderRequest;
  /** Venue order ids under this client id, oldest first (an amend by cancel-replace adds one). */
  venueOrderIds: string[];
  /** Earlier venue orders under this client id, cancelled by a cancel-replace: what each filled. */
  priorSegments: Array<{ venueOrderId: string; filled: Dec; notional: Dec }>;
  sentAt?: number;
  /** Fills already reported (by the submit answer or a poll), by trade id. */
  seenTradeIds: Set<string>;
  seenFills: BrokerFill[];
  lastStatus?: BrokerOrder['status'];
}

type LookupResult = { status: 'found'; order: BrokerOrder; raw: CcxtOrder } | { status: 'not_found' } | { status: 'unknown'; reason: string };

const BINANCE_CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const RATE_LIMIT_CODES = new Set(['-1003', '-1015']);
const MAX_SYMBOL_PROBES = 10;

function venueBody(message: string): { code?: string; msg?: string } {
  const start = message.indexOf('{');
  const end = message.lastIndexOf('}');
  if (start < 0 || end <= start) return {};
  try {
    const body = JSON.parse(message.slice(start, end + 1)) as Record<string, unknown>;
    const out: { code?: string; msg?: string } = {};
    if (typeof body['code'] === 'number' || typeof body['code'] === 'string') out.code = String(body['code']);
    if (typeof body['msg'] === 'string') out.msg = body['msg'];
    return out;
  } catch {
    return {};
  }
}

function httpStatusIn(message: string): number | undefined {
  // ccxt's binance: "binance 429 Too Many Requests {…}"; base: "binance GET <url> 503 Service Unavailable".
  const m = /\b(4\d\d|5\d\d)\s+[A-Z][A-Za-z' ]+/.exec(message);
  return m?.[1] ? Number(m[1]) : undefined;
}

export class CcxtBroker implements Broker, ExecutionStream, LiveVenue {
  readonly name: string;
  readonly live = true;
  readonly exchange: Exchange;
  readonly accountId: string;
  private readonly clock: Clock;
  private readonly perpQuote: string;
  private readonly budget: RateBudget;
  private readonly graceMs: number;
  private readonly secrets: string[];
  private readonly listeners = new Set<(r: ExecutionReport) => void>();
  private readonly known = new Map<string, KnownOrder>();
  private readonly leverageSet = new Map<string, number>();
  private marketsLoaded: Promise<CallResult<void>> | undefined;
  private lastAnswer: { status: number; headers: Record<string, unknown>; family: RequestFamily; errorBody?: string } | undefined;

  constructor(private readonly opts: CcxtBrokerOptions) {
    this.accountId = opts.accountId;
    this.clock = opts.clock ?? systemClock;
    this.perpQuote = (opts.perpQuote ?? DEFAULT_PERP_QUOTE).toUpperCase();
    this.graceMs = opts.lookupGraceMs ?? 30_000;
    this.budget = new RateBudget(this.clock, opts.backoffRatio ?? 0.8);
    this.secrets = [opts.credentials.apiKey, opts.credentials.secret, opts.credentials.password ?? ''].filter((s) => s.length >= 4);
    this.exchange =
      opts.exchange ??
      createCcxtExchange({
        exchangeId: opts.exchangeId,
        credentials: opts.credentials,
        sandbox: opts.sandbox,
        ...(opts.apiBaseUrl !== undefined ? { apiBaseUrl: opts.apiBaseUrl } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.perpQuote !== undefined ? { perpQuote: opts.perpQuote } : {}),
      });
    this.name = this.exchange.id;
    const ex = this.exchange as unknown as { options: Record<string, unknown> };
    // Open orders across all markets are asked for knowingly (reconciliation, kill switch).
    ex.options['warnOnFetchOpenOrdersWithoutSymbol'] = false;
    this.hookResponses();
  }

  // ---------------------------------------------------------------------------------------------
  // Rate budget

  /** The venue's used request weight this minute, as last reported (per API family). */
  usedWeight(family: RequestFamily = 'spot'): number {
    return this.budget.usedWeight(family);
  }

  /** The venue's weight limit per minute for a family (from exchangeInfo when seen). */
  weightLimit(family: RequestFamily = 'spot'): number {
    return this.budget.limitOf(family);
  }

  /** Sees every answer (status, headers) before ccxt turns it into a result or an error. */
  private hookResponses(): void {
    const ex = this.exchange as unknown as {
      onRestResponse: (statusCode: number, statusText: string, url: string, method: string, headers: Record<string, unknown>, body: string, ...rest: unknown[]) => string;
    };
    const original = ex.onRestResponse.bind(this.exchange);
    ex.onRestResponse = (statusCode, statusText, url, method, headers, body, ...rest) => {
      try {
        this.observe(statusCode, url, headers, body);
      } catch {
        // bookkeeping never breaks a request
      }
      return original(statusCode, statusText, url, method, headers, body, ...rest);
    };
  }

  private observe(status: number, url: string, headers: Record<string, unknown>, body: string): void {
    const family = familyOfUrl(url);
    this.lastAnswer = { status, headers, family, ...(status >= 400 && typeof body === 'string' ? { errorBody: body.slice(0, 2_000) } : {}) };
    const used = usedWeightFromHeaders(headers);
    if (used !== undefined) this.budget.recordWeight(family, used);
    if (status === 429 || status === 418) this.budget.recordRefusal(status, retryAfterMsFromHeaders(headers));
    if (status === 200 && /\/exchangeInfo$/.test(new URL(url, 'http://x').pathname) && body.includes('rateLimits')) {
      try {
        const limit = weightLimitFromExchangeInfo(JSON.parse(body));
        if (limit !== undefined) this.budget.setLimit(family, limit);
      } catch {
        // not JSON: nothing to learn
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Venue calls

  /** Removes URLs, signatures and this account's own key, secret and passphrase from a text. */
  redact(text: string): string {
    let out = scrubVenueText(text);
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }

  private record(entry: Omit<VenueCallRecord, 'at'>): void {
    const rec: VenueCallRecord = { ...entry, at: this.clock.now() };
    if (rec.message !== undefined) rec.message = this.redact(rec.message);
    try {
      this.opts.onVenueCall?.(rec);
    } catch (err) {
      this.opts.logger?.warn('venue call record failed', { error: this.redact(String(err)) });
    }
  }

  /**
   * One request: checked against the rate budget, timed, classified, recorded. Never throws for a
   * venue's answer; the result says what happened.
   */
  private async call<T>(
    method: string,
    meta: { symbol?: string; clientOrderId?: string; family: RequestFamily; purpose: RequestPurpose; action: string },
    fn: () => Promise<T>,
  ): Promise<CallResult<T>> {
    const base = { method, ...(meta.symbol ? { symbol: meta.symbol } : {}), ...(meta.clientOrderId ? { clientOrderId: meta.clientOrderId } : {}) };
    const verdict = this.budget.check(meta.family, meta.purpose);
    if (!verdict.ok) {
      this.record({ ...base, ok: false, outcome: 'not_sent', errorClass: 'RateBudget', message: verdict.reason, usedWeight: this.budget.usedWeight(meta.family) });
      return { ok: false, failure: { kind: 'retryable', reason: 'rate_limited', message: `not sent to ${this.name}: ${verdict.reason}`, errorName: 'RateBudget', notSent: true } };
    }
    this.lastAnswer = undefined;
    try {
      const value = await fn();
      const answer = this.answer();
      const used = answer ? usedWeightFromHeaders(answer.headers) : undefined;
      this.record({ ...base, ok: true, outcome: 'ok', ...(answer ? { httpStatus: answer.status } : {}), ...(used !== undefined ? { usedWeight: used } : {}) });
      return { ok: true, value };
    } catch (err) {
      const failure = this.failureOf(err, meta.action);
      const answer = this.answer();
      const used = answer ? usedWeightFromHeaders(answer.headers) : undefined;
      this.record({
        ...base,
        ok: false,
        outcome: failure.kind,
        errorClass: failure.errorName,
        ...(failure.venueCode ? { venueCode: failure.venueCode } : {}),
        message: failure.message,
        ...(failure.httpStatus !== undefined ? { httpStatus: failure.httpStatus } : {}),
        ...(used !== undefined ? { usedWeight: used } : {}),
      });
      return { ok: false, failure };
    }
  }

  /** The last answer seen by the response hook (read through a method: it changes during awaits). */
  private answer(): CcxtBroker['lastAnswer'] {
    return this.lastAnswer;
  }

  private failureOf(err: unknown, action: string): Failure {
    // The last answer is this request's unless requests overlap; a failure with no answer of its own
    // (timeout, connection lost) never borrows another request's status or body.
    const noAnswer = err instanceof NetworkError && !(err instanceof DDoSProtection) && !(err instanceof ExchangeNotAvailable);
    const answer = noAnswer ? undefined : this.answer();
    const rawMessage = err instanceof Error ? err.message : '';
    const fromMessage = venueBody(rawMessage);
    const fromAnswer = answer?.errorBody !== undefined ? venueBody(answer.errorBody) : {};
    const body = fromMessage.code !== undefined ? fromMessage : fromAnswer.code !== undefined || fromAnswer.msg !== undefined ? fromAnswer : fromMessage;
    const c = classifyCcxtError(this.specificError(err, body.code, answer?.family), { exchange: this.name, action });
    const httpStatus = answer?.status ?? httpStatusIn(rawMessage);
    const f: Failure = { kind: c.kind, reason: c.reason, message: this.redact(c.userMessage), errorName: c.errorName };
    const code = c.venueCode ?? body.code;
    if (code !== undefined) f.venueCode = code;
    const vm = c.venueMessage ?? (body.msg ? scrubVenueText(body.msg).slice(0, 200) : undefined);
    if (vm !== undefined) {
      f.venueMessage = this.redact(vm);
      if (!f.message.includes(f.venueMessage)) f.message += ` (${this.name} says: ${f.venueMessage})`;
    }
    if (httpStatus !== undefined && httpStatus >= 400) f.httpStatus = httpStatus;
    if (httpStatus === 429 || httpStatus === 418) {
      this.budget.recordRefusal(httpStatus, answer ? retryAfterMsFromHeaders(answer.headers) : undefined);
    } else if (c.reason === 'rate_limited' && code !== undefined && RATE_LIMIT_CODES.has(code)) {
      this.budget.recordRefusal(429, undefined);
    }
    return f;
  }

  /**
   * ccxt picks Binance's per-API error tables (spot, linear…) by the request's hostname, so behind
   * `MIKEY_EXCHANGE_URL` (a proxy, the test venue) a code only those tables know (-2019 margin is
   * insufficient, -2022 reduce-only rejected…) arrives as the catch-all `ExchangeError`. Such an
   * error is mapped again through the table of the API that answered.
   */
  private specificError(err: unknown, code: string | undefined, family: RequestFamily | undefined): unknown {
    if (code === undefined || family === undefined || !(err instanceof Error) || err.constructor.name !== 'ExchangeError') return err;
    const tables = (this.exchange as unknown as { exceptions?: Record<string, { exact?: Record<string, unknown> } | undefined> }).exceptions;
    const table = tables?.[family === 'futures' ? 'linear' : 'spot']?.exact;
    const Cls = table?.[code];
    if (typeof Cls !== 'function') return err;
    try {
      return new (Cls as new (message: string) => Error)(err.message);
    } catch {
      return err;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Markets

  private async ensureMarkets(): Promise<CallResult<void>> {
    if (this.exchange.markets && Object.keys(this.exchange.markets).length > 0) return { ok: true, value: undefined };
    if (!this.marketsLoaded) {
      this.marketsLoaded = this.call('loadMarkets', { family: 'spot', purpose: 'read', action: 'load the list of markets' }, async () => {
        await this.exchange.loadMarkets();
      }).then((r) => {
        if (!r.ok) this.marketsLoaded = undefined;
        return r;
      });
    }
    return this.marketsLoaded;
  }

  /** A canonical ("BTC-PERP") or ccxt ("BTC/USDT:USDT") symbol as the venue's market. */
  private resolveLoaded(symbol: string): ResolvedMarket | undefined {
    const markets = this.exchange.markets as Record<string, unknown> | undefined;
    if (!markets) return undefined;
    const ccxtSymbol = symbol.includes(':') ? symbol : ccxtSymbolFor(symbol, this.perpQuote);
    const raw = markets[ccxtSymbol];
    const m = CcxtMarketSchema.safeParse(raw);
    if (!m.success) return undefined;
    const canonical = canonicalFromCcxtMarket(m.data, this.perpQuote)?.symbol ?? m.data.symbol;
    const contract = m.data.spot !== true && m.data.type !== 'spot';
    const info = (m.data.info ?? {}) as { orderTypes?: unknown };
    const orderTypes = Array.isArray(info.orderTypes) ? info.orderTypes.filter((t): t is string => typeof t === 'string') : undefined;
    return {
      canonical,
      ccxtSymbol: m.data.symbol,
      marketId: m.data.id ?? m.data.symbol,
      contract,
      family: contract ? 'futures' : 'spot',
      ...(orderTypes ? { orderTypes } : {}),
    };
  }

  private async resolve(symbol: string): Promise<{ ok: true; market: ResolvedMarket } | { ok: false; failure: Failure }> {
    const loaded = await this.ensureMarkets();
    if (!loaded.ok) return loaded;
    const market = this.resolveLoaded(symbol);
    if (!market) {
      return { ok: false, failure: { kind: 'rejected', reason: 'bad_symbol', message: `${this.name} does not list ${symbol.slice(0, 40)}`, errorName: 'BadSymbol', notSent: true } };
    }
    return { ok: true, market };
  }

  private fillIds(market: ResolvedMarket): FillIdParts {
    return { exchangeId: this.name, family: market.contract ? 'usdm' : 'spot', marketId: market.marketId };
  }

  private now(): Date {
    return this.clock.now();
  }

  // ---------------------------------------------------------------------------------------------
  // Broker: submit

  onExecution(listener: (report: ExecutionReport) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async submit(req: BrokerOrderRequest): Promise<SubmitOutcome> {
    const cid = req.clientOrderId;
    const refuse = (code: string, reason: string): SubmitOutcome => ({ status: 'rejected', clientOrderId: cid, code, reason: this.redact(reason) });
    if (req.accountId !== this.accountId) return refuse('wrong_account', `this ${this.name} account trades for another portfolio; nothing was sent`);
    if (this.name.startsWith('binance') && !BINANCE_CLIENT_ID.test(cid)) {
      return refuse('invalid_order', `${this.name} takes client order ids of 1–36 letters, digits and . : / _ - only; nothing was sent`);
    }
    const r = await this.resolve(req.symbol);
    if (!r.ok) return this.notSent(cid, r.failure);
    const market = r.market;

    // Idempotency: an id this process already sent is looked up, never sent again while the venue
    // may have it (Binance refuses a reused id only while its order is open).
    const prior = this.known.get(cid);
    if (prior?.sentAt !== undefined) {
      const found = await this.lookup(prior.market, cid, prior);
      if (found.status === 'found') return { status: 'accepted', order: found.order, fills: await this.fillsOrEmpty(prior.market, cid, found) };
      if (found.status === 'unknown') return { status: 'unknown', clientOrderId: cid, reason: found.reason };
    }
    return this.send(req, market);
  }

  /** A request that never reached the venue: rejected by us, with why. */
  private notSent(cid: string, f: Failure): SubmitOutcome {
    if (f.notSent || f.kind === 'rejected') return { status: 'rejected', clientOrderId: cid, code: f.reason === 'rate_limited' ? 'rate_limited' : f.kind === 'rejected' ? f.reason : 'venue_unavailable', reason: f.message };
    return { status: 'rejected', clientOrderId: cid, code: 'venue_unavailable', reason: `${f.message}; the order was not sent` };
  }

  /**
   * Whether the venue takes this request as it is, decided exactly as `submit` would decide it but
   * without sending anything: a request the venue has no native form for comes back with the reason
   * in a trader's words, so MIKEY can emulate it (a trailing stop) and say why on the card. Anything
   * else `submit` would refuse is left to `submit` (reported native here).
   */
  async nativeSupport(req: BrokerOrderRequest): Promise<NativeSupport> {
    const r = await this.resolve(req.symbol);
    if (!r.ok) return { native: true };
    let built: ReturnType<CcxtBroker['orderCall']>;
    try {
      built = this.orderCall(req, r.market);
    } catch {
      return { native: true };
    }
    if (!built.ok && built.code === 'not_native') return { native: false, reason: this.redact(built.plain ?? built.reason) };
    return { native: true };
  }

  /** The ccxt order call for a request, or why MIKEY will not send it. */
  private orderCall(
    req: BrokerOrderRequest,
    market: ResolvedMarket,
  ): { ok: true; type: 'market' | 'limit'; price?: string; params: Record<string, unknown>; conditional: boolean; venueType: string } | { ok: false; code: string; reason: string; plain?: string } {
    const ex = this.exchange;
    const params: Record<string, unknown> = { clientOrderId: req.clientOrderId };
    const tif: Record<TimeInForce, string> = { gtc: 'GTC', ioc: 'IOC', fok: 'FOK' };
    const px = (p: Dec): string => String(ex.priceToPrecision(market.ccxtSymbol, toPlain(p)));
    const venue = `${venueLabel(this.name)} ${market.contract ? 'futures' : 'spot'}`;
    // `plain` is the same reason in a trader's words, for the card of an order MIKEY emulates.
    const emulate = (what: string, plain: string): { ok: false; code: string; reason: string; plain: string } => ({
      ok: false,
      code: 'not_native',
      reason: `${this.name} ${market.contract ? 'futures' : 'spot'} has no native ${what} for ${market.canonical}; MIKEY must work it itself`,
      plain,
    });
    if (req.postOnly && req.timeInForce !== 'gtc') return { ok: false, code: 'invalid_order', reason: 'a post-only order rests on the book; it cannot also be ioc or fok' };
    if (req.postOnly && req.type !== 'limit') return { ok: false, code: 'invalid_order', reason: 'only a limit order can be post-only' };
    if (req.reduceOnly && market.contract) params['reduceOnly'] = true;
    let type: 'market' | 'limit';
    let price: string | undefined;
    let conditional = false;
    let venueType: string;
    switch (req.type) {
      case 'market':
        if (req.price) {
          // A protection price (the worst fill MIKEY reserved for) is honoured natively: a limit
          // order at that price that fills what it can now and cancels the rest.
          type = 'limit';
          price = px(req.price);
          params['timeInForce'] = req.timeInForce === 'fok' ? 'FOK' : 'IOC';
          venueType = 'LIMIT';
        } else {
          type = 'market';
          venueType = 'MARKET';
        }
        break;
      case 'limit':
        if (!req.price) return { ok: false, code: 'invalid_order', reason: 'a limit order needs a price' };
        type = 'limit';
        price = px(req.price);
        if (req.postOnly) {
          params['postOnly'] = true;
          venueType = market.contract ? 'LIMIT' : 'LIMIT_MAKER';
        } else {
          params['timeInForce'] = tif[req.timeInForce];
          venueType = 'LIMIT';
        }
        break;
      case 'stop':
      case 'take_profit':
        if (!req.triggerPrice) return { ok: false, code: 'invalid_order', reason: `a ${req.type.replace('_', '-')} order needs a trigger price` };
        type = 'market';
        params[req.type === 'stop' ? 'stopLossPrice' : 'takeProfitPrice'] = px(req.triggerPrice);
        venueType = req.type === 'stop' ? (market.contract ? 'STOP_MARKET' : 'STOP_LOSS') : market.contract ? 'TAKE_PROFIT_MARKET' : 'TAKE_PROFIT';
        conditional = market.contract;
        break;
      case 'stop_limit':
        if (!req.triggerPrice || !req.price) return { ok: false, code: 'invalid_order', reason: 'a stop-limit order needs a trigger price and a limit price' };
        type = 'limit';
        price = px(req.price);
        params['stopLossPrice'] = px(req.triggerPrice);
        params['timeInForce'] = tif[req.timeInForce];
        venueType = market.contract ? 'STOP' : 'STOP_LOSS_LIMIT';
        conditional = market.contract;
        break;
      case 'trailing_stop': {
        if (!market.contract) return emulate('trailing stop (Binance spot trails only inside stop orders by trailingDelta)', `${venue} has no native trailing stop`);
        if (!req.trailing || req.trailing.kind !== 'percent') {
          return emulate('trailing stop by a price amount (the venue trails by a callback rate in percent)', `${venue} trails only by a percentage, not by a price amount`);
        }
        const rate = req.trailing.percent;
        if (rate.lt('0.1') || rate.gt(10) || rate.decimalPlaces() > 1) {
          return emulate(`trailing stop of ${toPlain(rate)}% (the venue takes 0.1–10 % in steps of 0.1)`, `${venue} trails only by 0.1–10% in steps of 0.1, not by ${toPlain(rate)}%`);
        }
        type = 'market';
        params['trailingPercent'] = toPlain(rate);
        venueType = 'TRAILING_STOP_MARKET';
        conditional = true;
        break;
      }
      default:
        return emulate(`${req.type} order (MIKEY releases it in child orders)`, `${venue} has no native ${req.type} order`);
    }
    if (market.orderTypes && market.orderTypes.length > 0 && !market.orderTypes.includes(venueType)) {
      return emulate(`${req.type.replace('_', '-')} order type (${venueType})`, `${venue} does not take ${req.type.replace('_', '-')} orders on ${market.canonical}`);
    }
    return { ok: true, type, ...(price !== undefined ? { price } : {}), params, conditional, venueType };
  }

  private async send(req: BrokerOrderRequest, market: ResolvedMarket): Promise<SubmitOutcome> {
    const cid = req.clientOrderId;
    let built: ReturnType<CcxtBroker['orderCall']>;
    let amount: string;
    try {
      built = this.orderCall(req, market);
      // amountToPrecision truncates (ccxt TRUNCATE): quantities are rounded down, never up.
      amount = String(this.exchange.amountToPrecision(market.ccxtSymbol, toPlain(req.quantity)));
    } catch (err) {
      // ccxt refused locally (precision, order type): nothing left this process.
      const c = classifyCcxtError(err, { exchange: this.name, action: `place an order on ${market.canonical}` });
      return { status: 'rejected', clientOrderId: cid, code: c.kind === 'rejected' ? c.reason : 'invalid_order', reason: `${this.redact(c.userMessage)}; nothing was sent` };
    }
    if (!built.ok) return { status: 'rejected', clientOrderId: cid, code: built.code, reason: this.redact(built.reason) };
    if (new D(amount).lte(0)) return { status: 'rejected', clientOrderId: cid, code: 'invalid_order', reason: `the quantity rounds down to 0 at ${market.canonical}'s step; nothing was sent` };

    const known: KnownOrder = this.known.get(cid) ?? {
      clientOrderId: cid,
      market,
      conditional: built.conditional,
      venueOrderIds: [],
      priorSegments: [],
      seenTradeIds: new Set(),
      seenFills: [],
    };
    known.request = req;
    known.conditional = built.conditional;
    known.sentAt = this.now().getTime();
    // Registered before any await: a second submit of this id meanwhile looks it up instead of sending.
    this.known.set(cid, known);

    if (market.contract && req.leverage && !req.reduceOnly) {
      const lev = await this.ensureLeverage(market, req.leverage);
      if (!lev.ok) {
        known.sentAt = undefined;
        return { status: 'rejected', clientOrderId: cid, code: lev.code, reason: lev.reason };
      }
    }

    const { type, price, params } = built;
    const res = await this.call('createOrder', { symbol: market.canonical, clientOrderId: cid, family: market.family, purpose: 'order', action: `place the order ${cid}` }, () =>
      this.exchange.createOrder(market.ccxtSymbol, type, req.side, amount as unknown as number, price as unknown as number | undefined, params),
    );
    if (!res.ok) return this.submitFailure(req, market, known, res.failure);
    const parsed = CcxtOrderSchema.safeParse(res.value);
    const view = parsed.success ? mapVenueOrder(parsed.data, { symbol: market.canonical, contract: market.contract, requestedType: req.type, fallbackSide: req.side, now: this.now() }) : undefined;
    if (!parsed.success || !view) {
      // The venue took it (no error) but the answer is unreadable: the order exists; settle by lookup.
      return { status: 'unknown', clientOrderId: cid, reason: `${this.name} accepted the order but its answer could not be read; look it up by client id` };
    }
    if (!view.clientOrderId) view.clientOrderId = cid;
    this.remember(known, view, parsed.data);
    let fills = fillsFromOrderAnswer(parsed.data, view, this.fillIds(market), this.now());
    if (fills.length === 0 && view.filledQuantity.gt(0)) fills = await this.fillsOrEmpty(market, cid, { status: 'found', order: view, raw: parsed.data });
    markSeen(known, fills);
    known.lastStatus = view.status;
    return { status: 'accepted', order: this.merged(known, view), fills };
  }

  private async submitFailure(req: BrokerOrderRequest, market: ResolvedMarket, known: KnownOrder, f: Failure): Promise<SubmitOutcome> {
    const cid = req.clientOrderId;
    if (f.notSent) {
      known.sentAt = undefined;
      return this.notSent(cid, f);
    }
    const msg = (f.venueMessage ?? '').toLowerCase();
    const duplicate = f.reason === 'duplicate_order' || msg.includes('duplicate order') || f.venueCode === '-4116';
    if (duplicate) {
      // The venue already holds an open order with this id: report that order (reliability 1).
      const found = await this.lookup(market, cid, known);
      if (found.status === 'found') return { status: 'accepted', order: found.order, fills: await this.fillsOrEmpty(market, cid, found) };
      return { status: 'unknown', clientOrderId: cid, reason: `${this.name} says an order with this id exists but it could not be read yet` };
    }
    // Only an answer that is itself a rate-limit error, carrying the venue's own code, proves the order was refused.
    const refusedForRate = (f.errorName === 'DDoSProtection' || f.errorName === 'RateLimitExceeded') && f.venueCode !== undefined && RATE_LIMIT_CODES.has(f.venueCode);
    if (refusedForRate) {
      known.sentAt = undefined;
      return { status: 'rejected', clientOrderId: cid, code: 'rate_limited', reason: `${f.message}; the venue refused it before processing, nothing was placed; MIKEY waits before sending more` };
    }
    if (f.kind !== 'rejected') {
      this.opts.logger?.warn('live order outcome unknown; settle by lookup', { clientOrderId: cid, symbol: market.canonical, error: f.errorName, venueCode: f.venueCode });
      return { status: 'unknown', clientOrderId: cid, reason: `${f.message}; the order may or may not be at ${this.name}, look it up by client id` };
    }
    known.sentAt = undefined;
    let code: string = f.reason;
    if (f.errorName === 'OrderImmediatelyFillable' || f.errorName === 'OrderNotFillable') code = req.postOnly ? 'post_only_would_cross' : 'would_trigger_immediately';
    else if (f.reason === 'insufficient_funds') code = 'insufficient_funds';
    else if (f.reason === 'invalid_order' || f.reason === 'bad_request') code = 'invalid_order';
    return { status: 'rejected', clientOrderId: cid, code, reason: f.message };
  }

  /** Sets the symbol's leverage before its first order at a new leverage (USDⓈ-M). */
  private async ensureLeverage(market: ResolvedMarket, leverage: Dec): Promise<{ ok: true } | { ok: false; code: string; reason: string }> {
    if (!leverage.isInteger() || leverage.lt(1) || leverage.gt(125)) {
      return { ok: false, code: 'invalid_order', reason: `${this.name} takes whole leverage from 1 to 125, not ${toPlain(leverage)}; nothing was sent` };
    }
    const want = leverage.toNumber();
    if (this.leverageSet.get(market.ccxtSymbol) === want) return { ok: true };
    const r = await this.call('setLeverage', { symbol: market.canonical, family: market.family, purpose: 'order', action: `set ${market.canonical} leverage to ${want}x` }, () =>
      this.exchange.setLeverage(want, market.ccxtSymbol),
    );
    if (!r.ok) {
      this.leverageSet.delete(market.ccxtSymbol);
      const code = r.failure.notSent ? 'rate_limited' : r.failure.kind === 'rejected' ? 'leverage_refused' : 'leverage_unconfirmed';
      return { ok: false, code, reason: `${r.failure.message}; the order was not sent because its leverage is not confirmed` };
    }
    this.leverageSet.set(market.ccxtSymbol, want);
    return { ok: true };
  }

  /** Keeps what a venue answer taught about one of our orders. */
  private remember(known: KnownOrder, view: BrokerOrder, raw?: CcxtOrder): void {
    // An algo (conditional) order's id is not an order id trades refer to: only its actual order's is.
    const info = raw ? BinanceRawOrderSchema.safeParse(raw.info) : undefined;
    // (OKX answers `algoId: ""` on plain orders: an empty id is no id.)
    const isAlgo = info?.success === true && info.data.algoId != null && info.data.algoId !== '' && info.data.orderId == null;
    if (!isAlgo && view.venueOrderId && !known.venueOrderIds.includes(view.venueOrderId)) known.venueOrderIds.push(view.venueOrderId);
    const actual = raw ? actualOrderIdOf(raw) : undefined;
    if (actual && actual !== '0' && !known.venueOrderIds.includes(actual)) known.venueOrderIds.push(actual);
  }

  /**
   * The order as MIKEY knows it: the fills of earlier venue orders under the same id (cancel-replace)
   * counted in — except the one this view is of (a lookup can still return the cancelled original
   * when its replacement was refused).
   */
  private merged(known: KnownOrder | undefined, view: BrokerOrder): BrokerOrder {
    const prior = priorOf(known, view.venueOrderId);
    if (prior.filled.isZero()) return view;
    const filled = prior.filled.add(view.filledQuantity);
    const notional = prior.notional.add((view.averageFillPrice ?? ZERO).mul(view.filledQuantity));
    return {
      ...view,
      quantity: view.quantity.add(prior.filled),
      filledQuantity: filled,
      ...(filled.gt(0) && notional.gt(0) ? { averageFillPrice: notional.div(filled) } : {}),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Broker: lookups

  /** Where to look for an order: the ref's symbol, else the one we placed it on. */
  private async marketOf(ref: BrokerOrderRef): Promise<{ ok: true; market: ResolvedMarket } | { ok: false; failure: Failure } | { ok: false; noSymbol: true }> {
    const known = this.known.get(ref.clientOrderId);
    if (ref.symbol) return this.resolve(ref.symbol);
    if (known) return { ok: true, market: known.market };
    return { ok: false, noSymbol: true };
  }

  async fetchOrder(ref: BrokerOrderRef): Promise<FetchOrderOutcome> {
    const cid = ref.clientOrderId;
    if (ref.accountId !== this.accountId) return { status: 'not_found', clientOrderId: cid };
    const m = await this.marketOf(ref);
    if (!m.ok && 'noSymbol' in m) return this.fetchWithoutSymbol(cid);
    if (!m.ok) return { status: 'unknown', clientOrderId: cid, reason: m.failure.message };
    const r = await this.lookup(m.market, cid, this.known.get(cid));
    if (r.status === 'found') return { status: 'found', order: r.order };
    if (r.status === 'not_found') return { status: 'not_found', clientOrderId: cid };
    return { status: 'unknown', clientOrderId: cid, reason: r.reason };
  }

  /** No symbol given and none remembered: the markets this broker has traded, a few at most. */
  private async fetchWithoutSymbol(cid: string): Promise<FetchOrderOutcome> {
    const markets = new Map<string, ResolvedMarket>();
    for (const k of this.known.values()) markets.set(k.market.ccxtSymbol, k.market);
    const probes = [...markets.values()].slice(0, MAX_SYMBOL_PROBES);
    for (const market of probes) {
      const r = await this.lookup(market, cid, undefined, { grace: false, deep: false });
      if (r.status === 'found') return { status: 'found', order: r.order };
      if (r.status === 'unknown') return { status: 'unknown', clientOrderId: cid, reason: r.reason };
    }
    return {
      status: 'unknown',
      clientOrderId: cid,
      reason: `${this.name} looks orders up per market and no market was given; not found among the ${probes.length} market(s) this session traded`,
    };
  }

  /**
   * Looks one of our orders up by client id. "Does not exist" (-2013) is not believed at once: the
   * venue's open and recent orders are searched, then its trades for the order ids we know, and
   * an order sent less than `lookupGraceMs` ago stays `unknown` (Binance's lookups lag acceptance).
   * Only then is it `not_found` — which lets the caller resubmit, so it must be the venue's word.
   */
  private async lookup(market: ResolvedMarket, cid: string, known: KnownOrder | undefined, how: { grace?: boolean; deep?: boolean } = {}): Promise<LookupResult> {
    const conditionalFirst = known?.conditional === true;
    const tries: boolean[] = market.contract && known === undefined ? [false, true] : [conditionalFirst];
    let lastNotFound = false;
    for (const conditional of tries) {
      const params: Record<string, unknown> = { clientOrderId: cid, ...(conditional ? { trigger: true } : {}) };
      const r = await this.call('fetchOrder', { symbol: market.canonical, clientOrderId: cid, family: market.family, purpose: 'read', action: `look up the order ${cid}` }, () =>
        this.exchange.fetchOrder(undefined as unknown as string, market.ccxtSymbol, params),
      );
      if (r.ok) {
        const found = this.foundFrom(market, cid, known, r.value, conditional);
        return conditional && found.status === 'found' ? this.followTriggered(market, cid, found) : found;
      }
      if (r.failure.reason === 'order_not_found' || (r.failure.kind === 'rejected' && /does not exist|unknown order/i.test(r.failure.venueMessage ?? ''))) {
        lastNotFound = true;
        continue;
      }
      return { status: 'unknown', reason: r.failure.message };
    }
    if (!lastNotFound) return { status: 'unknown', reason: `${this.name} gave no answer for ${cid}` };
    if (how.deep !== false) {
      const deep = await this.searchLists(market, cid, known);
      if (deep.status !== 'not_found') return deep;
    }
    if (how.grace !== false && known?.sentAt !== undefined && this.now().getTime() - known.sentAt < this.graceMs) {
      return { status: 'unknown', reason: `${this.name} does not show the order ${cid} yet (sent ${Math.round((this.now().getTime() - known.sentAt) / 1000)} s ago); look again shortly` };
    }
    return { status: 'not_found' };
  }

  private foundFrom(market: ResolvedMarket, cid: string, known: KnownOrder | undefined, value: unknown, conditional: boolean): LookupResult {
    const parsed = CcxtOrderSchema.safeParse(value);
    const view = parsed.success
      ? mapVenueOrder(parsed.data, { symbol: market.canonical, contract: market.contract, ...(known?.request ? { requestedType: known.request.type, fallbackSide: known.request.side } : {}), now: this.now() })
      : undefined;
    if (!parsed.success || !view) return { status: 'unknown', reason: `${this.name} answered the lookup of ${cid} in a form MIKEY cannot read` };
    if (!view.clientOrderId) view.clientOrderId = cid;
    const k = known ?? this.adopt(market, cid, conditional);
    k.conditional = conditional;
    this.remember(k, view, parsed.data);
    return { status: 'found', order: this.merged(k, view), raw: parsed.data };
  }

  /**
   * A USDⓈ-M conditional order that has triggered lives on as a regular order (`actualOrderId`): its
   * state and fills are that order's, reported under our client id.
   */
  private async followTriggered(market: ResolvedMarket, cid: string, algo: Extract<LookupResult, { status: 'found' }>): Promise<LookupResult> {
    const actual = actualOrderIdOf(algo.raw);
    if (!actual || actual === '0') return algo;
    const r = await this.call('fetchOrder', { symbol: market.canonical, clientOrderId: cid, family: market.family, purpose: 'read', action: `look up the triggered order of ${cid}` }, () =>
      this.exchange.fetchOrder(actual, market.ccxtSymbol),
    );
    if (!r.ok) return { status: 'unknown', reason: `${cid} has triggered but its order could not be read: ${r.failure.message}` };
    const known = this.known.get(cid);
    const parsed = CcxtOrderSchema.safeParse(r.value);
    const view = parsed.success ? mapVenueOrder(parsed.data, { symbol: market.canonical, contract: true, ...(known?.request ? { requestedType: known.request.type, fallbackSide: known.request.side } : {}), now: this.now() }) : undefined;
    if (!parsed.success || !view) return { status: 'unknown', reason: `${cid} has triggered but its order could not be read` };
    view.clientOrderId = cid;
    if (algo.order.triggerPrice) view.triggerPrice = algo.order.triggerPrice;
    if (known) this.remember(known, view, parsed.data);
    return { status: 'found', order: this.merged(known, view), raw: parsed.data };
  }

  /** Starts remembering an order of ours first seen in a lookup (e.g. after a restart). */
  private adopt(market: ResolvedMarket, cid: string, conditional: boolean): KnownOrder {
    const k: KnownOrder = { clientOrderId: cid, market, conditional, venueOrderIds: [], priorSegments: [], seenTradeIds: new Set(), seenFills: [] };
    this.known.set(cid, k);
    return k;
  }

  /** The venue's open orders, then its recent orders, then its trades for the order ids we know. */
  private async searchLists(market: ResolvedMarket, cid: string, known: KnownOrder | undefined): Promise<LookupResult> {
    const ctx = { symbol: market.canonical, family: market.family, purpose: 'read' as const };
    const open = await this.call('fetchOpenOrders', { ...ctx, action: `list open orders on ${market.canonical}` }, () => this.exchange.fetchOpenOrders(market.ccxtSymbol));
    if (!open.ok) return { status: 'unknown', reason: open.failure.message };
    const inOpen = this.pick(open.value, cid);
    if (inOpen) return this.foundFrom(market, cid, known, inOpen, known?.conditional ?? false);
    const since = known?.sentAt !== undefined ? known.sentAt - 60_000 : undefined;
    const all = await this.call('fetchOrders', { ...ctx, action: `list recent orders on ${market.canonical}` }, () => this.exchange.fetchOrders(market.ccxtSymbol, since));
    if (!all.ok) return { status: 'unknown', reason: all.failure.message };
    const inAll = this.pick(all.value, cid);
    if (inAll) return this.foundFrom(market, cid, known, inAll, known?.conditional ?? false);
    // Trades prove executions even when the order itself is not visible: a complete fill of what we
    // asked for settles the order as filled; anything less stays unknown (its end is not known).
    if (known?.request && known.venueOrderIds.length > 0) {
      const fills = await this.tradesFor(market, cid, known.venueOrderIds);
      if (!fills.ok) return { status: 'unknown', reason: fills.failure.message };
      if (fills.value.length > 0) {
        const filled = filledBy(fills.value);
        const wanted = known.request.quantity;
        if (filled.gte(wanted)) {
          const notional = fills.value.reduce<Dec>((a, f) => a.add(f.quantity.mul(f.price)), ZERO);
          const order: BrokerOrder = {
            clientOrderId: cid,
            venueOrderId: known.venueOrderIds.at(-1) ?? '',
            symbol: market.canonical,
            side: known.request.side,
            type: known.request.type,
            status: 'filled',
            quantity: wanted,
            filledQuantity: filled,
            averageFillPrice: notional.div(filled),
            ...(known.request.price ? { price: known.request.price } : {}),
            updatedAt: fills.value.at(-1)?.at ?? this.now(),
          };
          return { status: 'found', order, raw: { info: {} } };
        }
        return { status: 'unknown', reason: `${this.name} shows ${toPlain(filled)} filled for ${cid} but not the order itself yet` };
      }
    }
    return { status: 'not_found' };
  }

  private pick(list: unknown, cid: string): unknown {
    if (!Array.isArray(list)) return undefined;
    return list.find((o) => {
      const p = CcxtOrderSchema.safeParse(o);
      if (!p.success) return false;
      const raw = BinanceRawOrderSchema.safeParse(p.data.info);
      const ids = [p.data.clientOrderId, raw.success ? raw.data.clientOrderId : undefined, raw.success ? raw.data.clientAlgoId : undefined, raw.success ? raw.data.origClientOrderId : undefined];
      return ids.includes(cid);
    });
  }

  /** Executions of the given venue orders (one request per order id), oldest first. */
  private async tradesFor(market: ResolvedMarket, cid: string, orderIds: readonly string[]): Promise<CallResult<BrokerFill[]>> {
    const out: BrokerFill[] = [];
    for (const orderId of orderIds) {
      const r = await this.call('fetchMyTrades', { symbol: market.canonical, clientOrderId: cid, family: market.family, purpose: 'read', action: `load the fills of ${cid}` }, () =>
        this.exchange.fetchMyTrades(market.ccxtSymbol, undefined, undefined, { orderId }),
      );
      if (!r.ok) return r;
      for (const t of Array.isArray(r.value) ? r.value : []) {
        const p = CcxtTradeSchema.safeParse(t);
        if (!p.success || tradeOrderId(p.data) !== orderId) continue;
        const f = mapVenueTrade(p.data, { id: this.fillIds(market), symbol: market.canonical, clientOrderId: cid, now: this.now() });
        if (f) out.push(f);
      }
    }
    out.sort((a, b) => a.at.getTime() - b.at.getTime());
    return { ok: true, value: out };
  }

  /** Fills of an order just found, or none when they cannot be read now (a later poll brings them). */
  private async fillsOrEmpty(market: ResolvedMarket, cid: string, found: { status: 'found'; order: BrokerOrder; raw?: CcxtOrder }): Promise<BrokerFill[]> {
    if (found.order.filledQuantity.lte(0)) return [];
    const known = this.known.get(cid);
    const ids = known?.venueOrderIds.length ? known.venueOrderIds : found.order.venueOrderId && !known?.conditional ? [found.order.venueOrderId] : [];
    const r = await this.tradesFor(market, cid, ids);
    if (!r.ok) return [];
    if (known) markSeen(known, r.value);
    return r.value;
  }

  async fetchFills(query: FetchFillsQuery): Promise<BrokerFill[]> {
    if (query.accountId !== this.accountId) return [];
    const cid = query.clientOrderId;
    const known = cid ? this.known.get(cid) : undefined;
    const symbol = query.symbol ?? known?.market.canonical;
    if (!symbol) {
      throw new CcxtVenueError({ kind: 'rejected', reason: 'bad_request', retryable: false, outcomeUnknown: false, userMessage: `${this.name} lists fills per market; give the symbol`, errorName: 'ArgumentsRequired' });
    }
    const r = await this.resolve(symbol);
    if (!r.ok) throw this.asError(r.failure);
    const market = r.market;
    const since = query.since?.getTime();
    let fills: BrokerFill[];
    if (cid) {
      let ids = known?.venueOrderIds ?? [];
      if (ids.length === 0) {
        const found = await this.lookup(market, cid, known, { grace: false });
        if (found.status === 'unknown') throw this.asError({ kind: 'retryable', reason: 'unknown', message: found.reason, errorName: 'Lookup' });
        ids = this.known.get(cid)?.venueOrderIds ?? [];
      }
      if (ids.length === 0) return [];
      const t = await this.tradesFor(market, cid, ids);
      if (!t.ok) throw this.asError(t.failure);
      fills = t.value;
    } else {
      fills = await this.fillsOfMarket(market, since);
    }
    return fills.filter((f) => since === undefined || f.at.getTime() >= since).sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /** Every fill on a market since a time, each matched to its client order id through the venue's order list. */
  private async fillsOfMarket(market: ResolvedMarket, since: number | undefined): Promise<BrokerFill[]> {
    const ctx = { symbol: market.canonical, family: market.family, purpose: 'read' as const };
    const t = await this.call('fetchMyTrades', { ...ctx, action: `load fills on ${market.canonical}` }, () => this.exchange.fetchMyTrades(market.ccxtSymbol, since));
    if (!t.ok) throw this.asError(t.failure);
    const trades = (Array.isArray(t.value) ? t.value : []).map((x) => CcxtTradeSchema.safeParse(x)).filter((p) => p.success).map((p) => p.data);
    const cidOf = new Map<string, string>();
    for (const k of this.known.values()) for (const id of k.venueOrderIds) cidOf.set(id, k.clientOrderId);
    if (trades.some((tr) => !cidOf.has(tradeOrderId(tr) ?? ''))) {
      const all = await this.call('fetchOrders', { ...ctx, action: `list orders on ${market.canonical}` }, () => this.exchange.fetchOrders(market.ccxtSymbol, since !== undefined ? since - 60_000 : undefined));
      if (!all.ok) throw this.asError(all.failure);
      for (const o of Array.isArray(all.value) ? all.value : []) {
        const p = CcxtOrderSchema.safeParse(o);
        if (!p.success) continue;
        const view = mapVenueOrder(p.data, { symbol: market.canonical, contract: market.contract, now: this.now() });
        if (view?.venueOrderId && view.clientOrderId) cidOf.set(view.venueOrderId, view.clientOrderId);
      }
    }
    const out: BrokerFill[] = [];
    for (const tr of trades) {
      const cid = cidOf.get(tradeOrderId(tr) ?? '');
      if (!cid) {
        this.opts.logger?.warn('venue fill of an order MIKEY cannot name', { symbol: market.canonical, venueOrderId: tradeOrderId(tr) });
        continue;
      }
      const f = mapVenueTrade(tr, { id: this.fillIds(market), symbol: market.canonical, clientOrderId: cid, now: this.now() });
      if (f) out.push(f);
    }
    return out;
  }

  private asError(f: Failure): CcxtVenueError {
    return new CcxtVenueError({
      kind: f.kind,
      reason: f.reason,
      retryable: f.kind === 'retryable' || f.notSent === true,
      outcomeUnknown: false,
      userMessage: f.message,
      errorName: f.errorName,
      ...(f.venueCode ? { venueCode: f.venueCode } : {}),
      ...(f.venueMessage ? { venueMessage: f.venueMessage } : {}),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Broker: cancel and amend

  async cancel(ref: BrokerOrderRef): Promise<CancelOutcome> {
    const cid = ref.clientOrderId;
    if (ref.accountId !== this.accountId) return { status: 'not_found', clientOrderId: cid };
    const m = await this.marketOf(ref);
    if (!m.ok) return { status: 'unknown', clientOrderId: cid, reason: 'noSymbol' in m ? `${this.name} cancels per market; the order's symbol is needed` : m.failure.message };
    return this.cancelOn(m.market, cid);
  }

  private async cancelOn(market: ResolvedMarket, cid: string): Promise<CancelOutcome> {
    const known = this.known.get(cid);
    const params: Record<string, unknown> = { clientOrderId: cid, ...(known?.conditional ? { trigger: true } : {}) };
    const r = await this.call('cancelOrder', { symbol: market.canonical, clientOrderId: cid, family: market.family, purpose: 'cancel', action: `cancel the order ${cid}` }, () =>
      this.exchange.cancelOrder(undefined as unknown as string, market.ccxtSymbol, params),
    );
    if (r.ok) {
      const parsed = CcxtOrderSchema.safeParse(r.value);
      const view = parsed.success
        ? mapVenueOrder(parsed.data, { symbol: market.canonical, contract: market.contract, ...(known?.request ? { requestedType: known.request.type, fallbackSide: known.request.side } : {}), now: this.now() })
        : undefined;
      if (view) {
        if (!view.clientOrderId) view.clientOrderId = cid;
        const k = known ?? this.adopt(market, cid, false);
        this.remember(k, view, parsed.success ? parsed.data : undefined);
        const order = this.merged(k, view);
        if (order.status === 'cancelled' || order.status === 'expired') return { status: 'cancelled', order };
        if (isTerminalStatus(order.status)) return { status: 'already_final', order };
      }
      // Accepted but unreadable or still open: the venue's current view decides.
      const found = await this.lookup(market, cid, this.known.get(cid), { grace: false, deep: false });
      if (found.status === 'found' && (found.order.status === 'cancelled' || found.order.status === 'expired')) return { status: 'cancelled', order: found.order };
      if (found.status === 'found' && isTerminalStatus(found.order.status)) return { status: 'already_final', order: found.order };
      return { status: 'unknown', clientOrderId: cid, reason: `${this.name} took the cancel but does not show the order cancelled yet` };
    }
    const f = r.failure;
    if (f.notSent) return { status: 'unknown', clientOrderId: cid, reason: `${f.message}; the cancel was not sent` };
    if (f.kind !== 'rejected') return { status: 'unknown', clientOrderId: cid, reason: `${f.message}; the order may still be working` };
    // The venue refused the cancel (-2011 unknown order, or the order is already done): its state decides.
    const found = await this.lookup(market, cid, known, { grace: false });
    if (found.status === 'found') {
      if (isTerminalStatus(found.order.status)) return { status: 'already_final', order: found.order };
      if (known?.conditional && found.order.venueOrderId && known.venueOrderIds.includes(found.order.venueOrderId)) {
        // A conditional order that has triggered: its working order is cancelled by its venue id.
        return this.cancelActual(market, cid, found.order.venueOrderId);
      }
      return { status: 'unknown', clientOrderId: cid, reason: `${this.name} refused the cancel (${f.venueMessage ?? f.reason}) but shows the order still working` };
    }
    if (found.status === 'not_found') return { status: 'not_found', clientOrderId: cid };
    return { status: 'unknown', clientOrderId: cid, reason: found.reason };
  }

  private async cancelActual(market: ResolvedMarket, cid: string, venueOrderId: string): Promise<CancelOutcome> {
    const r = await this.call('cancelOrder', { symbol: market.canonical, clientOrderId: cid, family: market.family, purpose: 'cancel', action: `cancel the triggered order of ${cid}` }, () =>
      this.exchange.cancelOrder(venueOrderId, market.ccxtSymbol),
    );
    if (!r.ok) return { status: 'unknown', clientOrderId: cid, reason: `${r.failure.message}; the triggered order may still be working` };
    const found = await this.lookup(market, cid, this.known.get(cid), { grace: false, deep: false });
    if (found.status === 'found' && (found.order.status === 'cancelled' || found.order.status === 'expired')) return { status: 'cancelled', order: found.order };
    if (found.status === 'found' && isTerminalStatus(found.order.status)) return { status: 'already_final', order: found.order };
    return { status: 'unknown', clientOrderId: cid, reason: `${this.name} took the cancel but does not show the triggered order cancelled yet` };
  }

  /**
   * Amend by cancel-replace (Binance spot has no general amend; USDⓈ-M amends only price of limits):
   * 1. read the order (it must be working, and the new quantity must stay above what is filled);
   * 2. cancel it and take the venue's answer as the truth about what filled before the cancel;
   *    an unconfirmed cancel is `unknown` (both orders could end up working), nothing else is sent;
   * 3. place the remainder (new total − filled) as a new venue order under the SAME client id —
   *    Binance refuses a reused id only while its order is open, and the old one is now cancelled.
   * The returned order counts the cancelled order's fills in, so MIKEY's order keeps its totals.
   * If the order filled meanwhile the answer is `rejected` `already_filled`.
   */
  async amend(ref: BrokerOrderRef, changes: OrderAmendment): Promise<AmendOutcome> {
    const cid = ref.clientOrderId;
    if (ref.accountId !== this.accountId) return { status: 'not_found', clientOrderId: cid };
    const m = await this.marketOf(ref);
    if (!m.ok) return { status: 'unknown', clientOrderId: cid, reason: 'noSymbol' in m ? `${this.name} amends per market; the order's symbol is needed` : m.failure.message };
    const market = m.market;
    const current = await this.lookup(market, cid, this.known.get(cid), { grace: false });
    if (current.status === 'not_found') return { status: 'not_found', clientOrderId: cid };
    if (current.status === 'unknown') return { status: 'unknown', clientOrderId: cid, reason: current.reason };
    const was = current.order;
    if (was.status === 'filled') return { status: 'rejected', clientOrderId: cid, code: 'already_filled', reason: 'the order is already filled; nothing to change' };
    if (isTerminalStatus(was.status)) return { status: 'rejected', clientOrderId: cid, code: 'order_not_open', reason: `the order is ${was.status}` };
    const total = changes.quantity ?? was.quantity;
    if (total.lte(was.filledQuantity)) {
      return { status: 'rejected', clientOrderId: cid, code: 'invalid_order', reason: `quantity must stay above the ${toPlain(was.filledQuantity)} already filled` };
    }
    const known = this.known.get(cid) ?? this.adopt(market, cid, false);
    const base = known.request ?? this.requestFromVenue(was, current.raw);

    const cancelled = await this.cancelOn(market, cid);
    if (cancelled.status === 'unknown') return { status: 'unknown', clientOrderId: cid, reason: `the cancel before re-placing was not confirmed: ${cancelled.reason}` };
    if (cancelled.status === 'not_found') return { status: 'not_found', clientOrderId: cid };
    if (cancelled.status === 'already_final') {
      if (cancelled.order.status === 'filled') return { status: 'rejected', clientOrderId: cid, code: 'already_filled', reason: 'the order filled before it could be changed' };
      return { status: 'rejected', clientOrderId: cid, code: 'order_not_open', reason: `the order is ${cancelled.order.status}` };
    }
    const filledNow = cancelled.order.filledQuantity;
    if (filledNow.gte(total)) {
      return { status: 'rejected', clientOrderId: cid, code: 'already_filled', reason: `${toPlain(filledNow)} filled before the cancel; nothing is left to place` };
    }
    // The cancelled venue order's own fills now belong to the history under this client id.
    const prior = priorOf(known, cancelled.order.venueOrderId);
    if (!known.priorSegments.some((x) => x.venueOrderId === cancelled.order.venueOrderId)) {
      known.priorSegments.push({
        venueOrderId: cancelled.order.venueOrderId,
        filled: filledNow.sub(prior.filled),
        notional: (cancelled.order.averageFillPrice ?? ZERO).mul(filledNow).sub(prior.notional),
      });
    }
    const next: BrokerOrderRequest = {
      ...base,
      quantity: total.sub(filledNow),
      ...(changes.price ? { price: changes.price } : {}),
      ...(changes.triggerPrice ? { triggerPrice: changes.triggerPrice } : {}),
    };
    const placed = await this.send(next, market);
    if (placed.status === 'accepted') return { status: 'amended', order: placed.order };
    if (placed.status === 'rejected') {
      return { status: 'rejected', clientOrderId: cid, code: placed.code, reason: `the order was cancelled but its replacement was refused: ${placed.reason}` };
    }
    return { status: 'unknown', clientOrderId: cid, reason: `the order was cancelled; whether its replacement was placed is not known: ${placed.reason}` };
  }

  /** A request rebuilt from the venue's view (an order placed before this process started). */
  private requestFromVenue(o: BrokerOrder, raw: CcxtOrder): BrokerOrderRequest {
    const info = (raw.info ?? {}) as { timeInForce?: unknown; type?: unknown; reduceOnly?: unknown };
    const tifText = typeof info.timeInForce === 'string' ? info.timeInForce.toUpperCase() : 'GTC';
    const postOnly = tifText === 'GTX' || info.type === 'LIMIT_MAKER';
    const timeInForce: TimeInForce = tifText === 'IOC' ? 'ioc' : tifText === 'FOK' ? 'fok' : 'gtc';
    return {
      clientOrderId: o.clientOrderId,
      accountId: this.accountId,
      symbol: o.symbol,
      side: o.side,
      type: o.type,
      quantity: o.quantity,
      ...(o.price ? { price: o.price } : {}),
      ...(o.triggerPrice ? { triggerPrice: o.triggerPrice } : {}),
      timeInForce,
      postOnly,
      reduceOnly: info.reduceOnly === true || info.reduceOnly === 'true',
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Polling (the execution stream)

  /**
   * Looks up each of these open orders and reports what changed since the last poll: new fills
   * (event `fill`, each venue trade once per process; the database dedupes by trade id across
   * restarts) and the venue closing an order (`cancelled` / `expired`). Orders the venue does not
   * show right now are skipped and looked at again next time. Read failures skip that order.
   */
  async poll(refs: readonly BrokerOrderRef[]): Promise<void> {
    const listed = await this.listedOpen(refs);
    for (const ref of refs) {
      if (ref.accountId !== this.accountId) continue;
      const m = await this.marketOf(ref);
      if (!m.ok) continue;
      const market = m.market;
      const known = this.known.get(ref.clientOrderId);
      // Still open at the venue with no fill beyond those already reported: nothing to look up.
      const open = listed.get(ref.clientOrderId);
      if (open && (open.status === 'open' || open.status === 'partially_filled') && open.filledQuantity.eq(known ? filledBy(known.seenFills) : ZERO)) continue;
      const found = await this.lookup(market, ref.clientOrderId, known, { deep: false, grace: false });
      if (found.status !== 'found') continue;
      const k = this.known.get(ref.clientOrderId)!;
      const order = found.order;
      let fresh: BrokerFill[] = [];
      if (order.filledQuantity.gt(filledBy(k.seenFills))) {
        const t = await this.tradesFor(market, ref.clientOrderId, k.venueOrderIds);
        if (!t.ok) continue;
        fresh = t.value.filter((f) => !k.seenTradeIds.has(f.tradeId));
      }
      const closed = order.status === 'cancelled' || order.status === 'expired' || order.status === 'rejected';
      const statusNews = closed && k.lastStatus !== order.status;
      if (fresh.length === 0 && !statusNews) continue;
      markSeen(k, fresh);
      k.lastStatus = order.status;
      const event: ExecutionReport['event'] = order.status === 'expired' ? 'expired' : closed ? 'cancelled' : 'fill';
      this.emit({
        accountId: this.accountId,
        event,
        order,
        fills: fresh,
        ...(closed ? { reason: order.status === 'rejected' ? `${this.name} rejected the order` : `${this.name} reports the order ${order.status}` } : {}),
      });
    }
  }

  /**
   * The venue's open orders of every market holding at least two of the polled orders, by client id:
   * one list request (Binance weight 6) instead of one lookup (weight 4) per order. A market whose
   * list cannot be read is left to the lookups.
   */
  private async listedOpen(refs: readonly BrokerOrderRef[]): Promise<Map<string, BrokerOrder>> {
    const bySymbol = new Map<string, number>();
    for (const r of refs) if (r.accountId === this.accountId && r.symbol) bySymbol.set(r.symbol, (bySymbol.get(r.symbol) ?? 0) + 1);
    const out = new Map<string, BrokerOrder>();
    for (const [symbol, n] of bySymbol) {
      if (n < 2) continue;
      try {
        for (const o of await this.fetchOpenOrders(symbol)) out.set(o.clientOrderId, o);
      } catch {
        // the lookups below ask one by one
      }
    }
    return out;
  }

  private emit(r: ExecutionReport): void {
    for (const l of [...this.listeners]) {
      try {
        l(r);
      } catch (err) {
        this.opts.logger?.error('execution listener failed', { error: this.redact(String(err)) });
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reconciliation helpers

  /**
   * The venue's open orders (one market, or every market of the account's wallets), USDⓈ-M
   * conditional orders included (Binance lists them apart). Failures reject.
   */
  async fetchOpenOrders(symbol?: string): Promise<BrokerOrder[]> {
    const lists: Array<{ family: RequestFamily; what: string; ccxtSymbol?: string; params: Record<string, unknown>; conditional: boolean }> = [];
    if (symbol) {
      const r = await this.resolve(symbol);
      if (!r.ok) throw this.asError(r.failure);
      const m = r.market;
      lists.push({ family: m.family, what: m.canonical, ccxtSymbol: m.ccxtSymbol, params: {}, conditional: false });
      if (m.contract && this.name.startsWith('binance')) lists.push({ family: m.family, what: `${m.canonical} (conditional)`, ccxtSymbol: m.ccxtSymbol, params: { trigger: true }, conditional: true });
    } else {
      const loaded = await this.ensureMarkets();
      if (!loaded.ok) throw this.asError(loaded.failure);
      lists.push({ family: 'spot', what: 'spot', params: {}, conditional: false });
      if (this.usesFutures()) {
        lists.push({ family: 'futures', what: 'futures', params: { type: 'swap', subType: 'linear' }, conditional: false });
        if (this.name.startsWith('binance')) lists.push({ family: 'futures', what: 'futures (conditional)', params: { type: 'swap', subType: 'linear', trigger: true }, conditional: true });
      }
    }
    const out: BrokerOrder[] = [];
    for (const l of lists) {
      const res = await this.call('fetchOpenOrders', { ...(symbol ? { symbol } : {}), family: l.family, purpose: 'read', action: `list open orders (${l.what})` }, () =>
        this.exchange.fetchOpenOrders(l.ccxtSymbol, undefined, undefined, l.params),
      );
      if (!res.ok) throw this.asError(res.failure);
      out.push(...this.viewsOf(res.value, l.conditional));
    }
    return out;
  }

  private usesFutures(): boolean {
    if (this.opts.accountType === 'futures') return true;
    for (const k of this.known.values()) if (k.market.contract) return true;
    return false;
  }

  /** Open orders as MIKEY's views; each one's market (and whether it is conditional) is remembered for a cancel. */
  private viewsOf(list: unknown, conditional: boolean): BrokerOrder[] {
    const out: BrokerOrder[] = [];
    for (const o of Array.isArray(list) ? list : []) {
      const p = CcxtOrderSchema.safeParse(o);
      if (!p.success || !p.data.symbol) continue;
      const market = this.resolveLoaded(p.data.symbol);
      if (!market) continue;
      const view0 = mapVenueOrder(p.data, { symbol: market.canonical, contract: market.contract, now: this.now() });
      if (!view0) continue;
      const known = view0.clientOrderId ? (this.known.get(view0.clientOrderId) ?? this.adopt(market, view0.clientOrderId, conditional)) : undefined;
      const view = known?.request ? { ...view0, type: known.request.type } : view0;
      if (known) this.remember(known, view, p.data);
      out.push(this.merged(known, view));
    }
    return out;
  }

  /** Free and locked balance per asset of the account's wallet (spot by default). Failures reject. */
  async fetchBalances(wallet: 'spot' | 'futures' = this.opts.accountType ?? 'spot'): Promise<Map<string, { free: Dec; locked: Dec }>> {
    const loaded = await this.ensureMarkets();
    if (!loaded.ok) throw this.asError(loaded.failure);
    const family: RequestFamily = wallet === 'futures' ? 'futures' : 'spot';
    const r = await this.call('fetchBalance', { family, purpose: 'read', action: `read the ${wallet} balances` }, () => this.exchange.fetchBalance(wallet === 'futures' ? { type: 'swap', subType: 'linear' } : {}));
    if (!r.ok) throw this.asError(r.failure);
    return balancesFrom(r.value);
  }

  /** Open futures positions (USDⓈ-M), as the venue reports them. Failures reject. */
  async fetchPositions(): Promise<VenuePosition[]> {
    const loaded = await this.ensureMarkets();
    if (!loaded.ok) throw this.asError(loaded.failure);
    const out: VenuePosition[] = [];
    if (this.name.startsWith('binance')) {
      // The raw positionRisk rows: the venue's own decimal strings, no leverage-bracket request.
      const api = this.exchange as unknown as { fapiPrivateV3GetPositionRisk?: (p: Record<string, unknown>) => Promise<unknown> };
      const r = await this.call('fapiPrivateV3GetPositionRisk', { family: 'futures', purpose: 'read', action: 'read the futures positions' }, async () => {
        if (api.fapiPrivateV3GetPositionRisk) return api.fapiPrivateV3GetPositionRisk({});
        throw new Error('positionRisk is not available in this ccxt version');
      });
      if (!r.ok) throw this.asError(r.failure);
      for (const row of Array.isArray(r.value) ? r.value : []) {
        const x = row as Record<string, unknown>;
        const amt = decimalFromCcxt(x['positionAmt']);
        if (!amt || amt.isZero() || typeof x['symbol'] !== 'string') continue;
        const markets = this.exchange.markets as Record<string, { id?: string; linear?: boolean; swap?: boolean; symbol: string }>;
        const m = Object.values(markets).find((mk) => mk.id === x['symbol'] && mk.swap === true && mk.linear === true);
        const resolved = m ? this.resolveLoaded(m.symbol) : undefined;
        const pos: VenuePosition = {
          symbol: resolved?.canonical ?? String(x['symbol']),
          side: amt.gt(0) ? 'long' : 'short',
          quantity: amt.abs(),
          entryPrice: decimalFromCcxt(x['entryPrice']) ?? ZERO,
        };
        const mark = decimalFromCcxt(x['markPrice']);
        const pnl = decimalFromCcxt(x['unRealizedProfit'] ?? x['unrealizedProfit']);
        const liq = decimalFromCcxt(x['liquidationPrice']);
        const lev = decimalFromCcxt(x['leverage']);
        if (mark) pos.markPrice = mark;
        if (pnl) pos.unrealizedPnl = pnl;
        if (liq && liq.gt(0)) pos.liquidationPrice = liq;
        if (lev) pos.leverage = lev;
        out.push(pos);
      }
      return out;
    }
    const r = await this.call('fetchPositions', { family: 'futures', purpose: 'read', action: 'read the futures positions' }, () => this.exchange.fetchPositions());
    if (!r.ok) throw this.asError(r.failure);
    for (const p of Array.isArray(r.value) ? r.value : []) {
      const x = p as unknown as Record<string, unknown>;
      const contracts = decimalFromCcxt(x['contracts']);
      if (!contracts || contracts.isZero() || typeof x['symbol'] !== 'string') continue;
      const resolved = this.resolveLoaded(x['symbol']);
      const pos: VenuePosition = {
        symbol: resolved?.canonical ?? x['symbol'],
        side: x['side'] === 'short' ? 'short' : 'long',
        quantity: contracts.abs().mul(decimalFromCcxt(x['contractSize']) ?? new D(1)),
        entryPrice: decimalFromCcxt(x['entryPrice']) ?? ZERO,
      };
      const mark = decimalFromCcxt(x['markPrice']);
      if (mark) pos.markPrice = mark;
      out.push(pos);
    }
    return out;
  }

  /**
   * The kill switch: cancels every open order of ours on these markets, one by one by client id, and
   * reports what the venue confirmed; anything not confirmed is listed with the reason.
   */
  async cancelAllOpen(symbols: readonly string[]): Promise<CancelAllResult> {
    const result: CancelAllResult = { cancelled: [], failed: [] };
    for (const symbol of symbols) {
      let open: BrokerOrder[];
      try {
        open = await this.fetchOpenOrders(symbol);
      } catch (err) {
        result.failed.push({ symbol, reason: this.redact(err instanceof Error ? err.message : String(err)) });
        continue;
      }
      const r = await this.resolve(symbol);
      if (!r.ok) {
        result.failed.push({ symbol, reason: r.failure.message });
        continue;
      }
      for (const o of open) {
        if (!o.clientOrderId) {
          result.failed.push({ symbol, reason: `an open order (${o.venueOrderId}) has no client id; cancel it at the venue` });
          continue;
        }
        const c = await this.cancelOn(r.market, o.clientOrderId);
        if (c.status === 'cancelled') result.cancelled.push(c.order);
        else if (c.status === 'already_final') continue;
        else result.failed.push({ symbol, clientOrderId: o.clientOrderId, reason: c.status === 'unknown' ? c.reason : 'the venue no longer knows the order' });
      }
    }
    return result;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.exchange.close();
  }
}

function priorOf(known: KnownOrder | undefined, exceptVenueOrderId: string): { filled: Dec; notional: Dec } {
  let filled = ZERO;
  let notional = ZERO;
  for (const seg of known?.priorSegments ?? []) {
    if (seg.venueOrderId === exceptVenueOrderId) continue;
    filled = filled.add(seg.filled);
    notional = notional.add(seg.notional);
  }
  return { filled, notional };
}

function markSeen(k: KnownOrder, fills: readonly BrokerFill[]): void {
  for (const f of fills) {
    if (k.seenTradeIds.has(f.tradeId)) continue;
    k.seenTradeIds.add(f.tradeId);
    k.seenFills.push(f);
  }
}

/** Balances from a ccxt `fetchBalance` answer: Binance spot's own strings, else ccxt's free/used. */
function balancesFrom(value: unknown): Map<string, { free: Dec; locked: Dec }> {
  const out = new Map<string, { free: Dec; locked: Dec }>();
  const v = (value ?? {}) as Record<string, unknown> & { info?: { balances?: unknown } };
  const rawList = v.info?.balances;
  if (Array.isArray(rawList)) {
    for (const b of rawList) {
      const x = b as { asset?: unknown; free?: unknown; locked?: unknown };
      if (typeof x.asset !== 'string') continue;
      const free = decimalFromCcxt(x.free) ?? ZERO;
      const locked = decimalFromCcxt(x.locked) ?? ZERO;
      if (free.isZero() && locked.isZero()) continue;
      out.set(x.asset.toUpperCase(), { free, locked });
    }
    return out;
  }
  const free = (v['free'] ?? {}) as Record<string, unknown>;
  const used = (v['used'] ?? {}) as Record<string, unknown>;
  for (const asset of new Set([...Object.keys(free), ...Object.keys(used)])) {
    const f = decimalFromCcxt(free[asset]) ?? ZERO;
    const l = decimalFromCcxt(used[asset]) ?? ZERO;
    if (f.isZero() && l.isZero()) continue;
    out.set(asset.toUpperCase(), { free: f, locked: l });
  }
  return out;
}

export interface ValidateCredentialsOptions {
  exchangeId: string;
  credentials: ExchangeCredentials;
  sandbox: boolean;
  apiBaseUrl?: string;
  /** Which wallet to read. Default "spot". */
  accountType?: 'spot' | 'futures';
  timeoutMs?: number;
}

export type ValidateCredentialsResult =
  | { ok: true; accountType: 'spot' | 'futures'; balances: Array<{ asset: string; free: Dec; locked: Dec }> }
  /** `retryable`: the venue could not be reached (try again); otherwise the venue refused the key. */
  | { ok: false; reason: string; retryable: boolean };

/**
 * One signed request (`fetchBalance`) to check an exchange key before it is stored. The reason on
 * failure is clean text, never the key or secret.
 */
export async function validateExchangeCredentials(opts: ValidateCredentialsOptions): Promise<ValidateCredentialsResult> {
  const accountType = opts.accountType ?? 'spot';
  let broker: CcxtBroker;
  try {
    broker = new CcxtBroker({
      accountId: 'credential-check',
      exchangeId: opts.exchangeId,
      credentials: opts.credentials,
      sandbox: opts.sandbox,
      ...(opts.apiBaseUrl !== undefined ? { apiBaseUrl: opts.apiBaseUrl } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      accountType,
    });
  } catch (err) {
    return { ok: false, reason: scrubVenueText(err instanceof Error ? err.message : 'the exchange client could not be built'), retryable: false };
  }
  try {
    const balances = await broker.fetchBalances(accountType);
    const list = [...balances.entries()].map(([asset, b]) => ({ asset, free: b.free, locked: b.locked })).sort((a, b) => a.asset.localeCompare(b.asset));
    return { ok: true, accountType, balances: list };
  } catch (err) {
    const retryable = err instanceof CcxtVenueError ? err.kind !== 'rejected' : false;
    return { ok: false, reason: broker.redact(err instanceof Error ? err.message : 'the check failed'), retryable };
  } finally {
    await broker.close().catch(() => undefined);
  }
}
