// A bot on a live portfolio, against a fake Binance on 127.0.0.1 (test/fakes/exchange-server.ts):
// its approval is typed at the terminal (the bot's name back, `mikey bot approve-live`), never given
// by a tool; once typed, the bot's orders go to the venue under the standing approval (no token),
// with the bot's client order id, once even when a candle is decided again after a crash; an
// approval that was not typed never trades a live portfolio.
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApproveLiveArgs, registerBotCommands } from '../../../src/bot-commands.js';
import type { Command, Out } from '../../../src/cli-types.js';
import { UsageError } from '../../../src/cli-types.js';
import { auditLogs, bots, orders } from '../../../src/db/schema/index.js';
import { dec } from '../../../src/domain/money.js';
import type { Actor } from '../../../src/services/actor.js';
import { BotRunner } from '../../../src/services/bots/bot-runner.js';
import { readBotConfig } from '../../../src/services/bots/bot-config.js';
import type { OpeningCommand } from '../../../src/surfaces.js';
import { startFakeExchange, type FakeExchange } from '../../fakes/exchange-server.js';
import type { TestApp } from '../../support/app.js';
import { manualClock, rejection, type ManualClock } from '../market/support.js';
import { setUpLive } from '../trading/live-support.js';

const KEY = 'liveBotKey0123456789abcdef';
const SECRET = 'liveBotSecret0123456789abcdef0123';
const HOUR = 3_600_000;
/** Half a minute into the current hour (UTC): that hour's candle is forming. */
const START = Math.floor(Date.now() / HOUR) * HOUR + 30_000;

let fake: FakeExchange;
let app: TestApp;
let clock: ManualClock;
let actor: Actor;
let liveId: string;
let shadowId: string;
let runner: BotRunner;
let botId: string;
const NAME = 'SOL live dca';

const botRow = async (id: string): Promise<typeof bots.$inferSelect> => (await app.services.db.select().from(bots).where(eq(bots.id, id)))[0]!;
const botOrders = async (id: string, portfolioId: string): Promise<Array<typeof orders.$inferSelect>> =>
  app.services.db.select().from(orders).where(and(eq(orders.portfolioId, portfolioId), like(orders.clientOrderId, `bot:${id.slice(0, 8)}:%`))).orderBy(orders.clientOrderId);
const venueOrdersOf = (cid: string): number => fake.private.orders(KEY).filter((o) => o.clientOrderId === cid).length;
const starts = async (id: string): Promise<number> =>
  (await app.services.db.select().from(auditLogs).where(and(eq(auditLogs.action, 'bot.start'), eq(auditLogs.entityId, id)))).length;

/** The venue's SOL price where the simulated market (which prices the bot's card and risk checks) has it now. */
async function matchVenueToMarket(): Promise<void> {
  const q = await app.services.market.venueFeed.getQuote('SOL/USDT');
  fake.setPrice('SOLUSDT', dec(q.price).toDecimalPlaces(2).toFixed(2));
}

/** Captures what a command prints. */
function capture(): Out & { text: () => string } {
  const lines: string[] = [];
  return { log: (s) => void lines.push(s), error: (s) => void lines.push(s), text: () => lines.join('\n') };
}

function newRunner(): BotRunner {
  const s = app.services;
  return new BotRunner({ db: s.db, clock: s.clock, logger: s.logger, market: s.market, portfolios: s.portfolio, trading: s.trading });
}

const commands: Record<string, Command> = {};
const openings: Record<string, OpeningCommand> = {};
registerBotCommands(
  (name, cmd) => (commands[name] = cmd),
  (name, cmd) => (openings[name] = cmd),
);

