// Bad input that used to reach an internal error (or be stored): each tool, on an account with real
// state, refuses it with a message saying what was wrong and how to fix it, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessClient } from '../../src/mcp/in-process.js';
import { createUser, type User } from '../../src/services/users.js';
import { TOOLS } from '../../src/tools/index.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { call, connect, expectRefused, fingerprint, placeConfirmed, priceOf } from './harness.js';

let app: TestApp;
let alice: User;
let a: InProcessClient;
let resting: string;
let sol: number;

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' });
  alice = await createUser(app.database.db, { username: 'alice' });
  a = await connect(app, alice);
  // State a refused call could wrongly change: a position, a resting order, an alert, a limit.
  sol = await priceOf(a.client, 'SOL/USDT');
  await placeConfirmed(a.client, { symbol: 'SOL/USDT', side: 'buy', quantity: '2' });
  const limit = await placeConfirmed(a.client, { symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '1', price: (sol * 0.5).toFixed(2) });
  resting = (limit.structuredContent as { order: { id: string } }).order.id;
  await call(a.client, 'create-alert', { condition: { type: 'price_above', symbol: 'SOL/USDT', price: '100000' } });
  await call(a.client, 'set-risk-limit', { type: 'max_open_positions', value: '5' });
});
afterAll(async () => {
  await a?.close();
  await app?.close();
});

const NUL = '\u0000';
const tp = (target: Record<string, unknown>): Record<string, unknown> => ({ symbol: 'SOL/USDT', targets: [target] });
const far = (): string => (sol * 1.5).toFixed(2);

