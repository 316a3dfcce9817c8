// Hyperliquid info API wire format (POST https://api.hyperliquid.xyz/info), as loose zod schemas:
// the fields MIKEY uses are checked, anything else passes through. Sources: Hyperliquid's API docs
// ("Info endpoint": perpetuals account summary, user fills, user fills by time, all mids) and the
// response types of the @nktkas/hyperliquid SDK. Every number that is money, price or size arrives
// as a decimal string and stays one until it becomes a Decimal.
//
//   {"type":"clearinghouseState","user":"0x…"}
//     → { "marginSummary": { "accountValue": "13109.48", "totalNtlPos": "2650.5", "totalRawUsd": "…", "totalMarginUsed": "…" },
//         "crossMarginSummary": { …same… }, "crossMaintenanceMarginUsed": "…", "withdrawable": "…",
//         "assetPositions": [ { "type": "oneWay",
//            "position": { "coin": "ETH", "szi": "-1.5", "leverage": { "type": "cross", "value": 20 },
//                          "entryPx": "2986.3", "positionValue": "4479.45", "unrealizedPnl": "-2.5",
//                          "returnOnEquity": "-0.01", "liquidationPx": "3500.1" | null, "marginUsed": "223.9",
//                          "maxLeverage": 50, "cumFunding": { "allTime": "…", "sinceOpen": "…", "sinceChange": "…" } } } ],
//         "time": 1708622398623 }
//   {"type":"userFills","user":"0x…"}                       → at most 2000 most recent fills, newest first
//   {"type":"userFillsByTime","user":"0x…","startTime":ms[,"endTime":ms]} → at most 2000 fills from startTime on
//     fill: { "coin": "AVAX", "px": "18.435", "sz": "93.53", "side": "B" | "A", "time": 1681222254710,
//             "startPosition": "26.86", "dir": "Open Long", "closedPnl": "0.0", "hash": "0x…(32 bytes)",
//             "oid": 90542681, "crossed": false, "fee": "0.01", "tid": 118906512037719, "feeToken": "USDC", … }
//   {"type":"allMids"} → { "BTC": "64123.5", "ETH": "3012.15", "@107": "…", … }
//   Errors: 422 with a plain-text body for a request it cannot parse, 429 when rate limited, 5xx.
import { z } from 'zod';

const DecimalString = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string like "12.5"');

export const HlMarginSummarySchema = z
  .object({ accountValue: DecimalString, totalNtlPos: DecimalString, totalRawUsd: DecimalString, totalMarginUsed: DecimalString })
  .passthrough();

export const HlLeverageSchema = z
  .object({ type: z.enum(['cross', 'isolated']), value: z.number().positive(), rawUsd: DecimalString.optional() })
  .passthrough();

export const HlPositionSchema = z
  .object({
    coin: z.string().min(1),
    szi: DecimalString,
    leverage: HlLeverageSchema,
    entryPx: DecimalString.nullish(),
    positionValue: DecimalString,
    unrealizedPnl: DecimalString,
    returnOnEquity: DecimalString.optional(),
    liquidationPx: DecimalString.nullable(),
    marginUsed: DecimalString,
    maxLeverage: z.number().optional(),
  })
  .passthrough();

export const HlClearinghouseStateSchema = z
  .object({
    marginSummary: HlMarginSummarySchema,
    crossMarginSummary: HlMarginSummarySchema.optional(),
    withdrawable: DecimalString,
    assetPositions: z.array(z.object({ type: z.string(), position: HlPositionSchema }).passthrough()),
    time: z.number().int().nonnegative(),
  })
  .passthrough();
export type HlClearinghouseState = z.infer<typeof HlClearinghouseStateSchema>;

export const HlFillSchema = z
  .object({
    coin: z.string().min(1),
    px: DecimalString,
    sz: DecimalString,
    side: z.enum(['B', 'A']),
    time: z.number().int().nonnegative(),
    startPosition: DecimalString,
    dir: z.string(),
    closedPnl: DecimalString,
    hash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte transaction hash'),
    oid: z.number().int().nonnegative(),
    crossed: z.boolean(),
    fee: DecimalString,
    tid: z.number().int().nonnegative(),
    feeToken: z.string().optional(),
  })
  .passthrough();
export type HlFill = z.infer<typeof HlFillSchema>;

export const HlFillsSchema = z.array(HlFillSchema);

export const HlAllMidsSchema = z.record(z.string(), DecimalString);
