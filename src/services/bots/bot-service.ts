// Bots: a strategy of the kernel running on one of the owner's portfolios and one market, placing
// real (paper) orders through the trading service. This service creates them and moves them through
// their life — stopped → (approve and start) → running ⇄ paused → stopped — and reads them back; the
// runner (bot-runner.ts) does the trading.
//
// Safety:
// - A bot is created stopped, with a card of its limits (most per order, most per day). It runs only
//   after its owner approves that card (approve-and-start with `approve: true`); the approval is
//   recorded with the limits and the time, and the runner never places an order beyond it.
// - On a live portfolio the approval is typed, like the live portfolio itself: only at the terminal
//   (`mikey bot approve-live`, src/bot-commands.ts), where the owner types the bot's name back. No
//   tool or chat message can approve or resume a live bot; the runner trades a live bot only under
//   an approval marked live.
// - A strategy whose state cannot be stored exactly (state-codec.ts) is refused at creation, so a
//   bot never resumes from a state that differs from the one it saved.
// - Every method checks the trader role and the owner: another user's bot is "not found". Every
//   change writes an audit row in the same transaction.
// - A bot can be created from a stored backtest (`fromBacktest`: an id prefix or "last"): it takes the
//   backtest's strategy, parameters, market and timeframe, the given arguments laid over them; only
//   the caller's own backtests are found.
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, like, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { botPerformance, bots, orders, type Bot } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { D, toPlain } from '../../domain/money.js';
import { TIMEFRAME_MS, type Clock, type Timeframe } from '../../domain/ports.js';
import { parseStrategyParams, STRATEGIES, type Strategy, type StrategyKind } from '../../domain/strategy/index.js';
import type { Logger } from '../../log.js';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { legMarkets } from '../leg-markets.js';
import { requireActiveUser, requireRole } from '../authorize.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import { idOrPrefixField, resolveIdPrefix, shortId } from '../id-prefix.js';
import type { MarketService } from '../market-data/market-service.js';
import { alignOpenTime, TIMEFRAMES } from '../market-data/timeframes.js';
import type { PortfolioService } from '../portfolio/portfolio-service.js';
import { portfolioIdField } from '../portfolio/schemas.js';
import { OPEN_STATUSES } from '../trading/execution-core.js';
import { BOUNDS, decimalField, parseInput, symbolField, textField } from '../trading/input.js';
import { orderView, type OrderView } from '../trading/rows.js';
import type { TradingService } from '../trading/trading-service.js';
import { botOrderPrefix, BOT_KINDS, likePrefix, readBotConfig, tagOfBotOrder, type BotConfig, type BotLimits } from './bot-config.js';
import type { AgentModelOptions } from './agent-decider.js';
import { storedBacktestRow } from '../backtest/stored-backtest.js';
import { StrategyLeaderboard, type LeaderboardCommunity, type StrategyLeaderboardView } from './leaderboard.js';
import { checkRoundTrip } from './state-codec.js';

const botIdField = idOrPrefixField('bot', 'list-bots');

export const createBotShape = {
  name: textField('name', 60).optional().describe('A name for the bot, e.g. "BTC grid" (required unless fromBacktest gives one)'),
  strategy: z
    .enum(BOT_KINDS, { errorMap: () => ({ message: `must be one of ${BOT_KINDS.join(', ')}` }) })
    .optional()
    .describe(`Strategy kind: ${BOT_KINDS.join(', ')} (required unless fromBacktest gives it)`),
  params: z.record(z.unknown()).optional().describe('The strategy\'s parameters (checked by the strategy; unknown ones are refused); with fromBacktest, these override the backtest\'s one by one'),
  symbol: symbolField('Spot market the bot trades, e.g. "BTC/USDT" (required unless fromBacktest gives it)').optional(),
  timeframe: z
    .enum(TIMEFRAMES as [Timeframe, ...Timeframe[]], { errorMap: () => ({ message: `must be one of ${TIMEFRAMES.join(', ')}` }) })
    .optional()
    .describe(`Candle timeframe the strategy decides on: ${TIMEFRAMES.join(' ')} (default 1h, or the backtest's with fromBacktest)`),
  fromBacktest: z
    .string()
    .trim()
    .min(4, `needs at least 4 characters of the backtest id, or "last"; list-backtests shows yours`)
    .max(36, 'is at most 36 characters (the length of a whole id)')
    .regex(/^([0-9a-fA-F][0-9a-fA-F-]*|last)$/i, 'must be a backtest id or its first characters (hex digits such as "1a2b3c4d"), or "last" for your most recent backtest')
    .optional()
    .describe('Copy strategy, parameters, market and timeframe from one of your stored backtests: its id or first 4+ characters (list-backtests), or "last" for your most recent; other arguments override what is copied'),
  portfolioId: portfolioIdField.optional(),
  limits: z
    .object({
      maxOrderNotional: decimalField('Most one order may be worth, in the quote currency', BOUNDS.amount),
      maxDailyNotional: decimalField('Most the bot\'s orders may be worth in one UTC day, in the quote currency', BOUNDS.amount),
    })
    .strict()
    .describe('The limits the owner approves: most per order and per UTC day, in the quote currency'),
};
export type CreateBotInput = z.input<z.ZodObject<typeof createBotShape>>;

