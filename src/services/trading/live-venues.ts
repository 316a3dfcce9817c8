// Opening a live portfolio's venue: its exchange keys are read from the database and opened with the
// secret box only here, handed to the adapter that signs requests (built by the composition root,
// so the services never import ccxt), and forgotten by this module. Every request the venue answers
// is written down: order requests into the order's audit trail (what was sent, when, what the venue
// said — never a secret), the venue's health into `exchange_status`, and the request weight it
// reports into `api_rate_limits`.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiRateLimits, exchangeCredentials, exchangeStatus, orders, portfolios } from '../../db/schema/index.js';
import type { Clock } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import { writeAudit } from '../audit.js';
import { newTraceId } from '../actor.js';
import { decryptExchangeCredentials } from '../credentials.js';
import { AppError, ErrorCode } from '../errors.js';
import type { SecretKey } from '../secret-box.js';
import type { LiveVenueOpener } from './broker-router.js';
import type { LiveVenue } from './ports.js';

/** One request to a venue, as the adapter reports it (clean text only; no key, secret or signature). */
export interface VenueCall {
  /** The adapter's method (`createOrder`, `cancelOrder`, `fetchOrder`, `fetchBalance` …). */
  method: string;
  symbol?: string;
  clientOrderId?: string;
  ok: boolean;
  /** What was asked, in the venue-neutral terms of the request (type, side, amount, price …). */
  sent?: Record<string, unknown>;
  /** What the venue answered: its order status, or the failure's `kind` (rejected, unknown, retryable), code and message. */
  answer?: Record<string, unknown>;
  /** Request weight the venue says was used in its current window (Binance `x-mbx-used-weight-1m`). */
  usedWeight?: number;
  durationMs?: number;
  at: Date;
}

export interface LiveVenueBuildOptions {
  accountId: string;
  exchangeId: string;
  credentials: { apiKey: string; secret: string; password?: string };
  sandbox: boolean;
  accountType: 'spot' | 'margin' | 'futures';
  apiBaseUrl?: string;
  onVenueCall: (call: VenueCall) => void;
}

export interface LiveVenuesDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  secretKey: SecretKey;
  /** `MIKEY_EXCHANGE_URL`: every REST endpoint's scheme and host replaced (proxies, test venues). */
  apiBaseUrl?: string;
  build(opts: LiveVenueBuildOptions): Promise<LiveVenue>;
}

/** Methods whose requests go into the order's audit trail. */
const ORDER_METHODS = new Set(['createOrder', 'cancelOrder', 'fetchOrder', 'editOrder', 'amend', 'submit', 'cancel']);

/** The opener, and a way to wait until every venue call reported so far is written down. */
export type RecordingOpener = LiveVenueOpener & { recorded(): Promise<void> };

export function liveVenueOpener(deps: LiveVenuesDeps): RecordingOpener {
  const chains = new Set<() => Promise<void>>();
  const open: LiveVenueOpener = async (accountId) => {
    const [p] = await deps.db.select().from(portfolios).where(eq(portfolios.id, accountId));
    if (!p || p.tradingMode !== 'live') throw new AppError(ErrorCode.notFound, 'that portfolio is not a live portfolio');
    const [c] = await deps.db
      .select()
      .from(exchangeCredentials)
      .where(and(eq(exchangeCredentials.portfolioId, accountId), eq(exchangeCredentials.isActive, true)));
    if (!c) {
      throw new AppError(ErrorCode.unavailable, `the live portfolio "${p.name}" has no exchange keys attached`, 'add keys with mikey exchange add and attach them to the portfolio');
    }
    const creds = await decryptExchangeCredentials(deps.db, deps.secretKey, c.userId, c.id);
    const record = recorder(deps, accountId, c.exchange, c.userId);
    chains.add(record.settled);
    return deps.build({
      accountId,
      exchangeId: c.exchange,
      credentials: { apiKey: creds.apiKey, secret: creds.apiSecret, ...(creds.passphrase ? { password: creds.passphrase } : {}) },
      sandbox: c.sandbox,
      accountType: c.accountType,
      ...(deps.apiBaseUrl ? { apiBaseUrl: deps.apiBaseUrl } : {}),
      onVenueCall: record,
    });
  };
  return Object.assign(open, {
    recorded: async (): Promise<void> => {
      for (const settled of chains) await settled();
    },
  });
}

