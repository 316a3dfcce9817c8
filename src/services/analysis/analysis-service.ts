// The analysis service: technical summaries stored as MIKEY's own analyses (an `ai_analyses` row and
// a `trading_signals` row, with confidence and expiry, in one transaction with its audit row),
// indicator readings, the analysis history, and candlestick charts as PNG. Candles always come from
// the candle store through the market-data service.
import { and, desc, eq } from 'drizzle-orm';
import type { ChartOverlay } from '../../adapters/chart/index.js';
import type { Db } from '../../db/client.js';
import { aiAnalyses, tradingSignals } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { describeSignal, MIN_CANDLES_FOR_SUMMARY, summarizeTechnicals, type TechnicalSummary } from '../../domain/analysis.js';
import { seriesFromCandles } from '../../domain/indicators/index.js';
import { type Clock, type Timeframe } from '../../domain/ports.js';
import { systemClock } from '../../adapters/system-clock.js';
import type { Logger } from '../../log.js';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { AppError, ErrorCode } from '../errors.js';
import type { MarketService } from '../market-data/market-service.js';
import { parseTimeframe } from '../market-data/timeframes.js';
import { candlesNeeded, computeIndicators, parseIndicatorNames, parsePeriod, type IndicatorReading } from './indicators.js';
import { latestStoredBias, whaleBiasLine, type StoredBiasView } from '../wallets/bias-service.js';

/** Name stored in `ai_analyses.model` for summaries computed by the technical engine (no LLM). */
export const TECHNICAL_MODEL = 'mikey-technical-v1';
/** Candles a summary reads (EMA 200 needs 200; more settles it). */
export const ANALYSIS_CANDLES = 300;

export interface AnalysisView {
  analysisId: string;
  signalId: string;
  symbol: string;
  timeframe: Timeframe;
  simulated: boolean;
  /** strong_buy … strong_sell. */
  signal: TechnicalSummary['signal'];
  /** buy / sell / hold (the stored recommendation). */
  recommendation: 'buy' | 'sell' | 'hold';
  /** 0–1. */
  strength: number;
  /** 0–1. */
  confidence: number;
  /** Last close, decimal string. */
  price: string;
  createdAt: string;
  expiresAt: string;
  /** Open time of the last candle read. */
  asOf: string;
  reasons: string[];
  /** One line for chat: "BTC/USDT 4h: BUY (strength 0.42, confidence 0.71)". */
  headline: string;
  summary: TechnicalSummary;
  /** The stored whale bias of the base asset (fresh rows only; empty when none), and its line for the summary (null when none). */
  whaleBias: StoredBiasView[];
  whaleBiasLine: string | null;
}

export interface AnalysisRecordView {
  id: string;
  symbol: string | null;
  timeframe: string | null;
  recommendation: string;
  signal: string | null;
  confidence: string;
  reasoning: string;
  price: string | null;
  simulated: boolean;
  createdAt: string;
  expiresAt: string | null;
  expired: boolean;
}

export interface IndicatorsView {
  symbol: string;
  timeframe: Timeframe;
  simulated: boolean;
  /** Open time of the latest candle (it may still be forming). */
  asOf: string;
  /** Latest close. */
  price: string;
  candleCount: number;
  indicators: Record<string, IndicatorReading>;
}

export const CHART_OVERLAYS = ['ema20', 'ema50', 'sma200', 'bollinger', 'vwap'] as const;
export type ChartOverlayName = (typeof CHART_OVERLAYS)[number];

export interface ChartView {
  png: Uint8Array;
  mimeType: 'image/png';
  width: number;
  height: number;
  symbol: string;
  timeframe: Timeframe;
  simulated: boolean;
  /** Candles drawn. */
  candleCount: number;
  from: string;
  to: string;
  overlays: ChartOverlayName[];
}

export interface AnalysisServiceOptions {
  db: Db;
  market: MarketService;
  clock?: Clock;
  logger?: Logger;
}

const OVERLAY_SPECS: Record<ChartOverlayName, { overlay: ChartOverlay; warmup: number }> = {
  ema20: { overlay: { kind: 'ema', period: 20 }, warmup: 80 },
  ema50: { overlay: { kind: 'ema', period: 50 }, warmup: 200 },
  sma200: { overlay: { kind: 'sma', period: 200 }, warmup: 199 },
  bollinger: { overlay: { kind: 'bollinger', period: 20, stdDev: 2 }, warmup: 19 },
  vwap: { overlay: { kind: 'vwap' }, warmup: 0 },
};