export const approveBotShape = {
  botId: botIdField,
  approve: z
    .literal(true, { errorMap: () => ({ message: 'must be true: the owner approves the bot\'s card (its strategy, market and limits) before it may trade' }) })
    .describe('true: you approve the card; the bot then places orders within its limits without asking each time'),
};

export const botIdShape = { botId: botIdField };

/** What create-bot resolved: the arguments, or a backtest's settings with the arguments over them. */
interface BotSpec {
  name: string;
  strategy: StrategyKind;
  params: Record<string, unknown>;
  symbol: string;
  timeframe: Timeframe;
}

/** The backtest a bot was created from and what was taken from it. */
export interface CopiedFromBacktest {
  backtestId: string;
  shortId: string;
  name: string;
  strategy: StrategyKind;
  symbol: string | null;
  timeframe: string | null;
  from: string | null;
  to: string | null;
  /** The backtest's return in percent. */
  returnPct: string | null;
  /** The backtest's parameters, as a person reads them. */
  params: Record<string, string>;
  /** What the create-bot arguments changed, in words. */
  changed: string[];
}

/** One or two lines on what a bot took from its backtest. */
export function copiedText(c: CopiedFromBacktest): string {
  const window = c.from !== null && c.to !== null ? `, ${c.from.slice(0, 10)} to ${c.to.slice(0, 10)}` : '';
  const ret = c.returnPct !== null ? `, return ${Number(c.returnPct) >= 0 ? '+' : ''}${new D(c.returnPct).toDecimalPlaces(2).toFixed()}%` : '';
  const params = Object.entries(c.params).map(([k, x]) => `${k} ${x}`).join(', ') || 'defaults';
  const lines = [
    `Copied from backtest ${c.shortId} (${c.strategy} on ${c.symbol ?? 'an unrecorded market'} ${c.timeframe ?? ''}${window}${ret}): strategy ${c.strategy}, market ${c.symbol ?? '—'}, timeframe ${c.timeframe ?? '—'}, parameters ${params}.`.replace(' )', ')'),
  ];
  if (c.changed.length > 0) lines.push(`Changed from the backtest: ${c.changed.join('; ')}.`);
  return lines.join('\n');
}

/** The card a person approves: everything a bot may do, as text-ready fields. */
export interface BotCard {
  botId: string;
  shortId: string;
  name: string;
  strategy: StrategyKind;
  summary: string;
  symbol: string;
  timeframe: Timeframe;
  portfolioId: string;
  portfolioName: string;
  tradingMode: string;
  quote: string;
  maxOrderNotional: string;
  maxDailyNotional: string;
  /** The parameters after defaults, decimals as strings. */
  params: Record<string, string>;
  /** One line each, ready to show. */
  lines: string[];
}

export interface BotView {
  id: string;
  shortId: string;
  name: string;
  strategy: StrategyKind;
  symbol: string;
  timeframe: Timeframe;
  portfolioId: string;
  status: string;
  lastError: string | null;
  pausedReason: string | null;
  approvedAt: string | null;
  startedAt: string | null;
  stoppedAt: string | null;
  limits: BotLimits;
}

export interface BotDetail extends BotView {
  card: BotCard;
  /** What the runner has done, in words and figures. */
  progress: { candlesDecided: number; lastCandleAt: string | null; firstCandleAt: string | null };
  /** signalEventId: the stored whale move a whale-following entry was placed on, else null. */
  openOrders: Array<OrderView & { tag: string | null; signalEventId: string | null }>;
  performance: { recordedAt: string; equity: string | null; totalPnl: string; realizedPnl: string; feesPaid: string; tradeCount: number } | null;
}

