// Input shapes of the trading services as zod raw shapes with `.describe()` on every field, argument
// names exactly as in docs/tools.md. The MCP tools use them as their input schemas; the services parse
// with them again, so there is one definition of what a valid request is.
import { z } from 'zod';
import { decimalField, portfolioIdField } from '../portfolio/schemas.js';

export const ORDER_TYPES = ['market', 'limit', 'stop', 'stop_limit', 'take_profit', 'trailing_stop', 'twap', 'vwap'] as const;

const symbolField = z
  .string()
  .trim()
  .min(1, 'symbol is required')
  .max(40, 'symbol is at most 40 characters')
  .describe('Market, e.g. "BTC/USDT", "SOL-PERP", "ethusdt" or "BTC" (= BTC/USDT)');

const orderIdField = z.string().uuid('orderId must be an order id (a UUID); list-orders shows yours').describe('Order id (UUID)');
const positionIdField = z.string().uuid('positionId must be a position id (a UUID); get-positions shows yours').describe('Position id (UUID); alternatively give symbol');

const takeProfitTarget = z
  .object({
    price: decimalField('Take-profit trigger price'),
    fraction: decimalField('Share of the position to close there, in (0, 1]; omit on every target for an even split').optional(),
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
  quantity: decimalField('Size in the base asset (e.g. "0.5" BTC); give this or quoteQuantity').optional(),
  quoteQuantity: decimalField('Size in the quote asset ("100" = 100 USDT worth); give this or quantity').optional(),
  price: decimalField('Limit price (limit, stop_limit; optional price cap on twap/vwap)').optional(),
  stopPrice: decimalField('Trigger price (stop, stop_limit, take_profit)').optional(),
  trailingAmount: decimalField('Trailing distance in price units (trailing_stop)').optional(),
  trailingPercent: decimalField('Trailing distance in percent, "2" = 2% (trailing_stop)').optional(),
  timeInForce: z.enum(['gtc', 'ioc', 'fok']).optional().describe('gtc (rest until filled), ioc (fill now, cancel rest) or fok (all now or nothing); market orders are ioc'),
  postOnly: z.boolean().optional().describe('Limit orders only: rest as maker, refused if it would trade at once'),
  reduceOnly: z.boolean().optional().describe('Only reduce an existing position, never open or grow one'),
  leverage: decimalField('Leverage for perpetuals, e.g. "5" (at most the market maximum; spot is 1x)').optional(),
  stopLoss: decimalField('Stop-loss price attached to the position this order opens').optional(),
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
  price: decimalField('New limit price').optional(),
  quantity: decimalField('New total quantity (at most the current one; to buy more place a new order)').optional(),
  stopPrice: decimalField('New trigger price').optional(),
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
  symbol: symbolField.optional(),
  positionId: positionIdField.optional(),
  fraction: decimalField('Share of the position to close, "0.5" = half; default all').optional(),
  portfolioId: portfolioIdField.optional(),
  confirmationToken: placeOrderShape.confirmationToken,
};

export const closeAllPositionsShape = {
  portfolioId: portfolioIdField.optional(),
  confirmationToken: placeOrderShape.confirmationToken,
};

export const setStopLossShape = {
  symbol: symbolField.optional(),
  positionId: positionIdField.optional(),
  price: z
    .union([z.string().trim().max(64), z.number()])
    .describe('Stop-loss trigger price as a decimal string; "off" removes the stop-loss'),
  portfolioId: portfolioIdField.optional(),
};

export const setTakeProfitsShape = {
  symbol: symbolField.optional(),
  positionId: positionIdField.optional(),
  targets: z.array(takeProfitTarget).max(10, 'at most 10 take-profits').describe('Take-profits [{price, fraction}]; an empty list removes them'),
  portfolioId: portfolioIdField.optional(),
};

export const explainOrderShape = {
  orderId: orderIdField,
};

export type PreviewOrderInput = z.input<z.ZodObject<typeof previewOrderShape>>;
export type PlaceOrderInput = z.input<z.ZodObject<typeof placeOrderShape>>;
