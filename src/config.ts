// Configuration: every environment variable MIKEY reads, parsed once at start-up with zod. A bad
// value stops start-up with one message naming the variable, what is wrong and how to fix it.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const urlString = (protocols: readonly string[], example: string) =>
  z
    .string()
    .trim()
    .refine(
      (s) => {
        try {
          const u = new URL(s);
          return protocols.includes(u.protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL starting with ${protocols.join(' or ')} (for example ${example})` },
    );

const optionalUrl = (protocols: readonly string[], example: string) =>
  z
    .string()
    .trim()
    .transform((s) => (s === '' ? undefined : s))
    .pipe(urlString(protocols, example).optional())
    .optional();

export const LogLevel = { debug: 'debug', info: 'info', warn: 'warn', error: 'error', silent: 'silent' } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

export const MarketMode = { live: 'live', sim: 'sim', auto: 'auto' } as const;
export type MarketMode = (typeof MarketMode)[keyof typeof MarketMode];

export const SignupMode = { closed: 'closed', allowlist: 'allowlist', open: 'open' } as const;
export type SignupMode = (typeof SignupMode)[keyof typeof SignupMode];

/**
 * A whole number read from the environment, with one message that says what is expected and what
 * was given (zod's own "Expected number, received nan" tells an operator nothing).
 */
const wholeNumber = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return fallback;
      const n = /^-?\d+$/.test(s) ? Number(s) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be a whole number from ${min} to ${max} (got "${s.slice(0, 40)}")` });
        return z.NEVER;
      }
      return n;
    });