export interface BotServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  market: MarketService;
  portfolios: PortfolioService;
  trading: TradingService;
  /** The model an agent bot asks (with `source: auto`); without it agents decide by the rules. */
  agentModel?: AgentModelOptions;
}

/** A parameter value as a person reads it: decimals plain, lists joined. */
function plainValue(v: unknown): string {
  if (D.isDecimal(v)) return toPlain(v);
  if (Array.isArray(v)) return v.map(plainValue).join(', ');
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

function plainParams(params: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((params ?? {}) as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k] = plainValue(v);
  }
  return out;
}

/** JSON-safe copy of parsed params (decimals become strings), as stored and re-parsed by the runner. */
function jsonParams(params: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(params ?? {})) as Record<string, unknown>;
}

export class BotService {
  constructor(private readonly deps: BotServiceDeps) {}

  /** Creates a stopped bot and returns its card for the owner to approve. Bad input changes nothing. */
  async create(actor: Actor, input: unknown): Promise<{ bot: BotView; card: BotCard; copiedFrom: CopiedFromBacktest | null; message: string }> {
    await requireRole(this.deps.db, actor, 'trader');
    const args = parseInput(createBotShape, input, 'bot');
    const { spec: v, copiedFrom } = await this.botSpec(actor, args);
    const strategy = STRATEGIES[v.strategy] as Strategy<unknown, unknown>;
    const parsed = parseStrategyParams(strategy, v.params);
    if (!parsed.ok) throw new AppError(ErrorCode.invalidInput, parsed.error.message, `fix the ${v.strategy} parameters and try again`);
    const maxOrder = new D(args.limits.maxOrderNotional);
    const maxDaily = new D(args.limits.maxDailyNotional);
    if (maxDaily.lt(maxOrder)) {
      throw new AppError(ErrorCode.invalidInput, `limits.maxDailyNotional (${toPlain(maxDaily)}) is below limits.maxOrderNotional (${toPlain(maxOrder)})`, 'a day must allow at least one order: raise the daily limit or lower the per-order one');
    }
    const roundTrip = checkRoundTrip(strategy.init(parsed.value));
    if (!roundTrip.ok) {
      throw new AppError(
        ErrorCode.invalidInput,
        `a ${v.strategy} bot cannot run yet: its state cannot be saved and restored exactly (${roundTrip.reason}), so it could not resume after a restart`,
        `backtest ${v.strategy} instead, or run a grid or dca bot`,
      );
    }
    const market = this.deps.market.resolveSymbol(v.symbol);
    if (market.kind !== 'spot') {
      throw new AppError(ErrorCode.invalidInput, `${market.symbol} is a perpetual; bots trade spot markets for now (long only)`, `use the spot market, e.g. ${market.base}/${market.quote}`);
    }
    const portfolio = await this.deps.portfolios.resolvePortfolio(actor.userId, args.portfolioId);
    if (portfolio.accountType === 'futures') {
      throw new AppError(ErrorCode.invalidInput, `"${portfolio.name}" is a futures account; bots trade spot markets`, 'choose a spot or margin portfolio');
    }
    if (portfolio.baseCurrency !== market.quote) {
      throw new AppError(ErrorCode.invalidInput, `"${portfolio.name}" keeps its cash in ${portfolio.baseCurrency}, and ${market.symbol} is priced in ${market.quote}`, `choose a ${portfolio.baseCurrency} market, e.g. ${market.base}/${portfolio.baseCurrency}`);
    }
    // A strategy with legs trades their markets too (perpetuals beside spot), on paper only for now.
    const legs = legMarkets((symbol) => this.deps.market.resolveSymbol(symbol), v.strategy, market, strategy.legs?.(parsed.value) ?? []);
    if (legs.length > 0 && portfolio.tradingMode === 'live') {
      throw new AppError(ErrorCode.invalidInput, `${v.strategy.replaceAll('_', ' ')} trades ${legs.map((l) => l.market.symbol).join(' and ')} beside ${market.symbol}, and bots trade perpetuals on paper portfolios only for now`, 'choose a paper portfolio');
    }
    if (legs.some((l) => l.spec.kind === 'perp') && portfolio.accountType === 'spot') {
      throw new AppError(
        ErrorCode.invalidInput,
        `${v.strategy.replaceAll('_', ' ')} trades perpetuals (${legs.filter((l) => l.spec.kind === 'perp').map((l) => l.market.symbol).join(', ')}), and "${portfolio.name}" is a spot account`,
        'choose a margin portfolio, which trades spot and perpetuals (create-paper-portfolio with accountType "margin")',
      );
    }
    const limits: BotLimits = { maxOrderNotional: toPlain(maxOrder), maxDailyNotional: toPlain(maxDaily) };
    const config: BotConfig = {
      v: 1, strategy: v.strategy, params: jsonParams(parsed.value), timeframe: v.timeframe, limits, approval: null,
      state: roundTrip.text, origin: null, lastCandle: null, processed: 0, fillCursor: null, pausedReason: null,
    };
    const id = await this.freshBotId();
    const now = this.deps.clock.now();
    const row = await withTransaction(this.deps.db, async (tx) => {
      const [created] = await tx
        .insert(bots)
        .values({ id, userId: actor.userId, portfolioId: portfolio.id, name: v.name, symbol: market.symbol, status: 'stopped', config, createdAt: now, updatedAt: now })
        .returning();
      await writeAudit(tx, actor, { action: 'bot.create', entityType: 'bot', entityId: id, newValue: { name: v.name, strategy: v.strategy, symbol: market.symbol, timeframe: v.timeframe, portfolioId: portfolio.id, limits, ...(copiedFrom !== null ? { fromBacktest: copiedFrom.backtestId } : {}) } });
      return created!;
    });
    const card = this.card(row, readBotConfig(row.config), { name: portfolio.name, tradingMode: portfolio.tradingMode });
    const copied = copiedFrom === null ? '' : `\n${copiedText(copiedFrom)}`;
    return { bot: botView(row), card, copiedFrom, message: `Bot "${row.name}" (${shortId(id)}) is created and stopped. Approve its card to start it.${copied}` };
  }