// [tool, arguments (a function when they depend on the state), what the message must say]
const TABLE: Array<[string, Record<string, unknown> | (() => Record<string, unknown>), RegExp]> = [
  ['create-alert', { condition: { type: 'price_above', symbol: 'BTC/USDT', price: '1,000' } }, /without thousands separators: "1000"/],
  ['create-alert', { condition: { type: 'price_above', symbol: 'BTC/USDT', price: ' ' } }, /price is required/],
  ['create-alert', { condition: { type: 'price_above', symbol: 'BTC/USDT', price: '' } }, /price is required/],
  ['create-alert', { condition: { type: 'price_below', symbol: 'BTC/USDT', price: '1000000000000000000' } }, /price must be at most 1000000000/],
  ['create-alert', { condition: { type: 'price_below', symbol: 'BTC/USDT', price: '0' } }, /greater than zero/],
  ['create-alert', { title: `moon${NUL}`, condition: { type: 'price_above', symbol: 'BTC/USDT', price: '100' } }, /control characters/],
  ['create-alert', { condition: { type: 'percent_move', symbol: 'BTC/USDT', percent: 1e18, windowMinutes: 60, direction: 'up' } }, /percent must be at most 1000/],
  ['create-paper-portfolio', { name: `pot${NUL}` }, /control characters/],
  ['create-paper-portfolio', { name: 'big', startingCash: '1e18' }, /at most 1,000,000,000,000/],
  ['create-paper-portfolio', { name: 'commas', startingCash: '10,000' }, /without thousands separators/],
  ['halt-trading', { reason: `stop${NUL}now` }, /control characters/],
  ['halt-trading', { reason: 'line one\nline two' }, /one line/],
  ['set-take-profits', () => tp({ price: far(), fraction: '1e-400' }), /at least 0\.0001/],
  ['set-take-profits', () => tp({ price: far(), fraction: 5e-324 }), /at least 0\.0001/],
  ['set-take-profits', () => tp({ price: far(), fraction: '1e-25' }), /at least 0\.0001/],
  ['set-take-profits', () => tp({ price: far(), fraction: '1.5' }), /at most 1/],
  ['set-take-profits', () => tp({ price: far(), fraction: '0.0001' }), /rounds to zero at step 0\.001/],
  ['set-take-profits', tp({ price: '1e18', fraction: '1' }), /at most 1,000,000,000/],
  ['set-take-profits', tp({ price: 'NaN' }), /decimal number/],
  ['set-stop-loss', { symbol: 'SOL/USDT', price: '1e18' }, /at most 1,000,000,000/],
  ['set-stop-loss', { symbol: 'SOL/USDT', price: '' }, /empty/],
  ['set-stop-loss', { symbol: 'SOL/USDT', price: 'soon' }, /decimal number|"off"/],
  ['set-risk-limit', { type: 'max_open_positions', value: '1e18' }, /at most 1,000/],
  ['set-risk-limit', { type: 'max_open_positions', value: '2.5' }, /whole number/],
  ['set-risk-limit', { type: 'leverage', value: '1000' }, /at most 200/],
  ['set-risk-limit', { type: 'daily_loss', value: '1,000' }, /without thousands separators/],
  ['set-risk-limit', { type: 'daily_loss', value: '1e400' }, /too large/],
  ['set-risk-limit', { type: 'daily_loss', value: `5${NUL}` }, /control characters/],
  ['place-order', { symbol: 'SOL/USDT', side: 'buy', quantity: '1e-400' }, /decimals/],
  ['place-order', { symbol: 'SOL/USDT', side: 'buy', quantity: '1e18' }, /at most 1,000,000,000,000/],
  ['place-order', { symbol: 'SOL-PERP', side: 'buy', quantity: '1', leverage: '0.5' }, /at least 1/],
  ['place-order', { symbol: 'SOL/USDT', side: 'buy', quoteQuantity: ' ' }, /empty/],
  ['preview-order', { symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '1', price: '1e18' }, /at most 1,000,000,000/],
  ['preview-order', { symbol: 'SOL/USDT', side: 'sell', type: 'trailing_stop', quantity: '1', trailingPercent: '150' }, /below 100/],
  ['preview-order', { symbol: `SOL${NUL}`, side: 'buy', quantity: '1' }, /control characters/],
  ['amend-order', () => ({ orderId: resting, price: '-1' }), /must not be negative/],
  ['amend-order', () => ({ orderId: resting, quantity: 'Infinity' }), /decimal number/],
  ['close-position', { symbol: 'SOL/USDT', fraction: '0' }, /at least 0\.0001/],
  ['close-position', { symbol: 'SOL/USDT', fraction: '2' }, /at most 1/],
  ['cancel-order', { orderId: 'ab' }, /at least 4 characters/],
  ['cancel-order', { orderId: 'xyz!' }, /order id or its first characters/],
  ['delete-alert', { alertId: '' }, /at least 4 characters/],
  ['get-positions', { symbol: `SOL${NUL}` }, /control characters/],
  ['list-analyses', { symbol: `x${NUL}` }, /control characters/],
  ['get-price', { symbols: [NUL] }, /control characters/],
  ['get-chart', { kind: 'equity', portfolioId: 'not-an-id' }, /portfolio id or its first characters/],
  ['get-chart', { symbol: 'SOL/USDT', limit: 1e9 }, /500/],
  ['get-candles', { symbol: 'SOL/USDT', limit: 1e18 }, /1000/],
  ['get-candles', { symbol: 'SOL/USDT', since: `2026${NUL}` }, /ISO date-time/],
  ['get-order-book', { symbol: 'SOL/USDT', depth: 0 }, /1/],
  ['search-markets', { query: `sol${NUL}` }, /control characters/],
  ['get-funding-rate', { symbol: `BTC-PERP${NUL}` }, /control characters/],
  ['get-indicators', { symbol: 'SOL/USDT', period: 1e18 }, /200/],
  ['analyze-market', { symbol: 'SOL/USDT', timeframe: '2h' }, /timeframe must be one of/],
  ['list-analyses', { limit: 0 }, /1/],
  ['backtest-strategy', { strategy: 'martingale', symbol: 'BTC/USDT' }, /grid, dca, momentum, mean_reversion/],
  ['backtest-strategy', { strategy: 'grid', symbol: 'BTC/USDT', params: { lower: '60000', upper: '80000', quotePerLevel: '100', spacing: 'log' } }, /unknown parameter "spacing"; grid takes lower, upper, levels, quotePerLevel/],
  ['backtest-strategy', { strategy: 'grid', symbol: 'BTC/USDT', params: { lower: '60000', upper: '80000', levels: 1, quotePerLevel: '100' } }, /levels must be at least 2/],
  ['backtest-strategy', { strategy: 'momentum', symbol: 'BTC/USDT', timeframe: '2h' }, /1m, 5m, 15m/],
  ['backtest-strategy', { strategy: 'momentum', symbol: 'BTC/USDT', days: 1e9 }, /3650/],
  ['backtest-strategy', { strategy: 'momentum', symbol: 'BTC/USDT', initialCash: '10,000' }, /without thousands separators/],
  ['backtest-strategy', { strategy: 'momentum', symbol: `BTC${NUL}` }, /control characters/],
  ['sweep-strategy', { strategy: 'sma_cross', symbol: 'BTC/USDT', grid: {} }, /give 1 to 4 parameters to vary/],
  ['sweep-strategy', { strategy: 'sma_cross', symbol: 'BTC/USDT', grid: { fast: [5, 10] }, folds: 0 }, /at least 1/],
  ['sweep-strategy', { strategy: 'sma_cross', symbol: 'BTC/USDT', grid: { fast: Array.from({ length: 21 }, (_, i) => i + 1) } }, /at most 20 values per parameter/],
  ['get-backtest', { backtestId: 'zz' }, /at least 4 characters/],
  ['compare-backtests', { backtestIds: ['1a2b3c4d'] }, /give two backtests to compare/],
  ['compare-backtests', { backtestIds: ['1a2b3c4d', 'zz'] }, /at least 4 characters/],
  ['get-backtest', { backtestId: '00000000', limit: 501 }, /at most 500/],
  ['list-backtests', { limit: 0 }, /at least 1/],
  ['list-backtests', { symbol: "BTC' OR 1=1" }, /must be a market like BTC\/USDT/],
  ['list-backtests', { symbol: 'BTC%' }, /must be a market like BTC\/USDT/],
  ['list-backtests', { strategy: 'martingale' }, /must be one of/],
  ['watch-wallet', { address: '0x1234' }, /0x followed by 40 hex digits/],
  ['watch-wallet', { address: '0x5AaEb6053F3E94C9b9A09f33669435E7Ef1BeAed' }, /checksum/i],
  ['watch-wallet', { address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', chain: 'solana' }, /ethereum or hyperliquid/],
  ['watch-wallet', { address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', backfillBlocks: 50_001 }, /backfillBlocks must be at most 50000/],
  ['watch-wallet', { address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', chain: 'hyperliquid', backfillBlocks: 10 }, /backfillBlocks is for Ethereum wallets/],
  ['unwatch-wallet', { wallet: '' }, /name the wallet by its address or your label/],
  ['get-wallet-card', { wallet: 'x'.repeat(101) }, /too long/],
  ['get-wallet-card', { wallet: 'whale', community: 'irc:#mikey' }, /telegram:<id>/],
  ['share-wallet', { wallet: '' }, /name the wallet by its address or your label/],
  ['share-wallet', { wallet: 'whale', label: 'x'.repeat(41) }, /at most 40 characters/],
  ['share-wallet', { wallet: 'whale', tags: ['<b>'] }, /letters, digits/],
  ['share-wallet', { wallet: 'whale', community: "telegram:1' or 1=1" }, /telegram:<id>/],
  ['unshare-wallet', { wallet: '0x1234' }, /0x followed by 40 hex digits/],
  ['list-community-wallets', { community: 'discord' }, /discord:<id>/],
  ['follow-community-wallet', { wallet: 'whale', chain: 'solana' }, /ethereum or hyperliquid/],
  ['follow-community-wallet', { wallet: 'whale', label: 'a\u0007b' }, /plain text/],
  ['get-market-bias', { symbol: '' }, /name the asset/],
  ['get-market-bias', { symbol: 'ETH', timeframe: '2h' }, /timeframe must be 1h, 4h or 24h/],
  ['get-market-bias', { symbol: 'ETH; DROP TABLE wallets' }, /not an asset or market/],
  ['get-market-bias', { symbol: `ETH${NUL}` }, /control characters/],
  ['get-market-bias', { symbol: 'usdc' }, /stablecoin/],
  ['get-prediction', { symbol: 'BTC/USDT', horizon: '2h' }, /must be one of 15m, 1h, 4h, 1d/],
  ['get-prediction', { symbol: `BTC${NUL}`, horizon: '1h' }, /control characters/],
  ['list-predictions', { model: 'lstm' }, /must be one of gradient_boosted_trees, logistic_regression, ridge_regression, majority_class, persistence/],
  ['list-predictions', { limit: 1e9 }, /at most 100/],
  ['get-model-scorecard', { horizon: '2h' }, /must be one of 15m, 1h, 4h, 1d/],
  ['get-model-scorecard', { days: 1e9 }, /at most 3650/],
  ['retrain-model', { symbol: 'BTC/USDT', horizon: '1h', model: 'lstm' }, /must be one of gradient_boosted_trees/],
  ['retrain-model', { symbol: 'BTC/USDT', horizon: '2h' }, /must be one of 15m, 1h, 4h, 1d/],
  ['list-orders', { limit: 1e9 }, /500/],
  ['get-order', { orderId: 'zz' }, /at least 4 characters/],
  ['explain-order', { orderId: `${NUL}abcd` }, /order id or its first characters/],
  ['get-shadow', { limit: 1e9 }, /200/],
  ['get-shadow', { portfolioId: `abcd${NUL}` }, /portfolio id or its first characters/],
  ['get-trades', { since: 'yesterday-ish' }, /ISO date/],
  ['get-performance', { period: 'decade' }, /day|week|month/],
  ['get-portfolio', { portfolioId: `abcd${NUL}` }, /portfolio id or its first characters/],
  ['get-balances', { portfolioId: 'xyz' }, /at least 4 characters/],
  ['get-risk-limits', { portfolioId: 'g000' }, /portfolio id or its first characters/],
  ['get-risk-metrics', { portfolioId: 'ffff' }, /portfolio not found/],
  ['resume-trading', { portfolioId: 'ab' }, /at least 4 characters/],
  ['list-alerts', { status: 'fired' }, /active|all/],
  ['close-all-positions', { portfolioId: 'zz' }, /at least 4 characters/],
  ['close-all-positions', { confirmationToken: 'x'.repeat(200) }, /at most 100 characters/],
  ['get-report', { period: 'year' }, /4h|day/],
  ['set-report-schedule', { schedule: 'hourly' }, /off|4h|daily|both/],
  ['set-notifications', { kind: 'fill', mode: 'loud' }, /on|silent|off/],
  ['create-alert', { condition: { type: 'price_above', symbol: 'BTC/USDT', price: '100' }, mode: 'repeat', cooldownMinutes: 1e18 }, /10080/],
  ['preview-order', { symbol: 'SOL/USDT', side: 'buy', type: 'twap', quantity: '1', slices: 1e9, durationMinutes: 30 }, /1000/],
  ['preview-order', { symbol: 'SOL/USDT', side: 'buy', type: 'twap', quantity: '1', slices: 3, durationMinutes: 1e18 }, /43200/],
  ['list-staking-pools', { includeClosed: 'yes' }, /includeClosed/],
  ['stake-tokens', { pool: 'flex', amount: '-5' }, /amount/],
  ['stake-tokens', { pool: ' ', amount: '100' }, /pool is required/],
  ['unstake-tokens', { stake: 'zz' }, /at least 4 characters/],
  ['get-token-history', { limit: 1e9 }, /at most 200/],
  ['mint-tokens', { amount: '1e400' }, /amount/],
  ['mint-tokens', { amount: '0' }, /amount/],
  ['grant-tokens', { user: 'alice', amount: '1,000' }, /without thousands separators/],
  ['create-staking-pool', { name: 'flex', apr: '11' }, /apr/],
  ['create-staking-pool', { name: 'flex', apr: '0.1', lockDays: 1.5 }, /whole number of days/],
  ['close-staking-pool', { pool: `flex${NUL}` }, /control characters/],
  ['create-bot', { name: 'x', strategy: 'martingale', symbol: 'BTC/USDT', limits: { maxOrderNotional: '100', maxDailyNotional: '500' } }, /must be one of grid, dca/],
  ['create-bot', { name: 'x', strategy: 'dca', params: { quoteAmount: '100' }, symbol: 'BTC/USDT', limits: { maxOrderNotional: '500', maxDailyNotional: '100' } }, /maxDailyNotional \(100\) is below limits.maxOrderNotional \(500\)/],
  ['create-bot', { name: 'x', strategy: 'dca', params: { quoteAmount: '100' }, symbol: 'BTC/USDT' }, /limits/],
  ['create-bot', { fromBacktest: 'zz', limits: { maxOrderNotional: '100', maxDailyNotional: '500' } }, /needs at least 4 characters of the backtest id/],
  ['create-bot', { fromBacktest: "last'; drop table bots;--", limits: { maxOrderNotional: '100', maxDailyNotional: '500' } }, /must be a backtest id or its first characters/],
  ['start-bot', { botId: '00000000', approve: false }, /must be true/],
  ['start-bot', { botId: 'zz', approve: true }, /at least 4 characters/],
  ['pause-bot', { botId: 'zz' }, /at least 4 characters/],
  ['resume-bot', { botId: `abcd${NUL}` }, /bot id or its first characters/],
  ['stop-bot', { botId: 'ffffffff' }, /bot not found/],
  ['get-bot', { botId: 'zz' }, /at least 4 characters/],
  ['get-strategy-leaderboard', { sortBy: 'roi' }, /sharpe, drawdown or pnl/],
  ['get-strategy-leaderboard', { limit: 500 }, /at most 50/],
  ['join-leaderboard', { includeLive: 'yes' }, /includeLive/],
  ['get-leaderboard', { period: '1y' }, /7d, 30d, 90d or all/],
  ['get-leaderboard', { community: 'slack:T123' }, /"telegram:<id>" or "discord:<id>"/],
  ['create-competition', { name: `cup${NUL}` }, /control characters/],
  ['create-competition', { name: 'cup', startingCash: '10,000' }, /without thousands separators/],
  ['create-competition', { name: 'cup', durationDays: 365 }, /at most 90/],
  ['create-competition', { name: 'cup', prizeSplit: [0.7, 1.5] }, /at most 1/],
  ['create-competition', { name: 'cup', prizePool: '-1' }, /prizePool|at least 0|negative/],
  ['join-competition', { competition: `cup${NUL}` }, /control characters/],
  ['get-competition', { competition: 'x'.repeat(100) }, /at most 64/],
  ['list-competitions', { status: 'open' }, /scheduled, running, finished or cancelled/],
  ['cancel-competition', { competition: '' }, /competition is required/],
];

describe('bad input, tool by tool', () => {
  it.each(TABLE.map(([tool, args, message], i) => [`${i}: ${tool}`, tool, args, message] as const))('%s', async (_label, tool, args, message) => {
    const before = await fingerprint(app);
    const input = typeof args === 'function' ? args() : args;
    expectRefused(tool, await call(a.client, tool, input), message);
    expect(await fingerprint(app), `${tool} with bad input changes nothing`).toEqual(before);
  });

  it('the table covers every tool that takes an argument', () => {
    const covered = new Set(TABLE.map(([tool]) => tool));
    const takesArguments = TOOLS.filter((t) => Object.keys(t.input).length > 0).map((t) => t.name);
    expect(takesArguments.filter((n) => !covered.has(n)), 'each such tool has bad-input rows').toEqual([]);
  });

  it('nothing a refused call carried was stored (no 400-digit fractions, no NUL)', async () => {
    const r = await call(a.client, 'get-positions', {});
    expect(JSON.stringify(r.structuredContent), 'no absurd take-profit stored').not.toMatch(/0{30}/);
  });
});
