import { describe, expect, it } from 'vitest';
import { describeError } from '../src/cli.js';
import { apiKeys, exchangeCredentials } from '../src/db/schema/index.js';
import { createLogger, redact, registerSecret, scrub } from '../src/log.js';
import { actorFor } from '../src/services/actor.js';
import { createApiKey, hashApiKey } from '../src/services/api-keys.js';
import { AppError } from '../src/services/errors.js';
import { createUser } from '../src/services/users.js';
import { createTestDatabase } from './support/db.js';

const CANARIES = {
  anthropic: 'sk-ant-api03-CANARYCANARYCANARY',
  telegram: '987654321:AAHcanaryCanaryCanaryCanaryCanary_xyz',
  apiKey: 'mk_live_deadbeef_CanaryCanaryCanaryCanaryCanary01',
  dbPassword: 'canary-db-password',
  exchangeSecret: 'canary-exchange-secret-value',
};

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger('debug', (l) => lines.push(l)) };
}

describe('log redaction', () => {
  it('never writes a canary secret, whatever path it takes into a log call', () => {
    registerSecret(CANARIES.exchangeSecret);
    const { lines, log } = capture();
    log.info('config', { ANTHROPIC_API_KEY: CANARIES.anthropic, telegramToken: CANARIES.telegram });
    log.error('request failed', { error: new Error(`401 for Bearer ${CANARIES.apiKey}`), url: `postgres://mikey:${CANARIES.dbPassword}@db:5432/mikey` });
    log.warn(`exchange said: invalid signature for secret ${CANARIES.exchangeSecret}`);
    log.error('wrapped', { error: new AppError('forbidden', 'bad key', undefined, { headers: { authorization: `Bearer ${CANARIES.apiKey}` } }) });
    log.debug('nested', { a: { b: { c: [{ apiSecret: CANARIES.exchangeSecret, note: `token ${CANARIES.telegram}` }] } } });
    const all = lines.join('\n');
    for (const [name, value] of Object.entries(CANARIES)) expect(all, `${name} leaked into a log line`).not.toContain(value);
    expect(lines).toHaveLength(5);
    expect(all).toContain('[redacted]');
  });

  it('keeps what is not secret, so logs stay useful', () => {
    const { lines, log } = capture();
    log.info('order placed', { symbol: 'BTC/USDT', quantity: '0.5', tokenCount: undefined });
    const rec = JSON.parse(lines[0]!);
    expect(rec.symbol).toBe('BTC/USDT');
    expect(rec.quantity).toBe('0.5');
    expect(rec.level).toBe('info');
  });

  it('scrubs errors including their stack and cause', () => {
    const inner = new Error(`connect to postgres://u:${CANARIES.dbPassword}@h/d failed`);
    const outer = new Error('db down', { cause: inner });
    const out = JSON.stringify(redact(outer));
    expect(out).not.toContain(CANARIES.dbPassword);
    expect(scrub(`Authorization: Bearer ${CANARIES.apiKey}`)).not.toContain(CANARIES.apiKey);
  });

  it('respects the level', () => {
    const lines: string[] = [];
    const log = createLogger('warn', (l) => lines.push(l));
    log.info('hidden');
    log.warn('shown');
    expect(lines).toHaveLength(1);
  });
});

describe('failed queries in logs', () => {
  it('never carries the parameters of a failed query: no API-key hash, no credential ciphertext', async () => {
    const database = await createTestDatabase();
    try {
      const user = await createUser(database.db, { username: 'logcanary' });
      const issued = await createApiKey(database.db, actorFor(user.id, 'cli'), { userId: user.id, permissions: ['read:market'], ratePerMinute: 60, expiresInMs: null });
      const hash = hashApiKey(issued.key);
      const ciphertext = 'Q0FOQVJZLWNpcGhlcnRleHQtbXVzdC1ub3QtbGVhaw==';
      const failures: unknown[] = [];
      // A duplicate key hash violates the unique index: drizzle's error message lists the params.
      await database.db
        .insert(apiKeys)
        .values({ userId: user.id, name: 'dup', keyPrefix: 'mk_live_dup', keyHash: hash, permissions: ['read:market'], rateLimitPerMinute: 60 })
        .catch((e: unknown) => failures.push(e));
      // A credential row for a user that does not exist violates the foreign key.
      await database.db
        .insert(exchangeCredentials)
        .values({ userId: '00000000-0000-4000-8000-000000000000', exchange: 'binance', apiKeyCiphertext: ciphertext, apiSecretCiphertext: ciphertext })
        .catch((e: unknown) => failures.push(e));
      expect(failures, 'both inserts fail').toHaveLength(2);
      expect(String((failures[0] as Error).message), 'the raw drizzle error does carry the hash (what must not reach a log)').toContain(hash);
      const { lines, log } = capture();
      for (const error of failures) {
        log.error('query failed', { error });
        log.warn(String(error));
        log.info('described', { text: describeError(error) });
      }
      const all = lines.join('\n') + failures.map((e) => scrub(String((e as Error).stack))).join('\n');
      expect(all, 'the API-key hash leaked into a log line').not.toContain(hash);
      expect(all, 'the credential ciphertext leaked into a log line').not.toContain(ciphertext);
      expect(all, 'the failed query itself stays visible for debugging').toMatch(/Failed query: insert into "api_keys"/);
    } finally {
      await database.close();
    }
  });
});