  /**
   * What the bot is to run: the arguments as given, or, with `fromBacktest`, the strategy, parameters,
   * market and timeframe of one of the actor's stored backtests with the given arguments laid over
   * them. Another user's backtest is not found; a conflict or a missing piece is refused, naming it.
   */
  private async botSpec(actor: Actor, v: z.output<z.ZodObject<typeof createBotShape>>): Promise<{ spec: BotSpec; copiedFrom: CopiedFromBacktest | null }> {
    if (v.fromBacktest === undefined) {
      if (v.name === undefined || v.name === '') throw new AppError(ErrorCode.invalidInput, 'invalid bot: name is required (e.g. "BTC grid")', 'give the bot a name');
      if (v.strategy === undefined) throw new AppError(ErrorCode.invalidInput, 'invalid bot: strategy is required', `give strategy (${BOT_KINDS.join(', ')}), or fromBacktest with a backtest id or "last" to copy one`);
      if (v.symbol === undefined) throw new AppError(ErrorCode.invalidInput, 'invalid bot: symbol is required', 'give the spot market, e.g. "BTC/USDT"');
      return { spec: { name: v.name, strategy: v.strategy, params: v.params ?? {}, symbol: v.symbol, timeframe: v.timeframe ?? '1h' }, copiedFrom: null };
    }
    const row = await storedBacktestRow(this.deps.db, actor.userId, v.fromBacktest, 'run one with backtest-strategy, then start a bot from it');
    const short = shortId(row.id);
    const config = (row.config ?? {}) as { kind?: unknown; params?: unknown; symbol?: unknown; timeframe?: unknown; from?: unknown; to?: unknown };
    const kind = typeof config.kind === 'string' ? config.kind : null;
    if (kind === null || !(BOT_KINDS as readonly string[]).includes(kind)) {
      throw new AppError(
        ErrorCode.invalidInput,
        `backtest ${short} does not name a strategy a bot can run${kind !== null ? ` (it ran ${kind.slice(0, 40)})` : ''}`,
        `create the bot with strategy, symbol and params instead (${BOT_KINDS.join(', ')})`,
      );
    }
    const btKind = kind as StrategyKind;
    if (v.strategy !== undefined && v.strategy !== btKind) {
      throw new AppError(
        ErrorCode.invalidInput,
        `backtest ${short} ran ${btKind}, but you asked for a ${v.strategy} bot`,
        `leave out strategy to run ${btKind} as backtested, or leave out fromBacktest to create a ${v.strategy} bot from scratch`,
      );
    }
    const btSymbol = typeof config.symbol === 'string' ? config.symbol : undefined;
    const btTimeframe = typeof config.timeframe === 'string' && (TIMEFRAMES as readonly string[]).includes(config.timeframe) ? (config.timeframe as Timeframe) : undefined;
    const symbol = v.symbol ?? btSymbol;
    if (symbol === undefined) throw new AppError(ErrorCode.invalidInput, `backtest ${short} does not record the market it ran on`, 'give symbol as well, e.g. "BTC/USDT"');
    const timeframe = v.timeframe ?? btTimeframe;
    if (timeframe === undefined) throw new AppError(ErrorCode.invalidInput, `backtest ${short} does not record its timeframe`, `give timeframe as well (${TIMEFRAMES.join(' ')})`);
    const btParams = config.params !== null && typeof config.params === 'object' && !Array.isArray(config.params) ? (config.params as Record<string, unknown>) : {};
    const given = v.params ?? {};
    const changed: string[] = [];
    if (v.symbol !== undefined && btSymbol !== undefined && this.deps.market.resolveSymbol(v.symbol).symbol !== btSymbol) changed.push(`market ${this.deps.market.resolveSymbol(v.symbol).symbol} (the backtest ran ${btSymbol})`);
    if (v.timeframe !== undefined && btTimeframe !== undefined && v.timeframe !== btTimeframe) changed.push(`timeframe ${v.timeframe} (the backtest ran ${btTimeframe})`);
    for (const [k, x] of Object.entries(given)) {
      if (JSON.stringify(btParams[k]) !== JSON.stringify(x)) changed.push(`${k.slice(0, 40)} ${plainValue(x)}${k in btParams ? ` (the backtest used ${plainValue(btParams[k])})` : ''}`);
    }
    const marketName = this.deps.market.resolveSymbol(symbol).symbol;
    const metrics = (row.performanceMetrics ?? {}) as { returnPct?: unknown };
    const copiedFrom: CopiedFromBacktest = {
      backtestId: row.id,
      shortId: short,
      name: row.name,
      strategy: btKind,
      symbol: btSymbol ?? null,
      timeframe: btTimeframe ?? null,
      from: typeof config.from === 'string' ? config.from : null,
      to: typeof config.to === 'string' ? config.to : null,
      returnPct: typeof metrics.returnPct === 'string' ? metrics.returnPct : null,
      params: plainParams(btParams),
      changed,
    };
    const name = v.name !== undefined && v.name !== '' ? v.name : `${btKind.replaceAll('_', ' ')} ${marketName} from ${short}`.slice(0, 60);
    return { spec: { name, strategy: btKind, params: { ...btParams, ...given }, symbol, timeframe }, copiedFrom };
  }

