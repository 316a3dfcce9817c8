// Roles are enforced in the services, so every surface gets them (reliability 27): a viewer changes
// nothing — through the in-process MCP client (what MCP over stdio and every chat surface use), the
// offline chat brain and MCP over HTTP with a key that has write:orders — a trader trades, only an
// admin manages users and other people's keys, and a disabled user is refused on every surface.
// Roles are read from the database on every call, so a demotion or a disable bites on the next one.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext } from '../../src/bot/chat-types.js';
import { queryRows } from '../../src/db/client.js';
import { startMcpHttpServer, type McpHttpServer } from '../../src/mcp/http.js';
import { connectInProcess, type InProcessClient } from '../../src/mcp/in-process.js';
import { actorFor } from '../../src/services/actor.js';
import { createApiKey, revokeApiKey, type Permission } from '../../src/services/api-keys.js';
import { addExchangeCredentials } from '../../src/services/credentials.js';
import { createLinkCode } from '../../src/services/link-codes.js';
import { setNotificationPreference } from '../../src/services/notification-preferences.js';
import { createUser, ensureLocalOwner, getUser, setUserActive, setUserRole, type User } from '../../src/services/users.js';
import { CATALOGUE, TOOLS } from '../../src/tools/index.js';
import { createTestApp, type TestApp } from '../support/app.js';

type Result = { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent?: Record<string, unknown> };
const text = (r: Result): string => r.content.map((c) => c.text ?? '').join('\n');

let app: TestApp;
let admin: User;
let trader: User;
let viewer: User;
let http: McpHttpServer;
const open: InProcessClient[] = [];

async function session(user: User, permissions: Set<Permission> | 'all' = 'all'): Promise<InProcessClient> {
  const c = await connectInProcess(app.services, { actor: { userId: user.id, surface: 'mcp-stdio' }, permissions }, CATALOGUE);
  open.push(c);
  return c;
}

async function call(c: InProcessClient | Client, name: string, args: Record<string, unknown> = {}): Promise<Result> {
  const client = 'client' in c ? c.client : c;
  return (await client.callTool({ name, arguments: args })) as Result;
}

/** Everything a refused call must leave untouched. */
async function fingerprint(): Promise<string> {
  const rows = await queryRows<Record<string, unknown>>(
    app.database.db,
    sql`SELECT (SELECT count(*) FROM orders) o, (SELECT count(*) FROM trades) t, (SELECT count(*) FROM ledger_entries) l,
               (SELECT count(*) FROM positions) p, (SELECT count(*) FROM alert_rules) a, (SELECT count(*) FROM risk_limits) r,
               (SELECT count(*) FROM portfolios) pf, (SELECT count(*) FROM confirmation_tokens) ct, (SELECT count(*) FROM notification_preferences) np,
               (SELECT count(*) FROM api_keys) k, (SELECT count(*) FROM portfolios WHERE trading_halted) h,
               (SELECT string_agg(coalesce(trading_preferences::text, ''), ',' ORDER BY id) FROM users) prefs,
               (SELECT coalesce(sum(free + locked), 0)::text FROM balances) b`,
  );
  return JSON.stringify(rows[0]);
}

const ORDER_ID = '00000000-0000-4000-8000-000000000001';

/**
 * One valid call of every tool that can change something. Valid, so the refusal is the role's and
 * not the input's. `analyze-market` and `get-prediction` are absent on purpose: they only record an
 * analysis or a prediction of public market data, which a viewer (and the public guest account) may ask for.
 */
