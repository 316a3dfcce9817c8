// Progress of long work: a backtest over several pages of candles and a sweep report progress to an
// MCP client that asked for it (a progress token) — strictly rising, ending at the total, with words
// a person can read — and the chat shows it as a bar through the turn's streaming hook (the same hook
// Telegram edits one message with). A client that did not ask gets no notifications.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { InProcessClient } from '../../src/mcp/in-process.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { manualClock, T0 } from '../services/market/support.js';
import { connect, text } from '../tools/harness.js';

let app: TestApp;
let alice: User;
let a: InProcessClient;
let handler: BrainChatHandler;
const clock = manualClock(T0);

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
  alice = await createUser(app.database.db, { username: 'alice' });
  await app.services.portfolio.ensureDefaultPortfolio(alice.id);
  a = await connect(app, alice);
  handler = createChatHandler(app.config, app.services, { mode: 'offline' });
}, 60_000);
afterAll(async () => {
  await handler?.close();
  await a?.close();
  await app?.close();
});

interface Seen {
  progress: number;
  total: number | undefined;
  message: string | undefined;
}

describe('progress of long tool calls', () => {
  it('a backtest over 90 days of hourly candles reports each page loaded, then the run', async () => {
    const seen: Seen[] = [];
    const r = await a.client.callTool(
      { name: 'backtest-strategy', arguments: { strategy: 'sma_cross', symbol: 'ETH/USDT', timeframe: '1h', days: 90, params: { fast: 5, slow: 20 } } },
      undefined,
      { onprogress: (p) => seen.push({ progress: p.progress, total: p.total, message: p.message }) },
    );
    expect(r.isError, text(r as Parameters<typeof text>[0])).toBeFalsy();
    // 90 days of 1h candles = 2,159 closed candles: three pages of at most 1,000 (the first 90 hundredths), then the run.
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress, 'progress only rises').toBeGreaterThan(seen[i - 1]!.progress);
    expect(new Set(seen.map((s) => s.total)), 'in hundredths throughout').toEqual(new Set([100]));
    expect(seen.map((s) => s.progress)).toEqual([41, 83, 90, 95]);
    expect(seen[0]!.message).toMatch(/^loading ETH\/USDT 1h candles: 1,000 so far$/);
    expect(seen[seen.length - 1]!.message).toMatch(/^running sma cross over 2,159 candles$/);
  });

  it('a sweep reports every backtest it ran', async () => {
    const seen: Seen[] = [];
    const r = await a.client.callTool(
      { name: 'sweep-strategy', arguments: { strategy: 'sma_cross', symbol: 'ETH/USDT', timeframe: '1h', days: 30, grid: { fast: [5, 10], slow: [20, 40] }, folds: 2 } },
      undefined,
      { onprogress: (p) => seen.push({ progress: p.progress, total: p.total, message: p.message }) },
    );
    expect(r.isError, text(r as Parameters<typeof text>[0])).toBeFalsy();
    const last = seen[seen.length - 1]!;
    // 4 combinations × 2 folds in sample, then one out-of-sample run per fold.
    expect(last).toEqual({ progress: 10, total: 10, message: '10 of 10 backtests run' });
  });

  it('a client that did not ask gets the answer and no progress', async () => {
    let notified = 0;
    a.client.setNotificationHandler((await import('@modelcontextprotocol/sdk/types.js')).ProgressNotificationSchema, () => {
      notified++;
    });
    const r = await a.client.callTool({ name: 'backtest-strategy', arguments: { strategy: 'sma_cross', symbol: 'ETH/USDT', timeframe: '1h', days: 90, params: { fast: 5, slow: 20 } } });
    expect(r.isError, text(r as Parameters<typeof text>[0])).toBeFalsy();
    expect(notified).toBe(0);
  });

  it('the chat shows a bar while a backtest runs, then the answer', async () => {
    const partials: string[] = [];
    const reply = await handler.handleText({ platform: 'terminal', user: alice, chatId: 'progress', isGroup: false }, '/backtest ema 12/26 eth 1h 90d', { onPartial: (t) => partials.push(t) });
    expect(reply.text).toMatch(/^Backtest of momentum on ETH\/USDT 1h/);
    expect(partials.length).toBeGreaterThanOrEqual(2);
    expect(partials[0]).toMatch(/^[▓░]{10} \d+% loading ETH\/USDT 1h candles: [\d,]+ so far$/);
    expect(partials).toContain('▓▓▓▓▓▓▓▓▓░ 90% loading ETH/USDT 1h candles: 2,159 so far');
    expect(partials[partials.length - 1]).toBe('▓▓▓▓▓▓▓▓▓░ 95% running momentum over 2,159 candles');
  });
});
