// The offline understanding of the two strategies that trade more than one market (issue 11): a pairs
// trade (statistical_arbitrage, the second asset named is its `pair`) and a funding carry
// (yield_optimisation). Each phrasing gives backtest-strategy's own arguments, which its schema
// accepts; a pairs trade with one asset is a question back; the single-market kinds keep their words.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { understand } from '../../src/bot/nlu/index.js';
import { TOOLS } from '../../src/tools/index.js';

const CASES: Array<[string, Record<string, unknown>]> = [
  ['backtest a pairs trade btc against eth', { strategy: 'statistical_arbitrage', symbol: 'BTC/USDT', params: { pair: 'ETH' } }],
  ['backtest statistical arbitrage on sol vs eth over the last 30 days', { strategy: 'statistical_arbitrage', symbol: 'SOL/USDT', days: 30, params: { pair: 'ETH' } }],
  ['how would stat-arb eth btc 4h have done over the past 6 months?', { strategy: 'statistical_arbitrage', symbol: 'ETH/USDT', timeframe: '4h', days: 180, params: { pair: 'BTC' } }],
  ['backtest funding arbitrage on eth since 2025-01-01', { strategy: 'yield_optimisation', symbol: 'ETH/USDT', from: '2025-01-01' }],
  ['simulate a cash and carry on sol for 60 days', { strategy: 'yield_optimisation', symbol: 'SOL/USDT', days: 60 }],
  ['backtest a basis trade on btc 1h', { strategy: 'yield_optimisation', symbol: 'BTC/USDT', timeframe: '1h' }],
];

describe('backtests of strategies over two markets, offline', () => {
  it.each(CASES)('%s', (text, args) => {
    const intent = understand(text);
    expect(intent).toMatchObject({ kind: 'tool', tool: 'backtest-strategy', args });
    if (intent.kind !== 'tool') return;
    expect(intent.args, 'nothing more than was said').toEqual(args);
    const tool = TOOLS.find((t) => t.name === 'backtest-strategy')!;
    expect(z.object(tool.input).strict().safeParse(intent.args).success, 'the tool accepts it').toBe(true);
  });

  it('asks for the second asset of a pairs trade named with one', () => {
    expect(understand('backtest a btc pairs trade')).toEqual({ kind: 'unknown', text: 'A pairs trade needs two assets: BTC against which? Try “backtest stat arb BTC against ETH over the last 90 days”.' });
    expect(understand('backtest stat arb on sol')).toMatchObject({ kind: 'unknown', text: expect.stringMatching(/^A pairs trade needs two assets: SOL against which\?/) });
  });

  it('keeps z-score and mean reversion words for mean reversion', () => {
    expect(understand('backtest z-score on eth')).toMatchObject({ tool: 'backtest-strategy', args: { strategy: 'mean_reversion', symbol: 'ETH/USDT' } });
    expect(understand('backtest a sol grid from 120 to 180')).toMatchObject({ tool: 'backtest-strategy', args: { strategy: 'grid' } });
  });
});
