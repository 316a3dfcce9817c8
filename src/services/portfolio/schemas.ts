// Input shapes of the portfolio services, as zod raw shapes: the MCP tools use them as their input
// schemas (argument names as in docs/tools.md), and the services parse with them again.
import { z } from 'zod';

export const portfolioIdField = z
  .string()
  .uuid('portfolioId must be a portfolio id (a UUID); list-portfolios shows yours')
  .describe('Portfolio (account) id; omit for your default paper portfolio');

/** A decimal amount as a string ("0.5", "10000"); finite numbers are accepted too. */
export const decimalField = (what: string): z.ZodUnion<[z.ZodString, z.ZodNumber]> =>
  z
    .union([z.string().trim().max(64, `${what} is too long (at most 64 characters)`), z.number()], {
      errorMap: (issue, ctx) => ({
        message: issue.code === 'invalid_union' ? 'must be a decimal string such as "0.5" (or a finite number)' : ctx.defaultError,
      }),
    })
    .describe(`${what}, as a decimal string such as "0.5"`);

export const getPortfolioShape = {
  portfolioId: portfolioIdField.optional(),
};

export const getBalancesShape = {
  portfolioId: portfolioIdField.optional(),
};

export const getPositionsShape = {
  status: z.enum(['open', 'closed']).default('open').describe('open (default) or closed positions (closed includes liquidated)'),
  symbol: z.string().trim().min(1).max(40).optional().describe('Only this market, e.g. "BTC/USDT" or "SOL-PERP"'),
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
  name: z.string().trim().min(1, 'give the portfolio a name').max(64, 'the name is at most 64 characters').describe('Name of the new paper portfolio, unique among yours'),
  startingCash: decimalField('Starting cash in the base currency').default('10000'),
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
