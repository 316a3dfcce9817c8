// Live trading figures against the fake Binance (test/fakes/exchange-server.ts) on 127.0.0.1, with
// the real ccxt client signing every request:
//
// 1. The live order path — card → confirmation → send → fill applied (order, reservation, audit,
//    venue request, trade, ledger, position, paper shadow) — in ms per order, beside the bare ccxt
//    `createOrder` round trip to the same fake (same order, same signing, no MIKEY) measured in the
//    same run. Ratio = bare / ours (target ≥ 0.33: MIKEY's path costs at most 3 bare round trips).
// 2. Reconciliation of 1,000 open live orders: the time of one `reconcile` of the portfolio, beside a
//    bare ccxt `fetchOpenOrders` of the same account; and the request weight it spent (the venue's
//    x-mbx-used-weight-1m) against the venue's budget of 6,000 a minute.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createCcxtExchange } from '../src/adapters/ccxt/ccxt-market-data.js';
import { openDatabase } from '../src/db/client.js';
import { dec } from '../src/domain/money.js';
import { ccxtCredentialValidator } from '../src/exchange-commands.js';
import { actorFor, type Actor } from '../src/services/actor.js';
import { isAppError } from '../src/services/errors.js';
import { addExchangeAccount } from '../src/services/exchange-accounts.js';
import { createLivePortfolio } from '../src/services/portfolio/live-portfolio.js';
import { createUser } from '../src/services/users.js';
import { startFakeExchange, type FakeExchange } from '../test/fakes/exchange-server.js';
import { lowerIsBetter, percentile, timeRuns, type BenchFigure, type BenchModule } from './lib.js';

const ORDERS = 60;
const OPEN_ORDERS = 1_000;
const WEIGHT_BUDGET = 6_000;

interface Live {
  app: App;
  actor: Actor;
  liveId: string;
  close(): Promise<void>;
}

