// Shared pieces of the token tests: users of each role, a manual clock, the books check (supply
// equation and ledger cross-check) and a snapshot of every token table for "nothing changed".
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { queryRows, type Database } from '../../../src/db/client.js';
import type { Clock } from '../../../src/domain/ports.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import type { TokenService } from '../../../src/services/token/token-service.js';
import { createUser } from '../../../src/services/users.js';

export class ManualClock implements Clock {
  constructor(private t: number = Date.parse('2026-12-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.t);
  }
  set(d: Date | string): void {
    this.t = new Date(d).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

let seq = 0;
export async function newUser(database: Database, role: 'admin' | 'trader' | 'viewer' = 'trader'): Promise<Actor> {
  const u = await createUser(database.db, { username: `${role}_${++seq}_${Math.floor(Math.random() * 1e6)}`, role });
  return actorFor(u.id, 'terminal');
}

/** Supply = balances + locked + claimable + treasury, and every account equals its ledger entries. */
export async function expectBooks(svc: TokenService, why: string): Promise<void> {
  const c = await svc.checkSupply();
  expect(c.difference, `total supply equals balances + staked + claimable + treasury ${why}`).toBe('0');
  expect(c.ok, `supply check ok ${why}`).toBe(true);
  expect(c.ledger.problems, `ledger entries sum to every account ${why}`).toEqual([]);
}

/** Every row of the token tables, as text, to compare before and after a refused call. */
export async function tokenState(database: Database): Promise<string> {
  const parts: string[] = [];
  for (const table of ['token_treasury', 'token_balances', 'staking_pools', 'user_stakes', 'reward_logs', 'token_ledger']) {
    const rows = await queryRows<{ r: string }>(database.db, sql.raw(`select row_to_json(t)::text as r from ${table} t order by 1`));
    parts.push(`${table}: ${rows.map((x) => x.r).join('\n')}`);
  }
  return parts.join('\n');
}

export async function countRows(database: Database, table: string, where: ReturnType<typeof sql>): Promise<number> {
  const [r] = await queryRows<{ n: string | number }>(database.db, sql`select count(*)::int as n from ${sql.raw(table)} where ${where}`);
  return Number(r!.n);
}