/** Writes each venue call down, in order, off the request's path (a failed write is logged, not thrown). */
function recorder(deps: LiveVenuesDeps, accountId: string, exchange: string, userId: string): ((call: VenueCall) => void) & { settled(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  const state: SummaryState = { health: undefined, healthAt: -Infinity, weightWindow: -Infinity, weightWritten: -1 };
  const record = (call: VenueCall): void => {
    chain = chain.then(() => writeVenueCall(deps, accountId, exchange, userId, call, state)).catch((err: unknown) => deps.logger.warn('could not record a venue call', { method: call.method, error: err }));
  };
  return Object.assign(record, { settled: () => chain });
}

/** What was last written of the venue's health and weight: unchanged figures are not written again. */
interface SummaryState {
  health: 'online' | 'offline' | undefined;
  healthAt: number;
  weightWindow: number;
  weightWritten: number;
}

/** A healthy venue's `exchange_status` row is refreshed at most this often; a change is written at once. */
const HEALTH_REFRESH_MS = 10_000;

async function writeVenueCall(deps: LiveVenuesDeps, accountId: string, exchange: string, userId: string, call: VenueCall, state: SummaryState): Promise<void> {
  const { db } = deps;
  const system = { system: true as const, traceId: newTraceId() };
  if (call.clientOrderId && ORDER_METHODS.has(call.method)) {
    const [o] = await db.select({ id: orders.id }).from(orders).where(and(eq(orders.clientOrderId, call.clientOrderId), eq(orders.portfolioId, accountId)));
    if (o) {
      await writeAudit(db, system, {
        action: `venue.${call.method}`,
        entityType: 'order',
        entityId: o.id,
        newValue: { exchange, ok: call.ok, ...(call.sent ? { sent: call.sent } : {}), ...(call.answer ? { answer: call.answer } : {}) },
        metadata: { at: call.at.toISOString(), ...(call.durationMs !== undefined ? { durationMs: call.durationMs } : {}) },
      });
    }
  } else if (!call.ok) {
    await writeAudit(db, system, { action: `venue.${call.method}`, entityType: 'portfolio', entityId: accountId, newValue: { exchange, ok: false, ...(call.answer ? { answer: call.answer } : {}) } });
  }
  const said = (call.answer as { message?: unknown } | undefined)?.message;
  const failure = call.ok ? null : (typeof said === 'string' ? said : 'request failed').slice(0, 500);
  // A venue that answered (even "no") is online; one that did not answer is offline; a request
  // MIKEY held back (its rate budget) says nothing about the venue.
  const kind = (call.answer as { kind?: unknown } | undefined)?.kind;
  const health = call.ok || kind === 'rejected' ? ('online' as const) : ('offline' as const);
  const at = call.at.getTime();
  if (kind !== 'not_sent' && (health !== state.health || health === 'offline' || at - state.healthAt >= HEALTH_REFRESH_MS)) {
    state.health = health;
    state.healthAt = at;
    await db
      .insert(exchangeStatus)
      .values({ exchange, status: health, lastPingAt: call.at, responseTimeMs: call.durationMs ?? null, errorMessage: failure })
      .onConflictDoUpdate({
        target: exchangeStatus.exchange,
        set: { status: health, lastPingAt: call.at, responseTimeMs: call.durationMs ?? null, errorMessage: failure, updatedAt: call.at },
      });
  }
  const window = Math.floor(at / 60_000) * 60_000;
  // The window's weight only grows: written when it grew by a tenth (or a new window began).
  const weightDue = call.usedWeight !== undefined && (window !== state.weightWindow || call.usedWeight >= state.weightWritten * 1.1);
  if (call.usedWeight !== undefined && weightDue) {
    state.weightWindow = window;
    state.weightWritten = call.usedWeight;
    const windowStart = new Date(window);
    const endpoint = `venue:${exchange}`;
    await db
      .insert(apiRateLimits)
      .values({ userId, apiKeyId: null, endpoint, windowStart, windowDurationSeconds: 60, requestsCount: call.usedWeight })
      .onConflictDoUpdate({
        target: [apiRateLimits.userId, apiRateLimits.apiKeyId, apiRateLimits.endpoint, apiRateLimits.windowStart],
        set: { requestsCount: sql`greatest(${apiRateLimits.requestsCount}, ${call.usedWeight})` },
      });
  }
}
