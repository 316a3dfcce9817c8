// Shared helpers of the tool tests: calling a tool through the real in-process MCP client, reading
// its text, checking that what a person reads is clean, and fingerprinting the database.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { connectInProcess, type InProcessClient } from '../../src/mcp/in-process.js';
import type { Permission } from '../../src/services/api-keys.js';
import type { User } from '../../src/services/users.js';
import { CATALOGUE } from '../../src/tools/index.js';
import type { TestApp } from '../support/app.js';

export type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string; data?: string; mimeType?: string }>;
  structuredContent?: Record<string, unknown>;
};

export async function call(c: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  return (await c.callTool({ name, arguments: args })) as ToolResult;
}

export const text = (r: ToolResult): string => r.content.map((c) => c.text ?? '').join('\n');

export async function connect(app: TestApp, user: User, permissions: Set<Permission> | 'all' = 'all'): Promise<InProcessClient> {
  return connectInProcess(app.services, { actor: { userId: user.id, surface: 'mcp-http' }, permissions }, CATALOGUE);
}

/** Row counts of everything a refused call must leave untouched. */
export async function fingerprint(app: TestApp): Promise<Record<string, unknown>> {
  const rows = await queryRows<Record<string, unknown>>(
    app.database.db,
    sql`SELECT (SELECT count(*) FROM orders)::int o, (SELECT count(*) FROM trades)::int t, (SELECT count(*) FROM ledger_entries)::int l,
               (SELECT count(*) FROM positions)::int p, (SELECT count(*) FROM alert_rules)::int a, (SELECT count(*) FROM risk_limits)::int r,
               (SELECT count(*) FROM portfolios)::int pf, (SELECT count(*) FROM strategies)::int st, (SELECT count(*) FROM backtest_fills)::int bf, (SELECT count(*) FROM wallet_watches)::int ww, (SELECT count(*) FROM community_wallets)::int cw, (SELECT count(*) FROM wallets)::int wl, (SELECT count(*) FROM confirmation_tokens WHERE used_at IS NOT NULL)::int u,
               (SELECT count(*) FROM audit_logs WHERE action NOT LIKE '%preview%')::int au,
               (SELECT count(*) FROM ml_predictions)::int mp, (SELECT count(*) FROM ml_models)::int mm,
               (SELECT count(*) FROM token_ledger)::int tl, (SELECT count(*) FROM community_members)::int cm, (SELECT count(*) FROM competitions)::int cc, (SELECT count(*) FROM competition_entries)::int ce, (SELECT count(*) FROM bots)::int bt, (SELECT string_agg(status::text, ',' ORDER BY id) FROM bots) bs,
               (SELECT coalesce(sum(free + locked), 0)::text FROM balances) b,
               (SELECT string_agg(coalesce(stop_loss::text, '-') || coalesce(take_profits::text, '-'), ',' ORDER BY id) FROM positions) x,
               (SELECT string_agg(status || coalesce(price::text, '-') || coalesce(stop_price::text, '-'), ',' ORDER BY id) FROM orders) os,
               (SELECT string_agg(id::text || trading_halted::text || coalesce(halted_reason, '-') || name, ',' ORDER BY id) FROM portfolios) ph,
               (SELECT string_agg(trading_preferences::text, ',' ORDER BY id) FROM users) up`,
  );
  return rows[0]!;
}

/**
 * A successful result a person or model can read: not an error, and text free of JSON objects,
 * "undefined", "NaN", "[object Object]" and internal errors.
 */
export function expectClean(name: string, r: ToolResult): string {
  const t = text(r);
  expect(r.isError, `${name} succeeds on real state: ${t}`).toBeFalsy();
  expect(t.trim().length, `${name} says something`).toBeGreaterThan(0);
  expect(t, `${name} text has no "undefined"`).not.toMatch(/undefined/);
  expect(t, `${name} text has no NaN`).not.toMatch(/\bNaN\b/);
  expect(t, `${name} text has no [object Object]`).not.toMatch(/\[object Object\]/);
  expect(t, `${name} text carries no JSON object`).not.toMatch(/\{\s*"[^"]+"\s*:/);
  expect(t, `${name} is no internal error`).not.toMatch(/internal error/i);
  return t;
}

/** An error result with a helpful message (what was wrong), never an internal error or a stack. */
export function expectRefused(name: string, r: ToolResult, message?: RegExp): string {
  const t = text(r);
  expect(r.isError, `${name} must be refused: ${t}`).toBe(true);
  expect(t, `${name} refusal is no internal error`).not.toMatch(/internal error|DecimalError|TypeError|\bat .+\.ts:\d+/i);
  expect(t, `${name} refusal has no "undefined"`).not.toMatch(/undefined/);
  if (message) expect(t, `${name} explains the refusal`).toMatch(message);
  return t;
}

/** Previews an order and places it with the token, as a person approving the card would. */
export async function placeConfirmed(c: Client, args: Record<string, unknown>): Promise<ToolResult> {
  const preview = await call(c, 'preview-order', args);
  expect(preview.isError, `preview ${JSON.stringify(args)}: ${text(preview)}`).toBeFalsy();
  const token = (preview.structuredContent as { confirmationToken: string | null }).confirmationToken;
  expect(token, `a card that passes its checks carries a token: ${text(preview)}`).toBeTruthy();
  const placed = await call(c, 'place-order', { ...args, confirmationToken: token });
  expect(placed.isError, `place ${JSON.stringify(args)}: ${text(placed)}`).toBeFalsy();
  return placed;
}

/** The token a confirmation-required refusal carries. */
export function tokenOf(r: ToolResult): string {
  const m = /confirmationToken "([^"]+)"/.exec(text(r));
  expect(m, `the refusal carries a token: ${text(r)}`).toBeTruthy();
  return m![1]!;
}

export async function priceOf(c: Client, symbol: string): Promise<number> {
  const r = await call(c, 'get-price', { symbols: [symbol] });
  return Number((r.structuredContent as { prices: Array<{ price: string }> }).prices[0]!.price);
}