const WRITE_CALLS: Record<string, Record<string, unknown>> = {
  'preview-order': { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001' },
  'place-order': { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001', confirmationToken: 'ct_0000000000000000' },
  'cancel-order': { orderId: ORDER_ID },
  'amend-order': { orderId: ORDER_ID, price: '100' },
  'close-position': { symbol: 'BTC/USDT' },
  'close-all-positions': {},
  'set-stop-loss': { symbol: 'BTC/USDT', price: '100' },
  'set-take-profits': { symbol: 'BTC/USDT', targets: [{ price: '200000', fraction: '1' }] },
  'create-paper-portfolio': { name: 'viewer tries' },
  'set-risk-limit': { type: 'max_open_positions', value: '3' },
  'halt-trading': { reason: 'viewer tries' },
  'resume-trading': {},
  'create-alert': { condition: { type: 'price_above', symbol: 'BTC/USDT', price: '1000000' } },
  'delete-alert': { alertId: ORDER_ID },
  'set-report-schedule': { schedule: 'daily' },
  'set-notifications': { kind: 'fill', mode: 'silent' },
  // Admin only; a viewer is refused as a viewer (a trader as not an admin: test/tools/predict).
  'retrain-model': { symbol: 'BTC/USDT', horizon: '1h' },
  'mint-tokens': { amount: '1000' },
  'grant-tokens': { user: 'tess', amount: '10' },
  'create-staking-pool': { name: 'viewer pool', apr: '0.1' },
  'close-staking-pool': { pool: 'viewer pool' },
  // The platform token: a viewer neither stakes nor claims (a trader is refused the admin ones: test/tools/tools-with-state).
  'stake-tokens': { pool: 'flex', amount: '100' },
  'unstake-tokens': { stake: ORDER_ID },
  'claim-rewards': {},
  // Bots trade for their owner: a viewer creates, starts or changes none.
  'create-bot': { name: 'viewer bot', strategy: 'dca', params: { quoteAmount: '100' }, symbol: 'BTC/USDT', limits: { maxOrderNotional: '100', maxDailyNotional: '500' } },
  'start-bot': { botId: ORDER_ID, approve: true },
  'pause-bot': { botId: ORDER_ID },
  'resume-bot': { botId: ORDER_ID },
  'stop-bot': { botId: ORDER_ID },
  // Watch lists are the user's own: a viewer keeps none.
  'watch-wallet': { address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed' },
  'unwatch-wallet': { wallet: 'whale' },
  // Shared community watchlists: a viewer neither shares, unshares nor follows.
  'share-wallet': { wallet: 'whale' },
  'unshare-wallet': { wallet: 'whale' },
  'follow-community-wallet': { wallet: 'whale' },
  // Community leaderboards and competitions: a viewer neither opts in nor runs or enters one.
  'join-leaderboard': {},
  'leave-leaderboard': {},
  'create-competition': { name: 'viewer cup' },
  'join-competition': {},
  'cancel-competition': { competition: 'viewer cup' },
};

const VIEWER_REFUSAL = /role is viewer, which can only read/;

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' });
  admin = await createUser(app.database.db, { username: 'root', role: 'admin' });
  trader = await createUser(app.database.db, { username: 'tess', role: 'trader' });
  viewer = await createUser(app.database.db, { username: 'vic', role: 'viewer' });
  http = await startMcpHttpServer(app.services, CATALOGUE, { host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  for (const c of open) await c.close().catch(() => undefined);
  await http?.close();
  await app?.close();
});

describe('a viewer changes nothing', () => {
  it('covers every tool that can change something', () => {
    const writers = TOOLS.filter((t) => !t.annotations.readOnlyHint && t.name !== 'analyze-market' && t.name !== 'backtest-strategy' && t.name !== 'sweep-strategy' && t.name !== 'get-prediction').map((t) => t.name).sort();
    expect(Object.keys(WRITE_CALLS).sort(), 'a new write tool must be added here, with its refusal').toEqual(writers);
  });

  it('is refused every write tool through the in-process MCP client (stdio, terminal, Telegram, Discord)', async () => {
    const c = await session(viewer);
    await call(c, 'get-portfolio'); // reading may provision the default paper portfolio: before the fingerprint
    const before = await fingerprint();
    for (const [tool, args] of Object.entries(WRITE_CALLS)) {
      const r = await call(c, tool, args);
      expect(r.isError, `${tool} must be refused for a viewer`).toBe(true);
      expect(text(r), `${tool}: the refusal names the role and how to get another`).toMatch(VIEWER_REFUSAL);
      expect(text(r), `${tool}: the refusal says who can help`).toMatch(/ask an admin/);
    }
    expect(await fingerprint(), 'refused calls changed nothing').toBe(before);
    const read = await call(c, 'get-portfolio');
    expect(read.isError, 'a viewer still reads').toBeFalsy();
    const analysis = await call(c, 'get-price', { symbols: ['BTC/USDT'] });
    expect(analysis.isError, 'a viewer still reads market data').toBeFalsy();
  });

  it('is refused through the offline chat brain, in words, and nothing is ordered', async () => {
    const handler = createChatHandler(app.config, app.services, { catalogue: CATALOGUE });
    try {
      const ctx: ChatContext = { platform: 'telegram', user: viewer, chatId: 'viewer-dm', isGroup: false };
      const before = await fingerprint();
      const buy = await handler.handleText(ctx, 'buy 0.01 btc');
      expect(buy.text, 'the chat says why').toMatch(VIEWER_REFUSAL);
      expect(buy.confirmation, 'no trade card for a viewer').toBeUndefined();
      const alert = await handler.handleText(ctx, 'alert me when btc is above 1000000');
      expect(alert.text).toMatch(VIEWER_REFUSAL);
      expect(await fingerprint(), 'nothing changed from chat').toBe(before);
      const price = await handler.handleText(ctx, 'price btc');
      expect(price.text, 'a viewer still asks for prices in chat').toMatch(/BTC/);
    } finally {
      await handler.close();
    }
  });

  it('is refused over HTTP even with an API key that has write:orders', async () => {
    const { key } = await createApiKey(app.database.db, actorFor(admin.id, 'cli'), {
      userId: viewer.id, permissions: ['read:market', 'read:portfolio', 'write:orders', 'write:alerts'], ratePerMinute: 1000, expiresInMs: null,
    });
    const client = new Client({ name: 'roles-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    try {
      const before = await fingerprint();
      for (const tool of ['preview-order', 'place-order', 'close-all-positions', 'create-alert', 'halt-trading']) {
        const r = await call(client, tool, WRITE_CALLS[tool]);
        expect(r.isError, `${tool} over HTTP must be refused for a viewer`).toBe(true);
        expect(text(r), tool).toMatch(VIEWER_REFUSAL);
      }
      expect(await fingerprint(), 'nothing changed over HTTP').toBe(before);
    } finally {
      await client.close();
    }
  });

  it('is refused by the services themselves, whatever surface built the actor', async () => {
    const a = actorFor(viewer.id, 'cli');
    await expect(app.services.trading.placeOrder(a, { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001' })).rejects.toThrow(VIEWER_REFUSAL);
    await expect(app.services.risk.haltTrading(a, {})).rejects.toThrow(VIEWER_REFUSAL);
    await expect(app.services.reports.setSchedule(a, 'daily')).rejects.toThrow(VIEWER_REFUSAL);
    await expect(setNotificationPreference(app.database.db, a, 'fill', 'off')).rejects.toThrow(VIEWER_REFUSAL);
    await expect(createApiKey(app.database.db, a, { userId: viewer.id, permissions: ['read:market'], ratePerMinute: 5, expiresInMs: null })).rejects.toThrow(VIEWER_REFUSAL);
    await expect(addExchangeCredentials(app.database.db, app.services.secretKey, a, { exchange: 'binance', apiKey: 'k'.repeat(20), apiSecret: 's'.repeat(20) }), 'no live-trading keys for a viewer').rejects.toThrow(VIEWER_REFUSAL);
  });
});

describe('a trader trades; an admin manages users and other people\'s keys', () => {
  it('lets a trader preview and place an order, create an alert and set notifications', async () => {
    const c = await session(trader);
    const preview = await call(c, 'preview-order', WRITE_CALLS['preview-order']);
    expect(preview.isError, text(preview)).toBeFalsy();
    const token = (preview.structuredContent as { confirmationToken: string }).confirmationToken;
    const placed = await call(c, 'place-order', { ...WRITE_CALLS['preview-order'], confirmationToken: token });
    expect(placed.isError, text(placed)).toBeFalsy();
    expect((await call(c, 'create-alert', WRITE_CALLS['create-alert'])).isError).toBeFalsy();
    expect((await call(c, 'set-notifications', WRITE_CALLS['set-notifications'])).isError).toBeFalsy();
  });

  it('a demotion bites on the very next call of an open session, and a promotion too', async () => {
    const dana = await createUser(app.database.db, { username: 'dana', role: 'trader' });
    const c = await session(dana);
    expect((await call(c, 'create-alert', WRITE_CALLS['create-alert'])).isError, 'a trader creates alerts').toBeFalsy();
    await setUserRole(app.database.db, actorFor(admin.id, 'cli'), 'dana', 'viewer');
    const refused = await call(c, 'create-alert', WRITE_CALLS['create-alert']);
    expect(refused.isError, 'the session opened as a trader is a viewer now').toBe(true);
    expect(text(refused)).toMatch(VIEWER_REFUSAL);
    await setUserRole(app.database.db, actorFor(admin.id, 'cli'), 'dana', 'trader');
    expect((await call(c, 'create-alert', WRITE_CALLS['create-alert'])).isError, 'promoted again').toBeFalsy();
  });

  it('only an admin changes roles, creates users, or creates and revokes other people\'s API keys', async () => {
    const t = actorFor(trader.id, 'cli');
    await expect(setUserRole(app.database.db, t, 'vic', 'admin'), 'a trader cannot promote anyone').rejects.toThrow(/needs the admin role; your role is trader/);
    await expect(setUserActive(app.database.db, t, 'vic', false)).rejects.toThrow(/needs the admin role/);
    await expect(createUser(app.database.db, { username: 'sneaky' }, t)).rejects.toThrow(/needs the admin role/);
    await expect(createApiKey(app.database.db, t, { userId: viewer.id, permissions: ['admin'], ratePerMinute: 5, expiresInMs: null }), 'nor mint keys for others').rejects.toThrow(/needs the admin role/);
    const own = await createApiKey(app.database.db, t, { userId: trader.id, permissions: ['read:market'], ratePerMinute: 5, expiresInMs: null });
    expect(own.row.userId, 'a trader manages its own keys').toBe(trader.id);
    const viewersKey = await createApiKey(app.database.db, actorFor(admin.id, 'cli'), { userId: viewer.id, permissions: ['read:market'], ratePerMinute: 5, expiresInMs: null });
    await expect(revokeApiKey(app.database.db, t, viewersKey.row.id, { asAdmin: true }), 'claiming to be an admin is not being one').rejects.toThrow(/not found/);
    const revoked = await revokeApiKey(app.database.db, actorFor(admin.id, 'cli'), viewersKey.row.id, { asAdmin: true });
    expect(revoked.revokedAt, 'an admin revokes anyone\'s key').not.toBeNull();
    const made = await createUser(app.database.db, { username: 'newbie', role: 'viewer' }, actorFor(admin.id, 'cli'));
    expect(made.role).toBe('viewer');
  });
});

describe('a disabled user is refused on every surface', () => {
  let eve: User;
  let eveKey: string;
  let eveSession: InProcessClient;
  beforeAll(async () => {
    eve = await createUser(app.database.db, { username: 'eve', role: 'trader' });
    eveKey = (await createApiKey(app.database.db, actorFor(eve.id, 'cli'), { userId: eve.id, permissions: ['read:market', 'read:portfolio', 'write:orders'], ratePerMinute: 1000, expiresInMs: null })).key;
    eveSession = await session(eve);
    expect((await call(eveSession, 'get-portfolio')).isError, 'eve works before she is disabled').toBeFalsy();
    await setUserActive(app.database.db, actorFor(admin.id, 'cli'), 'eve', false);
    expect((await getUser(app.database.db, eve.id)).isActive).toBe(false);
  });

  it('in an MCP session opened before the disable (stdio, in-process), reads included', async () => {
    for (const [tool, args] of [['get-portfolio', {}], ['get-price', { symbols: ['BTC/USDT'] }], ['create-alert', WRITE_CALLS['create-alert']!]] as const) {
      const r = await call(eveSession, tool, args);
      expect(r.isError, `${tool} must be refused to a disabled user`).toBe(true);
      expect(text(r), tool).toMatch(/Your MIKEY user "eve" is disabled/);
    }
  });

  it('where the terminal, MCP over stdio and the CLI authenticate (the local owner)', async () => {
    await expect(ensureLocalOwner(app.database.db, 'eve')).rejects.toThrow(/"eve" is disabled/);
  });

  it('in chat: the identity is linked, but the conversation answers only with the refusal', async () => {
    const handler = createChatHandler(app.config, app.services, { catalogue: CATALOGUE });
    try {
      const ctx: ChatContext = { platform: 'discord', user: eve, chatId: 'eve-dm', isGroup: false };
      const r = await handler.handleText(ctx, 'price btc');
      expect(r.text).toMatch(/Your MIKEY user "eve" is disabled/);
      expect(r.visibility, 'said privately').toBe('private');
      const confirm = await handler.handleConfirmation(ctx, 'ct_whatever', 'yes');
      expect(confirm.text).toMatch(/is disabled/);
    } finally {
      await handler.close();
    }
  });

  it('over HTTP with her API key', async () => {
    const client = new Client({ name: 'roles-test', version: '1' });
    const connected = client
      .connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${eveKey}` } } }))
      .then(async () => call(client, 'get-portfolio'));
    await expect(connected, 'the key of a disabled user opens nothing').rejects.toThrow(/disabled/);
    await client.close().catch(() => undefined);
  });

  it('cannot get a link code for chat, and an admin can enable her again', async () => {
    await expect(createLinkCode(app.database.db, actorFor(eve.id, 'cli'))).rejects.toThrow(/is disabled/);
    await setUserActive(app.database.db, actorFor(admin.id, 'cli'), 'eve', true);
    expect((await call(eveSession, 'get-portfolio')).isError, 'enabled again: the same session works on the next call').toBeFalsy();
  });
});