/** A yes/no switch: true/false, yes/no, on/off or 1/0; unset means `fallback`. */
const flag = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return fallback;
      if (['true', 'yes', 'on', '1'].includes(s)) return true;
      if (['false', 'no', 'off', '0'].includes(s)) return false;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be true or false (got "${s.slice(0, 40)}")` });
      return z.NEVER;
    });

const csv = z
  .string()
  .trim()
  .transform((s) => (s === '' ? [] : s.split(',').map((x) => x.trim()).filter(Boolean)))
  .optional()
  .transform((v) => v ?? []);

/** Every variable, documented in `.env.example` and the README. */
export const envSchema = z.object({
  // The example carries no password: the log scrubber would (rightly) mask one and mangle the example.
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:'], 'postgres://mikey@localhost:5432/mikey'),
  MIKEY_DATA_DIR: optionalString,
  MIKEY_SECRET_KEY: optionalString.pipe(
    z
      .string()
      .refine((s) => /^[0-9a-fA-F]{64}$/.test(s) || Buffer.from(s, 'base64').length === 32, {
        message: 'must be 32 random bytes as 64 hex characters or base64 (generate one with: openssl rand -hex 32)',
      })
      .optional(),
  ),
  MIKEY_DB_POOL_MAX: wholeNumber(1, 200, 10),
  MIKEY_USER: optionalString,
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalUrl(['http:', 'https:'], 'https://api.anthropic.com').refine((s) => s === undefined || !/^[a-z]+:\/\/[^/]*@/i.test(s), {
    message: 'must not carry a user or password (put a key in ANTHROPIC_API_KEY; a local server such as http://127.0.0.1:11434 needs none)',
  }),
  MIKEY_MODEL: z
    .string()
    .trim()
    .optional()
    .transform((s) => s || 'claude-sonnet-4-6')
    .pipe(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/, { message: 'must be a model name such as claude-sonnet-4-6, or a local one such as qwen3:8b' })),
  TELEGRAM_BOT_TOKEN: optionalString.pipe(
    z
      .string()
      .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, { message: 'must look like 123456789:AA… (the token @BotFather gave you)' })
      .optional(),
  ),
  TELEGRAM_API_ROOT: optionalUrl(['http:', 'https:'], 'https://api.telegram.org'),
  TELEGRAM_WEBHOOK_URL: optionalUrl(['https:', 'http:'], 'https://bot.example.com/telegram'),
  TELEGRAM_WEBHOOK_SECRET: optionalString,
  TELEGRAM_WEBHOOK_PORT: wholeNumber(1, 65535, 8443),
  MIKEY_SIGNUP: z.enum(['closed', 'allowlist', 'open']).default('closed'),
  MIKEY_ALLOWLIST: csv,
  DISCORD_TOKEN: optionalString,
  DISCORD_APP_ID: optionalString.pipe(z.string().regex(/^\d{5,25}$/, { message: 'must be the numeric application id' }).optional()),
  DISCORD_GUILD_ID: optionalString,
  DISCORD_API_ROOT: optionalUrl(['http:', 'https:'], 'https://discord.com/api'),
  DISCORD_TRADER_ROLE: optionalString,
  /**
   * Discord gateway shards: `auto` (the count Discord recommends, all in this process), or the shards
   * this instance runs out of a total, `0,1/4` — several instances split one bot's shards between them.
   */
  DISCORD_SHARDS: z
    .string()
    .trim()
    .optional()
    .transform((s, ctx): 'auto' | { ids: number[]; count: number } | undefined => {
      if (!s) return undefined;
      if (s === 'auto') return 'auto';
      const m = /^(\d+(?:,\d+)*)\/(\d+)$/.exec(s);
      const count = m ? Number(m[2]) : 0;
      const ids = m ? [...new Set(m[1]!.split(',').map(Number))].sort((a, b) => a - b) : [];
      if (!m || count < 1 || count > 1000 || ids.some((id) => id >= count)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be auto, or the shard ids this instance runs out of the total, e.g. 0,1/4 (ids below the total)' });
        return z.NEVER;
      }
      return { ids, count };
    }),
  PYTH_HERMES_URL: z
    .string()
    .trim()
    .default('https://hermes.pyth.network')
    .pipe(urlString(['http:', 'https:'], 'https://hermes.pyth.network')),
  PYTH_API_KEY: optionalString,
  MIKEY_EXCHANGE: z.string().trim().toLowerCase().regex(/^[a-z0-9]+$/, { message: 'must be a ccxt exchange id such as binance' }).default('binance'),
  /** Replaces the scheme and host of every REST endpoint of the exchange (keeping paths): proxies, test venues. */
  MIKEY_EXCHANGE_URL: optionalUrl(['http:', 'https:'], 'http://127.0.0.1:8080'),
  /** Per-request timeout of live (signed) venue calls; a timed-out order is reconciled, never resent. */
  MIKEY_EXCHANGE_TIMEOUT_MS: wholeNumber(100, 120_000, 10_000),
  /** How often live portfolios' open orders are polled at their venue. */
  MIKEY_LIVE_POLL_MS: wholeNumber(500, 600_000, 5_000),
  MIKEY_MARKET: z.enum(['live', 'sim', 'auto']).default('auto'),
  MIKEY_SIM_SEED: wholeNumber(-2_147_483_648, 2_147_483_647, 42),
  MIKEY_HTTP_HOST: z.string().trim().default('127.0.0.1'),
  MIKEY_HTTP_PORT: wholeNumber(0, 65535, 7777),
  /** Where remote MCP clients reach `mikey serve` (the OAuth issuer; /mcp is appended). Needed for OAuth sign-in off loopback. */
  MIKEY_PUBLIC_URL: optionalUrl(['http:', 'https:'], 'https://mikey.example.com'),
  /** `serve` keeps running when a surface (Telegram, Discord) cannot start, reporting it on /healthz and /readyz. */
  MIKEY_DEGRADED_OK: flag(false),
  MIKEY_ORACLE_MODE: z.enum(['block', 'flag', 'off']).default('block'),
  /**
   * Markets and horizons predicted on a schedule (and scored when due): `BTC/USDT:1h,ETH/USDT:4h`;
   * `off` for none. Horizons: 15m, 1h, 4h, 1d.
   */
  MIKEY_PREDICT: z
    .string()
    .trim()
    .optional()
    .transform((s, ctx): Array<{ symbol: string; horizon: '15m' | '1h' | '4h' | '1d' }> => {
      const text = s === undefined || s === '' ? 'BTC/USDT:1h' : s;
      if (text.toLowerCase() === 'off') return [];
      const out: Array<{ symbol: string; horizon: '15m' | '1h' | '4h' | '1d' }> = [];
      for (const part of text.split(',').map((x) => x.trim()).filter(Boolean)) {
        const m = /^([A-Za-z0-9][A-Za-z0-9/_-]{0,39}):(15m|1h|4h|1d)$/.exec(part);
        if (!m) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${part.slice(0, 50)}" must be MARKET:HORIZON with a horizon of 15m, 1h, 4h or 1d, e.g. BTC/USDT:1h,ETH/USDT:4h (or off)` });
          return z.NEVER;
        }
        out.push({ symbol: m[1]!, horizon: m[2] as '15m' | '1h' | '4h' | '1d' });
      }
      if (out.length > 20) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'at most 20 MARKET:HORIZON pairs' });
        return z.NEVER;
      }
      return out;
    }),
  /** Symbol of the platform token (off-chain; never convertible to exchange funds): 2–10 uppercase letters or digits. */
  /** JSON-RPC endpoint of an Ethereum node for watched wallets' events (often carries a key: a secret). */
  MIKEY_EVM_RPC_URL: optionalUrl(['http:', 'https:'], 'https://eth-mainnet.example.com/v2/KEY'),
  /** Blocks a block must be buried under before its events are ingested (reorgs deeper than this are undone). */
  MIKEY_EVM_CONFIRMATIONS: wholeNumber(0, 200, 12),
  /** Hyperliquid's public info API, for watched perp traders. */
  MIKEY_HYPERLIQUID_URL: z
    .string()
    .trim()
    .default('https://api.hyperliquid.xyz')
    .pipe(urlString(['http:', 'https:'], 'https://api.hyperliquid.xyz')),
  MIKEY_TOKEN_SYMBOL: z
    .string()
    .trim()
    .optional()
    .transform((s) => (s === undefined || s === '' ? 'OMNI' : s))
    .pipe(z.string().regex(/^[A-Z0-9]{2,10}$/, 'must be 2 to 10 uppercase letters or digits, e.g. OMNI')),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** Resolved data directory for the embedded database, generated secret key and chart files. */
  dataDir: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Names of variables whose values are secrets: never logged, never echoed in errors. */
