// Every MCP tool through a real SDK client: a happy path, a permission denial, bad input that
// changes nothing, cross-user isolation, confirmation tokens, and resource update notifications.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { connectInProcess, type InProcessClient } from '../../src/mcp/in-process.js';
import type { Permission } from '../../src/services/api-keys.js';
import { createUser, type User } from '../../src/services/users.js';
import { CATALOGUE, TOOLS } from '../../src/tools/index.js';
import { createTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
let alice: User;
let bob: User;
let aliceClient: InProcessClient;
let bobClient: InProcessClient;

type Result = { isError?: boolean; content: Array<{ type: string; text?: string; data?: string; mimeType?: string }>; structuredContent?: Record<string, unknown> };

async function call(c: Client, name: string, args: Record<string, unknown> = {}): Promise<Result> {
  return (await c.callTool({ name, arguments: args })) as Result;
}
const text = (r: Result): string => r.content.map((c) => c.text ?? '').join('\n');

async function connect(user: User, permissions: Set<Permission> | 'all'): Promise<InProcessClient> {
  return connectInProcess(app.services, { actor: { userId: user.id, surface: 'mcp-http' }, permissions }, CATALOGUE);
}

/** Everything a bad call must leave untouched. */
async function fingerprint(): Promise<string> {
  const rows = await queryRows<Record<string, unknown>>(
    app.database.db,
    sql`SELECT (SELECT count(*) FROM orders) o, (SELECT count(*) FROM trades) t, (SELECT count(*) FROM ledger_entries) l,
               (SELECT count(*) FROM positions) p, (SELECT count(*) FROM alert_rules) a, (SELECT count(*) FROM risk_limits) r,
               (SELECT count(*) FROM portfolios) pf, (SELECT count(*) FROM confirmation_tokens WHERE used_at IS NOT NULL) u,
               (SELECT coalesce(sum(free + locked), 0)::text FROM balances) b`,
  );
  return JSON.stringify(rows[0]);
}

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' });
  alice = await createUser(app.database.db, { username: 'alice' });
  bob = await createUser(app.database.db, { username: 'bob' });
  aliceClient = await connect(alice, 'all');
  bobClient = await connect(bob, 'all');
});
afterAll(async () => {
  await aliceClient?.close();
  await bobClient?.close();
  await app?.close();
});

describe('the catalogue', () => {
  it('lists every tool of docs/tools.md with schemas and annotations', async () => {
    const { tools } = await aliceClient.client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(
      [
        'get-price', 'get-candles', 'get-order-book', 'search-markets', 'get-funding-rate', 'get-indicators', 'analyze-market', 'get-chart', 'list-analyses', 'backtest-strategy', 'sweep-strategy', 'list-backtests', 'get-backtest', 'compare-backtests',
        'preview-order', 'place-order', 'cancel-order', 'amend-order', 'list-orders', 'get-order', 'close-position', 'close-all-positions', 'set-stop-loss',
        'set-take-profits', 'get-portfolio', 'get-balances', 'get-positions', 'get-trades', 'get-performance', 'list-portfolios', 'create-paper-portfolio',
        'get-risk-limits', 'set-risk-limit', 'get-risk-metrics', 'halt-trading', 'resume-trading', 'create-alert', 'list-alerts', 'delete-alert', 'whoami', 'explain-order', 'list-exchange-accounts', 'get-shadow',
        'get-report', 'set-report-schedule', 'set-notifications',
        'get-prediction', 'list-predictions', 'get-model-scorecard', 'retrain-model',
        'get-token-balance', 'list-staking-pools', 'stake-tokens', 'unstake-tokens', 'claim-rewards', 'get-token-history', 'mint-tokens', 'grant-tokens', 'create-staking-pool', 'close-staking-pool',
        'create-bot', 'start-bot', 'pause-bot', 'resume-bot', 'stop-bot', 'list-bots', 'get-bot', 'get-strategy-leaderboard',
        'watch-wallet', 'unwatch-wallet', 'list-watched-wallets', 'get-wallet-card', 'get-market-bias',
        'share-wallet', 'unshare-wallet', 'list-community-wallets', 'follow-community-wallet',
        'join-leaderboard', 'leave-leaderboard', 'get-leaderboard', 'create-competition', 'join-competition', 'get-competition', 'list-competitions', 'cancel-competition',
      ].sort(),
    );
    for (const t of tools) {
      expect(t.outputSchema, `${t.name} declares an output schema`).toBeTruthy();
      expect(t.annotations?.destructiveHint, `${t.name} declares destructiveHint`).toBeTypeOf('boolean');
      expect(t.annotations?.idempotentHint, `${t.name} declares idempotentHint`).toBeTypeOf('boolean');
      for (const [field, schema] of Object.entries((t.inputSchema.properties ?? {}) as Record<string, { description?: string }>)) {
        expect(schema.description, `${t.name}.${field} is described`).toBeTruthy();
      }
    }
    const { resources } = await aliceClient.client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(['mikey://alerts', 'mikey://portfolio', 'mikey://positions']);
  });
});

