import { describe, expect, it } from 'vitest';
import { createLogger, redact, registerSecret, scrub } from '../src/log.js';
import { AppError } from '../src/services/errors.js';

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
