// Scored predictions (issue 12): models trained on the candle store, predictions stored in
// `ml_predictions`, each scored against what happened when its horizon passes, and a scorecard that
// puts every learner beside the naive baselines on the same bars.
//
// - A horizon (15m, 1h, 4h, 1d) is a number of bars of a finer timeframe (e.g. 1h = 4 × 15m), so the
//   features read the market at a scale that fits the question.
// - Every prediction is made on the last *closed* bar (its close is the reference price); the actual
//   price is the close `horizonBars` bars later. One prediction per (model, symbol, horizon, bar):
//   a unique key, so two instances or a repeated question never double one.
// - Models are trained on the last TRAIN_BARS closed bars: first a walk-forward evaluation (the record
//   stored with the version), then the version itself on the most recent samples whose labels are
//   known. A version is JSON text in `ml_models`; it is reloaded, never retrained, until it is older
//   than RETRAIN_AFTER_MS or an admin retrains it.
// - The baselines (majority class for direction, persistence for price) predict on every bar the
//   learners do, so their margin is measured on the same bars, never on a flattering subset.
// Features and scores are statistics (numbers); prices stored are decimals (numeric), never floats.
import { and, asc, desc, eq, gte, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { systemClock } from '../../adapters/system-clock.js';
import type { Db } from '../../db/client.js';
import { mlModels, mlPredictions, type MlModel, type MlPrediction } from '../../db/schema/index.js';
import { isUniqueViolation, withTransaction } from '../../db/tx.js';
import { D, type Dec } from '../../domain/money.js';
import { TIMEFRAME_MS, type Candle, type Clock, type Timeframe } from '../../domain/ports.js';
import {
  buildDataset,
  computeFeatures,
  featureImportance,
  FEATURE_WARMUP,
  ModelKind,
  parseModel,
  predict,
  serialiseModel,
  trainGradientBoostedTrees,
  trainLogisticRegression,
  trainMajorityClass,
  trainPersistence,
  trainRidgeRegression,
  walkForward,
  wilsonInterval,
  CALIBRATION_EDGES,
  type ModelVersion,
  type Trainer,
} from '../../domain/predict/index.js';
import type { Logger } from '../../log.js';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { requireRole } from '../authorize.js';
import { AppError, ErrorCode } from '../errors.js';
import type { MarketService } from '../market-data/market-service.js';
import { alignOpenTime } from '../market-data/timeframes.js';
import { parseInput, symbolField } from '../trading/input.js';

/** The horizons MIKEY predicts, each as bars of a finer timeframe. */
export const PREDICTION_HORIZONS = {
  '15m': { timeframe: '5m', bars: 3, minutes: 15 },
  '1h': { timeframe: '15m', bars: 4, minutes: 60 },
  '4h': { timeframe: '1h', bars: 4, minutes: 240 },
  '1d': { timeframe: '4h', bars: 6, minutes: 1440 },
} as const satisfies Record<string, { timeframe: Timeframe; bars: number; minutes: number }>;
export type PredictionHorizon = keyof typeof PREDICTION_HORIZONS;
export const HORIZON_NAMES = Object.keys(PREDICTION_HORIZONS) as [PredictionHorizon, ...PredictionHorizon[]];

/** The learners, in the order they are shown. */
export const LEARNERS = [ModelKind.gradientBoostedTrees, ModelKind.logisticRegression, ModelKind.ridgeRegression] as const;
export const BASELINES = [ModelKind.majorityClass, ModelKind.persistence] as const;
export const MODEL_NAMES = [...LEARNERS, ...BASELINES] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** What a person calls each model. */
export const MODEL_LABELS: Record<ModelName, string> = {
  gradient_boosted_trees: 'gradient-boosted trees',
  logistic_regression: 'logistic regression',
  ridge_regression: 'ridge regression',
  majority_class: 'majority-class baseline',
  persistence: 'persistence baseline',
};

/** Closed bars a model version is trained and evaluated on. */
export const TRAIN_BARS = 2_000;
/** Walk-forward evaluation at training: samples per training window and per test block. */
export const WALK_FORWARD = { trainSize: 600, testSize: 100 } as const;
/** Samples the stored version is trained on (the most recent with known labels). */
export const FINAL_TRAIN_SAMPLES = 1_500;
/** A version older than this (by its last training bar) is retrained before it predicts. */
export const RETRAIN_AFTER_MS = 7 * 86_400_000;
/** Live scored predictions a learner needs before its live record, not its walk-forward one, ranks it. */
export const LIVE_RECORD_MIN = 30;
/** Closed bars read for a live prediction's features (EMA 20 and RSI 14 seeds decay below 1e-9 in 400 bars). */
export const PREDICT_BARS = 400;
/** The record shown beside a prediction covers this many days. */
export const RECORD_DAYS = 90;
/** Predictions scored per run of `scoreDue`. */
export const SCORE_BATCH = 500;

const TREE_OPTIONS = { trees: 60, maxDepth: 3, learningRate: 0.1, minLeaf: 20, bins: 32 } as const;

const TRAINERS: Record<ModelName, Trainer> = {
  gradient_boosted_trees: (train, names, h) => trainGradientBoostedTrees(train, names, h, TREE_OPTIONS),
  logistic_regression: (train, names, h) => trainLogisticRegression(train, names, h),
  ridge_regression: (train, names, h) => trainRidgeRegression(train, names, h),
  majority_class: (train, _names, h) => trainMajorityClass(train, h),
  persistence: (train, _names, h) => trainPersistence(train, h),
};

const horizonEnum = z.enum(HORIZON_NAMES, { errorMap: () => ({ message: `must be one of ${HORIZON_NAMES.join(', ')}` }) });
const horizonField = horizonEnum.default('1h').describe(`How far ahead: ${HORIZON_NAMES.join(', ')} (default 1h)`);
const horizonFilter = horizonEnum.optional().describe(`Only this horizon: ${HORIZON_NAMES.join(', ')}`);
const modelField = z
  .enum(MODEL_NAMES, { errorMap: () => ({ message: `must be one of ${MODEL_NAMES.join(', ')}` }) })
  .describe(`A model: ${MODEL_NAMES.join(', ')}`);

export const predictInputShape = { symbol: symbolField('Market, e.g. "BTC/USDT", "eth" or "SOL-PERP"'), horizon: horizonField };
export const listPredictionsInputShape = {
  symbol: symbolField('Only this market, e.g. "BTC/USDT"').optional(),
  horizon: horizonFilter,
  model: modelField.optional(),
  scored: z.boolean().optional().describe('true: only scored predictions; false: only those still waiting for their horizon'),
  limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20).describe('How many, newest first (1–100, default 20)'),
};
export const scorecardInputShape = {
  symbol: symbolField('Only this market, e.g. "BTC/USDT"').optional(),
  horizon: horizonFilter,
  model: modelField.optional(),
  days: z.number().int('must be a whole number of days').min(1, 'must be at least 1').max(3650, 'must be at most 3650').default(90).describe('Predictions made in the last N days (default 90)'),
};
export const retrainInputShape = {
  symbol: symbolField('Market, e.g. "BTC/USDT"'),
  horizon: horizonField,
  model: modelField.optional().describe(`One model to retrain (default: all of ${MODEL_NAMES.join(', ')})`),
};