export const SECRET_VARIABLES = [
  'DATABASE_URL', 'MIKEY_SECRET_KEY', 'ANTHROPIC_API_KEY', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET',
  'DISCORD_TOKEN', 'PYTH_API_KEY', 'MIKEY_EVM_RPC_URL',
] as const;

/**
 * Parses the environment. Throws a `ConfigError` listing every bad variable with what is wrong and
 * how to fix it; secret values are never echoed.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? 'environment');
      return `  ${name}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nFix these variables (see .env.example) and start again.`);
  }
  const e = parsed.data;
  const dataDir = e.MIKEY_DATA_DIR ?? join(env.HOME ?? homedir(), '.mikey');
  return { ...e, dataDir };
}

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

/**
 * The model endpoint the chat talks to, or undefined for the offline understanding. A key turns the
 * model on; so does a base URL that is not Anthropic's own without a key — a local server such as
 * Ollama or llama.cpp (both speak the Messages API and need no key).
 */
export function modelEndpoint(config: Pick<Env, 'ANTHROPIC_API_KEY' | 'ANTHROPIC_BASE_URL'>): { apiKey: string | undefined; baseURL: string | undefined; local: boolean } | undefined {
  const baseURL = config.ANTHROPIC_BASE_URL;
  let local = false;
  if (baseURL) {
    try {
      local = new URL(baseURL).hostname.toLowerCase() !== new URL(ANTHROPIC_DEFAULT_BASE_URL).hostname;
    } catch {
      local = false;
    }
  }
  if (!config.ANTHROPIC_API_KEY && !local) return undefined;
  return { apiKey: config.ANTHROPIC_API_KEY, baseURL, local };
}

/** The secret values present in a config, for the logger's value scrubbing. */
export function secretValues(config: Partial<Env>): string[] {
  const out: string[] = [];
  for (const k of SECRET_VARIABLES) {
    const v = config[k];
    if (typeof v === 'string' && v.length >= 6) out.push(v);
  }
  if (config.DATABASE_URL) {
    try {
      const pw = new URL(config.DATABASE_URL).password;
      if (pw.length >= 3) out.push(decodeURIComponent(pw));
    } catch {
      // not a URL: already refused by the schema
    }
  }
  return out;
}
