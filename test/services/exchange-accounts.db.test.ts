// Exchange accounts against the fake Binance through the real ccxt client (the same validator the CLI
// wires): a key the venue accepts is stored sealed and valid; a key it refuses, or a check it never
// answers, stores nothing and says which; test re-checks and records the verdict; remove refuses while
// a live portfolio still has open orders or positions; another user's ids are "not found".
import { createServer } from 'node:net';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { auditLogs, exchangeCredentials, orders, portfolios, positions } from '../../src/db/schema/index.js';
import { ccxtCredentialValidator } from '../../src/exchange-commands.js';
import { actorFor } from '../../src/services/actor.js';
import { decryptExchangeCredentials } from '../../src/services/credentials.js';
import {
  addExchangeAccount,
  listExchangeAccounts,
  removeExchangeAccount,
  testExchangeAccount,
  type CredentialValidator,
} from '../../src/services/exchange-accounts.js';
import { secretKeyFromString } from '../../src/services/secret-box.js';
import { createUser, type User } from '../../src/services/users.js';
import { startFakeExchange, type FakeExchange } from '../fakes/exchange-server.js';
import { createTestDatabase } from '../support/db.js';
import { failure } from '../support/errors.js';

const key = secretKeyFromString('ab'.repeat(32));
const GOOD = { apiKey: 'fakeKeyAlice0123456789', secret: 'fakeSecretAlice-canary-9876543210' };
const FUTURES = { apiKey: 'fakeKeyFutures0123456789', secret: 'fakeSecretFutures-canary-0001' };
const REMOVE_ME = { apiKey: 'fakeKeyRemove0123456789', secret: 'fakeSecretRemove-canary-0002' };
const SECRETS = [GOOD.apiKey, GOOD.secret, FUTURES.apiKey, FUTURES.secret, REMOVE_ME.apiKey, REMOVE_ME.secret];

let database: Database;
let alice: User;
let bob: User;
let viewer: User;
let fake: FakeExchange;
/** Knows no key at all: every signed request is refused. */
let stranger: FakeExchange;
let validate: CredentialValidator;
let refusing: CredentialValidator;
let unreachable: CredentialValidator;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  database = await createTestDatabase();
  alice = await createUser(database.db, { username: 'alice' });
  bob = await createUser(database.db, { username: 'bob' });
  viewer = await createUser(database.db, { username: 'vera', role: 'viewer' });
  fake = await startFakeExchange({
    accounts: [
      { ...GOOD, spot: { USDT: '1000', BTC: '0.5' } },
      { ...FUTURES, futures: { USDT: '2500' } },
      { ...REMOVE_ME, spot: { USDT: '10' } },
    ],
  });
  stranger = await startFakeExchange();
  validate = await ccxtCredentialValidator({ MIKEY_EXCHANGE_URL: fake.url });
  refusing = await ccxtCredentialValidator({ MIKEY_EXCHANGE_URL: stranger.url });
  unreachable = await ccxtCredentialValidator({ MIKEY_EXCHANGE_URL: `http://127.0.0.1:${await closedPort()}` });
});
afterAll(async () => {
  await fake?.close();
  await stranger?.close();
  await database?.close();
});

async function rowCount(userId: string): Promise<number> {
  return (await database.db.select().from(exchangeCredentials).where(eq(exchangeCredentials.userId, userId))).length;
}

function expectNoSecret(what: string, text: string): void {
  for (const s of SECRETS) expect(text, `${what} never contains a key or secret`).not.toContain(s);
}

