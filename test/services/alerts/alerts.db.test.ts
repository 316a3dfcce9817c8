import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { alertRules, alerts, auditLogs } from '../../../src/db/schema/index.js';
import { isUniqueViolation } from '../../../src/db/tx.js';
import { rsi } from '../../../src/domain/indicators/index.js';
import { D } from '../../../src/domain/money.js';
import type { PriceQuote } from '../../../src/domain/ports.js';
import type { Actor } from '../../../src/services/actor.js';
import { AlertEngine } from '../../../src/services/alerts/alert-engine.js';
import { AlertService } from '../../../src/services/alerts/alert-service.js';
import { NotifierHub } from '../../../src/services/alerts/notifier-hub.js';
import { EventBus, type MikeyEvent } from '../../../src/services/events.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { SimMarket } from '../../../src/adapters/sim-market/index.js';
import { simSources } from '../../../src/services/market-data/sources.js';
import { createTestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/db.js';
import { HOUR, MINUTE, T0, manualClock, newActor, rejection, RecordingNotifier, simMarketService, type ManualClock } from '../market/support.js';

let database: Database;
let clock: ManualClock;
let market: MarketService;
let events: EventBus;
let service: AlertService;
let alice: Actor;
let bob: Actor;
const emitted: MikeyEvent[] = [];
const engines: AlertEngine[] = [];

function quote(symbol: string, price: string, at = clock.ms): PriceQuote {
  return { symbol, price: new D(price), bid: new D(price), ask: new D(price), publishTime: new Date(at), source: 'sim', simulated: true };
}

async function engine(notifier: RecordingNotifier = new RecordingNotifier()): Promise<{ e: AlertEngine; notifier: RecordingNotifier }> {
  const e = new AlertEngine({ db: database.db, market, notifier, events, clock, feed: null, sweepIntervalMs: 0, initialSweep: false });
  engines.push(e);
  await e.start();
  return { e, notifier };
}

async function firedFor(ruleId: string): Promise<Array<typeof alerts.$inferSelect>> {
  return database.db.select().from(alerts).where(eq(alerts.ruleId, ruleId));
}

async function rule(ruleId: string): Promise<typeof alertRules.$inferSelect> {
  const [r] = await database.db.select().from(alertRules).where(eq(alertRules.id, ruleId));
  return r!;
}

beforeAll(async () => {
  database = await createTestDatabase();
  clock = manualClock(T0);
  ({ market } = await simMarketService(database, clock));
  events = new EventBus();
  events.on((e) => void emitted.push(e));
  service = new AlertService({ db: database.db, market, events, notifier: new NotifierHub(), clock });
  alice = await newActor(database, 'alice');
  bob = await newActor(database, 'bob');
});
afterAll(async () => {
  for (const e of engines) await e.stop();
  await market?.close();
  await database?.close();
});

describe('alert rules', () => {
  it('refuses malformed conditions and bad options with clear messages, storing nothing', async () => {
    const before = (await database.db.select({ n: count() }).from(alertRules))[0]!.n;
    const cases: Array<[unknown, RegExp]> = [
      [{ condition: { type: 'price_above', symbol: 'BTC/USDT' } }, /invalid alert condition: price: price is required/],
      [{ condition: { type: 'price_above', symbol: 'BTC/USDT', price: 70000 } }, /price must be a decimal string/],
      [{ condition: { type: 'price_above', symbol: 'BTC/USDT', price: '-5' } }, /plain decimal string/],
      [{ condition: { type: 'moon', symbol: 'BTC/USDT' } }, /type must be one of price_above/],
      [{ condition: { type: 'all', conditions: [{ type: 'all', conditions: [{ type: 'all', conditions: [{ type: 'price_above', symbol: 'BTC', price: '1' }] }] }] } }, /nested too deeply/],
      [{ condition: { type: 'rsi_below', symbol: 'BTC/USDT', timeframe: '2h', value: 30 } }, /timeframe must be one of/],
      [{ condition: 'BTC > 70000' }, /invalid alert condition/],
      [{ condition: { type: 'price_above', symbol: 'NOPE/USDT', price: '1' } }, /unknown symbol NOPE\/USDT/],
      [{ condition: { type: 'price_above', symbol: 'POL/USDT', price: '1' } }, /cannot watch POL\/USDT: the simulated market has no data for POL\/USDT/],
      [{ condition: { type: 'price_above', symbol: 'BTC/USDT', price: '1' }, mode: 'sometimes' }, /mode must be once or repeat/],
      [{ condition: { type: 'price_above', symbol: 'BTC/USDT', price: '1' }, cooldownMinutes: -1 }, /cooldownMinutes must be/],
      [{ condition: { type: 'price_above', symbol: 'BTC/USDT', price: '1' }, title: 'x'.repeat(121) }, /title is longer than 120/],
    ];
    for (const [input, message] of cases) {
      const e = await rejection(service.createAlert(alice, input as never));
      expect(e.code, JSON.stringify(input).slice(0, 80)).toBe('invalid_input');
      expect(e.message).toMatch(message);
    }
    expect((await database.db.select({ n: count() }).from(alertRules))[0]!.n).toBe(before);
  });

  it('stores a rule with canonical symbols, a plain-words title, an audit row and a change event', async () => {
    emitted.length = 0;
    const r = await service.createAlert(alice, {
      condition: { type: 'all', conditions: [{ type: 'price_below', symbol: 'btc', price: '60000' }, { type: 'rsi_below', symbol: 'BTCUSDT', timeframe: '1h', value: 30 }] },
    });
    expect(r).toMatchObject({ status: 'active', mode: 'once', symbol: 'BTC/USDT', triggerCount: 0, holds: null });
    expect(r.title).toBe('BTC/USDT below 60,000 and RSI(14, 1h) under 30');
    expect(r.condition).toMatchObject({ conditions: [{ symbol: 'BTC/USDT' }, { symbol: 'BTC/USDT', period: 14 }] });
    const audit = await database.db.select().from(auditLogs).where(eq(auditLogs.entityId, r.id));
    expect(audit.map((a) => a.action)).toEqual(['alert_rule.created']);
    expect(emitted).toEqual([{ type: 'alert.rules.changed', userId: alice.userId }]);
  });

  it('caps active rules per user, also under concurrent creates', async () => {
    const capped = new AlertService({ db: database.db, market, events, notifier: new NotifierHub(), clock, maxActivePerUser: 3 });
    const carol = await newActor(database, 'carol');
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => capped.createAlert(carol, { condition: { type: 'price_above', symbol: 'ETH/USDT', price: String(4000 + i) } })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason as { code: string; message: string };
    expect(refused.code).toBe('conflict');
    expect(refused.message).toMatch(/already have 3 active alerts/);
  });

  it('lists and deletes only the actor’s own rules; anyone else’s id is not found', async () => {
    const mine = await service.createAlert(bob, { title: 'sol pop', condition: { type: 'price_above', symbol: 'SOL/USDT', price: '500' } });
    expect((await service.listAlerts(bob)).rules.map((r) => r.id)).toEqual([mine.id]);
    for (const id of [mine.id, 'not-a-uuid', '00000000-0000-0000-0000-000000000000']) {
      const e = await rejection(service.deleteAlert(alice, id));
      expect(e.code).toBe('not_found');
    }
    expect((await rule(mine.id)).status).toBe('active');
    const deleted = await service.deleteAlert(bob, mine.id);
    expect(deleted.status).toBe('deleted');
    expect((await rejection(service.deleteAlert(bob, mine.id))).code, 'deleting twice').toBe('not_found');
    expect((await service.listAlerts(bob, { status: 'all' })).rules).toEqual([]);
  });
});

describe('the alert engine', () => {
  it('fires a price crossing once, not again while the price stays above', async () => {
    const r = await service.createAlert(alice, { condition: { type: 'price_above', symbol: 'DOGE/USDT', price: '0.2' } });
    const { e, notifier } = await engine();
    emitted.length = 0;
    for (const p of ['0.19', '0.195']) {
      clock.advance(1_000);
      await e.handleQuote(quote('DOGE/USDT', p));
    }
    expect(await firedFor(r.id)).toHaveLength(0);
    clock.advance(1_000);
    await e.handleQuote(quote('DOGE/USDT', '0.21'));
    for (const p of ['0.22', '0.23', '0.19', '0.25']) {
      clock.advance(1_000);
      await e.handleQuote(quote('DOGE/USDT', p));
    }
    const fired = await firedFor(r.id);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ userId: alice.userId, category: 'price', symbol: 'DOGE/USDT', severity: 'info', isSent: true });
    expect(fired[0]!.message).toMatch(/DOGE\/USDT above 0\.2 — DOGE\/USDT at 0\.21 \[simulated prices\]/);
    expect(await rule(r.id)).toMatchObject({ status: 'triggered', triggerCount: 1 });
    expect(notifier.sent).toHaveLength(1);
    expect(notifier.sent[0]).toMatchObject({ userId: alice.userId, kind: 'alert', title: 'Alert: DOGE/USDT above 0.2' });
    expect(emitted.filter((x) => x.type === 'alert.triggered')).toHaveLength(1);
    expect((await service.listAlerts(alice, { status: 'all', includeFired: true })).fired!.map((f) => f.ruleId)).toContain(r.id);
  });

  it('repeats on new crossings, but not within the cooldown', async () => {
    const r = await service.createAlert(alice, { condition: { type: 'price_above', symbol: 'XRP/USDT', price: '3' }, mode: 'repeat', cooldownMinutes: 10 });
    const { e, notifier } = await engine();
    const steps: Array<[number, string]> = [
      [0, '2.9'], [1, '3.1'], // fires
      [2, '2.9'], [3, '3.1'], // a crossing inside the 10-minute cooldown: consumed, not fired
      [4, '2.9'], [12, '3.2'], // fires again
      [13, '3.3'], // still above: nothing
    ];
    const start = clock.ms;
    for (const [minute, price] of steps) {
      clock.set(start + minute * MINUTE);
      await e.handleQuote(quote('XRP/USDT', price));
    }
    const fired = await firedFor(r.id);
    expect(fired.map((f) => Math.round((f.createdAt.getTime() - start) / MINUTE))).toEqual([1, 12]);
    expect(new Set(fired.map((f) => f.triggerKey)).size).toBe(2);
    expect(await rule(r.id)).toMatchObject({ status: 'active', triggerCount: 2 });
    expect(notifier.sent).toHaveLength(2);
  });

  it('fires a combined price + RSI condition only when both hold', async () => {
    const series = await market.loadCandles('ETH/USDT', '1h', { limit: 300, closedOnly: true });
    const closes = series.candles.map((c) => c.close.toNumber());
    const rsiNow = rsi(closes, 14).at(-1)!;
    const price = Math.round(closes.at(-1)!);
    const both = await service.createAlert(alice, {
      condition: { type: 'all', conditions: [{ type: 'price_below', symbol: 'ETH/USDT', price: String(price) }, { type: 'rsi_below', symbol: 'ETH/USDT', timeframe: '1h', value: Math.min(99, rsiNow + 1) }] },
    });
    const rsiFails = await service.createAlert(alice, {
      condition: { type: 'all', conditions: [{ type: 'price_below', symbol: 'ETH/USDT', price: String(price) }, { type: 'rsi_below', symbol: 'ETH/USDT', timeframe: '1h', value: Math.max(1, rsiNow - 1) }] },
    });
    const { e } = await engine();
    await e.sweep(); // RSI from stored candles
    clock.advance(1_000);
    await e.handleQuote(quote('ETH/USDT', String(price + 10)));
    clock.advance(1_000);
    await e.handleQuote(quote('ETH/USDT', String(price - 10)));
    const fired = await firedFor(both.id);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.category).toBe('combined');
    expect(fired[0]!.message).toMatch(new RegExp(`ETH/USDT RSI\\(14, 1h\\) ${rsiNow.toFixed(1)}`));
    expect(await firedFor(rsiFails.id), 'the price crossed but RSI was not under its level').toHaveLength(0);
  });

  it('never fires on a stale or future price, and says why', async () => {
    const r = await service.createAlert(bob, { condition: { type: 'price_above', symbol: 'LINK/USDT', price: '20' } });
    const { e } = await engine();
    await e.handleQuote(quote('LINK/USDT', '19'));
    clock.advance(1_000);
    await e.handleQuote(quote('LINK/USDT', '25', clock.ms - 5 * MINUTE));
    await e.handleQuote(quote('LINK/USDT', '25', clock.ms + MINUTE));
    expect(await firedFor(r.id)).toHaveLength(0);
    expect(e.status().refusedPrices['LINK/USDT']).toMatch(/LINK\/USDT price is from the future/);
    await e.handleQuote(quote('LINK/USDT', '25', clock.ms - 5 * MINUTE));
    expect(e.status().refusedPrices['LINK/USDT']).toMatch(/LINK\/USDT price is 300 s old \(limit 60 s\)/);
    // A price that was fresh when it arrived is not used once it has aged past the limit.
    await e.handleQuote(quote('LINK/USDT', '19.5'));
    clock.advance(2 * MINUTE);
    await e.sweep();
    expect(await firedFor(r.id)).toHaveLength(0);
    await e.handleQuote(quote('LINK/USDT', '25'));
    expect(await firedFor(r.id), 'a fresh price crossing does fire').toHaveLength(1);
    expect(e.status().refusedPrices['LINK/USDT']).toBeUndefined();
  });

  it('keeps crossing state across restarts: a crossing while down fires after, and nothing fires twice', async () => {
    const r = await service.createAlert(alice, { condition: { type: 'price_below', symbol: 'AVAX/USDT', price: '20' }, mode: 'repeat', cooldownMinutes: 0 });
    const first = await engine();
    await first.e.handleQuote(quote('AVAX/USDT', '21'));
    await first.e.stop();
    clock.advance(MINUTE);
    const second = await engine();
    await second.e.handleQuote(quote('AVAX/USDT', '19'));
    expect(await firedFor(r.id), 'the new engine knows the price was above before').toHaveLength(1);
    await second.e.stop();
    clock.advance(MINUTE);
    const third = await engine();
    for (const p of ['18.5', '18']) {
      clock.advance(1_000);
      await third.e.handleQuote(quote('AVAX/USDT', p));
    }
    expect(await firedFor(r.id), 'the same crossing is not fired again after a restart').toHaveLength(1);
    expect(second.notifier.sent.length + third.notifier.sent.length).toBe(1);
  });

  it('records one alert when two engines race on the same crossing', async () => {
    const r = await service.createAlert(alice, { condition: { type: 'price_above', symbol: 'LTC/USDT', price: '100' }, mode: 'repeat', cooldownMinutes: 0 });
    const a = await engine();
    const b = await engine();
    // They see the price below the level at different moments: a crossing is still one crossing.
    await a.e.handleQuote(quote('LTC/USDT', '99'));
    clock.advance(1_000);
    await b.e.handleQuote(quote('LTC/USDT', '99'));
    clock.advance(1_000);
    await Promise.all([a.e.handleQuote(quote('LTC/USDT', '101')), b.e.handleQuote(quote('LTC/USDT', '101'))]);
    clock.advance(1_000);
    // b's memory may be behind a's: it must not fire the crossing a already recorded.
    await b.e.handleQuote(quote('LTC/USDT', '102'));
    const fired = await firedFor(r.id);
    expect(fired).toHaveLength(1);
    expect(a.notifier.sent.length + b.notifier.sent.length).toBe(1);
    // And the database refuses a second row for the same crossing outright.
    const dup = await database.db
      .insert(alerts)
      .values({ userId: alice.userId, ruleId: r.id, triggerKey: fired[0]!.triggerKey, title: 'dup', message: 'dup' })
      .then(() => undefined, (err: unknown) => err);
    expect(isUniqueViolation(dup)).toBe(true);
  });

  it('re-sends a notification whose delivery failed on the next sweep', async () => {
    const r = await service.createAlert(bob, { condition: { type: 'price_below', symbol: 'DOT/USDT', price: '4' } });
    const notifier = new RecordingNotifier();
    notifier.failNext = 1;
    const { e } = await engine(notifier);
    await e.handleQuote(quote('DOT/USDT', '4.5'));
    clock.advance(1_000);
    await e.handleQuote(quote('DOT/USDT', '3.9'));
    expect((await firedFor(r.id))[0]!.isSent, 'a failed delivery is not marked sent').toBe(false);
    await e.sweep();
    expect((await firedFor(r.id))[0]!.isSent).toBe(true);
    expect(notifier.sent.map((n) => n.data?.['ruleId'])).toEqual([r.id]);
    await e.sweep();
    expect(notifier.sent).toHaveLength(1);
  });

  it('fires a percent move measured against stored one-minute candles', async () => {
    const hourAgo = await market.loadCandles('BNB/USDT', '1m', { since: new Date(clock.ms - HOUR - 2 * MINUTE), limit: 70, closedOnly: true });
    const now = await market.loadCandles('BNB/USDT', '1m', { limit: 2, closedOnly: true });
    const reference = hourAgo.candles.find((c) => c.openTime.getTime() + MINUTE >= clock.ms - HOUR - MINUTE)!.close.toNumber();
    const current = now.candles.at(-1)!.close.toNumber();
    const movedSoFar = Math.abs((current - reference) / reference) * 100;
    const percent = Math.round((movedSoFar + 1) * 100) / 100;
    const r = await service.createAlert(alice, { condition: { type: 'percent_move', symbol: 'BNB/USDT', percent, windowMinutes: 60, direction: 'up' } });
    const { e } = await engine();
    await e.sweep();
    await e.handleQuote(quote('BNB/USDT', current.toFixed(3)));
    expect(await firedFor(r.id)).toHaveLength(0);
    clock.advance(1_000);
    await e.handleQuote(quote('BNB/USDT', (reference * (1 + (percent + 0.5) / 100)).toFixed(3)));
    const fired = await firedFor(r.id);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.message).toMatch(/BNB\/USDT up .*% within 1 hour — BNB\/USDT \+\d+\.\d+% in 1 hour/);
  });

  it('follows rule changes: watches the symbols of active rules only', async () => {
    const { e } = await engine();
    const r = await service.createAlert(bob, { condition: { type: 'price_above', symbol: 'ATOM/USDT', price: '9' } });
    await vi.waitFor(() => expect(e.status().watchedSymbols, 'the change event reloads the rules').toContain('ATOM/USDT'), { timeout: 5_000 });
    await service.deleteAlert(bob, r.id);
    await vi.waitFor(() => expect(e.status().watchedSymbols).not.toContain('ATOM/USDT'), { timeout: 5_000 });
    expect(e.status().running).toBe(true);
  });
});

