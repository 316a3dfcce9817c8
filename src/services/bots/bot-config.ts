// What a bot keeps in `bots.config` (jsonb): its strategy and parameters, timeframe, the limits on
// its card, the owner's standing approval, and the runner's progress (the strategy state as codec
// text, the last candle decided on). The service writes the first part; the runner the second, in
// one update per candle, so the state and the candle it belongs to never disagree.
//
// Terms:
// - *Standing approval*: the owner's one-time "yes" to a bot's card (strategy, market, limits). The
//   runner places orders without asking again, but only within the approved limits.
// - *Origin*: the open time of the first candle the bot decides on (the candle forming when it was
//   approved). The strategy sees candles from its origin on, numbered from 0 there, like a backtest
//   that started at the origin.
// - *Bot order id*: `bot:<first 8 of bot id>:<candle open ms>:<intent index>[:<tag>]` — the client
//   order id of the intent-th order decided on that candle. Deterministic, so re-deciding a candle
//   after a crash finds the orders already placed instead of doubling them; the strategy's tag rides
//   in it, so open orders and fills carry their tags back without any other storage.
import { z } from 'zod';
import type { Timeframe } from '../../domain/ports.js';
import { STRATEGIES, type StrategyKind } from '../../domain/strategy/index.js';
import { AppError, ErrorCode } from '../errors.js';
import { TIMEFRAMES } from '../market-data/timeframes.js';

export const BOT_KINDS = Object.keys(STRATEGIES) as [StrategyKind, ...StrategyKind[]];

/** Closed candles a bot's window holds (the strategy can look back this far). */
export const BOT_HISTORY_CANDLES = 500;
/** New candles one run decides on per bot; a bot further behind catches up over several runs. */
export const BOT_CANDLES_PER_RUN = 500;

/** Tags that fit in a bot order id (no colon: it separates the id's parts). */
export const BOT_TAG = /^[A-Za-z0-9_.-]{1,24}$/;

const limitsSchema = z.object({ maxOrderNotional: z.string(), maxDailyNotional: z.string() }).strict();
export type BotLimits = z.infer<typeof limitsSchema>;

const configSchema = z
  .object({
    v: z.literal(1),
    strategy: z.enum(BOT_KINDS),
    params: z.record(z.unknown()),
    timeframe: z.enum(TIMEFRAMES as [Timeframe, ...Timeframe[]]),
    limits: limitsSchema,
    approval: z
      .object({
        approvedAt: z.string(),
        approvedBy: z.string(),
        limits: limitsSchema,
        /** Approved for a live portfolio: its owner typed the bot's name back at the terminal (mikey bot approve-live). */
        live: z.literal(true).optional(),
      })
      .strict()
      .nullable(),
    /** The strategy state, `encodeState` text. */
    state: z.string(),
    origin: z.number().int().nullable(),
    /** Open time of the last candle decided on; null before the first. */
    lastCandle: z.number().int().nullable(),
    /** Candles from the origin through `lastCandle` (the strategy's index of the next candle). */
    processed: z.number().int().min(0),
    /** Fills already shown to the strategy: those up to `at`, and at `at` exactly the ids listed. */
    fillCursor: z.object({ at: z.number().int(), ids: z.array(z.string()) }).strict().nullable(),
    /** Why the runner paused the bot, when it did. */
    pausedReason: z.string().nullable().optional(),
  })
  .strict();
export type BotConfig = z.infer<typeof configSchema>;

/** Reads a stored config; a config this code did not write is an error to report, never guessed at. */
export function readBotConfig(raw: unknown): BotConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(ErrorCode.conflict, `the bot's stored settings are not readable (${parsed.error.issues[0]?.message ?? 'unknown problem'})`, 'stop this bot and create a new one');
  }
  return parsed.data;
}

/** The client-order-id prefix of every order of a bot. */
export function botOrderPrefix(botId: string): string {
  return `bot:${botId.slice(0, 8)}:`;
}

/** The client-order-id prefix of the orders decided on one candle. */
export function candleOrderPrefix(botId: string, candleOpenMs: number): string {
  return `${botOrderPrefix(botId)}${candleOpenMs}:`;
}

export function botOrderId(botId: string, candleOpenMs: number, index: number, tag: string | undefined): string {
  return `${candleOrderPrefix(botId, candleOpenMs)}${index}${tag !== undefined ? `:${tag}` : ''}`;
}

/** The strategy's tag carried in a bot order id, if any. */
export function tagOfBotOrder(clientOrderId: string): string | undefined {
  const parts = clientOrderId.split(':');
  return parts.length >= 5 ? parts.slice(4).join(':') : undefined;
}

/** `LIKE` pattern for ids starting with `prefix` (wildcards in it escaped). */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