/** A hit rate with its sample count and 95 % Wilson interval. */
export interface HitRecord {
  samples: number;
  hits: number;
  /** 0–1; null without samples. */
  hitRate: number | null;
  low: number;
  high: number;
}

/** The walk-forward figures stored with a version (out of sample, same folds for every model). */
export interface WalkForwardRecord {
  folds: number;
  direction: HitRecord;
  /** The majority-class baseline on the same samples. */
  baseline: HitRecord;
  /** Hit rate minus the baseline's; null where the model makes no direction call. */
  margin: number | null;
  /** Mean |predicted − realised return| (a fraction); null where the model predicts no return. */
  meanAbsoluteReturnError: number | null;
  /** Persistence's on the same samples. */
  persistenceReturnError: number | null;
}

export interface ModelVersionView {
  id: string;
  name: ModelName;
  label: string;
  version: number;
  symbol: string;
  timeframe: Timeframe;
  horizon: PredictionHorizon;
  horizonBars: number;
  trainedFrom: string;
  trainedTo: string;
  samples: number;
  simulated: boolean;
  walkForward: WalkForwardRecord;
  createdAt: string;
}

export interface PredictionRowView {
  id: string;
  model: ModelName;
  label: string;
  modelVersion: string | null;
  symbol: string;
  horizon: PredictionHorizon | null;
  /** Close time of the bar it was made on. */
  madeAt: string;
  dueAt: string | null;
  referencePrice: string | null;
  predictedPrice: string | null;
  direction: 'up' | 'down' | null;
  /** 0.5–1 for a direction call. */
  confidence: number | null;
  probabilityUp: number | null;
  simulated: boolean;
  /** Top features by importance, largest first (learners only). */
  topFeatures: Array<{ feature: string; importance: number }>;
  actualPrice: string | null;
  error: string | null;
  wasCorrect: boolean | null;
  scoredAt: string | null;
}

export interface CalibrationRow {
  from: number;
  to: number;
  samples: number;
  meanConfidence: number | null;
  hitRate: number | null;
}

/** One model's live record on one market and horizon. */
export interface ScorecardEntry {
  model: ModelName;
  label: string;
  symbol: string;
  horizon: PredictionHorizon;
  simulated: boolean;
  /** Scored predictions. */
  scored: number;
  /** Direction calls scored (learners and the majority class). */
  direction: HitRecord;
  /** The majority-class baseline on the same bars (learners only). */
  baseline: HitRecord | null;
  /** Hit rate minus the baseline's on the same bars; null without both. */
  margin: number | null;
  /** Whether the 95 % interval of the hit rate lies above the baseline's rate. */
  beatsBaseline: boolean;
  /** Mean |predicted − actual| price (quote units); null for direction-only models. */
  meanAbsoluteError: string | null;
  /** Persistence's on the same bars. */
  persistenceError: string | null;
  calibration: CalibrationRow[];
  /** The active version's walk-forward record, when there is one. */
  walkForward: WalkForwardRecord | null;
}

