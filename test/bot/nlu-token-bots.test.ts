// The offline understanding of the platform token and bots: each phrasing becomes the right tool call
// with the right arguments; a stake of another asset, a stake without a pool and "unstake" without an id
// are questions back; and the old meanings of nearby words ("pause trading", "stop loss", "my balance")
// are kept.
import { describe, expect, it } from 'vitest';
import { TOOL_EFFECT, UNDERSTOOD_TOOLS, understand } from '../../src/bot/nlu/index.js';

const CASES: Array<[string, string, Record<string, unknown>]> = [
  ['my token balance', 'get-token-balance', {}],
  ['What is my token balance?', 'get-token-balance', {}],
  ['how many tokens do I have', 'get-token-balance', {}],
  ['my omni', 'get-token-balance', {}],
  ['staking pools', 'list-staking-pools', {}],
  ['where can I stake?', 'list-staking-pools', {}],
  ['stake 100 OMNI in flex', 'stake-tokens', { pool: 'flex', amount: '100' }],
  ['stake 1,000 tokens into the 90-day pool', 'stake-tokens', { pool: '90-day', amount: '1000' }],
  ['please stake 250.5 in pool flex', 'stake-tokens', { pool: 'flex', amount: '250.5' }],
  ['unstake 3f2a9c1e', 'unstake-tokens', { stake: '3f2a9c1e' }],
  ['claim my rewards', 'claim-rewards', {}],
  ['Claim all my staking rewards', 'claim-rewards', {}],
  ['collect rewards', 'claim-rewards', {}],
  ['token history', 'get-token-history', {}],
  ['list my bots', 'list-bots', {}],
  ['my bots', 'list-bots', {}],
  ['show all my bots', 'list-bots', {}],
  ['bot 3f2a9c1e', 'get-bot', { botId: '3f2a9c1e' }],
  ['performance of bot 3f2a9c1e', 'get-bot', { botId: '3f2a9c1e' }],
  ['How is bot 3f2a9c1e doing?', 'get-bot', { botId: '3f2a9c1e' }],
  ["bot 10549379's p&l", 'get-bot', { botId: '10549379' }],
  ['show me the stats for bot 3f2a', 'get-bot', { botId: '3f2a' }],
  ['backtest 1a2b3c4d', 'get-backtest', { backtestId: '1a2b3c4d' }],
  ['open orders of bot 3f2a9c1e', 'get-bot', { botId: '3f2a9c1e' }],
  ['what is bot 3f2a9c1e holding?', 'get-bot', { botId: '3f2a9c1e' }],
  ['my backtests', 'list-backtests', {}],
  ['List all my backtests', 'list-backtests', {}],
  ['show my last 5 backtests', 'list-backtests', { limit: 5 }],
  ['show my past backtests for btc', 'list-backtests', { symbol: 'BTC' }],
  ['my eth backtests', 'list-backtests', { symbol: 'ETH' }],
  ['my last 3 grid backtests on sol/usdt', 'list-backtests', { limit: 3, symbol: 'SOL/USDT', strategy: 'grid' }],
  ['list my sma cross backtests', 'list-backtests', { strategy: 'sma_cross' }],
  ['backtest history', 'list-backtests', {}],
  ['show my last backtest', 'get-backtest', { backtestId: 'last' }],
  // A bot from a strategy: the market, timeframe and parameters as a backtest of the same words, and both limits.
  ['start a grid bot on btc from 60k to 80k with max 100 per order and 1000 per day', 'create-bot', {
    name: 'grid BTC/USDT', strategy: 'grid', symbol: 'BTC/USDT', params: { lower: '60000', upper: '80000', quotePerLevel: '100' }, limits: { maxOrderNotional: '100', maxDailyNotional: '1000' },
  }],
  ['start a grid bot on btc from 60k to 80k with 250 per level, max 300 per order and 2000 per day', 'create-bot', {
    name: 'grid BTC/USDT', strategy: 'grid', symbol: 'BTC/USDT', params: { lower: '60000', upper: '80000', quotePerLevel: '250' }, limits: { maxOrderNotional: '300', maxDailyNotional: '2000' },
  }],
  ['create a whale-following bot for ETH, max $100 per order, $1000 per day', 'create-bot', {
    name: 'whale following ETH/USDT', strategy: 'whale_following', symbol: 'ETH/USDT', limits: { maxOrderNotional: '100', maxDailyNotional: '1000' },
  }],
  ['start a bot following the whales on eth 4h, max 100 per order, 1000 per day', 'create-bot', {
    name: 'whale following ETH/USDT', strategy: 'whale_following', symbol: 'ETH/USDT', timeframe: '4h', limits: { maxOrderNotional: '100', maxDailyNotional: '1000' },
  }],
  ['start a momentum bot on sol 4h ema 12/26 with max 100 per order and 1000 per day', 'create-bot', {
    name: 'momentum SOL/USDT', strategy: 'momentum', symbol: 'SOL/USDT', timeframe: '4h', params: { fast: 12, slow: 26 }, limits: { maxOrderNotional: '100', maxDailyNotional: '1000' },
  }],
  // "$50 a day" is the DCA's schedule; the limit is the one said as a limit.
  ['start a dca bot on eth $50 a day with max 100 per order and 1000 per day', 'create-bot', {
    name: 'DCA ETH/USDT', strategy: 'dca', symbol: 'ETH/USDT', params: { quoteAmount: '50', every: 24 }, limits: { maxOrderNotional: '100', maxDailyNotional: '1000' },
  }],
  ['start a dca bot on eth, max 1000 per day and 100 per order, $50 a day', 'create-bot', {
    name: 'DCA ETH/USDT', strategy: 'dca', symbol: 'ETH/USDT', params: { quoteAmount: '50', every: 24 }, limits: { maxOrderNotional: '100', maxDailyNotional: '1000' },
  }],
  ['backtest whale following on eth over 30 days', 'backtest-strategy', { strategy: 'whale_following', symbol: 'ETH/USDT', days: 30 }],
  ['backtest sma cross on btc 4h', 'backtest-strategy', { strategy: 'sma_cross', symbol: 'BTC/USDT', timeframe: '4h' }],
  ['backtest market making on sol over 7 days', 'backtest-strategy', { strategy: 'market_making', symbol: 'SOL/USDT', days: 7 }],
  ["the latest backtest's trades", 'get-backtest', { backtestId: 'last' }],
  ['show backtest 10549379', 'get-backtest', { backtestId: '10549379' }],
  ['results of backtest 1a2b3c4d', 'get-backtest', { backtestId: '1a2b3c4d' }],
  ["backtest 1a2b's trades", 'get-backtest', { backtestId: '1a2b' }],
  ['pause bot 3f2a9c1e', 'pause-bot', { botId: '3f2a9c1e' }],
  ['Pause the bot 3f2a', 'pause-bot', { botId: '3f2a' }],
  ['resume bot 3f2a9c1e', 'resume-bot', { botId: '3f2a9c1e' }],
  ['stop bot 3f2a9c1e', 'stop-bot', { botId: '3f2a9c1e' }],
  ['turn off bot 3f2a9c1e', 'stop-bot', { botId: '3f2a9c1e' }],
  ['strategy leaderboard', 'get-strategy-leaderboard', {}],
  ['show me the bot rankings', 'get-strategy-leaderboard', {}],
  ['rank my bots by drawdown', 'get-strategy-leaderboard', { sortBy: 'drawdown' }],
  ['rank my strategies by max drawdown', 'get-strategy-leaderboard', { sortBy: 'drawdown' }],
  ['compare my backtests by sharpe ratio', 'get-strategy-leaderboard', { sortBy: 'sharpe' }],
  ['my best strategies', 'get-strategy-leaderboard', {}],
  ['top bots by profit', 'get-strategy-leaderboard', { sortBy: 'pnl' }],
  ['Which of my bots is best?', 'get-strategy-leaderboard', {}],
  ["the group's strategy leaderboard", 'get-strategy-leaderboard', { scope: 'community' }],
  ['community bot leaderboard by return', 'get-strategy-leaderboard', { scope: 'community', sortBy: 'pnl' }],
];

