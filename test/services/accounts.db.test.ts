import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { apiKeys, auditLogs, chatIdentities, exchangeCredentials, linkCodes } from '../../src/db/schema/index.js';
import { actorFor } from '../../src/services/actor.js';
import { createApiKey, hasPermission, listApiKeys, parseDuration, revokeApiKey, UsageRecorder, verifyApiKey } from '../../src/services/api-keys.js';
import { auditTrail } from '../../src/services/audit.js';
import {
  addExchangeCredentials,
  assertSecretKeyMatches,
  decryptExchangeCredentials,
  listExchangeCredentials,
} from '../../src/services/credentials.js';
import { AppError } from '../../src/services/errors.js';
import { createLinkCode, findUserByIdentity, redeemLinkCode } from '../../src/services/link-codes.js';
import { secretKeyFromString } from '../../src/services/secret-box.js';
import { createUser, ensureLocalOwner, type User } from '../../src/services/users.js';
import { createTestDatabase } from '../support/db.js';

let database: Database;
let alice: User;
let bob: User;

beforeAll(async () => {
  database = await createTestDatabase();
  alice = await createUser(database.db, { username: 'alice', email: 'alice@example.com' });
  bob = await createUser(database.db, { username: 'bob' });
});
afterAll(async () => {
  await database?.close();
});

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a ${code} error`).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  expect((err as AppError).message).toMatch(message);
}

describe('users', () => {
  it('refuses duplicates and bad names with a clear message', async () => {
    await rejects(createUser(database.db, { username: 'alice' }), 'conflict', /username "alice" already exists/);
    await rejects(createUser(database.db, { username: 'x y' }), 'invalid_input', /username may use/);
    await rejects(createUser(database.db, { username: 'carol', email: 'not-an-email' }), 'invalid_input', /email/);
  });

  it('creates the local owner once, as admin', async () => {
    const a = await ensureLocalOwner(database.db);
    const b = await ensureLocalOwner(database.db);
    expect(a.id).toBe(b.id);
    expect(a.role).toBe('admin');
  });
});

describe('link codes', () => {
  it('links a Telegram identity once; the code cannot be reused', async () => {
    const actor = actorFor(alice.id, 'terminal');
    const { code } = await createLinkCode(database.db, actor);
    expect(code).toMatch(/^MK-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(await findUserByIdentity(database.db, 'telegram', '1001'), 'unknown sender before linking').toBeUndefined();
    const u = await redeemLinkCode(database.db, code.toLowerCase(), { platform: 'telegram', externalUserId: '1001', username: 'alice_tg' });
    expect(u.id).toBe(alice.id);
    expect((await findUserByIdentity(database.db, 'telegram', '1001'))?.id).toBe(alice.id);
    await rejects(redeemLinkCode(database.db, code, { platform: 'discord', externalUserId: '2002' }), 'conflict', /already used/);
    expect(await findUserByIdentity(database.db, 'discord', '2002'), 'a reused code links nothing').toBeUndefined();
  });

  it('refuses an expired code and changes nothing', async () => {
    const past = new Date(Date.now() - 3_600_000);
    const { code } = await createLinkCode(database.db, actorFor(bob.id, 'terminal'), past);
    await rejects(redeemLinkCode(database.db, code, { platform: 'telegram', externalUserId: '3003' }), 'expired', /expired/);
    expect(await findUserByIdentity(database.db, 'telegram', '3003')).toBeUndefined();
  });

  it('refuses unknown and malformed codes', async () => {
    await rejects(redeemLinkCode(database.db, 'MK-0000-0000', { platform: 'telegram', externalUserId: '4' }), 'not_found', /not known/);
    await rejects(redeemLinkCode(database.db, 'hello', { platform: 'telegram', externalUserId: '4' }), 'invalid_input', /not valid/);
  });

  it('will not move an identity linked to someone else, and the code stays unspent', async () => {
    const { code } = await createLinkCode(database.db, actorFor(bob.id, 'terminal'));
    await rejects(redeemLinkCode(database.db, code, { platform: 'telegram', externalUserId: '1001' }), 'conflict', /already linked to another/);
    const ids = await database.db.select().from(chatIdentities).where(eq(chatIdentities.externalUserId, '1001'));
    expect(ids).toHaveLength(1);
    expect(ids[0]!.userId).toBe(alice.id);
    const spent = (await database.db.select().from(linkCodes).where(eq(linkCodes.userId, bob.id))).filter((c) => c.usedAt);
    expect(spent, 'a failed redemption rolled back: the code was not consumed').toHaveLength(0);
  });

  it('stores only a hash of the code', async () => {
    const { code } = await createLinkCode(database.db, actorFor(alice.id, 'terminal'));
    const rows = await database.db.select().from(linkCodes);
    expect(JSON.stringify(rows)).not.toContain(code.replace(/-/g, '').slice(2));
  });
});

describe('API keys', () => {
  it('prints the key once, stores a hash, verifies and records usage', async () => {
    const actor = actorFor(alice.id, 'cli');
    const { key, row } = await createApiKey(database.db, actor, {
      userId: alice.id, name: 'bot', permissions: ['read:market', 'read:portfolio'], ratePerMinute: 60, expiresInMs: parseDuration('90d'),
    });
    expect(key).toMatch(/^mk_live_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}$/);
    const [stored] = await database.db.select().from(apiKeys).where(eq(apiKeys.id, row.id));
    expect(JSON.stringify(stored)).not.toContain(key);
    const v1 = await verifyApiKey(database.db, key);
    const usage = new UsageRecorder(database.db, 60_000);
    usage.record(v1.key.id, new Date());
    usage.record(v1.key.id, new Date());
    await usage.close();
    const [after] = await database.db.select().from(apiKeys).where(eq(apiKeys.id, row.id));
    expect(v1.userId).toBe(alice.id);
    expect(Number(after!.totalRequests), 'batched usage lands on close').toBe(2);
    expect(after!.lastUsedAt).toBeInstanceOf(Date);
    expect(hasPermission(v1.key, 'read:market')).toBe(true);
    expect(hasPermission(v1.key, 'write:orders'), 'a read key cannot place orders').toBe(false);
  });

  it('refuses expired, revoked and unknown keys with the reason', async () => {
    const actor = actorFor(alice.id, 'cli');
    const expired = await createApiKey(database.db, actor, { userId: alice.id, permissions: ['read:market'], ratePerMinute: 5, expiresInMs: 1000 }, new Date(Date.now() - 60_000));
    await rejects(verifyApiKey(database.db, expired.key), 'expired', /expired/);
    const revoked = await createApiKey(database.db, actor, { userId: alice.id, permissions: ['read:market'], ratePerMinute: 5, expiresInMs: null });
    await revokeApiKey(database.db, actor, revoked.row.id);
    await rejects(verifyApiKey(database.db, revoked.key), 'forbidden', /revoked/);
    await rejects(verifyApiKey(database.db, 'mk_live_00000000_' + 'x'.repeat(43)), 'forbidden', /Invalid API key/);
    await rejects(verifyApiKey(database.db, 'Bearer nonsense'), 'forbidden', /Invalid API key/);
  });

  it('another user cannot revoke my key: it is "not found"', async () => {
    const mine = await createApiKey(database.db, actorFor(alice.id, 'cli'), { userId: alice.id, permissions: ['read:market'], ratePerMinute: 5, expiresInMs: null });
    await rejects(revokeApiKey(database.db, actorFor(bob.id, 'cli'), mine.row.id), 'not_found', /not found/);
    await verifyApiKey(database.db, mine.key);
  });

  it('refuses bad input and writes nothing', async () => {
    const before = (await listApiKeys(database.db, bob.id)).length;
    const actor = actorFor(bob.id, 'cli');
    await rejects(createApiKey(database.db, actor, { userId: bob.id, permissions: ['trade:all' as never], ratePerMinute: 60, expiresInMs: null }), 'invalid_input', /permissions must be among/);
    await rejects(createApiKey(database.db, actor, { userId: bob.id, permissions: [], ratePerMinute: 60, expiresInMs: null }), 'invalid_input', /at least one permission/);
    await rejects(createApiKey(database.db, actor, { userId: bob.id, permissions: ['read:market'], ratePerMinute: 0, expiresInMs: null }), 'invalid_input', /at least 1/);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect((await listApiKeys(database.db, bob.id)).length).toBe(before);
  });
});

describe('exchange credentials', () => {
  const key = secretKeyFromString('ab'.repeat(32));
  const other = secretKeyFromString('cd'.repeat(32));

  it('encrypts at rest, decrypts for the owner only, and a copied ciphertext fails', async () => {
    const actor = actorFor(alice.id, 'cli');
    const a = await addExchangeCredentials(database.db, key, actor, { exchange: 'binance', apiKey: 'AKIA-canary-key', apiSecret: 'canary-secret-123' });
    const b = await addExchangeCredentials(database.db, key, actor, { exchange: 'kraken', apiKey: 'other-key-123', apiSecret: 'other-secret-123' });
    const raw = JSON.stringify(await database.db.select().from(exchangeCredentials));
    expect(raw).not.toContain('canary-secret-123');
    expect(raw).not.toContain('AKIA-canary-key');
    expect(await decryptExchangeCredentials(database.db, key, alice.id, a.id)).toEqual({ apiKey: 'AKIA-canary-key', apiSecret: 'canary-secret-123' });
    await rejects(decryptExchangeCredentials(database.db, key, bob.id, a.id), 'not_found', /not found/);
    // Copy a's ciphertext onto b's row: bound to a's id, so it must not open as b's.
    const [rowA] = await database.db.select().from(exchangeCredentials).where(eq(exchangeCredentials.id, a.id));
    await database.db.update(exchangeCredentials).set({ apiSecretCiphertext: rowA!.apiSecretCiphertext }).where(eq(exchangeCredentials.id, b.id));
    await rejects(decryptExchangeCredentials(database.db, key, alice.id, b.id), 'forbidden', /Cannot decrypt/);
    expect((await listExchangeCredentials(database.db, alice.id)).map((c) => c.exchange).sort()).toEqual(['binance', 'kraken']);
  });

  it('a wrong MIKEY_SECRET_KEY is detected at start-up', async () => {
    await assertSecretKeyMatches(database.db, key);
    await expect(assertSecretKeyMatches(database.db, other)).rejects.toThrow(/MIKEY_SECRET_KEY is not the key/);
  });

  it('refuses bad input and stores nothing', async () => {
    const before = (await listExchangeCredentials(database.db, bob.id)).length;
    await rejects(addExchangeCredentials(database.db, key, actorFor(bob.id, 'cli'), { exchange: 'bin ance', apiKey: 'x', apiSecret: 'y' }), 'invalid_input', /exchange must be|too short/);
    expect((await listExchangeCredentials(database.db, bob.id)).length).toBe(before);
  });
});

describe('audit log', () => {
  it('records each change with actor and trace id, and no secret', async () => {
    const actor = actorFor(alice.id, 'cli');
    const { key, row } = await createApiKey(database.db, actor, { userId: alice.id, permissions: ['read:market'], ratePerMinute: 5, expiresInMs: null });
    await revokeApiKey(database.db, actor, row.id);
    const trail = await auditTrail(database.db, 'api_key', row.id);
    expect(trail.map((t) => t.action)).toEqual(['api_key.create', 'api_key.revoke']);
    expect(trail[0]!.actorUserId).toBe(alice.id);
    expect(trail[0]!.traceId).toBe(actor.traceId);
    const all = JSON.stringify(await database.db.select().from(auditLogs));
    expect(all).not.toContain(key);
    expect(all).not.toContain('canary-secret-123');
  });
});