describe('happy paths', () => {
  it('market and analysis tools answer with data, labelled simulated', async () => {
    const price = await call(aliceClient.client, 'get-price', { symbols: ['BTC/USDT', 'sol'] });
    expect(price.isError, text(price)).toBeFalsy();
    expect(text(price)).toMatch(/SIMULATED/);
    const prices = (price.structuredContent as { prices: Array<{ symbol: string; simulated: boolean }> }).prices;
    expect(prices.map((p) => p.symbol)).toEqual(['BTC/USDT', 'SOL/USDT']);
    for (const [name, args] of [
      ['get-candles', { symbol: 'ETH/USDT', timeframe: '1h', limit: 50 }],
      ['get-order-book', { symbol: 'BTC/USDT', depth: 5 }],
      ['search-markets', { query: 'sol' }],
      ['get-funding-rate', { symbol: 'BTC-PERP' }],
      ['get-indicators', { symbol: 'ETH/USDT', indicators: ['rsi', 'macd', 'bollinger'] }],
      ['analyze-market', { symbol: 'SOL/USDT', timeframe: '4h' }],
      ['list-analyses', {}],
    ] as const) {
      const r = await call(aliceClient.client, name, args);
      expect(r.isError, `${name}: ${text(r)}`).toBeFalsy();
      expect(r.structuredContent, `${name} returns structured data`).toBeTruthy();
    }
    const chart = await call(aliceClient.client, 'get-chart', { symbol: 'BTC/USDT', timeframe: '1h', limit: 120 });
    expect(chart.isError, text(chart)).toBeFalsy();
    const img = chart.content.find((c) => c.type === 'image');
    expect(img?.mimeType).toBe('image/png');
    expect(Buffer.from(img!.data!, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('preview → place with the token → fill → portfolio, explained', async () => {
    const preview = await call(aliceClient.client, 'preview-order', { symbol: 'SOL/USDT', side: 'buy', quoteQuantity: '100' });
    expect(preview.isError, text(preview)).toBeFalsy();
    expect(text(preview)).toMatch(/PAPER BUY .* SOL/);
    const token = (preview.structuredContent as { confirmationToken: string }).confirmationToken;
    expect(token).toBeTruthy();
    const placed = await call(aliceClient.client, 'place-order', { symbol: 'SOL/USDT', side: 'buy', quoteQuantity: '100', confirmationToken: token });
    expect(placed.isError, text(placed)).toBeFalsy();
    const order = (placed.structuredContent as { order: { id: string; status: string } }).order;
    expect(order.status).toBe('filled');
    for (const [name, args] of [
      ['get-portfolio', {}], ['get-balances', {}], ['get-positions', {}], ['get-trades', {}], ['get-performance', { period: 'day' }],
      ['list-portfolios', {}], ['list-orders', { status: 'all' }], ['get-order', { orderId: order.id }], ['get-risk-metrics', {}],
      ['get-risk-limits', {}], ['explain-order', { orderId: order.id }],
    ] as const) {
      const r = await call(aliceClient.client, name, args);
      expect(r.isError, `${name}: ${text(r)}`).toBeFalsy();
    }
    const explained = await call(aliceClient.client, 'explain-order', { orderId: order.id });
    expect(text(explained)).toMatch(/SOL/);
    const positions = await call(aliceClient.client, 'get-positions', {});
    expect(text(positions)).toMatch(/SOL\/USDT/);
  });

  it('place-order without a token answers with the card and a token, and places nothing', async () => {
    const before = await fingerprint();
    const r = await call(aliceClient.client, 'place-order', { symbol: 'ETH/USDT', side: 'buy', quantity: '0.01' });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/Confirmation required/);
    expect(text(r)).toMatch(/confirmationToken "([^"]+)"/);
    expect(await fingerprint(), 'nothing placed without confirmation').toBe(before);
  });

  it('a token is single-use and bound to its parameters', async () => {
    const args = { symbol: 'ETH/USDT', side: 'buy', quantity: '0.01' };
    const p = await call(aliceClient.client, 'preview-order', args);
    const token = (p.structuredContent as { confirmationToken: string }).confirmationToken;
    const other = await call(aliceClient.client, 'place-order', { ...args, quantity: '0.02', confirmationToken: token });
    expect(other.isError, 'a token for other parameters is refused').toBe(true);
    const ok = await call(aliceClient.client, 'place-order', { ...args, confirmationToken: token });
    expect(ok.isError, text(ok)).toBeFalsy();
    const again = await call(aliceClient.client, 'place-order', { ...args, confirmationToken: token, clientOrderId: 'second-try' });
    expect(again.isError, 'a used token is refused').toBe(true);
    const bobs = await call(bobClient.client, 'place-order', { ...args, confirmationToken: token });
    expect(bobs.isError, "another user's token is refused").toBe(true);
  });

  it('risk, alert and portfolio tools change what they say and nothing else', async () => {
    const limit = await call(aliceClient.client, 'set-risk-limit', { type: 'max_open_positions', value: '5' });
    expect(limit.isError, text(limit)).toBeFalsy();
    const halt = await call(aliceClient.client, 'halt-trading', { reason: 'test' });
    expect(halt.isError, text(halt)).toBeFalsy();
    const p = await call(aliceClient.client, 'preview-order', { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001' });
    expect(JSON.stringify(p), 'a halted account cannot open positions').toMatch(/halt/i);
    const resume = await call(aliceClient.client, 'resume-trading', {});
    expect(resume.isError, text(resume)).toBeFalsy();
    const created = await call(aliceClient.client, 'create-alert', { title: 'BTC moon', condition: { type: 'price_above', symbol: 'BTC/USDT', price: '1000000' } });
    expect(created.isError, text(created)).toBeFalsy();
    expect(text(created)).toContain('<untrusted-data source="alert title">BTC moon</untrusted-data>');
    const id = (created.structuredContent as { id: string }).id;
    expect(text(await call(aliceClient.client, 'list-alerts', {}))).toContain(id.slice(0, 8));
    const del = await call(aliceClient.client, 'delete-alert', { alertId: id });
    expect(del.isError, text(del)).toBeFalsy();
    const pf = await call(aliceClient.client, 'create-paper-portfolio', { name: 'Second', startingCash: '2500' });
    expect(pf.isError, text(pf)).toBeFalsy();
    const quiet = await call(aliceClient.client, 'set-notifications', { kind: 'fill', mode: 'silent' });
    expect((quiet.structuredContent as { preferences: Record<string, string> }).preferences.fill).toBe('silent');
    const half = await call(aliceClient.client, 'set-notifications', { kind: 'fill' });
    expect(half.isError, 'kind without mode is refused').toBe(true);
  });

  it('stop-loss, take-profits, close and close-all act on the position', async () => {
    const auto = await call(aliceClient.client, 'create-paper-portfolio', { name: 'Auto', startingCash: '10000', autoConfirm: true });
    const portfolioId = (auto.structuredContent as { id: string }).id;
    const buy = await call(aliceClient.client, 'place-order', { symbol: 'ETH/USDT', side: 'buy', quantity: '1', portfolioId });
    expect(buy.isError, `auto-confirm portfolio executes without a token: ${text(buy)}`).toBeFalsy();
    const price = ((await call(aliceClient.client, 'get-price', { symbols: ['ETH/USDT'] })).structuredContent as { prices: Array<{ price: string }> }).prices[0]!.price;
    const sl = await call(aliceClient.client, 'set-stop-loss', { symbol: 'ETH/USDT', price: (Number(price) * 0.8).toFixed(2), portfolioId });
    expect(sl.isError, text(sl)).toBeFalsy();
    const tp = await call(aliceClient.client, 'set-take-profits', { symbol: 'ETH/USDT', targets: [{ price: (Number(price) * 1.2).toFixed(2), fraction: '0.5' }, { price: (Number(price) * 1.4).toFixed(2), fraction: '0.5' }], portfolioId });
    expect(tp.isError, text(tp)).toBeFalsy();
    const half = await call(aliceClient.client, 'close-position', { symbol: 'ETH/USDT', fraction: '0.5', portfolioId });
    expect(half.isError, text(half)).toBeFalsy();
    const all = await call(aliceClient.client, 'close-all-positions', { portfolioId });
    expect(all.isError, text(all)).toBeFalsy();
    const open = await call(aliceClient.client, 'get-positions', { portfolioId });
    expect((open.structuredContent as { positions: unknown[] }).positions).toHaveLength(0);
  });

  it('a resting order can be amended and cancelled', async () => {
    const auto = await call(aliceClient.client, 'create-paper-portfolio', { name: 'Limits', startingCash: '10000', autoConfirm: true });
    const portfolioId = (auto.structuredContent as { id: string }).id;
    const price = ((await call(aliceClient.client, 'get-price', { symbols: ['BTC/USDT'] })).structuredContent as { prices: Array<{ price: string }> }).prices[0]!.price;
    const low = (Math.floor(Number(price) * 0.5 * 100) / 100).toFixed(2);
    const r = await call(aliceClient.client, 'place-order', { symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.01', price: low, portfolioId });
    expect(r.isError, text(r)).toBeFalsy();
    const id = (r.structuredContent as { order: { id: string; status: string } }).order.id;
    const lower = (Math.floor(Number(price) * 0.45 * 100) / 100).toFixed(2);
    const amend = await call(aliceClient.client, 'amend-order', { orderId: id, price: lower });
    expect(amend.isError, text(amend)).toBeFalsy();
    const cancel = await call(aliceClient.client, 'cancel-order', { orderId: id });
    expect(cancel.isError, text(cancel)).toBeFalsy();
    expect((cancel.structuredContent as { order: { status: string } }).order.status).toBe('cancelled');
  });
});

describe('identity and permissions', () => {
  it("another user's order is not found, and nothing changes", async () => {
    const mine = await call(aliceClient.client, 'list-orders', { status: 'all' });
    const orderId = (mine.structuredContent as { orders: Array<{ id: string }> }).orders[0]!.id;
    const before = await fingerprint();
    for (const name of ['get-order', 'cancel-order', 'explain-order']) {
      const r = await call(bobClient.client, name, { orderId });
      expect(r.isError, `${name} on another user's order`).toBe(true);
      expect(text(r)).toMatch(/not found/i);
    }
    expect(await fingerprint()).toBe(before);
  });

  it('a read-only key is denied every tool that needs more, with what is missing', async () => {
    const readOnly = await connect(bob, new Set<Permission>(['read:market']));
    const uuid = '00000000-0000-4000-8000-000000000000';
    const validArgs: Record<string, Record<string, unknown>> = {
      'preview-order': { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001' },
      'place-order': { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001' },
      'cancel-order': { orderId: uuid }, 'amend-order': { orderId: uuid, price: '1' }, 'get-order': { orderId: uuid }, 'explain-order': { orderId: uuid },
      'set-stop-loss': { symbol: 'BTC/USDT', price: '1' }, 'set-take-profits': { symbol: 'BTC/USDT', targets: [] },
      'set-risk-limit': { type: 'leverage', value: '2' }, 'create-alert': { condition: { type: 'price_above', symbol: 'BTC/USDT', price: '1' } },
      'delete-alert': { alertId: uuid }, 'create-paper-portfolio': { name: 'x' }, 'get-performance': { period: 'day' }, 'set-report-schedule': { schedule: 'daily' },
      'retrain-model': { symbol: 'BTC/USDT', horizon: '1h' }, 'get-backtest': { backtestId: '00000000' },
      'stake-tokens': { pool: 'flex', amount: '100' }, 'unstake-tokens': { stake: '00000000' }, 'mint-tokens': { amount: '1000' }, 'grant-tokens': { user: 'bob', amount: '10' },
      'create-staking-pool': { name: 'flex', apr: '0.1' }, 'close-staking-pool': { pool: 'flex' },
      'create-bot': { name: 'x', strategy: 'dca', params: { quoteAmount: '100' }, symbol: 'BTC/USDT', limits: { maxOrderNotional: '100', maxDailyNotional: '500' } },
      'start-bot': { botId: '00000000', approve: true }, 'pause-bot': { botId: '00000000' }, 'resume-bot': { botId: '00000000' }, 'stop-bot': { botId: '00000000' }, 'get-bot': { botId: '00000000' },
      'watch-wallet': { address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed' }, 'unwatch-wallet': { wallet: 'whale' }, 'get-wallet-card': { wallet: 'whale' },
      'share-wallet': { wallet: 'whale' }, 'unshare-wallet': { wallet: 'whale' }, 'follow-community-wallet': { wallet: 'whale' },
      'create-competition': { name: 'x' }, 'cancel-competition': { competition: 'x' },
    };
    const before = await fingerprint();
    for (const tool of TOOLS) {
      if (tool.permission === null || tool.permission === 'read:market') continue;
      const r = await call(readOnly.client, tool.name, validArgs[tool.name] ?? {});
      expect(r.isError, `${tool.name} must be denied`).toBe(true);
      expect(text(r)).toContain(`lacks "${tool.permission}"`);
    }
    const eq = await call(readOnly.client, 'get-chart', { kind: 'equity' });
    expect(text(eq)).toMatch(/read:portfolio/);
    expect(await fingerprint(), 'denied calls change nothing').toBe(before);
    await readOnly.close();
  });
});

describe('bad input changes nothing', () => {
  const nasty = fc.oneof(
    fc.constant(-1), fc.constant(0), fc.constant(Number.NaN), fc.constant('NaN'), fc.constant('1e400'), fc.constant('-5'), fc.constant(''),
    fc.constant('x'.repeat(5000)), fc.constant("'; DROP TABLE orders; --"), fc.constant('<script>alert(1)</script>'), fc.constant({ a: 1 }),
    fc.constant([1, 2]), fc.constant(true), fc.constant(null), fc.constant('ZZZNOTASYMBOL'), fc.constant('0.000000000000000000001'),
  );

  it('every tool answers malformed arguments with isError and a message', async () => {
    const writing = TOOLS.filter((t) => !t.annotations.readOnlyHint);
    const before = await fingerprint();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writing.map((t) => t.name)), fc.constantFrom('symbol', 'quantity', 'price', 'orderId', 'condition', 'value', 'type', 'name', 'startingCash', 'alertId', 'fraction', 'targets', 'side', 'leverage'), nasty, async (name, field, value) => {
        const base: Record<string, unknown> = { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001', type: 'market' };
        const r = await call(aliceClient.client, name, { ...base, [field]: value, ...(name === 'place-order' || name.startsWith('close') ? {} : {}) });
        if (!r.isError) return true; // the field may be irrelevant to this tool; then it must not have moved money (checked below)
        expect(text(r).length, `${name} explains the refusal`).toBeGreaterThan(10);
        return true;
      }),
      { numRuns: 120, seed: 7 },
    );
    // Writing tools without a token never moved money; only analyses and previews may have been stored.
    expect(await fingerprint(), 'no order, fill, balance, alert, limit or portfolio changed').toBe(before);
    // A random halt-trading call with valid arguments is a legitimate halt: lift it, so the tests after
    // this one start from an account that trades (which calls run depends on the catalogue's size).
    expect((await call(aliceClient.client, 'resume-trading', {})).isError).toBeFalsy();
  });

  it.each([
    ['preview-order', { symbol: 'BTC/USDT', side: 'buy', quantity: '0' }, /greater than zero|must be/i],
    ['preview-order', { symbol: 'BTC/USDT', side: 'buy', quantity: '-1' }, /negative|greater than zero/i],
    ['preview-order', { symbol: 'BTC/USDT', side: 'buy', quantity: 'NaN' }, /decimal|number/i],
    ['preview-order', { symbol: 'BTC/USDT', side: 'buy', quantity: '1e400' }, /too large|decimal/i],
    ['preview-order', { symbol: 'SOLUSD', side: 'buy', quantity: '1' }, /did you mean/i],
    ['preview-order', { symbol: 'BTC/USDT', side: 'buy', quantity: '0.0000001' }, /step|minimum|decimals/i],
    ['preview-order', { symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01', price: '50000' }, /market order/i],
    ['preview-order', { symbol: 'BTC/USDT', side: 'buy', type: 'stop', quantity: '0.01' }, /stopPrice|trigger/i],
    ['preview-order', { symbol: 'BTC-PERP', side: 'buy', quantity: '0.01', leverage: '500' }, /leverage/i],
    ['get-candles', { symbol: 'BTC/USDT', timeframe: '7m' }, /timeframe must be one of/],
    ['create-alert', { condition: { type: 'price_above', symbol: 'BTC/USDT' } }, /price/],
    ['get-chart', { kind: 'candles' }, /needs a symbol/],
  ])('%s %j → a clear message', async (name, args, message) => {
    const before = await fingerprint();
    const r = await call(aliceClient.client, name, args);
    expect(r.isError, `${name} ${JSON.stringify(args)} must be refused`).toBe(true);
    expect(text(r)).toMatch(message);
    expect(await fingerprint()).toBe(before);
  });
});

describe('resources', () => {
  it('a subscriber is told when a fill changes the portfolio', async () => {
    const sub = await connect(alice, 'all');
    const updated: string[] = [];
    sub.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
    });
    await sub.client.subscribeResource({ uri: 'mikey://portfolio' });
    await sub.client.subscribeResource({ uri: 'mikey://positions' });
    const args = { symbol: 'BNB/USDT', side: 'buy', quantity: '0.1' };
    const p = await call(aliceClient.client, 'preview-order', args);
    const r = await call(aliceClient.client, 'place-order', { ...args, confirmationToken: (p.structuredContent as { confirmationToken: string }).confirmationToken });
    expect(r.isError, `${text(p)}\n${text(r)}`).toBeFalsy();
    for (let i = 0; i < 50 && updated.length < 2; i++) await new Promise((res) => setTimeout(res, 20));
    expect(updated).toContain('mikey://portfolio');
    expect(updated).toContain('mikey://positions');
    const doc = await sub.client.readResource({ uri: 'mikey://positions' });
    expect(JSON.stringify(doc)).toContain('BNB/USDT');
    // Bob's subscription hears nothing of Alice's fills.
    await sub.close();
  });
});
