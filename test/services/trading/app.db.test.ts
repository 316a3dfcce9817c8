// The trading services as the composition root builds them: on the app's market data (the simulated
// market here), reachable from `app.services`, with the engine started by the background work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorFor } from '../../../src/services/actor.js';
import { createUser } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim', MIKEY_ORACLE_MODE: 'flag' });
});
afterAll(async () => app?.close());

describe('the trading services in the app', () => {
  it('previews and places a paper order on simulated prices, labelled as such', async () => {
    const u = await createUser(app.services.db, { username: 'apptrader' });
    const actor = actorFor(u.id, 'terminal');
    await app.startBackground();
    const preview = await app.services.trading.previewOrder(actor, { symbol: 'btc', side: 'buy', quoteQuantity: '100' });
    expect(preview.card.symbol).toBe('BTC/USDT');
    expect(preview.card.simulatedPrice).toBe(true);
    expect(preview.card.warnings.some((w) => /simulated/.test(w))).toBe(true);
    const placed = await app.services.trading.placeOrder(actor, { symbol: 'btc', side: 'buy', quoteQuantity: '100', confirmationToken: preview.confirmationToken! });
    expect(placed.order.status).toBe('filled');
    const pf = await app.services.portfolio.getPortfolio(actor);
    expect(pf.openPositions).toBe(1);
    expect(pf.simulatedPrices).toBe(true);
    const limits = await app.services.risk.getRiskLimits(actor);
    expect(limits.limits).toEqual([]);
  });
});
