// Analysis records: MIKEY's own AI analyses (seed 000 `AIAnalysis`) and ML predictions scored
// against what happened (seed 001 `ml_predictions`). Together they feed the prediction scorecard.
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
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

export const mlPredictions = pgTable(
  'ml_predictions',
  {
    id: id(),
    modelName: text().notNull(),
    modelVersion: text(),
    symbol: text().notNull(),
    predictedPrice: money(),
    predictedDirection: predictionDirection(),
    /** 0–1. */
    confidence: rate(),
    featureImportance: jsonb().$type<Record<string, number>>(),
    predictedAt: timestamptz().defaultNow().notNull(),
    /** Minutes ahead (seed 001 `prediction_horizon`). */
    predictionHorizonMinutes: integer(),
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
  ],
);
export type MlPrediction = typeof mlPredictions.$inferSelect;
export type NewMlPrediction = typeof mlPredictions.$inferInsert;