describe('exchange accounts', () => {
  let spotId: string;

  it('adds a key the venue accepts: sealed, valid, checked now, with the balances the venue showed', async () => {
    const now = new Date('2026-12-06T09:00:00Z');
    const added = await addExchangeAccount(database.db, key, actorFor(alice.id, 'cli'), { exchange: 'Binance', label: 'main', sandbox: true }, GOOD, validate, { now: () => now });
    spotId = added.id;
    expect(added).toMatchObject({ exchange: 'binance', label: 'main', sandbox: true, accountType: 'spot', isValid: true, lastError: null, portfolio: null });
    expect(added.lastCheckedAt?.toISOString()).toBe(now.toISOString());
    expect(added.balances.map((b) => `${b.asset} ${b.free}`), 'what the signed balance request returned').toEqual(['BTC 0.5', 'USDT 1000']);
    const signed = fake.requests.filter((r) => r.path === '/api/v3/account');
    expect(signed.length, 'exactly one signed call checked the key').toBe(1);
    expect(signed[0]!.headers['x-mbx-apikey'], 'signed with the key given').toBe(GOOD.apiKey);

    const rows = await database.db.select().from(exchangeCredentials).where(eq(exchangeCredentials.id, spotId));
    expectNoSecret('the stored row', JSON.stringify(rows));
    expect(rows[0]).toMatchObject({ isValid: true, sandbox: true, accountType: 'spot', lastError: null });
    const opened = await decryptExchangeCredentials(database.db, key, alice.id, spotId);
    expect(opened, 'the sealed secrets open to what was given').toEqual({ apiKey: GOOD.apiKey, apiSecret: GOOD.secret });
    const audit = await database.db.select().from(auditLogs).where(eq(auditLogs.entityId, spotId));
    expect(audit.map((a) => a.action)).toEqual(['exchange_account.add']);
    expectNoSecret('the audit trail', JSON.stringify(audit));
  });

  it('adds a futures key, checked against the futures wallet', async () => {
    const added = await addExchangeAccount(database.db, key, actorFor(alice.id, 'cli'), { exchange: 'binance', label: 'perps', accountType: 'futures' }, FUTURES, validate);
    expect(added).toMatchObject({ accountType: 'futures', sandbox: false, isValid: true });
    expect(added.balances.map((b) => `${b.asset} ${b.free}`)).toEqual(['USDT 2500']);
  });

  it('refuses a key the venue rejects, stores nothing, and says why in the venue\'s words', async () => {
    const before = await rowCount(bob.id);
    const auditBefore = (await database.db.select().from(auditLogs)).length;
    const unknownKey = await failure(addExchangeAccount(database.db, key, actorFor(bob.id, 'cli'), { exchange: 'binance' }, { apiKey: 'nobodysKey12345', secret: 'nobodysSecret-canary' }, validate));
    expect(unknownKey.code).toBe('rejected');
    expect(unknownKey.message).toBe('Binance refused the key: Invalid API-key, IP, or permissions for action. Nothing was stored.');
    expect(unknownKey.hint).toMatch(/IP whitelist.*--sandbox/);
    const wrongSecret = await failure(addExchangeAccount(database.db, key, actorFor(bob.id, 'cli'), { exchange: 'binance', sandbox: true }, { apiKey: GOOD.apiKey, secret: 'notTheSecret-canary' }, validate));
    expect(wrongSecret.message).toBe('Binance testnet refused the key: Signature for this request is not valid. Nothing was stored.');
    expect(`${unknownKey.message} ${unknownKey.hint} ${wrongSecret.message}`, 'the refusal never repeats what was typed').not.toMatch(/canary|nobodysKey/);
    expect(await rowCount(bob.id), 'a refused key is not stored').toBe(before);
    expect((await database.db.select().from(auditLogs)).length, 'a refusal changes nothing, so it writes no audit row').toBe(auditBefore);
  });

  it('refuses when the venue cannot be reached: nothing stored, and it says the venue did not answer', async () => {
    const before = await rowCount(bob.id);
    const err = await failure(addExchangeAccount(database.db, key, actorFor(bob.id, 'cli'), { exchange: 'binance' }, { apiKey: 'bobKey123456789', secret: 'bobSecret-canary-1' }, unreachable));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/^Binance could not be reached to check the key \(.+\)\. Nothing was stored\.$/);
    expect(err.message).not.toMatch(/refused/);
    expect(await rowCount(bob.id)).toBe(before);
  });

  it('refuses an exchange ccxt does not know, before any request, storing nothing', async () => {
    const before = fake.requests.length;
    const err = await failure(addExchangeAccount(database.db, key, actorFor(bob.id, 'cli'), { exchange: 'notavenue' }, { apiKey: 'bobKey123456789', secret: 'bobSecret-canary-1' }, validate));
    expect([err.code, err.message]).toEqual(['invalid_input', '"notavenue" is not an exchange MIKEY can reach (ccxt does not know it); nothing was stored']);
    expect(fake.requests.length, 'no request was sent').toBe(before);
    expect(await rowCount(bob.id)).toBe(0);
  });

  it('refuses the same key twice, naming the account that has it', async () => {
    const err = await failure(addExchangeAccount(database.db, key, actorFor(alice.id, 'cli'), { exchange: 'binance' }, GOOD, validate));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain(`already stored as exchange account ${spotId.slice(0, 8)} ("main")`);
  });

  it('refuses malformed secrets and input without repeating them', async () => {
    const a = actorFor(alice.id, 'cli');
    const spaced = await failure(addExchangeAccount(database.db, key, a, { exchange: 'binance' }, { apiKey: 'two words-canary', secret: 'x'.repeat(20) }, validate));
    expect(spaced.message).toMatch(/the API key must be one line without spaces/);
    expect(spaced.message).not.toContain('canary');
    const nul = await failure(addExchangeAccount(database.db, key, a, { exchange: 'binance' }, { apiKey: 'abcdefgh', secret: 'sec\u0000ret-canary' }, validate));
    expect(nul.message).toMatch(/the API secret must be one line/);
    const badExchange = await failure(addExchangeAccount(database.db, key, a, { exchange: 'bin ance' }, GOOD, validate));
    expect(badExchange.message).toMatch(/ccxt exchange id/);
    const badLabel = await failure(addExchangeAccount(database.db, key, a, { exchange: 'binance', label: 'x\ny' }, GOOD, validate));
    expect(badLabel.message).toMatch(/the label must be plain text on one line/);
  });

  it('a viewer cannot add, test or remove keys', async () => {
    const v = actorFor(viewer.id, 'cli');
    const err = await failure(addExchangeAccount(database.db, key, v, { exchange: 'binance' }, { apiKey: 'viewerKey1234', secret: 'viewerSecret1234' }, validate));
    expect(err.message).toMatch(/Your role is viewer/);
    expect(await rowCount(viewer.id)).toBe(0);
    expect((await failure(testExchangeAccount(database.db, key, v, spotId, validate))).message).toMatch(/Your role is viewer/);
    expect((await failure(removeExchangeAccount(database.db, v, spotId))).message).toMatch(/Your role is viewer/);
  });

  it('lists the user\'s accounts only, never a secret', async () => {
    const mine = await listExchangeAccounts(database.db, alice.id);
    expect(mine.map((a) => `${a.label} ${a.accountType} ${a.sandbox ? 'testnet' : 'live'} ${a.isValid}`)).toEqual(['main spot testnet true', 'perps futures live true']);
    expectNoSecret('the listing', JSON.stringify(mine));
    expect(await listExchangeAccounts(database.db, bob.id), 'bob has none').toEqual([]);
  });

  it('test re-checks by short id and records valid, refused and unreachable verdicts', async () => {
    const a = actorFor(alice.id, 'cli');
    const ok = await testExchangeAccount(database.db, key, a, spotId.slice(0, 8), validate, { now: () => new Date('2026-12-06T10:00:00Z') });
    expect(ok.outcome).toBe('valid');
    expect(ok.message).toBe(`Binance testnet accepted the key of exchange account ${spotId.slice(0, 8)} ("main"); it is valid.`);
    expect(ok.account.lastCheckedAt?.toISOString()).toBe('2026-12-06T10:00:00.000Z');

    const down = await testExchangeAccount(database.db, key, a, spotId, unreachable, { now: () => new Date('2026-12-06T10:05:00Z') });
    expect(down.outcome).toBe('unreachable');
    expect(down.account.isValid, 'a venue that does not answer proves nothing about the key').toBe(true);
    expect(down.account.lastError).toMatch(/^Binance testnet could not be reached: /);
    expect(down.message).toMatch(/stays valid until a check gets an answer/);

    const refused = await testExchangeAccount(database.db, key, a, spotId.slice(0, 6), refusing, { now: () => new Date('2026-12-06T10:10:00Z') });
    expect(refused.outcome).toBe('refused');
    expect(refused.account).toMatchObject({ isValid: false, lastError: 'Binance testnet refused the key: Invalid API-key, IP, or permissions for action' });
    expect(refused.account.lastCheckedAt?.toISOString()).toBe('2026-12-06T10:10:00.000Z');
    expect(refused.message).toMatch(/is marked invalid\. Check the key/);

    const again = await testExchangeAccount(database.db, key, a, spotId, validate);
    expect(again.account).toMatchObject({ isValid: true, lastError: null });
    const trail = await database.db.select().from(auditLogs).where(eq(auditLogs.entityId, spotId));
    expect(trail.filter((r) => r.action === 'exchange_account.test')).toHaveLength(4);
    expectNoSecret('the audit trail of the checks', JSON.stringify(trail));
  });

  it('another user\'s account is "not found" by full id or prefix, for test and remove', async () => {
    const b = actorFor(bob.id, 'cli');
    for (const ref of [spotId, spotId.slice(0, 8)]) {
      const t = await failure(testExchangeAccount(database.db, key, b, ref, validate));
      expect([t.code, t.message]).toEqual(['not_found', 'exchange account not found']);
      const r = await failure(removeExchangeAccount(database.db, b, ref));
      expect([r.code, r.message]).toEqual(['not_found', 'exchange account not found']);
    }
    expect(await rowCount(alice.id), 'alice still has both').toBe(2);
  });

  it('remove refuses while a live portfolio with open orders or positions trades on the keys, then deletes (audited)', async () => {
    const a = actorFor(alice.id, 'cli');
    const added = await addExchangeAccount(database.db, key, a, { exchange: 'binance', label: 'to remove' }, REMOVE_ME, validate);
    const [live] = await database.db.insert(portfolios).values({ userId: alice.id, name: 'Live one', tradingMode: 'live', exchange: 'binance' }).returning();
    await database.db.update(exchangeCredentials).set({ portfolioId: live!.id }).where(eq(exchangeCredentials.id, added.id));
    const [order] = await database.db
      .insert(orders)
      .values({ portfolioId: live!.id, userId: alice.id, clientOrderId: 'mk-remove-test-1', symbol: 'BTC/USDT', side: 'buy', orderType: 'limit', status: 'open', quantity: '0.001', price: '30000' })
      .returning();
    await database.db.insert(positions).values({ portfolioId: live!.id, userId: alice.id, symbol: 'ETH/USDT', quantity: '1', entryPrice: '3000' });

    const listed = (await listExchangeAccounts(database.db, alice.id)).find((x) => x.id === added.id);
    expect(listed?.portfolio, 'the listing names the live portfolio').toEqual({ id: live!.id, name: 'Live one', mode: 'live' });

    const refused = await failure(removeExchangeAccount(database.db, a, added.id.slice(0, 8)));
    expect(refused.code).toBe('conflict');
    expect(refused.message).toBe(`Exchange account ${added.id.slice(0, 8)} trades for the live portfolio "Live one", which has 1 open order and 1 open position: without its keys MIKEY could not manage them, so nothing was removed`);
    expect(refused.hint).toMatch(/cancel the orders and close the positions first/);
    await database.db.update(orders).set({ status: 'cancelled' }).where(eq(orders.id, order!.id));
    expect((await failure(removeExchangeAccount(database.db, a, added.id))).message, 'a position alone still holds it').toMatch(/which has 1 open position:/);
    await database.db.execute(sql`update positions set status = 'closed', closed_at = now() where portfolio_id = ${live!.id}`);

    const removed = await removeExchangeAccount(database.db, a, added.id.slice(0, 8));
    expect(removed.id).toBe(added.id);
    expect(await database.db.select().from(exchangeCredentials).where(eq(exchangeCredentials.id, added.id)), 'deleted').toEqual([]);
    const trail = await database.db.select().from(auditLogs).where(and(eq(auditLogs.entityId, added.id), eq(auditLogs.action, 'exchange_account.remove')));
    expect(trail, 'the removal is audited').toHaveLength(1);
    expectNoSecret('the removal\'s audit row', JSON.stringify(trail));
  });

  it('remove deletes an account with no portfolio, or a paper one, at once', async () => {
    const a = actorFor(alice.id, 'cli');
    const [futures] = (await listExchangeAccounts(database.db, alice.id)).filter((x) => x.accountType === 'futures');
    await removeExchangeAccount(database.db, a, futures!.id);
    expect((await listExchangeAccounts(database.db, alice.id)).map((x) => x.label)).toEqual(['main']);
  });
});