describe('token and bot phrasings', () => {
  it.each(CASES)('%s → %s', (text, tool, args) => {
    const intent = understand(text);
    expect(intent.kind, JSON.stringify(intent)).toBe('tool');
    if (intent.kind !== 'tool') return;
    expect(intent.tool).toBe(tool);
    expect(intent.args).toStrictEqual(args);
    expect(intent.effect).toBe(TOOL_EFFECT[intent.tool]);
    expect(UNDERSTOOD_TOOLS, 'listed as understood').toContain(intent.tool);
  });

  it.each([
    ['stake 1 btc in flex', /only the platform token, not BTC/],
    ['stake 100 omni', /Stake in which pool\?/],
    ['unstake', /Unstake which stake\?/],
    ['start a trading bot', /^Which strategy should the bot run/],
    ['start a momentum bot', /^Run momentum \(EMA cross\) on which market\? Try “start a momentum bot on BTC with max 100 per order and 1000 per day”/],
    ['start a grid bot on btc with max 100 per order and 1000 per day', /^Between which prices should the BTC grid trade\? Try “start a grid bot on BTC from <low> to <high>/],
    ['start a dca bot on eth $50 a day', /^A bot needs the limits you approve: the most per order and the most per day\./],
    ['start a bot following smart whale with max 100 per order and 1000 per day', /^Run whale following on which market\?/],
  ])('%s → a question back', (text, question) => {
    const intent = understand(text);
    expect(intent.kind, JSON.stringify(intent)).toBe('unknown');
    if (intent.kind === 'unknown') expect(intent.text).toMatch(question);
  });

  it('never starts a bot from the message itself: it shows the card, offered for the person\'s own yes', () => {
    for (const text of ['start bot 3f2a9c1e', 'approve bot 3f2a9c1e', 'run bot 3f2a9c1e']) {
      const intent = understand(text);
      expect(intent.kind === 'tool' && intent.tool, text).toBe('get-bot');
      if (intent.kind === 'tool') expect(intent.offerStart, text).toBe(true);
    }
    const shown = understand('show bot 3f2a9c1e');
    expect(shown.kind === 'tool' && shown.offerStart, 'only a start is offered').toBeFalsy();
  });

  it.each([
    ['pause trading', 'halt-trading'],
    ['stop loss on sol at 80', 'set-stop-loss'],
    ['my balance', 'get-balances'],
    ['resume trading', 'resume-trading'],
  ])('keeps "%s" as %s', (text, tool) => {
    const intent = understand(text);
    expect(intent.kind === 'tool' ? intent.tool : intent.kind).toBe(tool);
  });
});
