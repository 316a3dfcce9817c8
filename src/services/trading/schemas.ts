// Input shapes of the trading services as zod raw shapes with `.describe()` on every field, argument
// names exactly as in docs/tools.md. The MCP tools use them as their input schemas; the services parse
// with them again, so there is one definition of what a valid request is.
import { z } from 'zod';
import { idOrPrefixField } from '../id-prefix.js';
import { portfolioIdField } from '../portfolio/schemas.js';
import { BOUNDS, decimalField, decimalProblem, symbolField as marketSymbolField } from './input.js';

export const ORDER_TYPES = ['market', 'limit', 'stop', 'stop_limit', 'take_profit', 'trailing_stop', 'twap', 'vwap'] as const;

const symbolField = marketSymbolField();
const positionSymbolField = marketSymbolField(
  'The position\'s market: a bare ticker ("eth") names your open position in that asset, spot or perpetual (when you hold both you are asked which); "ETH-PERP" or "ETH/USDT" name one exactly',
);

const orderIdField = idOrPrefixField('order', 'list-orders');
const positionIdField = idOrPrefixField('position', 'get-positions').describe(
  'Position id: the full UUID or its first 4+ characters; alternatively give symbol',
);

const takeProfitTarget = z
  .object({
    price: decimalField('Take-profit trigger price', BOUNDS.price),
    fraction: decimalField('Share of the position to close there, from 0.0001 to 1; omit on every target for an even split', BOUNDS.fraction).optional(),
  })
  .strict()
  .describe('One take-profit: trigger price and the share of the position it closes');

export const previewOrderShape = {
  symbol: symbolField,
  side: z.enum(['buy', 'sell']).describe('buy or sell'),
  type: z
    .enum(ORDER_TYPES)
    .default('market')
    .describe('market (default), limit, stop (stop-market), stop_limit, take_profit, trailing_stop, twap or vwap'),
  quantity: decimalField('Size in the base asset (e.g. "0.5" BTC); give this or quoteQuantity', BOUNDS.quantity).optional(),
  quoteQuantity: decimalField('Size in the quote asset ("100" = 100 USDT worth); give this or quantity', BOUNDS.amount).optional(),
  price: decimalField('Limit price (limit, stop_limit; optional price cap on twap/vwap)', BOUNDS.price).optional(),
  stopPrice: decimalField('Trigger price (stop, stop_limit, take_profit)', BOUNDS.price).optional(),
  trailingAmount: decimalField('Trailing distance in price units (trailing_stop)', BOUNDS.price).optional(),
  trailingPercent: decimalField('Trailing distance in percent, "2" = 2% (trailing_stop)', BOUNDS.percent).optional(),
  timeInForce: z.enum(['gtc', 'ioc', 'fok']).optional().describe('gtc (rest until filled), ioc (fill now, cancel rest) or fok (all now or nothing); market orders are ioc'),
  postOnly: z.boolean().optional().describe('Limit orders only: rest as maker, refused if it would trade at once'),
  reduceOnly: z.boolean().optional().describe('Only reduce an existing position, never open or grow one'),
  leverage: decimalField('Leverage for perpetuals, e.g. "5" (at most the market maximum; spot is 1x)', BOUNDS.leverage).optional(),
  stopLoss: decimalField('Stop-loss price attached to the position this order opens', BOUNDS.price).optional(),
  takeProfits: z.array(takeProfitTarget).max(10, 'at most 10 take-profits').optional().describe('Take-profits attached to the position this order opens: [{price, fraction}]'),
  durationMinutes: z.number().int('durationMinutes must be a whole number').min(1).max(43_200).optional().describe('twap/vwap: minutes to work the order over'),
  slices: z.number().int('slices must be a whole number').min(2).max(1000).optional().describe('twap/vwap: number of child orders (2–1000)'),
  clientOrderId: z
    .string()
    .trim()
    .min(1)
    .max(64, 'clientOrderId is at most 64 characters')
    .regex(/^[A-Za-z0-9_.:-]+$/, 'clientOrderId may use letters, digits and _ . : -')
    .optional()
    .describe('Your idempotency key: repeating a request with the same clientOrderId returns the first order instead of placing another'),
  portfolioId: portfolioIdField.optional(),
};

