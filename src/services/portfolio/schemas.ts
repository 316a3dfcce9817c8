// Input shapes of the portfolio services, as zod raw shapes: the MCP tools use them as their input
// schemas (argument names as in docs/tools.md), and the services parse with them again.
import { z } from 'zod';
import { idOrPrefixField } from '../id-prefix.js';
import { BOUNDS, decimalField, symbolField, textField } from '../trading/input.js';

export const portfolioIdField = idOrPrefixField('portfolio', 'list-portfolios').describe(
  'Portfolio (account) id: the full UUID or its first 4+ characters as list-portfolios shows; omit for your default paper portfolio',
);

/** Decimal arguments and free text: the shared fields of every service (see trading/input.ts). */
export { decimalField };

export const getPortfolioShape = {
  portfolioId: portfolioIdField.optional(),
};

export const getBalancesShape = {
  portfolioId: portfolioIdField.optional(),
};

export const getPositionsShape = {
  status: z.enum(['open', 'closed']).default('open').describe('open (default) or closed positions (closed includes liquidated)'),
  symbol: symbolField('Only this market, e.g. "BTC/USDT" or "SOL-PERP"').optional(),
  portfolioId: portfolioIdField.optional(),
};

export const getPerformanceShape = {
  period: z
    .enum(['day', 'week', 'month', 'all'])
    .default('week')
    .describe('Window to report: day (last 24 h), week (last 7 days, default), month (last 30 days) or all'),
  portfolioId: portfolioIdField.optional(),
};

export const listPortfoliosShape = {};

export const createPaperPortfolioShape = {
  name: textField('the name', 64, { min: 1, required: 'give the portfolio a name' }).describe('Name of the new paper portfolio, unique among yours'),
  startingCash: decimalField('Starting cash in the base currency', BOUNDS.amount).default('10000'),
  baseCurrency: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{2,10}$/, 'baseCurrency must be an asset code such as USDT')
    .default('USDT')
    .describe('Currency the portfolio holds its cash in and is valued in (default USDT)'),
  autoConfirm: z
    .boolean()
    .default(false)
    .describe('Execute orders in this paper portfolio without a confirmation step (default false)'),
};

export const getEquitySeriesShape = {
  portfolioId: portfolioIdField.optional(),
};