async function liveApp(fake: FakeExchange, apiKey: string, secret: string): Promise<Live> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mikey-live-bench-'));
  const config = loadConfig({ MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'error', MIKEY_SECRET_KEY: 'cd'.repeat(32), MIKEY_EXCHANGE_URL: fake.url, MIKEY_EXCHANGE_TIMEOUT_MS: '10000' });
  const app = await openApp({ config, database: await openDatabase({}) });
  const user = await createUser(app.database.db, { username: `bench_${randomUUID().slice(0, 8)}` });
  const actor = actorFor(user.id, 'cli');
  const added = await addExchangeAccount(app.database.db, app.services.secretKey, actor, { exchange: 'binance', label: 'bench', sandbox: false, accountType: 'spot' }, { apiKey, secret }, await ccxtCredentialValidator(app.config));
  const live = app.services.live;
  const created = await createLivePortfolio(
    { db: app.database.db, clock: app.services.clock, events: app.services.events, secretKey: app.services.secretKey, build: live.build, ...(live.apiBaseUrl ? { apiBaseUrl: live.apiBaseUrl } : {}) },
    actor,
    { name: 'Bench', exchangeAccountId: added.id.slice(0, 8) },
  );
  app.services.live.router.onExecution((r) => void app.services.trading.handleExecution(r));
  await app.services.risk.setRiskLimit(actor, { type: 'position_size', value: '100000', portfolioId: created.portfolio.id });
  return {
    app,
    actor,
    liveId: created.portfolio.id,
    close: async () => {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function placeConfirmed(l: Live, input: Record<string, unknown>): Promise<string> {
  let token = '';
  try {
    await l.app.services.trading.placeOrder(l.actor, input);
  } catch (err) {
    if (!isAppError(err) || err.code !== 'confirmation_required') throw err;
    token = (err.details as { confirmationToken: string }).confirmationToken;
  }
  const r = await l.app.services.trading.placeOrder(l.actor, { ...input, confirmationToken: token });
  return r.order.status;
}

const bench: BenchModule = async ({ log }) => {
  const figures: BenchFigure[] = [];
  const accounts = [
    { apiKey: 'benchLiveKey0123456789abcdef', secret: 'benchLiveSecret0123456789abcdef01', spot: { USDT: '1000000', SOL: '1000' } },
    { apiKey: 'benchBareKey0123456789abcdef', secret: 'benchBareSecret0123456789abcdef01', spot: { USDT: '1000000', SOL: '1000' } },
    { apiKey: 'benchRecoKey0123456789abcdef', secret: 'benchRecoSecret0123456789abcdef01', spot: { USDT: '1000000', SOL: '1000' } },
  ];
  const fake = await startFakeExchange({ accounts });
  const closers: Array<() => Promise<void>> = [async () => fake.close()];
  try {
    // ---- 1. The live order path beside the bare ccxt round trip.
    const l = await liveApp(fake, accounts[0]!.apiKey, accounts[0]!.secret);
    closers.unshift(l.close);
    const price = dec((await l.app.services.market.venueFeed.getQuote('SOL/USDT')).price).toDecimalPlaces(2).toFixed(2);
    fake.setPrice('SOLUSDT', price);
    const input = (i: number): Record<string, unknown> => ({ portfolioId: l.liveId, symbol: 'SOL/USDT', side: i % 2 === 0 ? 'buy' : 'sell', type: 'market', quantity: '0.1' });
    for (let i = 0; i < 4; i++) await placeConfirmed(l, input(i)); // warm-up: markets loaded, statements prepared
    let notFilled = 0;
    const ours = await timeRuns(ORDERS, async (i) => {
      if ((await placeConfirmed(l, input(i))) !== 'filled') notFilled++;
    });
    if (notFilled > 0) throw new Error(`${notFilled} live bench orders did not fill`);

    const bare = createCcxtExchange({ exchangeId: 'binance', apiBaseUrl: fake.url, credentials: { apiKey: accounts[1]!.apiKey, secret: accounts[1]!.secret } });
    (bare as unknown as { options: Record<string, unknown> }).options['fetchCurrencies'] = false;
    await bare.loadMarkets();
    for (let i = 0; i < 4; i++) await bare.createOrder('SOL/USDT', 'market', i % 2 === 0 ? 'buy' : 'sell', 0.1, undefined, { newClientOrderId: `w${i}${randomUUID().slice(0, 8)}` });
    const ref = await timeRuns(ORDERS, (i) => bare.createOrder('SOL/USDT', 'market', i % 2 === 0 ? 'buy' : 'sell', 0.1, undefined, { newClientOrderId: `b${i}${randomUUID().slice(0, 8)}` }));
    const oursMs = percentile(ours, 50);
    const refMs = percentile(ref, 50);
    log(`live order path: p50 ${oursMs.toFixed(2)} ms, p95 ${percentile(ours, 95).toFixed(2)} ms; bare createOrder p50 ${refMs.toFixed(2)} ms`);
    figures.push(lowerIsBetter('live.order_path_ms', oursMs, 'ms', refMs, `card → confirm → send → fill applied, p50 of ${ORDERS}; reference: bare ccxt createOrder to the same fake; target ratio ≥ 0.33`));

    // ---- 2. Reconciliation of 1,000 open orders.
    const r = await liveApp(fake, accounts[2]!.apiKey, accounts[2]!.secret);
    closers.unshift(r.close);
    const low = dec(price).mul('0.5').toDecimalPlaces(2).toFixed(2);
    const placeStart = performance.now();
    for (let i = 0; i < OPEN_ORDERS; i++) {
      const status = await placeConfirmed(r, { portfolioId: r.liveId, symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '0.1', price: low });
      if (status !== 'open') throw new Error(`resting order ${i} is ${status}`);
    }
    log(`placed ${OPEN_ORDERS} resting live orders in ${((performance.now() - placeStart) / 1000).toFixed(1)} s`);
    // A fresh weight window for the measurement (the fake counts per calendar minute).
    fake.setUsedWeight(0, 'spot');
    const before = fake.requests.length;
    const t0 = performance.now();
    const [report] = [await r.app.services.live.reconciler.reconcile(r.liveId)];
    const recoMs = performance.now() - t0;
    const requests = fake.requests.length - before;
    const weight = fake.usedWeight('spot');
    const bareOpen = createCcxtExchange({ exchangeId: 'binance', apiBaseUrl: fake.url, credentials: { apiKey: accounts[2]!.apiKey, secret: accounts[2]!.secret } });
    (bareOpen as unknown as { options: Record<string, unknown> }).options['fetchCurrencies'] = false;
    (bareOpen as unknown as { options: Record<string, unknown> }).options['warnOnFetchOpenOrdersWithoutSymbol'] = false;
    await bareOpen.loadMarkets();
    const openTimes = await timeRuns(3, () => bareOpen.fetchOpenOrders());
    const openMs = percentile(openTimes, 50);
    log(`reconcile ${OPEN_ORDERS} open orders: ${recoMs.toFixed(0)} ms, ${requests} requests, weight ${weight} of ${WEIGHT_BUDGET}/min; error: ${report?.error ?? 'none'}; settled ${report?.ordersSettled ?? 0}`);
    figures.push(lowerIsBetter('live.reconcile_1000_open_ms', recoMs, 'ms', openMs, `one reconcile of ${OPEN_ORDERS} open orders (${requests} requests); reference: one bare ccxt fetchOpenOrders of the account`));
    figures.push(lowerIsBetter('live.reconcile_1000_open_weight', weight, 'weight', WEIGHT_BUDGET, `request weight one reconcile spent (x-mbx-used-weight-1m) vs Binance spot budget per minute; ${requests} requests`));
  } finally {
    for (const c of closers) await c().catch(() => undefined);
  }
  return figures;
};

export default bench;