export interface ScorecardView {
  days: number;
  since: string;
  entries: ScorecardEntry[];
  /** Predictions still waiting for their horizon in the same filter. */
  pending: number;
}

export interface PredictionView {
  symbol: string;
  horizon: PredictionHorizon;
  timeframe: Timeframe;
  horizonBars: number;
  /** Close time of the bar the predictions were made on. */
  madeAt: string;
  dueAt: string;
  referencePrice: string;
  simulated: boolean;
  /** The learner shown first: the best record (live when it has LIVE_RECORD_MIN scored calls, else walk-forward). */
  featured: PredictionRowView;
  /** Every model's prediction for the bar, learners first. */
  predictions: PredictionRowView[];
  /** The featured model's record on this market and horizon. */
  record: ScorecardEntry;
  /** The models trained for this answer (empty when stored versions were used). */
  trained: ModelName[];
}

export interface PredictionServiceOptions {
  db: Db;
  market: MarketService;
  clock?: Clock;
  logger?: Logger;
  /** Closed bars each version is trained on (tests: fewer). */
  trainBars?: number;
}

const toDate = (ms: number): Date => new Date(ms);
const rate10 = (n: number): string => new D(n).toDecimalPlaces(10, D.ROUND_HALF_UP).toFixed();
const money18 = (d: Dec): string => d.toDecimalPlaces(18, D.ROUND_HALF_UP).toFixed();
const num = (s: string | null): number | null => (s === null ? null : Number(s));

function hitRecord(hits: number, samples: number): HitRecord {
  const w = wilsonInterval(hits, samples);
  return { samples, hits, hitRate: samples > 0 ? hits / samples : null, low: w.low, high: w.high };
}

function isHorizon(minutes: number | null): PredictionHorizon | null {
  return HORIZON_NAMES.find((h) => PREDICTION_HORIZONS[h].minutes === minutes) ?? null;
}

function isModelName(s: string): s is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(s);
}

export class PredictionService {
  private readonly db: Db;
  private readonly market: MarketService;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly trainBars: number;
  /** One training at a time per (symbol, horizon) in this process. */
  private readonly training = new Map<string, Promise<unknown>>();

  constructor(opts: PredictionServiceOptions) {
    this.db = opts.db;
    this.market = opts.market;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger;
    this.trainBars = opts.trainBars ?? TRAIN_BARS;
  }

  /**
   * Every model's prediction for `symbol` at `horizon` on the last closed bar, stored once per bar,
   * with the featured learner's record. Trains the models first when none is stored or they are stale.
   */
  async predict(_actor: Actor, input: unknown): Promise<PredictionView> {
    const args = parseInput(predictInputShape, input, 'prediction');
    return this.predictFor(args.symbol, args.horizon);
  }

