// Shared set-up of the live trading tests: a fake venue (Binance by default), a whole app pointed at
// it through MIKEY_EXCHANGE_URL, a trader with an exchange account and a live portfolio, and the
// engine's execution listener wired by hand (the app's background timers stay off in tests).
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { App } from '../../../src/app.js';
import { queryRows } from '../../../src/db/client.js';
import { dec } from '../../../src/domain/money.js';
import type { Clock } from '../../../src/domain/ports.js';
import { ccxtCredentialValidator } from '../../../src/exchange-commands.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import { isAppError } from '../../../src/services/errors.js';
import { addExchangeAccount } from '../../../src/services/exchange-accounts.js';
import { createLivePortfolio } from '../../../src/services/portfolio/live-portfolio.js';
import { createUser } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';

export interface LiveSetup {
  app: TestApp;
  actor: Actor;
  liveId: string;
  shadowId: string;
  accountId: string;
}

export interface LiveSetupOptions {
  url: string;
  apiKey: string;
  secret: string;
  password?: string;
  exchange?: string;
  accountType?: 'spot' | 'futures';
  env?: Record<string, string>;
  clock?: Clock;
  username?: string;
}

/** App + user + exchange account + live portfolio (+ shadow), execution reports applied as they come. */
export async function setUpLive(o: LiveSetupOptions): Promise<LiveSetup> {
  const app = await createTestApp({ MIKEY_EXCHANGE_URL: o.url, MIKEY_EXCHANGE_TIMEOUT_MS: '400', ...(o.env ?? {}) }, o.clock ? { clock: o.clock } : {});
  return Object.assign(await enrolLive(app, o), { app });
}

/** On an open app: a trader, their exchange account and a live portfolio (execution reports wired). */
export async function enrolLive<A extends App>(app: A, o: Omit<LiveSetupOptions, 'url' | 'env' | 'clock'>): Promise<Omit<LiveSetup, 'app'> & { userId: string }> {
  const user = await createUser(app.database.db, { username: o.username ?? 'livetrader' });
  const actor = actorFor(user.id, 'cli');
  const validate = await ccxtCredentialValidator(app.config);
  const added = await addExchangeAccount(
    app.database.db,
    app.services.secretKey,
    actor,
    { exchange: o.exchange ?? 'binance', label: 'fake', sandbox: false, accountType: o.accountType ?? 'spot' },
    { apiKey: o.apiKey, secret: o.secret, ...(o.password ? { password: o.password } : {}) },
    validate,
  );
  const live = app.services.live;
  const created = await createLivePortfolio(
    { db: app.database.db, clock: app.services.clock, events: app.services.events, secretKey: app.services.secretKey, build: live.build, ...(live.apiBaseUrl ? { apiBaseUrl: live.apiBaseUrl } : {}) },
    actor,
    { name: 'Live', exchangeAccountId: added.id.slice(0, 8) },
  );
  app.services.live.router.onExecution((r) => void app.services.trading.handleExecution(r));
  return { actor, userId: user.id, liveId: created.portfolio.id, shadowId: created.shadow.id, accountId: added.id };
}

type Placed = Awaited<ReturnType<TestApp['services']['trading']['placeOrder']>>;

/** Places an order the way a person does: the card, then the confirmation with its token. */
export async function placeConfirmed(app: TestApp, actor: Actor, input: Record<string, unknown>): Promise<Placed> {
  let token: string | undefined;
  try {
    await app.services.trading.placeOrder(actor, input);
  } catch (err) {
    if (!isAppError(err) || err.code !== 'confirmation_required') throw err;
    token = (err.details as { confirmationToken: string }).confirmationToken;
  }
  expect(token, 'a live order always asks for confirmation').toBeTruthy();
  return app.services.trading.placeOrder(actor, { ...input, confirmationToken: token });
}

/** The ledger's non-zero totals (free + locked) per asset. */
export async function ledgerOf(app: App, portfolioId: string): Promise<Record<string, string>> {
  const rows = await queryRows<{ asset: string; total: string }>(app.database.db, sql`select asset, (free + locked)::text as total from balances where portfolio_id = ${portfolioId}`);
  return Object.fromEntries(rows.filter((r) => !dec(r.total).isZero()).map((r) => [r.asset, dec(r.total).toFixed()]));
}

/** Non-zero totals of a venue balance view. */
export function totalsOf(b: Record<string, { free: string; locked: string }>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(b)
      .map(([asset, v]) => [asset, dec(v.free).add(dec(v.locked)).toFixed()] as const)
      .filter(([, t]) => !dec(t).isZero()),
  );
}

export async function orderRow(app: App, id: string): Promise<{ status: string; clientOrderId: string; filled: string; venueOrderId: string | null }> {
  const [r] = await queryRows<{ status: string; client_order_id: string; filled: string; venue: string | null }>(
    app.database.db,
    sql`select status::text as status, client_order_id, filled_quantity::text as filled, exchange_order_id as venue from orders where id = ${id}`,
  );
  return { status: r!.status, clientOrderId: r!.client_order_id, filled: dec(r!.filled).toFixed(), venueOrderId: r!.venue };
}

export async function tradeCount(app: App, orderId: string): Promise<number> {
  const [r] = await queryRows<{ n: number }>(app.database.db, sql`select count(*)::int as n from trades where order_id = ${orderId}`);
  return r!.n;
}

/** Polls and reconciles until nothing moves (bounded). */
export async function settle(app: App, rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await app.services.live.router.pollLive(true);
    await app.services.trading.idle();
    await app.services.trading.reconcilePending(0);
    await app.services.trading.idle();
  }
}
