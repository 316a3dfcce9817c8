import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HyperliquidError, HyperliquidInfoClient, bodyExcerpt } from '../../../src/adapters/hyperliquid/index.js';
import { startFakeInfoServer, type FakeInfoServer } from './fake-info-server.js';

const TRADER = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const HASH = `0x${'a1'.repeat(32)}`;

// Shapes as Hyperliquid returns them (see src/adapters/hyperliquid/info-schema.ts).
const STATE = {
  marginSummary: { accountValue: '1250345.678901', totalNtlPos: '2650400.5', totalRawUsd: '-1400054.82', totalMarginUsed: '132520.03' },
  crossMarginSummary: { accountValue: '1250345.678901', totalNtlPos: '2650400.5', totalRawUsd: '-1400054.82', totalMarginUsed: '132520.03' },
  crossMaintenanceMarginUsed: '33130.0',
  withdrawable: '1117825.64',
  assetPositions: [
    {
      type: 'oneWay',
      position: {
        coin: 'ETH',
        szi: '-500.25',
        leverage: { type: 'cross', value: 20 },
        entryPx: '3012.4',
        positionValue: '1500400.5',
        unrealizedPnl: '6500.12',
        returnOnEquity: '0.0863',
        liquidationPx: '5120.77',
        marginUsed: '75020.03',
        maxLeverage: 25,
        cumFunding: { allTime: '-120.5', sinceOpen: '-20.1', sinceChange: '-3.2' },
      },
    },
    {
      type: 'oneWay',
      position: {
        coin: 'BTC',
        szi: '17.5',
        leverage: { type: 'isolated', value: 10, rawUsd: '-1092500.0' },
        entryPx: '65000.0',
        positionValue: '1150000.0',
        unrealizedPnl: '12500.0',
        returnOnEquity: '0.1098',
        liquidationPx: null,
        marginUsed: '57500.0',
        maxLeverage: 40,
        cumFunding: { allTime: '10.0', sinceOpen: '10.0', sinceChange: '0.0' },
      },
    },
  ],
  time: 1_767_225_600_123,
};

const fill = (time: number, tid: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  coin: 'ETH',
  px: '3012.4',
  sz: '12.5',
  side: 'A',
  time,
  startPosition: '-487.75',
  dir: 'Open Short',
  closedPnl: '0.0',
  hash: HASH,
  oid: 90542681,
  crossed: true,
  fee: '13.18',
  tid,
  feeToken: 'USDC',
  builderFee: '0.0',
  ...over,
});

let hl: FakeInfoServer;
let client: HyperliquidInfoClient;

beforeAll(async () => {
  hl = await startFakeInfoServer();
  client = new HyperliquidInfoClient({ baseUrl: `${hl.url}/`, timeoutMs: 2_000 });
});
afterAll(async () => hl.close());
beforeEach(() => {
  hl.requests.length = 0;
  hl.queue.length = 0;
  hl.states.set(TRADER.toLowerCase(), STATE);
  hl.fills.set(TRADER.toLowerCase(), [
    fill(1_767_225_500_000, 3, { side: 'B', dir: 'Close Short', closedPnl: '-45.5', startPosition: '-500.25', sz: '0.5' }),
    fill(1_767_225_400_000, 2),
    fill(1_767_225_300_000, 1, { coin: 'BTC', px: '65000.0', sz: '0.01', side: 'B', dir: 'Open Long', startPosition: '17.49', crossed: false, fee: '-0.13' }),
  ]);
  hl.mids = { BTC: '65123.5', ETH: '2999.95', '@107': '0.0045' };
});