  /** The scheduler's and `predict`'s path (no actor: predictions are shared market data). */
  async predictFor(symbolInput: string, horizon: PredictionHorizon): Promise<PredictionView> {
    const spec = PREDICTION_HORIZONS[horizon];
    const tf = spec.timeframe;
    const tfMs = TIMEFRAME_MS[tf];
    const market = this.market.resolveSymbol(symbolInput);
    const { models, trained } = await this.ensureModels(market.symbol, horizon);
    // The last closed bars: enough that the recursive indicators (EMA, RSI) have forgotten where the
    // series started, so the live row matches what training computed on the long history.
    const series = await this.market.loadCandles(market.symbol, tf, { limit: PREDICT_BARS, closedOnly: true });
    const candles = series.candles;
    const features = computeFeatures(candles);
    const t = candles.length - 1;
    const row = t >= 0 ? features.rows[t] : undefined;
    if (!row) {
      throw new AppError(
        ErrorCode.notFound,
        `not enough ${tf} history of ${market.symbol} to predict (${candles.length} closed bars; the features need ${FEATURE_WARMUP + 1})`,
        `load history first: npx mikey data backfill ${market.symbol} ${tf} --since ${new Date(this.clock.now().getTime() - 30 * 86_400_000).toISOString().slice(0, 10)}`,
      );
    }
    const bar = candles[t]!;
    const barTime = bar.openTime;
    const reference = bar.close;
    const dueAt = toDate(barTime.getTime() + (spec.bars + 1) * tfMs);
    const now = this.clock.now();
    const values = models.map((m) => {
      const version = this.load(m);
      const p = predict(version, row);
      const importance = featureImportance(version)
        .filter((f) => f.importance > 0)
        .sort((a, b) => b.importance - a.importance);
      return {
        modelName: m.name,
        modelVersion: String(m.version),
        modelId: m.id,
        symbol: market.symbol,
        timeframe: tf,
        barTime,
        referencePrice: money18(reference),
        predictedPrice: p.expectedReturn !== undefined ? money18(reference.mul(new D(1).add(new D(p.expectedReturn)))) : null,
        predictedDirection: p.direction ?? null,
        confidence: p.confidence !== undefined ? rate10(p.confidence) : null,
        probabilityUp: p.probabilityUp !== undefined ? rate10(p.probabilityUp) : null,
        featureImportance: importance.length > 0 ? Object.fromEntries(importance.map((f) => [f.feature, Number(f.importance.toFixed(6))])) : null,
        predictedAt: now,
        predictionHorizonMinutes: spec.minutes,
        dueAt,
        simulated: series.simulated,
      };
    });
    await this.db.insert(mlPredictions).values(values).onConflictDoNothing({
      target: [mlPredictions.modelName, mlPredictions.symbol, mlPredictions.predictionHorizonMinutes, mlPredictions.barTime],
    });
    const rows = await this.db
      .select()
      .from(mlPredictions)
      .where(and(eq(mlPredictions.symbol, market.symbol), eq(mlPredictions.predictionHorizonMinutes, spec.minutes), eq(mlPredictions.barTime, barTime)));
    const views = sortByModel(rows.map(predictionRowView));
    const card = await this.scorecard({ symbol: market.symbol, horizon, days: RECORD_DAYS });
    const entries = card.entries.filter((e) => e.simulated === series.simulated);
    const featuredName = pickFeatured(entries);
    const featured = views.find((v) => v.model === featuredName) ?? views.find((v) => v.direction !== null) ?? views[0]!;
    const record =
      entries.find((e) => e.model === featured.model) ??
      emptyEntry(featured.model, market.symbol, horizon, series.simulated, wfOf(models.find((m) => m.name === featured.model)));
    return {
      symbol: market.symbol,
      horizon,
      timeframe: tf,
      horizonBars: spec.bars,
      madeAt: toDate(barTime.getTime() + tfMs).toISOString(),
      dueAt: dueAt.toISOString(),
      referencePrice: reference.toFixed(),
      simulated: series.simulated,
      featured,
      predictions: views,
      record,
      trained,
    };
  }

