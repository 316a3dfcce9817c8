// The offline understanding of predictions: the phrasings of issue 12 become get-prediction with the
// horizon said in words or figures, list-predictions, get-model-scorecard or retrain-model; another
// horizon is a question back; and the messages near them that meant something else still do.
import { describe, expect, it } from 'vitest';
import { understand, type Intent } from '../../src/bot/nlu/index.js';
import { predictInputShape } from '../../src/services/predict/prediction-service.js';
import { z } from 'zod';

function shown(intent: Intent): string {
  return intent.kind === 'tool' ? `${intent.tool} ${JSON.stringify(intent.args)}` : `${intent.kind}: ${'text' in intent ? intent.text : ''}`;
}
function expectCall(text: string, tool: string, args: Record<string, unknown>): Intent {
  const intent = understand(text);
  expect(intent.kind === 'tool' ? { tool: intent.tool, args: intent.args } : shown(intent), `“${text}”`).toEqual({ tool, args });
  return intent;
}

describe('predictions in chat', () => {
  it.each([
    ['what do you predict for BTC in 1h?', 'BTC/USDT', '1h'],
    ['prediction for eth 4h', 'ETH/USDT', '4h'],
    ['btc forecast next hour', 'BTC/USDT', '1h'],
    ['will sol go up in the next 4 hours?', 'SOL/USDT', '4h'],
    ['predict btc 15 min', 'BTC/USDT', '15m'],
    ['btc prediction 15m', 'BTC/USDT', '15m'],
    ['forecast eth in 1 hour', 'ETH/USDT', '1h'],
    ['what will sol do tomorrow? predict it', 'SOL/USDT', '1d'],
    ['prediction btc 24h', 'BTC/USDT', '1d'],
    ['forecast doge 1d', 'DOGE/USDT', '1d'],
    ['is avax going down in the next hour', 'AVAX/USDT', '1h'],
    ['/predict sol 4h', 'SOL/USDT', '4h'],
  ])('“%s” → get-prediction %s %s', (text, symbol, horizon) => {
    const intent = expectCall(text, 'get-prediction', { symbol, horizon });
    expect(intent.kind === 'tool' && intent.effect, 'a prediction is a read').toBe('read');
    expect(z.object(predictInputShape).strict().safeParse((intent as { args: unknown }).args).success, 'the arguments are the tool\'s').toBe(true);
  });

  it('the verb without a horizon leaves the horizon to the tool (1h)', () => {
    expectCall('what do you predict for btc?', 'get-prediction', { symbol: 'BTC/USDT' });
  });

  it.each([
    ['recent predictions', 'list-predictions', {}],
    ['show my predictions for eth', 'list-predictions', { symbol: 'ETH/USDT' }],
    ['/predictions', 'list-predictions', {}],
    ['how good are your predictions?', 'get-model-scorecard', {}],
    ['prediction scorecard', 'get-model-scorecard', {}],
    ['model scorecard for btc', 'get-model-scorecard', { symbol: 'BTC/USDT' }],
    ['hit rate of the 4h predictions on sol', 'get-model-scorecard', { symbol: 'SOL/USDT', horizon: '4h' }],
    ['/scorecard', 'get-model-scorecard', {}],
    ['retrain the btc 1h model', 'retrain-model', { symbol: 'BTC/USDT', horizon: '1h' }],
  ] as const)('“%s” → %s', (text, tool, args) => {
    expectCall(text, tool, args);
  });

  it('retraining is a change (the server refuses anyone but an admin)', () => {
    const intent = understand('retrain the eth models');
    expect(intent.kind === 'tool' && intent.effect).toBe('write');
  });

  it.each([
    ['predict btc in 2 hours', /15m, 1h, 4h or 1d ahead, not 2h/],
    ['prediction for eth 1w', /15m, 1h, 4h or 1d ahead, not 1w/],
    ['what do you predict?', /Predict which market\?/],
    ['retrain the model', /Retrain the models of which market\?/],
  ])('“%s” is a question back', (text, question) => {
    const intent = understand(text);
    expect(intent.kind, shown(intent)).toBe('unknown');
    expect((intent as { text: string }).text).toMatch(question);
  });
});

describe('what it must not take', () => {
  it.each([
    ['btc prediction', 'analyze-market', { symbol: 'BTC/USDT' }],
    ['forecast for eth', 'analyze-market', { symbol: 'ETH/USDT' }],
    ['analyse ETH on the 4h', 'analyze-market', { symbol: 'ETH/USDT', timeframe: '4h' }],
    ['sui going up?', 'get-price', { symbols: ['SUI/USDT'] }],
    ['price of btc', 'get-price', { symbols: ['BTC/USDT'] }],
    ['my scorecard', 'get-performance', {}],
    ['what is my win rate this week', 'get-performance', { period: 'week' }],
    ['rsi on btc 1h', 'get-indicators', { symbol: 'BTC/USDT', timeframe: '1h', indicators: ['rsi'] }],
    ['chart sol 4h', 'get-chart', { symbol: 'SOL/USDT', timeframe: '4h' }],
    ['is btc going to dump', 'analyze-market', { symbol: 'BTC/USDT' }],
  ] as const)('“%s” stays %s', (text, tool, args) => {
    expectCall(text, tool, args);
  });

  it('an order that mentions a forecast is still a trade card or a question, never a read', () => {
    for (const text of ['buy 0.1 btc if your forecast says up', 'sell eth, the model predicts down']) {
      const intent = understand(text);
      const safe = (intent.kind === 'tool' && intent.effect === 'trade') || (intent.kind === 'unknown' && !intent.text.startsWith("I didn't get that"));
      expect(safe, `“${text}”: ${shown(intent)}`).toBe(true);
    }
  });

  it('an alert about a move within the next hour stays an alert', () => {
    const intent = understand('alert me if btc goes up 5% in the next hour');
    expect(intent.kind === 'tool' && intent.tool, shown(intent)).toBe('create-alert');
  });
});