  /**
   * Records the owner's standing approval of the bot's card and starts it. The bot decides from the
   * candle forming now on (a bot that ran before skips the candles it missed while stopped).
   */
  async approveAndStart(actor: Actor, input: unknown): Promise<{ bot: BotView; card: BotCard; message: string }> {
    return this.approve(actor, input, undefined);
  }

  /**
   * The approval of a bot on a live portfolio, typed at the terminal (`mikey bot approve-live`): the
   * owner typed `typedName` back, and it must be the bot's name exactly. Never reachable from a tool
   * or a chat message.
   */
  async approveLiveTyped(actor: Actor, input: unknown, typedName: string): Promise<{ bot: BotView; card: BotCard; message: string }> {
    return this.approve(actor, input, typedName);
  }

  private async approve(actor: Actor, input: unknown, typedName: string | undefined): Promise<{ bot: BotView; card: BotCard; message: string }> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(approveBotShape, input, 'approval');
    const row = await this.owned(actor, v.botId);
    const config = readBotConfig(row.config);
    const portfolio = await this.deps.portfolios.resolvePortfolio(actor.userId, row.portfolioId);
    const live = portfolio.tradingMode === 'live';
    if (live && typedName === undefined) {
      throw new AppError(
        ErrorCode.forbidden,
        `bot "${row.name}" trades the live portfolio "${portfolio.name}": its approval is typed at the terminal, where you type the bot's name back. Nothing was started`,
        `run: npx mikey bot approve-live ${shortId(row.id)}`,
      );
    }
    if (!live && typedName !== undefined) throw new AppError(ErrorCode.invalidInput, `bot "${row.name}" trades the paper portfolio "${portfolio.name}": approve it with start-bot (approve: true)`);
    if (live && typedName !== row.name) throw new AppError(ErrorCode.invalidInput, `the name typed does not match the bot's name "${row.name}": nothing was approved`, 'type the name exactly as get-bot shows it');
    if (row.status === 'running') throw new AppError(ErrorCode.conflict, `bot "${row.name}" is already running`, 'pause or stop it first');
    const now = this.deps.clock.now();
    const approval: NonNullable<BotConfig['approval']> = { approvedAt: now.toISOString(), approvedBy: actor.userId, limits: config.limits, ...(live ? { live: true as const } : {}) };
    const next: BotConfig = { ...catchUp(config, now), approval, pausedReason: null };
    const updated = await this.transition(actor, row, { status: 'running', config: next, startedAt: now, stoppedAt: null, lastError: null }, 'bot.start', { approval: next.approval });
    const q = this.deps.market.resolveSymbol(row.symbol).quote;
    return {
      bot: botView(updated),
      card: this.card(updated, next, { name: portfolio.name, tradingMode: portfolio.tradingMode }),
      message: live
        ? `Bot "${updated.name}" is running on the LIVE portfolio "${portfolio.name}": it places real orders of at most ${config.limits.maxOrderNotional} ${q} and at most ${config.limits.maxDailyNotional} ${q} a day without asking you. stop-bot ends it.`
        : `Bot "${updated.name}" is running. It places orders of at most ${config.limits.maxOrderNotional} and at most ${config.limits.maxDailyNotional} a day without asking you.`,
    };
  }

  /** Pauses a running bot: it decides nothing until resumed; its working orders stay. */
  async pause(actor: Actor, input: unknown): Promise<{ bot: BotView; message: string }> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(botIdShape, input, 'bot');
    const row = await this.owned(actor, v.botId);
    if (row.status !== 'running') throw new AppError(ErrorCode.conflict, `bot "${row.name}" is ${row.status}, not running`, row.status === 'paused' ? 'resume it or stop it' : 'approve and start it');
    const config = { ...readBotConfig(row.config), pausedReason: 'paused by its owner' };
    const updated = await this.transition(actor, row, { status: 'paused', config }, 'bot.pause', {});
    return { bot: botView(updated), message: `Bot "${updated.name}" is paused; its working orders stay. Resume it to go on.` };
  }

  /** Resumes a paused bot under its standing approval; the candles it missed while paused are skipped. */
  async resume(actor: Actor, input: unknown): Promise<{ bot: BotView; message: string }> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(botIdShape, input, 'bot');
    const row = await this.owned(actor, v.botId);
    if (row.status !== 'paused') throw new AppError(ErrorCode.conflict, `bot "${row.name}" is ${row.status}, not paused`, row.status === 'running' ? 'it is already running' : 'approve and start it');
    const config = readBotConfig(row.config);
    if (!config.approval) throw new AppError(ErrorCode.conflict, `bot "${row.name}" has no standing approval`, 'approve and start it');
    const portfolio = await this.deps.portfolios.resolvePortfolio(actor.userId, row.portfolioId);
    if (portfolio.tradingMode === 'live' && config.approval.live !== true) {
      throw new AppError(ErrorCode.forbidden, `bot "${row.name}" trades a live portfolio and its approval was not typed at the terminal: nothing was resumed`, `run: npx mikey bot approve-live ${shortId(row.id)}`);
    }
    const next = { ...catchUp(config, this.deps.clock.now()), pausedReason: null };
    const updated = await this.transition(actor, row, { status: 'running', config: next, lastError: null }, 'bot.resume', {});
    return { bot: botView(updated), message: `Bot "${updated.name}" is running again.` };
  }

  /** Stops a bot and cancels its working orders; starting it again needs a new approval. */
  async stop(actor: Actor, input: unknown): Promise<{ bot: BotView; cancelledOrders: number; message: string }> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(botIdShape, input, 'bot');
    const row = await this.owned(actor, v.botId);
    const now = this.deps.clock.now();
    const config = { ...readBotConfig(row.config), approval: null, pausedReason: null };
    // Stopped first, so the runner places nothing more while the orders are cancelled.
    const updated = row.status === 'stopped' ? row : await this.transition(actor, row, { status: 'stopped', config, stoppedAt: now }, 'bot.stop', {});
    let cancelled = 0;
    const failed: string[] = [];
    for (const o of await this.openOrderRows(row)) {
      try {
        await this.deps.trading.cancelOrder(actor, o.id);
        cancelled++;
      } catch (err) {
        failed.push(`${shortId(o.id)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const tail = failed.length > 0 ? ` ${failed.length} could not be cancelled (${failed.join('; ')}).` : '';
    return { bot: botView(updated), cancelledOrders: cancelled, message: `Bot "${updated.name}" is stopped; ${cancelled} working order${cancelled === 1 ? '' : 's'} cancelled.${tail}` };
  }

  /** Bots and backtests ranked by Sharpe, drawdown or P&L — the caller's, or a community's bots (leaderboard.ts). */
  leaderboard(actor: Actor, community: LeaderboardCommunity | undefined, input: unknown = {}): Promise<StrategyLeaderboardView> {
    return new StrategyLeaderboard(this.deps.db).view(actor, community, input);
  }

  async list(actor: Actor): Promise<{ bots: BotView[] }> {
    await requireActiveUser(this.deps.db, actor.userId);
    const rows = await this.deps.db.select().from(bots).where(eq(bots.userId, actor.userId)).orderBy(desc(bots.createdAt), asc(bots.id));
    return { bots: rows.map(botView) };
  }

  async get(actor: Actor, input: unknown): Promise<BotDetail> {
    await requireActiveUser(this.deps.db, actor.userId);
    const v = parseInput(botIdShape, input, 'bot');
    const row = await this.owned(actor, v.botId);
    const config = readBotConfig(row.config);
    const portfolio = await this.deps.portfolios.resolvePortfolio(actor.userId, row.portfolioId);
    const open = await this.openOrderRows(row);
    const [perf] = await this.deps.db.select().from(botPerformance).where(eq(botPerformance.botId, row.id)).orderBy(desc(botPerformance.recordedAt)).limit(1);
    return {
      ...botView(row),
      card: this.card(row, config, { name: portfolio.name, tradingMode: portfolio.tradingMode }),
      progress: {
        candlesDecided: config.processed,
        lastCandleAt: config.lastCandle === null ? null : new Date(config.lastCandle).toISOString(),
        firstCandleAt: config.origin === null ? null : new Date(config.origin).toISOString(),
      },
      openOrders: open.map((o) => ({ ...orderView(o), tag: tagOfBotOrder(o.clientOrderId) ?? null, signalEventId: o.signalEventId ?? null })),
      performance: perf
        ? { recordedAt: perf.recordedAt.toISOString(), equity: perf.equity, totalPnl: perf.totalPnl, realizedPnl: perf.realizedPnl, feesPaid: perf.feesPaid, tradeCount: perf.tradeCount }
        : null,
    };
  }

  // ---------------------------------------------------------------------------------------------

  /** A bot id whose first 8 characters no other bot has: they name the bot's orders (bot-config.ts). */
  private async freshBotId(): Promise<string> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = randomUUID();
      const clash = await this.deps.db.select({ id: bots.id }).from(bots).where(sql`${bots.id}::text like ${`${id.slice(0, 8)}%`}`).limit(1);
      if (clash.length === 0) return id;
    }
    throw new AppError(ErrorCode.unavailable, 'could not pick a bot id', 'try again');
  }

  private async owned(actor: Actor, botIdOrPrefix: string): Promise<Bot> {
    const id = await resolveIdPrefix(this.deps.db, { table: bots, id: bots.id, owned: eq(bots.userId, actor.userId), input: botIdOrPrefix, noun: 'bot', listedBy: 'list-bots' });
    const [row] = await this.deps.db.select().from(bots).where(and(eq(bots.id, id), eq(bots.userId, actor.userId)));
    if (!row) throw notFound('bot', 'list-bots shows your bots');
    return row;
  }

  private openOrderRows(row: Bot): Promise<Array<typeof orders.$inferSelect>> {
    return this.deps.db
      .select()
      .from(orders)
      .where(and(eq(orders.portfolioId, row.portfolioId), eq(orders.userId, row.userId), like(orders.clientOrderId, likePrefix(botOrderPrefix(row.id))), inArray(orders.status, [...OPEN_STATUSES])))
      .orderBy(asc(orders.createdAt), asc(orders.clientOrderId));
  }

  private async transition(actor: Actor, row: Bot, set: Partial<typeof bots.$inferInsert>, action: string, extra: Record<string, unknown>): Promise<Bot> {
    const now = this.deps.clock.now();
    return withTransaction(this.deps.db, async (tx) => {
      // Guarded on the status read, so two concurrent requests cannot both move the bot.
      const [u] = await tx.update(bots).set({ ...set, updatedAt: now }).where(and(eq(bots.id, row.id), eq(bots.status, row.status))).returning();
      if (!u) throw new AppError(ErrorCode.conflict, `bot "${row.name}" changed meanwhile`, 'look at it again (get-bot) and retry');
      await writeAudit(tx, actor, { action, entityType: 'bot', entityId: row.id, oldValue: { status: row.status }, newValue: { status: u.status, ...extra } });
      return u;
    });
  }

  private card(row: Bot, config: BotConfig, portfolio: { name: string; tradingMode: string }): BotCard {
    const strategy = STRATEGIES[config.strategy] as Strategy<unknown, unknown>;
    const market = this.deps.market.resolveSymbol(row.symbol);
    const parsed = parseStrategyParams(strategy, config.params);
    const params = plainParams(parsed.ok ? parsed.value : config.params);
    let legs: ReturnType<typeof legMarkets> = [];
    try {
      legs = parsed.ok ? legMarkets((symbol) => this.deps.market.resolveSymbol(symbol), config.strategy, market, strategy.legs?.(parsed.value) ?? []) : [];
    } catch {
      // A market no longer listed: the runner pauses such a bot with the reason; the card lists none.
    }
    const q = market.quote;
    const lines = [
      `Bot "${row.name}" (${shortId(row.id)}): ${config.strategy} on ${row.symbol}, deciding on each closed ${config.timeframe} candle`,
      `What it does: ${strategy.summary}`,
      `Parameters: ${Object.entries(params).map(([k, x]) => `${k} ${x}`).join(', ') || 'defaults'}`,
      `Portfolio: "${portfolio.name}" (${portfolio.tradingMode})`,
      `Most per order: ${config.limits.maxOrderNotional} ${q}; most per UTC day: ${config.limits.maxDailyNotional} ${q}`,
      ...(portfolio.tradingMode === 'live' ? ['🔴 LIVE: its orders trade real funds at the exchange, without a confirmation each; its approval is typed at the terminal (mikey bot approve-live)'] : []),
      legs.length === 0
        ? 'Market: spot only, no leverage'
        : `Markets: ${row.symbol} (spot; its candles time the decisions) and ${legs.map((l) => (l.spec.kind === 'perp' ? `${l.market.symbol} (perpetual, long or short, ${l.spec.leverage ?? 1}x: margin = notional / leverage, funding paid or received, liquidated if the margin runs out)` : `${l.market.symbol} (spot)`)).join(' and ')}; the limits apply to every order on each`,
      'Once approved, it places orders within these limits without asking each time; a kill switch or a refused order pauses it',
    ];
    return {
      botId: row.id, shortId: shortId(row.id), name: row.name, strategy: config.strategy, summary: strategy.summary, symbol: row.symbol, timeframe: config.timeframe,
      portfolioId: row.portfolioId, portfolioName: portfolio.name, tradingMode: portfolio.tradingMode, quote: q,
      maxOrderNotional: config.limits.maxOrderNotional, maxDailyNotional: config.limits.maxDailyNotional, params, lines,
    };
  }
}

/**
 * A bot (re)starting at `now` decides from the candle forming now on. One that never decided gets
 * its origin here; one that did skips the candles that closed while it was not running (counted, so
 * the strategy's candle numbers keep following time).
 */
function catchUp(config: BotConfig, now: Date): BotConfig {
  const tfMs = TIMEFRAME_MS[config.timeframe];
  const forming = alignOpenTime(now.getTime(), config.timeframe);
  if (config.lastCandle === null) return { ...config, origin: forming, processed: 0 };
  const lastClosed = forming - tfMs;
  if (lastClosed <= config.lastCandle) return config;
  const skipped = Math.floor((lastClosed - config.lastCandle) / tfMs);
  return { ...config, lastCandle: lastClosed, processed: config.processed + skipped };
}

export function botView(row: Bot): BotView {
  const c = readBotConfig(row.config);
  return {
    id: row.id,
    shortId: shortId(row.id),
    name: row.name,
    strategy: c.strategy,
    symbol: row.symbol,
    timeframe: c.timeframe,
    portfolioId: row.portfolioId,
    status: row.status,
    lastError: row.lastError,
    pausedReason: c.pausedReason ?? null,
    approvedAt: c.approval?.approvedAt ?? null,
    startedAt: row.startedAt?.toISOString() ?? null,
    stoppedAt: row.stoppedAt?.toISOString() ?? null,
    limits: c.limits,
  };
}