  /**
   * Scores every prediction whose horizon has passed: the actual price is the close of the bar
   * `horizonBars` after the one it was made on. Each row is written once (`scored_at is null` in the
   * update), so overlapping runs never score twice. Returns how many were scored.
   */
  async scoreDue(): Promise<{ scored: number; waiting: number }> {
    const now = this.clock.now();
    const due = await this.db
      .select()
      .from(mlPredictions)
      .where(and(isNull(mlPredictions.scoredAt), lte(mlPredictions.dueAt, now)))
      .orderBy(asc(mlPredictions.dueAt))
      .limit(SCORE_BATCH);
    let scored = 0;
    let waiting = 0;
    // Group by market and timeframe: one candle read per group.
    const groups = new Map<string, MlPrediction[]>();
    for (const p of due) {
      if (!p.timeframe || !p.barTime || p.predictionHorizonMinutes === null) continue;
      const key = `${p.symbol}\u0000${p.timeframe}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    for (const rows of groups.values()) {
      const first = rows[0]!;
      const tf = first.timeframe as Timeframe;
      const tfMs = TIMEFRAME_MS[tf];
      const outcomeTimes = rows.map((p) => p.dueAt!.getTime() - tfMs);
      const from = Math.min(...outcomeTimes);
      const to = Math.max(...outcomeTimes);
      const closes = new Map<number, Dec>();
      for (const c of (await this.market.loadClosedRange(first.symbol, tf, from, to)).candles) closes.set(c.openTime.getTime(), c.close);
      for (const p of rows) {
        const actual = closes.get(p.dueAt!.getTime() - tfMs);
        if (!actual || p.referencePrice === null) {
          waiting++;
          continue;
        }
        const reference = new D(p.referencePrice);
        const predicted = p.predictedPrice !== null ? new D(p.predictedPrice) : null;
        const wasCorrect = p.predictedDirection === 'up' || p.predictedDirection === 'down' ? (p.predictedDirection === 'up') === actual.gt(reference) : null;
        const updated = await this.db
          .update(mlPredictions)
          .set({
            actualPrice: money18(actual),
            predictionError: predicted ? money18(predicted.sub(actual).abs()) : null,
            wasCorrect,
            scoredAt: now,
          })
          .where(and(eq(mlPredictions.id, p.id), isNull(mlPredictions.scoredAt)))
          .returning({ id: mlPredictions.id });
        scored += updated.length;
      }
    }
    return { scored, waiting };
  }

  /** Recent predictions, newest first. */
  async listPredictions(input: unknown): Promise<PredictionRowView[]> {
    const args = parseInput(listPredictionsInputShape, input, 'prediction list');
    const where: SQL[] = [];
    if (args.symbol) where.push(eq(mlPredictions.symbol, this.market.resolveSymbol(args.symbol).symbol));
    if (args.horizon) where.push(eq(mlPredictions.predictionHorizonMinutes, PREDICTION_HORIZONS[args.horizon].minutes));
    if (args.model) where.push(eq(mlPredictions.modelName, args.model));
    if (args.scored === true) where.push(sql`${mlPredictions.scoredAt} is not null`);
    if (args.scored === false) where.push(isNull(mlPredictions.scoredAt));
    const rows = await this.db
      .select()
      .from(mlPredictions)
      .where(where.length > 0 ? and(...where) : undefined)
      .orderBy(desc(mlPredictions.barTime), asc(mlPredictions.modelName))
      .limit(args.limit);
    return rows.map(predictionRowView);
  }

  /**
   * Each model's live record per market and horizon over the last `days`: direction hit rate with its
   * Wilson interval, the majority-class baseline on the same bars and the margin, price error beside
   * persistence's on the same bars, calibration, and the active version's walk-forward record.
   */
  async scorecard(input: unknown): Promise<ScorecardView> {
    const args = parseInput(scorecardInputShape, input, 'scorecard');
    const since = toDate(this.clock.now().getTime() - args.days * 86_400_000);
    const where: SQL[] = [gte(mlPredictions.predictedAt, since)];
    if (args.symbol) where.push(eq(mlPredictions.symbol, this.market.resolveSymbol(args.symbol).symbol));
    if (args.horizon) where.push(eq(mlPredictions.predictionHorizonMinutes, PREDICTION_HORIZONS[args.horizon].minutes));
    const rows = await this.db
      .select({
        modelName: mlPredictions.modelName,
        symbol: mlPredictions.symbol,
        minutes: mlPredictions.predictionHorizonMinutes,
        simulated: mlPredictions.simulated,
        barTime: mlPredictions.barTime,
        confidence: mlPredictions.confidence,
        wasCorrect: mlPredictions.wasCorrect,
        error: mlPredictions.predictionError,
        scoredAt: mlPredictions.scoredAt,
      })
      .from(mlPredictions)
      .where(and(...where))
      .orderBy(asc(mlPredictions.barTime))
      .limit(200_000);
    const pending = rows.filter((r) => r.scoredAt === null && (!args.model || r.modelName === args.model)).length;
    // group key → model → bar → row
    const groups = new Map<string, { symbol: string; horizon: PredictionHorizon; simulated: boolean; byModel: Map<string, Map<number, (typeof rows)[number]>> }>();
    for (const r of rows) {
      const horizon = isHorizon(r.minutes);
      if (r.scoredAt === null || !horizon || !r.barTime || !isModelName(r.modelName)) continue;
      const key = `${r.symbol}\u0000${horizon}\u0000${String(r.simulated)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { symbol: r.symbol, horizon, simulated: r.simulated, byModel: new Map() }));
      let m = g.byModel.get(r.modelName);
      if (!m) g.byModel.set(r.modelName, (m = new Map()));
      m.set(r.barTime.getTime(), r);
    }
    const active = await this.activeVersions(args.symbol ? this.market.resolveSymbol(args.symbol).symbol : undefined);
    const entries: ScorecardEntry[] = [];
    for (const g of groups.values()) {
      const majority = g.byModel.get(ModelKind.majorityClass);
      const persistence = g.byModel.get(ModelKind.persistence);
      for (const name of MODEL_NAMES) {
        if (args.model && name !== args.model) continue;
        const mine = g.byModel.get(name);
        if (!mine) continue;
        let hits = 0;
        let calls = 0;
        let baseHits = 0;
        let baseCalls = 0;
        let errorSum = new D(0);
        let errorN = 0;
        let persistenceSum = new D(0);
        let persistenceN = 0;
        const buckets = CALIBRATION_EDGES.slice(0, -1).map((from, i) => ({ from, to: CALIBRATION_EDGES[i + 1]!, samples: 0, confidence: 0, hits: 0 }));
        for (const [bar, r] of mine) {
          if (r.wasCorrect !== null) {
            calls++;
            if (r.wasCorrect) hits++;
            const c = num(r.confidence);
            if (c !== null) {
              const b = buckets.find((x) => c >= x.from && c < x.to) ?? (c >= 1 ? buckets[buckets.length - 1]! : buckets[0]!);
              b.samples++;
              b.confidence += c;
              if (r.wasCorrect) b.hits++;
            }
            const base = majority?.get(bar);
            if (base && base.wasCorrect !== null && name !== ModelKind.majorityClass) {
              baseCalls++;
              if (base.wasCorrect) baseHits++;
            }
          }
          if (r.error !== null) {
            errorSum = errorSum.add(new D(r.error));
            errorN++;
            const pe = persistence?.get(bar)?.error;
            if (pe !== null && pe !== undefined && name !== ModelKind.persistence) {
              persistenceSum = persistenceSum.add(new D(pe));
              persistenceN++;
            }
          }
        }
        const direction = hitRecord(hits, calls);
        const baseline = name === ModelKind.majorityClass || name === ModelKind.persistence || baseCalls === 0 ? null : hitRecord(baseHits, baseCalls);
        const margin = baseline && direction.hitRate !== null && baseline.hitRate !== null ? direction.hitRate - baseline.hitRate : null;
        const version = active.find((v) => v.name === name && v.symbol === g.symbol && isHorizonOf(v, g.horizon) && v.simulated === g.simulated);
        entries.push({
          model: name,
          label: MODEL_LABELS[name],
          symbol: g.symbol,
          horizon: g.horizon,
          simulated: g.simulated,
          scored: mine.size,
          direction,
          baseline,
          margin,
          beatsBaseline: baseline !== null && baseline.hitRate !== null && direction.samples > 0 && direction.low > baseline.hitRate,
          meanAbsoluteError: errorN > 0 ? errorSum.div(errorN).toSignificantDigits(8).toFixed() : null,
          persistenceError: persistenceN > 0 ? persistenceSum.div(persistenceN).toSignificantDigits(8).toFixed() : null,
          calibration: buckets.map((b) => ({
            from: b.from,
            to: b.to,
            samples: b.samples,
            meanConfidence: b.samples > 0 ? b.confidence / b.samples : null,
            hitRate: b.samples > 0 ? b.hits / b.samples : null,
          })),
          walkForward: version ? wfOf(version) : null,
        });
      }
    }
    entries.sort((a, b) => a.symbol.localeCompare(b.symbol) || horizonOrder(a.horizon) - horizonOrder(b.horizon) || modelOrder(a.model) - modelOrder(b.model));
    return { days: args.days, since: since.toISOString(), entries, pending };
  }

  /** Retrains the models of a market and horizon now (admin). Returns the new versions. */
  async retrain(actor: Actor, input: unknown): Promise<ModelVersionView[]> {
    const args = parseInput(retrainInputShape, input, 'retrain');
    await requireRole(this.db, actor, 'admin');
    const market = this.market.resolveSymbol(args.symbol);
    const names = args.model ? [args.model] : [...MODEL_NAMES];
    const created = await this.train(market.symbol, args.horizon, names, actor);
    return created.map(versionView);
  }

  /** The active model versions (all markets, or one). */
  async listModels(opts: { symbol?: string } = {}): Promise<ModelVersionView[]> {
    return (await this.activeVersions(opts.symbol ? this.market.resolveSymbol(opts.symbol).symbol : undefined)).map(versionView);
  }

  /** Stored active versions for every model of the market and horizon; trains the missing and the stale ones. */
  async ensureModels(symbol: string, horizon: PredictionHorizon): Promise<{ models: MlModel[]; trained: ModelName[] }> {
    const spec = PREDICTION_HORIZONS[horizon];
    const staleBefore = this.clock.now().getTime() - RETRAIN_AFTER_MS;
    const current = (await this.activeVersions(symbol)).filter((m) => m.timeframe === spec.timeframe && m.horizonBars === spec.bars);
    const fresh = current.filter((m) => m.trainedTo.getTime() >= staleBefore && parseModel(m.definition).ok);
    const missing = MODEL_NAMES.filter((n) => !fresh.some((m) => m.name === n));
    if (missing.length === 0) return { models: sortModels(fresh), trained: [] };
    const created = await this.train(symbol, horizon, missing, undefined);
    return { models: sortModels([...fresh.filter((m) => !missing.includes(m.name as ModelName)), ...created]), trained: missing };
  }

  private async activeVersions(symbol: string | undefined): Promise<MlModel[]> {
    return this.db
      .select()
      .from(mlModels)
      .where(and(eq(mlModels.isActive, true), symbol ? eq(mlModels.symbol, symbol) : undefined))
      .orderBy(asc(mlModels.symbol), asc(mlModels.name));
  }

  private load(m: MlModel): ModelVersion {
    const parsed = parseModel(m.definition);
    if (!parsed.ok) throw new AppError(ErrorCode.unavailable, `stored model ${m.name} v${m.version} of ${m.symbol} cannot be read`, 'retrain it (an admin: retrain-model)');
    return parsed.value;
  }

  /**
   * Trains `names` on the last closed bars: walk-forward first (the stored record), then the version
   * on the most recent samples with known labels; stores each as the new active version. One
   * training per market and horizon at a time in this process; across instances the version key
   * and the one-active index keep the table consistent (the loser's transaction fails as a whole and
   * it uses the winner's versions).
   */
  private async train(symbol: string, horizon: PredictionHorizon, names: readonly ModelName[], actor: Actor | undefined): Promise<MlModel[]> {
    const key = `${symbol}\u0000${horizon}`;
    const running = this.training.get(key);
    if (running) await running.catch(() => undefined);
    const work = this.trainNow(symbol, horizon, names, actor).catch(async (err: unknown) => {
      // Another instance stored the same versions first (version key or one-active index): use its.
      if (!isUniqueViolation(err)) throw err;
      const spec = PREDICTION_HORIZONS[horizon];
      const theirs = (await this.activeVersions(symbol)).filter((m) => isHorizonOf(m, horizon) && m.horizonBars === spec.bars && names.includes(m.name as ModelName));
      if (theirs.length < names.length) throw err;
      return theirs;
    });
    this.training.set(key, work);
    try {
      return await work;
    } finally {
      if (this.training.get(key) === work) this.training.delete(key);
    }
  }

  private async trainNow(symbol: string, horizon: PredictionHorizon, names: readonly ModelName[], actor: Actor | undefined): Promise<MlModel[]> {
    const spec = PREDICTION_HORIZONS[horizon];
    const tf = spec.timeframe;
    const { candles, exchange, simulated } = await this.loadHistory(symbol, tf, this.trainBars);
    const dataset = buildDataset(computeFeatures(candles), spec.bars);
    const minimum = WALK_FORWARD.testSize + Math.min(WALK_FORWARD.trainSize, Math.floor(this.trainBars / 4));
    if (dataset.samples.length < minimum) {
      throw new AppError(
        ErrorCode.notFound,
        `not enough ${tf} history of ${symbol} to train (${dataset.samples.length} labelled bars; need ${minimum})`,
        `load history first: npx mikey data backfill ${symbol} ${tf} --since ${new Date(this.clock.now().getTime() - 60 * 86_400_000).toISOString().slice(0, 10)}`,
      );
    }
    const trainSize = Math.min(WALK_FORWARD.trainSize, dataset.samples.length - WALK_FORWARD.testSize);
    const finalSamples = dataset.samples.slice(-FINAL_TRAIN_SAMPLES);
    const started = Date.now();
    const built = names.map((name) => {
      const report = walkForward(dataset, TRAINERS[name], { trainSize, testSize: WALK_FORWARD.testSize });
      const version = TRAINERS[name](finalSamples, dataset.featureNames, spec.bars);
      return { name, version, evaluation: evaluationOf(report) };
    });
    this.logger?.info('prediction models trained', { symbol, horizon, models: names.length, samples: dataset.samples.length, ms: Date.now() - started });
    return withTransaction(this.db, async (tx) => {
      const out: MlModel[] = [];
      for (const b of built) {
        const where = and(eq(mlModels.name, b.name), eq(mlModels.symbol, symbol), eq(mlModels.timeframe, tf), eq(mlModels.horizonBars, spec.bars));
        const [last] = await tx.select({ version: mlModels.version }).from(mlModels).where(where).orderBy(desc(mlModels.version)).limit(1).for('update');
        await tx.update(mlModels).set({ isActive: false }).where(and(where, eq(mlModels.isActive, true)));
        const window = b.version.trainingWindow;
        const [row] = await tx
          .insert(mlModels)
          .values({
            name: b.name,
            version: (last?.version ?? 0) + 1,
            symbol,
            exchange,
            timeframe: tf,
            horizonBars: spec.bars,
            horizonMinutes: spec.minutes,
            definition: serialiseModel(b.version),
            featureNames: [...dataset.featureNames],
            trainedFrom: toDate(window.fromTime),
            trainedTo: toDate(window.toTime),
            samples: window.samples,
            evaluation: b.evaluation as unknown as Record<string, unknown>,
            simulated,
            isActive: true,
            createdBy: actor?.userId ?? null,
          })
          .returning();
        out.push(row!);
      }
      if (actor) {
        await writeAudit(tx, actor, {
          action: 'model.retrained',
          entityType: 'ml_model',
          entityId: out[0]!.id,
          newValue: { symbol, horizon, models: out.map((m) => `${m.name} v${m.version}`), samples: dataset.samples.length },
        });
      }
      return out;
    });
  }

  /** The last `bars` closed bars of the market, read page by page (the store backfills what it lacks). */
  private async loadHistory(symbol: string, tf: Timeframe, bars: number): Promise<{ candles: Candle[]; exchange: string; simulated: boolean }> {
    const tfMs = TIMEFRAME_MS[tf];
    const lastOpen = alignOpenTime(this.clock.now().getTime(), tf) - tfMs;
    return this.market.loadClosedRange(symbol, tf, lastOpen - (bars - 1) * tfMs, lastOpen);
  }
}

