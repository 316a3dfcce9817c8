// The offline understanding of issue 9: exits attached to an order stay exits (a "stop" beside a
// buy is its stop-loss, not a stop-buy), every take-profit is kept, short id prefixes as tables show
// them reach the tools unchanged, and a bare ticker names a position in any market.
import { describe, expect, it } from 'vitest';
import { understand, type Intent } from '../../src/bot/nlu/index.js';

function call(text: string): { tool: string; args: Record<string, unknown> } {
  const intent: Intent = understand(text);
  expect(intent.kind, `“${text}” should be a tool call, got ${JSON.stringify(intent)}`).toBe('tool');
  return intent.kind === 'tool' ? { tool: intent.tool, args: intent.args } : { tool: '', args: {} };
}

const tp = (...legs: Array<[string, string]>): Array<{ price: string; fraction: string }> => legs.map(([price, fraction]) => ({ price, fraction }));

describe('exits attached to an order', () => {
  it.each([
    ['buy 0.5 eth with a stop at 2900 and take profit at 3300', { symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '0.5', stopLoss: '2900', takeProfits: tp(['3300', '1']) }],
    ['buy 0.5 eth with a stop loss at 2900 and take profit at 3300 and 3400', { symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '0.5', stopLoss: '2900', takeProfits: tp(['3300', '0.5'], ['3400', '0.5']) }],
    ['buy 1 sol stop 130 tp 160', { symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '1', stopLoss: '130', takeProfits: tp(['160', '1']) }],
    ['buy 1 eth stop 2900', { symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '1', stopLoss: '2900' }],
    ['buy 0.5 eth sl 2900 targets 3300/3400/3500', { symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '0.5', stopLoss: '2900', takeProfits: tp(['3300', '0.33'], ['3400', '0.33'], ['3500', '0.34']) }],
    ['long eth 5x with $200 and a stop at 2800', { symbol: 'ETH-PERP', side: 'buy', type: 'market', quoteQuantity: '200', leverage: '5', stopLoss: '2800' }],
    ['short 1 sol with a stop at 160 and take profit at 120 and 110', { symbol: 'SOL-PERP', side: 'sell', type: 'market', quantity: '1', stopLoss: '160', takeProfits: tp(['120', '0.5'], ['110', '0.5']) }],
    ['sell 1 sol-perp with a stop at 160 and tp 120', { symbol: 'SOL-PERP', side: 'sell', type: 'market', quantity: '1', stopLoss: '160', takeProfits: tp(['120', '1']) }],
    ['buy 1 eth at 3000 stop 2900 take profit 3300', { symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '1', price: '3000', stopLoss: '2900', takeProfits: tp(['3300', '1']) }],
    ['buy 1 eth if it drops to 2900 with a stop at 2800 and tp 3300', { symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '1', price: '2900', stopLoss: '2800', takeProfits: tp(['3300', '1']) }],
    ['buy 0.5 eth, take profit at 3300, stop at 2900', { symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '0.5', stopLoss: '2900', takeProfits: tp(['3300', '1']) }],
  ])('%s → the stop-loss and every take-profit of the order', (text, args) => {
    const c = call(text);
    expect(c.tool, `“${text}” previews an order`).toBe('preview-order');
    expect(c.args, `“${text}”: the stop and targets are exits, the entry is unchanged`).toStrictEqual(args);
  });

  it.each([
    ['buy 0.1 BTC if it breaks above 70k', { symbol: 'BTC/USDT', side: 'buy', type: 'stop', quantity: '0.1', stopPrice: '70000' }],
    ['buy 1 eth if it drops to 2900', { symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '1', price: '2900' }],
    ['stop buy 1 eth at 3800', { symbol: 'ETH/USDT', side: 'buy', type: 'stop', quantity: '1', stopPrice: '3800' }],
    ['buy stop 1 eth at 3800', { symbol: 'ETH/USDT', side: 'buy', type: 'stop', quantity: '1', stopPrice: '3800' }],
    ['buy 1 eth stop 3800 limit 3820', { symbol: 'ETH/USDT', side: 'buy', type: 'stop_limit', quantity: '1', price: '3820', stopPrice: '3800' }],
    ['sell 1 eth trailing stop 50', { symbol: 'ETH/USDT', side: 'sell', type: 'trailing_stop', quantity: '1', trailingAmount: '50' }],
    ['sell 2 sol if it drops to 120', { symbol: 'SOL/USDT', side: 'sell', type: 'stop', quantity: '2', stopPrice: '120' }],
    ['sell 1 eth stop 2900', { symbol: 'ETH/USDT', side: 'sell', type: 'stop', quantity: '1', stopPrice: '2900' }],
  ])('%s stays an entry stop or limit', (text, args) => {
    const c = call(text);
    expect(c.tool).toBe('preview-order');
    expect(c.args, `“${text}” is the order's own trigger, not an attached exit`).toStrictEqual(args);
  });

  it('asks for prices instead of reading a percentage as a price', () => {
    for (const text of ['buy 0.5 eth sl 5%', 'buy 0.5 eth tp 10 percent', 'long sol 3x $100 stop 3%']) {
      const intent = understand(text);
      expect(intent.kind, `“${text}”: 5% is not a stop at 5`).toBe('unknown');
      if (intent.kind === 'unknown') expect(intent.text).toMatch(/as prices/);
    }
    const trailing = call('sell 1 eth trailing stop 2%');
    expect(trailing.args, 'a trailing stop in percent is still a trailing stop').toStrictEqual({ symbol: 'ETH/USDT', side: 'sell', type: 'trailing_stop', quantity: '1', trailingPercent: '2' });
  });

  it('asks for both prices of a stop-limit', () => {
    const intent = understand('stop-limit buy 1 eth at 3800');
    expect(intent.kind, 'one price is not a stop-limit').toBe('unknown');
  });

  it('says the exits in the summary it shows', () => {
    const intent = understand('buy 0.5 eth with a stop at 2900 and take profit at 3300 and 3400');
    expect(intent.kind).toBe('tool');
    if (intent.kind !== 'tool') return;
    expect(intent.summary, 'the summary names the stop-loss').toMatch(/stop-loss 2900/);
    expect(intent.summary, 'the summary names every take-profit').toMatch(/3300.*3400/);
  });
});

