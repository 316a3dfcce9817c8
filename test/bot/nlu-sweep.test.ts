// Parameter sweeps asked for in words (issue 11): the offline understanding turns ranges, lists and
// steps into sweep-strategy's grid, shared values into its params, and asks back for what is missing.
import { describe, expect, it } from 'vitest';
import { TOOL_EFFECT, UNDERSTOOD_TOOLS, understand } from '../../src/bot/nlu/index.js';

describe('sweeps in words', () => {
  it.each([
    ['sweep btc sma cross fast 5 to 50 slow 60 to 150', { strategy: 'sma_cross', symbol: 'BTC/USDT', grid: { fast: [5, 16, 28, 39, 50], slow: [60, 83, 105, 128, 150] } }],
    ['optimise momentum ETH 4h fast 5,10,20 slow 30-90 step 20 over 180 days with 5 folds', { strategy: 'momentum', symbol: 'ETH/USDT', grid: { fast: [5, 10, 20], slow: [30, 50, 70, 90] }, timeframe: '4h', days: 180, folds: 5 }],
    ['run a parameter sweep of sma cross on btc fast 5-20 slow 50/100/200', { strategy: 'sma_cross', symbol: 'BTC/USDT', grid: { fast: [5, 9, 13, 16, 20], slow: [50, 100, 200] } }],
    ['tune mean reversion on sol window 10 to 40 entryZ 1.5 to 3', { strategy: 'mean_reversion', symbol: 'SOL/USDT', grid: { window: [10, 18, 25, 33, 40], entryz: [1.5, 1.875, 2.25, 2.625, 3] } }],
    ['sweep grid btc levels 5 to 20 lower 60k upper 80k over 60 days', { strategy: 'grid', symbol: 'BTC/USDT', grid: { levels: [5, 9, 13, 16, 20] }, params: { lower: 60000, upper: 80000 }, days: 60 }],
    ['walk-forward test of momentum on sol fast 8 to 10 slow 20 to 40 by 10', { strategy: 'momentum', symbol: 'SOL/USDT', grid: { fast: [8, 9, 10], slow: [20, 30, 40] } }],
  ])('%s → sweep-strategy', (text, args) => {
    const intent = understand(text);
    expect(intent.kind, JSON.stringify(intent)).toBe('tool');
    if (intent.kind !== 'tool') return;
    expect(intent.tool).toBe('sweep-strategy');
    expect(intent.args).toStrictEqual(args);
    expect(intent.effect).toBe(TOOL_EFFECT['sweep-strategy']);
    expect(UNDERSTOOD_TOOLS).toContain('sweep-strategy');
    expect(intent.summary, 'the summary says it is a simulation').toMatch(/a simulation: no order is placed\)$/);
  });

  it.each([
    ['sweep eth', /^Which strategy should I sweep/],
    ['sweep momentum', /^Sweep momentum \(EMA cross\) on which market\?/],
    ['sweep momentum on btc', /^Which parameters of momentum \(EMA cross\) should the sweep try/],
    ['walk-forward test momentum btc fast 5 to 500 step 1', /^5 to 500 in steps of 1 is 496 values; a parameter takes at most 20\./],
    ['sweep momentum btc fast 50 to 5', /^50 to 5 is not a range/],
    ['sweep momentum btc fast 5 to 20 slow 30 to 60 with 12 folds', /^A sweep runs 1 to 10 walk-forward folds; 12 is outside that\./],
    ['sweep momentum btc fast 2 to 4 slow 5 to 9 atrperiod 10 to 14 atrmultiplier 1 to 3 allocation 0.5 to 1', /^A sweep varies 1 to 4 parameters; that names 5 \(fast, slow, atrperiod, atrmultiplier, allocation\)/],
  ])('%s → a question back', (text, question) => {
    const intent = understand(text);
    expect(intent.kind, JSON.stringify(intent)).toBe('unknown');
    if (intent.kind === 'unknown') expect(intent.text).toMatch(question);
  });

  it('“optimise” or “tune” without a strategy is not a sweep', () => {
    for (const text of ['optimize my portfolio', 'tune my alerts']) {
      const intent = understand(text);
      expect(intent.kind === 'tool' ? intent.tool : intent.kind, text).not.toBe('sweep-strategy');
    }
  });
});
