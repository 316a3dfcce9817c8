// `mikey portfolio create|list|shadow`: the one door to live trading. A live portfolio needs an
// exchange account whose keys passed their check, and the operator's opt-in (typing the name back at
// a terminal, or --i-understand-live-trading without one); it opens with the venue's balances.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli-types.js';
import { runCommand } from '../src/cli.js';
import { portfolios } from '../src/db/schema/index.js';
import { ccxtCredentialValidator } from '../src/exchange-commands.js';
import { parseCreateArgs } from '../src/portfolio-commands.js';
import { actorFor } from '../src/services/actor.js';
import { addExchangeAccount } from '../src/services/exchange-accounts.js';
import { ensureLocalOwner } from '../src/services/users.js';
import { startFakeExchange, type FakeExchange } from './fakes/exchange-server.js';
import { createTestApp, type TestApp } from './support/app.js';

const KEY = 'portfolioCliKey-0123456789';
const SECRET = 'portfolioCliSecret-0123456789';
let fake: FakeExchange;
let app: TestApp;
let accountId: string;

async function run(...argv: string[]): Promise<{ code: number; text: string; errors: string }> {
  const logs: string[] = [];
  const errors: string[] = [];
  const code = await runCommand(app, argv, { log: (s) => logs.push(s), error: (s) => errors.push(s) });
  return { code, text: logs.join('\n'), errors: errors.join('\n') };
}

beforeAll(async () => {
  fake = await startFakeExchange({ accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '750', ETH: '0.25' } }] });
  app = await createTestApp({ MIKEY_EXCHANGE_URL: fake.url });
  const owner = await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
  const added = await addExchangeAccount(app.database.db, app.services.secretKey, actorFor(owner.id, 'cli'), { exchange: 'binance', label: 'main', sandbox: true }, { apiKey: KEY, secret: SECRET }, await ccxtCredentialValidator(app.config));
  accountId = added.id;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('portfolio create arguments', () => {
  it('needs a name, an exchange account for live, and no cash for live', () => {
    expect(() => parseCreateArgs([])).toThrow(UsageError);
    expect(() => parseCreateArgs(['--live', '--name', 'X'])).toThrow(/--exchange-account/);
    expect(() => parseCreateArgs(['--name', 'X', '--exchange-account', 'abcd'])).toThrow(/add --live/);
    expect(() => parseCreateArgs(['--live', '--name', 'X', '--exchange-account', 'abcd', '--cash', '5'])).toThrow(/--cash is for paper/);
    expect(() => parseCreateArgs(['--name', 'X', '--api-key', 'k'])).toThrow(/no option "--api-key"/);
    expect(parseCreateArgs(['--live', '--name', ' Main ', '--exchange-account', 'abcd', '--i-understand-live-trading'])).toEqual({ name: 'Main', live: true, optedIn: true, exchangeAccount: 'abcd' });
  });
});

describe('mikey portfolio', () => {
  it('creates a paper portfolio', async () => {
    const r = await run('portfolio', 'create', '--name', 'Swing', '--cash', '5000');
    expect(r.code, r.errors).toBe(0);
    expect(r.text).toMatch(/^Created paper portfolio "Swing" \([0-9a-f]{8}\)\.$/);
  });

  it('refuses a live portfolio without the opt-in and creates nothing', async () => {
    const r = await run('portfolio', 'create', '--live', '--name', 'Binance', '--exchange-account', accountId.slice(0, 8));
    expect(r.code).toBe(2);
    expect(r.errors).toMatch(/type its name back.*--i-understand-live-trading/);
    expect(await app.database.db.select().from(portfolios).where(eq(portfolios.name, 'Binance'))).toHaveLength(0);
  });

  it('creates a live portfolio with the venue balances, its limits and a shadow', async () => {
    const r = await run('portfolio', 'create', '--live', '--name', 'Binance', '--exchange-account', accountId.slice(0, 8), '--i-understand-live-trading');
    expect(r.code, r.errors).toBe(0);
    expect(r.text).toMatch(/Created LIVE portfolio "Binance" \([0-9a-f]{8}\) on binance testnet\./);
    expect(r.text).toContain('Opening balances from the exchange: 0.25 ETH, 750 USDT.');
    expect(r.text).toMatch(/at most 100 USDT per position, 3x leverage/);
    expect(r.text).toMatch(/paper shadow "Binance \(shadow\)"/);
    const again = await run('portfolio', 'create', '--live', '--name', 'Binance 2', '--exchange-account', accountId.slice(0, 8), '--i-understand-live-trading');
    expect(again.code).toBe(1);
    expect(again.errors).toMatch(/already trade for another live portfolio/);
  });

  it('lists paper and LIVE portfolios and shows the shadow comparison', async () => {
    const list = await run('portfolio', 'list');
    expect(list.code, list.errors).toBe(0);
    expect(list.text).toMatch(/Binance\s+LIVE\s+binance/);
    expect(list.text).toMatch(/Binance \(shadow\)\s+paper/);
    const [live] = await app.database.db.select().from(portfolios).where(eq(portfolios.name, 'Binance'));
    const shadow = await run('portfolio', 'shadow', live!.id.slice(0, 8));
    expect(shadow.code, shadow.errors).toBe(0);
    expect(shadow.text).toMatch(/^🔴 LIVE "Binance" against its 📝 paper shadow, last 0 orders/);
    expect(shadow.text).toContain('No live orders yet.');
    const paper = await run('portfolio', 'shadow', (await app.database.db.select().from(portfolios).where(eq(portfolios.name, 'Swing')))[0]!.id.slice(0, 8));
    expect(paper.code).toBe(1);
    expect(paper.errors).toMatch(/paper portfolio; only live portfolios have a shadow/);
  });
});