function noData(symbol: string, timeframe: string, have: number, need: number): AppError {
  return new AppError(
    ErrorCode.notFound,
    have === 0 ? `no candle data for ${symbol} ${timeframe}` : `not enough candle data for ${symbol} ${timeframe}: ${have} candles, need at least ${need}`,
    `load history first (npx mikey data backfill ${symbol} ${timeframe} --since YYYY-MM-DD) or choose another timeframe`,
    { symbol, timeframe, have, need },
  );
}

export class AnalysisService {
  private readonly db: Db;
  private readonly market: MarketService;
  private readonly clock: Clock;

  constructor(opts: AnalysisServiceOptions) {
    this.db = opts.db;
    this.market = opts.market;
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Reads the latest candles of `symbol` on `timeframe` from the store, computes the technical
   * summary, stores it (analysis + signal + audit, one transaction) and returns it. Nothing is stored
   * when there is not enough data.
   */
  async analyzeMarket(actor: Actor, symbol: string, timeframe: string = '4h'): Promise<AnalysisView> {
    const tf = parseTimeframe(timeframe);
    const series = await this.market.loadCandles(symbol, tf, { limit: ANALYSIS_CANDLES });
    const now = this.clock.now();
    const result = summarizeTechnicals({ symbol: series.symbol, timeframe: tf, candles: series.candles, now, simulated: series.simulated });
    if (!result.ok) {
      if (result.code === 'insufficient_data') throw noData(series.symbol, tf, series.candles.length, MIN_CANDLES_FOR_SUMMARY);
      throw new AppError(ErrorCode.unavailable, `cannot analyse ${series.symbol} ${tf}: ${result.error}`);
    }
    const s = result.value;
    const recommendation = s.action;
    const reasoning = s.reasons.join('\n');
    const details = JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
    const { analysisId, signalId } = await withTransaction(this.db, async (tx) => {
      const [analysis] = await tx
        .insert(aiAnalyses)
        .values({
          userId: actor.userId,
          analysisType: 'market_analysis',
          symbol: s.symbol,
          timeframe: tf,
          confidenceScore: s.confidence.toFixed(4),
          recommendation,
          reasoning,
          details,
          model: TECHNICAL_MODEL,
          priceAtAnalysis: s.price,
          createdAt: now,
          expiresAt: s.expiresAt,
        })
        .returning({ id: aiAnalyses.id });
      const [signal] = await tx
        .insert(tradingSignals)
        .values({
          userId: actor.userId,
          symbol: s.symbol,
          action: s.action,
          strength: (s.strength * 100).toFixed(4),
          price: s.price,
          confidence: s.confidence.toFixed(4),
          reasoning,
          metadata: { analysisId: analysis!.id, timeframe: tf, signal: s.signal, score: s.score, simulated: s.simulated, expiresAt: s.expiresAt.toISOString() },
          createdAt: now,
        })
        .returning({ id: tradingSignals.id });
      await writeAudit(tx, actor, {
        action: 'analysis.created',
        entityType: 'ai_analysis',
        entityId: analysis!.id,
        newValue: { symbol: s.symbol, timeframe: tf, signal: s.signal, confidence: s.confidence, signalId: signal!.id },
      });
      return { analysisId: analysis!.id, signalId: signal!.id };
    });
    const whaleBias = await latestStoredBias(this.db, this.market.resolveSymbol(s.symbol).base, now);
    return {
      analysisId,
      signalId,
      symbol: s.symbol,
      timeframe: tf,
      simulated: s.simulated,
      signal: s.signal,
      recommendation,
      strength: s.strength,
      confidence: s.confidence,
      price: s.price,
      createdAt: now.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      asOf: s.asOf.toISOString(),
      reasons: s.reasons,
      headline: describeSignal(s),
      summary: s,
      whaleBias,
      whaleBiasLine: whaleBiasLine(whaleBias),
    };
  }

  /** The actor's own stored analyses, newest first (optionally of one symbol), at most `limit` (1–50). */
  async listAnalyses(actor: Actor, opts: { symbol?: string; limit?: number } = {}): Promise<AnalysisRecordView[]> {
    const limit = opts.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new AppError(ErrorCode.invalidInput, 'limit must be a whole number from 1 to 50');
    const symbol = opts.symbol !== undefined ? this.market.resolveSymbol(opts.symbol).symbol : undefined;
    const rows = await this.db
      .select()
      .from(aiAnalyses)
      .where(symbol ? and(eq(aiAnalyses.userId, actor.userId), eq(aiAnalyses.symbol, symbol)) : eq(aiAnalyses.userId, actor.userId))
      .orderBy(desc(aiAnalyses.createdAt), desc(aiAnalyses.id))
      .limit(limit);
    const now = this.clock.now().getTime();
    return rows.map((r) => {
      const details = r.details ?? {};
      return {
        id: r.id,
        symbol: r.symbol,
        timeframe: r.timeframe,
        recommendation: r.recommendation,
        signal: typeof details['signal'] === 'string' ? details['signal'] : null,
        confidence: r.confidenceScore,
        reasoning: r.reasoning,
        price: r.priceAtAnalysis,
        simulated: details['simulated'] === true,
        createdAt: r.createdAt.toISOString(),
        expiresAt: r.expiresAt?.toISOString() ?? null,
        expired: r.expiresAt !== null && r.expiresAt.getTime() <= now,
      };
    });
  }

  /** Latest values and a short recent series of each asked-for indicator (default rsi, macd, ema). */
  async getIndicators(symbol: string, timeframe: string = '1h', indicators?: readonly string[], period?: number): Promise<IndicatorsView> {
    const tf = parseTimeframe(timeframe);
    const names = parseIndicatorNames(indicators);
    const p = parsePeriod(period);
    const series = await this.market.loadCandles(symbol, tf, { limit: candlesNeeded(names, p) });
    if (series.candles.length === 0) throw noData(series.symbol, tf, 0, 1);
    const columns = seriesFromCandles(series.candles);
    const last = series.candles[series.candles.length - 1]!;
    return {
      symbol: series.symbol,
      timeframe: tf,
      simulated: series.simulated,
      asOf: last.openTime.toISOString(),
      price: last.close.toFixed(),
      candleCount: series.candles.length,
      indicators: computeIndicators(columns, names, p, tf),
    };
  }

  /** A candlestick chart (PNG) of the latest `limit` (20–500) candles with overlays, labelled when simulated. */
  async getChart(input: { symbol: string; timeframe?: string; limit?: number; overlays?: readonly string[] }): Promise<ChartView> {
    const tf = parseTimeframe(input.timeframe ?? '1h');
    const limit = input.limit ?? 200;
    if (!Number.isInteger(limit) || limit < 20 || limit > 500) throw new AppError(ErrorCode.invalidInput, 'limit must be a whole number from 20 to 500');
    const overlays = parseOverlays(input.overlays);
    const warmup = Math.max(0, ...overlays.map((o) => OVERLAY_SPECS[o].warmup));
    const series = await this.market.loadCandles(input.symbol, tf, { limit: Math.min(1_000, limit + warmup) });
    if (series.candles.length === 0) throw noData(series.symbol, tf, 0, 1);
    // ECharts and resvg load with the first chart, not at start.
    const { ChartDataError, renderCandlestickChart } = await import('../../adapters/chart/index.js');
    let image;
    try {
      image = renderCandlestickChart({
        symbol: series.symbol,
        timeframe: tf,
        candles: series.candles,
        overlays: overlays.map((o) => OVERLAY_SPECS[o].overlay),
        visible: limit,
        simulated: series.simulated,
      });
    } catch (err) {
      if (err instanceof ChartDataError) throw new AppError(ErrorCode.notFound, err.message);
      throw err;
    }
    const shown = series.candles.slice(-limit);
    return {
      png: image.png,
      mimeType: image.mimeType,
      width: image.width,
      height: image.height,
      symbol: series.symbol,
      timeframe: tf,
      simulated: series.simulated,
      candleCount: shown.length,
      from: shown[0]!.openTime.toISOString(),
      to: shown[shown.length - 1]!.openTime.toISOString(),
      overlays,
    };
  }
}

function parseOverlays(input: readonly string[] | undefined): ChartOverlayName[] {
  if (input === undefined) return ['ema20', 'ema50'];
  if (!Array.isArray(input)) throw new AppError(ErrorCode.invalidInput, 'overlays must be a list', `choose from ${CHART_OVERLAYS.join(', ')}`);
  const out: ChartOverlayName[] = [];
  for (const raw of input) {
    const name = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (!(CHART_OVERLAYS as readonly string[]).includes(name)) {
      throw new AppError(ErrorCode.invalidInput, `unknown overlay "${String(raw).slice(0, 20)}"`, `choose from ${CHART_OVERLAYS.join(', ')}`);
    }
    if (!out.includes(name as ChartOverlayName)) out.push(name as ChartOverlayName);
  }
  return out;
}