function evaluationOf(report: ReturnType<typeof walkForward>): WalkForwardRecord {
  const m = report.model;
  const b = report.baseline.majorityClass;
  const hasDirection = m.direction.samples > 0;
  return {
    folds: report.folds.length,
    direction: hitRecord(m.direction.hits, m.direction.samples),
    baseline: hitRecord(b.direction.hits, b.direction.samples),
    margin: hasDirection ? report.margin.hitRate ?? null : null,
    meanAbsoluteReturnError: m.error.meanAbsoluteReturnError ?? null,
    persistenceReturnError: report.baseline.persistence.error.meanAbsoluteReturnError ?? null,
  };
}

const walkForwardRecordSchema = z.object({
  folds: z.number(),
  direction: z.object({ samples: z.number(), hits: z.number(), hitRate: z.number().nullable(), low: z.number(), high: z.number() }),
  baseline: z.object({ samples: z.number(), hits: z.number(), hitRate: z.number().nullable(), low: z.number(), high: z.number() }),
  margin: z.number().nullable(),
  meanAbsoluteReturnError: z.number().nullable(),
  persistenceReturnError: z.number().nullable(),
});

function wfOf(m: MlModel | undefined): WalkForwardRecord | null {
  if (!m) return null;
  const parsed = walkForwardRecordSchema.safeParse(m.evaluation);
  return parsed.success ? parsed.data : null;
}

