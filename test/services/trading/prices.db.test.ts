// Prices (reliability 11, 12): a quote that is stale, from the future or too uncertain is refused for
// previews, orders and fills, with the reason; a venue price outside the oracle's band blocks the
// trade (or flags it, by setting).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualPriceFeed } from '../../../src/adapters/manual-price-feed.js';
import type { Actor } from '../../../src/services/actor.js';
import { checkBooks, createHarness, ManualClock, snapshotState, type Harness } from './harness.js';
import { failure } from '../../support/errors.js';

async function autoPortfolio(h: Harness, a: Actor): Promise<string> {
  return (await h.portfolio.createPortfolio(a, { name: 'auto', autoConfirm: true })).id;
}

describe('stale, future and uncertain prices (reliability 11)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
    h.setPrices();
  });
  afterAll(async () => h?.close());

  it('refuses to price an order on a stale, future or too uncertain quote, naming why, and stores nothing', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    const now = h.clock.now().getTime();
    const req = { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid } as const;
    const before = await snapshotState(h.database);
    h.feed.set('SOL/USDT', '150', { bid: '150', ask: '150', publishTime: new Date(now - 120_000) });
    let e = await failure(h.trading.placeOrder(a, req));
    expect(e.code).toBe('stale_price');
    expect(e.message).toMatch(/SOL\/USDT price is 120 s old \(limit 60 s\)/);
    e = await failure(h.trading.previewOrder(a, req));
    expect(e.code).toBe('stale_price');
    h.feed.set('SOL/USDT', '150', { bid: '150', ask: '150', publishTime: new Date(now + 10_000) });
    e = await failure(h.trading.placeOrder(a, req));
    expect(e.message).toMatch(/from the future/);
    h.feed.set('SOL/USDT', '150', { bid: '150', ask: '150', confidence: '7.5' });
    e = await failure(h.trading.placeOrder(a, req));
    expect(e.message).toMatch(/confidence ±5% is wider than the 2% limit/);
    expect(await snapshotState(h.database), 'nothing stored').toBe(before);
    h.setPrices();
  });

  it('a resting order does not fill on a stale quote, and does on the next fresh one', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    const r = await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3100', quantity: '1', portfolioId: pid });
    h.feed.set('ETH/USDT', '3000', { bid: '3000', ask: '3000', publishTime: new Date(h.clock.now().getTime() - 300_000) });
    await h.step();
    expect((await h.trading.getOrder(a, r.order.id)).order.status, 'a 5-minute-old price fills nothing').toBe('open');
    h.feed.set('ETH/USDT', '3000', { bid: '3000', ask: '3000' });
    await h.step();
    expect((await h.trading.getOrder(a, r.order.id)).order.status).toBe('filled');
    h.setPrices();
    await checkBooks(h.database);
  });
});

describe('the oracle band (reliability 12)', () => {
  let h: Harness;
  let oracle: ManualPriceFeed;
  beforeAll(async () => {
    const clock = new ManualClock();
    oracle = new ManualPriceFeed({ name: 'oracle', source: 'pyth', simulated: false, clock });
    h = await createHarness({ oracle, oracleMode: 'block', clock });
    h.setPrices();
  });
  afterAll(async () => h?.close());

  it('blocks an order when the venue strays from the oracle, with both prices and the band', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    h.feed.set('SOL/USDT', '160', { bid: '160', ask: '160' });
    const card = await h.trading.previewOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
    const check = card.card.riskChecks.find((c) => c.name === 'oracle_band')!;
    expect(check.passed).toBe(false);
    expect(check.detail).toMatch(/venue price 160 vs oracle SOL\/USDT 150/);
    expect(card.confirmationToken).toBeNull();
    const e = await failure(h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid }));
    expect(e.code).toBe('rejected');
    expect(e.message).toMatch(/oracle_band: Blocked/);
    h.setPrices();
    const ok = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
    expect(ok.order.status, 'within the band it trades').toBe('filled');
  });

  it('blocks a resting fill while the venue and the oracle disagree', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    const r = await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3100', quantity: '1', portfolioId: pid });
    h.feed.set('ETH/USDT', '3000', { bid: '3000', ask: '3000' });
    await h.step();
    expect((await h.trading.getOrder(a, r.order.id)).order.status, 'the venue dipped, the oracle did not: no fill').toBe('open');
    oracle.set('ETH/USDT', '3001', { confidence: '3' });
    h.feed.set('ETH/USDT', '3000', { bid: '3000', ask: '3000' });
    await h.step();
    expect((await h.trading.getOrder(a, r.order.id)).order.status).toBe('filled');
    h.setPrices();
    await checkBooks(h.database);
  });

  it('flags instead of blocking when set to flag, and records it with the fill', async () => {
    const clock = new ManualClock();
    const oracle2 = new ManualPriceFeed({ name: 'oracle', source: 'pyth', simulated: false, clock });
    const f = await createHarness({ oracle: oracle2, oracleMode: 'flag', clock });
    try {
      f.setPrices();
      const a = await f.user();
      const pid = await autoPortfolio(f, a);
      f.feed.set('SOL/USDT', '160', { bid: '160', ask: '160' });
      const r = await f.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
      expect(r.order.status).toBe('filled');
      const check = r.card!.riskChecks.find((c) => c.name === 'oracle_band')!;
      expect(check.passed).toBe(true);
      expect(check.detail).toMatch(/^Flagged/);
      const x = await f.trading.explainOrder(a, r.order.id);
      expect(x.riskChecks.find((c) => c.name === 'oracle_band')?.detail, 'the flag stays with the order').toMatch(/^Flagged/);
      oracle2.clear('SOL/USDT');
      const r2 = await f.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
      expect(r2.order.status, 'no oracle price for a symbol: not cross-checked, not blocked').toBe('filled');
    } finally {
      await f.close();
    }
  });
});