beforeAll(async () => {
  clock = manualClock(START);
  fake = await startFakeExchange({ accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '1000' } }] });
  ({ app, actor, liveId, shadowId } = await setUpLive({ url: fake.url, apiKey: KEY, secret: SECRET, clock, username: 'livebotter' }));
  runner = newRunner();
  const created = await app.services.bots.create(actor, {
    name: NAME, strategy: 'dca', params: { quoteAmount: '20', every: 1 }, symbol: 'SOL/USDT', timeframe: '1h', portfolioId: liveId,
    limits: { maxOrderNotional: '50', maxDailyNotional: '200' },
  });
  botId = created.bot.id;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('a bot on a live portfolio', () => {
  it('shows LIVE on its card', async () => {
    const r = await app.services.bots.get(actor, { botId });
    expect(r.card.lines.join('\n')).toMatch(/🔴 LIVE: its orders trade real funds/);
  });

  it('cannot be approved by a tool (start-bot): the approval is typed at the terminal; nothing changes', async () => {
    const err = await rejection(app.services.bots.approveAndStart(actor, { botId, approve: true }));
    expect(err.code).toBe('forbidden');
    expect(err.message).toContain('typed at the terminal');
    expect(err.hint).toBe(`run: npx mikey bot approve-live ${botId.slice(0, 8)}`);
    expect((await botRow(botId)).status).toBe('stopped');
    expect(readBotConfig((await botRow(botId)).config).approval).toBeNull();
    expect(await starts(botId)).toBe(0);
  });

  it('refuses a name typed wrong, changing nothing', async () => {
    const err = await rejection(app.services.bots.approveLiveTyped(actor, { botId, approve: true }, 'SOL live DCA'));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain(`does not match the bot's name "${NAME}"`);
    expect((await botRow(botId)).status).toBe('stopped');
    expect(await starts(botId)).toBe(0);
  });

  it('the command without a terminal refuses before opening anything', async () => {
    const out = capture();
    let opened = false;
    const code = await openings['bot approve-live']!(
      { config: app.config, open: async () => ((opened = true), app) },
      [botId.slice(0, 8)],
      out,
    );
    expect(code).toBe(2);
    expect(out.text()).toContain('standard input is not a terminal');
    expect(opened, 'the database was not even opened').toBe(false);
    expect((await botRow(botId)).status).toBe('stopped');
  });

  it('a forwarded command needs both the typed name and the opt-in', async () => {
    await expect(commands['bot approve-live']!(app, [botId.slice(0, 8), '--confirm-name', NAME], capture())).rejects.toThrow(UsageError);
    expect(() => parseApproveLiveArgs([])).toThrow(/needs the bot's id/);
    expect(() => parseApproveLiveArgs(['a', 'b'])).toThrow(/takes one bot/);
    expect(() => parseApproveLiveArgs(['a', '--confirm'])).toThrow(/no option "--confirm"/);
    expect(parseApproveLiveArgs(['ab12', '--confirm-name=SOL live dca', '--i-understand-live-trading'])).toEqual({ bot: 'ab12', confirmName: NAME, optedIn: true });
    expect((await botRow(botId)).status).toBe('stopped');
  });

  it('starts when its name is typed back (the command, given the name without a terminal, by the local owner for the trader)', async () => {
    clock.set(START);
    const out = capture();
    const code = await openings['bot approve-live']!({ config: app.config, open: async () => app }, [botId.slice(0, 8), '--confirm-name', NAME, '--i-understand-live-trading', '--user', 'livebotter'], out);
    expect(code, out.text()).toBe(0);
    expect(out.text()).toContain(`Bot "${NAME}" is running on the LIVE portfolio "Live"`);
    const row = await botRow(botId);
    expect(row.status).toBe('running');
    expect(readBotConfig(row.config).approval).toMatchObject({ live: true, limits: { maxOrderNotional: '50', maxDailyNotional: '200' } });
    expect(await starts(botId)).toBe(1);
  });

  it('places its order at the venue when the candle closes, under the approval (no confirmation), and the shadow follows', async () => {
    clock.set(START + HOUR);
    await matchVenueToMarket();
    const r = await runner.runBot(botId);
    expect(r).toMatchObject({ candles: 1, placed: 1, skipped: [] });
    const placed = await botOrders(botId, liveId);
    expect(placed.map((o) => [o.side, o.orderType, o.status, o.quoteQuantity])).toEqual([['buy', 'market', 'filled', '20.000000000000000000']]);
    expect(venueOrdersOf(placed[0]!.clientOrderId), 'one order at the venue with the bot\'s client id').toBe(1);
    await app.services.trading.idle();
    const mirrored = await app.services.db.select().from(orders).where(eq(orders.portfolioId, shadowId));
    expect(mirrored.map((o) => [o.side, o.quoteQuantity]), 'the paper shadow got the same order').toEqual([['buy', '20.000000000000000000']]);
  });

  it('deciding a candle again after a crash sends nothing twice to the venue', async () => {
    clock.set(START + 2 * HOUR);
    await matchVenueToMarket();
    const before = (await botRow(botId)).config;
    expect(await runner.runBot(botId, { maxCandles: 1 })).toMatchObject({ candles: 1, placed: 1 });
    await app.services.db.update(bots).set({ config: before }).where(eq(bots.id, botId));
    const sentBefore = fake.private.orders(KEY).length;
    expect(await newRunner().runBot(botId, { maxCandles: 1 })).toMatchObject({ candles: 1, placed: 0, replayed: 1 });
    expect(fake.private.orders(KEY).length, 'no second venue order').toBe(sentBefore);
    const all = await botOrders(botId, liveId);
    expect(all).toHaveLength(2);
    for (const o of all) expect(venueOrdersOf(o.clientOrderId)).toBe(1);
  });

  it('an approval that was not typed never trades a live portfolio: the runner pauses it and resume is refused', async () => {
    const row = await botRow(botId);
    const config = readBotConfig(row.config);
    const { live: _typed, ...untyped } = config.approval!;
    await app.services.db.update(bots).set({ config: { ...config, approval: untyped } }).where(eq(bots.id, botId));
    clock.set(START + 3 * HOUR);
    const sentBefore = fake.private.orders(KEY).length;
    const r = await runner.runBot(botId);
    expect(r.placed).toBe(0);
    const paused = await botRow(botId);
    expect(paused.status).toBe('paused');
    expect(readBotConfig(paused.config).pausedReason).toContain('its approval was not typed at the terminal');
    expect(fake.private.orders(KEY).length, 'nothing sent').toBe(sentBefore);
    const err = await rejection(app.services.bots.resume(actor, { botId }));
    expect(err.code).toBe('forbidden');
    expect((await botRow(botId)).status).toBe('paused');
  });
});