function isHorizonOf(m: MlModel, horizon: PredictionHorizon): boolean {
  const spec = PREDICTION_HORIZONS[horizon];
  return m.timeframe === spec.timeframe && m.horizonBars === spec.bars;
}

const horizonOrder = (h: PredictionHorizon): number => HORIZON_NAMES.indexOf(h);
const modelOrder = (m: string): number => (MODEL_NAMES as readonly string[]).indexOf(m);

function sortModels(models: MlModel[]): MlModel[] {
  return [...models].sort((a, b) => modelOrder(a.name) - modelOrder(b.name));
}

function sortByModel(rows: PredictionRowView[]): PredictionRowView[] {
  return [...rows].sort((a, b) => modelOrder(a.model) - modelOrder(b.model));
}

/**
 * The learner to show first: among learners with LIVE_RECORD_MIN scored direction calls, the best
 * live margin over the baseline; otherwise the best walk-forward margin; otherwise the first learner.
 */
export function pickFeatured(entries: readonly ScorecardEntry[]): ModelName {
  const learners = entries.filter((e) => (LEARNERS as readonly string[]).includes(e.model));
  const live = learners.filter((e) => e.direction.samples >= LIVE_RECORD_MIN && e.margin !== null);
  if (live.length > 0) return live.reduce((a, b) => (b.margin! > a.margin! ? b : a)).model;
  const wf = learners.filter((e) => e.walkForward?.margin !== null && e.walkForward?.margin !== undefined);
  if (wf.length > 0) return wf.reduce((a, b) => (b.walkForward!.margin! > a.walkForward!.margin! ? b : a)).model;
  return LEARNERS[0];
}

