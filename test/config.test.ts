import { describe, expect, it } from 'vitest';
import { describeError } from '../src/cli.js';
import { ConfigError, loadConfig, secretValues } from '../src/config.js';

describe('configuration', () => {
  it('runs with no variables at all: embedded database, auto market, info logs', () => {
    const c = loadConfig({ HOME: '/home/trader' });
    expect(c.DATABASE_URL, 'no DATABASE_URL means the embedded database').toBeUndefined();
    expect(c.dataDir).toBe('/home/trader/.mikey');
    expect(c.MIKEY_MARKET).toBe('auto');
    expect(c.LOG_LEVEL).toBe('info');
  });

  it('treats empty strings as unset, as .env files write them', () => {
    const c = loadConfig({ DATABASE_URL: '', TELEGRAM_BOT_TOKEN: '', MIKEY_DATA_DIR: '/tmp/x' });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(c.dataDir).toBe('/tmp/x');
  });

  it.each([
    ['DATABASE_URL', 'mysql://x@y/z', /DATABASE_URL: must be a URL starting with postgres:/],
    ['MIKEY_MARKET', 'paper', /MIKEY_MARKET/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['MIKEY_SECRET_KEY', 'short', /MIKEY_SECRET_KEY: must be 32 random bytes/],
    ['TELEGRAM_BOT_TOKEN', 'nonsense', /TELEGRAM_BOT_TOKEN: must look like/],
    ['MIKEY_HTTP_PORT', '70000', /MIKEY_HTTP_PORT/],
    ['MIKEY_PUBLIC_URL', 'ftp://mikey.example.com', /MIKEY_PUBLIC_URL: must be a URL starting with http:/],
  ])('names the bad variable %s and says how to fix it', (name, value, pattern) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err, `${name}=${value} must be refused`).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(pattern);
  });

  it('never echoes a secret value in the error', () => {
    const token = '123456789:this-is-a-bad-token';
    try {
      loadConfig({ TELEGRAM_BOT_TOKEN: token.replace(':', ''), DATABASE_URL: 'ftp://u:hunter2secret@h/d' });
      expect.fail('must throw');
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2secret');
      expect((e as Error).message).not.toContain('this-is-a-bad-token');
    }
  });

  it('lists the secret values present, including the database password', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:s3cr3t-pw@h/d', ANTHROPIC_API_KEY: 'sk-ant-abcdefgh' });
    const s = secretValues(c);
    expect(s).toContain('s3cr3t-pw');
    expect(s).toContain('sk-ant-abcdefgh');
  });
});

describe('configuration messages a person can act on', () => {
  const refusal = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (e) {
      expect(e, 'a bad variable is a ConfigError').toBeInstanceOf(ConfigError);
      // What the CLI prints: the message after the log scrubber.
      return describeError(e);
    }
    return expect.fail(`${JSON.stringify(env)} must be refused`);
  };

  it('shows the DATABASE_URL example intact (the scrubber must not mangle it)', () => {
    const text = refusal({ DATABASE_URL: 'mysql://root:pw@db/app' });
    expect(text, 'the example survives scrubbing').toMatch(/postgres:\/\/[^\s]*localhost:5432\/mikey/);
    expect(text, 'no redaction marker inside the example').not.toContain('[redacted]');
  });

  it.each([
    ['MIKEY_DB_POOL_MAX', 'abc', /MIKEY_DB_POOL_MAX: must be a whole number from 1 to 200 \(got "abc"\)/],
    ['MIKEY_DB_POOL_MAX', '0', /MIKEY_DB_POOL_MAX: must be a whole number from 1 to 200/],
    ['MIKEY_HTTP_PORT', 'eighty', /MIKEY_HTTP_PORT: must be a whole number from 0 to 65535/],
    ['TELEGRAM_WEBHOOK_PORT', '1.5', /TELEGRAM_WEBHOOK_PORT: must be a whole number from 1 to 65535/],
    ['MIKEY_SIM_SEED', 'x', /MIKEY_SIM_SEED: must be a whole number/],
  ])('says what %s expects for %s', (name, value, pattern) => {
    const text = refusal({ [name]: value });
    expect(text).toMatch(pattern);
    expect(text, 'no zod jargon').not.toMatch(/Expected number|received nan/i);
  });
});