export const placeOrderShape = {
  ...previewOrderShape,
  confirmationToken: z
    .string()
    .trim()
    .min(1)
    .max(100, 'confirmationToken is at most 100 characters')
    .optional()
    .describe('The token from preview-order (or from a place-order that asked for confirmation), after the user approved that exact card'),
};

export const cancelOrderShape = {
  orderId: orderIdField,
};

export const amendOrderShape = {
  orderId: orderIdField,
  price: decimalField('New limit price', BOUNDS.price).optional(),
  quantity: decimalField('New total quantity (at most the current one; to buy more place a new order)', BOUNDS.quantity).optional(),
  stopPrice: decimalField('New trigger price', BOUNDS.price).optional(),
};

export const listOrdersShape = {
  status: z
    .enum(['open', 'filled', 'cancelled', 'all'])
    .default('open')
    .describe('open (default: pending, open, partially filled), filled, cancelled (also rejected and expired) or all'),
  symbol: symbolField.optional(),
  portfolioId: portfolioIdField.optional(),
  limit: z.number().int().min(1).max(500).default(50).describe('Most orders to return, newest first (default 50)'),
};

export const getOrderShape = {
  orderId: orderIdField,
};

export const getTradesShape = {
  symbol: symbolField.optional(),
  since: z
    .string()
    .trim()
    .max(40)
    .refine((s) => !Number.isNaN(Date.parse(s)), 'since must be an ISO date such as "2025-03-01" or "2025-03-01T12:00:00Z"')
    .optional()
    .describe('Only fills at or after this time (ISO date)'),
  limit: z.number().int().min(1).max(1000).default(50).describe('Most fills to return, newest first (default 50)'),
  portfolioId: portfolioIdField.optional(),
};

export const closePositionShape = {
  symbol: positionSymbolField.optional(),
  positionId: positionIdField.optional(),
  fraction: decimalField('Share of the position to close, "0.5" = half (0.0001 to 1); default all', BOUNDS.fraction).optional(),
  portfolioId: portfolioIdField.optional(),
  confirmationToken: placeOrderShape.confirmationToken,
};

export const closeAllPositionsShape = {
  portfolioId: portfolioIdField.optional(),
  confirmationToken: placeOrderShape.confirmationToken,
};

export const setStopLossShape = {
  symbol: positionSymbolField.optional(),
  positionId: positionIdField.optional(),
  price: z
    .union([z.string().trim().max(64), z.number()])
    .superRefine((v, ctx) => {
      if (typeof v === 'string' && /^(off|none|remove)$/i.test(v.trim())) return;
      const problem = decimalProblem(v, BOUNDS.price);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${problem} (or "off" to remove the stop-loss)` });
    })
    .describe('Stop-loss trigger price as a decimal string such as "128"; "off" removes the stop-loss'),
  portfolioId: portfolioIdField.optional(),
};

export const setTakeProfitsShape = {
  symbol: positionSymbolField.optional(),
  positionId: positionIdField.optional(),
  targets: z.array(takeProfitTarget).max(10, 'at most 10 take-profits').describe('Take-profits [{price, fraction}]; an empty list removes them'),
  portfolioId: portfolioIdField.optional(),
};

export const explainOrderShape = {
  orderId: orderIdField,
};

export type PreviewOrderInput = z.input<z.ZodObject<typeof previewOrderShape>>;
export type PlaceOrderInput = z.input<z.ZodObject<typeof placeOrderShape>>;

export const getShadowShape = {
  portfolioId: portfolioIdField.optional().describe('The live portfolio (id or its first characters); default: your only live portfolio'),
  limit: z.number().int().min(1).max(200).default(50).describe('How many of its latest orders to compare (1–200, default 50)'),
};