function emptyEntry(model: ModelName, symbol: string, horizon: PredictionHorizon, simulated: boolean, walkForward: WalkForwardRecord | null): ScorecardEntry {
  return {
    model,
    label: MODEL_LABELS[model],
    symbol,
    horizon,
    simulated,
    scored: 0,
    direction: hitRecord(0, 0),
    baseline: null,
    margin: null,
    beatsBaseline: false,
    meanAbsoluteError: null,
    persistenceError: null,
    calibration: [],
    walkForward,
  };
}

function predictionRowView(r: MlPrediction): PredictionRowView {
  const name = isModelName(r.modelName) ? r.modelName : ModelKind.persistence;
  const tfMs = r.timeframe ? TIMEFRAME_MS[r.timeframe as Timeframe] ?? 0 : 0;
  const importance = Object.entries(r.featureImportance ?? {})
    .map(([feature, importance]) => ({ feature, importance }))
    .sort((a, b) => b.importance - a.importance)
    .slice(0, 3);
  return {
    id: r.id,
    model: name,
    label: MODEL_LABELS[name],
    modelVersion: r.modelVersion,
    symbol: r.symbol,
    horizon: isHorizon(r.predictionHorizonMinutes),
    madeAt: r.barTime ? new Date(r.barTime.getTime() + tfMs).toISOString() : r.predictedAt.toISOString(),
    dueAt: r.dueAt?.toISOString() ?? null,
    referencePrice: r.referencePrice !== null ? new D(r.referencePrice).toFixed() : null,
    predictedPrice: r.predictedPrice !== null ? new D(r.predictedPrice).toFixed() : null,
    direction: r.predictedDirection === 'up' || r.predictedDirection === 'down' ? r.predictedDirection : null,
    confidence: num(r.confidence),
    probabilityUp: num(r.probabilityUp),
    simulated: r.simulated,
    topFeatures: importance,
    actualPrice: r.actualPrice !== null ? new D(r.actualPrice).toFixed() : null,
    error: r.predictionError !== null ? new D(r.predictionError).toFixed() : null,
    wasCorrect: r.wasCorrect,
    scoredAt: r.scoredAt?.toISOString() ?? null,
  };
}

function versionView(m: MlModel): ModelVersionView {
  const name = isModelName(m.name) ? m.name : ModelKind.persistence;
  const horizon = HORIZON_NAMES.find((h) => isHorizonOf(m, h)) ?? '1h';
  return {
    id: m.id,
    name,
    label: MODEL_LABELS[name],
    version: m.version,
    symbol: m.symbol,
    timeframe: m.timeframe as Timeframe,
    horizon,
    horizonBars: m.horizonBars,
    trainedFrom: m.trainedFrom.toISOString(),
    trainedTo: m.trainedTo.toISOString(),
    samples: m.samples,
    simulated: m.simulated,
    walkForward: wfOf(m) ?? { folds: 0, direction: hitRecord(0, 0), baseline: hitRecord(0, 0), margin: null, meanAbsoluteReturnError: null, persistenceReturnError: null },
    createdAt: m.createdAt.toISOString(),
  };
}