describe('Discord shards across instances (DISCORD_SHARDS)', () => {
  it('runs discord.js\'s single shard when unset, Discord\'s recommended count for auto, and this instance\'s share of a total', async () => {
    const { discordShardOptions } = await import('../src/bot/discord/index.js');
    const { Client, GatewayIntentBits } = await import('discord.js');
    expect(discordShardOptions(loadConfig({}))).toEqual({});
    expect(discordShardOptions(loadConfig({ DISCORD_SHARDS: 'auto' }))).toEqual({ shards: 'auto' });
    const split = discordShardOptions(loadConfig({ DISCORD_SHARDS: '2,0/4' }));
    expect(split, 'ids sorted, with the total').toEqual({ shards: [0, 2], shardCount: 4 });
    // The real client takes them as its gateway shards (no gateway connection is made here).
    const client = new Client({ intents: [GatewayIntentBits.Guilds], ...split });
    expect(client.options.shards).toEqual([0, 2]);
    expect(client.options.shardCount).toBe(4);
    await client.destroy();
  });

  it.each(['4/4', '0,1', 'x', '0/0', '-1/2'])('refuses DISCORD_SHARDS=%s and says what it takes', (value) => {
    expect(() => loadConfig({ DISCORD_SHARDS: value })).toThrow(/DISCORD_SHARDS: must be auto, or the shard ids this instance runs out of the total, e\.g\. 0,1\/4/);
  });
});

describe('scheduled predictions (MIKEY_PREDICT)', () => {
  it('defaults to BTC/USDT at 1h, reads a list, and turns off', () => {
    expect(loadConfig({}).MIKEY_PREDICT).toEqual([{ symbol: 'BTC/USDT', horizon: '1h' }]);
    expect(loadConfig({ MIKEY_PREDICT: 'ETH/USDT:4h, SOL-PERP:15m' }).MIKEY_PREDICT).toEqual([
      { symbol: 'ETH/USDT', horizon: '4h' },
      { symbol: 'SOL-PERP', horizon: '15m' },
    ]);
    expect(loadConfig({ MIKEY_PREDICT: 'off' }).MIKEY_PREDICT).toEqual([]);
  });

  it.each(['BTC/USDT', 'BTC/USDT:2h', ':1h', 'BTC USDT:1h'])('refuses MIKEY_PREDICT=%s and says what it takes', (value) => {
    expect(() => loadConfig({ MIKEY_PREDICT: value })).toThrow(/MIKEY_PREDICT: .* must be MARKET:HORIZON with a horizon of 15m, 1h, 4h or 1d/);
  });
});

describe('platform token symbol (MIKEY_TOKEN_SYMBOL)', () => {
  it('defaults to OMNI and takes another symbol', () => {
    expect(loadConfig({}).MIKEY_TOKEN_SYMBOL).toBe('OMNI');
    expect(loadConfig({ MIKEY_TOKEN_SYMBOL: ' MKY2 ' }).MIKEY_TOKEN_SYMBOL).toBe('MKY2');
  });

  it.each(['omni', 'O', 'TOOLONGSYMBOL', 'OM-NI'])('refuses MIKEY_TOKEN_SYMBOL=%s and says what it takes', (value) => {
    expect(() => loadConfig({ MIKEY_TOKEN_SYMBOL: value })).toThrow(/MIKEY_TOKEN_SYMBOL: must be 2 to 10 uppercase letters or digits/);
  });
});

describe('watched wallets (MIKEY_EVM_RPC_URL, MIKEY_EVM_CONFIRMATIONS, MIKEY_HYPERLIQUID_URL)', () => {
  it('has no EVM endpoint by default, 12 confirmations and the public Hyperliquid API; an endpoint is a secret', () => {
    const c = loadConfig({});
    expect([c.MIKEY_EVM_RPC_URL, c.MIKEY_EVM_CONFIRMATIONS, c.MIKEY_HYPERLIQUID_URL]).toEqual([undefined, 12, 'https://api.hyperliquid.xyz']);
    const withKey = loadConfig({ MIKEY_EVM_RPC_URL: 'https://eth.example.com/v2/s3cr3tkey', MIKEY_EVM_CONFIRMATIONS: '3' });
    expect(withKey.MIKEY_EVM_CONFIRMATIONS).toBe(3);
    expect(secretValues(withKey)).toContain('https://eth.example.com/v2/s3cr3tkey');
  });

  it.each([['MIKEY_EVM_RPC_URL', 'ftp://x'], ['MIKEY_EVM_CONFIRMATIONS', '500'], ['MIKEY_HYPERLIQUID_URL', 'not a url']])('refuses %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });
});
