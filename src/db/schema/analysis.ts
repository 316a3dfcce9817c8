// Analysis records: MIKEY's own AI analyses (seed 000 `AIAnalysis`) and ML predictions scored
// against what happened (seed 001 `ml_predictions`). Together they feed the prediction scorecard.
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, money, rate, timestamptz } from './columns.js';
import { analysisType, predictionDirection, recommendation } from './enums.js';
import { users } from './users.js';

export const aiAnalyses = pgTable(
  'ai_analyses',
  {
    id: id(),
    /** The user it was made for; null for a shared market analysis. */
    userId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    analysisType: analysisType().notNull(),
    /** Seed 000 `market_symbol`. */
    symbol: text(),
    timeframe: text(),
    /** 0–1. */
    confidenceScore: rate().notNull(),
    recommendation: recommendation().notNull(),
    reasoning: text().notNull(),
    /** Structured inputs behind the reasoning (indicator values, levels, sources). */
    details: jsonb().$type<Record<string, unknown>>(),
    /** The model that wrote it. */
    model: text(),
    /** Price when the analysis was made, to score it later. */
    priceAtAnalysis: money(),
    createdAt: createdAt(),
    /** Valid until; an expired analysis is not used for decisions. */
    expiresAt: timestamptz(),
  },
  (t) => [
    index('ai_analyses_symbol_time_idx').on(t.symbol, t.createdAt.desc()),
    index('ai_analyses_user_time_idx').on(t.userId, t.createdAt.desc()),
    check('ai_analyses_confidence_range', sql`${t.confidenceScore} >= 0 and ${t.confidenceScore} <= 1`),
  ],
);
export type AiAnalysis = typeof aiAnalyses.$inferSelect;
export type NewAiAnalysis = typeof aiAnalyses.$inferInsert;

/**
 * A trained model version (issue 12): what it predicts (symbol, timeframe, horizon in bars), its
 * kind, the exact learnt parameters as JSON text (reloaded without retraining; text keeps every
 * double exactly), the window it was trained on, and its walk-forward record at training time.
 * One active version per (name, symbol, timeframe, horizon); retraining adds a version.
 */
export const mlModels = pgTable(
  'ml_models',
  {
    id: id(),
    /** The model kind (`gradient_boosted_trees`, `logistic_regression`, …, or a baseline). */
    name: text().notNull(),
    /** 1, 2, … per (name, symbol, timeframe, horizon). */
    version: integer().notNull(),
    symbol: text().notNull(),
    exchange: text().notNull(),
    timeframe: text().notNull(),
    horizonBars: integer().notNull(),
    horizonMinutes: integer().notNull(),
    /** The serialised model version (src/domain/predict/models/model.ts). */
    definition: text().notNull(),
    featureNames: jsonb().$type<string[]>().notNull(),
    trainedFrom: timestamptz().notNull(),
    trainedTo: timestamptz().notNull(),
    samples: integer().notNull(),
    /** Walk-forward figures at training time (out-of-sample, beside the baselines). */
    evaluation: jsonb().$type<Record<string, unknown>>().notNull(),
    /** Trained on the simulated market's candles. */
    simulated: boolean().notNull(),
    isActive: boolean().default(true).notNull(),
    createdBy: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    unique('ml_models_version_key').on(t.name, t.symbol, t.timeframe, t.horizonBars, t.version),
    uniqueIndex('ml_models_one_active_idx').on(t.name, t.symbol, t.timeframe, t.horizonBars).where(sql`${t.isActive}`),
  ],
);
export type MlModel = typeof mlModels.$inferSelect;
export type NewMlModel = typeof mlModels.$inferInsert;

export const mlPredictions = pgTable(
  'ml_predictions',
  {
    id: id(),
    modelName: text().notNull(),
    modelVersion: text(),
    /** The stored model version that made it. */
    modelId: uuid().references(() => mlModels.id, { onDelete: 'set null' }),
    symbol: text().notNull(),
    timeframe: text(),
    /** Open time of the last closed bar the prediction was made on (one prediction per model and bar). */
    barTime: timestamptz(),
    /** Close of that bar: the price the prediction is measured from. */
    referencePrice: money(),
    predictedPrice: money(),
    predictedDirection: predictionDirection(),
    /** 0–1: the called direction's probability. */
    confidence: rate(),
    /** 0–1: probability the price is higher at the horizon. */
    probabilityUp: rate(),
    featureImportance: jsonb().$type<Record<string, number>>(),
    predictedAt: timestamptz().defaultNow().notNull(),
    /** Minutes ahead (seed 001 `prediction_horizon`). */
    predictionHorizonMinutes: integer(),
    /** When the horizon has passed: the close of the bar ending then is the actual price. */
    dueAt: timestamptz(),
    /** Made on the simulated market's prices. */
    simulated: boolean().default(false).notNull(),
    // Backfilled when the horizon has passed.
    actualPrice: money(),
    /** |predicted − actual|. */
    predictionError: money(),
    wasCorrect: boolean(),
    scoredAt: timestamptz(),
  },
  (t) => [
    index('idx_prediction_symbol_time').on(t.symbol, t.predictedAt),
    index('idx_prediction_model').on(t.modelName),
    index('ml_predictions_unscored_idx').on(t.predictedAt).where(sql`${t.scoredAt} is null`),
    index('ml_predictions_due_idx').on(t.dueAt).where(sql`${t.scoredAt} is null`),
    unique('ml_predictions_bar_key').on(t.modelName, t.symbol, t.predictionHorizonMinutes, t.barTime),
    check('ml_predictions_confidence_range', sql`${t.confidence} is null or (${t.confidence} >= 0 and ${t.confidence} <= 1)`),
  ],
);
export type MlPrediction = typeof mlPredictions.$inferSelect;
export type NewMlPrediction = typeof mlPredictions.$inferInsert;