describe('ids as the tables show them', () => {
  it.each([
    ['cancel order 630a8f0b', 'cancel-order', { orderId: '630a8f0b' }],
    ['/cancel 630a8f0b', 'cancel-order', { orderId: '630a8f0b' }],
    ['delete alert 5aa9af53', 'delete-alert', { alertId: '5aa9af53' }],
    ['/delalert 5aa9af53', 'delete-alert', { alertId: '5aa9af53' }],
    ['remove alert 5aa9', 'delete-alert', { alertId: '5aa9' }],
    ['explain order 950add53', 'explain-order', { orderId: '950add53' }],
    ['why did you place order 950add53?', 'explain-order', { orderId: '950add53' }],
    ['order 950add53', 'get-order', { orderId: '950add53' }],
    ['status of order 950ADD53', 'get-order', { orderId: '950ADD53' }],
    ['move order 630a8f0b to 150', 'amend-order', { orderId: '630a8f0b', price: '150' }],
    ['change order 630a8f0b quantity to 2', 'amend-order', { orderId: '630a8f0b', quantity: '2' }],
    ['close position a1b2c3d4', 'close-position', { positionId: 'a1b2c3d4', fraction: '1' }],
    ['cancel order 630a8f0b-1c2d', 'cancel-order', { orderId: '630a8f0b-1c2d' }],
    ['cancel order 12345678', 'cancel-order', { orderId: '12345678' }],
    // An id whose hex digits are all decimal (one in 43) is an id, not a "cancel" that answers "no".
    ['cancel 10549379', 'cancel-order', { orderId: '10549379' }],
    ['/cancel 10549379', 'cancel-order', { orderId: '10549379' }],
  ])('%s → %s with the id as typed', (text, tool, args) => {
    const c = call(text);
    expect(c.tool, `“${text}” calls ${tool}`).toBe(tool);
    expect(c.args, `“${text}” passes the short id unchanged`).toStrictEqual(args);
  });

  it('still reads a bare "cancel", "no!" or "yes." as the answer to a card', () => {
    expect(['cancel', 'no!', 'Cancel.', 'yes.', 'yes please'].map((t) => understand(t))).toEqual([
      { kind: 'confirm', answer: 'no' },
      { kind: 'confirm', answer: 'no' },
      { kind: 'confirm', answer: 'no' },
      { kind: 'confirm', answer: 'yes' },
      { kind: 'confirm', answer: 'yes' },
    ]);
  });

  it('asks for an id too short to be one', () => {
    const intent = understand('cancel order 63a');
    expect(intent.kind, 'three characters are not an id').toBe('unknown');
    if (intent.kind === 'unknown') expect(intent.text, 'the question does not claim ids must be UUIDs').not.toMatch(/UUID/);
  });
});

describe('a bare ticker names a position in any market', () => {
  it.each([
    ['set a stop loss on eth at 2800', 'set-stop-loss', { symbol: 'ETH', price: '2800' }],
    ['sl btc 58000', 'set-stop-loss', { symbol: 'BTC', price: '58000' }],
    ['stop loss eth-perp 2900', 'set-stop-loss', { symbol: 'ETH-PERP', price: '2900' }],
    ['set stop loss on ETH/USDT at 2800', 'set-stop-loss', { symbol: 'ETH/USDT', price: '2800' }],
    ['take profit on eth at 4000', 'set-take-profits', { symbol: 'ETH', targets: [{ price: '4000', fraction: '1' }] }],
    ['sell my SOL if it drops to 120', 'set-stop-loss', { symbol: 'SOL', price: '120' }],
    ['close my eth position', 'close-position', { symbol: 'ETH', fraction: '1' }],
    ['sell half my ETH', 'close-position', { symbol: 'ETH', fraction: '0.5' }],
  ])('%s → %s on the bare ticker', (text, tool, args) => {
    const c = call(text);
    expect(c.tool).toBe(tool);
    expect(c.args, `“${text}” leaves the market to the service, which finds the open position`).toStrictEqual(args);
  });
});
