// Input shapes of the risk services (zod raw shapes, argument names as in docs/tools.md).
import { z } from 'zod';
import { portfolioIdField } from '../portfolio/schemas.js';
import { symbolField, textField } from '../trading/input.js';

export const RISK_LIMIT_TYPES = ['daily_loss', 'position_size', 'symbol_notional', 'leverage', 'max_open_positions', 'symbol_allow', 'symbol_deny'] as const;

export const getRiskLimitsShape = {
  portfolioId: portfolioIdField.optional().describe('Show the limits that apply to this portfolio; omit for all your limits'),
};

export const setRiskLimitShape = {
  type: z
    .enum(RISK_LIMIT_TYPES)
    .describe(
      'daily_loss (max loss today, quote currency), position_size (max value of one order), symbol_notional (max exposure in one symbol; needs symbol), ' +
        'leverage (max leverage), max_open_positions (count), symbol_allow / symbol_deny (lists of symbols)',
    ),
  value: z
    .union([textField('value', 1000, { min: 1 }), z.number()])
    .describe('A decimal such as "500" (at most 1,000,000,000,000), leverage 1–200, a whole number 1–1000 for max_open_positions; comma-separated symbols such as "BTC/USDT,SOL" for symbol_allow/symbol_deny; "off" removes the limit'),
  symbol: symbolField('Narrow position_size to one market, or the market of a symbol_notional limit').optional(),
  portfolioId: portfolioIdField.optional().describe('The portfolio the limit applies to; omit for every portfolio of yours'),
};

export const haltTradingShape = {
  portfolioId: portfolioIdField.optional().describe('The portfolio to halt; omit to halt every portfolio of yours (user-level kill switch)'),
  reason: textField('reason', 200).optional().describe('Why trading is halted (shown while it lasts)'),
};

export const resumeTradingShape = {
  portfolioId: portfolioIdField.optional().describe('The portfolio to resume; omit to lift every halt of yours (user-level and per portfolio)'),
};

export const getRiskMetricsShape = {
  portfolioId: portfolioIdField.optional(),
};