describe('on the price stream', () => {
  it('evaluates every quote the venue feed pushes', async () => {
    const callbacks: Array<() => void> = [];
    const timers = { setInterval: (cb: () => void): unknown => callbacks.push(cb), clearInterval: (): void => undefined };
    const sim = new SimMarket({ seed: 7, clock, timers });
    const { market: streamed } = await simMarketService(database, clock, { sources: simSources({ seed: 7, clock, sim }) });
    try {
      // A level the simulated TRX price crosses upwards within the next few hours.
      const start = clock.ms;
      const p0 = sim.priceAt('TRX/USDT', new Date(start));
      let later = start;
      while (sim.priceAt('TRX/USDT', new Date(later)).lte(p0.mul(1.002))) later += MINUTE;
      const level = p0.add(sim.priceAt('TRX/USDT', new Date(later))).div(2).toDecimalPlaces(6);
      const alertsOn = new AlertService({ db: database.db, market: streamed, events, notifier: new NotifierHub(), clock });
      const r = await alertsOn.createAlert(alice, { condition: { type: 'price_above', symbol: 'TRX/USDT', price: level.toFixed() } });
      const notifier = new RecordingNotifier();
      const e = new AlertEngine({ db: database.db, market: streamed, notifier, clock, sweepIntervalMs: 0, initialSweep: false });
      engines.push(e);
      await e.start();
      await vi.waitFor(() => expect(callbacks.length, 'subscribed to TRX/USDT').toBeGreaterThan(0));
      const tick = async (): Promise<void> => {
        for (const cb of callbacks) cb();
        await new Promise((resolve) => setTimeout(resolve, 50));
      };
      await tick();
      expect(await firedFor(r.id)).toHaveLength(0);
      clock.set(later);
      await tick();
      await vi.waitFor(async () => expect(await firedFor(r.id)).toHaveLength(1));
      expect(notifier.sent[0]!.body).toMatch(/TRX\/USDT above/);
      clock.set(start);
    } finally {
      await streamed.close();
    }
  });
});

describe('in the app', () => {
  it('wires the services, and starts the engine only when asked', async () => {
    const app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
    try {
      const owner = await newActor(app.database, 'owner');
      const sent: string[] = [];
      app.services.alerts.notifier.register({ notify: async (n) => void sent.push(n.title) });
      const r = await app.services.alerts.createAlert(owner, { condition: { type: 'price_above', symbol: 'BTC/USDT', price: '1' } });
      expect(app.services.alerts.engine!.status().running, 'no background work for one-shot commands').toBe(false);
      await app.startBackground();
      await app.startBackground();
      const status = app.services.alerts.engine!.status();
      expect(status.running).toBe(true);
      expect(status.watchedSymbols).toEqual(['BTC/USDT']);
      expect(app.services.market.mode).toBe('sim');
      const [row] = await app.database.db.select().from(alertRules).where(and(eq(alertRules.id, r.id)));
      expect(row!.status).toBe('active');
      expect(sent).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