async function rejection(p: Promise<unknown>): Promise<HyperliquidError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HyperliquidError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('Hyperliquid info client', () => {
  it('reads account value and positions as exact decimals', async () => {
    const a = await client.clearinghouseState(TRADER.toLowerCase());
    expect(hl.requests, 'the documented request body, address in lower case').toEqual([{ type: 'clearinghouseState', user: TRADER.toLowerCase() }]);
    expect(a.user, 'address normalised to its checksum form').toBe(TRADER);
    expect(a.accountValue.toFixed()).toBe('1250345.678901');
    expect(a.withdrawable.toFixed()).toBe('1117825.64');
    expect(a.time.toISOString()).toBe('2026-01-01T00:00:00.123Z');
    const [eth, btc] = a.positions;
    expect([eth!.coin, eth!.side, eth!.szi.toFixed(), eth!.entryPx?.toFixed(), eth!.liquidationPx?.toFixed()]).toEqual(['ETH', 'short', '-500.25', '3012.4', '5120.77']);
    expect([eth!.positionValue.toFixed(), eth!.unrealizedPnl.toFixed(), eth!.leverage]).toEqual(['1500400.5', '6500.12', { type: 'cross', value: 20 }]);
    expect([btc!.side, btc!.szi.toFixed(), btc!.liquidationPx, btc!.leverage]).toEqual(['long', '17.5', null, { type: 'isolated', value: 10 }]);
  });

  it('reads an unknown address as an empty account', async () => {
    const a = await client.clearinghouseState('0x0000000000000000000000000000000000000001');
    expect([a.accountValue.toFixed(), a.positions]).toEqual(['0', []]);
  });

  it('reads fills with side, direction, realised PnL, hash and trade id', async () => {
    const fills = await client.userFills(TRADER);
    expect(hl.requests).toEqual([{ type: 'userFills', user: TRADER.toLowerCase() }]);
    expect(fills.map((f) => [f.tid, f.coin, f.side, f.px.toFixed(), f.sz.toFixed(), f.dir, f.closedPnl.toFixed()])).toEqual([
      [3, 'ETH', 'buy', '3012.4', '0.5', 'Close Short', '-45.5'],
      [2, 'ETH', 'sell', '3012.4', '12.5', 'Open Short', '0'],
      [1, 'BTC', 'buy', '65000', '0.01', 'Open Long', '0'],
    ]);
    expect([fills[2]!.crossed, fills[2]!.fee.toFixed(), fills[0]!.hash, fills[0]!.time, fills[0]!.feeToken]).toEqual([false, '-0.13', HASH, 1_767_225_500_000, 'USDC']);
  });

  it('pages fills by time', async () => {
    const fills = await client.userFillsByTime(TRADER, 1_767_225_400_000);
    expect(hl.requests).toEqual([{ type: 'userFillsByTime', user: TRADER.toLowerCase(), startTime: 1_767_225_400_000 }]);
    expect(fills.map((f) => f.tid), 'from startTime on, oldest first').toEqual([2, 3]);
    const bounded = await client.userFillsByTime(TRADER, 0, 1_767_225_350_000);
    expect(hl.requests[1]).toEqual({ type: 'userFillsByTime', user: TRADER.toLowerCase(), startTime: 0, endTime: 1_767_225_350_000 });
    expect(bounded.map((f) => f.tid)).toEqual([1]);
  });

  it('reads all mid prices', async () => {
    const mids = await client.allMids();
    expect(hl.requests).toEqual([{ type: 'allMids' }]);
    expect(Object.fromEntries([...mids].map(([k, v]) => [k, v.toFixed()]))).toEqual({ BTC: '65123.5', ETH: '2999.95', '@107': '0.0045' });
  });

  it('refuses a bad address or time before sending anything', async () => {
    const e = await rejection(client.clearinghouseState('0x1234'));
    expect([e.code, e.message]).toEqual(['invalid_input', 'Hyperliquid address "0x1234" is not an address: it must have exactly 40 hex digits (0-9, a-f) after 0x, got 4 characters']);
    const t = await rejection(client.userFillsByTime(TRADER, 10, 5));
    expect(t.message).toMatch(/endTime must be .* not before startTime/);
    expect(hl.requests).toEqual([]);
  });

  it('turns error statuses into clear errors with no stack traces or markup', async () => {
    hl.queue.push(
      { status: 429, body: 'null' },
      { status: 422, body: 'Failed to deserialize the JSON body into the target type: user: invalid length\n    at <anonymous>', contentType: 'text/plain' },
      { status: 502, body: '<html><body>Bad Gateway</body></html>', contentType: 'text/html' },
    );
    const limited = await rejection(client.allMids());
    expect([limited.code, limited.status, limited.message]).toEqual(['rate_limited', 429, 'Hyperliquid is rate limiting allMids requests']);
    const refused = await rejection(client.userFills(TRADER));
    expect([refused.code, refused.message]).toEqual([
      'invalid_input',
      'Hyperliquid refused the userFills request (HTTP 422): Failed to deserialize the JSON body into the target type: user: invalid length',
    ]);
    const down = await rejection(client.allMids());
    expect([down.code, down.message]).toEqual(['unavailable', "Hyperliquid's info API failed on allMids (HTTP 502): html body Bad Gateway /body /html"]);
    for (const e of [limited, refused, down]) expect(e.message, 'no base URL in messages').not.toContain('127.0.0.1');
  });

  it('reports malformed bodies and shapes clearly', async () => {
    hl.queue.push({ status: 200, body: '{"marginSummary": {' }, { status: 200, body: JSON.stringify([{ ...fill(1, 1), px: 3012.4 }]) });
    const notJson = await rejection(client.clearinghouseState(TRADER));
    expect([notJson.code, notJson.message]).toEqual(['unavailable', 'Hyperliquid answered clearinghouseState with a body that is not JSON']);
    const badShape = await rejection(client.userFills(TRADER));
    expect(badShape.message).toBe("Hyperliquid's fills answer was not in the expected shape (0.px: Expected string, received number)");
  });

  it('gives up after the timeout', async () => {
    const quick = new HyperliquidInfoClient({ baseUrl: hl.url, timeoutMs: 150 });
    hl.queue.push('hang');
    const e = await rejection(quick.allMids());
    expect([e.code, e.message]).toEqual(['unavailable', "Hyperliquid's info API did not answer allMids within 0.15 s"]);
  });

  it('reports an unreachable server without its address', async () => {
    const closed = await startFakeInfoServer();
    const url = closed.url;
    await closed.close();
    const e = await rejection(new HyperliquidInfoClient({ baseUrl: url, timeoutMs: 2_000 }).allMids());
    expect([e.code, e.message]).toEqual(['unavailable', "could not reach Hyperliquid's info API for allMids"]);
  });

  it('keeps one cleaned line of a vendor body', () => {
    expect(bodyExcerpt('\n  first {"a":1}\u0007 line\nsecond')).toBe('first a :1 line');
    expect(bodyExcerpt('x'.repeat(500), 10)).toBe('xxxxxxxxx…');
  });
});
